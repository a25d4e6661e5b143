"""Every API operation × every role (and an anonymous caller) gets exactly the answer it should.

The operations come from the OpenAPI document: a new operation without a decision here fails.
Roles call with their own bearer token; the anonymous caller sends no credentials, so its
writes meet the session's CSRF check first (403), its reads 401.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.utils import timezone

from kam.api.services import api_token_create
from kam.api.tests.conftest import PEOPLE, Company
from kam.assessment.services import cycle_run
from kam.clients.models import Client
from kam.credit.models import CreditApplication, CreditDecision
from kam.credit.services import application_submit
from kam.deals.models import Deal, Prospect
from kam.deals.services import deal_create, prospect_create
from kam.incidents.choices import IncidentState
from kam.incidents.models import CorrectiveAction, Incident, SanctionKind
from kam.keyaccounts.models import Handover
from kam.keyaccounts.services import handover_record
from kam.organization.models import Department
from kam.planning.choices import PlanState
from kam.planning.models import DevelopmentPlan
from kam.planning.periods import Period, period_of
from kam.planning.services import action_add, current_period, plan_create, target_add
from kam.rules.audit import audit_run
from kam.rules.models import Rule, RuleVersion
from kam.rules.services import VersionInput, version_save

pytestmark = pytest.mark.django_db

#: kate chairs the credit committee (conftest's committee fixture).
ROLES = [p[0] for p in PEOPLE] + ["kate", "ivan"]


def answers(default: int, anonymous: int = 401, **per_role: int) -> dict[str, int]:
    return {"anonymous": anonymous, **{r: per_role.get(r, default) for r in ROLES}}


def only(
    allowed: list[str], yes: int, no: int = 403, anonymous: int = 401, **per_role: int
) -> dict[str, int]:
    answer = {"anonymous": anonymous, **{r: yes if r in allowed else no for r in ROLES}}
    return {**answer, **per_role}


# Cycles and proposals: whoever reads every client (the director, auditor, analyst, head and
# the credit committee's members).
VIEW_ASSESSMENT = ["alice", "frank", "grace", "helen", "kate"]
# Status decisions, handovers and workload limits: the director and the key-account head.
DECIDERS = ["alice", "helen"]
# The department's board and workload: whoever reads every client.
VIEW_DEPARTMENT = VIEW_ASSESSMENT
# Clients are the responsible's: C1 is charlie's, so other managers and reps do not find it.
NOT_THEIRS = {"dave": 404, "erin": 404, "judy": 404}
# Plans: C1's plan is charlie's; whoever reads every client reads it, others do not find it.
VIEW_PLAN = [*VIEW_DEPARTMENT, "charlie"]
# Only charlie writes it; those who read it but may not write it are refused.
PLAN_OWNER = dict.fromkeys(VIEW_DEPARTMENT, 403)
# Those who read the plan but neither approve nor close it.
READERS_OF_PLANS = {"charlie": 403, "frank": 403, "grace": 403, "kate": 403}
# Who makes plans: the responsible manager, the head and the director; dave keeps no key account.
MAKE_PLANS = ["alice", "charlie", "dave", "helen"]
# The rulebook: everyone with a role reads it; the director and the analyst write it and run
# the audit.
RULE_EDITORS = ["alice", "grace"]
# The matrix incident: C1's S2 shipped on credit without a decision; charlie the violator, helen
# (his department's head) the handler. The director, the auditor and the analyst read every
# incident; dave, erin and judy do not find it.
INCIDENT_READERS = ["alice", "frank", "grace", "charlie", "helen"]
NOT_IN_THE_STORY = {"dave": 404, "erin": 404, "judy": 404, "kate": 404, "ivan": 403}
# Who may investigate, decide, close and dismiss: the handler and the director.
HANDLE = {"frank": 403, "grace": 403, "charlie": 403, **NOT_IN_THE_STORY}
SCORECARD_READERS = ["alice", "frank", "grace", "helen"]
# Whoever reads every client reads every prospect, deal and application (kate: the committee).
READ_ALL = ["alice", "frank", "grace", "helen", "kate"]
# erin's prospect: read by those who read everything; worked by erin and the director only.
PROSPECT_READERS = {"frank": 403, "grace": 403, "helen": 403, "kate": 403}
# charlie's deal for C1 (a key account): charlie, the head and the director work it.
DEAL_EDITORS = ["alice", "charlie", "helen"]
DEAL_READERS = {"frank": 403, "grace": 403, "kate": 403}


# (method, path) → expected status per caller
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("get", "/api/me"): answers(200),
    ("get", "/api/clients"): answers(200, ivan=403),
    ("get", "/api/clients/{client_id}"): answers(200, **NOT_THEIRS, ivan=403),
    ("get", "/api/imports"): only(["alice", "frank", "grace"], 200),
    ("post", "/api/imports"): only(["alice", "grace"], 200, anonymous=403),
    ("get", "/api/tokens"): answers(200),
    ("post", "/api/tokens"): answers(201, anonymous=403),
    ("delete", "/api/tokens/{token_id}"): answers(404, anonymous=403, alice=204),
    ("get", "/api/assessment/cycles"): only(VIEW_ASSESSMENT, 200),
    # alice runs today's cycle; grace runs the same date again.
    ("post", "/api/assessment/cycles"): only(
        ["alice", "grace", "helen"], 200, anonymous=403, alice=201
    ),
    ("get", "/api/assessment/cycles/{cycle_id}"): only(VIEW_ASSESSMENT, 200),
    ("get", "/api/assessment/cycles/{cycle_id}/assessments"): only(VIEW_ASSESSMENT, 200),
    ("post", "/api/assessment/cycles/{cycle_id}/proposals/accept"): only(
        DECIDERS, 200, anonymous=403
    ),
    ("post", "/api/assessment/cycles/{cycle_id}/proposals/reject"): only(
        DECIDERS, 200, anonymous=403
    ),
    ("get", "/api/assessment/clients/{client_id}"): answers(200, **NOT_THEIRS, ivan=403),
    ("get", "/api/assessment/decisions"): answers(200, ivan=403),
    ("post", "/api/assessment/decisions"): only(DECIDERS, 201, anonymous=403),
    ("get", "/api/key-accounts/board"): only(VIEW_DEPARTMENT, 200),
    ("get", "/api/key-accounts/mine"): only(["charlie", "dave", "helen"], 200),
    ("get", "/api/key-accounts/assignments"): answers(200, ivan=403),
    ("get", "/api/key-accounts/handovers"): answers(200, ivan=403),
    # The handover of {handover_id}: C1 from charlie to dave; they see it, other staff do not.
    ("get", "/api/key-accounts/handovers/{handover_id}"): only(
        [*VIEW_DEPARTMENT, "charlie", "dave"], 200, no=404, ivan=403
    ),
    # Each of the two hands C1 to the key-account manager who does not keep it at the time.
    ("post", "/api/key-accounts/handovers"): only(DECIDERS, 201, anonymous=403),
    ("post", "/api/key-accounts/handovers/{handover_id}/acknowledge"): only(
        ["dave"], 200, anonymous=403
    ),
    ("post", "/api/key-accounts/handovers/bulk"): only(DECIDERS, 201, anonymous=403),
    ("get", "/api/key-accounts/workload"): only(VIEW_DEPARTMENT, 200),
    ("put", "/api/key-accounts/workload"): only(DECIDERS, 200, anonymous=403),
    ("delete", "/api/key-accounts/workload/{manager_code}"): only(DECIDERS, 204, anonymous=403),
    ("get", "/api/plans"): answers(200, ivan=403),
    # C1 is charlie's and a key account: each allowed caller makes a plan for a free period.
    ("post", "/api/plans"): only(["alice", "charlie", "helen"], 201, anonymous=403, **NOT_THEIRS),
    ("post", "/api/plans/propose-missing"): only(MAKE_PLANS, 201, anonymous=403, dave=200),
    ("post", "/api/plans/approve"): only(DECIDERS, 200, anonymous=403),
    ("get", "/api/plans/department"): only(VIEW_DEPARTMENT, 200),
    ("get", "/api/plans/settings"): answers(200, ivan=403),
    ("put", "/api/plans/settings"): only(DECIDERS, 200, anonymous=403),
    ("get", "/api/plans/{plan_id}"): only(VIEW_PLAN, 200, no=404, ivan=403),
    ("get", "/api/plans/{plan_id}/actuals"): only(VIEW_PLAN, 200, no=404, ivan=403),
    ("patch", "/api/plans/{plan_id}"): only(
        ["charlie"], 200, no=404, anonymous=403, ivan=403, **PLAN_OWNER
    ),
    ("post", "/api/plans/{plan_id}/targets"): only(
        ["charlie"], 201, no=404, anonymous=403, ivan=403, **PLAN_OWNER
    ),
    ("patch", "/api/plans/{plan_id}/targets/{target_id}"): only(
        ["charlie"], 200, no=404, anonymous=403, ivan=403, **PLAN_OWNER
    ),
    ("delete", "/api/plans/{plan_id}/targets/{target_id}"): only(
        ["charlie"], 204, no=404, anonymous=403, ivan=403, **PLAN_OWNER
    ),
    ("post", "/api/plans/{plan_id}/actions"): only(
        ["charlie"], 201, no=404, anonymous=403, ivan=403, **PLAN_OWNER
    ),
    ("patch", "/api/plans/{plan_id}/actions/{action_id}"): only(
        ["charlie"], 200, no=404, anonymous=403, ivan=403, **PLAN_OWNER
    ),
    ("delete", "/api/plans/{plan_id}/actions/{action_id}"): only(
        ["charlie"], 204, no=404, anonymous=403, ivan=403, **PLAN_OWNER
    ),
    ("post", "/api/plans/{plan_id}/submit"): only(
        ["charlie"], 200, no=404, anonymous=403, ivan=403, **PLAN_OWNER
    ),
    # Each caller finds the plan submitted (approve, return) or approved (close).
    ("post", "/api/plans/{plan_id}/approve"): only(
        DECIDERS, 200, no=404, anonymous=403, ivan=403, **READERS_OF_PLANS
    ),
    ("post", "/api/plans/{plan_id}/return"): only(
        DECIDERS, 200, no=404, anonymous=403, ivan=403, **READERS_OF_PLANS
    ),
    ("post", "/api/plans/{plan_id}/close"): only(
        [*DECIDERS, "charlie"], 200, no=404, anonymous=403, ivan=403, frank=403, grace=403, kate=403
    ),
    ("get", "/api/rules"): answers(200, ivan=403),
    # Each editor writes a rule of a new code.
    ("post", "/api/rules"): only(RULE_EDITORS, 201, anonymous=403),
    ("get", "/api/rules/subjects"): answers(200, ivan=403),
    ("post", "/api/rules/conditions/check"): only(RULE_EDITORS, 200, anonymous=403),
    ("get", "/api/rules/{code}"): answers(200, ivan=403),
    ("post", "/api/rules/{code}/versions"): only(RULE_EDITORS, 201, anonymous=403),
    # {number} is a draft version 2; each editor finds version 1 enabled and version 2 a draft.
    ("put", "/api/rules/{code}/versions/{number}"): only(RULE_EDITORS, 200, anonymous=403),
    ("post", "/api/rules/{code}/versions/{number}/enable"): only(RULE_EDITORS, 200, anonymous=403),
    ("post", "/api/rules/{code}/versions/{number}/dry-run"): only(RULE_EDITORS, 200, anonymous=403),
    ("post", "/api/rules/{code}/disable"): only(RULE_EDITORS, 200, anonymous=403),
    ("get", "/api/rules/audits"): answers(200, ivan=403),
    ("post", "/api/rules/audits"): only(RULE_EDITORS, 201, anonymous=403),
    ("get", "/api/rules/audits/{run_id}"): answers(200, ivan=403),
    ("get", "/api/incidents"): answers(200, ivan=403),
    ("get", "/api/incidents/scorecard"): only(SCORECARD_READERS, 200),
    ("get", "/api/incidents/sanctions"): answers(200, ivan=403),
    ("post", "/api/incidents/sanctions"): only(["alice"], 201, anonymous=403),
    ("patch", "/api/incidents/sanctions/{code}"): only(["alice"], 200, anonymous=403),
    ("delete", "/api/incidents/sanctions/{code}"): only(["alice"], 204, anonymous=403),
    ("get", "/api/incidents/{incident_id}"): only(INCIDENT_READERS, 200, no=404, ivan=403),
    # Each caller finds the incident in the state the step needs.
    ("post", "/api/incidents/{incident_id}/explain"): only(
        ["charlie"], 200, anonymous=403, **NOT_IN_THE_STORY
    ),
    ("post", "/api/incidents/{incident_id}/investigate"): only(
        ["alice", "helen"], 200, anonymous=403, **HANDLE
    ),
    ("post", "/api/incidents/{incident_id}/comments"): only(
        ["alice", "helen", "charlie"], 201, anonymous=403, **NOT_IN_THE_STORY
    ),
    ("post", "/api/incidents/{incident_id}/decide"): only(
        ["alice", "helen"], 200, anonymous=403, **HANDLE
    ),
    # The action's owner (charlie) or the handler.
    ("post", "/api/incidents/{incident_id}/actions/{action_id}/done"): only(
        ["alice", "helen", "charlie"], 200, anonymous=403, **NOT_IN_THE_STORY
    ),
    ("post", "/api/incidents/{incident_id}/close"): only(
        ["alice", "helen"], 200, anonymous=403, **HANDLE
    ),
    ("post", "/api/incidents/{incident_id}/dismiss"): only(
        ["alice", "helen"], 200, anonymous=403, **HANDLE
    ),
    # A sale to C1 paid on shipment: its responsible manager, the head and the director.
    ("post", "/api/sales"): only(
        ["alice", "charlie", "helen"], 201, anonymous=403, **NOT_THEIRS, ivan=403
    ),
    # Prospects: erin's; every reader of all clients reads it, erin and the director work it.
    ("get", "/api/deals/prospects"): answers(200, ivan=403),
    # The key-account department does not prospect: its people are refused as owners (422).
    ("post", "/api/deals/prospects"): only(
        ["alice", "erin", "judy"], 201, anonymous=403, charlie=422, dave=422, helen=422
    ),
    ("get", "/api/deals/prospects/{prospect_id}"): only([*READ_ALL, "erin"], 200, no=404, ivan=403),
    ("patch", "/api/deals/prospects/{prospect_id}"): only(
        ["alice", "erin"], 200, no=404, anonymous=403, ivan=403, **PROSPECT_READERS
    ),
    # Each caller finds the prospect new (status) or new and unconverted (convert).
    ("post", "/api/deals/prospects/{prospect_id}/status"): only(
        ["alice", "erin"], 200, no=404, anonymous=403, ivan=403, **PROSPECT_READERS
    ),
    ("get", "/api/deals/prospects/{prospect_id}/duplicates"): only(
        [*READ_ALL, "erin"], 200, no=404, ivan=403
    ),
    ("post", "/api/deals/prospects/{prospect_id}/convert"): only(
        ["alice", "erin"], 200, no=404, anonymous=403, ivan=403, **PROSPECT_READERS
    ),
    # Deals: charlie's for C1 (a key account); the head changes the department's deals.
    ("get", "/api/deals"): answers(200, ivan=403),
    ("get", "/api/deals/pipeline"): answers(200, ivan=403),
    ("post", "/api/deals"): only(DEAL_EDITORS, 201, anonymous=403, **NOT_THEIRS),
    ("get", "/api/deals/{deal_id}"): only([*READ_ALL, "charlie"], 200, no=404, ivan=403),
    ("patch", "/api/deals/{deal_id}"): only(
        DEAL_EDITORS, 200, no=404, anonymous=403, ivan=403, **DEAL_READERS
    ),
    # Each caller finds the deal at the qualification stage and moves it to the proposal.
    ("post", "/api/deals/{deal_id}/move"): only(
        DEAL_EDITORS, 200, no=404, anonymous=403, ivan=403, **DEAL_READERS
    ),
    # The committee: charlie's application for C1, awaiting votes (each caller finds it so).
    ("get", "/api/credit/applications"): answers(200, ivan=403),
    ("post", "/api/credit/applications"): only(
        DEAL_EDITORS, 201, anonymous=403, **NOT_THEIRS, **DEAL_READERS
    ),
    ("get", "/api/credit/applications/{application_id}"): only(
        [*READ_ALL, "charlie"], 200, no=404, ivan=403
    ),
    # Only a member votes: others who read the application are refused before its state.
    ("post", "/api/credit/applications/{application_id}/votes"): only(
        ["kate"], 201, anonymous=403, **NOT_THEIRS, ivan=403
    ),
    ("post", "/api/credit/applications/{application_id}/withdraw"): only(
        ["alice", "charlie"], 200, anonymous=403, **NOT_THEIRS, ivan=403
    ),
    # The register: the imported decision D1 of C1; the chair and the director revoke.
    ("get", "/api/credit/decisions"): answers(200, ivan=403),
    ("get", "/api/credit/decisions/{decision_id}"): only(
        [*READ_ALL, "charlie"], 200, no=404, ivan=403
    ),
    ("post", "/api/credit/decisions/{decision_id}/revoke"): only(
        ["alice", "kate"], 200, anonymous=403, **NOT_THEIRS, ivan=403
    ),
    ("get", "/api/credit/settings"): answers(200, ivan=403),
    ("put", "/api/credit/settings"): only(["alice"], 200, anonymous=403),
    ("get", "/api/credit/clients/{code}"): answers(200, **NOT_THEIRS, ivan=403),
}


def request_data(method: str, path: str, company: Company) -> dict[str, Any]:
    if path == "/api/imports" and method == "post":
        upload = SimpleUploadedFile("c.csv", "code,name\nN1,Новый\n".encode())
        return {"data": {"kind": "clients", "file": upload, "dry_run": "true"}}
    if path == "/api/tokens" and method == "post":
        return {"data": {"name": "matrix"}, "content_type": "application/json"}
    if method == "post" and path.startswith("/api/assessment/"):
        body = assessment_bodies(company)[path]
        return {"data": body, "content_type": "application/json"}
    if method in ("post", "put") and path in key_account_bodies(company):
        return {"data": key_account_bodies(company)[path], "content_type": "application/json"}
    if path.startswith("/api/plans") and method != "get":
        return {"data": plan_body(method, path, company), "content_type": "application/json"}
    if method in ("post", "put", "patch") and path.startswith(("/api/rules", "/api/incidents")):
        body = rule_body(path) if path.startswith("/api/rules") else incident_body(path, company)
        return {"data": body, "content_type": "application/json"}
    if path == "/api/sales":
        body = {"client_code": "C1", "lines": [{"product_group": "Бумага", "amount": 100}]}
        return {"data": body, "content_type": "application/json"}
    if method != "get" and path.startswith(("/api/deals", "/api/credit")):
        return {"data": pipeline_body(path, company), "content_type": "application/json"}
    return {}


def assessment_bodies(company: Company) -> dict[str, dict[str, Any]]:
    c1 = company.clients["C1"].pk
    return {
        "/api/assessment/cycles": {"as_of": timezone.localdate().isoformat()},
        "/api/assessment/cycles/{cycle_id}/proposals/accept": {"client_ids": [c1]},
        "/api/assessment/cycles/{cycle_id}/proposals/reject": {"client_ids": [c1]},
        "/api/assessment/decisions": {
            "client_id": c1,
            "status": "key",
            "further_work": "develop",
            "reason": "matrix",
        },
    }


def key_account_bodies(company: Company) -> dict[str, dict[str, Any]]:
    """C1 goes to whichever of charlie and dave does not keep it now, so every allowed caller
    makes a real handover (the bodies are built anew for each caller)."""
    c1 = Client.objects.select_related("responsible").get(pk=company.clients["C1"].pk)
    holder = c1.responsible.code if c1.responsible else "E3"
    other = "E4" if holder == "E3" else "E3"
    return {
        "/api/key-accounts/handovers": {
            "client_id": c1.pk,
            "to_manager_code": other,
            "cause": "overload",
            "reason": "matrix",
        },
        "/api/key-accounts/handovers/bulk": {
            "from_manager_code": holder,
            "rule": "one",
            "receiver_codes": [other],
            "client_ids": [c1.pk],
            "cause": "overload",
        },
        "/api/key-accounts/workload": {"manager_code": None, "max_accounts": 20},
    }


def matrix_plan(company: Company) -> DevelopmentPlan:
    """C1's plan for the previous period, charlie's: a draft with a revenue target of 1000 (not
    met: C1 bought nothing then), a qualitative goal and a meeting (the rulebook approves no
    plan without a meeting with the client)."""
    c1 = company.clients["C1"]
    period = current_period().previous()
    plan = DevelopmentPlan.objects.filter(client=c1, period_start=period.start).first()
    if plan is None:
        plan = plan_create(client=c1, user=None, period=period, continue_previous=False)
        plan.targets.all().delete()
        plan.actions.all().delete()
        target_add(plan=plan, user=None, kind="revenue", value=1000)
        target_add(plan=plan, user=None, kind="qualitative", description="Встреча с директором")
        action_add(plan=plan, user=None, kind="meeting", title="Встреча", due=period.start)
    return plan


def matrix_plan_ids(company: Company) -> dict[str, int]:
    plan = matrix_plan(company)
    return {
        "plan_id": plan.pk,
        "target_id": plan.targets.get(kind="qualitative").pk,
        "action_id": plan.actions.get().pk,
    }


#: The state each workflow step needs: every caller finds the plan in it.
PLAN_STEP_STATES = {
    "/api/plans/{plan_id}/submit": PlanState.DRAFT,
    "/api/plans/{plan_id}/approve": PlanState.SUBMITTED,
    "/api/plans/{plan_id}/return": PlanState.SUBMITTED,
    "/api/plans/{plan_id}/close": PlanState.APPROVED,
    "/api/plans/approve": PlanState.SUBMITTED,
}


def free_period(company: Company) -> Period:
    """The first period from now on for which C1 has no plan yet."""
    period = current_period()
    latest = DevelopmentPlan.objects.filter(client=company.clients["C1"]).order_by("-period_end")
    last = latest.first()
    if last is not None and last.period_end >= period.start:
        period = period_of(last.period_end + dt.timedelta(days=1), period.kind)
    return period


def plan_body(method: str, path: str, company: Company) -> dict[str, Any]:
    """The body of a planning write; the matrix plan is put in the state the step needs."""
    if path in PLAN_STEP_STATES:
        plan = matrix_plan(company)
        DevelopmentPlan.objects.filter(pk=plan.pk).update(state=PLAN_STEP_STATES[path])
    if path in ("/api/plans", "/api/plans/propose-missing"):
        body: dict[str, Any] = {"period": free_period(company).code}
        return {**body, "client_code": "C1"} if path == "/api/plans" else body
    if path == "/api/plans/approve":
        return {"plan_ids": [matrix_plan(company).pk]}
    if path == "/api/plans/settings":
        return {"period": "month", "approve_by_day": 5}
    if path == "/api/plans/{plan_id}/close":
        results = [
            {"target_id": t.pk, "achieved": True, "reason": "matrix"}
            for t in matrix_plan(company).targets.all()
        ]
        return {"results": results, "summary": "matrix"}
    return {
        ("patch", "/api/plans/{plan_id}"): {"summary": "matrix"},
        ("post", "/api/plans/{plan_id}/targets"): {"kind": "qualitative", "description": "m"},
        ("patch", "/api/plans/{plan_id}/targets/{target_id}"): {"description": "matrix"},
        ("post", "/api/plans/{plan_id}/actions"): {
            "kind": "meeting",
            "title": "matrix",
            "due": matrix_plan(company).period_start.isoformat(),
        },
        ("patch", "/api/plans/{plan_id}/actions/{action_id}"): {"title": "matrix"},
        ("post", "/api/plans/{plan_id}/return"): {"comment": "matrix"},
    }.get((method, path), {})


# --- The rulebook, incidents and sales ---------------------------------------------------------

MATRIX_RULE = "deferred_payment_requires_credit_approval"


def matrix_version() -> dict[str, Any]:
    return {
        "title_ru": "Отсрочка не длиннее 20 дней",
        "title_en": "Deferred payment of 20 days at most",
        "subprocess": "deal",
        "kind": "mandatory",
        "condition": "payment_terms_days > 20",
    }


def matrix_rule_ids() -> dict[str, Any]:
    """The matrix rule with a draft version 2 (written once)."""
    rule = Rule.objects.get(code=MATRIX_RULE)
    if not rule.versions.filter(number=2).exists():
        data = VersionInput(**matrix_version())
        version_save(rule=rule, data=data, user=None)
    return {"code": MATRIX_RULE, "number": 2}


def rule_body(path: str) -> dict[str, Any]:
    """The body of a rulebook write; the matrix rule is put back as each step needs it:
    version 1 enabled, version 2 a draft."""
    if "{code}" in path:
        rule = Rule.objects.get(code=MATRIX_RULE)
        first, second = rule.versions.get(number=1), rule.versions.get(number=2)
        Rule.objects.filter(pk=rule.pk).update(enabled_version=None)
        RuleVersion.objects.filter(pk=second.pk).update(state="draft", enabled_at=None)
        RuleVersion.objects.filter(pk=first.pk).update(state="enabled", retired_at=None)
        Rule.objects.filter(pk=rule.pk).update(enabled_version=first)
    if path == "/api/rules":
        code = f"matrix_rule_{Rule.objects.count()}"
        return {"code": code, "subject_type": "sales_document", **matrix_version()}
    if path == "/api/rules/conditions/check":
        return {"subject_type": "sales_document", "condition": "payment_terms_days > 20"}
    if path.endswith("/disable"):
        return {"reason": "matrix"}
    if path.endswith(("/enable", "/dry-run")) or path == "/api/rules/audits":
        return {}
    return matrix_version()


def matrix_incident(company: Company) -> Incident:
    """C1's S2 without a credit decision: charlie's, handled by helen, with a corrective action
    of charlie's; found by one audit run."""
    incident = Incident.objects.filter(rule__code=MATRIX_RULE).first()
    if incident is None:
        Department.objects.filter(kind="key_accounts").update(head=company.employees["helen"])
        audit_run()
        incident = Incident.objects.get(rule__code=MATRIX_RULE)
        CorrectiveAction.objects.create(
            incident=incident,
            description="Ask the committee first",
            owner=company.employees["charlie"],
            due=timezone.localdate(),
        )
    return incident


def matrix_incident_ids(company: Company) -> dict[str, int]:
    incident = matrix_incident(company)
    return {"incident_id": incident.pk, "action_id": incident.corrective_actions.get().pk}


#: The state each step needs (every caller finds the incident in it).
INCIDENT_STEP_STATES = {
    "explain": IncidentState.OPEN,
    "investigate": IncidentState.OPEN,
    "comments": IncidentState.OPEN,
    "decide": IncidentState.INVESTIGATING,
    "done": IncidentState.DECIDED,
    "close": IncidentState.DECIDED,
    "dismiss": IncidentState.OPEN,
}


def incident_body(path: str, company: Company) -> dict[str, Any]:
    if path == "/api/incidents/sanctions":
        return {"code": "demotion", "name_ru": "Понижение", "name_en": "Demotion"}
    if path.startswith("/api/incidents/sanctions/"):
        return {"position": 5}
    step = path.rsplit("/", 1)[-1]
    incident = matrix_incident(company)
    Incident.objects.filter(pk=incident.pk).update(state=INCIDENT_STEP_STATES[step])
    done_on = timezone.localdate() if step == "close" else None
    incident.corrective_actions.update(done_on=done_on)
    due = timezone.localdate().isoformat()
    bodies: dict[str, dict[str, Any]] = {
        "explain": {"explanation": "matrix"},
        "investigate": {},
        "comments": {"text": "matrix"},
        "decide": {
            "conclusion": "matrix",
            "sanction_code": "note",
            "actions": [{"description": "matrix", "owner_code": "E3", "due": due}],
        },
        "done": {"outcome": "matrix"},
        "close": {},
        "dismiss": {"reason": "matrix"},
    }
    return bodies[step]


def path_ids(company: Company, method: str, path: str) -> dict[str, Any]:
    """The path's ids of the rulebook, incidents, the catalogue of sanctions, prospects, deals
    and the credit committee."""
    if path.startswith(("/api/deals", "/api/credit")):
        return pipeline_ids(company, path)
    if path.startswith("/api/rules/{code}"):
        return matrix_rule_ids()
    if path == "/api/incidents/sanctions/{code}":
        # A kind nobody uses, so the director may delete it.
        SanctionKind.objects.get_or_create(
            code="matrix", defaults={"name_ru": "Матрица", "name_en": "Matrix"}
        )
        return {"code": "matrix"}
    ids: dict[str, Any] = {}
    if "{run_id}" in path:
        ids["run_id"] = audit_run().run.pk
    if "{incident_id}" in path:
        ids.update(matrix_incident_ids(company))
    return ids


# --- Prospects, deals and the credit committee -------------------------------------------------


def matrix_prospect(company: Company) -> Prospect:
    """erin's prospect (made once)."""
    prospect = Prospect.objects.filter(name="ООО «Матрица»").first()
    if prospect is None:
        prospect = prospect_create(
            user=company.users["erin"], name="ООО «Матрица»", source="referral"
        )
    return prospect


def matrix_deal(company: Company) -> Deal:
    """charlie's deal for C1, paid on shipment (made once)."""
    deal = Deal.objects.filter(title="Matrix").first()
    if deal is None:
        deal = deal_create(
            user=company.users["charlie"],
            client=company.clients["C1"],
            title="Matrix",
            amount="1000",
            expected_close=timezone.localdate(),
        )
    return deal


def matrix_application(company: Company) -> CreditApplication:
    """charlie's application for C1 (filed once)."""
    application = CreditApplication.objects.filter(justification="Matrix").first()
    if application is None:
        application = application_submit(
            client=company.clients["C1"],
            user=company.users["charlie"],
            requested_limit="200000",
            requested_terms_days=30,
            justification="Matrix",
        )
    return application


def pipeline_ids(company: Company, path: str) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    if "{prospect_id}" in path:
        ids["prospect_id"] = matrix_prospect(company).pk
    if "{deal_id}" in path:
        ids["deal_id"] = matrix_deal(company).pk
    if "{application_id}" in path:
        ids["application_id"] = matrix_application(company).pk
    if "{decision_id}" in path:
        ids["decision_id"] = CreditDecision.objects.get(decision_no="D1").pk
    if path == "/api/credit/clients/{code}":
        ids["code"] = "C1"
    return ids


def pipeline_body(path: str, company: Company) -> dict[str, Any]:
    """The body of a prospect's, deal's or the committee's write; the subject is put back in the
    state the step needs (a new prospect, a deal at qualification, an application awaiting votes
    with none cast, a decision not revoked, no other application of C1 pending)."""
    today = timezone.localdate().isoformat()
    if "{prospect_id}" in path:
        Prospect.objects.filter(pk=matrix_prospect(company).pk).update(status="new", client=None)
    if "{deal_id}" in path:
        Deal.objects.filter(pk=matrix_deal(company).pk).update(stage="qualification")
    if "{application_id}" in path:
        application = matrix_application(company)
        application.votes.all().delete()
        CreditApplication.objects.filter(pk=application.pk).update(
            state="pending", decided_at=None, withdrawn_reason=""
        )
    if path == "/api/credit/applications":
        pending = CreditApplication.objects.filter(client=company.clients["C1"], state="pending")
        pending.update(state="withdrawn")
    if "{decision_id}" in path:
        CreditDecision.objects.filter(decision_no="D1").update(
            revoked_at=None, revoked_by=None, revoke_reason=""
        )
    bodies: dict[str, dict[str, Any]] = {
        "/api/deals/prospects": {"name": "ООО «Новая матрица»", "source": "website"},
        "/api/deals/prospects/{prospect_id}": {"notes": "matrix"},
        "/api/deals/prospects/{prospect_id}/status": {"status": "contacted"},
        "/api/deals/prospects/{prospect_id}/convert": {"confirm_new": True},
        "/api/deals": {
            "title": "matrix",
            "client_code": "C1",
            "amount": 100,
            "expected_close": today,
        },
        "/api/deals/{deal_id}": {"notes": "matrix"},
        "/api/deals/{deal_id}/move": {"stage": "proposal"},
        "/api/credit/applications": {
            "client_code": "C1",
            "requested_limit": 200000,
            "requested_terms_days": 30,
            "justification": "matrix",
        },
        "/api/credit/applications/{application_id}/votes": {"choice": "approve"},
        "/api/credit/applications/{application_id}/withdraw": {"reason": "matrix"},
        "/api/credit/decisions/{decision_id}/revoke": {"reason": "matrix"},
        "/api/credit/settings": {
            "approvals_needed": 2,
            "chair_must_approve": False,
            "validity_months": 12,
        },
    }
    return bodies[path]


def handover_to_dave(company: Company) -> Handover:
    return handover_record(
        client=company.clients["C1"],
        to_manager=company.employees["dave"],
        user=company.users["alice"],
        cause="overload",
    )


def test_every_operation_has_a_permission_decision() -> None:
    document = HttpClient().get("/api/openapi.json").json()
    operations = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert operations == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_role_gets_the_expected_answer(committee: Company, method: str, path: str) -> None:
    company = committee
    url = path.format(
        client_id=company.clients["C1"].pk,
        token_id=api_token_create(user=company.users["alice"], name="target")[0].pk,
        # A cycle only where the path needs one: running it takes a moment.
        cycle_id=cycle_run(as_of=timezone.localdate()).pk if "{cycle_id}" in path else 0,
        handover_id=handover_to_dave(company).pk if "{handover_id}" in path else 0,
        manager_code="E3",
        **(matrix_plan_ids(company) if "{plan_id}" in path else {}),
        **path_ids(company, method, path),
    )
    got = {}
    for caller in ["anonymous", *ROLES]:
        headers = {}
        if caller != "anonymous":
            _token, secret = api_token_create(user=company.users[caller], name="matrix")
            headers = {"Authorization": f"Bearer {secret}"}
        client = HttpClient(enforce_csrf_checks=True, headers=headers)
        response = getattr(client, method)(url, **request_data(method, path, company))
        got[caller] = response.status_code
    assert got == MATRIX[(method, path)]
