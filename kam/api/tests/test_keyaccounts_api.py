"""/api/key-accounts: the board, my accounts, assignment history, handovers, workload limits.

The company of the API tests (conftest): C1 is a key account of charlie's, C2 a standard client
of dave's (a separation conflict: the department keeps no standard clients), C3 nobody's;
helen is the key-account head, erin a sales rep, judy an acquisition rep.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.api.tests.conftest import Company, MakeClient, assigned_since
from kam.audit.models import AuditEntry
from kam.clients.models import Client
from kam.keyaccounts.choices import Source
from kam.keyaccounts.models import Assignment, Handover, WorkloadLimit
from kam.keyaccounts.services import assignments_sync, handover_record

pytestmark = pytest.mark.django_db


def hand_over(api: HttpClient, client: Client, to: str, **fields: Any) -> Any:
    body = {"client_id": client.pk, "to_manager_code": to, "cause": "overload", **fields}
    return api.post("/api/key-accounts/handovers", body, content_type="application/json")


def errors(response: Any) -> dict[str, tuple[str, str]]:
    """A 422's refusals: the body field → (type, message)."""
    assert response.status_code == 422, response.content
    return {
        ".".join(str(part) for part in item["loc"][2:]): (item["type"], item["msg"])
        for item in response.json()["detail"]
    }


def holder(client: Client) -> str | None:
    client.refresh_from_db()
    return client.responsible.code if client.responsible else None


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


def set_limit(api: HttpClient, **body: Any) -> Any:
    return api.put("/api/key-accounts/workload", body, content_type="application/json")


# --- Handovers ---------------------------------------------------------------------------------


def test_a_handover_moves_the_account_and_writes_history_and_audit(
    company: Company, bearer: MakeClient
) -> None:
    today = timezone.localdate()
    c1 = company.clients["C1"]
    response = hand_over(
        bearer("helen"),
        c1,
        "E4",
        reason="Чарли перегружен",
        notes="Звонить по вторникам",
        expected_from_code="E3",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client"] == {"id": c1.pk, "code": "C1", "name": "ООО «Ромашка»"}
    assert (body["from_manager"]["code"], body["to_manager"]["code"]) == ("E3", "E4")
    assert (body["effective"], body["cause"]) == (today.isoformat(), "overload")
    assert (body["reason"], body["notes"]) == ("Чарли перегружен", "Звонить по вторникам")
    assert (body["load_before"], body["limit"], body["over_limit"]) == (1, 15, False)
    assert body["created_by"] == "helen" and body["bulk"] is None
    assert body["acknowledged_at"] is None and body["acknowledged_by"] is None
    briefing = body["briefing"]
    assert briefing["as_of"] == today.isoformat()
    sections = {s["key"]: s for s in briefing["sections"]}
    assert list(sections) == ["contacts", "receivables", "status", "plan", "to_collect"]
    assert sections["plan"]["items"] == []  # no development plan yet
    assert sections["receivables"]["title"] == "Open invoices"
    open_invoices = {d["doc_no"]: d for d in sections["receivables"]["items"]}
    assert open_invoices["S2"]["unpaid"] == 100.0 and open_invoices["S2"]["overdue_days"] > 0
    assert {"fact": "employees"} in sections["to_collect"]["items"]

    assert holder(c1) == "E4"
    history = list(Assignment.objects.filter(client=c1).order_by("start", "pk"))
    assert [(a.manager.code, a.start, a.end) for a in history] == [
        ("E3", assigned_since(today), today),
        ("E4", today, None),
    ]
    assert history[1].handover_id == body["id"] and history[1].source == "handover"
    assert history[1].assigned_by == company.users["helen"]
    [audit] = AuditEntry.objects.filter(action="keyaccounts.handover")
    assert audit.actor == company.users["helen"] and audit.object_id == str(c1.pk)
    assert audit.data["from"] == "E3" and audit.data["to"] == "E4"

    # The same through the API: the history, the client card, the handover itself.
    rows = bearer("alice").get(f"/api/key-accounts/assignments?client_id={c1.pk}").json()
    assert rows["count"] == 2
    latest = rows["items"][0]
    assert (latest["manager"]["code"], latest["end"], latest["source"]) == ("E4", None, "handover")
    assert latest["assigned_by"] == "helen" and latest["handover_id"] == body["id"]
    assert rows["items"][1]["end"] == today.isoformat()
    card = bearer("alice").get(f"/api/clients/{c1.pk}").json()
    assert card["ownership"] == {
        "responsible": {"id": company.employees["dave"].pk, "code": "E4", "name": "Давид Ключевой"},
        "since": today.isoformat(),
        "problem": None,
        "pending_handover_id": body["id"],
    }
    detail = bearer("dave").get(f"/api/key-accounts/handovers/{body['id']}").json()
    assert detail == body


def test_it_refuses_a_stale_expected_manager_with_409_and_writes_nothing(
    company: Company, bearer: MakeClient
) -> None:
    c1, c3 = company.clients["C1"], company.clients["C3"]
    api = bearer("alice")
    stale = hand_over(api, c1, "E4", expected_from_code="E4")
    assert stale.status_code == 409
    assert "changed hands meanwhile" in stale.json()["detail"]
    assert hand_over(api, c1, "E4", expected_from_code=None).status_code == 409, "not nobody's"
    assert not Handover.objects.exists() and holder(c1) == "E3"
    assert not AuditEntry.objects.filter(action="keyaccounts.handover").exists()
    # null: the caller saw nobody responsible, which is true of C3.
    response = hand_over(api, c3, "E5", expected_from_code=None, cause="assignment")
    assert response.status_code == 201 and response.json()["from_manager"] is None
    assert holder(c3) == "E5"


def test_it_refuses_what_the_rules_forbid_with_422_naming_the_field(
    company: Company, bearer: MakeClient
) -> None:
    today = timezone.localdate()
    c1 = company.clients["C1"]
    api = bearer("helen")
    # An acquisition rep does not keep key accounts.
    refused = errors(hand_over(api, c1, "E10"))
    assert list(refused) == ["to_manager_code"]
    assert "key-account department" in refused["to_manager_code"][1]
    # A sales rep neither.
    assert list(errors(hand_over(api, c1, "E5"))) == ["to_manager_code"]
    tomorrow = today + dt.timedelta(days=1)
    refused = errors(hand_over(api, c1, "E4", effective=tomorrow.isoformat()))
    assert list(refused) == ["effective"] and "future" in refused["effective"][1]
    too_early = assigned_since(today) - dt.timedelta(days=1)
    assert list(errors(hand_over(api, c1, "E4", effective=too_early.isoformat()))) == ["effective"]
    assert list(errors(hand_over(api, c1, "E3"))) == ["to_manager_code"], "already his"
    assert list(errors(hand_over(api, c1, "NOBODY"))) == ["to_manager_code"]
    assert list(errors(hand_over(api, c1, "E4", expected_from_code="NOBODY"))) == [
        "expected_from_code"
    ]
    assert list(errors(hand_over(api, c1, "E4", cause="other", reason="  "))) == ["reason"]
    assert not Handover.objects.exists() and holder(c1) == "E3"


def test_over_the_limit_needs_a_confirmation(company: Company, bearer: MakeClient) -> None:
    api = bearer("helen")
    c1 = company.clients["C1"]
    assert set_limit(api, manager_code=None, max_accounts=1).status_code == 200
    refused = errors(hand_over(api, c1, "E4"))  # dave keeps C2 already
    assert list(refused) == ["confirm_over_limit"]
    kind, message = refused["confirm_over_limit"]
    assert kind == "over_limit" and "confirm the assignment above the limit" in message
    assert holder(c1) == "E3"
    response = hand_over(api, c1, "E4", confirm_over_limit=True)
    assert response.status_code == 201
    body = response.json()
    assert (body["over_limit"], body["load_before"], body["limit"]) == (True, 1, 1)
    assert holder(c1) == "E4"


def test_a_manager_cannot_reassign_their_own_account_the_head_can(
    company: Company, bearer: MakeClient
) -> None:
    c1 = company.clients["C1"]
    for login in ["charlie", "dave", "frank", "grace", "erin", "ivan"]:
        response = hand_over(bearer(login), c1, "E4")
        assert response.status_code == 403, login
        assert "key-account head or the director" in response.json()["detail"]
    assert holder(c1) == "E3"
    assert hand_over(bearer("helen"), c1, "E4").status_code == 201
    assert holder(c1) == "E4"


def test_the_head_hands_over_the_departments_accounts_the_director_any(
    company: Company, bearer: MakeClient
) -> None:
    c3 = company.clients["C3"]
    assert hand_over(bearer("alice"), c3, "E5", cause="assignment").status_code == 201
    # C3 is now a standard client of erin's in sales: not the department's to move.
    response = hand_over(bearer("helen"), c3, "E10")
    assert response.status_code == 403
    assert hand_over(bearer("alice"), c3, "E10").status_code == 201
    assert hand_over(bearer("alice"), Client(pk=10**9), "E4").status_code == 404


def test_only_the_receiver_acknowledges(company: Company, bearer: MakeClient) -> None:
    handover = hand_over(bearer("helen"), company.clients["C1"], "E4").json()
    url = f"/api/key-accounts/handovers/{handover['id']}/acknowledge"
    for login in ["charlie", "helen", "alice", "erin", "ivan"]:
        response = bearer(login).post(url)
        assert response.status_code == 403, login
    assert Handover.objects.get(pk=handover["id"]).acknowledged_at is None
    assert bearer("dave").get("/api/key-accounts/mine").json()["pending"][0]["id"] == handover["id"]
    response = bearer("dave").post(url)
    assert response.status_code == 200
    body = response.json()
    assert body["acknowledged_by"] == "dave" and body["acknowledged_at"] is not None
    assert AuditEntry.objects.filter(action="keyaccounts.handover_acknowledged").count() == 1
    again = bearer("dave").post(url)
    assert again.status_code == 200 and again.json()["acknowledged_at"] == body["acknowledged_at"]
    assert AuditEntry.objects.filter(action="keyaccounts.handover_acknowledged").count() == 1
    assert bearer("dave").get("/api/key-accounts/mine").json()["pending"] == []
    assert bearer("helen").get("/api/key-accounts/board").json()["pending"] == []
    assert bearer("dave").post("/api/key-accounts/handovers/999999999/acknowledge").status_code == (
        404
    )


def test_handovers_are_listed_filtered_and_shown_to_whom_they_concern(
    company: Company, bearer: MakeClient
) -> None:
    first = hand_over(bearer("helen"), company.clients["C1"], "E4").json()
    second = hand_over(
        bearer("alice"), company.clients["C3"], "E5", cause="assignment", expected_from_code=None
    ).json()
    bearer("dave").post(f"/api/key-accounts/handovers/{first['id']}/acknowledge")

    def ids(login: str, query: str = "") -> list[int]:
        body = bearer(login).get(f"/api/key-accounts/handovers{query}").json()
        assert "limit" in query or body["count"] == len(body["items"])
        return [h["id"] for h in body["items"]]

    assert ids("frank") == [second["id"], first["id"]], "the latest first"
    assert ids("frank", "?limit=1&offset=1") == [first["id"]]
    assert ids("frank", "?to_manager_code=E4") == [first["id"]]
    assert ids("frank", "?from_manager_code=E3") == [first["id"]]
    assert ids("frank", "?cause=assignment") == [second["id"]]
    assert ids("frank", "?acknowledged=true") == [first["id"]]
    assert ids("frank", "?acknowledged=false") == [second["id"]]
    assert ids("frank", f"?client_id={company.clients['C3'].pk}") == [second["id"]]
    # Managers see the handovers that name them.
    assert ids("charlie") == ids("dave") == [first["id"]]
    assert ids("erin") == [second["id"]]
    assert ids("judy") == []
    assert bearer("judy").get(f"/api/key-accounts/handovers/{first['id']}").status_code == 404
    assert bearer("ivan").get("/api/key-accounts/handovers").status_code == 403


# --- Bulk handover -----------------------------------------------------------------------------


def bulk(api: HttpClient, **fields: Any) -> Any:
    body = {
        "from_manager_code": "E3",
        "rule": "spread",
        "receiver_codes": ["E4", "E9"],
        "cause": "leaving",
        "reason": "Чарли уходит",
        **fields,
    }
    return api.post("/api/key-accounts/handovers/bulk", body, content_type="application/json")


def test_a_bulk_dry_run_shows_the_plan_and_writes_nothing(
    company: Company, bearer: MakeClient
) -> None:
    c1, c4_ = company.clients["C1"], c4(company)
    response = bulk(bearer("helen"), dry_run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True and body["handovers"] == [] and body["skipped"] == []
    # The largest account to the receiver with most room (helen keeps none), then by name.
    assert [(p["client"]["code"], p["to_manager"]["code"]) for p in body["plan"]] == [
        ("C4", "E4"),
        ("C1", "E9"),
    ]
    assert body["plan"][1]["revenue_12m"] == 1700.0
    receivers = {r["manager"]["code"]: r for r in body["receivers"]}
    assert receivers["E4"]["before"]["accounts"] == 1 and receivers["E4"]["after"]["accounts"] == 2
    assert receivers["E9"]["after"] == {"accounts": 1, "revenue_12m": 1700.0}
    assert receivers["E9"]["limit"] == {"max_accounts": 15, "max_revenue": None}
    assert not any(r["over_limit_after"] for r in body["receivers"])
    assert not Handover.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="keyaccounts.").exists()
    assert holder(c1) == holder(c4_) == "E3"


def test_a_bulk_handover_records_every_account_or_none(
    company: Company, bearer: MakeClient
) -> None:
    c1, c4_ = company.clients["C1"], c4(company)
    api = bearer("helen")
    # dave (who has C2) may keep two accounts: C4 (first by name) fits, C1 does not, so
    # neither is handed over.
    assert set_limit(api, manager_code="E4", max_accounts=2).status_code == 200
    to_dave = {"rule": "one", "receiver_codes": ["E4"]}
    for dry_run in [True, False]:
        refused = errors(bulk(api, **to_dave, dry_run=dry_run))
        assert list(refused) == ["confirm_over_limit"]
        kind, message = refused["confirm_over_limit"]
        assert kind == "over_limit" and "ООО «Ромашка»" in message and "Nothing was" in message
    assert not Handover.objects.exists() and holder(c1) == holder(c4_) == "E3"
    assert not AuditEntry.objects.filter(action="keyaccounts.handover").exists()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    refused = errors(bulk(api, **to_dave, effective=future, confirm_over_limit=True))
    assert list(refused) == ["effective"]
    assert not Handover.objects.exists()

    response = bulk(api, **to_dave, confirm_over_limit=True)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["dry_run"] is False
    assert [(h["client"]["code"], h["to_manager"]["code"]) for h in body["handovers"]] == [
        ("C4", "E4"),
        ("C1", "E4"),
    ]
    assert [h["over_limit"] for h in body["handovers"]] == [False, True]
    assert len({h["bulk"] for h in body["handovers"]}) == 1 and body["handovers"][0]["bulk"]
    assert body["receivers"][0]["after"]["accounts"] == 3
    assert body["receivers"][0]["over_limit_after"] is True
    assert (holder(c1), holder(c4_)) == ("E4", "E4")
    assert AuditEntry.objects.filter(action="keyaccounts.handover").count() == 2
    # charlie keeps nothing now.
    again = bulk(api, **to_dave, confirm_over_limit=True)
    assert again.status_code == 200 and again.json()["plan"] == []


def test_a_bulk_handover_spreads_the_accounts(company: Company, bearer: MakeClient) -> None:
    c1, c4_ = company.clients["C1"], c4(company)
    response = bulk(bearer("alice"))
    assert response.status_code == 201, response.content
    assert (holder(c1), holder(c4_)) == ("E9", "E4")
    assert [h["cause"] for h in response.json()["handovers"]] == ["leaving", "leaving"]


def test_a_bulk_handover_takes_only_the_named_accounts(
    company: Company, bearer: MakeClient
) -> None:
    c1, c4_ = company.clients["C1"], c4(company)
    c2 = company.clients["C2"]
    response = bulk(bearer("alice"), rule="one", receiver_codes=["E4"], client_ids=[c4_.pk, c2.pk])
    assert response.status_code == 201
    body = response.json()
    assert [h["client"]["code"] for h in body["handovers"]] == ["C4"]
    assert body["skipped"] == [c2.pk], "C2 is not charlie's"
    assert (holder(c1), holder(c4_)) == ("E3", "E4")


def test_a_bulk_handover_refuses_an_account_that_changed_hands_meanwhile(
    company: Company, bearer: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan is read without locks: C4 still charlie's when planned, C1 moved to dave."""
    c1, c4_ = company.clients["C1"], c4(company)

    def stale_plan(**_kwargs: Any) -> list[tuple[Client, Any]]:
        hand_over(bearer("alice"), c1, "E4")
        return [(c4_, company.employees["helen"]), (c1, company.employees["helen"])]

    monkeypatch.setattr("kam.api.keyaccounts.services.bulk_plan", stale_plan)
    response = bulk(bearer("helen"))
    assert response.status_code == 409
    assert "ООО «Ромашка» (C1) changed hands meanwhile" in response.json()["detail"]
    assert (holder(c1), holder(c4_)) == ("E4", "E3"), "only the other handover stays"
    assert Handover.objects.count() == 1


def test_a_bulk_handover_names_refused_codes_and_refuses_managers(
    company: Company, bearer: MakeClient
) -> None:
    api = bearer("helen")
    assert list(errors(bulk(api, from_manager_code="NOBODY"))) == ["from_manager_code"]
    assert list(errors(bulk(api, receiver_codes=["E4", "NOBODY"]))) == ["receiver_codes.1"]
    assert list(errors(bulk(api, receiver_codes=["E3"]))) == ["receiver_codes"]
    # An acquisition rep may not take key accounts: the refusal names the account.
    refused = errors(bulk(api, rule="one", receiver_codes=["E10"]))
    assert list(refused) == ["receiver_codes"] and "Ромашка" in refused["receiver_codes"][1]
    for login in ["charlie", "frank", "erin"]:
        assert bulk(bearer(login)).status_code == 403, login
    assert not Handover.objects.exists()


# --- The board and my accounts -----------------------------------------------------------------


def test_the_board_shows_managers_accounts_gaps_conflicts_and_pending(
    company: Company, bearer: MakeClient
) -> None:
    today = timezone.localdate()
    Client.objects.filter(code="C3").update(status="key")
    handover = handover_record(
        client=c4(company),
        to_manager=company.employees["dave"],
        user=company.users["helen"],
        cause="overload",
    )
    response = bearer("helen").get("/api/key-accounts/board")
    assert response.status_code == 200
    board = response.json()
    assert board["as_of"] == today.isoformat()
    assert board["key_accounts"] == 3, "C1 and C4 kept, C3 in a gap"
    columns = {m["code"]: m for m in board["managers"]}
    assert [m["code"] for m in board["managers"]] == ["E4", "E9", "E3"], "by name"
    charlie = columns["E3"]
    assert (charlie["name"], charlie["active"], charlie["over_limit"]) == (
        "Чарли Ключевой",
        True,
        False,
    )
    assert charlie["load"] == {"accounts": 1, "revenue_12m": 1700.0}
    assert charlie["limit"] == {"max_accounts": 15, "max_revenue": None}
    [account] = charlie["accounts"]
    assert account["client"] == {
        "id": company.clients["C1"].pk,
        "code": "C1",
        "name": "ООО «Ромашка»",
        "status": "key",
    }
    assert account["since"] == assigned_since(today).isoformat()
    assert (account["revenue_12m"], account["revenue_prev_12m"]) == (1700.0, 700.0)
    assert account["growth_pct"] == 142.86
    assert len(account["trend"]) == 12 and account["trend"][-1] == 1500.0
    assert account["pending_handover_id"] is None
    dave = columns["E4"]
    assert [a["client"]["code"] for a in dave["accounts"]] == ["C4", "C2"], "key accounts first"
    assert dave["accounts"][0]["pending_handover_id"] == handover.pk
    assert dave["accounts"][0]["since"] == today.isoformat()
    assert columns["E9"]["accounts"] == []
    assert [(g["client"]["code"], g["responsible"], g["problem"]) for g in board["gaps"]] == [
        ("C3", None, "No responsible manager.")
    ]
    [conflict] = board["conflicts"]
    assert conflict["client"]["code"] == "C2" and conflict["responsible"]["code"] == "E4"
    assert "standard client goes to the sales department" in conflict["problem"]
    [pending] = board["pending"]
    assert pending["id"] == handover.pk and pending["created_by"] == "helen"
    assert (pending["from_manager"]["code"], pending["to_manager"]["code"]) == ("E3", "E4")


def test_the_board_is_for_those_who_read_every_client(company: Company, bearer: MakeClient) -> None:
    for login in ["alice", "frank", "grace", "helen"]:
        assert bearer(login).get("/api/key-accounts/board").status_code == 200, login
    for login in ["charlie", "erin", "judy", "ivan"]:
        response = bearer(login).get("/api/key-accounts/board")
        assert response.status_code == 403 and response.json()["detail"], login


def test_my_accounts_are_the_callers(company: Company, bearer: MakeClient) -> None:
    body = bearer("charlie").get("/api/key-accounts/mine").json()
    assert body["employee"]["code"] == "E3"
    assert [a["client"]["code"] for a in body["accounts"]] == ["C1"]
    assert body["load"] == {"accounts": 1, "revenue_12m": 1700.0}
    assert (body["limit"]["max_accounts"], body["over_limit"], body["pending"]) == (15, False, [])
    assert bearer("helen").get("/api/key-accounts/mine").json()["accounts"] == []
    for login in ["alice", "erin", "frank", "ivan"]:
        assert bearer(login).get("/api/key-accounts/mine").status_code == 403, login


# --- Assignment history ------------------------------------------------------------------------


def test_the_assignment_history_is_filtered_and_kept_to_the_callers_clients(
    company: Company, bearer: MakeClient
) -> None:
    hand_over(bearer("helen"), company.clients["C1"], "E4")

    def rows(login: str, query: str = "") -> list[tuple[str, str, bool]]:
        response = bearer(login).get(f"/api/key-accounts/assignments{query}")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == len(body["items"])
        return sorted(
            (a["client"]["code"], a["manager"]["code"], a["end"] is None) for a in body["items"]
        )

    assert rows("grace") == [
        ("C1", "E3", False),
        ("C1", "E4", True),
        ("C2", "E4", True),
    ]
    assert rows("grace", "?manager_code=E4") == [("C1", "E4", True), ("C2", "E4", True)]
    assert rows("grace", "?open=false") == [("C1", "E3", False)]
    assert rows("grace", "?manager_code=NOBODY") == []
    # dave now keeps C1 and C2, and sees their whole history; charlie keeps nothing.
    assert rows("dave") == rows("grace")
    assert rows("charlie") == []
    first = bearer("grace").get("/api/key-accounts/assignments?limit=1").json()
    assert first["count"] == 3 and len(first["items"]) == 1
    assert first["items"][0]["source"] == "handover", "the latest first"
    assert bearer("ivan").get("/api/key-accounts/assignments").status_code == 403


# --- Workload limits ---------------------------------------------------------------------------


def test_workload_limits_are_read_set_and_removed(company: Company, bearer: MakeClient) -> None:
    api = bearer("helen")
    body = api.get("/api/key-accounts/workload").json()
    assert body["default"] == {
        "max_accounts": 15,
        "max_revenue": None,
        "set": False,
        "updated_by": None,
        "updated_at": None,
    }
    assert [m["manager"]["code"] for m in body["managers"]] == ["E4", "E9", "E3"]
    response = set_limit(api, max_accounts=10)
    assert response.status_code == 200
    assert response.json()["default"]["set"] is True
    assert response.json()["default"]["updated_by"] == "helen"
    response = set_limit(api, manager_code="E3", max_accounts=2, max_revenue=1000)
    managers = {m["manager"]["code"]: m for m in response.json()["managers"]}
    charlie = managers["E3"]
    assert charlie["own_limit"] is True and charlie["limit"] == {
        "max_accounts": 2,
        "max_revenue": 1000.0,
    }
    assert charlie["over_limit"] is True, "1700 of revenue over 1000"
    assert managers["E4"]["limit"]["max_accounts"] == 10 and not managers["E4"]["own_limit"]
    assert WorkloadLimit.objects.count() == 2
    assert AuditEntry.objects.filter(action="keyaccounts.limit_set").count() == 2

    assert list(errors(set_limit(api, manager_code="E5", max_accounts=3))) == ["manager_code"]
    assert list(errors(set_limit(api, manager_code="NOBODY", max_accounts=3))) == ["manager_code"]
    assert set_limit(api, max_accounts=0).status_code == 422
    assert set_limit(bearer("charlie"), max_accounts=100).status_code == 403
    assert set_limit(bearer("frank"), max_accounts=100).status_code == 403

    assert bearer("dave").delete("/api/key-accounts/workload/E3").status_code == 403
    assert api.delete("/api/key-accounts/workload/E3").status_code == 204
    assert api.delete("/api/key-accounts/workload/E3").status_code == 204, "nothing to remove"
    assert api.delete("/api/key-accounts/workload/NOBODY").status_code == 404
    managers = {
        m["manager"]["code"]: m for m in api.get("/api/key-accounts/workload").json()["managers"]
    }
    assert managers["E3"]["own_limit"] is False and managers["E3"]["limit"]["max_accounts"] == 10
    assert bearer("charlie").get("/api/key-accounts/workload").status_code == 403


# --- The client card ---------------------------------------------------------------------------


def test_the_client_card_shows_who_keeps_the_client(company: Company, bearer: MakeClient) -> None:
    today = timezone.localdate()
    c1 = bearer("charlie").get(f"/api/clients/{company.clients['C1'].pk}").json()
    assert c1["ownership"]["responsible"]["code"] == "E3"
    assert c1["ownership"]["since"] == assigned_since(today).isoformat()
    assert c1["ownership"]["problem"] is None and c1["ownership"]["pending_handover_id"] is None
    c2 = bearer("alice").get(f"/api/clients/{company.clients['C2'].pk}").json()
    assert "sales department" in c2["ownership"]["problem"]
    Client.objects.filter(code="C3").update(status="key")
    c3 = bearer("alice").get(f"/api/clients/{company.clients['C3'].pk}").json()
    assert c3["ownership"] == {
        "responsible": None,
        "since": None,
        "problem": "No responsible manager.",
        "pending_handover_id": None,
    }


# --- Queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/api/key-accounts/board", "helen"),
        ("/api/key-accounts/mine", "dave"),
        ("/api/key-accounts/assignments", "helen"),
        ("/api/key-accounts/handovers", "helen"),
        ("/api/key-accounts/workload", "helen"),
    ],
)
def test_reads_take_as_many_queries_for_many_accounts_as_for_few(
    company: Company, bearer: MakeClient, path: str, login: str
) -> None:
    api = bearer(login)

    def queries_with(accounts: int) -> int:
        for n in range(Client.objects.filter(code__startswith="K").count(), accounts):
            client = Client.objects.create(code=f"K{n}", name=f"Ключевой {n}", status="key")
            handover_record(
                client=client,
                to_manager=company.employees["dave"],
                user=company.users["helen"],
                cause="assignment",
                confirm_over_limit=True,
            )
        api.get(path)  # warm: the user's roles, translations
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(6)
