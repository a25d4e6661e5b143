"""Running the audit from the rulebook (a confirmation, then the figures), its runs and one
run's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.incidents.models import Incident
from kam.rules.audit import audit_run
from kam.rules.choices import AuditTrigger
from kam.rules.models import AuditRun, Rule
from kam.rules.tests.pages_helpers import DEFERRED_RULE, DeferredLedger, deferred_ledger, logged_in
from kam.web.tests import conftest as web

pytestmark = pytest.mark.django_db

company = web.company
Company = web.Company


@pytest.fixture
def ledger(company: Company) -> DeferredLedger:
    return deferred_ledger(company)


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match is not None, name
    return match.group(1).strip()


def test_the_confirmation_says_what_the_audit_does(company: Company) -> None:
    html = logged_in(company, "grace").get(reverse("rules:audit_run")).content.decode()
    enabled = Rule.objects.filter(enabled_version__isnull=False).count()
    assert f"checks the {enabled} enabled rules" in html
    assert f'value="{timezone.localdate().isoformat()}"' in html
    assert "Yes, run the audit" in html and AuditRun.objects.count() == 0


def test_running_the_audit_from_the_page_opens_incidents_and_shows_the_figures(
    company: Company, ledger: DeferredLedger
) -> None:
    browser = logged_in(company, "grace")
    today = timezone.localdate().isoformat()
    response = browser.post(reverse("rules:audit_run"), {"as_of": today, "since": ""})
    run = AuditRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rules:audit_detail", args=[run.pk])
    assert run.trigger == AuditTrigger.WEB and run.run_by == company.users["grace"]
    opened = Incident.objects.filter(rule__code=DEFERRED_RULE, audit_run=run)
    assert set(opened.values_list("subject_key", flat=True)) == ledger.broken
    html = browser.get(response["Location"]).content.decode()
    assert figure(html, "incidents_opened") == str(run.figures["incidents_opened"])
    assert run.figures["by_rule"][DEFERRED_RULE] == 3
    assert f'data-rule="{DEFERRED_RULE}"' in html
    # Again, with HTMX: nothing new is opened; the figures come back in place of the form.
    response = browser.post(reverse("rules:audit_run"), {"as_of": today}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert figure(html, "incidents_opened") == "0"
    assert int(figure(html, "already_open")) >= 3
    assert "The audit is done in" in html
    assert Incident.objects.filter(rule__code=DEFERRED_RULE).count() == 3
    # The list's header names the latest run.
    listing = browser.get(reverse("rules:list")).content.decode()
    assert "run by grace (Web page)" in listing


def test_one_rule_can_be_audited_alone(company: Company, ledger: DeferredLedger) -> None:
    response = logged_in(company, "alice").post(
        reverse("rules:audit_run"),
        {"as_of": timezone.localdate().isoformat(), "rule": DEFERRED_RULE},
    )
    assert response.status_code == 302
    run = AuditRun.objects.get()
    assert run.rule is not None and run.rule.code == DEFERRED_RULE
    assert run.figures["rules"] == 1 and list(run.figures["by_rule"]) == [DEFERRED_RULE]


def test_the_audit_refuses_dates_that_make_no_sense(company: Company) -> None:
    browser = logged_in(company, "grace")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = browser.post(reverse("rules:audit_run"), {"as_of": tomorrow})
    assert response.status_code == 400
    assert "today or earlier" in response.content.decode()
    response = browser.post(
        reverse("rules:audit_run"),
        {"as_of": "2026-01-01", "since": "2026-02-01"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="audit-form"' in html  # swapped in by HTMX
    assert "The start is after the as-of date." in html
    assert AuditRun.objects.count() == 0


def test_the_runs_list_shows_every_run_to_the_readers(company: Company) -> None:
    audit_run(user=company.users["alice"])
    audit_run(user=company.users["grace"], trigger=AuditTrigger.WEB)
    browser = logged_in(company, "erin")
    html = browser.get(reverse("rules:audits")).content.decode()
    assert html.count("<tr data-run=") == 2
    assert "Command line" in html and "Web page" in html
    assert 'href="/rules/audit/"' not in html  # erin does not run it
    web_only = browser.get(reverse("rules:audits"), {"trigger": "web"}).content.decode()
    assert web_only.count("<tr data-run=") == 1
    run = AuditRun.objects.first()
    assert run is not None
    assert browser.get(reverse("rules:audit_detail", args=[run.pk])).status_code == 200
    assert browser.get(reverse("rules:audit_detail", args=[999999])).status_code == 404
