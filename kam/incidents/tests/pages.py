"""Incidents with known people for the page tests, opened as the audit opens them.

In the web tests' company bob heads the key-account department here, so the incidents of
charlie and dave (key-account managers) are his to handle; erin's department (sales) has no
head, so hers go to the director, alice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client as Browser
from django.utils import timezone

from kam.incidents.choices import EventKind
from kam.incidents.models import Incident, IncidentEvent
from kam.incidents.services import Breach, Handlers, new_incident
from kam.organization.models import Department
from kam.rules.models import Rule, RuleVersion
from kam.web.tests.conftest import Company

DEFERRED = "deferred_payment_requires_credit_approval"


def version_of(code: str = DEFERRED) -> RuleVersion:
    rule = Rule.objects.select_related("enabled_version").get(code=code)
    assert rule.enabled_version is not None
    return rule.enabled_version


def heads_set(company: Company) -> None:
    Department.objects.filter(kind="key_accounts").update(head=company.employees["bob"])


def incident_open(
    company: Company,
    violator: str,
    client: str,
    key: str,
    *,
    code: str = DEFERRED,
    period: str = "2026-01",
    opened: dt.datetime | None = None,
    deadline: dt.date | None = None,
    facts: dict[str, Any] | None = None,
) -> Incident:
    """An incident of ``code`` for the sales document ``key`` of ``violator`` and ``client``."""
    version = version_of(code)
    breach = Breach(
        version=version,
        subject_type=version.rule.subject_type,
        subject_id=None,
        subject_key=key,
        period=period,
        subject_date=timezone.localdate(),
        client_id=company.clients[client].pk,
        violator_id=company.employees[violator].pk,
        facts=facts
        or {
            "payment_terms_days": 30,
            "document_date": timezone.localdate().isoformat(),
            "credit_max_terms_days": None,
            "has_valid_credit_decision": False,
        },
    )
    incident = new_incident(breach, Handlers(), today=timezone.localdate())
    if deadline is not None:
        incident.deadline = deadline
    incident.save()
    IncidentEvent.objects.create(
        incident=incident, kind=EventKind.OPENED, state=incident.state, actor_label="audit"
    )
    if opened is not None:
        Incident.objects.filter(pk=incident.pk).update(opened_at=opened)
        incident.refresh_from_db()
    return incident


def browser_for(company: Company, login: str) -> Browser:
    browser = Browser()
    browser.force_login(company.users[login])
    return browser
