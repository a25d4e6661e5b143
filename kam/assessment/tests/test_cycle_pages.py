"""Re-evaluation cycles, a cycle's proposals (filters, bulk decisions, export) and the
portfolio matrix, as the people who use them see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kam.assessment.choices import Review
from kam.assessment.models import (
    Assessment,
    AssessmentCycle,
    AssessmentSchedule,
    DataCollection,
    StatusDecision,
)
from kam.assessment.services import cycle_run
from kam.audit.models import AuditEntry
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.ledger.models import MonthlyRollup
from kam.ledger.months import add_months
from kam.web.tests import conftest as web
from kam.web.tests.conftest import Company

company = web.company  # the web tests' small company (a fixture)

pytestmark = pytest.mark.django_db

VIEWERS = ["alice", "bob", "frank", "grace", "heidi"]


@dataclass
class Portfolio:
    company: Company
    previous: AssessmentCycle
    cycle: AssessmentCycle
    promoted: set[str]  # codes of the clients the latest cycle proposes to promote
    demoted: set[str]
    to_key: str  # the first promotion to key by priority
    to_potential: str  # the first promotion to potential key by priority

    def proposals(self, **where: Any) -> set[str]:
        rows = Assessment.objects.filter(cycle=self.cycle, **where)
        return set(rows.values_list("client__code", flat=True))

    def client(self, code: str) -> Client:
        return Client.objects.get(code=code)

    def ids(self, *codes: str) -> list[int]:
        return [self.client(code).pk for code in codes]


def sales_build(company: Company, clients: int = 40) -> None:
    """Clients K01–K40 with a year of monthly sales in 1–5 product groups, growing with
    their number (K39 the largest); every fourth has a large purchase potential; K01–K03
    start as key accounts."""
    first = timezone.localdate().replace(day=1)
    rows: list[MonthlyRollup] = []
    for i in range(1, clients + 1):
        client = Client.objects.create(
            code=f"K{i:02}",
            name=f"Client {i:02}",
            status=ClientStatus.KEY if i <= 3 else ClientStatus.STANDARD,
            purchase_potential=Decimal(i * 50_000 * (20 if i % 4 == 0 else 1)),
            annual_revenue=Decimal(i * 1_000_000),
            responsible=company.employees["charlie" if i % 2 else "dave"],
        )
        for back in range(1, 13):
            revenue = Decimal(i * i * 100 * (1 + back % 3))
            rows.extend(
                MonthlyRollup(
                    client=client,
                    month=add_months(first, -back),
                    product_group=f"G{group}",
                    revenue=revenue,
                    cost=revenue * Decimal("0.7"),
                    margin=revenue * Decimal("0.3"),
                    quantity=1,
                    documents=1,
                    lines=1,
                )
                for group in range(1 + i % 5)
            )
    MonthlyRollup.objects.bulk_create(rows)


@pytest.fixture
def portfolio(company: Company) -> Portfolio:
    """Two cycles through the real services: one three months ago and one today. With the
    shipped model today's cycle promotes a few of the largest clients (to key or potential
    key) and demotes the small key accounts K01–K03; the tests read which from the cycle."""
    sales_build(company)
    today = timezone.localdate()
    previous = cycle_run(as_of=add_months(today, -3), user=company.users["bob"])
    cycle = cycle_run(as_of=today, user=company.users["bob"])
    pending = Assessment.objects.filter(cycle=cycle, change="promote").order_by("priority_rank")
    first = {s: pending.filter(proposed_status=s).first() for s in ("key", "potential_key")}
    assert first["key"] and first["potential_key"], "the fixture must promote to both statuses"
    codes = {
        change: set(
            Assessment.objects.filter(cycle=cycle, change=change).values_list(
                "client__code", flat=True
            )
        )
        for change in ("promote", "demote")
    }
    return Portfolio(
        company=company,
        previous=previous,
        cycle=cycle,
        promoted=codes["promote"],
        demoted=codes["demote"],
        to_key=first["key"].client.code,
        to_potential=first["potential_key"].client.code,
    )


def browser_for(company: Company, login: str) -> Browser:
    browser = Browser()
    browser.force_login(company.users[login])
    return browser


def codes(response: Any) -> set[str]:
    return {a.client.code for a in response.context["page"].object_list}


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def cycle_url(cycle: AssessmentCycle, name: str = "assessment:cycle") -> str:
    return reverse(name, args=[cycle.pk])


# --- The cycle list ----------------------------------------------------------------------------


def test_the_fixture_proposes_what_the_tests_expect(portfolio: Portfolio) -> None:
    assert 3 <= len(portfolio.promoted) <= 12
    assert portfolio.demoted == {"K01", "K02", "K03"}
    assert portfolio.to_key in portfolio.promoted and portfolio.to_potential in portfolio.promoted
    assert portfolio.cycle.previous == portfolio.previous


def test_the_list_shows_the_cycles_and_when_the_next_is_due(portfolio: Portfolio) -> None:
    response = browser_for(portfolio.company, "bob").get(reverse("assessment:cycles"))
    assert response.status_code == 200
    page = response.content.decode()
    assert [c.pk for c, _pending in response.context["rows"]] == [
        portfolio.cycle.pk,
        portfolio.previous.pk,
    ]
    pending = len(portfolio.promoted) + len(portfolio.demoted)
    assert dict(response.context["rows"])[portfolio.cycle] == pending
    assert f'href="{cycle_url(portfolio.cycle)}"' in page
    assert "the next cycle is due on" in page
    assert "banner-warn" not in page
    assert 'id="run-form"' in page  # the head runs cycles …
    assert 'id="schedule-form"' not in page  # … the schedule is the director's and analyst's


def test_the_list_warns_when_no_cycle_has_run(company: Company) -> None:
    response = browser_for(company, "frank").get(reverse("assessment:cycles"))
    page = response.content.decode()
    assert "No re-evaluation cycle has run yet." in page
    assert "re-evaluated every 3 months" in page
    assert 'id="run-form"' not in page  # the auditor only reads


def test_the_list_warns_when_the_next_cycle_is_overdue(company: Company) -> None:
    sales_build(company, clients=5)
    as_of = add_months(timezone.localdate(), -4)
    cycle_run(as_of=as_of, user=company.users["grace"])
    response = browser_for(company, "grace").get(reverse("assessment:cycles"))
    page = response.content.decode()
    assert "banner-warn" in page
    due = add_months(as_of, 3)
    assert f"The next re-evaluation was due on {due:%m/%d/%Y}." in page
    assert 'id="schedule-form"' in page


def test_running_a_cycle_opens_it(company: Company) -> None:
    sales_build(company, clients=5)
    response = browser_for(company, "grace").post(
        reverse("assessment:cycle_run"), {"as_of": timezone.localdate().isoformat()}
    )
    cycle = AssessmentCycle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == cycle_url(cycle)
    assert cycle.clients == 9 and cycle.run_by == company.users["grace"]
    assert AuditEntry.objects.filter(action="assessment.cycle_run", object_id=cycle.pk).exists()
    assert "is done" in texts(response)[0]


def test_a_cycle_cannot_run_in_the_future(company: Company) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = browser_for(company, "bob").post(
        reverse("assessment:cycle_run"), {"as_of": tomorrow.isoformat()}
    )
    assert response.status_code == 400
    assert "is in the future" in response.content.decode()
    assert "runs as of today" in response.content.decode()
    assert not AssessmentCycle.objects.exists()


def test_the_schedule_is_changed_with_an_audit_row(company: Company) -> None:
    alice = browser_for(company, "alice")
    response = alice.post(reverse("assessment:schedule"), {"every_months": 6})
    assert response.status_code == 302
    assert AssessmentSchedule.objects.get().every_months == 6
    entry = AuditEntry.objects.get(action="assessment.schedule_changed")
    assert entry.data == {"before": 3, "after": 6} and entry.actor == company.users["alice"]
    assert alice.post(reverse("assessment:schedule"), {"every_months": 13}).status_code == 400
    bob = browser_for(company, "bob")
    assert bob.post(reverse("assessment:schedule"), {"every_months": 1}).status_code == 403
    assert AssessmentSchedule.objects.get().every_months == 6


# --- A cycle's proposals -----------------------------------------------------------------------


def test_the_cycle_page_shows_figures_and_the_diff(portfolio: Portfolio) -> None:
    response = browser_for(portfolio.company, "bob").get(cycle_url(portfolio.cycle))
    assert response.status_code == 200
    figures = response.context["figures"]
    pending = len(portfolio.promoted) + len(portfolio.demoted)
    assert figures["pending"] == pending and figures["accepted"] == 0
    changed = Assessment.objects.filter(cycle=portfolio.cycle).exclude(previous_cell="")
    moved = sum(1 for a in changed if a.cell != a.previous_cell)
    assert figures["cell_changed"] == moved
    page = response.content.decode()
    assert "clients changed" in page and 'href="?changed=true"' in page
    assert "Accept selected" in page and f"Accept all {pending} pending proposals" in page
    assert response.context["page"].paginator.count == 44


def test_filters_narrow_the_table(portfolio: Portfolio) -> None:
    browser = browser_for(portfolio.company, "frank")
    url = cycle_url(portfolio.cycle)
    assert codes(browser.get(url, {"change": "promote"})) == portfolio.promoted
    assert codes(browser.get(url, {"change": "demote"})) == portfolio.demoted
    potential = portfolio.proposals(proposed_status="potential_key")
    assert portfolio.to_potential in potential
    assert codes(browser.get(url, {"proposed_status": "potential_key"})) == potential
    assert codes(browser.get(url, {"current_status": "key"})) == portfolio.demoted
    assert codes(browser.get(url, {"q": "client 39"})) == {"K39"}
    assert codes(browser.get(url, {"review": "pending", "abc": "C"})) == portfolio.demoted
    changed = browser.get(url, {"changed": "true"})
    assert 0 < changed.context["page"].paginator.count < 44
    ordered = browser.get(url, {"ordering": "-revenue"}).context["page"].object_list
    assert ordered[0].client.code == "K39"  # five product groups
    # The auditor reads; no decision buttons.
    assert "Accept selected" not in browser.get(url).content.decode()


def test_filtering_through_htmx_returns_only_the_table(portfolio: Portfolio) -> None:
    response = browser_for(portfolio.company, "bob").get(
        cycle_url(portfolio.cycle), {"change": "demote"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page and 'id="decide-form"' in page
    assert "3 proposals" in page
    assert "change=demote" in page  # export links and the bulk form keep the filter


def decide(
    browser: Browser, cycle: AssessmentCycle, do: str, clients: list[int] | None = None, **more: Any
) -> Any:
    data: dict[str, Any] = {"do": do, "client": clients or [], **more}
    return browser.post(cycle_url(cycle, "assessment:cycle_decide"), data)


def test_accepting_selected_proposals_asks_first_then_changes_statuses(
    portfolio: Portfolio,
) -> None:
    bob = browser_for(portfolio.company, "bob")
    key, potential = portfolio.to_key, portfolio.to_potential
    chosen = portfolio.ids(key, potential)
    asked = decide(bob, portfolio.cycle, "accept:selected", chosen, query="change=promote")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Accept 2 proposals?" in page and "Yes, accept 2 proposals" in page
    changes = {(c["before"], c["after"]): c["n"] for c in asked.context["changes"]}
    assert changes == {("standard", "key"): 1, ("standard", "potential_key"): 1}
    # Nothing is written before the confirmation.
    assert portfolio.client(key).status == ClientStatus.STANDARD
    assert not StatusDecision.objects.exists()

    done = decide(
        bob,
        portfolio.cycle,
        "accept:selected",
        chosen,
        query="change=promote",
        expected=2,
        confirm="on",
        note="Agreed at the Monday meeting.",
    )
    assert done.status_code == 302
    assert done["Location"] == cycle_url(portfolio.cycle) + "?change=promote"
    assert "2 proposals accepted" in texts(done)[0]
    assert portfolio.client(key).status == ClientStatus.KEY
    assert portfolio.client(potential).status == ClientStatus.POTENTIAL_KEY
    decisions = StatusDecision.objects.order_by("client__code")
    assert {(d.client.code, d.status_before, d.status) for d in decisions} == {
        (potential, "standard", "potential_key"),
        (key, "standard", "key"),
    }
    assert all("Agreed at the Monday meeting." in d.reason for d in decisions)
    assert all(d.decided_by == portfolio.company.users["bob"] for d in decisions)
    assert AuditEntry.objects.filter(action="client.status_decided").count() == 2
    assert DataCollection.objects.filter(client__code=potential, closed_at__isnull=True).exists()
    reviews = Assessment.objects.filter(cycle=portfolio.cycle, client_id__in=chosen)
    assert {a.review for a in reviews} == {Review.ACCEPTED}
    # The other promotions still wait.
    still = Assessment.objects.filter(cycle=portfolio.cycle, review=Review.PENDING)
    assert still.count() == len(portfolio.promoted) + len(portfolio.demoted) - 2


def test_accepting_everything_the_filter_matches(portfolio: Portfolio) -> None:
    bob = browser_for(portfolio.company, "bob")
    asked = decide(bob, portfolio.cycle, "accept:filter", query="change=demote")
    assert asked.context["count"] == 3
    assert {a.client.code for a in asked.context["shown"]} == portfolio.demoted
    decide(bob, portfolio.cycle, "accept:filter", query="change=demote", expected=3, confirm="on")
    assert set(Client.objects.filter(status=ClientStatus.KEY).values_list("code", flat=True)) == (
        set()
    )
    assert StatusDecision.objects.count() == 3


def test_a_set_that_moved_since_the_confirmation_is_shown_again(portfolio: Portfolio) -> None:
    bob = browser_for(portfolio.company, "bob")
    response = decide(
        bob, portfolio.cycle, "accept:filter", query="change=demote", expected=5, confirm="on"
    )
    assert response.status_code == 200
    assert "The proposals changed since you looked" in response.content.decode()
    assert not StatusDecision.objects.exists()


def test_rejecting_keeps_the_status(portfolio: Portfolio) -> None:
    bob = browser_for(portfolio.company, "bob")
    chosen = portfolio.ids(portfolio.to_key)
    asked = decide(bob, portfolio.cycle, "reject:selected", chosen)
    assert "Reject 1 proposal?" in asked.content.decode()
    assert Assessment.objects.get(cycle=portfolio.cycle, client_id=chosen[0]).review == "pending"
    done = decide(bob, portfolio.cycle, "reject:selected", chosen, expected=1, confirm="on")
    assert "1 proposal rejected" in texts(done)[0]
    assessment = Assessment.objects.get(cycle=portfolio.cycle, client_id=chosen[0])
    assert assessment.review == Review.REJECTED
    assert assessment.reviewed_by == portfolio.company.users["bob"]
    assert portfolio.client(portfolio.to_key).status == ClientStatus.STANDARD
    assert not StatusDecision.objects.exists()
    assert AuditEntry.objects.filter(action="assessment.proposals_rejected").count() == 1


def test_nothing_ticked_decides_nothing(portfolio: Portfolio) -> None:
    response = decide(browser_for(portfolio.company, "bob"), portfolio.cycle, "accept:selected")
    assert response.status_code == 302
    assert "Tick the proposals" in texts(response)[0]


def test_an_older_cycle_is_a_record_only(portfolio: Portfolio) -> None:
    bob = browser_for(portfolio.company, "bob")
    page = bob.get(cycle_url(portfolio.previous)).content.decode()
    assert "Accept selected" not in page and "only the latest cycle" in page
    pending = Assessment.objects.filter(cycle=portfolio.previous, review=Review.PENDING)
    ids = list(pending.values_list("client_id", flat=True)[:2])
    response = decide(bob, portfolio.previous, "accept:selected", ids, expected=2, confirm="on")
    assert response.status_code == 302
    assert "Only the latest cycle's proposals can be decided." in texts(response)
    assert not StatusDecision.objects.exists()


def test_only_the_head_and_the_director_decide(portfolio: Portfolio) -> None:
    grace = browser_for(portfolio.company, "grace")
    assert "Accept selected" not in grace.get(cycle_url(portfolio.cycle)).content.decode()
    ids = portfolio.ids(portfolio.to_key)
    response = decide(grace, portfolio.cycle, "accept:selected", ids, expected=1, confirm="on")
    assert response.status_code == 403
    assert portfolio.client(portfolio.to_key).status == ClientStatus.STANDARD


# --- Export ------------------------------------------------------------------------------------


def test_the_csv_export_holds_the_filtered_proposals(portfolio: Portfolio) -> None:
    response = browser_for(portfolio.company, "heidi").get(
        reverse("assessment:cycle_export", args=[portfolio.cycle.pk, "csv"]), {"change": "promote"}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = rows[0]
    assert header[:4] == ["cycle", "as_of", "code", "name"]
    assert {r[2] for r in rows[1:]} == portfolio.promoted
    row = next(dict(zip(header, r, strict=True)) for r in rows[1:] if r[2] == portfolio.to_key)
    assert row["proposed_status"] == "Key account" and row["change"] == "Promote"
    assert row["review"] == "Awaiting decision" and row["status_now"] == "Standard"


def test_the_exports_escape_formulas(portfolio: Portfolio) -> None:
    browser = browser_for(portfolio.company, "alice")
    url = reverse("assessment:cycle_export", args=[portfolio.cycle.pk, "xlsx"])
    response = browser.get(url, {"q": "C3"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][3] == '\'=HYPERLINK("http://evil")'
    assert browser.get(url.replace("xlsx", "pdf")).status_code == 404


# --- Portfolio matrix --------------------------------------------------------------------------


def json_script(response: Any, element_id: str) -> Any:
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, f"no {element_id} on the page"
    return json.loads(found.group(1))


def test_the_matrix_page_carries_the_points(portfolio: Portfolio) -> None:
    browser = browser_for(portfolio.company, "bob")
    response = browser.get(reverse("assessment:matrix"))
    assert response.status_code == 200
    data = json_script(response, "matrix-data")
    assert data["total"] == data["shown"] == 44
    assert data["potential_high"] == 60 and data["attractiveness_high"] == 60
    top = data["points"][0]
    assert top["name"] == "Client 39" and top["status"] == "standard"
    assert {"x", "y", "revenue", "cell", "proposed", "id"} <= set(top)
    labels = json_script(response, "matrix-labels")
    assert labels["cells"]["strategic"] == "Strategic"
    assert response.context["counts"]["total"] == 44
    page = response.content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in page and "kam/matrix.js" in page
    assert "cdn" not in page.lower()

    promoted = json_script(
        browser.get(reverse("assessment:matrix"), {"change": "promote"}), "matrix-data"
    )
    assert {p["id"] for p in promoted["points"]} == set(portfolio.ids(*portfolio.promoted))

    older = browser.get(reverse("assessment:matrix"), {"cycle": portfolio.previous.pk})
    assert older.context["cycle"] == portfolio.previous


def test_the_matrix_counts_clients_per_cell_and_status(portfolio: Portfolio) -> None:
    counts = (
        browser_for(portfolio.company, "alice").get(reverse("assessment:matrix")).context["counts"]
    )
    expected: dict[tuple[str, str], int] = {}
    for a in Assessment.objects.filter(cycle=portfolio.cycle).select_related("client"):
        key = (a.cell, a.client.status)
        expected[key] = expected.get(key, 0) + 1
    statuses = [code for code, _label in counts["statuses"]]
    got = {
        (row["cell"], status): n
        for row in counts["rows"]
        for status, n in zip(statuses, row["counts"], strict=True)
        if n
    }
    assert got == expected


def test_the_matrix_without_a_cycle_says_so(company: Company) -> None:
    response = browser_for(company, "grace").get(reverse("assessment:matrix"))
    assert response.status_code == 200
    assert "No re-evaluation cycle has run yet" in response.content.decode()


# --- Who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["alice", "bob", "charlie", "erin", "frank", "ivan"])
def test_the_navigation_shows_assessment_to_those_who_see_every_client(
    company: Company,
    login: str,
) -> None:
    response = browser_for(company, login).get(reverse("tokens"))
    entries = [e["key"] for e in response.context["nav_entries"]]
    assert ("assessment" in entries) == (login in VIEWERS)


def test_each_page_answers_the_roles_on_a_real_cycle(portfolio: Portfolio) -> None:
    pk = portfolio.cycle.pk
    pages = [
        reverse("assessment:cycles"),
        reverse("assessment:cycle", args=[pk]),
        reverse("assessment:cycle_export", args=[pk, "csv"]),
        reverse("assessment:matrix"),
    ]
    for login in ["alice", "bob", "charlie", "dave", "erin", "frank", "grace", "heidi", "ivan"]:
        browser = browser_for(portfolio.company, login)
        for url in pages:
            expected = 200 if login in VIEWERS else 403
            assert browser.get(url).status_code == expected, (login, url)


def test_the_proposals_page_does_not_grow_with_its_rows(portfolio: Portfolio) -> None:
    browser = browser_for(portfolio.company, "bob")
    url = cycle_url(portfolio.cycle)

    def queries(params: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url, params).status_code == 200
        return len(captured)

    assert queries({"change": "demote"}) == queries({})  # 3 rows against 44


def test_too_many_proposals_at_once_are_refused(
    portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kam.assessment.views.DECIDE_AT_ONCE", 2)
    bob = browser_for(portfolio.company, "bob")
    response = decide(bob, portfolio.cycle, "accept:filter", query="change=demote")
    assert response.status_code == 302
    assert "narrow the filter to 2 or fewer" in texts(response)[0]
    assert not StatusDecision.objects.exists()
