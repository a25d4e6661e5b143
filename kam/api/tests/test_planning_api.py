"""/api/plans: development plans through the API, with the same services as the pages.

The company of the API tests (conftest): C1 is a key account of charlie's that bought 1500 on
the first day of this month (margin 500), 200 about 90 days ago and 700 13 months ago; C2 a
standard client of dave's; helen is the key-account head, frank the auditor.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kam.api.tests.conftest import Company, MakeClient, assigned_since
from kam.audit.models import AuditEntry
from kam.clients.models import Client
from kam.imports.services import import_file
from kam.keyaccounts.choices import Source
from kam.keyaccounts.services import assignments_sync
from kam.planning.actuals import plans_progress
from kam.planning.models import DevelopmentPlan, PlanTarget
from kam.planning.periods import Period
from kam.planning.selectors import plans_queryset
from kam.planning.services import current_period

pytestmark = pytest.mark.django_db

JSON = "application/json"


def errors(response: Any) -> dict[str, str]:
    """A 422's refusals: the location after body/payload (or the path) → message."""
    assert response.status_code == 422, response.content
    found = {}
    for item in response.json()["detail"]:
        loc = item["loc"][2:] if item["loc"][:2] == ["body", "payload"] else item["loc"]
        found[".".join(str(part) for part in loc)] = item["msg"]
    return found


def make_plan(api: HttpClient, client: str = "C1", **fields: Any) -> Any:
    return api.post("/api/plans", {"client_code": client, **fields}, content_type=JSON)


def target_of(plan: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(t for t in plan["targets"] if t["kind"] == kind)


def patch(api: HttpClient, url: str, body: dict[str, Any]) -> Any:
    return api.patch(url, body, content_type=JSON)


def post(api: HttpClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(url, body or {}, content_type=JSON)


def c4(company: Company) -> Client:
    """A second key account of charlie's, without sales."""
    client = Client.objects.create(
        code="C4", name="АО «Лютик»", status="key", responsible=company.employees["charlie"]
    )
    assignments_sync(
        client_filter_sql="c.code = %s",
        params=["C4"],
        on=assigned_since(timezone.localdate()),
        source=Source.INITIAL,
    )
    return client


# --- The workflow ------------------------------------------------------------------------------


def test_a_plan_goes_from_draft_to_approved_and_refuses_to_close_before_its_end(
    company: Company, bearer: MakeClient
) -> None:
    charlie, helen = bearer("charlie"), bearer("helen")
    period = current_period()
    created = make_plan(charlie)
    assert created.status_code == 201, created.content
    plan = created.json()
    url = f"/api/plans/{plan['id']}"
    assert plan["client"] == {
        "id": company.clients["C1"].pk,
        "code": "C1",
        "name": "ООО «Ромашка»",
        "status": "key",
    }
    assert plan["period"]["code"] == period.code and plan["period"]["kind"] == "month"
    assert (plan["state"], plan["owner"]["code"], plan["created_by"]) == ("draft", "E3", "charlie")
    # Proposed from the ledger: the number and how it was computed.
    revenue = target_of(plan, "revenue")
    assert revenue["proposed_value"] == revenue["value"]
    assert revenue["basis"]["method"] == "revenue"
    assert revenue["basis_text"].startswith("Average month of the last 12")
    assert [e["kind"] for e in plan["events"]] == ["created"]

    edited = patch(charlie, f"{url}/targets/{revenue['id']}", {"value": 5000})
    assert edited.status_code == 200, edited.content
    assert (edited.json()["value"], edited.json()["proposed_value"]) == (
        5000.0,
        revenue["proposed_value"],
    )
    today = timezone.localdate()
    action = post(charlie, f"{url}/actions", {"kind": "call", "title": "Позвонить", "due": today})
    assert action.status_code == 201, action.content
    assert action.json()["responsible"]["code"] == "E3"
    assert action.json()["status"] == "planned"
    summary = patch(charlie, url, {"summary": "Рост на 10 %"})
    assert summary.status_code == 200 and summary.json()["summary"] == "Рост на 10 %"

    submitted = post(charlie, f"{url}/submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "submitted"
    own = post(charlie, f"{url}/approve")
    assert own.status_code == 403
    assert own.json()["detail"] == "Plans are approved by the key-account head or the director."
    approved = post(helen, f"{url}/approve", {"comment": "Согласовано"})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert (body["state"], body["approved_by"]) == ("approved", "helen")
    assert [(e["kind"], e["actor"], e["comment"]) for e in body["events"]] == [
        ("created", "charlie", ""),
        ("submitted", "charlie", ""),
        ("approved", "helen", "Согласовано"),
    ]
    again = post(helen, f"{url}/approve")
    assert again.status_code == 409
    assert again.json()["detail"] == "Only a submitted plan is approved; this one is approved."

    early = post(charlie, f"{url}/close", {"results": [], "summary": ""})
    assert errors(early) == {
        "path.plan_id": f"The period runs until {period.end}: a plan closes after its period."
    }
    # Targets change only in a draft; actions still come up while the plan runs.
    late = patch(charlie, f"{url}/targets/{revenue['id']}", {"value": 6000})
    assert late.status_code == 409
    assert "targets change only in a draft" in late.json()["detail"]
    extra = post(charlie, f"{url}/actions", {"kind": "meeting", "title": "Встреча", "due": today})
    assert extra.status_code == 201
    assert PlanTarget.objects.get(pk=revenue["id"]).value == 5000
    actions = {a.action for a in AuditEntry.objects.filter(action__startswith="planning.")}
    assert {"planning.plan_created", "planning.target_changed", "planning.plan_approved"} <= (
        actions
    )


def test_a_past_period_closes_with_a_reason_for_every_missed_target(
    company: Company, bearer: MakeClient
) -> None:
    charlie, helen = bearer("charlie"), bearer("helen")
    previous = current_period().previous()
    plan = make_plan(charlie, period=previous.code, continue_previous=False).json()
    url = f"/api/plans/{plan['id']}"
    assert plan["period"]["code"] == previous.code
    for target in plan["targets"]:
        assert charlie.delete(f"{url}/targets/{target['id']}").status_code == 204
    revenue = post(charlie, f"{url}/targets", {"kind": "revenue", "value": 1_000_000})
    goal = post(charlie, f"{url}/targets", {"kind": "qualitative", "description": "Встреча с ЛПР"})
    assert (revenue.status_code, goal.status_code) == (201, 201)
    revenue_id, goal_id = revenue.json()["id"], goal.json()["id"]
    due = previous.start.isoformat()
    assert post(charlie, f"{url}/actions", {"kind": "call", "title": "Звонок", "due": due})
    assert post(charlie, f"{url}/submit").status_code == 200
    assert post(helen, f"{url}/approve").status_code == 200

    # The revenue of 1 000 000 was missed; the goal's outcome is not said.
    missing = post(charlie, f"{url}/close", {"results": [{"target_id": revenue_id}]})
    refused = errors(missing)
    assert set(refused) == {"results.0.reason", "results"}
    assert refused["results"] == "Say whether the goal was achieved."
    assert "was missed: say why" in refused["results.0.reason"]
    by_target = {item["target_id"]: item for item in missing.json()["detail"]}
    assert set(by_target) == {revenue_id, goal_id}
    stranger = post(charlie, f"{url}/close", {"results": [{"target_id": 999_999}]})
    assert errors(stranger) == {"results.0.target_id": "Not a target of this plan."}
    assert DevelopmentPlan.objects.get(pk=plan["id"]).state == "approved"

    results = [
        {"target_id": revenue_id, "reason": "Клиент заморозил закупки"},
        {"target_id": goal_id, "achieved": True},
    ]
    closed = post(charlie, f"{url}/close", {"results": results, "summary": "Тяжёлый месяц"})
    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert (body["state"], body["closed_by"], body["closing_summary"]) == (
        "closed",
        "charlie",
        "Тяжёлый месяц",
    )
    targets = {t["id"]: t for t in body["targets"]}
    assert (targets[revenue_id]["met"], targets[revenue_id]["miss_reason"]) == (
        False,
        "Клиент заморозил закупки",
    )
    assert (targets[goal_id]["met"], targets[goal_id]["miss_reason"]) == (True, "")
    lights = {t["target_id"]: t["light"] for t in body["actuals"]["targets"]}
    assert lights == {revenue_id: "red", goal_id: "green"}

    # A closed plan never changes.
    for response in [
        patch(charlie, f"{url}/targets/{revenue_id}", {"value": 1}),
        post(charlie, f"{url}/actions", {"kind": "call", "title": "Ещё", "due": due}),
        patch(charlie, url, {"summary": "Другое"}),
        post(charlie, f"{url}/close", {"results": results}),
        post(helen, f"{url}/return", {"comment": "Переделать"}),
    ]:
        assert response.status_code == 409, response.content
        assert "closed" in response.json()["detail"]


def test_the_approver_returns_a_plan_with_a_comment(company: Company, bearer: MakeClient) -> None:
    charlie, helen = bearer("charlie"), bearer("helen")
    plan = make_plan(charlie).json()
    url = f"/api/plans/{plan['id']}"
    assert post(charlie, f"{url}/submit").status_code == 200
    assert errors(post(helen, f"{url}/return", {"comment": "   "})) == {
        "comment": "Say what to rework: the comment goes to the manager."
    }
    returned = post(helen, f"{url}/return", {"comment": "Мало встреч"})
    assert returned.status_code == 200
    assert (returned.json()["state"], returned.json()["return_comment"]) == ("draft", "Мало встреч")
    assert post(helen, f"{url}/return", {"comment": "Ещё раз"}).status_code == 409
    # Back in the draft, the owner edits it again.
    revenue = target_of(plan, "revenue")
    assert patch(charlie, f"{url}/targets/{revenue['id']}", {"value": 10}).status_code == 200


def test_submitting_needs_a_measured_target_and_an_action(
    company: Company, bearer: MakeClient
) -> None:
    charlie = bearer("charlie")
    plan = make_plan(charlie).json()
    url = f"/api/plans/{plan['id']}"
    for action in plan["actions"]:
        assert charlie.delete(f"{url}/actions/{action['id']}").status_code == 204
    assert errors(post(charlie, f"{url}/submit")) == {
        "path.plan_id": "Plan at least one action before submitting the plan."
    }


# --- Creating ----------------------------------------------------------------------------------


def test_creating_refuses_a_second_plan_and_accounts_that_cannot_have_one(
    company: Company, bearer: MakeClient
) -> None:
    alice = bearer("alice")
    assert make_plan(alice).status_code == 201
    twice = make_plan(alice)
    assert twice.status_code == 409
    assert "already has a plan" in twice.json()["detail"]
    quarter = make_plan(alice, period=f"{current_period().start.year}-Q1")
    if current_period().start.month <= 3:
        assert quarter.status_code == 409, "the quarter overlaps this month's plan"
    else:
        assert quarter.status_code == 201
        assert quarter.json()["period"]["kind"] == "quarter"
    assert "is not a key account" in errors(make_plan(alice, "C2"))["client_code"]
    assert make_plan(alice, "NOPE").status_code == 404
    bad = make_plan(alice, period="2026-13")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "payload", "period"]
    # charlie's account: dave does not find it, the auditor may not make a plan.
    assert make_plan(bearer("dave"), period="2030-01").status_code == 404
    assert make_plan(bearer("frank"), period="2030-01").status_code == 403


def test_propose_missing_makes_the_plans_and_says_why_others_are_skipped(
    company: Company, bearer: MakeClient
) -> None:
    c4(company)
    Client.objects.filter(code="C3").update(status="key")
    helen = bearer("helen")
    body = {"period": current_period().code}
    first = post(helen, "/api/plans/propose-missing", body)
    assert first.status_code == 201, first.content
    result = first.json()
    assert result["period"]["code"] == current_period().code
    assert sorted(p["client"]["code"] for p in result["created"]) == ["C1", "C4"]
    assert [(s["client"]["code"], s["reason"]) for s in result["skipped"]] == [
        ("C3", "ИП Никто (C3) has no responsible manager yet: assign one first.")
    ]
    second = post(helen, "/api/plans/propose-missing", body)
    assert second.status_code == 200
    assert second.json()["created"] == []
    assert len(second.json()["skipped"]) == 3
    assert post(bearer("frank"), "/api/plans/propose-missing", body).status_code == 403


def test_approving_in_bulk_lists_the_refused_with_reasons(
    company: Company, bearer: MakeClient
) -> None:
    c4(company)
    charlie, helen = bearer("charlie"), bearer("helen")
    first = make_plan(charlie).json()["id"]
    second = make_plan(charlie, "C4").json()["id"]
    assert post(charlie, f"/api/plans/{first}/submit").status_code == 200
    response = post(helen, "/api/plans/approve", {"plan_ids": [first, second, 999_999]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [p["id"] for p in body["approved"]] == [first]
    assert body["approved"][0]["state"] == "approved"
    assert body["refused"] == [
        {"plan_id": second, "reason": "Only a submitted plan is approved; this one is draft."},
        {"plan_id": 999_999, "reason": "Not found."},
    ]
    assert post(charlie, "/api/plans/approve", {"plan_ids": [second]}).status_code == 403


# --- Targets and actions -----------------------------------------------------------------------


def test_validation_errors_name_the_field(company: Company, bearer: MakeClient) -> None:
    charlie = bearer("charlie")
    plan = make_plan(charlie).json()
    url = f"/api/plans/{plan['id']}"
    cases: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"kind": "group_revenue", "value": 100}, {"product_group": "Name the product group."}),
        ({"kind": "new_groups", "value": 1.5}, {"value": "A whole number, please."}),
        ({"kind": "qualitative", "description": "  "}, {"description": "Describe the goal."}),
        ({"kind": "margin"}, {"value": "Give the target a number."}),
        ({"kind": "revenue", "value": 1}, {"kind": "The plan already has this target."}),
    ]
    for body, expected in cases:
        assert errors(post(charlie, f"{url}/targets", body)) == expected, body
    far = (current_period().end + dt.timedelta(days=60)).isoformat()
    refused = errors(post(charlie, f"{url}/actions", {"kind": "call", "title": "X", "due": far}))
    assert list(refused) == ["due"]
    blank = post(charlie, f"{url}/actions", {"kind": "call", "title": " ", "due": far})
    assert errors(blank) == {"title": "Say what is to be done."}
    nobody = post(
        charlie,
        f"{url}/actions",
        {"kind": "call", "title": "X", "due": timezone.localdate(), "responsible_code": "E99"},
    )
    assert errors(nobody) == {"responsible_code": "No employee with this code."}
    # Outside the document: django-ninja's own 422 names the field too.
    assert post(charlie, f"{url}/targets", {"kind": "revenue", "value": -1}).status_code == 422
    wrong = post(charlie, f"{url}/targets", {"kind": "bonus", "value": 1})
    assert wrong.json()["detail"][0]["loc"] == ["body", "payload", "kind"]
    # JSON as the document says: a number is not a string, a body is an object.
    text = post(charlie, f"{url}/targets", {"kind": "revenue", "value": "5"})
    assert text.json()["detail"][0]["loc"] == ["body", "payload", "value"]
    listed = charlie.post("/api/plans/propose-missing", [], content_type=JSON)
    assert listed.status_code == 422


def test_the_action_s_responsible_records_its_outcome(company: Company, bearer: MakeClient) -> None:
    charlie, helen = bearer("charlie"), bearer("helen")
    plan = make_plan(charlie).json()
    url = f"/api/plans/{plan['id']}"
    today = timezone.localdate().isoformat()
    created = post(
        charlie,
        f"{url}/actions",
        {"kind": "qbr", "title": "Бизнес-обзор", "due": today, "responsible_code": "E9"},
    )
    action_url = f"{url}/actions/{created.json()['id']}"
    assert created.json()["responsible"]["code"] == "E9"
    refused = patch(helen, action_url, {"title": "Другое"})
    assert refused.status_code == 403
    assert errors(patch(helen, action_url, {"status": "done"})) == {
        "outcome": "Say what came of it: the outcome is the account's activity log."
    }
    done = patch(helen, action_url, {"status": "done", "outcome": "Договорились о скидке"})
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["done_on"]) == ("done", today)
    kept = charlie.delete(action_url)
    assert errors(kept) == {
        "path.action_id": "A done action is part of the account's history: it stays."
    }
    assert bearer("frank").delete(action_url).status_code == 403
    # An employee of another account, given an action, reads the plan and records the outcome.
    dave = bearer("dave")
    given = {"kind": "call", "title": "Звонок", "due": today, "responsible_code": "E4"}
    call_url = f"{url}/actions/{post(charlie, f'{url}/actions', given).json()['id']}"
    assert dave.get(url).status_code == 200
    assert patch(dave, call_url, {"due": today}).status_code == 403
    recorded = patch(dave, call_url, {"status": "done", "outcome": "Перезвонить в мае"})
    assert recorded.status_code == 200, recorded.content


# --- Scope -------------------------------------------------------------------------------------


def test_a_manager_sees_own_plans_and_the_auditor_reads_all_but_writes_nothing(
    company: Company, bearer: MakeClient
) -> None:
    plan = make_plan(bearer("charlie")).json()
    url = f"/api/plans/{plan['id']}"
    for login in ["dave", "erin"]:
        api = bearer(login)
        assert api.get("/api/plans").json() == {"count": 0, "items": []}
        assert api.get(url).status_code == 404
        assert api.get(f"{url}/actuals").status_code == 404
        assert post(api, f"{url}/submit").status_code == 404
    assert bearer("charlie").get("/api/plans").json()["count"] == 1
    frank = bearer("frank")
    listed = frank.get("/api/plans").json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]
    assert frank.get(url).status_code == 200
    assert frank.get(f"/api/plans/department?period={current_period().code}").status_code == 200
    revenue = target_of(plan, "revenue")
    refusals = [
        patch(frank, url, {"summary": "x"}),
        post(frank, f"{url}/targets", {"kind": "revenue", "value": 1}),
        patch(frank, f"{url}/targets/{revenue['id']}", {"value": 1}),
        frank.delete(f"{url}/targets/{revenue['id']}"),
        post(frank, f"{url}/submit"),
        post(frank, f"{url}/approve"),
        post(frank, f"{url}/return", {"comment": "x"}),
        post(frank, f"{url}/close", {"results": []}),
        post(frank, "/api/plans/approve", {"plan_ids": [plan["id"]]}),
        frank.put("/api/plans/settings", {"period": "quarter", "approve_by_day": 3}, JSON),
        make_plan(frank, period="2030-01"),
    ]
    assert [r.status_code for r in refusals] == [403] * len(refusals)
    # The head reads the plan but only its owner writes it.
    helen = bearer("helen")
    assert helen.get(url).status_code == 200
    assert patch(helen, url, {"summary": "x"}).status_code == 403


def test_the_list_filters_by_period_state_client_and_owner(
    company: Company, bearer: MakeClient
) -> None:
    c4(company)
    charlie = bearer("charlie")
    now = current_period()
    first = make_plan(charlie).json()["id"]
    make_plan(charlie, "C4", period=now.previous().code)
    post(charlie, f"/api/plans/{first}/submit")
    alice = bearer("alice")

    def codes(query: str) -> list[str]:
        response = alice.get(f"/api/plans?{query}")
        assert response.status_code == 200, response.content
        return [p["client"]["code"] for p in response.json()["items"]]

    assert codes("") == ["C1", "C4"]
    assert codes(f"period={now.code}") == ["C1"]
    assert codes(f"period={now.previous().code}") == ["C4"]
    assert codes(f"period={now.start.year}-Q{(now.start.month - 1) // 3 + 1}") == []
    assert codes("state=submitted") == ["C1"]
    assert codes("client_code=C4") == ["C4"]
    assert codes("owner_code=E4") == []
    assert codes("owner_code=E3&limit=1&offset=1") == ["C4"]
    assert alice.get("/api/plans?period=2026-Q5").status_code == 422


# --- Plan against actual -----------------------------------------------------------------------


def test_the_actuals_are_the_service_s_figures_and_move_with_an_import(
    company: Company, bearer: MakeClient, tmp_path: Path
) -> None:
    charlie = bearer("charlie")
    plan = make_plan(charlie).json()
    period = current_period()
    url = f"/api/plans/{plan['id']}/actuals"

    def service_figures() -> dict[int, tuple[Any, ...]]:
        model = plans_queryset().get(pk=plan["id"])
        progress = plans_progress([model], timezone.localdate())[model.pk]
        return {t.target.pk: (t.actual, t.forecast, t.light) for t in progress.targets}

    def api_figures(body: dict[str, Any]) -> dict[int, tuple[Any, ...]]:
        return {t["target_id"]: (t["actual"], t["forecast"], t["light"]) for t in body["targets"]}

    body = charlie.get(url).json()
    assert api_figures(body) == service_figures()
    assert body["data_until"] == period.start.isoformat()
    assert body["elapsed_days"] == 1
    revenue = target_of(plan, "revenue")["id"]
    margin = target_of(plan, "margin")["id"]
    figures = api_figures(body)
    assert figures[revenue][:2] == (1500.0, 1500.0 * period.days)
    assert figures[margin][0] == 500.0
    # The detail carries the same figures.
    assert charlie.get(f"/api/plans/{plan['id']}").json()["actuals"] == body

    today = timezone.localdate()
    sales = tmp_path / "more.csv"
    sales.write_text(
        "doc_no,line_no,date,client_code,product_group,quantity,amount,cost,payment_terms_days\n"
        f"S9,1,{today},C1,Бумага,1,300,100,30\n",
        encoding="utf-8",
    )
    assert import_file(kind="sales", path=sales).ok
    moved = charlie.get(url).json()
    assert api_figures(moved) == service_figures()
    assert moved["data_until"] == today.isoformat()
    assert moved["elapsed_days"] == (today - period.start).days + 1
    assert api_figures(moved)[revenue][0] == 1800.0
    assert api_figures(moved)[margin][0] == 700.0


# --- The department and the settings -----------------------------------------------------------


def test_the_department_lists_every_key_account_with_its_state(
    company: Company, bearer: MakeClient
) -> None:
    c4(company)
    period = current_period()
    make_plan(bearer("charlie"))
    helen = bearer("helen")
    response = helen.get(f"/api/plans/department?period={period.code}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"]["code"] == period.code
    assert body["approve_by"] == (period.start + dt.timedelta(days=4)).isoformat()
    assert body["counts"] == {"draft": 1, "submitted": 0, "approved": 0, "closed": 0, "missing": 1}
    rows = {r["client"]["code"]: r for r in body["rows"]}
    assert (rows["C1"]["state"], rows["C4"]["state"]) == ("draft", "missing")
    assert rows["C4"]["plan_id"] is None and rows["C4"]["manager"]["code"] == "E3"
    assert rows["C1"]["revenue"]["actual"] == 1500.0
    assert body["revenue"]["actual"] == 1500.0
    missing = helen.get(f"/api/plans/department?period={period.code}&state=missing").json()
    assert [r["client"]["code"] for r in missing["rows"]] == ["C4"]
    assert missing["counts"] == body["counts"]
    nobody = helen.get("/api/plans/department?manager_code=E99").json()
    assert nobody["rows"] == []
    assert bearer("charlie").get("/api/plans/department").status_code == 403


def test_the_head_sets_the_planning_period(company: Company, bearer: MakeClient) -> None:
    helen = bearer("helen")
    settings = helen.get("/api/plans/settings").json()
    assert (settings["period"], settings["approve_by_day"]) == ("month", 5)
    assert settings["current_period"]["code"] == current_period().code
    changed = helen.put("/api/plans/settings", {"period": "quarter", "approve_by_day": 10}, JSON)
    assert changed.status_code == 200, changed.content
    quarter = changed.json()["current_period"]
    assert (quarter["kind"], changed.json()["approve_by_day"]) == ("quarter", 10)
    assert quarter["code"] == Period("quarter", current_period().start, current_period().end).code
    assert AuditEntry.objects.filter(action="planning.settings_changed").count() == 1
    # A plan made now covers the quarter.
    plan = make_plan(bearer("charlie")).json()
    assert plan["period"]["kind"] == "quarter"
    refused = helen.put("/api/plans/settings", {"period": "year", "approve_by_day": 10}, JSON)
    assert refused.json()["detail"][0]["loc"] == ["body", "payload", "period"]
    assert (
        bearer("charlie")
        .put("/api/plans/settings", {"period": "month", "approve_by_day": 5}, JSON)
        .status_code
        == 403
    )
