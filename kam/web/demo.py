"""The demo company: generated files, imported, with a login for every role."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_noop

from kam.imports.services import ImportReport, import_file
from kam.organization.choices import Role
from kam.organization.models import Employee
from kam.organization.services import employee_user_sync_role

DEMO_PASSWORD = "kam-demo-2026"
IMPORT_ORDER = ["employees", "clients", "sales", "payments", "credit_decisions"]
# A short, memorable login per role (the first employee holding it), besides the codes.
ROLE_LOGINS = {
    Role.DIRECTOR: "director",
    Role.KEY_ACCOUNT_HEAD: "kahead",
    Role.KEY_ACCOUNT_MANAGER: "kam",
    Role.SALES_REP: "sales",
    Role.CREDIT_COMMITTEE_MEMBER: "credit",
    Role.ANALYST: "analyst",
    Role.AUDITOR: "auditor",
}


def demo_files(out: Path, *, clients: int, years: int, seed: int, end: dt.date) -> dict[str, Any]:
    """Generate the demo files into ``out`` unless the same ones are already there."""
    from kam.generator.company import generate_company

    stamp = out / "generated.json"
    wanted = {"clients": clients, "years": years, "seed": seed, "end": end.isoformat()}
    if stamp.exists():
        try:
            if json.loads(stamp.read_text())["params"] == wanted:
                return dict(json.loads(stamp.read_text())["figures"])
        except (ValueError, KeyError):
            pass
    out.mkdir(parents=True, exist_ok=True)
    figures = generate_company(out, clients=clients, years=years, seed=seed, end=end)
    stamp.write_text(json.dumps({"params": wanted, "figures": figures}, default=str))
    return dict(figures)


def demo_import(out: Path) -> list[ImportReport]:
    """Import the five files in order; stop at the first rejected one."""
    reports = []
    for kind in IMPORT_ORDER:
        report = import_file(kind=kind, path=out / f"{kind}.csv")
        reports.append(report)
        if not report.ok:
            break
    return reports


@transaction.atomic
def demo_users() -> list[tuple[str, str, str]]:
    """A user for every employee (login = code) and a short login per role.

    Returns (login, role label, employee name) for the roles' short logins.
    """
    User = get_user_model()
    logins: list[tuple[str, str, str]] = []
    taken: set[str] = set()
    for employee in Employee.objects.select_related("user").order_by("code"):
        short = ROLE_LOGINS.get(Role(employee.role)) if employee.role else None
        username = short if short and short not in taken else employee.code.lower()
        if employee.user is None:
            user, _created = User.objects.get_or_create(username=username)
            user.first_name, _sep, user.last_name = employee.name.partition(" ")
            user.email = employee.email
            user.set_password(DEMO_PASSWORD)
            user.is_staff = employee.role in (Role.DIRECTOR, Role.ANALYST, Role.AUDITOR)
            user.is_superuser = employee.role == Role.DIRECTOR
            user.save()
            employee.user = user
            employee.save(update_fields=["user"])
        employee_user_sync_role(employee=employee)
        if short and short not in taken:
            taken.add(short)
            logins.append(
                (employee.user.get_username(), str(Role(employee.role).label), employee.name)
            )
    return logins


def demo_assessment(end: dt.date) -> dict[str, Any]:
    """The assessment story of the demo, once: the key-account department's clients start as
    key accounts (a decision by the director), a cycle three months ago whose promotions the
    key-account head accepted, and the current cycle showing what changed since."""
    from kam.assessment.choices import FurtherWork, Review
    from kam.assessment.models import Assessment, AssessmentCycle
    from kam.assessment.services import DecisionInput, cycle_run, decisions_record
    from kam.clients.choices import ClientStatus
    from kam.clients.models import Client
    from kam.ledger.months import add_months
    from kam.organization.choices import DepartmentKind

    User = get_user_model()
    director = User.objects.filter(username=ROLE_LOGINS[Role.DIRECTOR]).first()
    head = User.objects.filter(username=ROLE_LOGINS[Role.KEY_ACCOUNT_HEAD]).first()
    first_as_of = add_months(end.replace(day=1), -3) - dt.timedelta(days=1)
    if not AssessmentCycle.objects.exists():
        served = Client.objects.filter(
            responsible__department__kind=DepartmentKind.KEY_ACCOUNTS,
            status=ClientStatus.STANDARD,
        ).values_list("pk", flat=True)
        decisions_record(
            items=[
                DecisionInput(
                    pk,
                    ClientStatus.KEY,
                    FurtherWork.DEVELOP,
                    "Served by the key-account department before kam: initial status.",
                    next_review=add_months(end, 3),
                )
                for pk in served
            ],
            user=director,
        )
        earlier = cycle_run(as_of=first_as_of, user=head)
        promoted = Assessment.objects.filter(
            cycle=earlier, review=Review.PENDING, change="promote"
        ).values_list("client_id", flat=True)
        from kam.assessment.services import proposals_accept

        proposals_accept(cycle=earlier, client_ids=list(promoted), user=head)
    current = cycle_run(as_of=end, user=head)
    return {
        "cycle": current.pk,
        "as_of": current.as_of.isoformat(),
        "promote": current.promote,
        "demote": current.demote,
        "keep": current.keep,
    }


def demo_department() -> dict[str, Any]:
    """The key-account department's story, once: the head sets the workload limit, gives every
    key account without a manager to the least-loaded one (who acknowledges), and hands two
    accounts over between managers with notes: one acknowledged, one still waiting for the
    receiver (the "kam" login)."""
    import math

    from django.utils.translation import gettext as _

    from kam.keyaccounts.choices import Cause
    from kam.keyaccounts.models import Handover
    from kam.keyaccounts.selectors import board, gaps
    from kam.keyaccounts.services import (
        handover_acknowledge,
        handover_record,
        loads_of,
        workload_limit_set,
    )
    from kam.organization.choices import DepartmentKind

    User = get_user_model()
    head = User.objects.filter(username=ROLE_LOGINS[Role.KEY_ACCOUNT_HEAD]).first()
    managers = list(
        Employee.objects.filter(
            department__kind=DepartmentKind.KEY_ACCOUNTS,
            is_active=True,
            role=Role.KEY_ACCOUNT_MANAGER,
        )
        .select_related("department", "user")
        .order_by("code")
    )
    if Handover.objects.exists() or head is None or len(managers) < 2:
        current = board()
        return {"handovers": Handover.objects.count(), "gaps": len(current.gaps)}
    open_gaps = gaps()
    loads = {pk: load.accounts for pk, load in loads_of(managers).items()}
    total = sum(loads.values()) + len(open_gaps)
    limit = math.ceil(total / len(managers)) + 2
    workload_limit_set(manager=None, max_accounts=limit, max_revenue=None, user=head)
    for gap in open_gaps:
        receiver = min(managers, key=lambda m: (loads[m.pk], m.code))
        assigned = handover_record(
            client=gap.client,
            to_manager=receiver,
            user=head,
            cause=Cause.PROMOTION,
            reason=_("New key account: assigned to the manager with the lightest load."),
            expected_from=gap.responsible,
            confirm_over_limit=True,
        )
        if receiver.user is not None:  # the receivers have read their briefings
            handover_acknowledge(handover=assigned, user=receiver.user)
        loads[receiver.pk] += 1
    # An earlier handover, acknowledged, then one the "kam" login still has to acknowledge.
    kam = next(
        (
            m
            for m in managers
            if m.user and m.user.username == ROLE_LOGINS[Role.KEY_ACCOUNT_MANAGER]
        ),
        managers[0],
    )
    others = [m for m in managers if m.pk != kam.pk]
    busiest = max(others, key=lambda m: (loads[m.pk], m.code))
    second = min(others, key=lambda m: (loads[m.pk], m.code))
    story = [(busiest, second, True), (busiest, kam, False)]
    recorded = 0
    for giver, receiver, acknowledged in story:
        if giver.pk == receiver.pk:
            continue
        held = list(
            giver.assignments.filter(end__isnull=True)
            .select_related("client")
            .order_by("client__name")[:1]
        )
        if not held:
            continue
        handover = handover_record(
            client=held[0].client,
            to_manager=receiver,
            user=head,
            cause=Cause.OVERLOAD,
            reason=_("%(name)s keeps the most accounts in the department.") % {"name": giver.name},
            notes=_(
                "Call the purchasing manager before the next order; the price list for next "
                "quarter is being agreed."
            ),
            expected_from=giver,
            confirm_over_limit=True,
        )
        loads[giver.pk] -= 1
        loads[receiver.pk] += 1
        recorded += 1
        if acknowledged and receiver.user is not None:
            handover_acknowledge(handover=handover, user=receiver.user)
    current = board()
    return {
        "limit": limit,
        "assigned": len(open_gaps),
        "handovers": Handover.objects.count(),
        "gaps": len(current.gaps),
        "key_accounts": current.key_accounts,
    }


# What the demo's managers write when they close last month's plans and record their actions.
MISS_REASONS = {
    "revenue": [
        gettext_noop("Client postponed the order to next month."),
        gettext_noop("The client's warehouse was full after a large order the month before."),
        gettext_noop(
            "A competitor offered a lower price on the main group; we are preparing an answer."
        ),
    ],
    "margin": [gettext_noop("Discounts agreed for the volume order lowered the margin.")],
    "group_revenue": [gettext_noop("The client used up the stock of this group bought earlier.")],
    "new_groups": [
        gettext_noop("The client is still testing the samples; the first order is due next month.")
    ],
    "max_overdue_days": [
        gettext_noop(
            "The client's own customer paid late; a payment schedule is agreed with the client."
        )
    ],
    "qualitative": [
        gettext_noop("The client's purchasing director was on leave; the meeting moved.")
    ],
}
OUTCOMES = {
    "meeting": gettext_noop(
        "Discussed next month's assortment; the client asked for an updated price list."
    ),
    "qbr": gettext_noop(
        "Reviewed the quarter's results; the client plans to widen the assortment."
    ),
    "proposal": gettext_noop("Proposal sent; the client is comparing it with another supplier's."),
    "call": gettext_noop("The client agreed to pay the overdue invoices by the end of the month."),
    "presentation": gettext_noop("Presented the new product line to the client's buyers."),
    "other": gettext_noop("Done as planned."),
}
QUALITATIVE_GOAL = gettext_noop(
    "Agree the price list for the next quarter with the purchasing director"
)
RETURN_COMMENT = gettext_noop(
    "The revenue target is below last month's actual: raise it, and plan a meeting with the "
    "purchasing director."
)


@transaction.atomic
def demo_plans() -> dict[str, Any]:
    """The development plans' story, once, through the services (with their history and audit
    rows): every key account's plan for last month, submitted, approved by the head and closed
    with its results (a reason for every missed target, qualitative goals judged) and some of its
    actions done; this month's plans in every state (most approved, some submitted, drafts, one
    returned for rework) and a few accounts still without a plan. The "kam" login's accounts
    cover the states."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from kam.clients.choices import ClientStatus
    from kam.clients.models import Client
    from kam.planning.choices import MEASURED_TARGETS, ActionStatus, PlanState, TargetKind
    from kam.planning.models import DevelopmentPlan
    from kam.planning.selectors import MISSING, department_plans
    from kam.planning.services import (
        TargetResult,
        action_update,
        current_period,
        plan_approve,
        plan_close,
        plan_create,
        plan_return,
        plan_submit,
        target_add,
        target_remove,
    )

    User = get_user_model()
    today = timezone.localdate()
    period = current_period(today)
    previous = period.previous()
    head = User.objects.filter(username=ROLE_LOGINS[Role.KEY_ACCOUNT_HEAD]).first()
    director = User.objects.filter(username=ROLE_LOGINS[Role.DIRECTOR]).first()

    def summary() -> dict[str, Any]:
        counts = department_plans(period, as_of=today).counts
        return {
            "period": period.code,
            "plans": sum(n for state, n in counts.items() if state != MISSING),
            **{str(s): counts.get(s, 0) for s in (*PlanState.values, MISSING)},
            "closed_last_month": DevelopmentPlan.objects.filter(
                period_start=previous.start, state=PlanState.CLOSED
            ).count(),
        }

    clients = list(
        Client.objects.filter(status=ClientStatus.KEY, responsible__isnull=False)
        .select_related("responsible__user")
        .order_by("code")
    )
    if DevelopmentPlan.objects.exists() or head is None or not clients:
        return summary()

    def writer(client: Client) -> Any:
        assert client.responsible is not None
        return client.responsible.user

    def approver(client: Client) -> Any:
        owner = client.responsible
        return director if owner is not None and owner.user_id == head.pk else head

    def measured(plan: DevelopmentPlan) -> bool:
        """Whether the plan has a number to submit (not without sales before its period)."""
        return plan.targets.filter(kind__in=MEASURED_TARGETS, value__isnull=False).exists()

    def edit(plan: DevelopmentPlan, user: Any, n: int) -> None:
        """The manager edits the proposal: the largest product group only, and a new group to
        win for every third account."""
        groups = 0
        for target in plan.targets.order_by("position", "id"):
            if target.kind == TargetKind.GROUP_REVENUE:
                groups += 1
                if groups > 1:
                    target_remove(target=target, user=user)
            elif target.kind == TargetKind.NEW_GROUPS and n % 3:
                target_remove(target=target, user=user)

    def reason(kind: str, n: int) -> str:
        options = MISS_REASONS.get(kind, MISS_REASONS["revenue"])
        return _(options[n % len(options)])

    def done(plan: DevelopmentPlan, user: Any, pick: Any, latest: dt.date) -> None:
        for position, action in enumerate(plan.actions.order_by("due", "id")):
            if action.status == ActionStatus.PLANNED and pick(position):
                action_update(
                    action=action,
                    user=user,
                    status=ActionStatus.DONE,
                    outcome=_(OUTCOMES.get(action.kind, OUTCOMES["other"])),
                    done_on=max(plan.period_start, min(action.due, latest)),
                )

    # Last month: made, approved, worked on and closed with its results.
    for n, client in enumerate(clients):
        user = writer(client)
        plan = plan_create(client=client, user=user, period=previous)
        edit(plan, user, n)
        target_add(
            plan=plan, user=user, kind=TargetKind.QUALITATIVE, description=_(QUALITATIVE_GOAL)
        )
        if not measured(plan):
            continue
        plan_submit(plan=plan, user=user)
        plan_approve(plan=plan, user=approver(client))
        # Every other action, from the first, is done; the rest carry over to this month.
        done(plan, user, lambda position: position % 2 == 0, previous.end)
        results = {
            t.pk: TargetResult(
                achieved=(n % 3 != 2) if t.kind == TargetKind.QUALITATIVE else None,
                reason=reason(t.kind, n),
            )
            for t in plan.targets.all()
        }
        plan_close(
            plan=plan,
            user=user,
            results=results,
            summary=_("Results discussed with the client at the month's last meeting."),
            as_of=today,
        )

    # This month: most plans approved; a few submitted, a draft, one returned for rework and at
    # least two accounts still without a plan (the head's one click has work). The "kam" login's
    # accounts take the first of them, so its page shows every state.
    kam_login = ROLE_LOGINS[Role.KEY_ACCOUNT_MANAGER]
    mine = [
        c
        for c in clients
        if c.responsible and c.responsible.user and c.responsible.user.username == kam_login
    ]
    others = [c for c in clients if c.pk not in {m.pk for m in mine}]
    more_submitted = max(0, len(clients) * 15 // 100 - 1)
    specials = ["submitted", "returned", MISSING, "draft", MISSING]
    specials += ["submitted"] * more_submitted
    wanted: dict[int, str] = {}
    if mine:
        wanted[mine[0].pk] = "approved"
        for client, state in zip(mine[1:], specials[:3], strict=False):
            wanted[client.pk] = state
    left = specials[len(wanted) - 1 if mine else 0 :]
    for client, state in zip(others, left, strict=False):
        wanted[client.pk] = state
    for client in mine + others:
        state = wanted.get(client.pk, "approved")
        if state == MISSING:
            continue
        user = writer(client)
        plan = plan_create(client=client, user=user, period=period)
        if state == "draft" or not measured(plan):
            continue
        plan_submit(plan=plan, user=user)
        if state == "returned":
            plan_return(plan=plan, user=approver(client), comment=_(RETURN_COMMENT))
        elif state == "approved":
            plan_approve(plan=plan, user=approver(client))
            # What has been done so far this month: the first action.
            done(plan, user, lambda position: position == 0, today)
    return summary()


# What the demo's people write in the incidents' stories.
EXPLANATIONS = [
    gettext_noop(
        "The client's buyer asked for the usual terms; I did not check that the committee's "
        "decision had expired."
    ),
    gettext_noop("The order was urgent and the committee meets on Mondays; I shipped first."),
    gettext_noop("I thought the new limit applied already; the application was still in review."),
]
CONCLUSIONS = [
    gettext_noop(
        "The rule was broken knowingly: the seller must apply to the committee before shipping."
    ),
    gettext_noop("A first breach, explained: a warning, and the team is reminded of the rule."),
    gettext_noop(
        "Repeated breach by the same seller: a fine, and the client's terms are reviewed."
    ),
]
CORRECTIVE = [
    gettext_noop("Apply to the credit committee for the client's deferred terms"),
    gettext_noop("Remind the sales team of the credit rules at Monday's meeting"),
    gettext_noop("Check the client's open orders against its credit decision"),
]
OUTCOMES_DONE = [
    gettext_noop("Application filed; the committee approved 30 days."),
    gettext_noop("Done at the team meeting; the rule is in the onboarding notes."),
]
FALSE_ALARM = gettext_noop(
    "The committee's decision was signed on paper in time; it reached the 1C import a week late."
)
OVERRIDE_REASON = gettext_noop(
    "The contract is signed and the client's payment record is clean; the committee meets on "
    "Monday and the application is filed."
)


def demo_rulebook(end: dt.date) -> dict[str, Any]:
    """The rulebook's story, once, through the services (with their history and audit rows):
    three weeks ago the analyst ran the first audit of the month before; the handlers have
    dealt with most of its incidents since (explanations, sanctions, corrective actions, a
    false alarm), a few were not decided in time and went to the director. Today's audit
    (as the nightly job would) judges everything since the start of last month, and the
    director has overridden the credit rule once, with a reason, for a sale registered in kam."""
    from django.db.models import F
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from kam.clients.models import Client
    from kam.incidents.choices import IncidentState
    from kam.incidents.models import Incident, IncidentEvent, SanctionKind
    from kam.incidents.services import (
        ActionInput,
        corrective_action_done,
        incident_close,
        incident_decide,
        incident_dismiss,
        incident_explain,
        incident_investigate,
        incidents_escalate,
    )
    from kam.ledger.months import add_months
    from kam.ledger.services import SaleLineInput, sale_register
    from kam.rules.audit import audit_run
    from kam.rules.guards import GuardRefused
    from kam.rules.models import AuditRun
    from kam.web import access

    User = get_user_model()

    def summary() -> dict[str, Any]:
        counts = {s: Incident.objects.filter(state=s).count() for s in IncidentState.values}
        return {
            "incidents": Incident.objects.count(),
            **counts,
            "escalated": Incident.objects.filter(escalated_at__isnull=False).count(),
            "audits": AuditRun.objects.count(),
        }

    if Incident.objects.exists() or AuditRun.objects.exists():
        return summary()
    today = timezone.localdate()
    analyst = User.objects.filter(username=ROLE_LOGINS[Role.ANALYST]).first()
    director = User.objects.filter(username=ROLE_LOGINS[Role.DIRECTOR]).first()
    weeks_ago = today - dt.timedelta(days=21)
    first = audit_run(
        as_of=weeks_ago,
        since=add_months(weeks_ago.replace(day=1), -1),
        rule_code="deferred_payment_requires_credit_approval",
        user=analyst,
    )
    # That audit ran three weeks ago: its incidents, their deadlines and history date from then.
    shift = dt.timedelta(days=21)
    AuditRun.objects.filter(pk=first.run.pk).update(
        started_at=F("started_at") - shift, finished_at=F("finished_at") - shift
    )
    earlier = Incident.objects.filter(audit_run=first.run)
    earlier.update(opened_at=F("opened_at") - shift, deadline=F("deadline") - shift)
    IncidentEvent.objects.filter(incident__in=earlier).update(at=F("at") - shift)

    def user_of(employee: Any) -> Any:
        return employee.user if employee is not None else None

    warning = SanctionKind.objects.get(code="warning")
    fine = SanctionKind.objects.get(code="fine")
    incidents = list(earlier.select_related("violator__user", "handler__user").order_by("pk"))
    for n, incident in enumerate(incidents):
        violator, handler = user_of(incident.violator), user_of(incident.handler)
        if handler is None or violator is None or n % 7 == 6:
            continue  # left undecided: it escalates below
        if n % 11 == 5:
            incident_dismiss(incident=incident, user=handler, reason=_(FALSE_ALARM))
            continue
        incident_explain(incident=incident, user=violator, explanation=_(EXPLANATIONS[n % 3]))
        if n % 5 == 4:
            continue  # explained, the handler has not decided yet
        repeated = n % 4 == 3
        incident_decide(
            incident=incident,
            user=handler,
            conclusion=_(CONCLUSIONS[2 if repeated else n % 2]),
            sanction=fine if repeated else warning,
            amount="5000" if repeated else None,
            actions=[
                ActionInput(_(CORRECTIVE[0]), incident.violator, weeks_ago + dt.timedelta(days=7)),
                ActionInput(
                    _(CORRECTIVE[1 + n % 2]),
                    incident.handler,
                    weeks_ago + dt.timedelta(days=10),
                ),
            ],
        )
        if n % 3 == 2:
            continue  # decided; its corrective actions are under way
        for action, outcome in zip(
            incident.corrective_actions.order_by("pk"), OUTCOMES_DONE, strict=False
        ):
            corrective_action_done(
                action=action,
                user=user_of(action.owner),
                outcome=_(outcome),
                done_on=min(today, weeks_ago + dt.timedelta(days=6)),
            )
        incident_close(incident=incident, user=handler)
    escalated = incidents_escalate(today=today)
    # One more taken up by the key-account head among today's findings, below.
    current = audit_run(since=add_months(today.replace(day=1), -1), user=None)
    head = User.objects.filter(username=ROLE_LOGINS[Role.KEY_ACCOUNT_HEAD]).first()
    if head is not None:
        for incident in Incident.objects.filter(
            audit_run=current.run, state=IncidentState.OPEN
        ).order_by("pk"):
            if access.can_handle_incident(head, incident):
                incident_investigate(
                    incident=incident,
                    user=head,
                    comment=_("Explain by Friday, please, and attach the client's request."),
                )
                break
    # The director lets a deferred sale through for a client without a valid decision.
    overridden = 0
    if director is not None:
        undecided = (
            Client.objects.filter(responsible__isnull=False, status="standard")
            .exclude(credit_decisions__valid_until__gte=today)
            .exclude(credit_decisions__valid_until__isnull=True)
            .order_by("code")
            .first()
        )
        if undecided is not None:
            lines = [SaleLineInput(_("Paper"), "184500", cost="121300", quantity="45")]
            try:
                sale_register(
                    client=undecided, date=today, payment_terms_days=30, lines=lines, user=director
                )
            except GuardRefused:
                sale = sale_register(
                    client=undecided,
                    date=today,
                    payment_terms_days=30,
                    lines=lines,
                    user=director,
                    override_reason=_(OVERRIDE_REASON),
                )
                overridden = len(sale.incidents)
    return {
        **summary(),
        "first_audit": first.figures["incidents_opened"],
        "audit": current.figures["incidents_opened"],
        "notices": current.figures["notices"],
        "escalated_now": escalated,
        "overridden": overridden,
    }


JUSTIFICATIONS = [
    gettext_noop(
        "A regular buyer for three years; the tender for the next quarter asks for 45 days of "
        "deferred payment."
    ),
    gettext_noop("The client is growing fast and asks for terms like its other suppliers'."),
    gettext_noop("A key account: the annual contract includes deferred payment."),
    gettext_noop("A new client with a good payment record elsewhere; a first limit to start."),
]
VOTE_COMMENTS = {
    "approve": gettext_noop("Pays on time; the limit matches the purchases."),
    "reduced": gettext_noop("A lower limit to start: the debt grew last quarter."),
    "reject": gettext_noop("Invoices 60 days overdue: first the debt, then the terms."),
}
DEAL_TITLES = [
    gettext_noop("Quarterly supply of paper"),
    gettext_noop("Packaging for the new product line"),
    gettext_noop("Office supplies for the regional branches"),
    gettext_noop("Annual contract for consumables"),
    gettext_noop("Trial order"),
    gettext_noop("Stock for the new warehouse"),
]


def demo_credit(end: dt.date) -> dict[str, Any]:
    """The credit committee's and the pipeline's story, once, through the services: the policy
    (2 of 3 members), the last weeks' applications decided (approved, approved with less,
    rejected, withdrawn), applications awaiting votes — the sales login's for 45 days with one
    approval already, waiting for the chair (the credit login) —, prospects in every status
    (one converted, one a possible duplicate of a client), and deals across the pipeline (at
    the contract stage only where a decision allows it)."""
    import contextlib

    import numpy as np
    from django.db.models import F
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from kam.clients.models import Client
    from kam.credit.choices import VoteChoice
    from kam.credit.models import CreditApplication, CreditDecision
    from kam.credit.services import (
        application_submit,
        application_withdraw,
        committee_chair,
        committee_members,
        committee_settings_update,
        valid_decisions,
        vote_cast,
    )
    from kam.deals.choices import DealStage, ProspectSource, ProspectStatus
    from kam.deals.models import Deal, Prospect
    from kam.deals.services import (
        deal_create,
        deal_move,
        prospect_convert,
        prospect_create,
        prospect_status_set,
    )
    from kam.generator.names import company_names, make_inns
    from kam.rules.guards import GuardRefused

    User = get_user_model()

    def summary() -> dict[str, Any]:
        states = {
            s: CreditApplication.objects.filter(state=s).count()
            for s in ("pending", "approved", "rejected", "withdrawn")
        }
        story = (
            CreditApplication.objects.filter(state="pending", votes__isnull=False)
            .select_related("requested_by")
            .order_by("pk")
            .first()
        )
        return {
            "applications": CreditApplication.objects.count(),
            "awaiting_chair": story.number if story else "",
            "applicant_login": story.requested_by.get_username()
            if story is not None and story.requested_by is not None
            else "",
            **states,
            "committee_decisions": CreditDecision.objects.filter(source="committee").count(),
            "prospects": Prospect.objects.count(),
            "deals": Deal.objects.count(),
        }

    members = committee_members()
    chair = committee_chair()
    director = User.objects.filter(username=ROLE_LOGINS[Role.DIRECTOR]).first()
    if CreditApplication.objects.exists() or Deal.objects.exists() or len(members) < 3:
        return summary()
    if chair is None:
        return summary()
    others = [m for m in members if m.pk != chair.pk]
    committee_settings_update(
        user=director, approvals_needed=2, chair_must_approve=False, validity_months=12
    )
    today = timezone.localdate()

    def without_decision(responsible_role: str, n: int) -> list[Client]:
        """Standard clients of a role's employees that bought lately and have no valid decision."""
        candidates = (
            Client.objects.filter(
                responsible__role=responsible_role,
                responsible__user__isnull=False,
                sales_documents__date__gte=today - dt.timedelta(days=120),
            )
            .distinct()
            .select_related("responsible__user")
            .order_by("code")
        )
        found = []
        for client in candidates:
            if not valid_decisions(client, today) and not client.credit_applications.exists():
                found.append(client)
            if len(found) == n:
                break
        return found

    def user_of(employee: Any) -> Any:
        return employee.user if employee is not None else None

    sales_login = User.objects.filter(username=ROLE_LOGINS[Role.SALES_REP]).first()
    reps = without_decision(Role.SALES_REP, 8)
    kams = without_decision(Role.KEY_ACCOUNT_MANAGER, 2)
    # The sales login's own client first: its application is the one awaiting the chair.
    reps.sort(key=lambda c: (user_of(c.responsible) != sales_login, c.code))
    # The last weeks' decisions: approved, approved with less, rejected, withdrawn.
    history = [
        (reps[1] if len(reps) > 1 else None, "approve", 20),
        (reps[2] if len(reps) > 2 else None, "reduced", 14),
        (reps[3] if len(reps) > 3 else None, "reject", 9),
        (reps[4] if len(reps) > 4 else None, "withdraw", 6),
    ]
    for n, (client, outcome, days_ago) in enumerate(history):
        if client is None:
            continue
        application = application_submit(
            client=client,
            user=user_of(client.responsible),
            requested_limit=str(500_000 + 100_000 * n),
            requested_terms_days=30 if n % 2 else 45,
            justification=_(JUSTIFICATIONS[n % len(JUSTIFICATIONS)]),
        )
        if outcome == "withdraw":
            application_withdraw(
                application=application,
                user=user_of(client.responsible),
                reason=_("The client chose to pay on shipment after all."),
            )
        elif outcome == "reject":
            for member in others:
                vote_cast(
                    application=application,
                    user=user_of(member),
                    member=member,
                    choice=VoteChoice.REJECT,
                    comment=_(VOTE_COMMENTS["reject"]),
                )
        else:
            vote_cast(
                application=application,
                user=user_of(chair),
                member=chair,
                choice=VoteChoice.APPROVE,
                comment=_(VOTE_COMMENTS["approve"]),
            )
            reduced = outcome == "reduced"
            vote_cast(
                application=application,
                user=user_of(others[0]),
                member=others[0],
                choice=VoteChoice.APPROVE_REDUCED if reduced else VoteChoice.APPROVE,
                limit=str(300_000) if reduced else None,
                comment=_(VOTE_COMMENTS["reduced" if reduced else "approve"]),
            )
        # That was some days ago: the application, its votes and its decision date from then.
        shift = dt.timedelta(days=days_ago)
        CreditApplication.objects.filter(pk=application.pk).update(
            created_at=F("created_at") - shift, decided_at=F("decided_at") - shift
        )
        application.votes.update(at=F("at") - shift)
        CreditDecision.objects.filter(application=application).update(date=today - shift)
    # Awaiting votes: the sales login's client, 45 days, one approval; a key account's, none.
    story = reps[0] if reps else None
    pending = []
    if story is not None:
        application = application_submit(
            client=story,
            user=user_of(story.responsible),
            requested_limit="750000",
            requested_terms_days=45,
            justification=_(JUSTIFICATIONS[0]),
        )
        vote_cast(
            application=application,
            user=user_of(others[0]),
            member=others[0],
            choice=VoteChoice.APPROVE,
            comment=_(VOTE_COMMENTS["approve"]),
        )
        pending.append(application)
    for client in kams[:1]:
        pending.append(
            application_submit(
                client=client,
                user=user_of(client.responsible),
                requested_limit="2000000",
                requested_terms_days=60,
                justification=_(JUSTIFICATIONS[2]),
            )
        )
    # Prospects of the acquisition staff, in every status.
    hunters = list(
        Employee.objects.filter(
            department__kind="acquisition", is_active=True, user__isnull=False
        ).order_by("code")
    )
    prospects = 0
    if hunters:
        total = Client.objects.count()
        index = np.arange(total + 500, total + 509)
        names = company_names(index, np.zeros(len(index), dtype=np.int64), total + 509)
        inns = make_inns(np.full(len(index), 77), index)
        sources = list(ProspectSource.values)
        plan = [
            ProspectStatus.NEW,
            ProspectStatus.NEW,
            ProspectStatus.CONTACTED,
            ProspectStatus.CONTACTED,
            ProspectStatus.QUALIFIED,
            ProspectStatus.QUALIFIED,
            ProspectStatus.LOST,
            ProspectStatus.CONVERTED,
        ]
        for n, status in enumerate(plan):
            owner = hunters[n % len(hunters)]
            prospect = prospect_create(
                user=user_of(owner),
                name=names[n],
                source=sources[n % len(sources)],
                tax_id=str(inns[n]),
                contact_name=_("Purchasing manager"),
                region=_("Moscow"),
            )
            prospects += 1
            if status in (
                ProspectStatus.CONTACTED,
                ProspectStatus.QUALIFIED,
                ProspectStatus.LOST,
                ProspectStatus.CONVERTED,
            ):
                prospect_status_set(
                    prospect=prospect, user=user_of(owner), status=ProspectStatus.CONTACTED
                )
            if status in (ProspectStatus.QUALIFIED, ProspectStatus.CONVERTED):
                prospect_status_set(
                    prospect=prospect, user=user_of(owner), status=ProspectStatus.QUALIFIED
                )
                deal_create(
                    user=user_of(owner),
                    prospect=prospect,
                    title=_(DEAL_TITLES[4]),
                    amount="120000",
                    expected_close=today + dt.timedelta(days=30),
                )
            if status == ProspectStatus.LOST:
                prospect_status_set(
                    prospect=prospect,
                    user=user_of(owner),
                    status=ProspectStatus.LOST,
                    comment=_("Chose a supplier with its own delivery fleet."),
                )
            if status == ProspectStatus.CONVERTED:
                prospect_convert(prospect=prospect, user=user_of(owner), confirm_new=True)
        # One more, named like an existing client: converting it shows the duplicate.
        twin = Client.objects.filter(responsible__isnull=False).order_by("code").first()
        if twin is not None:
            prospect_create(
                user=user_of(hunters[0]),
                name=twin.name,
                source=ProspectSource.EXHIBITION,
                notes=_("Met at the exhibition; may already buy from us through a branch."),
            )
            prospects += 1
    # Deals across the pipeline for clients: at the contract stage or shipped only where a
    # decision allows the terms (the rulebook would refuse otherwise).
    decided = (
        Client.objects.filter(credit_decisions__source="committee", responsible__user__isnull=False)
        .distinct()
        .select_related("responsible__user")
        .order_by("code")
    )
    stages = [DealStage.CONTRACT, DealStage.SHIPPED, DealStage.PAID]
    for n, client in enumerate(decided):
        decision = valid_decisions(client, today)
        if not decision:
            continue
        deal = deal_create(
            user=user_of(client.responsible),
            client=client,
            title=_(DEAL_TITLES[n % len(DEAL_TITLES)]),
            amount=str(min(decision[0].credit_limit / 2, 250_000)),
            payment_terms_days=decision[0].max_terms_days,
            expected_close=today + dt.timedelta(days=10 + 5 * n),
            product_groups=[_("Paper"), _("Packaging")],
        )
        for stage in (DealStage.PROPOSAL, DealStage.NEGOTIATION, stages[n % len(stages)]):
            if stage == DealStage.PAID:
                deal_move(deal=deal, user=user_of(client.responsible), stage=DealStage.CONTRACT)
                deal_move(deal=deal, user=user_of(client.responsible), stage=DealStage.SHIPPED)
            if stage == DealStage.SHIPPED:
                deal_move(deal=deal, user=user_of(client.responsible), stage=DealStage.CONTRACT)
            deal_move(deal=deal, user=user_of(client.responsible), stage=stage)
    early = [DealStage.QUALIFICATION, DealStage.PROPOSAL, DealStage.NEGOTIATION]
    for n, client in enumerate([*reps, *kams]):
        if client.responsible is None or client.responsible.user is None:
            continue
        applied = next((a for a in pending if a.client_id == client.pk), None)
        deal = deal_create(
            user=client.responsible.user,
            client=client,
            title=_(DEAL_TITLES[(n + 2) % len(DEAL_TITLES)]),
            amount=str(180_000 + 40_000 * n),
            payment_terms_days=45 if n % 3 != 2 else 0,
            expected_close=today + dt.timedelta(days=7 * (n + 1)),
            product_groups=[_("Paper")],
        )
        target = DealStage.NEGOTIATION if applied is not None else early[n % len(early)]
        for stage in early[1 : early.index(target) + 1]:
            deal_move(deal=deal, user=client.responsible.user, stage=stage)
        if applied is not None:
            CreditApplication.objects.filter(pk=applied.pk).update(deal=deal)
        elif deal.payment_terms_days == 0 and n % 2 == 0:
            # Where the client's debt is overdue, the rulebook keeps it at negotiation.
            with contextlib.suppress(GuardRefused):
                deal_move(deal=deal, user=client.responsible.user, stage=DealStage.CONTRACT)
    return summary()
