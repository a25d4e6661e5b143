"""The API keeps its OpenAPI contract: schemathesis fuzzes every operation in-process.

Each operation gets generated requests (valid and invalid) as the director, with a bearer
token; every response must be a documented status with a body matching its schema, and
never a 5xx. Examples are derandomised so a run is repeatable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from kam.api.models import ApiToken
from kam.api.services import api_token_create
from kam.api.tests.conftest import Company
from kam.assessment.models import AssessmentCycle
from kam.assessment.services import cycle_run
from kam.clients.models import Client
from kam.credit.models import CreditDecision
from kam.credit.services import application_submit, vote_cast
from kam.deals.services import deal_create, prospect_create
from kam.incidents.models import Incident
from kam.keyaccounts.models import Handover, WorkloadLimit
from kam.keyaccounts.services import handover_record
from kam.organization.models import Department
from kam.planning.models import DevelopmentPlan
from kam.planning.services import current_period, plan_create
from kam.rules.audit import audit_run
from kam.rules.models import AuditRun

pytestmark = pytest.mark.django_db

# KAM_API_FUZZ_EXAMPLES=500 digs deeper, with fresh random data on every run.
DEEP = os.environ.get("KAM_API_FUZZ_EXAMPLES")
MAX_EXAMPLES = int(DEEP or 25)

ACCEPTED = ["2xx", "401", "403", "404"]
# Valid by the document yet refused by the data, which a schema cannot describe: a region
# no client has (400), a file whose content is not a clean table (422, with the report), a
# cycle date in the future or before 2000 (422) and a decision's reason of only blanks (422);
# an employee code nobody has, a receiver the rules refuse, a date in the future (422) or an
# account that changed hands since (409); a plan not in the state the step needs (409), a
# value the plan's rules refuse: a target without its number, a due date far outside the
# period, a period not over yet (422); a rule code or employee nobody has in the incidents'
# filters (400), a month range the wrong way round (422); a rule, version or incident not in the
# state the step needs, a code taken, a kind of sanction in use, a sale a mandatory rule refuses
# (409); a condition naming an unknown fact, a date in the future, a violator the subject does
# not have, a sale's line without an amount (422); a prospect or deal not in the state the step
# needs, a possible duplicate client, a move the credit rules refuse, a client's second pending
# application, a second vote, a decision revoked already (409); an owner in the key-account
# department, a lost prospect, a deal for both a client and a prospect, a limit of 0, more
# approvals than members (422).
REFUSED_BY_THE_DATA = [
    ("GET /api/clients", ["400"]),
    ("POST /api/imports", ["422"]),
    ("POST /api/assessment/cycles", ["422"]),
    ("POST /api/assessment/decisions", ["422"]),
    ("POST /api/key-accounts/handovers", ["409", "422"]),
    ("POST /api/key-accounts/handovers/bulk", ["409", "422"]),
    ("PUT /api/key-accounts/workload", ["422"]),
    ("POST /api/plans", ["409", "422"]),
    ("PATCH /api/plans/{plan_id}", ["409"]),
    ("POST /api/plans/{plan_id}/targets", ["409", "422"]),
    ("PATCH /api/plans/{plan_id}/targets/{target_id}", ["409", "422"]),
    ("DELETE /api/plans/{plan_id}/targets/{target_id}", ["409"]),
    ("POST /api/plans/{plan_id}/actions", ["409", "422"]),
    ("PATCH /api/plans/{plan_id}/actions/{action_id}", ["409", "422"]),
    ("DELETE /api/plans/{plan_id}/actions/{action_id}", ["409", "422"]),
    ("POST /api/plans/{plan_id}/submit", ["409", "422"]),
    ("POST /api/plans/{plan_id}/approve", ["409"]),
    ("POST /api/plans/{plan_id}/return", ["409", "422"]),
    ("POST /api/plans/{plan_id}/close", ["409", "422"]),
    ("POST /api/rules", ["409", "422"]),
    ("POST /api/rules/{code}/versions", ["422"]),
    ("PUT /api/rules/{code}/versions/{number}", ["409", "422"]),
    ("POST /api/rules/{code}/versions/{number}/enable", ["409", "422"]),
    ("POST /api/rules/{code}/versions/{number}/dry-run", ["409", "422"]),
    ("POST /api/rules/{code}/disable", ["409", "422"]),
    ("POST /api/rules/audits", ["409", "422"]),
    ("GET /api/incidents", ["400"]),
    ("GET /api/incidents/scorecard", ["422"]),
    ("POST /api/incidents/sanctions", ["409", "422"]),
    ("PATCH /api/incidents/sanctions/{code}", ["422"]),
    ("DELETE /api/incidents/sanctions/{code}", ["409"]),
    ("POST /api/incidents/{incident_id}/explain", ["409", "422"]),
    ("POST /api/incidents/{incident_id}/investigate", ["409"]),
    ("POST /api/incidents/{incident_id}/comments", ["422"]),
    ("POST /api/incidents/{incident_id}/decide", ["409", "422"]),
    ("POST /api/incidents/{incident_id}/actions/{action_id}/done", ["409", "422"]),
    ("POST /api/incidents/{incident_id}/close", ["409"]),
    ("POST /api/incidents/{incident_id}/dismiss", ["409", "422"]),
    ("POST /api/sales", ["409", "422"]),
    ("POST /api/deals/prospects", ["422"]),
    ("PATCH /api/deals/prospects/{prospect_id}", ["409", "422"]),
    ("POST /api/deals/prospects/{prospect_id}/status", ["409", "422"]),
    ("POST /api/deals/prospects/{prospect_id}/convert", ["409", "422"]),
    ("POST /api/deals", ["422"]),
    ("PATCH /api/deals/{deal_id}", ["409", "422"]),
    ("POST /api/deals/{deal_id}/move", ["409", "422"]),
    ("POST /api/credit/applications", ["409", "422"]),
    ("POST /api/credit/applications/{application_id}/votes", ["409", "422"]),
    ("POST /api/credit/applications/{application_id}/withdraw", ["409", "422"]),
    ("POST /api/credit/decisions/{decision_id}/revoke", ["409", "422"]),
    ("PUT /api/credit/settings", ["422"]),
]
CONFIG = schemathesis.Config.from_dict(
    {
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *codes]}},
            }
            for name, codes in REFUSED_BY_THE_DATA
        ]
    }
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Django's WSGI handler closes "old" connections around each request, and the test's
    connection (inside its transaction) looks old to it: on PostgreSQL the test would lose
    its data. Django's test client disconnects the same signal."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class Director:
    """alice's bearer token; a fresh one when a generated DELETE revoked the last."""

    def __init__(self, company: Company) -> None:
        self.user = company.users["alice"]
        self.token: ApiToken | None = None
        self.secret = ""

    def headers(self) -> dict[str, str]:
        if (
            self.token is None
            or ApiToken.objects.filter(pk=self.token.pk, revoked_at__isnull=False).exists()
        ):
            self.token, self.secret = api_token_create(user=self.user, name="schemathesis")
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture
def director(company: Company) -> Director:
    return Director(company)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=not DEEP,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_keeps_its_contract(case: schemathesis.Case, director: Director) -> None:
    case.call_and_validate(headers=director.headers())


def test_it_keeps_its_contract_for_a_real_client_card(company: Company, director: Director) -> None:
    operation = schema["/api/clients/{client_id}"]["GET"]
    case = operation.Case(path_parameters={"client_id": company.clients["C1"].pk})
    response = case.call_and_validate(headers=director.headers())
    assert response.status_code == 200


def test_it_keeps_its_contract_when_revoking_a_token(company: Company, director: Director) -> None:
    headers = director.headers()
    token, _secret = api_token_create(user=company.users["alice"], name="old")
    case = schema["/api/tokens/{token_id}"]["DELETE"].Case(path_parameters={"token_id": token.pk})
    assert case.call_and_validate(headers=headers).status_code == 204


def test_it_keeps_its_contract_when_importing_a_good_file(
    company: Company, director: Director
) -> None:
    # The file as bytes: schemathesis sends it as a multipart file part.
    form: dict[str, Any] = {
        "kind": "clients",
        "file": "code,name\nN1,ООО «Новый»\n".encode(),
        "dry_run": True,
    }
    case = schema["/api/imports"]["POST"].Case(body=form, media_type="multipart/form-data")
    response = case.call_and_validate(headers=director.headers())
    assert response.status_code == 200
    assert response.json()["created"] == 1


@pytest.fixture
def cycle(company: Company) -> AssessmentCycle:
    """Today's cycle, C1 (a key account) proposed for demotion."""
    return cycle_run(as_of=timezone.localdate())


@pytest.mark.parametrize(
    "path",
    [
        "/api/assessment/cycles",
        "/api/assessment/cycles/{cycle_id}",
        "/api/assessment/cycles/{cycle_id}/assessments",
        "/api/assessment/clients/{client_id}",
    ],
)
def test_it_keeps_its_contract_for_a_real_cycle(
    company: Company, director: Director, cycle: AssessmentCycle, path: str
) -> None:
    parameters = {"cycle_id": cycle.pk, "client_id": company.clients["C1"].pk}
    operation = schema[path]["GET"]
    names = {p.name for p in operation.path_parameters}
    case = operation.Case(path_parameters={k: v for k, v in parameters.items() if k in names})
    assert case.call_and_validate(headers=director.headers()).status_code == 200


def test_it_keeps_its_contract_when_deciding(
    company: Company, director: Director, cycle: AssessmentCycle
) -> None:
    c1, c2, c3 = (company.clients[code].pk for code in ("C1", "C2", "C3"))
    body: dict[str, Any] = {
        "client_id": c2,
        "status": "key",
        "further_work": "develop",
        "reason": "Рост",
    }
    case = schema["/api/assessment/decisions"]["POST"].Case(body=body)
    assert case.call_and_validate(headers=director.headers()).status_code == 201
    # C1's proposal is accepted; C3 (standard, kept) has none: both are skipped the second time.
    for verdict in ["accept", "reject"]:
        operation = schema[f"/api/assessment/cycles/{{cycle_id}}/proposals/{verdict}"]["POST"]
        body = {"client_ids": [c1, c3]}
        case = operation.Case(path_parameters={"cycle_id": cycle.pk}, body=body)
        assert case.call_and_validate(headers=director.headers()).status_code == 200
    operation = schema["/api/assessment/decisions"]["GET"]
    assert operation.Case().call_and_validate(headers=director.headers()).json()["count"] == 2


# --- Key accounts with real data ---------------------------------------------------------------


def token_headers(company: Company, login: str) -> dict[str, str]:
    _token, secret = api_token_create(user=company.users[login], name="schemathesis")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def handover(company: Company) -> Handover:
    """C1 handed from charlie to dave, not acknowledged yet; C3 a key account nobody keeps."""
    Client.objects.filter(code="C3").update(status="key")
    return handover_record(
        client=company.clients["C1"],
        to_manager=company.employees["dave"],
        user=company.users["alice"],
        cause="overload",
        notes="Звонить по вторникам",
    )


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/api/key-accounts/board", "alice"),
        ("/api/key-accounts/mine", "dave"),
        ("/api/key-accounts/assignments", "alice"),
        ("/api/key-accounts/handovers", "alice"),
        ("/api/key-accounts/handovers/{handover_id}", "dave"),
        ("/api/key-accounts/workload", "alice"),
        ("/api/clients/{client_id}", "alice"),
    ],
)
def test_it_keeps_its_contract_for_the_key_account_department(
    company: Company, handover: Handover, path: str, login: str
) -> None:
    parameters = {"handover_id": handover.pk, "client_id": company.clients["C1"].pk}
    operation = schema[path]["GET"]
    names = {p.name for p in operation.path_parameters}
    case = operation.Case(path_parameters={k: v for k, v in parameters.items() if k in names})
    response = case.call_and_validate(headers=token_headers(company, login))
    assert response.status_code == 200
    assert response.json() != {"count": 0, "items": []}


def test_it_keeps_its_contract_when_handing_over(
    company: Company, director: Director, handover: Handover
) -> None:
    operation = schema["/api/key-accounts/handovers"]["POST"]
    c1, c3 = company.clients["C1"].pk, company.clients["C3"].pk
    back: dict[str, Any] = {
        "client_id": c1,
        "to_manager_code": "E3",
        "cause": "other",
        "reason": "Назад",
    }
    stale = operation.Case(body={**back, "expected_from_code": "E3"})
    assert stale.call_and_validate(headers=director.headers()).status_code == 409
    # charlie keeps nothing now, but C1's revenue is above the limit.
    WorkloadLimit.objects.create(manager=None, max_accounts=1, max_revenue=100)
    over = operation.Case(body={**back, "expected_from_code": "E4"})
    response = over.call_and_validate(headers=director.headers())
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "over_limit"
    confirmed = operation.Case(body={**back, "confirm_over_limit": True})
    assert confirmed.call_and_validate(headers=director.headers()).status_code == 201
    nobody: dict[str, Any] = {"client_id": c3, "to_manager_code": "E9", "cause": "assignment"}
    first = operation.Case(body={**nobody, "expected_from_code": None})
    assert first.call_and_validate(headers=director.headers()).status_code == 201
    acknowledge = schema["/api/key-accounts/handovers/{handover_id}/acknowledge"]["POST"]
    case = acknowledge.Case(path_parameters={"handover_id": handover.pk})
    assert case.call_and_validate(headers=token_headers(company, "dave")).status_code == 200
    assert case.call_and_validate(headers=director.headers()).status_code == 403


def test_it_keeps_its_contract_when_handing_over_in_bulk(
    company: Company, director: Director, handover: Handover
) -> None:
    operation = schema["/api/key-accounts/handovers/bulk"]["POST"]
    body: dict[str, Any] = {
        "from_manager_code": "E4",
        "rule": "spread",
        "receiver_codes": ["E3", "E9"],
        "client_ids": [company.clients["C1"].pk],
        "cause": "leaving",
    }
    # An acquisition rep may take C2 (standard) but not C1 (key): neither moves.
    refused = operation.Case(body={**body, "client_ids": None, "receiver_codes": ["E10"]})
    assert refused.call_and_validate(headers=director.headers()).status_code == 422
    for dry_run, status in [(True, 200), (False, 201)]:
        case = operation.Case(body={**body, "dry_run": dry_run})
        assert case.call_and_validate(headers=director.headers()).status_code == status


def test_it_keeps_its_contract_when_setting_limits(company: Company, director: Director) -> None:
    put = schema["/api/key-accounts/workload"]["PUT"]
    bodies: list[dict[str, Any]] = [
        {"max_accounts": 12, "max_revenue": 1_000_000.5},
        {"manager_code": "E3", "max_accounts": 3, "max_revenue": None},
    ]
    for body in bodies:
        assert put.Case(body=body).call_and_validate(headers=director.headers()).status_code == 200
    delete = schema["/api/key-accounts/workload/{manager_code}"]["DELETE"]
    case = delete.Case(path_parameters={"manager_code": "E3"})
    assert case.call_and_validate(headers=director.headers()).status_code == 204


# --- Development plans with real data ----------------------------------------------------------


@pytest.fixture
def plan(company: Company) -> DevelopmentPlan:
    """charlie's proposed draft for C1 this period."""
    return plan_create(client=company.clients["C1"], user=None)


def call(
    company: Company,
    login: str,
    operation: str,
    status: int,
    ids: dict[str, Any] | None = None,
    body: Any = None,
) -> Any:
    """``operation`` as ``"POST /api/plans"``, called as ``login`` and validated."""
    method, path = operation.split(" ")
    endpoint = schema[path][method]
    names = {p.name for p in endpoint.path_parameters}
    parameters = {k: v for k, v in (ids or {}).items() if k in names}
    extra = {} if body is None else {"body": body}
    case = endpoint.Case(path_parameters=parameters, **extra)
    response = case.call_and_validate(headers=token_headers(company, login))
    assert response.status_code == status, response.content
    return response.json() if response.content else None


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/api/plans", "alice"),
        ("/api/plans", "charlie"),
        ("/api/plans/{plan_id}", "frank"),
        ("/api/plans/{plan_id}/actuals", "charlie"),
        ("/api/plans/department", "helen"),
        ("/api/plans/settings", "dave"),
    ],
)
def test_it_keeps_its_contract_for_plans(
    company: Company, plan: DevelopmentPlan, path: str, login: str
) -> None:
    body = call(company, login, f"GET {path}", 200, {"plan_id": plan.pk})
    assert body != {"count": 0, "items": []}


def test_it_keeps_its_contract_through_a_plan_s_workflow(
    company: Company, plan: DevelopmentPlan
) -> None:
    ids = {"plan_id": plan.pk}
    today = timezone.localdate().isoformat()
    target = {**ids, "target_id": plan.targets.get(kind="revenue").pk}
    call(company, "charlie", "PATCH /api/plans/{plan_id}", 200, ids, {"summary": "Рост"})
    edit = "PATCH /api/plans/{plan_id}/targets/{target_id}"
    call(company, "charlie", edit, 200, target, {"value": 2500.5})
    add = "POST /api/plans/{plan_id}/targets"
    refused = call(company, "charlie", add, 422, ids, {"kind": "group_revenue", "value": 10})
    assert refused["detail"][0]["loc"] == ["body", "payload", "product_group"]
    goal = call(company, "charlie", add, 201, ids, {"kind": "qualitative", "description": "ЛПР"})
    remove = "DELETE /api/plans/{plan_id}/targets/{target_id}"
    call(company, "charlie", remove, 204, {**ids, "target_id": goal["id"]})
    body = {"kind": "call", "title": "Звонок", "due": today, "responsible_code": "E9"}
    action = call(company, "charlie", "POST /api/plans/{plan_id}/actions", 201, ids, body)
    one = {**ids, "action_id": action["id"]}
    done = {"status": "done", "outcome": "Договорились", "done_on": today}
    call(company, "helen", "PATCH /api/plans/{plan_id}/actions/{action_id}", 200, one, done)
    call(company, "charlie", "DELETE /api/plans/{plan_id}/actions/{action_id}", 422, one)
    call(company, "charlie", "POST /api/plans/{plan_id}/submit", 200, ids)
    call(company, "charlie", edit, 409, target, {"value": 1})
    call(company, "helen", "POST /api/plans/{plan_id}/return", 200, ids, {"comment": "Ещё"})
    call(company, "charlie", "POST /api/plans/{plan_id}/submit", 200, ids)
    call(company, "helen", "POST /api/plans/{plan_id}/approve", 200, ids, {"comment": "Да"})
    call(company, "alice", "POST /api/plans/{plan_id}/approve", 409, ids)
    early = {"results": [], "summary": ""}
    call(company, "charlie", "POST /api/plans/{plan_id}/close", 422, ids, early)


def test_it_keeps_its_contract_when_making_and_closing_plans(
    company: Company, plan: DevelopmentPlan
) -> None:
    previous = current_period().previous().code
    call(company, "alice", "POST /api/plans", 409, body={"client_code": "C1"})
    call(company, "alice", "POST /api/plans", 422, body={"client_code": "C2"})
    body = {"client_code": "C1", "period": previous, "continue_previous": False}
    made = call(company, "charlie", "POST /api/plans", 201, body=body)
    ids = {"plan_id": made["id"]}
    missing = {"period": previous}
    call(company, "helen", "POST /api/plans/propose-missing", 200, body=missing)
    call(company, "charlie", "POST /api/plans/{plan_id}/submit", 200, ids)
    both = {"plan_ids": [made["id"], plan.pk]}
    bulk = call(company, "helen", "POST /api/plans/approve", 200, body=both)
    assert [p["id"] for p in bulk["approved"]] == [made["id"]]
    results = [{"target_id": t["id"], "achieved": True, "reason": "Сезон"} for t in made["targets"]]
    closing = {"results": results, "summary": "Итоги"}
    closed = call(company, "charlie", "POST /api/plans/{plan_id}/close", 200, ids, closing)
    assert closed["state"] == "closed"
    call(company, "charlie", "GET /api/plans/{plan_id}/actuals", 200, ids)
    settings_body = {"period": "quarter", "approve_by_day": 28}
    call(company, "helen", "PUT /api/plans/settings", 200, body=settings_body)


# --- The rulebook, the audit, incidents and sales with real data -------------------------------

DEFERRED = "deferred_payment_requires_credit_approval"


@pytest.fixture
def audited(company: Company) -> Company:
    """The audit has run: C1's S2 (on credit without a decision) is charlie's incident, handled
    by helen, his department's head."""
    Department.objects.filter(kind="key_accounts").update(head=company.employees["helen"])
    audit_run()
    return company


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/api/rules", "erin"),
        ("/api/rules/subjects", "erin"),
        ("/api/rules/{code}", "charlie"),
        ("/api/rules/audits", "frank"),
        ("/api/rules/audits/{run_id}", "frank"),
        ("/api/incidents", "alice"),
        ("/api/incidents", "charlie"),
        ("/api/incidents/{incident_id}", "helen"),
        ("/api/incidents/scorecard", "frank"),
        ("/api/incidents/sanctions", "erin"),
    ],
)
def test_it_keeps_its_contract_for_the_rulebook_and_incidents(
    audited: Company, path: str, login: str
) -> None:
    ids = {
        "code": DEFERRED,
        "run_id": AuditRun.objects.get().pk,
        "incident_id": Incident.objects.get(rule__code=DEFERRED).pk,
    }
    body = call(audited, login, f"GET {path}", 200, ids)
    assert body and body != {"count": 0, "items": []}


def version_body(**fields: Any) -> dict[str, Any]:
    return {
        "title_ru": "Отсрочка не длиннее 20 дней",
        "title_en": "Deferred payment of 20 days at most",
        "subprocess": "deal",
        "kind": "mandatory",
        "condition": "payment_terms_days > max_days",
        "parameters": {"max_days": 20, "share": 0.5},
        "override_roles": ["director"],
        "default_sanction": "note",
        **fields,
    }


def test_it_keeps_its_contract_when_writing_the_rulebook(company: Company) -> None:
    check = {"subject_type": "sales_document", "condition": "payment_terms > 0"}
    assert not call(company, "grace", "POST /api/rules/conditions/check", 200, body=check)["ok"]
    new = {"code": "long_deferred_payment", "subject_type": "sales_document", **version_body()}
    call(company, "grace", "POST /api/rules", 201, body=new)
    call(company, "grace", "POST /api/rules", 409, body=new)
    wrong = {**new, "code": "other_rule", "condition": "payment_terms > 0"}
    refused = call(company, "grace", "POST /api/rules", 422, body=wrong)
    assert refused["detail"][0]["loc"] == ["body", "payload", "condition"]
    ids = {"code": DEFERRED, "number": 2}
    call(company, "alice", "POST /api/rules/{code}/versions", 201, ids, version_body())
    put = "PUT /api/rules/{code}/versions/{number}"
    call(company, "alice", put, 200, ids, version_body(severity="critical"))
    call(company, "alice", put, 409, {**ids, "number": 1}, version_body())
    dry = "POST /api/rules/{code}/versions/{number}/dry-run"
    figures = call(company, "alice", dry, 200, ids, {"since": "2020-01-01"})
    assert figures["samples"]
    enable = "POST /api/rules/{code}/versions/{number}/enable"
    call(company, "alice", enable, 200, ids)
    call(company, "alice", enable, 409, ids)
    disable = "POST /api/rules/{code}/disable"
    call(company, "alice", disable, 200, ids, {"reason": "Проверка"})
    call(company, "alice", disable, 409, ids, {"reason": "Ещё раз"})
    call(company, "alice", "POST /api/rules/audits", 409, body={"rule": DEFERRED})
    figures = call(company, "alice", "POST /api/rules/audits", 201, body={})
    assert figures["incidents_opened"] > 0
    again = call(company, "alice", "POST /api/rules/audits", 201, body={"since": "2020-01-01"})
    assert again["incidents_opened"] == 0


def test_it_keeps_its_contract_through_an_incident_s_lifecycle(audited: Company) -> None:
    incident = Incident.objects.get(rule__code=DEFERRED)
    ids = {"incident_id": incident.pk}
    due = timezone.localdate().isoformat()
    explain = {"explanation": "Комитет собрался на день позже"}
    call(audited, "charlie", "POST /api/incidents/{incident_id}/explain", 200, ids, explain)
    call(audited, "helen", "POST /api/incidents/{incident_id}/investigate", 409, ids, {})
    comment = {"text": "Проверено"}
    call(audited, "helen", "POST /api/incidents/{incident_id}/comments", 201, ids, comment)
    decide = "POST /api/incidents/{incident_id}/decide"
    fine = {
        "conclusion": "Отгрузка до решения комитета",
        "sanction_code": "fine",
        "amount": 5000.5,
        "actions": [{"description": "Согласовывать заранее", "owner_code": "E3", "due": due}],
    }
    refused = call(audited, "helen", decide, 422, ids, {**fine, "amount": None})
    assert refused["detail"][0]["loc"] == ["body", "payload", "amount"]
    decided = call(audited, "helen", decide, 200, ids, fine)
    call(audited, "helen", "POST /api/incidents/{incident_id}/close", 409, ids, {})
    action = {**ids, "action_id": decided["corrective_actions"][0]["id"]}
    done = "POST /api/incidents/{incident_id}/actions/{action_id}/done"
    call(audited, "charlie", done, 200, action, {"outcome": "Сделано", "done_on": due})
    closed = call(audited, "helen", "POST /api/incidents/{incident_id}/close", 200, ids, {})
    assert closed["state"] == "closed"
    dismiss = {"reason": "Ложная тревога"}
    call(audited, "helen", "POST /api/incidents/{incident_id}/dismiss", 409, ids, dismiss)
    other = Incident.objects.exclude(pk=incident.pk).filter(violator__code="E4").get()
    call(
        audited,
        "alice",
        "POST /api/incidents/{incident_id}/dismiss",
        200,
        {"incident_id": other.pk},
        dismiss,
    )
    card = call(audited, "alice", "GET /api/incidents/scorecard", 200)
    assert card["closed"] == card["dismissed"] == 1


def test_it_keeps_its_contract_for_the_catalogue_of_sanctions(company: Company) -> None:
    body = {"code": "demotion", "name_ru": "Понижение", "name_en": "Demotion", "measure": "none"}
    call(company, "alice", "POST /api/incidents/sanctions", 201, body=body)
    call(company, "alice", "POST /api/incidents/sanctions", 409, body=body)
    patch = "PATCH /api/incidents/sanctions/{code}"
    call(company, "alice", patch, 200, {"code": "demotion"}, {"is_active": False, "position": 3})
    delete = "DELETE /api/incidents/sanctions/{code}"
    call(company, "alice", delete, 409, {"code": "warning"})
    call(company, "alice", delete, 204, {"code": "demotion"})


def test_it_keeps_its_contract_when_registering_sales(company: Company) -> None:
    lines = [{"product_group": "Бумага", "quantity": 2.5, "amount": 1000.25, "cost": 600}]
    cash = {"client_code": "C1", "lines": lines}
    made = call(company, "charlie", "POST /api/sales", 201, body=cash)
    assert made["document"]["amount"] == 1000.25
    deferred = {"client_code": "C2", "payment_terms_days": 14, "lines": lines}
    refused = call(company, "alice", "POST /api/sales", 409, body=deferred)
    assert [r["code"] for r in refused["rules"]] == [DEFERRED] and refused["overridable"]
    overridden = {**deferred, "override_reason": "Комитет согласовал по телефону"}
    sold = call(company, "alice", "POST /api/sales", 201, body=overridden)
    assert [i["rule"] for i in sold["incidents"]] == [DEFERRED]
    zero = {**cash, "lines": [*lines, {"product_group": "Картон", "amount": 0}]}
    invalid = call(company, "charlie", "POST /api/sales", 422, body=zero)
    assert invalid["detail"][0]["loc"] == ["body", "payload", "lines", 1, "amount"]


# --- Prospects, deals and the credit committee with real data ----------------------------------


@pytest.fixture
def pipeline(committee: Company) -> dict[str, Any]:
    """erin's prospect; charlie's deal for C1; charlie's application for C1 with kate's vote."""
    prospect = prospect_create(user=committee.users["erin"], name="Ромашка", source="website")
    deal = deal_create(
        user=committee.users["charlie"],
        client=committee.clients["C1"],
        title="Бумага",
        amount="1000.5",
        payment_terms_days=30,
        expected_close=timezone.localdate(),
        product_groups=["Бумага"],
    )
    application = application_submit(
        client=committee.clients["C1"],
        user=committee.users["charlie"],
        requested_limit="200000",
        requested_terms_days=30,
        justification="Рост закупок",
        deal=deal,
    )
    vote_cast(application=application, user=committee.users["kate"], choice="approve")
    return {
        "prospect_id": prospect.pk,
        "deal_id": deal.pk,
        "application_id": application.pk,
        "decision_id": CreditDecision.objects.get(decision_no="D1").pk,
        "code": "C1",
    }


@pytest.mark.parametrize(
    ("path", "login"),
    [
        ("/api/deals/prospects", "erin"),
        ("/api/deals/prospects/{prospect_id}", "alice"),
        ("/api/deals/prospects/{prospect_id}/duplicates", "erin"),
        ("/api/deals", "helen"),
        ("/api/deals/pipeline", "charlie"),
        ("/api/deals/{deal_id}", "charlie"),
        ("/api/credit/applications", "leo"),
        ("/api/credit/applications/{application_id}", "frank"),
        ("/api/credit/decisions", "kate"),
        ("/api/credit/decisions/{decision_id}", "charlie"),
        ("/api/credit/settings", "erin"),
        ("/api/credit/clients/{code}", "charlie"),
    ],
)
def test_it_keeps_its_contract_for_the_pipeline_and_the_committee(
    committee: Company, pipeline: dict[str, Any], path: str, login: str
) -> None:
    body = call(committee, login, f"GET {path}", 200, pipeline)
    assert body and body != {"count": 0, "items": []}


def test_it_keeps_its_contract_through_a_deal_s_story(
    committee: Company, pipeline: dict[str, Any]
) -> None:
    prospect = {"prospect_id": pipeline["prospect_id"]}
    call(
        committee,
        "erin",
        "PATCH /api/deals/prospects/{prospect_id}",
        200,
        prospect,
        {"tax_id": "7707083893"},
    )
    status = "POST /api/deals/prospects/{prospect_id}/status"
    call(committee, "erin", status, 200, prospect, {"status": "contacted", "comment": "Звонок"})
    call(committee, "erin", status, 409, prospect, {"status": "new"})
    convert = "POST /api/deals/prospects/{prospect_id}/convert"
    refused = call(committee, "erin", convert, 409, prospect, {})
    assert [c["code"] for c in refused["candidates"]] == ["C1"]
    call(committee, "erin", convert, 200, prospect, {"confirm_new": True, "new_client_code": "N1"})
    made = call(
        committee,
        "erin",
        "POST /api/deals/prospects",
        201,
        body={"name": "ООО «Ива»", "source": "tender"},
    )
    assert made["status"] == "new"
    today = timezone.localdate().isoformat()
    body = {
        "title": "Картон",
        "client_code": "C2",
        "amount": 40.5,
        "payment_terms_days": 30,
        "expected_close": today,
    }
    deal = call(committee, "dave", "POST /api/deals", 201, body=body)
    ids = {"deal_id": deal["id"]}
    call(committee, "dave", "PATCH /api/deals/{deal_id}", 200, ids, {"product_groups": ["Картон"]})
    move = "POST /api/deals/{deal_id}/move"
    refused = call(committee, "dave", move, 409, ids, {"stage": "contract"})
    assert [r["code"] for r in refused["rules"]] == [
        "deal_on_deferred_terms_requires_credit_approval"
    ]
    apply = {
        "client_code": "C2",
        "deal_id": deal["id"],
        "requested_limit": 1000,
        "requested_terms_days": 30,
        "justification": "Первая поставка",
    }
    application = call(committee, "dave", "POST /api/credit/applications", 201, body=apply)
    call(committee, "dave", "POST /api/credit/applications", 409, body=apply)
    one = {"application_id": application["id"]}
    votes = "POST /api/credit/applications/{application_id}/votes"
    call(
        committee,
        "leo",
        votes,
        201,
        one,
        {"choice": "approve_reduced", "limit": 900.5, "terms_days": None},
    )
    decided = call(committee, "mia", votes, 201, one, {"choice": "approve"})
    assert decided["application"]["decision"]["credit_limit"] == 900.5
    call(committee, "kate", votes, 409, one, {"choice": "approve"})
    call(committee, "alice", votes, 403, one, {"choice": "approve"})
    moved = call(committee, "dave", move, 200, ids, {"stage": "contract"})
    assert moved["credit"]["exposure"] == 90.5
    call(committee, "dave", "PATCH /api/deals/{deal_id}", 409, ids, {"amount": 5})
    withdraw = "POST /api/credit/applications/{application_id}/withdraw"
    call(committee, "dave", withdraw, 409, one, {"reason": "Поздно"})
    pending = {"application_id": pipeline["application_id"]}
    call(committee, "charlie", withdraw, 200, pending, {"reason": "Передумали"})
    # Overriding the credit rules: charlie's C1 deal on 30 days, C1's invoice long overdue.
    charlie_s = {"deal_id": pipeline["deal_id"]}
    call(committee, "alice", move, 409, charlie_s, {"stage": "shipped"})
    overridden = call(
        committee,
        "alice",
        move,
        200,
        charlie_s,
        {"stage": "shipped", "override_reason": "Согласовано"},
    )
    assert overridden["opened_incidents"]
    revoke = "POST /api/credit/decisions/{decision_id}/revoke"
    decision = {"decision_id": decided["application"]["decision"]["id"]}
    call(committee, "kate", revoke, 200, decision, {"reason": "Просрочка"})
    call(committee, "kate", revoke, 409, decision, {"reason": "Ещё раз"})
    listed = call(committee, "kate", "GET /api/credit/decisions", 200)
    assert {d["state"] for d in listed["items"]} == {"valid", "revoked"}
    policy = {"approvals_needed": 3, "chair_must_approve": True, "validity_months": 6}
    call(committee, "alice", "PUT /api/credit/settings", 200, body=policy)
    call(
        committee, "alice", "PUT /api/credit/settings", 422, body={**policy, "approvals_needed": 4}
    )
