"""The incident inbox: each role's tabs show the incidents that concern them; filters, sorting,
export; the same number of queries for few rows as for many."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.incidents.choices import IncidentState
from kam.incidents.models import Incident
from kam.incidents.tests.pages import browser_for, heads_set, incident_open
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db

INBOX = reverse("incidents:inbox")


@pytest.fixture
def three(company: Company) -> dict[str, Incident]:
    """charlie's and dave's incidents (bob handles them), erin's (alice handles it)."""
    heads_set(company)
    return {
        "charlie": incident_open(company, "charlie", "C1", "D-C1"),
        "dave": incident_open(company, "dave", "C2", "D-C2"),
        "erin": incident_open(company, "erin", "C3", "D-C3"),
    }


def numbers(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {i.number for i in response.context["page"].object_list}


def tab(company: Company, login: str, name: str = "") -> Any:
    query = f"?tab={name}" if name else ""
    response = browser_for(company, login).get(INBOX + query)
    assert response.status_code == 200
    return response


def test_it_opens_the_handlers_inbox_on_what_waits_for_them(
    company: Company, three: dict[str, Incident]
) -> None:
    response = tab(company, "bob")
    assert response.context["tab"] == "handle"
    assert numbers(response) == {three["charlie"].number, three["dave"].number}
    counts = {t["key"]: t["count"] for t in response.context["tabs"]}
    assert counts == {"handle": 2, "mine": 0, "department": 2, "all": 2}


def test_it_opens_the_violators_inbox_on_what_names_them(
    company: Company, three: dict[str, Incident]
) -> None:
    response = tab(company, "charlie")
    assert response.context["tab"] == "mine"
    assert numbers(response) == {three["charlie"].number}
    # charlie reads only his own: dave's incident is not in any of his tabs
    assert numbers(tab(company, "charlie", "all")) == {three["charlie"].number}
    assert numbers(tab(company, "charlie", "handle")) == set()


def test_the_department_tab_shows_the_heads_department(
    company: Company, three: dict[str, Incident]
) -> None:
    assert numbers(tab(company, "bob", "department")) == {
        three["charlie"].number,
        three["dave"].number,
    }
    assert numbers(tab(company, "alice", "department")) == set()


def test_the_director_handles_the_headless_departments_and_reads_all(
    company: Company, three: dict[str, Incident]
) -> None:
    response = tab(company, "alice")
    assert response.context["tab"] == "handle"
    assert numbers(response) == {three["erin"].number}
    assert len(numbers(tab(company, "alice", "all"))) == 3


def test_the_auditor_reads_every_incident_but_handles_none(
    company: Company, three: dict[str, Incident]
) -> None:
    response = tab(company, "frank")
    assert response.context["tab"] == "all"
    assert len(numbers(response)) == 3
    assert numbers(tab(company, "frank", "handle")) == set()


def test_an_unrelated_employee_sees_nothing_and_is_told_why(
    company: Company, three: dict[str, Incident]
) -> None:
    response = tab(company, "heidi")
    assert response.context["tab"] == "all"
    assert numbers(response) == set()
    assert "There are no incidents you may read yet" in response.content.decode()


def test_a_user_without_a_role_is_refused(company: Company) -> None:
    assert browser_for(company, "ivan").get(INBOX).status_code == 403


def test_it_shows_the_columns_people_read(company: Company, three: dict[str, Incident]) -> None:
    late = three["charlie"]
    Incident.objects.filter(pk=late.pk).update(
        deadline=timezone.localdate() - dt.timedelta(days=2), escalated_at=timezone.now()
    )
    html = tab(company, "alice", "all").content.decode()
    assert late.number in html
    assert "Deferred payment only after a credit-committee decision" in html
    assert "Deal support and closing" in html
    assert "D-C1" in html and "ООО «Ромашка»" in html and "Чарли Ключевой" in html
    assert 'class="row-late"' in html
    assert "escalated" in html and "overdue" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=D-C2", {"dave"}),
        ("q=Ромашка", {"charlie"}),
        ("state=open", {"charlie", "dave", "erin"}),
        ("state=closed", set()),
        ("violator={dave}", {"dave"}),
        ("handler={alice}", {"erin"}),
        ("department=sales", {"erin"}),
        ("client={C1}", {"charlie"}),
        ("rule=deferred_payment_requires_credit_approval", {"charlie", "dave", "erin"}),
        ("rule=credit_limit_exceeded", set()),
        ("subprocess=deal&severity=high", {"charlie", "dave", "erin"}),
        ("kind=override", set()),
        ("active=true", {"charlie", "dave", "erin"}),
        ("overdue=true", set()),
    ],
)
def test_the_filters_narrow_the_tab(
    company: Company, three: dict[str, Incident], query: str, expected: set[str]
) -> None:
    ids = {
        "dave": company.employees["dave"].pk,
        "alice": company.employees["alice"].pk,
        "C1": company.clients["C1"].pk,
    }
    response = browser_for(company, "alice").get(f"{INBOX}?tab=all&{query.format(**ids)}")
    assert response.status_code == 200
    assert numbers(response) == {three[name].number for name in expected}


def test_the_number_search_finds_one_incident(company: Company, three: dict[str, Incident]) -> None:
    response = browser_for(company, "alice").get(f"{INBOX}?tab=all&q={three['dave'].number}")
    assert numbers(response) == {three["dave"].number}


def test_an_empty_filter_result_explains_itself(
    company: Company, three: dict[str, Incident]
) -> None:
    response = browser_for(company, "alice").get(f"{INBOX}?tab=all&q=nothing-like-this")
    assert "No incident matches" in response.content.decode()


def test_it_sorts_by_the_columns(company: Company, three: dict[str, Incident]) -> None:
    Incident.objects.filter(pk=three["erin"].pk).update(deadline=dt.date(2020, 1, 1))
    browser = browser_for(company, "alice")
    rows = browser.get(f"{INBOX}?tab=all&sort=deadline").context["page"].object_list
    assert rows[0].pk == three["erin"].pk
    rows = list(browser.get(f"{INBOX}?tab=all&sort=-deadline").context["page"].object_list)
    assert rows[-1].pk == three["erin"].pk
    rows = browser.get(f"{INBOX}?tab=all&sort=violator").context["page"].object_list
    assert [r.violator.name for r in rows] == sorted(r.violator.name for r in rows)


def test_the_htmx_request_gets_only_the_table(company: Company, three: dict[str, Incident]) -> None:
    response = browser_for(company, "alice").get(f"{INBOX}?tab=all", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "incidents-table" in html and "<html" not in html


def test_the_export_has_the_filtered_incidents(
    company: Company, three: dict[str, Incident]
) -> None:
    browser = browser_for(company, "bob")
    url = reverse("incidents:export", args=["csv"])
    response = browser.get(f"{url}?tab=all&violator={company.employees['dave'].pk}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.strip().splitlines()
    assert lines[0].startswith("number;opened;rule_code")
    assert len(lines) == 2 and three["dave"].number in lines[1] and "D-C2" in lines[1]
    xlsx = browser.get(reverse("incidents:export", args=["xlsx"]) + "?tab=all")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 3  # bob reads charlie's and dave's
    assert browser.get(reverse("incidents:export", args=["pdf"])).status_code == 404


def test_the_export_follows_the_readers_scope(company: Company, three: dict[str, Incident]) -> None:
    response = browser_for(company, "charlie").get(
        reverse("incidents:export", args=["csv"]) + "?tab=all"
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert three["charlie"].number in text and three["dave"].number not in text


def queries(company: Company, url: str) -> int:
    browser = browser_for(company, "alice")
    browser.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_the_inbox_does_not_grow_with_its_rows(
    company: Company, three: dict[str, Incident]
) -> None:
    url = f"{INBOX}?tab=all"
    few = queries(company, url)
    for n in range(40):
        incident_open(company, ["charlie", "dave", "erin"][n % 3], "C1", f"MANY-{n}")
    Incident.objects.filter(subject_key__startswith="MANY-", pk__lt=100000).update(
        state=IncidentState.INVESTIGATING
    )
    assert queries(company, url) == few
    assert few <= 20
    assert queries(company, INBOX) <= few + 5  # the default tab is chosen by the counts
