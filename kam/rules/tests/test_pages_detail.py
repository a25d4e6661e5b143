"""A rule's page: the enabled version's full text with its parameters filled in, the version
history, incidents by state linking to the inbox, a recommendation's notices, an older
version's text."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from kam.rules.audit import audit_run
from kam.rules.models import Rule, RuleNotice
from kam.rules.services import VersionInput, version_enable, version_save
from kam.rules.tests.pages_helpers import DEFERRED_RULE, deferred_ledger, logged_in
from kam.web.tests import conftest as web

pytestmark = pytest.mark.django_db

company = web.company
Company = web.Company


def test_it_shows_the_enabled_versions_full_text(company: Company) -> None:
    html = unescape(
        logged_in(company, "erin")
        .get(reverse("rules:detail", args=[DEFERRED_RULE]))
        .content.decode()
    )
    version = Rule.objects.get(code=DEFERRED_RULE).enabled_version
    assert version is not None
    assert version.title_en in html and version.description_en in html
    assert "payment_terms_days > 0 AND" in html  # the condition
    assert "the seller (the document's employee)" in html  # the violator's label
    assert "the document's month" in html  # the period's label
    assert "Head of the violator's department" in html
    assert "5 days" in html and "Warning" in html and "Sales director" in html
    assert "Facts in the condition" in html and "has_valid_credit_decision" in html
    assert 'data-state="enabled"' in html and 'data-version="1"' in html


def test_a_recommendations_parameters_are_filled_in_and_its_notices_listed(
    company: Company,
) -> None:
    rule = Rule.objects.get(code="plan_actions_on_time")
    assert rule.enabled_version is not None
    RuleNotice.objects.create(
        rule=rule,
        rule_version=rule.enabled_version,
        subject_type="plan_action",
        subject_key="C1 2026-11 #7",
        period="2026-11",
        employee=company.employees["charlie"],
        facts={"days_overdue": 9},
    )
    html = (
        logged_in(company, "charlie")
        .get(reverse("rules:detail", args=[rule.code]))
        .content.decode()
    )
    assert "no later than 3 days after its due date" in html  # {grace_days} filled in
    assert "C1 2026-11 #7" in html and "The action is 9 days overdue." in html
    assert "1 standing, 1 in all" in html
    assert "incident-counts" not in html  # a recommendation without incidents has none


def test_incidents_are_counted_by_state_with_links_to_the_inbox(company: Company) -> None:
    deferred_ledger(company)
    audit_run()
    html = (
        logged_in(company, "frank")
        .get(reverse("rules:detail", args=[DEFERRED_RULE]))
        .content.decode()
    )
    inbox = reverse("incidents:inbox")
    assert f'href="{inbox}?tab=all&amp;rule={DEFERRED_RULE}&amp;state=open">Open</a>' in html
    row = html.split('<tr data-state="open">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">3</td>' in row


def test_an_older_version_is_read_as_retired(company: Company) -> None:
    rule = Rule.objects.get(code=DEFERRED_RULE)
    assert rule.enabled_version is not None
    data = VersionInput.of(rule.enabled_version)
    data.severity = "critical"
    data.notes = "Critical."
    version_enable(
        version=version_save(rule=rule, data=data, user=company.users["grace"]),
        user=company.users["grace"],
    )
    browser = logged_in(company, "dave")
    old = browser.get(reverse("rules:version", args=[DEFERRED_RULE, 1])).content.decode()
    assert "You are reading version 1, retired" in old and "Read the enabled version 2" in old
    current = browser.get(reverse("rules:detail", args=[DEFERRED_RULE])).content.decode()
    assert "The rule, version 2" in current and "severity-critical" in current
    assert browser.get(reverse("rules:version", args=[DEFERRED_RULE, 9])).status_code == 404
    assert browser.get(reverse("rules:detail", args=["no_such_rule"])).status_code == 404
