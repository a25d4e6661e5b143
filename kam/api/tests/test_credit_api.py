"""/api/credit: applications with the client's facts, the members' M-of-N votes with conflicts
of interest, the decision recorded when the policy is met, withdrawals, the decision register
with revocations, the committee's policy and a client's credit position, through the API.

The company of the API tests (conftest) with its credit committee: kate chairs it, leo and mia
are members; two approvals of the three decide. C1 is charlie's with an imported decision D1
(100 000, 30 days, valid a month more) and some 1 600 unpaid; here erin (a sales rep) keeps C5,
a client without debt, and leo (a member) keeps C6.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.api.tests.conftest import Company, MakeClient
from kam.audit.models import AuditEntry
from kam.clients.models import Client
from kam.credit.models import CreditApplication, CreditDecision
from kam.ledger.months import add_months

pytestmark = pytest.mark.django_db

JSON = "application/json"
TODAY = timezone.localdate()
APPLICATIONS = "/api/credit/applications"


@pytest.fixture
def clients(committee: Company) -> Company:
    for code, name, keeper in [("C5", "ООО «Берёзка»", "erin"), ("C6", "ИП Львов", "leo")]:
        committee.clients[code] = Client.objects.create(
            code=code, name=name, responsible=committee.employees[keeper]
        )
    return committee


def errors(response: Any) -> dict[str, str]:
    """A 422's refusals: the body field → message."""
    assert response.status_code == 422, response.content
    return {
        ".".join(str(part) for part in item["loc"][2:]): item["msg"]
        for item in response.json()["detail"]
    }


def post(api: HttpClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(url, body or {}, content_type=JSON)


def apply(api: HttpClient, client: str = "C5", **fields: Any) -> Any:
    body = {
        "client_code": client,
        "requested_limit": 500000,
        "requested_terms_days": 45,
        "justification": "Регулярные закупки, платит в срок.",
        **fields,
    }
    return post(api, APPLICATIONS, body)


def vote(api: HttpClient, application_id: int, choice: str = "approve", **fields: Any) -> Any:
    return post(api, f"{APPLICATIONS}/{application_id}/votes", {"choice": choice, **fields})


# --- Applications and votes --------------------------------------------------------------------


def test_two_of_three_approve_and_the_decision_is_recorded(
    clients: Company, bearer: MakeClient
) -> None:
    filed = apply(bearer("erin"))
    assert filed.status_code == 201, filed.content
    application = filed.json()
    number = application["id"]
    assert (application["state"], application["applicant"]["code"]) == ("pending", "E5")
    assert (application["approvals_needed"], application["voters"]) == (2, 3)
    assert application["valid_until"] == add_months(TODAY, 12).isoformat()
    assert application["facts"]["unpaid"] == "0.00" and application["facts"]["limit"] is None
    assert [v["member"]["code"] for v in application["voter_list"]] == ["E11", "E12", "E13"]
    assert [v["chair"] for v in application["voter_list"]] == [True, False, False]
    # erin applies and keeps the client, but she is no member: nobody on the committee is kept
    # from voting.
    assert application["conflicted"] == []
    assert application["may_withdraw"] is True and application["may_vote"] is False
    # Each member's inbox shows it until they vote.
    leo = bearer("leo")
    inbox = leo.get(APPLICATIONS, {"awaiting_me": "true"}).json()
    assert [a["id"] for a in inbox["items"]] == [number]
    assert inbox["items"][0]["may_vote"] is True
    first = vote(leo, number, "approve_reduced", limit=400000, comment="Лимит пониже")
    assert first.status_code == 201, first.content
    cast = first.json()
    assert (cast["vote"]["choice"], cast["vote"]["limit"], cast["vote"]["cast_by"]) == (
        "approve_reduced",
        400000.0,
        "leo",
    )
    assert cast["application"]["state"] == "pending" and cast["application"]["decision"] is None
    assert cast["application"]["approvals"] == 1
    assert leo.get(APPLICATIONS, {"awaiting_me": "true"}).json()["count"] == 0
    assert leo.get(APPLICATIONS, {"awaiting_me": "false"}).json()["count"] == 1
    # A member votes once.
    twice = vote(leo, number, "reject", comment="Передумал")
    assert twice.status_code == 409
    assert twice.json()["detail"] == "Лев Кредитный has voted already; a vote is not changed."
    decided = vote(bearer("mia"), number)
    assert decided.status_code == 201
    card = decided.json()["application"]
    assert (card["state"], card["approvals"]) == ("approved", 2)
    decision = card["decision"]
    assert (decision["credit_limit"], decision["max_terms_days"], decision["source"]) == (
        400000.0,
        45,
        "committee",
    )
    assert decision["decision_no"] == f"CC-{TODAY.year}-00001"
    assert (decision["valid_until"], decision["application_id"]) == (card["valid_until"], number)
    # Decided: nobody votes any more, and the position shows the decision.
    after = vote(bearer("kate"), number)
    assert after.status_code == 409
    assert after.json()["detail"] == "The application is approved: the votes are closed."
    position = bearer("erin").get("/api/credit/clients/C5").json()
    assert position["position"]["credit_limit"] == 400000.0
    assert position["position"]["available"] == 400000.0
    assert [d["decision_no"] for d in position["decisions"]] == [decision["decision_no"]]
    assert position["applications"] == [
        {"id": number, "number": card["number"], "state": "approved"}
    ]
    protocol = bearer("frank").get(f"{APPLICATIONS}/{number}").json()
    assert [(v["member"]["code"], v["choice"]) for v in protocol["votes"]] == [
        ("E12", "approve_reduced"),
        ("E13", "approve"),
    ]
    # The protocol's order: those who voted in the order they did, then the others.
    assert [(v["member"]["code"], v["voted"]) for v in protocol["voter_list"]] == [
        ("E12", True),
        ("E13", True),
        ("E11", False),
    ]
    assert {
        "credit.application_submitted",
        "credit.vote_cast",
        "credit.application_approved",
    } <= set(AuditEntry.objects.values_list("action", flat=True))


def test_a_conflicted_member_and_others_who_are_not_members_are_refused(
    clients: Company, bearer: MakeClient
) -> None:
    filed = apply(bearer("alice"), client="C6").json()
    assert [v["member"]["code"] for v in filed["voter_list"]] == ["E11", "E13"]
    leo = clients.employees["leo"]
    assert filed["conflicted"] == [
        {
            "member": {"id": leo.pk, "code": "E12", "name": "Лев Кредитный"},
            "chair": False,
            "reason": "responsible",
        }
    ]
    refused = vote(bearer("leo"), filed["id"])
    assert refused.status_code == 403
    assert (
        "Лев Кредитный may not vote on this application: a conflict of interest"
        in (refused.json()["detail"])
    )
    assert bearer("leo").get(f"{APPLICATIONS}/{filed['id']}").json()["may_vote"] is False
    for login in ["alice", "helen", "frank"]:
        response = vote(bearer(login), filed["id"])
        assert response.status_code == 403, login
        assert response.json()["detail"] == "Only the credit committee's members vote."
    # erin does not see alice's application for leo's client at all.
    assert vote(bearer("erin"), filed["id"]).status_code == 404
    # The conflict is refused before the state: also once the application is decided.
    vote(bearer("kate"), filed["id"])
    vote(bearer("mia"), filed["id"])
    assert vote(bearer("leo"), filed["id"]).status_code == 403
    assert vote(bearer("erin"), 999999).status_code == 404


def test_a_vote_names_each_refused_field(clients: Company, bearer: MakeClient) -> None:
    number = apply(bearer("erin")).json()["id"]
    kate = bearer("kate")
    assert errors(vote(kate, number, "reject")) == {
        "comment": "Say why you reject: the applicant reads it."
    }
    assert errors(vote(kate, number, "approve_reduced")) == {
        "limit": "Say the lower limit or the shorter terms you approve."
    }
    assert errors(vote(kate, number, "approve_reduced", limit=600000)) == {
        "limit": "A lower limit: above 0 and below the 500000.00 asked."
    }
    assert errors(vote(kate, number, "approve_reduced", terms_days=60)) == {
        "terms_days": "Shorter terms: 1 to 44 days."
    }
    assert "choice" in errors(vote(kate, number, "maybe"))
    assert "limit" in errors(vote(kate, number, "approve_reduced", limit="400000"))
    assert not CreditApplication.objects.get(pk=number).votes.exists()


def test_when_approval_is_out_of_reach_the_application_is_rejected(
    clients: Company, bearer: MakeClient
) -> None:
    number = apply(bearer("erin")).json()["id"]
    vote(bearer("kate"), number, "reject", comment="Нет истории платежей")
    rejected = vote(bearer("leo"), number, "reject", comment="Согласен").json()["application"]
    assert (rejected["state"], rejected["rejections"], rejected["decision"]) == (
        "rejected",
        2,
        None,
    )
    assert rejected["decided_at"] is not None
    assert not CreditDecision.objects.filter(client__code="C5").exists()
    # A new application may be filed once it is decided.
    assert apply(bearer("erin")).status_code == 201


def test_the_chair_must_approve_when_the_policy_says_so(
    clients: Company, bearer: MakeClient
) -> None:
    policy = {"approvals_needed": 2, "chair_must_approve": True, "validity_months": 6}
    assert bearer("alice").put("/api/credit/settings", policy, content_type=JSON).status_code == 200
    number = apply(bearer("erin")).json()["id"]
    vote(bearer("leo"), number)
    still = vote(bearer("mia"), number).json()["application"]
    assert (still["state"], still["chair_must_approve"]) == ("pending", True)
    decided = vote(bearer("kate"), number, "approve_reduced", terms_days=30).json()["application"]
    assert decided["state"] == "approved"
    assert (decided["decision"]["credit_limit"], decided["decision"]["max_terms_days"]) == (
        500000.0,
        30,
    )
    assert decided["decision"]["valid_until"] == add_months(TODAY, 6).isoformat()


def test_applying_names_each_refused_field_and_the_client_s_pending_one(
    clients: Company, bearer: MakeClient
) -> None:
    erin = bearer("erin")
    assert errors(apply(erin, requested_limit=0)) == {"requested_limit": "Ask for a limit above 0."}
    assert "requested_terms_days" in errors(apply(erin, requested_terms_days=0))
    assert "requested_terms_days" in errors(apply(erin, requested_terms_days="45"))
    assert errors(apply(erin, valid_until=TODAY.isoformat())) == {
        "valid_until": "A decision is asked for the future: a date after today."
    }
    assert errors(apply(erin, justification="  ")) == {
        "justification": "Say why the client should get deferred payment."
    }
    assert errors(apply(erin, deal_id=999999)) == {
        "deal_id": "No deal with this id that you may see."
    }
    later = (TODAY + dt.timedelta(days=90)).isoformat()
    filed = apply(erin, valid_until=later)
    assert filed.status_code == 201 and filed.json()["valid_until"] == later
    second = apply(bearer("alice"))
    assert second.status_code == 409
    assert second.json()["detail"].startswith("The client has an application awaiting")
    # With one member left to vote on a client, two approvals cannot be had.
    bearer("alice").put(
        "/api/credit/settings",
        {"approvals_needed": 3, "chair_must_approve": False, "validity_months": 12},
        content_type=JSON,
    )
    assert errors(apply(bearer("alice"), client="C6"))["client_code"].startswith(
        "Only 2 member(s) of the committee may vote on this client"
    )
    # Who may apply: the client's people, the head and the director; a client not seen: 404.
    assert apply(bearer("erin"), client="C1").status_code == 404
    assert apply(bearer("alice"), client="C404").status_code == 404
    for login in ["frank", "grace", "kate"]:
        refused = apply(bearer(login), client="C1")
        assert refused.status_code == 403, login
        assert refused.json()["detail"].startswith("Credit is applied for by the client's")
    assert apply(bearer("ivan")).status_code == 403
    assert HttpClient().post(APPLICATIONS, {}, content_type=JSON).status_code == 401


def test_the_applicant_or_the_director_withdraws(clients: Company, bearer: MakeClient) -> None:
    number = apply(bearer("erin")).json()["id"]
    url = f"{APPLICATIONS}/{number}/withdraw"
    assert post(bearer("kate"), url, {"reason": "x"}).status_code == 403
    assert post(bearer("dave"), url, {"reason": "x"}).status_code == 404
    assert errors(post(bearer("erin"), url, {"reason": " "})) == {
        "reason": "Say why it is withdrawn."
    }
    withdrawn = post(bearer("erin"), url, {"reason": "Клиент передумал"})
    assert withdrawn.status_code == 200
    body = withdrawn.json()
    assert (body["state"], body["withdrawn_reason"], body["may_withdraw"]) == (
        "withdrawn",
        "Клиент передумал",
        False,
    )
    again = post(bearer("alice"), url, {"reason": "Ещё раз"})
    assert again.status_code == 409
    assert again.json()["detail"] == "Only an application awaiting votes is withdrawn."
    assert vote(bearer("kate"), number).status_code == 409


def test_the_list_is_each_caller_s_and_filters(clients: Company, bearer: MakeClient) -> None:
    erin_s = apply(bearer("erin")).json()["id"]
    alice_s = apply(bearer("alice"), client="C6").json()["id"]
    charlie_s = apply(bearer("charlie"), client="C1", requested_terms_days=30).json()["id"]
    vote(bearer("kate"), charlie_s)
    kate = bearer("kate")

    def ids(login: str = "kate", **query: Any) -> list[int]:
        return [a["id"] for a in bearer(login).get(APPLICATIONS, query).json()["items"]]

    assert ids() == [charlie_s, alice_s, erin_s]
    assert ids("erin") == [erin_s]
    assert ids("charlie") == [charlie_s]
    assert ids("dave") == []
    assert ids(client_code="C6") == [alice_s]
    assert ids(applicant_code="E5") == [erin_s]
    assert ids(state="pending") == [charlie_s, alice_s, erin_s]
    assert ids(awaiting_me="true") == [alice_s, erin_s]
    # leo has a conflict on C6: not in his inbox.
    assert ids("leo", awaiting_me="true") == [charlie_s, erin_s]
    assert ids("alice", awaiting_me="true") == []
    page = kate.get(APPLICATIONS, {"limit": 1, "offset": 2}).json()
    assert (page["count"], [a["id"] for a in page["items"]]) == (3, [erin_s])
    assert kate.get(APPLICATIONS, {"state": "lost"}).status_code == 422
    assert bearer("ivan").get(APPLICATIONS).status_code == 403
    # Applications the caller may not read are not found.
    assert bearer("erin").get(f"{APPLICATIONS}/{charlie_s}").status_code == 404
    assert bearer("dave").get(f"{APPLICATIONS}/{erin_s}").status_code == 404
    assert bearer("grace").get(f"{APPLICATIONS}/{erin_s}").status_code == 200


# --- Decisions, the policy, the client's position ---------------------------------------------


def test_the_register_filters_decisions_and_the_chair_revokes_one(
    clients: Company, bearer: MakeClient
) -> None:
    number = apply(bearer("erin")).json()["id"]
    vote(bearer("kate"), number)
    committee_s = vote(bearer("mia"), number).json()["application"]["decision"]
    CreditDecision.objects.create(
        decision_no="OLD-1",
        client=clients.clients["C2"],
        date=TODAY - dt.timedelta(days=400),
        credit_limit=1000,
        max_terms_days=10,
        valid_until=TODAY - dt.timedelta(days=35),
    )
    kate = bearer("kate")

    def numbers(login: str = "kate", **query: Any) -> list[str]:
        return [
            d["decision_no"]
            for d in bearer(login).get("/api/credit/decisions", query).json()["items"]
        ]

    assert numbers() == [committee_s["decision_no"], "D1", "OLD-1"]
    assert numbers(state="valid") == [committee_s["decision_no"], "D1"]
    assert numbers(state="expired") == ["OLD-1"]
    assert numbers(source="imported") == ["D1", "OLD-1"]
    assert numbers(client_code="C1") == ["D1"]
    # Whoever does not read the committee's work reads the decisions of their clients.
    assert numbers("erin") == [committee_s["decision_no"]]
    assert numbers("dave") == ["OLD-1"]
    one = kate.get(f"/api/credit/decisions/{committee_s['id']}").json()
    assert one["application"] == {"id": number, "number": f"CA-{number:06d}", "state": "approved"}
    assert [v["member"]["code"] for v in one["votes"]] == ["E11", "E13"]
    d1 = CreditDecision.objects.get(decision_no="D1")
    assert bearer("erin").get(f"/api/credit/decisions/{d1.pk}").status_code == 404
    assert kate.get(f"/api/credit/decisions/{d1.pk}").json()["votes"] == []

    url = f"/api/credit/decisions/{committee_s['id']}/revoke"
    assert post(bearer("leo"), url, {"reason": "x"}).status_code == 403
    assert post(bearer("erin"), url, {"reason": "x"}).status_code == 403
    assert errors(post(kate, url, {"reason": ""})) == {"reason": "Say why the decision is revoked."}
    revoked = post(kate, url, {"reason": "Просрочка 60 дней"})
    assert revoked.status_code == 200, revoked.content
    body = revoked.json()
    assert (body["state"], body["revoked_by"], body["revoke_reason"]) == (
        "revoked",
        "kate",
        "Просрочка 60 дней",
    )
    assert (body["credit_limit"], body["max_terms_days"]) == (500000.0, 45)  # never changes
    assert post(bearer("alice"), url, {"reason": "Ещё раз"}).status_code == 409
    assert numbers(state="revoked") == [committee_s["decision_no"]]
    position = bearer("erin").get("/api/credit/clients/C5").json()["position"]
    assert (position["decision"], position["credit_limit"]) == (None, None)
    assert bearer("ivan").get("/api/credit/decisions").status_code == 403


def test_a_client_s_credit_position(clients: Company, bearer: MakeClient) -> None:
    card = bearer("charlie").get("/api/credit/clients/C1").json()
    position = card["position"]
    assert (card["client"]["code"], card["status"], card["responsible"]["code"]) == (
        "C1",
        "key",
        "E3",
    )
    assert (position["credit_limit"], position["max_terms_days"]) == (100000.0, 30)
    assert (position["unpaid"], position["overdue"], position["deals_at_contract"]) == (
        1600.0,
        100.0,
        0.0,
    )
    assert (position["exposure"], position["available"]) == (1600.0, 98400.0)
    assert position["max_overdue_days"] > 30
    assert [d["decision_no"] for d in card["decisions"]] == ["D1"]
    assert bearer("erin").get("/api/credit/clients/C1").status_code == 404
    assert bearer("kate").get("/api/credit/clients/C404").status_code == 404
    nothing = bearer("kate").get("/api/credit/clients/C3").json()["position"]
    assert (nothing["credit_limit"], nothing["available"], nothing["exposure"]) == (None, None, 0.0)


def test_the_director_sets_the_committee_s_policy(clients: Company, bearer: MakeClient) -> None:
    shown = bearer("erin").get("/api/credit/settings").json()
    assert (shown["approvals_needed"], shown["chair_must_approve"], shown["validity_months"]) == (
        2,
        False,
        12,
    )
    assert [m["code"] for m in shown["members"]] == ["E11", "E12", "E13"]
    assert shown["chair"]["code"] == "E11"
    policy = {"approvals_needed": 3, "chair_must_approve": True, "validity_months": 24}
    for login in ["kate", "helen", "frank"]:
        refused = bearer(login).put("/api/credit/settings", policy, content_type=JSON)
        assert refused.status_code == 403, login
    alice = bearer("alice")
    changed = alice.put("/api/credit/settings", policy, content_type=JSON)
    assert changed.status_code == 200
    assert changed.json()["approvals_needed"] == 3 and changed.json()["chair_must_approve"]
    too_many = alice.put(
        "/api/credit/settings", {**policy, "approvals_needed": 4}, content_type=JSON
    )
    assert errors(too_many) == {"approvals_needed": "Between 1 and the number of members (3)."}
    assert "chair_must_approve" in errors(
        alice.put(
            "/api/credit/settings", {**policy, "chair_must_approve": "yes"}, content_type=JSON
        )
    )
    assert bearer("ivan").get("/api/credit/settings").status_code == 403


def test_the_lists_read_in_a_fixed_number_of_queries(clients: Company, bearer: MakeClient) -> None:
    for code, login in [("C5", "erin"), ("C6", "alice"), ("C1", "charlie"), ("C2", "dave")]:
        number = apply(bearer(login), client=code).json()["id"]
        vote(bearer("kate"), number)
        vote(bearer("mia"), number)
    kate = bearer("kate")
    for url in [APPLICATIONS, "/api/credit/decisions"]:
        kate.get(url)  # the token's first use writes its last-used time
        with CaptureQueriesContext(connection) as one:
            assert len(kate.get(url, {"limit": 1}).json()["items"]) == 1
        with CaptureQueriesContext(connection) as every:
            assert len(kate.get(url).json()["items"]) >= 4
        assert len(every) == len(one), url
