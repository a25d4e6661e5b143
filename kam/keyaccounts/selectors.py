"""Reading the department: the board, the gaps, separation conflicts, histories, my accounts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.keyaccounts.models import Assignment, Handover
from kam.keyaccounts.rules import is_key_account_staff, responsibility_problem
from kam.keyaccounts.services import Load, limits_for, loads_of
from kam.ledger.models import MonthlyRollup
from kam.ledger.months import month_start
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee
from kam.planning.actuals import PlanProgress, plans_progress
from kam.planning.choices import ActionStatus, Light, PlanState
from kam.planning.models import DevelopmentPlan, PlanAction
from kam.planning.periods import Period
from kam.planning.selectors import MISSING, plans_queryset
from kam.planning.services import current_period

#: Months in the revenue trend shown per account.
TREND_MONTHS = 12


@dataclass
class Account:
    """One client as the department sees it."""

    client: Client
    since: dt.date | None
    revenue: Decimal = Decimal(0)
    revenue_prev: Decimal = Decimal(0)
    trend: list[float] = field(default_factory=list)
    pending_handover: Handover | None = None
    next_review: dt.date | None = None
    further_work: str = ""
    #: The development plan whose period contains the day of the page, and its progress.
    plan: DevelopmentPlan | None = None
    plan_progress: PlanProgress | None = None
    #: The plan's next planned action (My key accounts only).
    next_action: PlanAction | None = None

    @property
    def plan_state(self) -> str:
        """The plan's state, "missing" for a key account without one, "" for other accounts."""
        if self.plan is not None:
            return self.plan.state
        return MISSING if self.client.status == ClientStatus.KEY else ""

    @property
    def plan_light(self) -> str:
        """The plan's traffic light (its worst target's); "none" when it cannot be told."""
        if self.plan_progress is None or self.plan_state == PlanState.CLOSED:
            return Light.NONE
        return self.plan_progress.light

    @property
    def plan_light_label(self) -> str:
        return str(Light(self.plan_light).label)

    @property
    def growth(self) -> float | None:
        """Revenue change against the 12 months before, in per cent; None without a base."""
        if self.revenue_prev <= 0:
            return None
        return float((self.revenue - self.revenue_prev) / self.revenue_prev * 100)


@dataclass
class ManagerColumn:
    employee: Employee
    accounts: list[Account]
    load: Load

    @property
    def over_limit(self) -> bool:
        limit = self.load.limit
        return self.load.accounts > limit.max_accounts or (
            limit.max_revenue is not None and self.load.revenue > limit.max_revenue
        )

    @property
    def load_share(self) -> float:
        """Accounts against the limit, 0–1 and above, for the load bar."""
        return self.load.accounts / self.load.limit.max_accounts


@dataclass
class Gap:
    """A key account without a responsible key-account manager, and since when."""

    client: Client
    responsible: Employee | None
    problem: str
    since: dt.date | None


@dataclass
class Conflict:
    """A client whose responsible breaks the separation of functions (or the history)."""

    client: Client
    responsible: Employee | None
    problem: str


@dataclass
class Board:
    as_of: dt.date
    managers: list[ManagerColumn]
    gaps: list[Gap]
    conflicts: list[Conflict]
    pending: list[Handover]
    #: The operational period whose plans the accounts show.
    plan_period: Period | None = None

    @property
    def key_accounts(self) -> int:
        return sum(
            1
            for column in self.managers
            for account in column.accounts
            if account.client.status == ClientStatus.KEY
        ) + len(self.gaps)


def revenue_by_client(
    client_ids: list[int], as_of: dt.date
) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[int, list[float]]]:
    """Revenue of the last 12 months, of the 12 before, and the monthly trend, per client."""
    first = month_start(as_of, 23)
    rows = (
        MonthlyRollup.objects.filter(
            client_id__in=client_ids, month__gte=first, month__lte=month_start(as_of)
        )
        .values("client_id", "month")
        .annotate(revenue=Sum("revenue"))
    )
    last: dict[int, Decimal] = defaultdict(Decimal)
    prev: dict[int, Decimal] = defaultdict(Decimal)
    months = [month_start(as_of, back) for back in range(TREND_MONTHS - 1, -1, -1)]
    position = {m: i for i, m in enumerate(months)}
    trend: dict[int, list[float]] = {pk: [0.0] * TREND_MONTHS for pk in client_ids}
    recent = month_start(as_of, 11)
    for row in rows:
        amount = row["revenue"] or Decimal(0)
        if row["month"] >= recent:
            last[row["client_id"]] += amount
            trend[row["client_id"]][position[row["month"]]] = float(amount)
        else:
            prev[row["client_id"]] += amount
    return dict(last), dict(prev), trend


def current_plans(
    client_ids: list[int], as_of: dt.date, *, next_actions: bool = False
) -> dict[int, tuple[DevelopmentPlan, PlanProgress, PlanAction | None]]:
    """Each client's development plan for the period containing ``as_of``, with its progress
    (actuals, forecast, lights) and, when asked, its next planned action; in a fixed number of
    queries whatever the number of clients."""
    plans = list(
        plans_queryset().filter(
            client_id__in=client_ids, period_start__lte=as_of, period_end__gte=as_of
        )
    )
    progress = plans_progress(plans, as_of)
    upcoming: dict[int, PlanAction] = {}
    if next_actions:
        for action in (
            PlanAction.objects.filter(plan__in=plans, status=ActionStatus.PLANNED)
            .select_related("responsible")
            .order_by("-due", "-id")
        ):
            upcoming[action.plan_id] = action  # the earliest due is written last
    return {p.client_id: (p, progress[p.pk], upcoming.get(p.pk)) for p in plans}


def _accounts(
    assignments: list[Assignment], as_of: dt.date, *, next_actions: bool = False
) -> list[Account]:
    from kam.assessment.models import StatusDecision

    ids = [a.client_id for a in assignments]
    last, prev, trend = revenue_by_client(ids, as_of)
    pending = {
        h.client_id: h
        for h in Handover.objects.filter(client_id__in=ids, acknowledged_at__isnull=True)
        .select_related("to_manager")
        .order_by("created_at")
    }
    decisions: dict[int, Any] = {}
    for row in StatusDecision.objects.filter(client_id__in=ids).order_by("decided_at"):
        decisions[row.client_id] = row
    plans = current_plans(ids, as_of, next_actions=next_actions)
    accounts = []
    for a in assignments:
        decision = decisions.get(a.client_id)
        handover = pending.get(a.client_id)
        plan, progress, upcoming = plans.get(a.client_id, (None, None, None))
        accounts.append(
            Account(
                client=a.client,
                since=a.start,
                revenue=last.get(a.client_id, Decimal(0)),
                revenue_prev=prev.get(a.client_id, Decimal(0)),
                trend=trend.get(a.client_id, []),
                pending_handover=handover
                if handover and handover.to_manager_id == a.manager_id
                else None,
                next_review=decision.next_review if decision else None,
                further_work=decision.further_work if decision else "",
                plan=plan,
                plan_progress=progress,
                next_action=upcoming,
            )
        )
    return accounts


def _status_rank(client: Client) -> int:
    return {ClientStatus.KEY: 0, ClientStatus.POTENTIAL_KEY: 1}.get(client.status, 2)  # type: ignore[call-overload]


def department_managers() -> QuerySet[Employee]:
    """The key-account department's active staff, and inactive ones who still keep accounts."""
    holding = Assignment.objects.filter(manager=OuterRef("pk"), end__isnull=True)
    return (
        Employee.objects.filter(department__kind=DepartmentKind.KEY_ACCOUNTS)
        .filter(Q(is_active=True) | Exists(holding))
        .select_related("department", "user")
        .order_by("name")
    )


def board(as_of: dt.date | None = None) -> Board:
    """Everything the head's board shows, in a fixed number of queries."""
    as_of = as_of or timezone.localdate()
    managers = list(department_managers())
    # The client's responsible and their department: who may hand an account over depends on
    # them (access.can_hand_over), asked for every account on the board.
    assignments = list(
        Assignment.objects.filter(manager__in=managers, end__isnull=True).select_related(
            "client__responsible__department", "manager"
        )
    )
    accounts = _accounts(assignments, as_of)
    by_manager: dict[int, list[Account]] = defaultdict(list)
    for assignment, account in zip(assignments, accounts, strict=True):
        by_manager[assignment.manager_id].append(account)
    limits = limits_for(managers)
    columns = []
    for employee in managers:
        held = sorted(
            by_manager.get(employee.pk, []),
            key=lambda a: (_status_rank(a.client), -a.revenue, a.client.name),
        )
        load = Load(len(held), sum((a.revenue for a in held), Decimal(0)), limits[employee.pk])
        columns.append(ManagerColumn(employee, held, load))
    return Board(
        as_of=as_of,
        managers=columns,
        gaps=gaps(),
        conflicts=conflicts(),
        pending=list(
            Handover.objects.filter(acknowledged_at__isnull=True)
            .select_related("client", "from_manager", "to_manager")
            .order_by("created_at")
        ),
        plan_period=current_period(as_of),
    )


def gaps() -> list[Gap]:
    """Key accounts without an active responsible manager of the key-account department.

    ``since``: when the gap began, as far as the history tells (the later of the decision that
    made the client key and the end of its last responsibility; for a manager who is no longer
    active or works elsewhere, the start of the key status).
    """
    from kam.assessment.models import StatusDecision

    became_key = StatusDecision.objects.filter(
        client=OuterRef("pk"), status=ClientStatus.KEY
    ).order_by("-decided_at")
    rows = (
        Client.objects.filter(status=ClientStatus.KEY)
        .filter(
            Q(responsible__isnull=True)
            | Q(responsible__is_active=False)
            | ~Q(responsible__department__kind=DepartmentKind.KEY_ACCOUNTS)
        )
        .annotate(
            last_end=Max("assignments__end"),
            key_since=became_key.values("decided_at")[:1],
        )
        .select_related("responsible__department")
        .order_by("name")
    )
    result = []
    for client in rows:
        key_since = client.key_since.date() if client.key_since else None
        responsible = client.responsible
        if responsible is None:
            problem = _("No responsible manager.")
            dates = [d for d in (key_since, client.last_end) if d is not None]
            since = max(dates) if dates else None
        else:
            problem = responsibility_problem(responsible, ClientStatus.KEY) or ""
            since = key_since
        result.append(Gap(client, responsible, problem, since))
    return result


def conflicts() -> list[Conflict]:
    """Clients whose responsible breaks the separation of functions (key accounts without a
    key-account manager are gaps, listed apart), and history out of step with the client."""
    result = []
    held_by_key_staff = (
        Client.objects.filter(
            status=ClientStatus.STANDARD,
            responsible__department__kind=DepartmentKind.KEY_ACCOUNTS,
        )
        .select_related("responsible__department")
        .order_by("name")
    )
    for client in held_by_key_staff:
        assert client.responsible is not None
        problem = responsibility_problem(client.responsible, client.status) or ""
        result.append(Conflict(client, client.responsible, problem))
    open_assignment = Assignment.objects.filter(client=OuterRef("pk"), end__isnull=True)
    out_of_step = (
        Client.objects.filter(
            (
                Q(responsible__isnull=False)
                & ~Exists(open_assignment.filter(manager=F("client__responsible")))
            )
            | (Q(responsible__isnull=True) & Exists(open_assignment))
        )
        .select_related("responsible__department")
        .order_by("name")
    )
    for client in out_of_step:
        result.append(
            Conflict(
                client,
                client.responsible,
                _("The responsible manager differs from the assignment history."),
            )
        )
    return result


def my_accounts(employee: Employee, as_of: dt.date | None = None) -> list[Account]:
    """The accounts ``employee`` is responsible for now: key accounts first, largest first."""
    as_of = as_of or timezone.localdate()
    assignments = list(
        Assignment.objects.filter(manager=employee, end__isnull=True).select_related(
            "client", "manager"
        )
    )
    accounts = _accounts(assignments, as_of, next_actions=True)
    return sorted(accounts, key=lambda a: (_status_rank(a.client), -a.revenue, a.client.name))


def pending_for(employee: Employee) -> QuerySet[Handover]:
    """Handovers to ``employee`` still waiting for their acknowledgement."""
    return (
        Handover.objects.filter(to_manager=employee, acknowledged_at__isnull=True)
        .select_related("client", "from_manager")
        .order_by("created_at")
    )


def client_ownership(client: Client) -> dict[str, Any]:
    """The card's ownership panel: who is responsible since when, and the whole history."""
    history = list(
        Assignment.objects.filter(client=client)
        .select_related("manager__department", "assigned_by__employee", "handover")
        .order_by("-start", "-pk")
    )
    current = next((a for a in history if a.end is None), None)
    problem = (
        responsibility_problem(current.manager, client.status)
        if current is not None
        else (_("No responsible manager.") if client.status == ClientStatus.KEY else None)
    )
    return {
        "current": current,
        "history": history,
        "problem": problem,
        "pending": Handover.objects.filter(client=client, acknowledged_at__isnull=True)
        .select_related("to_manager")
        .first(),
    }


def handover_list() -> QuerySet[Handover]:
    return Handover.objects.select_related(
        "client",
        "from_manager",
        "to_manager",
        "created_by__employee",
        "acknowledged_by__employee",
    ).order_by("-created_at", "-pk")


def _candidates() -> QuerySet[Employee]:
    return (
        Employee.objects.filter(is_active=True)
        .exclude(department__kind__in=[DepartmentKind.CREDIT_COMMITTEE, DepartmentKind.MANAGEMENT])
        .select_related("department")
        .order_by("department__kind", "name")
    )


def receivers_for(client: Client, as_of: dt.date | None = None) -> list[tuple[Employee, Load]]:
    """Who may take ``client`` over, with their load: the handover form's choices."""
    return receivers_by_status(as_of)[client.status]


def receivers_by_status(as_of: dt.date | None = None) -> dict[str, list[tuple[Employee, Load]]]:
    """Who may take over a client of each status, with their load, in a fixed number of
    queries (the bulk handover and the status decision form offer receivers per account)."""
    employees = list(_candidates())
    # Revenue counts towards the limits of the key-account department only: the rest of the
    # sales force (large in a large company) needs just the number of accounts.
    loads = loads_of(employees, as_of, revenue_of=filter(is_key_account_staff, employees))
    return {
        status: [(e, loads[e.pk]) for e in employees if responsibility_problem(e, status) is None]
        for status in ClientStatus.values
    }
