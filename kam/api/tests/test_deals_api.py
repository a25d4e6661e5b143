"""/api/deals: prospects (statuses, duplicates, conversion) and deals (the list, the pipeline,
the card, changes, moves under the rulebook's guard), through the API.

The company of the API tests (conftest) with its credit committee (kate the chair, leo, mia):
C1 is charlie's, a key account whose invoice S2 is some 80 days overdue; C2 dave's, without a
credit decision; here erin (a sales rep) keeps C5, a client without debt. The default rulebook
lets only the director override the credit rules.
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
from kam.clients.models import Client
from kam.deals.models import Deal
from kam.incidents.models import Incident

pytestmark = pytest.mark.django_db

JSON = "application/json"
TODAY = timezone.localdate()
DEFERRED = "deal_on_deferred_terms_requires_credit_approval"
OVERDUE = "deal_with_overdue_debt"


@pytest.fixture
def sales(committee: Company) -> Company:
    committee.clients["C5"] = Client.objects.create(
        code="C5",
        name="ООО «Берёзка»",
        tax_id="5000000005",
        responsible=committee.employees["erin"],
    )
    return committee


def errors(response: Any) -> dict[str, str]:
    """A 422's refusals: the body field (or the query's) → message."""
    assert response.status_code == 422, response.content
    found = {}
    for item in response.json()["detail"]:
        loc = item["loc"][2:] if item["loc"][:2] == ["body", "payload"] else item["loc"]
        found[".".join(str(part) for part in loc)] = item["msg"]
    return found


def post(api: HttpClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(url, body or {}, content_type=JSON)


def patch(api: HttpClient, url: str, body: dict[str, Any]) -> Any:
    return api.patch(url, body, content_type=JSON)


def open_deal(api: HttpClient, **fields: Any) -> Any:
    body = {
        "title": "Бумага на квартал",
        "client_code": "C5",
        "amount": 300000,
        "payment_terms_days": 45,
        "expected_close": (TODAY + dt.timedelta(days=20)).isoformat(),
        "product_groups": ["Бумага", "Картон"],
        **fields,
    }
    return post(api, "/api/deals", body)


def new_prospect(api: HttpClient, **fields: Any) -> Any:
    return post(
        api, "/api/deals/prospects", {"name": "ООО «Вектор»", "source": "exhibition", **fields}
    )


# --- Prospects ---------------------------------------------------------------------------------


def test_a_prospect_moves_from_new_to_qualified_and_is_lost_with_a_reason(
    sales: Company, bearer: MakeClient
) -> None:
    erin = bearer("erin")
    made = new_prospect(erin, tax_id="7700000001", contact_name="Иван Петров", phone="+7 900")
    assert made.status_code == 201, made.content
    prospect = made.json()
    assert (prospect["status"], prospect["owner"]["code"], prospect["source"]) == (
        "new",
        "E5",
        "exhibition",
    )
    assert prospect["may_edit"] is True and prospect["client"] is None
    url = f"/api/deals/prospects/{prospect['id']}"
    contacted = post(erin, f"{url}/status", {"status": "contacted", "comment": "Позвонили"})
    assert contacted.status_code == 200, contacted.content
    qualified = post(erin, f"{url}/status", {"status": "qualified"}).json()
    assert [(e["status_before"], e["status"]) for e in qualified["events"]] == [
        (None, "new"),
        ("new", "contacted"),
        ("contacted", "qualified"),
    ]
    assert qualified["events"][1]["comment"] == "Позвонили"
    assert qualified["events"][1]["actor"] == "erin"
    # Losing it needs a reason; a status it cannot go to from where it is, a conflict.
    assert errors(post(erin, f"{url}/status", {"status": "lost"})) == {
        "comment": "Say why the prospect is lost."
    }
    wrong = post(erin, f"{url}/status", {"status": "new"})
    assert wrong.status_code == 409
    assert wrong.json()["detail"] == "From qualified a prospect goes to: contacted, lost."
    lost = post(erin, f"{url}/status", {"status": "lost", "comment": "Ушли к конкуренту"}).json()
    assert (lost["status"], lost["lost_reason"]) == ("lost", "Ушли к конкуренту")
    # Converting has its own operation.
    assert "status" in errors(post(erin, f"{url}/status", {"status": "converted"}))
    changed = patch(erin, url, {"region": "Тверь", "email": "buyer@vector.example"})
    assert (changed.json()["region"], changed.json()["email"]) == ("Тверь", "buyer@vector.example")
    assert "email" in errors(patch(erin, url, {"email": "not an address"}))


def test_the_key_account_department_does_not_prospect(sales: Company, bearer: MakeClient) -> None:
    assert errors(new_prospect(bearer("charlie")))["owner_code"].endswith(
        "works in the key-account department, which does not search for or attract new customers."
    )
    assert errors(new_prospect(bearer("alice"), owner_code="E3"))["owner_code"]
    assert errors(new_prospect(bearer("alice"), owner_code="E404")) == {
        "owner_code": "No employee with this code."
    }
    made = new_prospect(bearer("alice"), owner_code="E10")
    assert made.status_code == 201 and made.json()["owner"]["code"] == "E10"
    for login in ["frank", "grace", "kate", "ivan"]:
        assert new_prospect(bearer(login)).status_code == 403, login
    assert HttpClient().get("/api/deals/prospects").status_code == 401


def test_prospects_are_their_owner_s_and_the_list_filters_them(
    sales: Company, bearer: MakeClient
) -> None:
    erin, judy = bearer("erin"), bearer("judy")
    first = new_prospect(erin, name="ООО «Альфа»", tax_id="7711111111").json()
    new_prospect(erin, name="ЗАО «Бета»", source="tender", contact_name="Мария")
    other = new_prospect(judy, name="ИП Гамма", source="referral").json()
    post(erin, f"/api/deals/prospects/{first['id']}/status", {"status": "contacted"})
    mine = erin.get("/api/deals/prospects").json()
    assert [p["name"] for p in mine["items"]] == ["ЗАО «Бета»", "ООО «Альфа»"]
    everyone = bearer("frank").get("/api/deals/prospects", {"sort": "-name"}).json()
    assert everyone["count"] == 3
    assert [p["name"] for p in everyone["items"]] == ["ООО «Альфа»", "ИП Гамма", "ЗАО «Бета»"]
    alice = bearer("alice")

    def names(**query: Any) -> list[str]:
        return [p["name"] for p in alice.get("/api/deals/prospects", query).json()["items"]]

    assert names(status="contacted") == ["ООО «Альфа»"]
    assert names(status=["new", "contacted"], owner_code="E5") == ["ЗАО «Бета»", "ООО «Альфа»"]
    assert names(source="referral") == ["ИП Гамма"]
    assert names(q="бета") == ["ЗАО «Бета»"]
    assert names(q="мари") == ["ЗАО «Бета»"]
    assert names(q="7711") == ["ООО «Альфа»"]
    page = alice.get("/api/deals/prospects", {"limit": 1, "offset": 1}).json()
    assert (page["count"], [p["name"] for p in page["items"]]) == (3, ["ИП Гамма"])
    assert alice.get("/api/deals/prospects", {"status": "gone"}).status_code == 422
    # Another rep's prospect is not found; one that may be read but not worked is refused.
    url = f"/api/deals/prospects/{other['id']}"
    assert erin.get(url).status_code == 404
    assert post(erin, f"{url}/status", {"status": "contacted"}).status_code == 404
    assert bearer("frank").get(url).json()["may_edit"] is False
    refused = post(bearer("frank"), f"{url}/status", {"status": "contacted"})
    assert refused.status_code == 403
    assert patch(bearer("helen"), url, {"name": "x"}).status_code == 403
    assert bearer("ivan").get("/api/deals/prospects").status_code == 403


def test_a_prospect_converts_into_a_client_once_its_duplicates_are_settled(
    sales: Company, bearer: MakeClient
) -> None:
    erin = bearer("erin")
    # «Ромашка, ООО» is C1's name once the legal form is left out; the tax id is C1's too.
    prospect = new_prospect(erin, name="Ромашка, ООО", tax_id="7707083893").json()
    url = f"/api/deals/prospects/{prospect['id']}"
    deal = open_deal(erin, client_code=None, prospect_id=prospect["id"], payment_terms_days=0)
    assert deal.status_code == 201, deal.content
    assert deal.json()["prospect"]["id"] == prospect["id"] and deal.json()["client"] is None
    (duplicate,) = erin.get(f"{url}/duplicates").json()
    assert (duplicate["code"], duplicate["matched_by"]) == ("C1", ["tax_id", "name"])
    assert duplicate["responsible"]["code"] == "E3"
    refused = post(erin, f"{url}/convert")
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert [c["code"] for c in body["candidates"]] == ["C1"]
    assert "It may be a client already: ООО «Ромашка» (C1)" in body["detail"]
    # Linking to a client that is neither erin's nor a candidate is refused.
    assert errors(post(erin, f"{url}/convert", {"client_code": "C2"})) == {
        "client_code": "Neither one of your clients nor a possible duplicate of the prospect."
    }
    assert "new_client_code" in errors(
        post(erin, f"{url}/convert", {"confirm_new": True, "new_client_code": "C2"})
    )
    converted = post(erin, f"{url}/convert", {"client_code": "C1"})
    assert converted.status_code == 200, converted.content
    after = converted.json()
    assert (after["status"], after["client"]["code"]) == ("converted", "C1")
    assert after["deals"][0]["client"]["code"] == "C1"
    assert post(erin, f"{url}/convert", {"confirm_new": True}).json()["candidates"] == []
    assert post(erin, f"{url}/convert", {"confirm_new": True}).status_code == 409
    assert patch(erin, url, {"name": "x"}).status_code == 409
    # A company nobody has: a new client, kept by the prospect's owner.
    fresh = new_prospect(erin, name="ООО «Совсем новый»").json()
    made = post(erin, f"/api/deals/prospects/{fresh['id']}/convert")
    assert made.status_code == 200, made.content
    client = Client.objects.get(code=made.json()["client"]["code"])
    assert (client.code, client.responsible) == ("N-000001", sales.employees["erin"])


# --- Deals -------------------------------------------------------------------------------------


def test_the_issue_s_story_through_the_api(sales: Company, bearer: MakeClient) -> None:
    """A sales rep's deal on 45 days is refused the contract with the rule's message; erin
    applies, two of three members approve, the decision shows in the client's position and on
    the deal, and the deal moves to the contract. Without a decision the director overrides,
    leaving an incident."""
    erin = bearer("erin")
    deal = open_deal(erin).json()
    url = f"/api/deals/{deal['id']}"
    assert (deal["stage"], deal["deferred"], deal["credit"]["credit_limit"]) == (
        "qualification",
        True,
        None,
    )
    refused = post(erin, f"{url}/move", {"stage": "contract"})
    assert refused.status_code == 409
    body = refused.json()
    assert body["rules"] == [
        {
            "code": DEFERRED,
            "title": "A deal on deferred payment reaches the contract only after a "
            "credit-committee decision",
            "message": "45 days of deferred payment without a valid credit-committee decision "
            "that allows them.",
        }
    ]
    assert body["overridable"] is False
    # erin's reason changes nothing: only the director may override the credit rules.
    again = post(erin, f"{url}/move", {"stage": "contract", "override_reason": "Срочно"})
    assert again.json()["detail"].endswith("Your role may not override these rules.")
    assert Deal.objects.get(pk=deal["id"]).stage == "qualification"

    application = post(
        erin,
        "/api/credit/applications",
        {
            "client_code": "C5",
            "deal_id": deal["id"],
            "requested_limit": 500000,
            "requested_terms_days": 45,
            "justification": "Квартальный контракт, платит в срок.",
        },
    )
    assert application.status_code == 201, application.content
    ids = application.json()["id"]
    votes = f"/api/credit/applications/{ids}/votes"
    first = post(bearer("leo"), votes, {"choice": "approve"})
    assert first.status_code == 201, first.content
    assert first.json()["application"]["decision"] is None
    second = post(bearer("mia"), votes, {"choice": "approve", "comment": "Надёжный клиент"})
    assert second.status_code == 201
    decision = second.json()["application"]["decision"]
    assert (decision["credit_limit"], decision["max_terms_days"], decision["state"]) == (
        500000.0,
        45,
        "valid",
    )
    position = erin.get("/api/credit/clients/C5").json()["position"]
    assert (position["credit_limit"], position["max_terms_days"]) == (500000.0, 45)
    assert position["decision"]["decision_no"] == decision["decision_no"]
    card = erin.get(url).json()
    assert card["credit"]["decision"]["decision_no"] == decision["decision_no"]
    assert card["credit_applications"] == [
        {"id": ids, "number": f"CA-{ids:06d}", "state": "approved"}
    ]

    moved = post(erin, f"{url}/move", {"stage": "contract", "comment": "Договор подписан"})
    assert moved.status_code == 200, moved.content
    after = moved.json()
    assert (after["stage"], after["opened_incidents"], after["warnings"]) == ("contract", [], [])
    assert [(c["stage_before"], c["stage"]) for c in after["stage_history"]] == [
        (None, "qualification"),
        ("qualification", "contract"),
    ]
    assert after["stage_history"][1]["comment"] == "Договор подписан"
    # The deal at the contract counts in the client's exposure.
    assert (after["credit"]["exposure"], after["credit"]["available"]) == (300000.0, 200000.0)

    # Without a decision: dave's deal for C2 is refused; the director overrides it.
    dave_deal = open_deal(bearer("dave"), client_code="C2", payment_terms_days=30).json()
    alice = bearer("alice")
    move = f"/api/deals/{dave_deal['id']}/move"
    asked = post(alice, move, {"stage": "contract"})
    assert asked.status_code == 409 and asked.json()["overridable"] is True
    overridden = post(
        alice, move, {"stage": "contract", "override_reason": "Комитет согласовал по телефону"}
    )
    assert overridden.status_code == 200, overridden.content
    (opened,) = overridden.json()["opened_incidents"]
    incident = Incident.objects.get(pk=opened["id"])
    assert (opened["rule"], incident.kind, incident.subject_id) == (
        DEFERRED,
        "override",
        dave_deal["id"],
    )
    assert incident.override_reason == "Комитет согласовал по телефону"
    assert incident.violator == sales.employees["dave"]
    assert bearer("dave").get(f"/api/deals/{dave_deal['id']}").json()["incidents"] == [opened]


def test_the_credit_rules_name_each_breach(sales: Company, bearer: MakeClient) -> None:
    """C1's decision allows 30 days up to 100 000, and its invoice is long overdue: 45 days
    on 300 000 break all three rules."""
    charlie = bearer("charlie")
    deal = open_deal(charlie, client_code="C1").json()
    refused = post(charlie, f"/api/deals/{deal['id']}/move", {"stage": "shipped"})
    assert refused.status_code == 409
    rules = {r["code"]: r["message"] for r in refused.json()["rules"]}
    assert rules.keys() == {DEFERRED, OVERDUE, "deal_within_credit_limit"}
    assert "days overdue" in rules[OVERDUE]
    assert rules["deal_within_credit_limit"].endswith("the credit limit is 100,000.")
    # Paid on shipment, nothing to guard.
    cash = open_deal(charlie, client_code="C1", payment_terms_days=0).json()
    assert post(charlie, f"/api/deals/{cash['id']}/move", {"stage": "shipped"}).status_code == 200


def test_a_deal_moves_along_and_stops_when_it_is_closed(sales: Company, bearer: MakeClient) -> None:
    erin = bearer("erin")
    deal = open_deal(erin, payment_terms_days=0).json()
    url = f"/api/deals/{deal['id']}"
    assert post(erin, f"{url}/move", {"stage": "proposal"}).status_code == 200
    same = post(erin, f"{url}/move", {"stage": "proposal"})
    assert same.status_code == 409
    assert same.json() == {
        "detail": "The deal is at this stage already.",
        "rules": [],
        "overridable": False,
    }
    assert errors(post(erin, f"{url}/move", {"stage": "lost"})) == {
        "comment": "Say why the deal is lost."
    }
    assert "stage" in errors(post(erin, f"{url}/move", {"stage": "won"}))
    for stage in ["contract", "shipped", "paid"]:
        assert post(erin, f"{url}/move", {"stage": stage}).status_code == 200, stage
    closed = post(erin, f"{url}/move", {"stage": "lost", "comment": "x"})
    assert closed.status_code == 409
    assert closed.json()["detail"] == "The deal is paid: it moves no more."
    assert patch(erin, url, {"title": "x"}).status_code == 409


def test_a_prospect_s_deal_waits_for_the_conversion_before_the_contract(
    sales: Company, bearer: MakeClient
) -> None:
    erin = bearer("erin")
    prospect = new_prospect(erin).json()
    deal = open_deal(erin, client_code=None, prospect_id=prospect["id"], payment_terms_days=0)
    refused = post(erin, f"/api/deals/{deal.json()['id']}/move", {"stage": "contract"})
    assert refused.status_code == 409
    assert "Convert the prospect into a client before the contract." in refused.json()["detail"]


def test_the_terms_are_fixed_from_the_contract_on(sales: Company, bearer: MakeClient) -> None:
    erin = bearer("erin")
    deal = open_deal(erin, payment_terms_days=0).json()
    url = f"/api/deals/{deal['id']}"
    changed = patch(erin, url, {"amount": 250000.5, "product_groups": ["Бумага"], "notes": "Н"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["amount"], changed.json()["product_groups"]) == (250000.5, ["Бумага"])
    assert errors(patch(erin, url, {"payment_terms_days": 400})).keys() == {"payment_terms_days"}
    assert errors(patch(erin, url, {"title": " "})) == {"title": "Name the deal."}
    assert errors(patch(erin, url, {"amount": "10"})).keys() == {"amount"}
    post(erin, f"{url}/move", {"stage": "contract"})
    fixed = patch(erin, url, {"payment_terms_days": 30})
    assert fixed.status_code == 409
    assert fixed.json()["detail"].startswith("The amount and the payment terms are fixed")
    assert patch(erin, url, {"title": "Бумага, договор № 7"}).status_code == 200
    assert Deal.objects.get(pk=deal["id"]).payment_terms_days == 0


def test_making_a_deal_names_each_refused_field(sales: Company, bearer: MakeClient) -> None:
    erin = bearer("erin")
    assert errors(open_deal(erin, client_code=None)) == {
        "client_code": "A deal is for a client or for a prospect."
    }
    assert errors(open_deal(erin, title="")) == {"title": "Name the deal."}
    assert "expected_close" in errors(open_deal(erin, expected_close="soon"))
    assert "amount" in errors(open_deal(erin, amount=-1))
    assert "product_groups.0" in errors(open_deal(erin, product_groups=[""]))
    assert errors(open_deal(erin, owner_code="E404")) == {
        "owner_code": "No employee with this code."
    }
    # Clients and prospects the caller may not see are not found.
    assert open_deal(erin, client_code="C1").status_code == 404
    assert open_deal(erin, client_code="C404").status_code == 404
    judy_s = new_prospect(bearer("judy")).json()
    assert open_deal(erin, client_code=None, prospect_id=judy_s["id"]).status_code == 404
    lost = new_prospect(erin).json()
    post(erin, f"/api/deals/prospects/{lost['id']}/status", {"status": "lost", "comment": "Нет"})
    assert errors(open_deal(erin, client_code=None, prospect_id=lost["id"])) == {
        "prospect_id": "The prospect is lost."
    }
    # A key-account manager's deal for a prospect is acquisition work: refused.
    mine = new_prospect(erin).json()
    assert "owner_code" in errors(
        open_deal(bearer("alice"), client_code=None, prospect_id=mine["id"], owner_code="E3")
    )
    for login in ["frank", "grace", "kate", "ivan"]:
        assert open_deal(bearer(login)).status_code == 403, login


def test_only_the_owner_the_head_and_the_director_change_a_deal(
    sales: Company, bearer: MakeClient
) -> None:
    charlie_s = open_deal(bearer("charlie"), client_code="C1", payment_terms_days=0).json()
    erin_s = open_deal(bearer("erin"), payment_terms_days=0).json()
    proposal = {"stage": "proposal"}
    # The head changes the key-account department's deals, not the sales department's.
    assert post(bearer("helen"), f"/api/deals/{charlie_s['id']}/move", proposal).status_code == 200
    assert post(bearer("helen"), f"/api/deals/{erin_s['id']}/move", proposal).status_code == 403
    assert bearer("helen").get(f"/api/deals/{erin_s['id']}").json()["may_edit"] is False
    assert post(bearer("alice"), f"/api/deals/{erin_s['id']}/move", proposal).status_code == 200
    # Others who read the pipeline may not move deals; dave does not see charlie's.
    for login in ["frank", "grace", "kate"]:
        refused = post(bearer(login), f"/api/deals/{charlie_s['id']}/move", proposal)
        assert refused.status_code == 403, login
    assert bearer("dave").get(f"/api/deals/{charlie_s['id']}").status_code == 404
    assert patch(bearer("dave"), f"/api/deals/{charlie_s['id']}", {"title": "x"}).status_code == 404
    assert bearer("ivan").get(f"/api/deals/{charlie_s['id']}").status_code == 403
    assert bearer("alice").get("/api/deals/999999").status_code == 404


def test_the_list_and_the_pipeline_filter_sort_and_total(
    sales: Company, bearer: MakeClient
) -> None:
    erin, charlie = bearer("erin"), bearer("charlie")
    soon = (TODAY + dt.timedelta(days=5)).isoformat()
    late = (TODAY + dt.timedelta(days=60)).isoformat()
    past = (TODAY - dt.timedelta(days=3)).isoformat()
    a = open_deal(erin, title="Альфа", amount=100, expected_close=late).json()
    b = open_deal(erin, title="Бета", amount=200, payment_terms_days=0, expected_close=soon).json()
    c = open_deal(charlie, title="Гамма", client_code="C1", amount=50, expected_close=past).json()
    post(erin, f"/api/deals/{b['id']}/move", {"stage": "negotiation"})
    alice = bearer("alice")

    def titles(**query: Any) -> list[str]:
        return [d["title"] for d in alice.get("/api/deals", query).json()["items"]]

    assert titles() == ["Гамма", "Бета", "Альфа"]
    assert titles(sort="-amount") == ["Бета", "Альфа", "Гамма"]
    # The stage sorts in the pipeline's order (then by the expected close).
    assert titles(sort="stage") == ["Гамма", "Альфа", "Бета"]
    assert titles(sort="-stage") == ["Бета", "Альфа", "Гамма"]
    assert titles(sort="title") == ["Альфа", "Бета", "Гамма"]
    assert titles(stage="negotiation") == ["Бета"]
    assert titles(stage=["qualification", "negotiation"], owner_code="E5") == ["Бета", "Альфа"]
    assert titles(client_code="C1") == ["Гамма"]
    assert titles(deferred="true") == ["Гамма", "Альфа"]
    assert titles(deferred="false") == ["Бета"]
    assert titles(expected_close_from=TODAY.isoformat(), expected_close_to=soon) == ["Бета"]
    assert titles(q="бет") == ["Бета"]
    assert titles(q="ромаш") == ["Гамма"]
    assert titles(q=f"D-{b['id']:06d}") == ["Бета"]
    assert titles(open="false") == []
    listed = alice.get("/api/deals", {"limit": 1}).json()
    assert (listed["count"], listed["amount"], len(listed["items"])) == (3, 350.0, 1)
    assert listed["items"][0]["late"] is True and listed["items"][0]["id"] == c["id"]
    assert alice.get("/api/deals", {"expected_close_from": "5"}).status_code == 422
    # erin sees her own deals only.
    assert [d["id"] for d in erin.get("/api/deals").json()["items"]] == [b["id"], a["id"]]

    pipeline = alice.get("/api/deals/pipeline").json()
    stages = {s["stage"]: (s["count"], s["amount"]) for s in pipeline["stages"]}
    assert [s["stage"] for s in pipeline["stages"]] == [
        "qualification",
        "proposal",
        "negotiation",
        "contract",
        "shipped",
        "paid",
        "lost",
    ]
    assert stages["qualification"] == (2, 150.0) and stages["negotiation"] == (1, 200.0)
    assert (pipeline["open_count"], pipeline["open_amount"]) == (3, 350.0)
    assert pipeline["stages"][0]["label"] == "Qualification"
    mine = erin.get("/api/deals/pipeline", {"deferred": "true"}).json()
    assert (mine["open_count"], mine["open_amount"]) == (1, 100.0)
    assert bearer("ivan").get("/api/deals/pipeline").status_code == 403


def test_the_lists_read_in_a_fixed_number_of_queries(sales: Company, bearer: MakeClient) -> None:
    erin, alice = bearer("erin"), bearer("alice")
    for n in range(4):
        open_deal(erin, title=f"Сделка {n}")
        new_prospect(erin, name=f"ООО «Новый {n}»")
    for url in ["/api/deals", "/api/deals/prospects"]:
        alice.get(url)  # the token's first use writes its last-used time
        with CaptureQueriesContext(connection) as one:
            assert len(alice.get(url, {"limit": 1}).json()["items"]) == 1
        with CaptureQueriesContext(connection) as every:
            assert len(alice.get(url).json()["items"]) == 4
        assert len(every) == len(one), url


def test_the_document_keeps_the_new_names_apart() -> None:
    schemas = HttpClient().get("/api/openapi.json").json()["components"]["schemas"]
    assert schemas["ProspectNextStatus"]["enum"] == ["new", "contacted", "qualified", "lost"]
    assert "converted" in schemas["ProspectStatus"]["enum"]
    # A prospect's source is not an assignment's (kam.keyaccounts' Source).
    assert "exhibition" in schemas["ProspectSource"]["enum"]
    assert "exhibition" not in schemas["Source"]["enum"]
