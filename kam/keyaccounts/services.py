"""Changing who is responsible for a client: handovers, releases, workload limits, import sync.

The only code that writes ``Assignment`` rows or ``Client.responsible``. Each change locks the
client row first, so two heads handing over the same account at once are serialised: the second
sees the first's result and is refused (``HandoverConflict``), and the database's unique index
on the open assignment is the last line of defence.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import audit_record
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.clients.selectors import clients_revenue
from kam.keyaccounts.briefing import briefing_for
from kam.keyaccounts.choices import Cause, Source
from kam.keyaccounts.models import Assignment, Handover, WorkloadLimit
from kam.keyaccounts.rules import is_key_account_staff, responsibility_problem
from kam.keyaccounts.signals import responsibility_changed
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee
from kam.web import access
from kam.web.access import AnyUser

#: The department's limit until the head sets one.
DEFAULT_MAX_ACCOUNTS = 15
#: Marks "whoever is responsible now" when a caller does not say whom it expects.
ANYONE = object()


class HandoverConflict(Exception):
    """The account changed hands after the form was opened: nothing was written."""


@dataclass(frozen=True)
class Limit:
    max_accounts: int
    max_revenue: Decimal | None


@dataclass(frozen=True)
class Load:
    accounts: int
    revenue: Decimal
    limit: Limit

    def exceeded_by(self, revenue: Decimal) -> bool:
        """Whether one more account with ``revenue`` takes the manager above the limit."""
        over_count = self.accounts + 1 > self.limit.max_accounts
        over_revenue = (
            self.limit.max_revenue is not None and self.revenue + revenue > self.limit.max_revenue
        )
        return over_count or over_revenue


# --- Workload ----------------------------------------------------------------------------------


def limits_for(managers: list[Employee]) -> dict[int, Limit]:
    """Each manager's own limit, else the department's default, else ``DEFAULT_MAX_ACCOUNTS``."""
    rows = {
        row.manager_id: Limit(row.max_accounts, row.max_revenue)
        for row in WorkloadLimit.objects.filter(Q(manager__in=managers) | Q(manager__isnull=True))
    }
    default = rows.get(None, Limit(DEFAULT_MAX_ACCOUNTS, None))
    return {m.pk: rows.get(m.pk, default) for m in managers}


def limit_for(manager: Employee) -> Limit:
    return limits_for([manager])[manager.pk]


def loads_of(
    managers: list[Employee],
    as_of: dt.date | None = None,
    *,
    revenue_of: Iterable[Employee] | None = None,
) -> dict[int, Load]:
    """The accounts each manager holds now, with their limit and the accounts' revenue over
    the last 12 months as the client list counts it (``clients_revenue``), summed for
    ``revenue_of`` only when given (the limits count revenue in the key-account department;
    the rest of the sales force needs only the number). Four queries for any number."""
    as_of = as_of or timezone.localdate()
    ids = [m.pk for m in managers]
    open_rows = Assignment.objects.filter(manager_id__in=ids, end__isnull=True)
    counts = dict(
        open_rows.values("manager_id").annotate(n=Count("pk")).values_list("manager_id", "n")
    )
    summed = [m.pk for m in revenue_of] if revenue_of is not None else ids
    held = list(open_rows.filter(manager_id__in=summed).values_list("manager_id", "client_id"))
    revenue = clients_revenue(client_ids=[client for _m, client in held], as_of=as_of)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for manager, client in held:
        totals[manager] += revenue.get(client, Decimal(0))
    limits = limits_for(managers)
    return {pk: Load(counts.get(pk, 0), totals[pk], limits[pk]) for pk in ids}


def load_of(manager: Employee, as_of: dt.date | None = None) -> Load:
    return loads_of([manager], as_of)[manager.pk]


@transaction.atomic
def workload_limit_set(
    *,
    manager: Employee | None,
    max_accounts: int,
    max_revenue: Decimal | None,
    user: AnyUser,
) -> WorkloadLimit:
    """Set the default limit (``manager`` None) or one manager's own; audit row before → after."""
    if not access.can_manage_department(user):
        raise PermissionDenied(
            _("Workload limits are set by the key-account head or the director.")
        )
    if max_accounts < 1:
        raise ValidationError({"max_accounts": _("At least one account.")})
    if max_revenue is not None and max_revenue < 0:
        raise ValidationError({"max_revenue": _("The revenue limit cannot be negative.")})
    if manager is not None and not is_key_account_staff(manager):
        raise ValidationError(
            {"manager": _("Limits are for the key-account department's managers.")}
        )
    row = WorkloadLimit.objects.select_for_update().filter(manager=manager).first()
    before = (
        {"max_accounts": row.max_accounts, "max_revenue": str(row.max_revenue)} if row else None
    )
    row = row or WorkloadLimit(manager=manager)
    row.max_accounts = max_accounts
    row.max_revenue = max_revenue
    row.updated_by = access.acting_user(user)
    row.save()
    audit_record(
        actor=user,
        action="keyaccounts.limit_set",
        obj=row,
        summary=_("Workload limit for %(who)s: %(n)s accounts")
        % {"who": manager or _("the department"), "n": max_accounts},
        data={
            "before": before,
            "after": {"max_accounts": max_accounts, "max_revenue": str(max_revenue)},
            "manager": manager.code if manager else None,
        },
    )
    return row


@transaction.atomic
def workload_limit_remove(*, manager: Employee, user: AnyUser) -> None:
    """Drop a manager's own limit: the department's default applies again."""
    if not access.can_manage_department(user):
        raise PermissionDenied(
            _("Workload limits are set by the key-account head or the director.")
        )
    row = WorkloadLimit.objects.filter(manager=manager).first()
    if row is None:
        return
    audit_record(
        actor=user,
        action="keyaccounts.limit_removed",
        obj=row,
        summary=_("Own workload limit of %(who)s removed") % {"who": manager},
        data={"manager": manager.code, "max_accounts": row.max_accounts},
    )
    row.delete()


# --- Handovers ---------------------------------------------------------------------------------


def current_assignment(client: Client, *, lock: bool = False) -> Assignment | None:
    rows = Assignment.objects.filter(client=client, end__isnull=True).select_related("manager")
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def _last_end(client: Client) -> dt.date | None:
    row = (
        Assignment.objects.filter(client=client, end__isnull=False)
        .order_by("-end")
        .values_list("end", flat=True)
        .first()
    )
    return row


def _check_effective(client: Client, current: Assignment | None, effective: dt.date) -> None:
    today = timezone.localdate()
    if effective > today:
        raise ValidationError(
            {"effective": _("The date is in the future: a handover takes effect today or earlier.")}
        )
    earliest = current.start if current is not None else _last_end(client)
    if earliest is not None and effective < earliest:
        raise ValidationError(
            {
                "effective": _(
                    "The date is before %(date)s, when the current responsibility began: "
                    "history cannot overlap."
                )
                % {"date": earliest}
            }
        )


def _close(assignment: Assignment, end: dt.date, why: str) -> None:
    assignment.end = end
    assignment.end_reason = why
    assignment.save(update_fields=["end", "end_reason"])


def handover_record(
    *,
    client: Client,
    to_manager: Employee,
    user: AnyUser | None,
    cause: str,
    reason: str = "",
    notes: str = "",
    effective: dt.date | None = None,
    expected_from: Any = ANYONE,
    confirm_over_limit: bool = False,
    bulk: uuid.UUID | None = None,
    check_permission: bool = True,
    override_reason: str = "",
) -> Handover:
    """Hand ``client`` over to ``to_manager``: close the current assignment, open the new one.

    ``expected_from`` is the responsible manager the user saw (an Employee, or None for "nobody");
    if the account changed hands since, nothing is written and ``HandoverConflict`` says who
    took it. A receiver at or above the workload limit needs ``confirm_over_limit``, which is
    recorded. The briefing (contacts, open invoices, latest decision, facts to collect, and what
    later parts of the system add) is listed for the receiver. One audit row.

    The rulebook's assignment rules guard the handover (kam.rules.guards): a broken mandatory
    rule refuses it unless ``override_reason`` comes from a role allowed to override, which
    opens an incident for the override.
    """
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if check_permission and (user is None or not access.can_hand_over(user, locked)):
            raise PermissionDenied(
                _("Accounts are handed over by the key-account head or the director.")
            )
        current = current_assignment(locked, lock=True)
        from_manager = current.manager if current is not None else None
        if expected_from is not ANYONE:
            expected_id = expected_from.pk if expected_from is not None else None
            if expected_id != (from_manager.pk if from_manager else None):
                raise HandoverConflict(
                    _(
                        "%(client)s changed hands meanwhile: %(who)s is responsible now. "
                        "Nothing was written; look again and decide."
                    )
                    % {"client": locked, "who": from_manager or _("nobody")}
                )
        if cause not in Cause.values:
            raise ValidationError({"cause": _("Unknown cause %(value)r.") % {"value": cause}})
        reason = reason.strip()
        if cause == Cause.OTHER and not reason:
            raise ValidationError({"reason": _("Say why: the reason is kept with the handover.")})
        if from_manager is not None and from_manager.pk == to_manager.pk:
            raise ValidationError(
                {"to_manager": _("%(name)s is already responsible.") % {"name": to_manager.name}}
            )
        problem = responsibility_problem(to_manager, locked.status)
        if problem:
            raise ValidationError({"to_manager": problem})
        effective = effective or timezone.localdate()
        _check_effective(locked, current, effective)
        over_limit = False
        load = None
        if is_key_account_staff(to_manager):
            load = load_of(to_manager)
            own = clients_revenue(client_ids=[locked.pk], as_of=timezone.localdate()).get(
                locked.pk, Decimal(0)
            )
            over_limit = load.exceeded_by(own)
            if over_limit and not confirm_over_limit:
                raise ValidationError(
                    {
                        "confirm_over_limit": ValidationError(
                            _(
                                "%(name)s already keeps %(n)s of %(max)s accounts "
                                "(%(revenue)s of revenue): confirm the assignment above "
                                "the limit."
                            )
                            % {
                                "name": to_manager.name,
                                "n": load.accounts,
                                "max": load.limit.max_accounts,
                                "revenue": f"{load.revenue:,.0f}".replace(",", " "),
                            },
                            code="over_limit",
                        )
                    }
                )
        from kam.rules.guards import guard

        checked = guard(
            subject="assignment",
            user=user,
            as_of=effective,
            rows=[
                {
                    "subject_key": f"{locked.code} {effective:%Y-%m-%d}",
                    "client_id": locked.pk,
                    "manager_id": to_manager.pk,
                    "start_date": effective,
                    "previous_manager_id": from_manager.pk if from_manager else None,
                    "handover_notes": notes,
                    "handover_cause": cause,
                    "assigned_by_id": getattr(access.user_employee(user), "pk", None)
                    if user is not None
                    else None,
                }
            ],
            override_reason=override_reason,
        )
        handover = Handover.objects.create(
            client=locked,
            from_manager=from_manager,
            to_manager=to_manager,
            effective=effective,
            cause=cause,
            reason=reason,
            notes=notes.strip(),
            briefing=briefing_for(locked, effective),
            load_before=load.accounts if load else 0,
            limit=load.limit.max_accounts if load else None,
            over_limit=over_limit,
            bulk=bulk,
            created_by=access.acting_user(user),
        )
        if current is not None:
            _close(current, effective, str(Cause(cause).label))
        assignment = Assignment.objects.create(
            client=locked,
            manager=to_manager,
            start=effective,
            source=Source.HANDOVER,
            handover=handover,
            assigned_by=access.acting_user(user),
            reason=reason or str(Cause(cause).label),
        )
        checked.record(user=user, subject_id=assignment.pk)
        # The recommendations the handover breaks, for the page to show.
        handover.rule_warnings = checked.warning_messages()  # type: ignore[attr-defined]
        Client.objects.filter(pk=locked.pk).update(
            responsible=to_manager, updated_at=timezone.now()
        )
        locked.responsible = to_manager
        responsibility_changed.send(__name__, client=locked, manager=to_manager, user=user)
        audit_record(
            actor=user,
            action="keyaccounts.handover",
            obj=locked,
            summary=f"{locked.code}: {from_manager.code if from_manager else '—'} → "
            f"{to_manager.code} ({cause})",
            data={
                "handover_id": handover.pk,
                "from": from_manager.code if from_manager else None,
                "to": to_manager.code,
                "effective": effective.isoformat(),
                "cause": cause,
                "reason": reason,
                "over_limit": over_limit,
                "bulk": str(bulk) if bulk else None,
            },
        )
    client.responsible = to_manager
    return handover


def responsibility_release(
    *, client: Client, user: AnyUser | None, why: str, on: dt.date | None = None
) -> Assignment | None:
    """End the current responsibility without a successor (the account then shows as a gap).

    Used when a client becomes key while its responsible works outside the key-account
    department: nobody outside it may keep a key account, and the head assigns one next.
    """
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        current = current_assignment(locked, lock=True)
        if current is None:
            return None
        _close(current, max(on or timezone.localdate(), current.start), why)
        Client.objects.filter(pk=locked.pk).update(responsible=None, updated_at=timezone.now())
        locked.responsible = None
        responsibility_changed.send(__name__, client=locked, manager=None, user=user)
        audit_record(
            actor=user,
            action="keyaccounts.released",
            obj=locked,
            summary=f"{locked.code}: {current.manager.code} → —",
            data={"from": current.manager.code, "why": why},
        )
    client.responsible = None
    return current


@transaction.atomic
def handover_acknowledge(*, handover: Handover, user: AnyUser) -> Handover:
    """The receiver confirms they have taken the account over and read the briefing."""
    locked = Handover.objects.select_for_update().select_related("to_manager").get(pk=handover.pk)
    employee = access.user_employee(user)
    if employee is None or employee.pk != locked.to_manager_id:
        raise PermissionDenied(_("Only the receiver acknowledges a handover."))
    if locked.acknowledged_at is not None:
        return locked
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = access.acting_user(user)
    locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_record(
        actor=user,
        action="keyaccounts.handover_acknowledged",
        obj=locked,
        summary=f"{locked.client_id}: {locked.to_manager.code}",
        data={"handover_id": locked.pk},
    )
    return locked


# --- Bulk handover -----------------------------------------------------------------------------


class Rule:
    ONE = "one"
    SPREAD = "spread"


def bulk_plan(
    *,
    from_manager: Employee,
    rule: str,
    receivers: list[Employee],
    client_ids: list[int] | None = None,
    as_of: dt.date | None = None,
) -> list[tuple[Client, Employee]]:
    """Who gets which of ``from_manager``'s accounts.

    ``one``: everything to ``receivers[0]``. ``spread``: the largest accounts first, each to the
    receiver with the most room left under their limit (then the fewest accounts).
    """
    as_of = as_of or timezone.localdate()
    held = Client.objects.filter(
        assignments__manager=from_manager, assignments__end__isnull=True
    ).order_by("name")
    if client_ids is not None:
        held = held.filter(pk__in=client_ids)
    clients = list(held)
    if not receivers:
        raise ValidationError({"receivers": _("Name who takes the accounts over.")})
    if any(r.pk == from_manager.pk for r in receivers):
        raise ValidationError({"receivers": _("The accounts go to someone else.")})
    if rule == Rule.ONE:
        return [(client, receivers[0]) for client in clients]
    if rule != Rule.SPREAD:
        raise ValidationError({"rule": _("Unknown rule %(value)r.") % {"value": rule}})
    revenue = clients_revenue(client_ids=[c.pk for c in clients], as_of=as_of)
    loads = loads_of(receivers, as_of)
    counts = {pk: load.accounts for pk, load in loads.items()}
    plan = []
    for client in sorted(clients, key=lambda c: (-revenue.get(c.pk, Decimal(0)), c.name)):
        receiver = min(
            receivers,
            key=lambda r: (counts[r.pk] - loads[r.pk].limit.max_accounts, counts[r.pk], r.name),
        )
        counts[receiver.pk] += 1
        plan.append((client, receiver))
    return sorted(plan, key=lambda pair: pair[0].name)


@transaction.atomic
def handovers_bulk(
    *,
    plan: list[tuple[Client, Employee]],
    user: AnyUser,
    cause: str,
    reason: str = "",
    notes: str = "",
    effective: dt.date | None = None,
    confirm_over_limit: bool = False,
    from_manager: Any = ANYONE,
) -> list[Handover]:
    """Record every handover of ``plan`` or none: the first refusal names the account.

    ``from_manager``: whom every account is taken from (checked under each client's lock, so
    an account that changed hands since the plan was made stops the whole batch).
    """
    if not access.can_manage_department(user):
        raise PermissionDenied(
            _("Accounts are handed over by the key-account head or the director.")
        )
    batch = uuid.uuid4()
    done = []
    for client, receiver in plan:
        try:
            done.append(
                handover_record(
                    client=client,
                    to_manager=receiver,
                    user=user,
                    cause=cause,
                    reason=reason,
                    notes=notes,
                    effective=effective,
                    confirm_over_limit=confirm_over_limit,
                    bulk=batch,
                    expected_from=from_manager,
                )
            )
        except ValidationError as error:
            messages = "; ".join(error.messages)
            codes = (
                [e.code for e in error.error_list]
                if not hasattr(error, "error_dict")
                else [e.code for errors in error.error_dict.values() for e in errors]
            )
            raise ValidationError(
                _("%(client)s: %(error)s Nothing was handed over.")
                % {"client": client, "error": messages},
                code="over_limit" if "over_limit" in codes else "bulk",
            ) from error
    return done


# --- Keeping history and Client.responsible in step --------------------------------------------


def assignments_sync(*, client_filter_sql: str, params: list[Any], on: dt.date, source: str) -> int:
    """Make the open assignments of the clients selected by ``client_filter_sql`` match
    ``Client.responsible``, set-wise (imports and the initial migration write the column).

    ``client_filter_sql`` is a condition on the client table aliased ``c``. Returns how many
    assignments were opened.
    """
    client_table = Client._meta.db_table
    table = Assignment._meta.db_table
    on_value = connection.ops.adapt_datefield_value(on)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET "end" = CASE WHEN start > %s THEN start ELSE %s END,
                               end_reason = %s
            WHERE "end" IS NULL AND client_id IN (
                SELECT c.id FROM {client_table} c
                WHERE ({client_filter_sql})
                  AND c.responsible_id IS DISTINCT FROM {table}.manager_id)
            """,
            [on_value, on_value, str(Source(source).label), *params],
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (client_id, manager_id, start, "end", source, reason,
                                 end_reason, created_at)
            SELECT c.id, c.responsible_id, %s, NULL, %s, '', '', %s
            FROM {client_table} c
            WHERE ({client_filter_sql}) AND c.responsible_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {table} a
                              WHERE a.client_id = c.id AND a."end" IS NULL)
            """,
            [on_value, source, now, *params],
        )
        return cursor.rowcount


# --- Status decisions --------------------------------------------------------------------------


def return_receiver(client: Client) -> Employee | None:
    """Who takes a demoted account back: the last responsible outside the key-account department
    who is still active, else the head of the sales department."""
    for assignment in (
        Assignment.objects.filter(client=client, end__isnull=False)
        .select_related("manager__department")
        .order_by("-end", "-pk")
    ):
        manager = assignment.manager
        if manager.is_active and responsibility_problem(manager, ClientStatus.STANDARD) is None:
            return manager
    head = (
        Employee.objects.filter(headed_departments__kind=DepartmentKind.SALES, is_active=True)
        .select_related("department")
        .first()
    )
    if head is not None and responsibility_problem(head, ClientStatus.STANDARD) is None:
        return head
    return None


def status_changed(
    *,
    client: Client,
    before: str,
    after: str,
    user: AnyUser | None,
    reason: str,
    responsible: Employee | None = None,
    confirm_over_limit: bool = False,
) -> Handover | None:
    """Keep responsibility right after a status decision (the status is already saved).

    A named ``responsible`` takes the account over by a handover. Otherwise: a new key account
    whose responsible works outside the key-account department is released (a gap the board
    shows until the head assigns a manager); an account that leaves the department's scope goes
    back to sales by a handover to ``return_receiver``. A handover's cause tells which.
    """
    current = current_assignment(client)
    holder = current.manager if current is not None else None
    if after == ClientStatus.KEY and before != ClientStatus.KEY:
        cause = Cause.PROMOTION
    elif before == ClientStatus.KEY and after != ClientStatus.KEY:
        cause = Cause.DEMOTION
    else:
        cause = Cause.OTHER
    if responsible is not None:
        if holder is not None and holder.pk == responsible.pk:
            return None
        return handover_record(
            client=client,
            to_manager=responsible,
            user=user,
            cause=cause,
            reason=reason,
            confirm_over_limit=confirm_over_limit,
            check_permission=False,
        )
    if holder is None or responsibility_problem(holder, after) is None:
        return None
    if after == ClientStatus.KEY:
        responsibility_release(
            client=client,
            user=user,
            why=_("Became a key account: a key-account manager is to be assigned."),
        )
        return None
    receiver = return_receiver(client)
    if receiver is None:
        return None  # listed among the separation conflicts until the head hands it over
    return handover_record(
        client=client,
        to_manager=receiver,
        user=user,
        cause=Cause.DEMOTION,
        reason=reason,
        check_permission=False,
    )
