"""Writing development plans: create (proposed or continued), edit, submit, return, approve,
close; the company's planning settings.

Every write checks kam.web.access, leaves an audit row, and every state change a ``PlanEvent``.
Changes lock the plan row first, so two people acting on one plan at once are serialised. A
closed plan is never changed again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import audit_record
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.numbers import decimal_from_text
from kam.organization.models import Employee
from kam.planning.actuals import plans_progress
from kam.planning.choices import (
    LOWER_IS_BETTER,
    MEASURED_TARGETS,
    ActionKind,
    ActionStatus,
    EventKind,
    PeriodKind,
    PlanState,
    TargetKind,
)
from kam.planning.models import (
    DevelopmentPlan,
    PlanAction,
    PlanEvent,
    PlanningSettings,
    PlanTarget,
)
from kam.planning.periods import Period, period_of
from kam.planning.proposals import propose
from kam.web import access
from kam.web.access import AnyUser

#: Largest number a target may hold (the column's 16 integer digits).
MAX_VALUE = Decimal("9999999999999999")


# --- Settings ----------------------------------------------------------------------------------


def planning_settings() -> PlanningSettings:
    found = PlanningSettings.objects.first()
    return found if found is not None else PlanningSettings.objects.create()


def current_period(on: dt.date | None = None) -> Period:
    """The operational period containing ``on`` (today) under the company's setting."""
    return period_of(on or timezone.localdate(), planning_settings().period)


def approve_by(period: Period) -> dt.date:
    """The day of ``period`` by which every key account's plan is expected approved."""
    day = planning_settings().approve_by_day
    return min(period.start + dt.timedelta(days=day - 1), period.end)


@transaction.atomic
def planning_settings_update(
    *, period: str, approve_by_day: int, user: AnyUser | None
) -> PlanningSettings:
    if user is not None and not access.can_change_planning_settings(user):
        raise PermissionDenied(
            _("Planning settings are set by the key-account head or the director.")
        )
    if period not in PeriodKind.values:
        raise ValidationError({"period": _("Choose a month or a quarter.")})
    if not 1 <= approve_by_day <= 28:
        raise ValidationError({"approve_by_day": _("Choose a day from 1 to 28.")})
    current = PlanningSettings.objects.select_for_update().get(pk=planning_settings().pk)
    before = {"period": current.period, "approve_by_day": current.approve_by_day}
    after = {"period": period, "approve_by_day": approve_by_day}
    if before != after:
        current.period, current.approve_by_day = period, approve_by_day
        current.save()
        audit_record(
            actor=user,
            action="planning.settings_changed",
            obj=current,
            summary=f"{before['period']} → {period}, day {approve_by_day}",
            data={"before": before, "after": after},
        )
    return current


# --- Helpers -----------------------------------------------------------------------------------


def _event(
    plan: DevelopmentPlan, kind: str, before: str, user: AnyUser | None, comment: str = ""
) -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan,
        kind=kind,
        state_before=before,
        state=plan.state,
        comment=comment,
        actor=access.acting_user(user),
    )


def _audit(
    user: AnyUser | None, action: str, plan: DevelopmentPlan, summary: str, **data: Any
) -> None:
    audit_record(
        actor=user,
        action=f"planning.{action}",
        obj=plan,
        summary=f"{plan.client.code} {plan.period_start:%Y-%m}: {summary}",
        data={"plan_id": plan.pk, **data},
    )


def _lock(plan: DevelopmentPlan) -> DevelopmentPlan:
    return (
        DevelopmentPlan.objects.select_for_update(of=("self",))
        .select_related("client", "client__responsible", "owner")
        .get(pk=plan.pk)
    )


def _refuse_closed(plan: DevelopmentPlan) -> None:
    if plan.state == PlanState.CLOSED:
        raise ValidationError(_("The plan is closed: its results are final and it cannot change."))


def require_writer(plan: DevelopmentPlan, user: AnyUser | None) -> None:
    """Refuse (PermissionDenied) whoever may not write the plan's targets and actions; the
    pages and the API ask first, so the refusal comes before any state check."""
    if user is not None and not access.can_write_plan(user, plan):
        raise PermissionDenied(
            _("Only the account's responsible manager (%(name)s) writes this plan.")
            % {"name": plan.owner.name}
        )


def _require_draft(plan: DevelopmentPlan) -> None:
    _refuse_closed(plan)
    if plan.state != PlanState.DRAFT:
        raise ValidationError(
            _("The plan is %(state)s: targets change only in a draft (ask for it to be returned).")
            % {"state": plan.get_state_display().lower()}
        )


# --- Creating ----------------------------------------------------------------------------------


def plan_problem(client: Client, period: Period) -> str | None:
    """Why ``client`` cannot get a plan for ``period`` (None when it can)."""
    if client.status != ClientStatus.KEY:
        return _("%(client)s is not a key account: plans are made for key accounts.") % {
            "client": client
        }
    if client.responsible_id is None:
        return _("%(client)s has no responsible manager yet: assign one first.") % {
            "client": client
        }
    overlapping = DevelopmentPlan.objects.filter(
        client=client, period_start__lte=period.end, period_end__gte=period.start
    ).first()
    if overlapping is not None:
        return _("%(client)s already has a plan for %(period)s.") % {
            "client": client,
            "period": overlapping.period,
        }
    return None


def previous_plan(client: Client, period: Period) -> DevelopmentPlan | None:
    return (
        DevelopmentPlan.objects.filter(client=client, period_end__lt=period.start)
        .order_by("-period_start")
        .first()
    )


@transaction.atomic
def plan_create(
    *,
    client: Client,
    user: AnyUser | None,
    period: Period | None = None,
    continue_previous: bool = True,
) -> DevelopmentPlan:
    """A draft plan for ``client``'s period (the current one by default), owned by its
    responsible manager: targets and actions proposed from the data, and, when an earlier plan
    exists and ``continue_previous``, that plan's targets (values kept, today's proposal beside
    them) and its open actions carried over."""
    locked = (
        Client.objects.select_for_update(of=("self",))
        .select_related("responsible")
        .get(pk=client.pk)
    )
    if user is not None and not access.can_create_plan(user, locked):
        raise PermissionDenied(
            _(
                "A plan is made by the account's responsible manager, the key-account head or "
                "the director."
            )
        )
    period = period or current_period()
    problem = plan_problem(locked, period)
    if problem:
        raise ValidationError(problem)
    owner = locked.responsible
    assert owner is not None
    proposal = propose(locked, period)
    before = previous_plan(locked, period) if continue_previous else None
    try:
        with transaction.atomic():
            plan = DevelopmentPlan.objects.create(
                client=locked,
                period_kind=period.kind,
                period_start=period.start,
                period_end=period.end,
                owner=owner,
                copied_from=before,
                summary=before.summary if before else "",
                created_by=access.acting_user(user),
            )
    except IntegrityError:
        raise ValidationError(
            _("%(client)s already has a plan for %(period)s.")
            % {"client": locked, "period": period}
        ) from None
    proposed = {
        (t.kind, t.product_group): t for t in proposal.targets if t.kind in MEASURED_TARGETS
    }
    targets: list[PlanTarget] = []
    if before is not None:
        for old in before.targets.all():
            if old.kind == TargetKind.QUALITATIVE and old.met:
                continue
            fresh = proposed.pop((old.kind, old.product_group), None)
            targets.append(
                PlanTarget(
                    plan=plan,
                    kind=old.kind,
                    product_group=old.product_group,
                    value=old.value,
                    description=old.description,
                    proposed_value=fresh.value if fresh else None,
                    basis=fresh.basis
                    if fresh
                    else {
                        "method": "copied",
                        "period": str(before.period),
                    },
                )
            )
    else:
        for item in proposal.targets:
            targets.append(
                PlanTarget(
                    plan=plan,
                    kind=item.kind,
                    product_group=item.product_group,
                    value=item.value,
                    description=item.description,
                    proposed_value=item.value,
                    basis=item.basis,
                )
            )
    for position, target in enumerate(targets):
        target.position = position
    PlanTarget.objects.bulk_create(targets)
    actions: list[PlanAction] = []
    carried = 0
    if before is not None:
        for open_action in before.actions.filter(status=ActionStatus.PLANNED):
            actions.append(
                PlanAction(
                    plan=plan,
                    kind=open_action.kind,
                    title=open_action.title,
                    due=max(open_action.due, period.start),
                    responsible=owner
                    if open_action.responsible_id == before.owner_id
                    else open_action.responsible,
                    carried_from=open_action,
                )
            )
            carried += 1
    # A proposed action that an open one already covers is not planned twice.
    open_ones = {(a.kind, a.title) for a in actions}
    actions += [
        PlanAction(plan=plan, kind=a.kind, title=a.title, due=a.due, responsible=owner)
        for a in proposal.actions
        if (a.kind, a.title) not in open_ones
    ]
    PlanAction.objects.bulk_create(actions)
    _event(plan, EventKind.CREATED, "", user)
    _audit(
        user,
        "plan_created",
        plan,
        f"{len(targets)} targets, {len(actions)} actions",
        period=period.code,
        continues=before.pk if before else None,
        carried_actions=carried,
    )
    return plan


@dataclass
class BulkCreated:
    created: list[DevelopmentPlan]
    skipped: list[tuple[Client, str]]


def plans_create_missing(
    *, user: AnyUser | None, period: Period | None = None, clients: list[Client] | None = None
) -> BulkCreated:
    """A proposed plan for every key account (or those of ``clients``) without one for the
    period: the one click of the department page and "My plans". Each plan is its own
    transaction; an account that cannot get one is listed with the reason."""
    period = period or current_period()
    if clients is None:
        clients = list(
            Client.objects.filter(status=ClientStatus.KEY)
            .select_related("responsible")
            .order_by("name")
        )
    result = BulkCreated([], [])
    for client in clients:
        if user is not None and not access.can_create_plan(user, client):
            continue
        problem = plan_problem(client, period)
        if problem:
            result.skipped.append((client, problem))
            continue
        result.created.append(plan_create(client=client, user=user, period=period))
    return result


# --- Editing a draft ---------------------------------------------------------------------------


def _clean_value(kind: str, value: Any) -> Decimal | None:
    if kind == TargetKind.QUALITATIVE:
        return None
    if value is None or value == "":
        raise ValidationError({"value": _("Give the target a number.")})
    try:
        number = decimal_from_text(value)
    except InvalidOperation:
        raise ValidationError(
            {"value": _("%(value)r is not a number.") % {"value": value}}
        ) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({"value": _("A target is zero or more.")})
    if number > MAX_VALUE:
        raise ValidationError({"value": _("The number is too large.")})
    if kind in (TargetKind.NEW_GROUPS, *LOWER_IS_BETTER) and number != number.to_integral_value():
        raise ValidationError({"value": _("A whole number, please.")})
    return number.quantize(Decimal("0.01"))


def _clean_target(kind: str, product_group: str, description: str) -> tuple[str, str]:
    if kind not in TargetKind.values:
        raise ValidationError({"kind": _("Unknown target %(value)r.") % {"value": kind}})
    product_group = product_group.strip()
    description = description.strip()
    if kind == TargetKind.GROUP_REVENUE and not product_group:
        raise ValidationError({"product_group": _("Name the product group.")})
    if kind != TargetKind.GROUP_REVENUE:
        product_group = ""
    if kind == TargetKind.QUALITATIVE and not description:
        raise ValidationError({"description": _("Describe the goal.")})
    return product_group, description


def _duplicate_target(plan: DevelopmentPlan, kind: str, group: str, exclude: int | None) -> None:
    if kind == TargetKind.QUALITATIVE:
        return
    rows = plan.targets.filter(kind=kind, product_group=group)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    if rows.exists():
        raise ValidationError({"kind": _("The plan already has this target.")})


@transaction.atomic
def target_add(
    *,
    plan: DevelopmentPlan,
    user: AnyUser | None,
    kind: str,
    value: Any = None,
    product_group: str = "",
    description: str = "",
) -> PlanTarget:
    plan = _lock(plan)
    _require_draft(plan)
    require_writer(plan, user)
    product_group, description = _clean_target(kind, product_group, description)
    number = _clean_value(kind, value)
    _duplicate_target(plan, kind, product_group, None)
    position = plan.targets.count()
    target = PlanTarget.objects.create(
        plan=plan,
        kind=kind,
        product_group=product_group,
        value=number,
        description=description,
        position=position,
    )
    _audit(user, "target_added", plan, f"{kind} {number}", target_id=target.pk, value=str(number))
    return target


@transaction.atomic
def target_update(
    *,
    target: PlanTarget,
    user: AnyUser | None,
    value: Any = None,
    product_group: str | None = None,
    description: str | None = None,
) -> PlanTarget:
    plan = _lock(target.plan)
    target = PlanTarget.objects.select_for_update().get(pk=target.pk)
    _require_draft(plan)
    require_writer(plan, user)
    group, text = _clean_target(
        target.kind,
        target.product_group if product_group is None else product_group,
        target.description if description is None else description,
    )
    number = _clean_value(target.kind, value if value is not None else target.value)
    _duplicate_target(plan, target.kind, group, target.pk)
    before = str(target.value)
    target.value, target.product_group, target.description = number, group, text
    target.save(update_fields=["value", "product_group", "description"])
    _audit(
        user,
        "target_changed",
        plan,
        f"{target.kind} {before} → {number}",
        target_id=target.pk,
        before=before,
        after=str(number),
    )
    return target


@transaction.atomic
def target_remove(*, target: PlanTarget, user: AnyUser | None) -> None:
    plan = _lock(target.plan)
    target = PlanTarget.objects.get(pk=target.pk)
    _require_draft(plan)
    require_writer(plan, user)
    _audit(user, "target_removed", plan, f"{target.kind} {target.value}", target_id=target.pk)
    target.delete()


def _clean_action(plan: DevelopmentPlan, kind: str, title: str, due: Any) -> tuple[str, dt.date]:
    if kind not in ActionKind.values:
        raise ValidationError({"kind": _("Unknown kind of action %(value)r.") % {"value": kind}})
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Say what is to be done.")})
    if not isinstance(due, dt.date):
        raise ValidationError({"due": _("Give a due date.")})
    if (
        not plan.period_start - dt.timedelta(days=31)
        <= due
        <= plan.period_end + dt.timedelta(days=31)
    ):
        raise ValidationError(
            {
                "due": _("The due date is far outside the plan's period (%(start)s – %(end)s).")
                % {"start": plan.period_start, "end": plan.period_end}
            }
        )
    return title, due


def _clean_responsible(responsible: Employee | None, plan: DevelopmentPlan) -> Employee:
    responsible = responsible or plan.owner
    if not responsible.is_active:
        raise ValidationError(
            {"responsible": _("%(name)s no longer works here.") % {"name": responsible.name}}
        )
    return responsible


@transaction.atomic
def action_add(
    *,
    plan: DevelopmentPlan,
    user: AnyUser | None,
    kind: str,
    title: str,
    due: dt.date,
    responsible: Employee | None = None,
) -> PlanAction:
    """A new action; also in an approved plan, as things come up during the period."""
    plan = _lock(plan)
    _refuse_closed(plan)
    require_writer(plan, user)
    title, due = _clean_action(plan, kind, title, due)
    action = PlanAction.objects.create(
        plan=plan,
        kind=kind,
        title=title,
        due=due,
        responsible=_clean_responsible(responsible, plan),
    )
    _audit(user, "action_added", plan, f"{kind} {due}: {title}", action_id=action.pk)
    return action


@transaction.atomic
def action_update(
    *,
    action: PlanAction,
    user: AnyUser | None,
    kind: str | None = None,
    title: str | None = None,
    due: dt.date | None = None,
    responsible: Employee | None = None,
    status: str | None = None,
    outcome: str | None = None,
    done_on: dt.date | None = None,
) -> PlanAction:
    """Edit an action or record what came of it. The plan's owner edits; the action's own
    responsible employee records its status and outcome."""
    plan = _lock(action.plan)
    action = PlanAction.objects.select_for_update().get(pk=action.pk)
    _refuse_closed(plan)
    employee = access.user_employee(user) if user is not None else None
    writer = user is None or access.can_write_plan(user, plan)
    doer = employee is not None and employee.pk == action.responsible_id
    if not writer and not (
        doer and kind is None and title is None and due is None and responsible is None
    ):
        raise PermissionDenied(
            _(
                "Only the plan's owner edits its actions; the employee responsible for an action "
                "records its outcome."
            )
        )
    before = {"status": action.status, "due": action.due.isoformat(), "title": action.title}
    if kind is not None or title is not None or due is not None:
        action.title, action.due = _clean_action(
            plan, kind or action.kind, action.title if title is None else title, due or action.due
        )
        action.kind = kind or action.kind
    if responsible is not None:
        action.responsible = _clean_responsible(responsible, plan)
    if outcome is not None:
        action.outcome = outcome.strip()
    if status is not None:
        if status not in ActionStatus.values:
            raise ValidationError({"status": _("Unknown status %(value)r.") % {"value": status}})
        action.status = status
    if action.status == ActionStatus.DONE:
        action.done_on = done_on or action.done_on or timezone.localdate()
        if action.done_on > timezone.localdate():
            raise ValidationError({"done_on": _("An action is done today or earlier.")})
        if not action.outcome:
            raise ValidationError(
                {"outcome": _("Say what came of it: the outcome is the account's activity log.")}
            )
    else:
        action.done_on = None
    action.save()
    _audit(
        user,
        "action_changed",
        plan,
        f"{action.kind} {action.status}: {action.title}",
        action_id=action.pk,
        before=before,
        after={"status": action.status, "due": action.due.isoformat(), "title": action.title},
    )
    return action


@transaction.atomic
def action_remove(*, action: PlanAction, user: AnyUser | None) -> None:
    plan = _lock(action.plan)
    action = PlanAction.objects.get(pk=action.pk)
    _refuse_closed(plan)
    require_writer(plan, user)
    if action.status == ActionStatus.DONE:
        raise ValidationError(_("A done action is part of the account's history: it stays."))
    _audit(user, "action_removed", plan, f"{action.kind}: {action.title}", action_id=action.pk)
    action.delete()


@transaction.atomic
def plan_summary_update(
    *, plan: DevelopmentPlan, user: AnyUser | None, summary: str
) -> DevelopmentPlan:
    plan = _lock(plan)
    _require_draft(plan)
    require_writer(plan, user)
    plan.summary = summary.strip()
    plan.save(update_fields=["summary", "updated_at"])
    _audit(user, "summary_changed", plan, "goal for the period")
    return plan


# --- Workflow ----------------------------------------------------------------------------------


@transaction.atomic
def plan_submit(*, plan: DevelopmentPlan, user: AnyUser | None) -> DevelopmentPlan:
    plan = _lock(plan)
    _require_draft(plan)
    require_writer(plan, user)
    if not plan.targets.filter(kind__in=MEASURED_TARGETS, value__isnull=False).exists():
        raise ValidationError(
            _("Give the plan at least one measurable target before submitting it.")
        )
    if not plan.actions.exists():
        raise ValidationError(_("Plan at least one action before submitting the plan."))
    before = plan.state
    plan.state = PlanState.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.save(update_fields=["state", "submitted_at", "updated_at"])
    _event(plan, EventKind.SUBMITTED, before, user)
    _audit(user, "plan_submitted", plan, "submitted")
    return plan


def require_closer(plan: DevelopmentPlan, user: AnyUser | None) -> None:
    if user is not None and not access.can_close_plan(user, plan):
        raise PermissionDenied(
            _("The plan's owner, the key-account head or the director closes it.")
        )


def require_approver(plan: DevelopmentPlan, user: AnyUser | None) -> None:
    """Refuse whoever may not approve or return the plan (an approver's own plan included)."""
    if user is None:
        return
    if not access.can_approve_plan(user, plan):
        employee = access.user_employee(user)
        approver = bool(access.user_roles(user) & access.PLAN_APPROVERS)
        if approver and employee is not None and employee.pk == plan.owner_id:
            raise PermissionDenied(
                _("Nobody approves their own plan: the director approves this one.")
            )
        raise PermissionDenied(_("Plans are approved by the key-account head or the director."))


@transaction.atomic
def plan_approve(
    *, plan: DevelopmentPlan, user: AnyUser | None, comment: str = "", override_reason: str = ""
) -> DevelopmentPlan:
    """Approve a submitted plan. The rulebook's plan rules guard the approval (see
    kam.rules.guards): ``override_reason`` from a role allowed to override lets a refused
    approval through and opens an incident for the override."""
    from kam.rules.guards import guard

    plan = _lock(plan)
    _refuse_closed(plan)
    require_approver(plan, user)
    if plan.state != PlanState.SUBMITTED:
        raise ValidationError(
            _("Only a submitted plan is approved; this one is %(state)s.")
            % {"state": plan.get_state_display().lower()}
        )
    checked = guard(
        subject="development_plan",
        user=user,
        as_of=timezone.localdate(),
        ids=[plan.pk],
        changes={"plan_state": PlanState.APPROVED},
        override_reason=override_reason,
    )
    before = plan.state
    plan.state = PlanState.APPROVED
    plan.approved_at = timezone.now()
    plan.approved_by = access.acting_user(user)
    plan.save(update_fields=["state", "approved_at", "approved_by", "updated_at"])
    _event(plan, EventKind.APPROVED, before, user, comment.strip())
    _audit(user, "plan_approved", plan, "approved")
    checked.record(user=user)
    plan.rule_warnings = checked.warning_messages()  # type: ignore[attr-defined]
    return plan


@transaction.atomic
def plan_return(*, plan: DevelopmentPlan, user: AnyUser | None, comment: str) -> DevelopmentPlan:
    """Back to draft for rework, with the approver's comment (submitted or approved plans)."""
    plan = _lock(plan)
    _refuse_closed(plan)
    require_approver(plan, user)
    comment = comment.strip()
    if not comment:
        raise ValidationError(
            {"comment": _("Say what to rework: the comment goes to the manager.")}
        )
    if plan.state not in (PlanState.SUBMITTED, PlanState.APPROVED):
        raise ValidationError(_("Only a submitted or approved plan can be returned."))
    before = plan.state
    plan.state = PlanState.DRAFT
    plan.return_comment = comment
    plan.approved_at = None
    plan.approved_by = None
    plan.save(update_fields=["state", "return_comment", "approved_at", "approved_by", "updated_at"])
    _event(plan, EventKind.RETURNED, before, user, comment)
    _audit(user, "plan_returned", plan, comment[:200], comment=comment)
    return plan


@dataclass
class BulkResult:
    done: list[DevelopmentPlan]
    refused: list[tuple[DevelopmentPlan, str]]


def _each(plans: list[DevelopmentPlan], step: Any) -> BulkResult:
    """``step(plan)`` for each plan, each its own transaction; refusals listed with reasons."""
    result = BulkResult([], [])
    for plan in plans:
        try:
            result.done.append(step(plan))
        except ValidationError as error:
            result.refused.append((plan, " ".join(error.messages)))
        except PermissionDenied as error:
            result.refused.append((plan, str(error)))
    return result


def plans_approve_bulk(
    *, plans: list[DevelopmentPlan], user: AnyUser | None, comment: str = ""
) -> BulkResult:
    """Approve each submitted plan; each is its own transaction, refusals listed with reasons."""
    return _each(plans, lambda plan: plan_approve(plan=plan, user=user, comment=comment))


def plans_return_bulk(
    *, plans: list[DevelopmentPlan], user: AnyUser | None, comment: str
) -> BulkResult:
    if not comment.strip():
        raise ValidationError(
            {"comment": _("Say what to rework: the comment goes to the manager.")}
        )
    return _each(plans, lambda plan: plan_return(plan=plan, user=user, comment=comment))


# --- Closing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult:
    """What the closer says of one target: whether a qualitative goal was achieved, and why a
    missed target was missed."""

    achieved: bool | None = None
    reason: str = ""


@transaction.atomic
def plan_close(
    *,
    plan: DevelopmentPlan,
    user: AnyUser | None,
    results: dict[int, TargetResult],
    summary: str = "",
    as_of: dt.date | None = None,
) -> DevelopmentPlan:
    """Record the results after the period's end: each measured target's actual from the
    ledger and whether it was met, each qualitative goal as the closer says; every missed
    target needs a reason. The plan is read-only afterwards."""
    plan = _lock(plan)
    _refuse_closed(plan)
    require_closer(plan, user)
    today = as_of or timezone.localdate()
    if today <= plan.period_end:
        raise ValidationError(
            _("The period runs until %(end)s: a plan closes after its period.")
            % {"end": plan.period_end}
        )
    progress = plans_progress([plan], today)[plan.pk]
    errors: dict[str, list[str]] = {}
    for item in progress.targets:
        target = item.target
        given = results.get(target.pk, TargetResult())
        if target.kind == TargetKind.QUALITATIVE:
            if given.achieved is None:
                errors[f"target_{target.pk}"] = [_("Say whether the goal was achieved.")]
                continue
            met = given.achieved
            actual = None
        else:
            actual = item.actual if item.actual is not None else 0.0
            value = float(target.value) if target.value is not None else None
            if value is None:
                met = None
            elif target.kind in LOWER_IS_BETTER:
                met = actual <= value
            else:
                met = actual >= value
        reason = given.reason.strip()
        if met is False and not reason:
            errors[f"target_{target.pk}"] = [
                _("%(target)s was missed: say why.") % {"target": target}
            ]
            continue
        target.actual = Decimal(str(round(actual, 2))) if actual is not None else None
        target.met = met
        target.miss_reason = reason if met is False else ""
    if errors:
        raise ValidationError(errors)
    targets = [t.target for t in progress.targets]
    PlanTarget.objects.bulk_update(targets, ["actual", "met", "miss_reason"])
    before = plan.state
    plan.state = PlanState.CLOSED
    plan.closing_summary = summary.strip()
    plan.closed_at = timezone.now()
    plan.closed_by = access.acting_user(user)
    plan.save(update_fields=["state", "closing_summary", "closed_at", "closed_by", "updated_at"])
    met_count = sum(1 for t in targets if t.met)
    missed = sum(1 for t in targets if t.met is False)
    _event(plan, EventKind.CLOSED, before, user, summary.strip())
    _audit(
        user,
        "plan_closed",
        plan,
        f"{met_count} met, {missed} missed",
        results={
            str(t.pk): {"actual": str(t.actual), "met": t.met, "reason": t.miss_reason}
            for t in targets
        },
    )
    return plan


# --- Ownership follows responsibility ----------------------------------------------------------


def owner_follows(*, client: Client, manager: Employee, user: AnyUser | None) -> int:
    """After a handover, the account's open plans (and their planned actions that the old
    owner kept) go to the new responsible manager; closed plans keep their owner."""
    changed = 0
    for plan in (
        DevelopmentPlan.objects.select_for_update(of=("self",))
        .filter(client=client)
        .exclude(state=PlanState.CLOSED)
        .select_related("owner", "client")
    ):
        if plan.owner_id == manager.pk:
            continue
        old = plan.owner
        plan.actions.filter(status=ActionStatus.PLANNED, responsible=old).update(
            responsible=manager
        )
        plan.owner = manager
        plan.save(update_fields=["owner", "updated_at"])
        _event(plan, EventKind.OWNER_CHANGED, plan.state, user, f"{old.name} → {manager.name}")
        _audit(
            user,
            "owner_changed",
            plan,
            f"{old.code} → {manager.code}",
            before=old.code,
            after=manager.code,
        )
        changed += 1
    return changed
