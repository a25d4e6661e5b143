"""A version's dry run over a small ledger of deferred sales with and without committee
decisions (figures, months, samples, beside the enabled version), enabling it (the previous
version retires) and switching a rule off (a reason is required)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.ledger.months import month_start
from kam.rules.choices import VersionState
from kam.rules.models import Rule, RuleVersion
from kam.rules.services import VersionInput, version_save
from kam.rules.tests.pages_helpers import (
    DEFERRED_RULE,
    DeferredLedger,
    deferred_ledger,
    logged_in,
)
from kam.web.tests import conftest as web

pytestmark = pytest.mark.django_db

company = web.company
Company = web.Company


@pytest.fixture
def ledger(company: Company) -> DeferredLedger:
    return deferred_ledger(company)


def rule() -> Rule:
    return Rule.objects.select_related("enabled_version").get(code=DEFERRED_RULE)


def draft_over_twenty_days(company: Company) -> RuleVersion:
    """Version 2: a deferral over 20 days without any decision (shorter ones and those with a
    decision, however long, pass)."""
    enabled = rule().enabled_version
    assert enabled is not None
    data = VersionInput.of(enabled)
    data.condition = "payment_terms_days > max_days AND NOT has_valid_credit_decision"
    data.parameters = {"max_days": 20}
    data.notes = "Short deferrals need no decision."
    return version_save(rule=rule(), data=data, user=company.users["grace"])


def text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</div>', html, re.S)
    assert match is not None, element_id
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def month_rows(html: str) -> dict[str, list[str]]:
    """The month table: month → its cells after the month."""
    rows = {}
    for month, body in re.findall(r'<tr data-month="([0-9-]+)">(.*?)</tr>', html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        rows[month] = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells[1:]]
    return rows


def test_the_dry_run_shows_the_figures_per_month_beside_the_enabled_version(
    company: Company, ledger: DeferredLedger
) -> None:
    draft = draft_over_twenty_days(company)
    browser = logged_in(company, "grace")
    url = reverse("rules:dry_run", args=[DEFERRED_RULE, draft.number])
    page = browser.get(url).content.decode()
    assert 'id="dry-run-none"' in page  # not run yet
    since = month_start(timezone.localdate(), 5)
    response = browser.post(url, {"since": since.isoformat(), "as_of": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert text(html, "dry-run-subjects") == "6"  # five documents and S1
    assert text(html, "dry-run-violations") == "1"  # D-BAD-1 only
    assert text(html, "dry-run-enabled") == "3"  # D-BAD-1, D-BAD-2, D-LONG
    assert text(html, "dry-run-only-new") == "0"
    assert text(html, "dry-run-only-enabled") == "2"
    months = month_rows(html)
    bad1, bad2 = ledger.months["D-BAD-1"], ledger.months["D-BAD-2"]
    assert ledger.months["D-LONG"] == bad2

    def subjects(month: str) -> str:
        return str(sum(1 for m in ledger.months.values() if m == month))

    # subjects, this version, the enabled version, the difference
    assert months[bad1] == [subjects(bad1), "1", "1", "0"]
    assert months[bad2] == [subjects(bad2), "0", "2", "-2"]
    assert sum(int(cells[1]) for cells in months.values()) == 1
    assert 'id="dry-run-data"' in html and "chart.umd.min.js" in html
    # The sample links to its subject's page (the client of the document).
    c2 = reverse("clients:detail", args=[company.clients["C2"].pk])
    assert f'<a href="{c2}">D-BAD-1</a>' in html
    assert "D-BAD-2" not in html.split('id="dry-run-samples"', 1)[1]
    # The figures are kept with the draft, shown again with their date, and beside "Enable".
    draft.refresh_from_db()
    assert draft.dry_run["violations"] == 1 and draft.dry_run["since"] == since.isoformat()
    again = browser.get(url).content.decode()
    assert "Saved figures of" in again and "Run again" in again
    assert text(again, "dry-run-violations") == "1"
    detail = browser.get(reverse("rules:detail", args=[DEFERRED_RULE])).content.decode()
    assert "1 of 6" in detail


def test_an_htmx_dry_run_answers_with_the_result_only(
    company: Company, ledger: DeferredLedger
) -> None:
    browser = logged_in(company, "alice")
    url = reverse("rules:dry_run", args=[DEFERRED_RULE, 1])
    response = browser.post(url, {}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert text(html, "dry-run-violations") == "3"
    assert "this is the enabled version" in html
    # The enabled version's own figures are shown, not kept: it is never changed.
    assert RuleVersion.objects.get(rule__code=DEFERRED_RULE, number=1).dry_run == {}


def test_the_dry_run_refuses_a_date_in_the_future(company: Company) -> None:
    url = reverse("rules:dry_run", args=[DEFERRED_RULE, 1])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = logged_in(company, "grace").post(url, {"as_of": tomorrow.isoformat()})
    assert response.status_code == 400
    assert "The history ends today" in response.content.decode()


def test_enabling_a_version_retires_the_previous_one(
    company: Company, ledger: DeferredLedger
) -> None:
    draft = draft_over_twenty_days(company)
    previous = rule().enabled_version
    assert previous is not None
    browser = logged_in(company, "alice")
    url = reverse("rules:version_enable", args=[DEFERRED_RULE, draft.number])
    confirm = browser.get(url).content.decode()
    assert 'id="no-dry-run"' in confirm  # it offers the dry run first
    # It shows what changes: the condition and the parameters, nothing else.
    changed = re.findall(r'<tr data-field="([a-z_]+)"', confirm)
    assert changed == ["parameters", "condition"]
    assert "Yes, enable version 2" in confirm
    assert rule().enabled_version_id == previous.pk  # a GET changes nothing
    browser.post(reverse("rules:dry_run", args=[DEFERRED_RULE, draft.number]), {})
    confirm = browser.get(url).content.decode()
    assert 'id="no-dry-run"' not in confirm and text(confirm, "confirm-violations") == "1"
    response = browser.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("rules:detail", args=[DEFERRED_RULE])
    draft.refresh_from_db()
    previous.refresh_from_db()
    assert draft.state == VersionState.ENABLED and draft.enabled_by == company.users["alice"]
    assert previous.state == VersionState.RETIRED and previous.retired_at is not None
    assert rule().enabled_version_id == draft.pk
    page = browser.get(response["Location"]).content.decode()
    assert "enabled: version 2" in page and "is enabled: guards and the audit use it" in page
    # Enabled is enabled: its enable URL goes back to the rule.
    assert browser.get(url).status_code == 302


def test_switching_a_rule_off_needs_a_reason(company: Company) -> None:
    browser = logged_in(company, "grace")
    url = reverse("rules:disable", args=[DEFERRED_RULE])
    confirm = browser.get(url).content.decode()
    assert "Switch off deferred_payment_requires_credit_approval?" in confirm
    for reason in ("", "   "):
        response = browser.post(url, {"reason": reason})
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()
        assert rule().enabled_version is not None
    version = rule().enabled_version
    response = browser.post(url, {"reason": "The committee meets no more this year."})
    assert response.status_code == 302
    assert rule().enabled_version is None
    assert RuleVersion.objects.get(pk=version.pk).state == VersionState.RETIRED  # type: ignore[union-attr]
    entry = AuditEntry.objects.get(action="rules.rule_disabled")
    assert entry.data["reason"] == "The committee meets no more this year."
    page = browser.get(reverse("rules:detail", args=[DEFERRED_RULE])).content.decode()
    assert 'data-state="off"' in page
    # Off is off: the confirmation is not offered again; enabling version 1 switches it on.
    assert browser.get(url).status_code == 302
    browser.post(reverse("rules:version_enable", args=[DEFERRED_RULE, 1]))
    assert rule().enabled_version_id == version.pk  # type: ignore[union-attr]
