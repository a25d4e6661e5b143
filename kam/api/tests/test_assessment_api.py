"""/api/assessment: cycles, their proposals, a client's assessment and status decisions.

The company of the API tests (conftest) with C2 and C3 made key accounts before the cycle:
with so little to buy, the model proposes to demote all three clients (C1 is key too).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kam.api.services import api_token_create
from kam.api.tests.conftest import Company, MakeClient, months_ago
from kam.assessment.models import Assessment, AssessmentCycle, DataCollection, StatusDecision
from kam.assessment.services import cycle_run
from kam.audit.models import AuditEntry
from kam.clients.models import Client
from kam.organization.testing import staff_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(company: Company) -> AssessmentCycle:
    """Today's cycle, with every client a key account when it ran: three demotions."""
    Client.objects.filter(code__in=["C2", "C3"]).update(status="key")
    return cycle_run(as_of=timezone.localdate())


def head(company: Company) -> HttpClient:
    """bob, the key-account head (not in the API company): he decides statuses."""
    users, _employees = staff_create(
        [("bob", "E2", "Борис Главный", "key_accounts", "key_account_head")]
    )
    _token, secret = api_token_create(user=users["bob"], name="tests")
    return HttpClient(headers={"Authorization": f"Bearer {secret}"})


def codes(body: dict[str, Any]) -> list[str]:
    return [item["client"]["code"] for item in body["items"]]


def decide(api: HttpClient, client: Client, **fields: Any) -> Any:
    body = {"client_id": client.pk, "status": "potential_key", "further_work": "collect"}
    return api.post(
        "/api/assessment/decisions",
        {**body, "reason": "Большой потенциал", **fields},
        content_type="application/json",
    )


# --- Cycles ------------------------------------------------------------------------------------


def test_it_lists_cycles_latest_first(company: Company, bearer: MakeClient) -> None:
    today = timezone.localdate()
    earlier = cycle_run(as_of=months_ago(today, 3, day=15))
    latest = cycle_run(as_of=today, user=company.users["grace"])
    body = bearer("frank").get("/api/assessment/cycles").json()
    assert body["count"] == 2
    assert [c["id"] for c in body["items"]] == [latest.pk, earlier.pk]
    first = body["items"][0]
    assert first["as_of"] == today.isoformat()
    assert first["data_to"] == (today.replace(day=1) - dt.timedelta(days=1)).isoformat()
    assert (first["model_version"], first["state"], first["clients"]) == (1, "done", 3)
    assert first["proposals"] == {"promote": 0, "demote": 1, "keep": 2}
    assert first["pending"] == 1, "C1, a key account, is proposed for demotion"
    assert first["run_by"] == "grace"
    assert body["items"][1]["run_by"] is None, "run by a command"
    page = bearer("frank").get("/api/assessment/cycles?limit=1&offset=1").json()
    assert page["count"] == 2 and [c["id"] for c in page["items"]] == [earlier.pk]


def test_it_shows_one_cycle(company: Company, bearer: MakeClient, cycle: AssessmentCycle) -> None:
    body = bearer("grace").get(f"/api/assessment/cycles/{cycle.pk}").json()
    assert (body["id"], body["clients"], body["pending"]) == (cycle.pk, 3, 3)
    assert body["proposals"] == {"promote": 0, "demote": 3, "keep": 0}
    missing = bearer("grace").get(f"/api/assessment/cycles/{cycle.pk + 1}")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}


def test_it_keeps_cycles_from_key_account_managers(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    for path in ["", f"/{cycle.pk}", f"/{cycle.pk}/assessments"]:
        response = bearer("charlie").get(f"/api/assessment/cycles{path}")
        assert response.status_code == 403, path
        assert "detail" in response.json()


def test_it_lists_a_cycles_proposals_by_priority(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    body = bearer("alice").get(f"/api/assessment/cycles/{cycle.pk}/assessments").json()
    assert body["count"] == 3 and codes(body) == ["C1", "C2", "C3"]
    c1 = body["items"][0]
    assert c1["client"] == {"id": company.clients["C1"].pk, "code": "C1", "name": "ООО «Ромашка»"}
    assert c1["priority_rank"] == 1 and c1["cycle_id"] == cycle.pk
    assert (c1["current_status"], c1["proposed_status"]) == ("key", "standard")
    assert (c1["change"], c1["review"], c1["cell"]) == ("demote", "pending", "streamline")
    assert c1["previous_cell"] is None and c1["previous_proposed_status"] is None
    # The 90-day-old sale: this month's sales are after the last whole month.
    assert c1["metrics"]["revenue_12m"] == 200.0
    assert c1["metrics"]["abc"] == "A"
    assert body["items"][1]["metrics"]["abc"] is None, "C2 bought nothing in 12 months"
    stored = Assessment.objects.get(cycle=cycle, client=company.clients["C1"])
    assert c1["potential"] == stored.potential and c1["priority"] == stored.priority


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=c2", ["C2"]),
        ("q=ромаш", ["C1"]),
        ("q=7707083893", ["C1"]),
        ("abc=A", ["C1"]),
        ("change=demote&review=pending", ["C1", "C2", "C3"]),
        ("change=keep", []),
        ("cell=streamline&current_status=key&proposed_status=standard", ["C1", "C2", "C3"]),
        ("cell=strategic", []),
        ("changed=true", []),
        ("changed=false", ["C1", "C2", "C3"]),
        ("ordering=-name", ["C1", "C3", "C2"]),
        ("ordering=name", ["C2", "C3", "C1"]),
        ("ordering=-revenue&limit=1", ["C1"]),
        ("limit=2&offset=1", ["C2", "C3"]),
    ],
)
def test_it_filters_a_cycles_proposals(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle, query: str, expected: list[str]
) -> None:
    response = bearer("alice").get(f"/api/assessment/cycles/{cycle.pk}/assessments?{query}")
    assert response.status_code == 200, response.json()
    assert codes(response.json()) == expected


def test_it_refuses_an_unknown_filter_value(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    response = bearer("alice").get(f"/api/assessment/cycles/{cycle.pk}/assessments?cell=gold")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cell"]


def test_it_says_what_changed_since_the_previous_cycle(
    company: Company, bearer: MakeClient
) -> None:
    today = timezone.localdate()
    cycle_run(as_of=months_ago(today, 3, day=15))
    Client.objects.filter(code="C2").update(status="key")
    latest = cycle_run(as_of=today)
    items = bearer("alice").get(f"/api/assessment/cycles/{latest.pk}/assessments").json()["items"]
    differs = {
        i["client"]["code"]
        for i in items
        if (i["previous_cell"], i["previous_proposed_status"]) != (i["cell"], i["proposed_status"])
    }
    assert all(i["previous_cell"] for i in items), "every client was assessed before"
    url = f"/api/assessment/cycles/{latest.pk}/assessments"
    assert set(codes(bearer("alice").get(f"{url}?changed=true").json())) == differs
    unchanged = set(codes(bearer("alice").get(f"{url}?changed=false").json()))
    assert unchanged == {"C1", "C2", "C3"} - differs


def test_it_runs_a_cycle_once_per_date(company: Company, bearer: MakeClient) -> None:
    today = timezone.localdate().isoformat()
    api = bearer("grace")
    first = api.post("/api/assessment/cycles", {"as_of": today}, content_type="application/json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["as_of"], body["clients"], body["run_by"]) == (today, 3, "grace")
    again = api.post("/api/assessment/cycles", {"as_of": today}, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert {k: v for k, v in again.json().items() if k not in {"seconds", "finished_at"}} == {
        k: v for k, v in body.items() if k not in {"seconds", "finished_at"}
    }
    assert AssessmentCycle.objects.count() == 1 and Assessment.objects.count() == 3
    actions = AuditEntry.objects.filter(object_type="assessment.assessmentcycle")
    assert sorted(actions.values_list("action", flat=True)) == [
        "assessment.cycle_rerun",
        "assessment.cycle_run",
    ]
    assert set(actions.values_list("actor_label", flat=True)) == {"grace"}


@pytest.mark.parametrize("when", ["future", "too early"])
def test_it_refuses_a_date_it_cannot_assess(
    company: Company, bearer: MakeClient, when: str
) -> None:
    # The date is taken when the test runs, not when it is collected: a run that crosses
    # midnight must not turn "tomorrow" into "today".
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    as_of = tomorrow if when == "future" else dt.date(1999, 12, 31)
    response = bearer("alice").post(
        "/api/assessment/cycles", {"as_of": as_of.isoformat()}, content_type="application/json"
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "payload", "as_of"]
    assert AssessmentCycle.objects.count() == 0


@pytest.mark.parametrize("login", ["charlie", "frank"])
def test_it_lets_only_assessors_run_cycles(
    company: Company, bearer: MakeClient, login: str
) -> None:
    response = bearer(login).post(
        "/api/assessment/cycles",
        {"as_of": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "You may not run re-evaluation cycles."}
    assert AssessmentCycle.objects.count() == 0


# --- A client's assessment ---------------------------------------------------------------------


def test_it_explains_a_clients_scores(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    c1 = company.clients["C1"]
    body = bearer("charlie").get(f"/api/assessment/clients/{c1.pk}").json()
    assert body["client"]["code"] == "C1" and body["status"] == "key"
    assert body["cycle"] == {"id": cycle.pk, "as_of": cycle.as_of.isoformat(), "model_version": 1}
    assessment = body["assessment"]
    for axis in ("potential", "attractiveness"):
        part = body["explanation"][axis]
        contributions = sum(c["contribution"] for c in part["criteria"])
        assert contributions == pytest.approx(part["score"])
        # The stored normalised values are rounded to 0.1 point: the explained score is
        # within 0.05 of the one the cycle computed (the weight shares sum to 1).
        assert part["score"] == pytest.approx(assessment[axis], abs=0.05)
        counted = [c for c in part["criteria"] if not c["missing"]]
        assert sum(c["weight_share"] for c in counted) == pytest.approx(1.0)
        for criterion in part["criteria"]:
            assert criterion["missing"] == (criterion["normalised"] is None)
            assert criterion["label"]
    gap = next(c for c in body["explanation"]["potential"]["criteria"] if c["missing"])
    assert (gap["value"], gap["contribution"], gap["weight_share"]) == (None, 0.0, 0.0)
    assert [h["cycle"]["id"] for h in body["history"]] == [cycle.pk]
    assert body["decisions"] == []
    collection = body["data_collection"]
    assert collection["collecting"] is False and collection["opened_at"] is None
    done = {item["key"]: item["done"] for item in collection["checklist"]}
    assert done == {
        "tax_id": True,
        "industry": True,
        "region": True,
        "employees": False,
        "annual_revenue": False,
        "purchase_potential": False,
        "decision_makers": False,
    }
    assert collection["completeness"] == pytest.approx(3 / 7)


def test_it_answers_for_a_client_never_assessed(company: Company, bearer: MakeClient) -> None:
    body = bearer("alice").get(f"/api/assessment/clients/{company.clients['C3'].pk}").json()
    assert body["assessment"] is None and body["cycle"] is None and body["explanation"] is None
    assert body["history"] == [] and body["data_collection"]["completeness"] == 0.0


def test_it_hides_another_managers_client_as_not_found(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    c1 = company.clients["C1"].pk
    assert bearer("dave").get(f"/api/assessment/clients/{c1}").status_code == 404
    assert bearer("charlie").get("/api/assessment/clients/999999").status_code == 404
    assert bearer("ivan").get(f"/api/assessment/clients/{c1}").status_code == 403


# --- Status decisions --------------------------------------------------------------------------


def test_a_decision_changes_the_status_and_is_audited(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    c2 = company.clients["C2"]
    next_review = timezone.localdate() + dt.timedelta(days=90)
    response = decide(bearer("alice"), c2, next_review=next_review.isoformat())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["client"] == {"id": c2.pk, "code": "C2", "name": "АО «Василёк»"}
    assert (body["status_before"], body["status"]) == ("key", "potential_key")
    assert (body["further_work"], body["reason"]) == ("collect", "Большой потенциал")
    assert (body["next_review"], body["decided_by"]) == (next_review.isoformat(), "alice")
    stored = Assessment.objects.get(cycle=cycle, client=c2)
    assert body["assessment_id"] == stored.pk and body["model_version"] == 1
    assert (body["potential"], body["cell"]) == (stored.potential, stored.cell)
    c2.refresh_from_db()
    assert c2.status == "potential_key"
    entry = AuditEntry.objects.get(action="client.status_decided")
    assert (entry.actor_label, entry.object_id) == ("alice", str(c2.pk))
    assert entry.data["before"] == "key" and entry.data["after"] == "potential_key"
    assert entry.data["decision_id"] == body["id"]
    # The proposal (demote to standard) disagreed with the decision: it is rejected.
    stored.refresh_from_db()
    assert stored.review == "rejected"
    # Entering "potential key" opens a data collection, shown with the client's assessment.
    assert DataCollection.objects.filter(client=c2, closed_at__isnull=True).exists()
    panel = bearer("dave").get(f"/api/assessment/clients/{c2.pk}").json()
    assert panel["status"] == "potential_key"
    assert panel["data_collection"]["collecting"] is True
    assert panel["data_collection"]["opened_at"] is not None
    assert [d["id"] for d in panel["decisions"]] == [body["id"]]


def test_the_key_account_head_decides_too(company: Company, cycle: AssessmentCycle) -> None:
    response = decide(head(company), company.clients["C1"], status="key", further_work="develop")
    assert response.status_code == 201, response.json()
    assert response.json()["decided_by"] == "bob"
    assert Assessment.objects.get(cycle=cycle, client=company.clients["C1"]).review == "rejected"


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_decision_needs_a_reason(company: Company, bearer: MakeClient, reason: str) -> None:
    response = decide(bearer("alice"), company.clients["C2"], reason=reason)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "payload", "reason"]
    assert error["msg"] == "Say why: the reason is kept with the decision."
    assert not StatusDecision.objects.exists()
    assert Client.objects.get(code="C2").status == "standard"


def test_a_decision_refuses_an_unknown_status(company: Company, bearer: MakeClient) -> None:
    response = decide(bearer("alice"), company.clients["C2"], status="vip")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "status"]


@pytest.mark.parametrize("login", ["charlie", "frank", "grace"])
def test_only_deciders_decide(company: Company, bearer: MakeClient, login: str) -> None:
    # charlie is C1's manager, and still may not decide its status.
    response = decide(bearer(login), company.clients["C1"])
    assert response.status_code == 403
    assert "director" in response.json()["detail"]
    assert not StatusDecision.objects.exists()


def test_a_decision_on_an_unknown_client_is_not_found(company: Company, bearer: MakeClient) -> None:
    response = bearer("alice").post(
        "/api/assessment/decisions",
        {"client_id": 999999, "status": "key", "further_work": "develop", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_it_lists_decisions_the_caller_may_see(company: Company, bearer: MakeClient) -> None:
    c1, c2 = company.clients["C1"], company.clients["C2"]
    first = decide(bearer("alice"), c1, status="key", further_work="develop").json()
    second = decide(bearer("alice"), c2).json()
    body = bearer("frank").get("/api/assessment/decisions").json()
    assert body["count"] == 2 and [d["id"] for d in body["items"]] == [second["id"], first["id"]]
    only_c1 = bearer("frank").get(f"/api/assessment/decisions?client_id={c1.pk}").json()
    assert [d["id"] for d in only_c1["items"]] == [first["id"]]
    own = bearer("charlie").get("/api/assessment/decisions").json()
    assert own["count"] == 1 and own["items"][0]["client"]["code"] == "C1"
    hidden = bearer("dave").get(f"/api/assessment/decisions?client_id={c1.pk}").json()
    assert hidden == {"count": 0, "items": []}
    assert bearer("ivan").get("/api/assessment/decisions").status_code == 403


# --- Proposals in bulk -------------------------------------------------------------------------


def accept(api: HttpClient, cycle: AssessmentCycle, ids: list[int], verdict: str = "accept") -> Any:
    return api.post(
        f"/api/assessment/cycles/{cycle.pk}/proposals/{verdict}",
        {"client_ids": ids, "note": "Квартальный пересмотр"},
        content_type="application/json",
    )


def test_it_accepts_and_rejects_proposals_in_bulk(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    c1, c2, c3 = (company.clients[code] for code in ("C1", "C2", "C3"))
    api = bearer("alice")
    response = accept(api, cycle, [c1.pk, c2.pk, c2.pk, 999999])
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["accepted"], body["skipped"]) == (2, [999999])
    assert [d["client"]["code"] for d in body["decisions"]] == ["C1", "C2"]
    for decision in body["decisions"]:
        assert (decision["status_before"], decision["status"]) == ("key", "standard")
        assert decision["further_work"] == "serve", "the streamline cell's default"
        assert decision["reason"].endswith("Квартальный пересмотр")
        assert decision["next_review"] is not None
    assert set(Client.objects.filter(status="standard").values_list("code", flat=True)) == {
        "C1",
        "C2",
    }
    assert AuditEntry.objects.filter(action="client.status_decided").count() == 2
    assert api.get(f"/api/assessment/cycles/{cycle.pk}").json()["pending"] == 1

    rejected = accept(api, cycle, [c3.pk, c1.pk], verdict="reject")
    assert rejected.status_code == 200, rejected.json()
    assert rejected.json() == {"rejected": 1, "skipped": [c1.pk]}
    c3.refresh_from_db()
    assert c3.status == "key", "a rejected proposal leaves the status"
    reviews = dict(Assessment.objects.filter(cycle=cycle).values_list("client__code", "review"))
    assert reviews == {"C1": "accepted", "C2": "accepted", "C3": "rejected"}
    entry = AuditEntry.objects.get(action="assessment.proposals_rejected")
    assert entry.data == {"client_ids": [c3.pk], "note": "Квартальный пересмотр"}
    listed = api.get(f"/api/assessment/cycles/{cycle.pk}/assessments?review=pending").json()
    assert listed["count"] == 0


def test_it_decides_only_the_latest_cycles_proposals(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    older = cycle_run(as_of=months_ago(timezone.localdate(), 3, day=15))
    assert AssessmentCycle.objects.filter(as_of__gt=older.as_of).exists()
    response = accept(bearer("alice"), older, [company.clients["C1"].pk])
    assert response.status_code == 409
    assert response.json() == {"detail": "Only the latest cycle's proposals can be decided."}


def test_proposals_are_decided_by_deciders_only(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    ids = [company.clients["C1"].pk]
    for login in ["grace", "frank", "charlie"]:
        for verdict in ["accept", "reject"]:
            assert accept(bearer(login), cycle, ids, verdict).status_code == 403, (login, verdict)
    assert Assessment.objects.filter(cycle=cycle, review="pending").count() == 3
    assert accept(head(company), cycle, ids, "reject").json()["rejected"] == 1
    missing = AssessmentCycle(pk=cycle.pk + 1)
    assert accept(bearer("alice"), missing, ids).status_code == 404


def test_it_needs_at_least_one_client(
    company: Company, bearer: MakeClient, cycle: AssessmentCycle
) -> None:
    response = accept(bearer("alice"), cycle, [])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "client_ids"]
