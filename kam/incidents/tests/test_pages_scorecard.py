"""The discipline scorecard on incidents with known people, rules, months and outcomes: the
counts by employee (with repeats), by rule (with the false-alarm rate), by month; the reader's
scope, the filters, the links into the inbox, the exports."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.incidents.choices import IncidentState
from kam.incidents.models import Incident
from kam.incidents.tests.pages import browser_for, heads_set, incident_open
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db

SCORECARD = reverse("incidents:scorecard")
DEFERRED = "deferred_payment_requires_credit_approval"
LIMIT = "credit_limit_exceeded"


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


@pytest.fixture
def known(company: Company) -> dict[str, Incident]:
    """Six incidents in the last twelve months and one older:

    a charlie deferred, this month, open        d charlie credit limit, this month, open
    b charlie deferred, last month, closed (4d) e dave deferred, last month, closed (2d)
    c charlie deferred, this month, dismissed   f erin deferred, this month, dismissed
    g erin deferred, 14 months ago, open (outside the default months)
    """
    heads_set(company)
    this_month = timezone.localdate().replace(day=1)
    last_month = this_month - dt.timedelta(days=1)
    old = (this_month - dt.timedelta(days=420)).replace(day=15)
    now = timezone.now()
    specs = {
        "a": ("charlie", DEFERRED, now, None, 0),
        "b": ("charlie", DEFERRED, _at(last_month.replace(day=1)), IncidentState.CLOSED, 4),
        "c": ("charlie", DEFERRED, now, IncidentState.DISMISSED, 1),
        "d": ("charlie", LIMIT, now, None, 0),
        "e": ("dave", DEFERRED, _at(last_month.replace(day=1)), IncidentState.CLOSED, 2),
        "f": ("erin", DEFERRED, now, IncidentState.DISMISSED, 1),
        "g": ("erin", DEFERRED, _at(old), None, 0),
    }
    made = {}
    for name, (who, code, opened, state, days) in specs.items():
        incident = incident_open(company, who, "C1", f"SC-{name}", code=code, opened=opened)
        if state is not None:
            Incident.objects.filter(pk=incident.pk).update(
                state=state, closed_at=opened + dt.timedelta(days=days)
            )
        made[name] = Incident.objects.get(pk=incident.pk)
    return made


def card_of(company: Company, login: str, query: str = "") -> Any:
    response = browser_for(company, login).get(f"{SCORECARD}?{query}")
    assert response.status_code == 200
    return response


def test_it_counts_the_last_twelve_months(company: Company, known: dict[str, Incident]) -> None:
    response = card_of(company, "alice")
    card = response.context["card"]
    assert (card.total, card.active, card.closed, card.dismissed) == (6, 2, 2, 2)
    assert card.median_days_to_close == 3.0
    kpis = {k["key"]: k["value"] for k in response.context["kpis"]}
    assert kpis == {"total": 6, "active": 2, "overdue": 0, "closed": 2, "dismissed": 2}


def test_it_counts_by_employee_with_repeats(company: Company, known: dict[str, Incident]) -> None:
    rows = card_of(company, "alice").context["by_employee"]
    by_code = {r["code"]: (r["total"], r["active"], r["repeats"]) for r in rows}
    assert by_code == {"E3": (4, 2, 1), "E4": (1, 0, 0), "E5": (1, 0, 0)}
    repeats = card_of(company, "alice").context["repeats"]
    assert [(r["name"], r["rule"], r["incidents"]) for r in repeats] == [
        ("Чарли Ключевой", DEFERRED, 2)
    ]


def test_it_counts_by_rule_with_the_false_alarm_rate(
    company: Company, known: dict[str, Incident]
) -> None:
    response = card_of(company, "alice")
    rows = {r["rule"]: r for r in response.context["by_rule"]}
    assert (rows[DEFERRED]["total"], rows[DEFERRED]["closed"], rows[DEFERRED]["dismissed"]) == (
        5,
        2,
        2,
    )
    assert rows[DEFERRED]["false_alarm_rate"] == 0.5 and rows[DEFERRED]["high"]
    assert rows[LIMIT]["total"] == 1 and rows[LIMIT]["false_alarm_rate"] is None
    assert "Deferred payment only after a credit-committee decision" in rows[DEFERRED]["title"]
    assert "50" in response.content.decode()


def test_it_counts_by_month_and_charts_every_month(
    company: Company, known: dict[str, Incident]
) -> None:
    response = card_of(company, "alice")
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).strftime("%Y-%m")
    months = {r["month"]: r["total"] for r in response.context["by_month"]}
    assert months == {this_month.strftime("%Y-%m"): 4, last_month: 2}
    chart = response.context["chart"]
    assert len(chart["labels"]) == 12 and chart["labels"][-1] == this_month.strftime("%Y-%m")
    assert [s["label"] for s in chart["series"]] == ["Deal support and closing"]
    assert sum(chart["series"][0]["data"]) == 6


def test_the_months_and_filters_narrow_it(company: Company, known: dict[str, Incident]) -> None:
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    one = card_of(company, "alice", f"month_from={last_month}&month_to={last_month}")
    assert one.context["card"].total == 2
    keys = card_of(company, "alice", "department=key_accounts").context["card"]
    assert keys.total == 5
    other = card_of(company, "alice", "subprocess=fulfilment").context["card"]
    assert other.total == 0
    wrong = card_of(company, "alice", "month_from=nonsense")
    assert wrong.context["card"].total == 6
    assert "was not understood" in wrong.content.decode()


def test_it_counts_only_what_the_reader_may_see(
    company: Company, known: dict[str, Incident]
) -> None:
    # bob heads the key-account department: charlie's and dave's, not erin's
    assert card_of(company, "bob").context["card"].total == 5


def test_each_number_opens_the_inbox_filtered_the_same_way(
    company: Company, known: dict[str, Incident]
) -> None:
    response = card_of(company, "alice")
    charlie = next(r for r in response.context["by_employee"] if r["code"] == "E3")
    inbox = browser_for(company, "alice").get(charlie["url"])
    assert {i.subject_key for i in inbox.context["page"].object_list} == {
        "SC-a",
        "SC-b",
        "SC-c",
        "SC-d",
    }
    rule = next(r for r in response.context["by_rule"] if r["rule"] == DEFERRED)
    dismissed = browser_for(company, "alice").get(rule["url"] + "&state=dismissed")
    assert {i.subject_key for i in dismissed.context["page"].object_list} == {"SC-c", "SC-f"}
    active = next(k for k in response.context["kpis"] if k["key"] == "active")
    assert browser_for(company, "alice").get(active["url"]).context["page"].paginator.count == 2


def test_the_tables_export(company: Company, known: dict[str, Incident]) -> None:
    browser = browser_for(company, "grace")
    response = browser.get(reverse("incidents:scorecard_export", args=["employees", "csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.strip().splitlines()
    assert lines[0] == "employee_code;employee;incidents;active;repeats"
    assert lines[1] == "E3;Чарли Ключевой;4;2;1"
    xlsx = browser.get(reverse("incidents:scorecard_export", args=["rules", "xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == DEFERRED and rows[1][2] == 5 and rows[1][5] == 0.5
    assert (
        browser.get(reverse("incidents:scorecard_export", args=["nothing", "csv"])).status_code
        == 404
    )


def test_managers_do_not_read_the_scorecard(company: Company) -> None:
    for login in ("charlie", "erin", "heidi"):
        assert browser_for(company, login).get(SCORECARD).status_code == 403


def test_an_empty_scorecard_says_why(company: Company) -> None:
    html = card_of(company, "alice").content.decode()
    assert "No incident was opened in these months" in html
