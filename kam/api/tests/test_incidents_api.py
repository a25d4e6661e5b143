"""/api/incidents: the inbox, an incident's story, its lifecycle from open to closed with a
sanction, the scorecard and the catalogue of sanctions, through the API.

The company of the API tests (conftest), with helen heading the key-account department: the
audit finds C1's invoice S2 (10 days of deferred payment, about 90 days ago) shipped without a
valid credit-committee decision, an incident naming charlie (C1's responsible, the document has
no seller) handled by helen, his department's head. dave's incident (a key-account manager
keeping prospects) names dave; the director handles the company's own.
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
from kam.incidents.models import Incident, Sanction, SanctionKind
from kam.organization.models import Department
from kam.rules.audit import audit_run

pytestmark = pytest.mark.django_db

JSON = "application/json"
DEFERRED = "deferred_payment_requires_credit_approval"


def errors(response: Any) -> dict[str, str]:
    """A 422's refusals: the location after body/payload (or the query) → message."""
    assert response.status_code == 422, response.content
    found = {}
    for item in response.json()["detail"]:
        loc = item["loc"][2:] if item["loc"][:2] == ["body", "payload"] else item["loc"]
        found[".".join(str(part) for part in loc)] = item["msg"]
    return found


def post(api: HttpClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(url, body or {}, content_type=JSON)


@pytest.fixture
def audited(company: Company) -> Company:
    Department.objects.filter(kind="key_accounts").update(head=company.employees["helen"])
    audit_run()
    return company


def deferred_incident() -> Incident:
    return Incident.objects.get(rule__code=DEFERRED)


def decision(**fields: Any) -> dict[str, Any]:
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    return {
        "conclusion": "Shipped on credit before the committee met.",
        "sanction_code": "fine",
        "amount": 5000,
        "actions": [
            {
                "description": "Ask the committee before any deferred sale",
                "owner_code": "E3",
                "due": due,
            }
        ],
        **fields,
    }


# --- The inbox ---------------------------------------------------------------------------------


def test_the_inbox_lists_each_caller_s_incidents_by_tab_filtered_and_sorted(
    audited: Company, bearer: MakeClient
) -> None:
    alice, charlie, helen = bearer("alice"), bearer("charlie"), bearer("helen")
    everything = alice.get("/api/incidents")
    assert everything.status_code == 200, everything.content
    body = everything.json()
    assert body["count"] == Incident.objects.count() == len(body["items"])
    row = next(i for i in body["items"] if i["rule"]["code"] == DEFERRED)
    assert row["number"] == deferred_incident().number
    assert (row["subject_type"], row["subject_key"], row["state"]) == (
        "sales_document",
        "S2",
        "open",
    )
    assert (row["violator"]["code"], row["handler"]["code"], row["handler_role"]) == (
        "E3",
        "E9",
        "department_head",
    )
    assert row["client"]["code"] == "C1" and row["department"]["kind"] == "key_accounts"
    assert row["rule"]["version"] == 1
    assert row["message"].startswith("10 days of deferred payment without a credit-committee")
    assert row["overdue"] is False

    mine = charlie.get("/api/incidents", {"tab": "mine"}).json()
    assert {i["violator"]["code"] for i in mine["items"]} == {"E3"}
    assert mine["tab_counts"]["mine"] == mine["count"]
    handled = helen.get("/api/incidents", {"tab": "handle"}).json()
    assert DEFERRED in {i["rule"]["code"] for i in handled["items"]}
    # dave reads only what names him.
    daves = bearer("dave").get("/api/incidents").json()["items"]
    assert {i["violator"]["code"] for i in daves} == {"E4"}

    by_rule = alice.get("/api/incidents", {"rule": DEFERRED}).json()
    assert [i["subject_key"] for i in by_rule["items"]] == ["S2"]
    assert alice.get("/api/incidents", {"state": ["closed", "dismissed"]}).json()["count"] == 0
    assert alice.get("/api/incidents", {"q": "S2", "active": "true"}).json()["count"] == 1
    assert (
        alice.get("/api/incidents", {"violator": audited.employees["dave"].pk}).json()["count"] == 1
    )
    ordered = alice.get("/api/incidents", {"sort": "rule", "limit": "2", "offset": "1"}).json()
    codes = sorted(Incident.objects.values_list("rule__code", flat=True))
    assert [i["rule"]["code"] for i in ordered["items"]] == codes[1:3]
    unknown = alice.get("/api/incidents", {"rule": "no_such_rule"})
    assert unknown.status_code == 400
    assert alice.get("/api/incidents", {"tab": "others"}).status_code == 422
    assert bearer("ivan").get("/api/incidents").status_code == 403


def test_the_inbox_reads_in_a_fixed_number_of_queries(audited: Company, bearer: MakeClient) -> None:
    alice = bearer("alice")
    alice.get("/api/incidents")  # the token's first use writes its last-used time
    with CaptureQueriesContext(connection) as one:
        assert alice.get("/api/incidents", {"limit": 1}).status_code == 200
    with CaptureQueriesContext(connection) as every:
        assert len(alice.get("/api/incidents").json()["items"]) >= 5
    assert len(every) == len(one)


def test_an_incident_shows_its_facts_and_story_to_those_who_may_read_it(
    audited: Company, bearer: MakeClient
) -> None:
    incident = deferred_incident()
    url = f"/api/incidents/{incident.pk}"
    detail = bearer("charlie").get(url)
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert body["facts"]["payment_terms_days"] == 10
    assert body["facts"]["has_valid_credit_decision"] is False
    assert body["default_sanction"] == "warning"
    assert body["rule_description"].startswith("Every client who receives goods on deferred")
    assert [(e["kind"], e["actor_label"]) for e in body["events"]] == [("opened", "audit")]
    assert (body["may_explain"], body["may_handle"]) == (True, False)
    assert bearer("helen").get(url).json()["may_handle"] is True
    for login in ("alice", "frank", "grace"):
        assert bearer(login).get(url).status_code == 200
    for login in ("dave", "erin", "judy"):
        assert bearer(login).get(url).status_code == 404
    assert bearer("ivan").get(url).status_code == 403
    assert bearer("alice").get("/api/incidents/999999").status_code == 404


# --- The lifecycle -----------------------------------------------------------------------------


def test_an_incident_goes_from_open_to_closed_with_a_sanction(
    audited: Company, bearer: MakeClient
) -> None:
    charlie, helen = bearer("charlie"), bearer("helen")
    incident = deferred_incident()
    url = f"/api/incidents/{incident.pk}"

    # The handler cannot explain for the violator; the violator cannot decide his own.
    assert post(helen, f"{url}/explain", {"explanation": "x"}).status_code == 403
    assert post(charlie, f"{url}/decide", decision()).status_code == 403
    assert errors(post(charlie, f"{url}/explain", {"explanation": " "})) == {
        "explanation": "Write what happened and why."
    }
    explained = post(charlie, f"{url}/explain", {"explanation": "The committee met a day late."})
    assert explained.status_code == 200, explained.content
    assert (explained.json()["state"], explained.json()["explanation"]) == (
        "investigating",
        "The committee met a day late.",
    )
    comment = post(helen, f"{url}/comments", {"text": "Checked with the committee."})
    assert comment.status_code == 201, comment.content
    assert (comment.json()["kind"], comment.json()["actor"]) == ("comment", "helen")

    decided = post(helen, f"{url}/decide", decision())
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert (body["state"], body["decided_by"]) == ("decided", "helen")
    assert [(s["kind"]["code"], s["amount"], s["employee"]["code"]) for s in body["sanctions"]] == [
        ("fine", 5000.0, "E3")
    ]
    (action,) = body["corrective_actions"]
    assert (action["owner"]["code"], action["done_on"], action["overdue"]) == ("E3", None, False)
    # Decided: the explanation is closed, a second decision is a conflict, and it does not
    # close while an action is open.
    late = post(charlie, f"{url}/explain", {"explanation": "More"})
    assert late.status_code == 409
    assert late.json()["detail"] == "The incident is decided: the explanation can no longer change."
    assert post(helen, f"{url}/decide", decision()).status_code == 409
    early = post(helen, f"{url}/close")
    assert early.status_code == 409
    assert early.json()["detail"] == (
        "1 corrective action(s) not done yet: the incident closes when all are done."
    )

    done_url = f"{url}/actions/{action['id']}/done"
    assert post(bearer("frank"), done_url, {"outcome": "x"}).status_code == 403
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert errors(post(charlie, done_url, {"outcome": "Done", "done_on": future})) == {
        "done_on": "An action is not done in the future."
    }
    done = post(charlie, done_url, {"outcome": "Agreed with the committee chair"})
    assert done.status_code == 200, done.content
    assert done.json()["corrective_actions"][0]["done_by"] == "charlie"
    assert post(charlie, done_url, {"outcome": "Again"}).status_code == 409
    assert post(charlie, f"{url}/actions/999999/done", {"outcome": "x"}).status_code == 404

    closed = post(helen, f"{url}/close", {"comment": "Settled"})
    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert (body["state"], body["closed_by"], body["may_handle"]) == ("closed", "helen", False)
    assert [e["kind"] for e in body["events"]] == [
        "opened",
        "explained",
        "comment",
        "decided",
        "action_done",
        "closed",
    ]
    assert Sanction.objects.get(incident=incident).amount == 5000
    # Closed: nothing more is recorded; who may not act is still refused first (403).
    assert post(helen, f"{url}/dismiss", {"reason": "x"}).status_code == 409
    assert post(bearer("frank"), f"{url}/dismiss", {"reason": "x"}).status_code == 403
    assert post(bearer("dave"), f"{url}/close").status_code == 404
    assert {"incident.explained", "incident.decided", "incident.closed"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_a_decision_names_each_refused_field(audited: Company, bearer: MakeClient) -> None:
    helen = bearer("helen")
    url = f"/api/incidents/{deferred_incident().pk}"
    assert post(helen, f"{url}/decide", decision()).status_code == 409  # still open
    investigating = post(helen, f"{url}/investigate", {"comment": "Explain, please"})
    assert investigating.status_code == 200, investigating.content
    assert investigating.json()["state"] == "investigating"
    assert post(helen, f"{url}/investigate").status_code == 409

    assert errors(post(helen, f"{url}/decide", decision(sanction_code="flogging"))) == {
        "sanction_code": "No sanction with this code in the catalogue."
    }
    stranger = decision()
    stranger["actions"][0]["owner_code"] = "E404"
    assert errors(post(helen, f"{url}/decide", stranger)) == {
        "actions.0.owner_code": "No employee with this code."
    }
    found = errors(post(helen, f"{url}/decide", decision(amount=None, actions=[], conclusion="")))
    assert found == {
        "conclusion": "Write the conclusion of the investigation.",
        "actions": "Name at least one corrective action, its owner and due date.",
        "amount": "A fine needs its amount.",
    }
    assert "percent" in errors(post(helen, f"{url}/decide", decision(sanction_code="bonus_cut")))
    assert "percent" in errors(
        post(helen, f"{url}/decide", decision(sanction_code="bonus_cut", percent=150))
    )
    assert "amount" in errors(post(helen, f"{url}/decide", decision(amount="5000")))
    cut = post(helen, f"{url}/decide", decision(sanction_code="bonus_cut", percent=10, amount=None))
    assert cut.status_code == 200, cut.content
    sanction = cut.json()["sanctions"][0]
    assert (sanction["kind"]["code"], sanction["percent"], sanction["amount"]) == (
        "bonus_cut",
        10.0,
        None,
    )


def test_a_false_alarm_is_dismissed_with_a_reason(audited: Company, bearer: MakeClient) -> None:
    alice = bearer("alice")
    url = f"/api/incidents/{deferred_incident().pk}"
    assert errors(post(alice, f"{url}/dismiss", {"reason": ""})) == {
        "reason": "Say why this is a false alarm."
    }
    assert post(bearer("grace"), f"{url}/dismiss", {"reason": "x"}).status_code == 403
    dismissed = post(alice, f"{url}/dismiss", {"reason": "The decision was filed late in 1C."})
    assert dismissed.status_code == 200, dismissed.content
    assert (dismissed.json()["state"], dismissed.json()["dismissed_reason"]) == (
        "dismissed",
        "The decision was filed late in 1C.",
    )
    rules = alice.get("/api/rules", {"q": DEFERRED}).json()["items"]
    assert rules[0]["counts"]["false_alarm_rate"] == 1.0


def test_only_those_in_the_story_comment(audited: Company, bearer: MakeClient) -> None:
    url = f"/api/incidents/{deferred_incident().pk}/comments"
    assert post(bearer("frank"), url, {"text": "Hm"}).status_code == 403
    assert errors(post(bearer("charlie"), url, {"text": "  "})) == {"text": "Write the comment."}
    assert post(bearer("charlie"), url, {"text": "I will explain"}).status_code == 201


# --- The scorecard -----------------------------------------------------------------------------


def test_the_scorecard_counts_incidents_of_the_months_asked(
    audited: Company, bearer: MakeClient
) -> None:
    card = bearer("frank").get("/api/incidents/scorecard")
    assert card.status_code == 200, card.content
    body = card.json()
    this_month = timezone.localdate().strftime("%Y-%m")
    assert body["month_to"] == this_month
    assert body["total"] == body["active"] == Incident.objects.count()
    charlie = next(r for r in body["by_employee"] if r["code"] == "E3")
    assert charlie["total"] == Incident.objects.filter(violator__code="E3").count()
    assert {r["rule"] for r in body["by_rule"]} >= {DEFERRED}
    assert body["by_month"] == [
        {
            "month": this_month,
            "total": body["total"],
            **{
                s: Incident.objects.filter(subprocess=s).count()
                for s in ("acquisition", "deal", "retention", "fulfilment")
            },
        }
    ]
    before = bearer("alice").get(
        "/api/incidents/scorecard", {"month_from": "2020-01", "month_to": "2020-12"}
    )
    assert before.json()["total"] == 0
    assert errors(
        bearer("alice").get(
            "/api/incidents/scorecard", {"month_from": "2021-01", "month_to": "2020-12"}
        )
    ) == {"query.month_from": "The first month must not be after the last."}
    # The head counts what she reads; a manager does not read the scorecard.
    assert bearer("helen").get("/api/incidents/scorecard").json()["total"] >= 1
    assert bearer("charlie").get("/api/incidents/scorecard").status_code == 403


# --- The catalogue of sanctions ----------------------------------------------------------------


def test_the_director_keeps_the_catalogue_of_sanctions(
    company: Company, bearer: MakeClient
) -> None:
    listed = bearer("erin").get("/api/incidents/sanctions")
    assert listed.status_code == 200, listed.content
    codes = [k["code"] for k in listed.json()]
    assert codes[:3] == ["none", "note", "warning"]
    fine = next(k for k in listed.json() if k["code"] == "fine")
    assert (fine["measure"], fine["name"]) == ("amount", "Fine")

    alice = bearer("alice")
    body = {"code": "demotion", "name_ru": "Понижение", "name_en": "Demotion", "position": 70}
    added = post(alice, "/api/incidents/sanctions", body)
    assert added.status_code == 201, added.content
    assert added.json()["measure"] == "none"
    assert post(alice, "/api/incidents/sanctions", body).status_code == 409
    assert (
        post(bearer("helen"), "/api/incidents/sanctions", {**body, "code": "x"}).status_code == 403
    )
    changed = alice.patch(
        "/api/incidents/sanctions/demotion", {"is_active": False}, content_type=JSON
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["is_active"] is False
    assert bearer("helen").delete("/api/incidents/sanctions/demotion").status_code == 403
    assert alice.delete("/api/incidents/sanctions/demotion").status_code == 204
    assert alice.delete("/api/incidents/sanctions/demotion").status_code == 404
    # A rule's default sanction stays in the catalogue: it is taken out of use instead.
    in_use = alice.delete("/api/incidents/sanctions/warning")
    assert in_use.status_code == 409
    assert SanctionKind.objects.filter(code="warning").exists()


def test_the_document_keeps_the_incidents_and_the_plans_events_apart() -> None:
    schemas = HttpClient().get("/api/openapi.json").json()["components"]["schemas"]
    assert "escalated" in schemas["IncidentEventKind"]["enum"]
    assert "created" in schemas["EventKind"]["enum"]
