"""Guards: the actions mandatory rules govern are refused with the rule's message, nothing
written; an authorised override lets them through and opens an incident for the override."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.clients.choices import ClientStatus
from kam.credit.models import CreditDecision
from kam.incidents.choices import EventKind, IncidentKind, IncidentState
from kam.incidents.models import Incident
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.services import handover_record
from kam.keyaccounts.testing import Department_, department_create
from kam.ledger.models import MonthlyRollup, SalesDocument, SalesLine
from kam.ledger.services import SaleLineInput, sale_register
from kam.planning.choices import PlanState
from kam.planning.services import action_add, plan_approve, plan_create, plan_submit, target_add
from kam.planning.tests.ledger import sales_import
from kam.rules.audit import audit_run
from kam.rules.guards import GuardRefused
from kam.rules.models import Rule, RuleNotice
from kam.rules.services import rule_disable

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
RULE = "deferred_payment_requires_credit_approval"


@pytest.fixture
def dept() -> Department_:
    return department_create()


def sell(dept: Department_, login: str = "kate", terms: int = 45, **extra: object) -> object:
    return sale_register(
        client=dept.clients["K1"],
        date=TODAY,
        payment_terms_days=terms,
        lines=[SaleLineInput("Бумага", "150000", cost="90000", quantity="10")],
        user=dept.users[login],
        **extra,  # type: ignore[arg-type]
    )


def test_it_blocks_deferred_payment_without_credit_approval(dept: Department_) -> None:
    with pytest.raises(GuardRefused) as refused:
        sell(dept)
    assert [b.version.rule.code for b in refused.value.breaches] == [RULE]
    assert "45 days of deferred payment without a credit-committee decision" in str(
        refused.value.messages
    )
    # kate (a manager) may not override it: the director may.
    assert refused.value.overridable is False
    assert not SalesDocument.objects.exists() and not SalesLine.objects.exists()
    assert not Incident.objects.exists()


def test_a_sale_within_a_valid_decision_goes_through(dept: Department_) -> None:
    CreditDecision.objects.create(
        decision_no="CD-1",
        client=dept.clients["K1"],
        date=TODAY - dt.timedelta(days=30),
        valid_until=TODAY + dt.timedelta(days=300),
        max_terms_days=45,
        credit_limit=Decimal(1_000_000),
    )
    sale = sell(dept)
    document = sale.document  # type: ignore[attr-defined]
    assert document.doc_no == f"KAM-{TODAY.year}-000001"
    assert (document.amount, document.cost, document.payment_terms_days) == (
        Decimal("150000.00"),
        Decimal("90000.00"),
        45,
    )
    assert document.due_date == TODAY + dt.timedelta(days=45)
    assert document.employee == dept.employees["kate"]
    rollup = MonthlyRollup.objects.get(client=dept.clients["K1"], month=TODAY.replace(day=1))
    assert (rollup.revenue, rollup.margin, rollup.documents) == (
        Decimal("150000.00"),
        Decimal("60000.00"),
        1,
    )
    assert not Incident.objects.exists()
    assert AuditEntry.objects.filter(action="ledger.sale_registered").count() == 1
    # Longer terms than the decision allows are refused again.
    with pytest.raises(GuardRefused):
        sell(dept, terms=60)


def test_an_override_lets_the_sale_through_and_opens_an_incident(dept: Department_) -> None:
    with pytest.raises(GuardRefused) as refused:
        sell(dept, login="alice")
    assert refused.value.overridable is True
    sale = sell(dept, login="alice", override_reason="Tender deadline; the committee meets Monday.")
    document = sale.document  # type: ignore[attr-defined]
    incident = Incident.objects.get()
    assert sale.incidents == [incident]  # type: ignore[attr-defined]
    assert incident.kind == IncidentKind.OVERRIDE
    assert incident.rule.code == RULE
    assert (incident.subject_key, incident.subject_id) == (document.doc_no, document.pk)
    assert incident.overridden_by == dept.users["alice"]
    assert incident.override_reason == "Tender deadline; the committee meets Monday."
    assert incident.violator == dept.employees["alice"]  # the seller: whoever registered it
    assert incident.state == IncidentState.OPEN
    assert incident.events.get().kind == EventKind.OVERRIDDEN
    # The audit finds the same breach and counts the override's incident, opening none.
    figures = audit_run(rule_code=RULE).figures
    assert (figures["violations"], figures["incidents_opened"], figures["already_open"]) == (
        1,
        0,
        1,
    )


def test_only_a_role_the_rule_names_may_override(dept: Department_) -> None:
    with pytest.raises(GuardRefused, match="may not override"):
        sell(dept, override_reason="I promise they will pay.")
    assert not SalesDocument.objects.exists()


def test_a_switched_off_rule_refuses_nothing(dept: Department_) -> None:
    rule = Rule.objects.get(code=RULE)
    rule_disable(rule=rule, user=dept.users["alice"], reason="Credit checks move to 1C.")
    sell(dept)
    assert SalesDocument.objects.count() == 1


def test_the_overdue_debt_rule_counts_the_clients_debt_on_the_sale_date(
    dept: Department_, tmp_path: Path
) -> None:
    CreditDecision.objects.create(
        decision_no="CD-1",
        client=dept.clients["K1"],
        date=TODAY - dt.timedelta(days=400),
        max_terms_days=60,
        credit_limit=Decimal(10_000_000),
    )
    sales_import(
        tmp_path, [("OLD", TODAY - dt.timedelta(days=100), "K1", "Бумага", 5000, None, 30)]
    )
    with pytest.raises(GuardRefused) as refused:
        sell(dept)
    assert [b.version.rule.code for b in refused.value.breaches] == [
        "deferred_sale_with_overdue_debt"
    ]
    assert "70 days overdue (at most 30 allowed)" in str(refused.value.messages)
    sell(dept, terms=0)  # paying on shipment is no deferred sale


def test_registering_a_sale_needs_the_client_and_checks_every_field(dept: Department_) -> None:
    with pytest.raises(PermissionDenied):
        sell(dept, login="ken")  # K1 is kate's
    with pytest.raises(PermissionDenied):
        sell(dept, login="frank")
    with pytest.raises(ValidationError) as refused:
        sale_register(
            client=dept.clients["K1"],
            date=TODAY + dt.timedelta(days=1),
            payment_terms_days=400,
            lines=[SaleLineInput("Бумага", "abc"), SaleLineInput("", "100")],
            user=dept.users["kate"],
        )
    assert set(refused.value.message_dict) == {
        "date",
        "payment_terms_days",
        "lines.1.amount",
        "lines.2.product_group",
    }
    assert not SalesLine.objects.exists()


def test_a_plan_without_a_meeting_is_not_approved(dept: Department_) -> None:
    k1 = dept.clients["K1"]
    plan = plan_create(client=k1, user=dept.users["kate"], continue_previous=False)
    plan.targets.all().delete()
    plan.actions.all().delete()
    target_add(plan=plan, user=dept.users["kate"], kind="revenue", value=1000)
    action_add(plan=plan, user=dept.users["kate"], kind="call", title="Call", due=TODAY)
    plan_submit(plan=plan, user=dept.users["kate"])
    with pytest.raises(GuardRefused, match="no meeting with the client") as refused:
        plan_approve(plan=plan, user=dept.users["helen"])
    assert refused.value.overridable is False  # the head may not; the director may
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    plan_approve(plan=plan, user=dept.users["alice"], override_reason="Meeting agreed by phone.")
    plan.refresh_from_db()
    assert plan.state == PlanState.APPROVED
    incident = Incident.objects.get()
    assert (incident.rule.code, incident.kind, incident.subject_id) == (
        "approved_plan_includes_client_meeting",
        IncidentKind.OVERRIDE,
        plan.pk,
    )
    assert incident.violator == dept.employees["kate"]  # the plan's owner


def test_a_handover_without_notes_warns_and_the_audit_records_a_notice(dept: Department_) -> None:
    handover_record(
        client=dept.clients["K1"],
        to_manager=dept.employees["ken"],
        user=dept.users["helen"],
        cause=Cause.OVERLOAD,
    )
    assert not Incident.objects.exists()  # a recommendation refuses nothing
    audit_run(rule_code="key_account_handover_with_notes")
    notice = RuleNotice.objects.get()
    assert notice.client == dept.clients["K1"]
    assert notice.employee == dept.employees["helen"]  # who recorded the handover
    assert "without notes" in notice.message()


def test_a_key_account_kept_outside_the_department_is_an_incident(dept: Department_) -> None:
    """Imported before kam: the hard check stops it in the app; the audit finds old data."""
    s1 = dept.clients["S1"]
    s1.status = ClientStatus.KEY
    s1.save(update_fields=["status"])
    figures = audit_run(rule_code="key_account_kept_by_key_account_department").figures
    assert figures["incidents_opened"] == 1
    incident = Incident.objects.get()
    assert incident.client == s1
    assert incident.violator == dept.employees["sam"]
