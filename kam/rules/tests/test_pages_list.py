"""The rulebook list: everyone with a role reads every rule; filters, search, sorting, the
subprocess groups, the last audit's header, CSV/XLSX and a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.incidents.models import Incident
from kam.incidents.services import incident_dismiss
from kam.rules.audit import audit_run
from kam.rules.choices import RuleKind, Subprocess, VersionState
from kam.rules.models import Rule, RuleVersion
from kam.rules.services import rule_disable
from kam.rules.tests.pages_helpers import DEFERRED_RULE, deferred_ledger, logged_in
from kam.web.tests import conftest as web

pytestmark = pytest.mark.django_db

company = web.company
Company = web.Company

WITH_ROLE = [r for r in web.ROLES if r != "ivan"]


def codes_in(html: str) -> list[str]:
    """The rule codes of the table's rows, in their order."""
    return [
        line.split('data-code="', 1)[1].split('"', 1)[0]
        for line in html.splitlines()
        if 'class="rule-row' in line
    ]


def seeded(**version_fields: str) -> set[str]:
    return set(
        Rule.objects.filter(
            **{f"enabled_version__{name}": value for name, value in version_fields.items()}
        ).values_list("code", flat=True)
    )


@pytest.mark.parametrize("who", WITH_ROLE)
def test_it_shows_every_rule_to_everyone_with_a_role(company: Company, who: str) -> None:
    response = logged_in(company, who).get(reverse("rules:list"))
    assert response.status_code == 200
    shown = codes_in(response.content.decode())
    assert sorted(shown) == sorted(Rule.objects.values_list("code", flat=True))
    assert len(shown) >= 12
    assert DEFERRED_RULE in shown


def test_it_refuses_a_login_without_a_role_and_sends_strangers_to_log_in(company: Company) -> None:
    assert logged_in(company, "ivan").get(reverse("rules:list")).status_code == 403
    from django.test import Client as Browser

    response = Browser().get(reverse("rules:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_groups_the_rules_by_the_four_subprocesses(company: Company) -> None:
    html = logged_in(company, "erin").get(reverse("rules:list")).content.decode()
    for _value, label in Subprocess.choices:
        assert f'scope="colgroup">{label}</th>' in html
    order = [Rule.objects.get(code=c).enabled_version.subprocess for c in codes_in(html)]  # type: ignore[union-attr]
    ranks = [Subprocess.values.index(s) for s in order]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize("subprocess", Subprocess.values)
def test_it_filters_by_subprocess(company: Company, subprocess: str) -> None:
    html = (
        logged_in(company, "alice")
        .get(reverse("rules:list"), {"subprocess": subprocess})
        .content.decode()
    )
    assert set(codes_in(html)) == seeded(subprocess=subprocess)


def test_it_filters_by_kind_subject_and_severity_and_searches(company: Company) -> None:
    browser = logged_in(company, "frank")

    def shown(**params: str) -> set[str]:
        return set(codes_in(browser.get(reverse("rules:list"), params).content.decode()))

    recommendations = seeded(kind=RuleKind.RECOMMENDATION)
    assert recommendations and shown(kind="recommendation") == recommendations
    documents = set(
        Rule.objects.filter(subject_type="sales_document").values_list("code", flat=True)
    )
    assert DEFERRED_RULE in documents
    assert shown(subject="sales_document") == documents
    assert shown(severity="high") == seeded(severity="high")
    assert shown(q="CREDIT-COMMITTEE DECISION") == {  # the English titles
        DEFERRED_RULE,
        "deal_on_deferred_terms_requires_credit_approval",
    }
    assert shown(q="has_valid_credit_decision") == seeded(
        condition__contains="has_valid_credit_decision"
    )
    assert shown(kind="mandatory", subject="sales_document", q="overdue") == {
        "deferred_sale_with_overdue_debt"
    }


def test_an_unknown_filter_value_is_ignored_and_said(company: Company) -> None:
    response = logged_in(company, "alice").get(reverse("rules:list"), {"kind": "law"})
    assert response.status_code == 200
    assert len(codes_in(response.content.decode())) == Rule.objects.count()
    assert "Ignored:" in response.content.decode()


def test_it_filters_switched_off_rules(company: Company) -> None:
    rule_disable(
        rule=Rule.objects.get(code="plan_actions_on_time"),
        user=company.users["grace"],
        reason="Too noisy for now.",
    )
    browser = logged_in(company, "bob")
    off = browser.get(reverse("rules:list"), {"enabled": "no"}).content.decode()
    assert codes_in(off) == ["plan_actions_on_time"]
    assert "switched off" in off
    on = browser.get(reverse("rules:list"), {"enabled": "yes"}).content.decode()
    assert "plan_actions_on_time" not in codes_in(on)
    assert len(codes_in(on)) == Rule.objects.count() - 1


def test_it_sorts_by_code_both_ways(company: Company) -> None:
    browser = logged_in(company, "grace")
    ascending = codes_in(browser.get(reverse("rules:list"), {"sort": "code"}).content.decode())
    descending = codes_in(browser.get(reverse("rules:list"), {"sort": "-code"}).content.decode())
    assert ascending == sorted(ascending)
    assert descending == list(reversed(ascending))


def test_it_counts_incidents_violations_and_false_alarms_after_an_audit(company: Company) -> None:
    deferred_ledger(company)
    audit_run(user=company.users["grace"])
    incidents = list(Incident.objects.filter(rule__code=DEFERRED_RULE))
    assert {i.subject_key for i in incidents} == {"D-BAD-1", "D-BAD-2", "D-LONG"}
    incident_dismiss(incident=incidents[0], user=company.users["alice"], reason="A test sale.")
    browser = logged_in(company, "alice")
    html = browser.get(reverse("rules:list"), {"sort": "-incidents"}).content.decode()
    assert codes_in(html)[0] == DEFERRED_RULE
    row = html.split(f'data-code="{DEFERRED_RULE}"', 1)[1].split("</tr>", 1)[0]
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in row.split('<td class="num">')[1:]
    ]
    # active incidents (of all), notices, the last audit's violations, false alarms
    assert cells == ["2 of 3", "0", "3", "100%"]
    # The header names the last audit and its figures; only editors get the button.
    assert "Last audit" in html and 'id="run-audit"' in html
    assert (
        'id="run-audit"'
        not in logged_in(company, "bob").get(reverse("rules:list")).content.decode()
    )


def test_it_exports_the_filtered_rules_as_csv_and_xlsx(company: Company) -> None:
    browser = logged_in(company, "heidi")
    response = browser.get(reverse("rules:export", args=["csv"]), {"subject": "sales_document"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["code", "title_ru", "title_en"]
    exported = {r[0] for r in rows[1:]}
    assert exported == set(
        Rule.objects.filter(subject_type="sales_document").values_list("code", flat=True)
    )
    deferred = next(r for r in rows if r[0] == DEFERRED_RULE)
    assert deferred[7] == "1" and "payment_terms_days" in deferred[14]

    from openpyxl import load_workbook

    response = browser.get(reverse("rules:export", args=["xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.max_row == Rule.objects.count() + 1
    assert browser.get(reverse("rules:export", args=["pdf"])).status_code == 404


def test_the_list_does_not_grow_its_queries_with_the_rules(company: Company) -> None:
    browser = logged_in(company, "alice")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(reverse("rules:list")).status_code == 200
        return len(captured)

    few = queries()
    template = RuleVersion.objects.get(rule__code=DEFERRED_RULE)
    for n in range(30):
        rule = Rule.objects.create(code=f"extra_rule_{n:02}", subject_type="sales_document")
        enabled = n % 2 == 0
        version = RuleVersion.objects.create(
            rule=rule,
            number=1,
            state=VersionState.ENABLED if enabled else VersionState.RETIRED,
            title_ru=f"Правило {n}",
            title_en=f"Rule {n}",
            subprocess=template.subprocess,
            kind=template.kind,
            condition=template.condition,
        )
        RuleVersion.objects.create(
            rule=rule,
            number=2,
            title_ru="Черновик",
            title_en="Draft",
            subprocess=template.subprocess,
            kind=template.kind,
            condition=template.condition,
        )
        if enabled:
            rule.enabled_version = version
            rule.save()
    many = queries()
    assert many == few
    assert many <= 12


def test_an_htmx_filter_updates_the_table_the_chips_and_the_export_links(
    company: Company,
) -> None:
    response = logged_in(company, "grace").get(
        reverse("rules:list"), {"kind": "recommendation"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html
    assert set(codes_in(html)) == seeded(kind=RuleKind.RECOMMENDATION)
    assert 'id="subprocess-chips" hx-swap-oob="true"' in html
    assert 'id="rule-exports" hx-swap-oob="true"' in html
    assert "/rules/export.csv?kind=recommendation" in html
