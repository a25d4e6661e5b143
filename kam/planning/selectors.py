"""Reads of development plans for pages and the API: my plans, the department's plans, one plan."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.organization.models import Employee
from kam.planning.actuals import PlanProgress, data_until, plans_progress
from kam.planning.choices import ActionStatus, TargetKind
from kam.planning.models import DevelopmentPlan, PlanAction, PlanTarget
from kam.planning.periods import Period

#: A key account's place in the department's period: its plan's state, or "missing".
MISSING = "missing"


def plans_queryset() -> QuerySet[DevelopmentPlan]:
    return (
        DevelopmentPlan.objects.select_related("client", "client__responsible", "owner")
        .prefetch_related(
            Prefetch("targets", queryset=PlanTarget.objects.order_by("position", "id"))
        )
        .annotate(
            actions_total=Count("actions", distinct=True),
            actions_done=Count(
                "actions", filter=Q(actions__status=ActionStatus.DONE), distinct=True
            ),
            actions_overdue=Count(
                "actions",
                filter=Q(
                    actions__status=ActionStatus.PLANNED, actions__due__lt=timezone.localdate()
                ),
                distinct=True,
            ),
        )
    )


@dataclass
class PlanRow:
    """A key account in a period: its plan (None when missing) and the plan's progress."""

    client: Client
    plan: DevelopmentPlan | None
    progress: PlanProgress | None

    @property
    def state(self) -> str:
        return self.plan.state if self.plan is not None else MISSING

    def figure(self, kind: str) -> Any:
        return self.progress.target_of(kind) if self.progress is not None else None

    @property
    def revenue(self) -> Any:
        return self.figure(TargetKind.REVENUE)


@dataclass
class PeriodPlans:
    period: Period
    rows: list[PlanRow]
    data_until: dt.date | None
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def revenue_target(self) -> float:
        return sum(float(r.revenue.target.value or 0) for r in self.rows if r.revenue)

    @property
    def revenue_actual(self) -> float:
        return sum(r.revenue.actual or 0 for r in self.rows if r.revenue)

    @property
    def revenue_forecast(self) -> float:
        return sum(r.revenue.forecast or 0 for r in self.rows if r.revenue)


def _rows(
    clients: list[Client], plans: list[DevelopmentPlan], as_of: dt.date
) -> tuple[list[PlanRow], dt.date | None]:
    until = data_until()
    progress = plans_progress(plans, as_of, until=until)
    by_client = {p.client_id: p for p in plans}
    rows = [
        PlanRow(
            c, by_client.get(c.pk), progress.get(by_client[c.pk].pk) if c.pk in by_client else None
        )
        for c in clients
    ]
    return rows, until


def department_plans(
    period: Period,
    *,
    as_of: dt.date | None = None,
    state: str = "",
    manager: Employee | None = None,
) -> PeriodPlans:
    """Every key account × the period (plus former key accounts that have a plan for it), with
    the plan's state ("missing" when none) and progress; filtered by state and manager."""
    as_of = as_of or timezone.localdate()
    plans = list(plans_queryset().filter(period_start=period.start))
    planned = {p.client_id for p in plans}
    clients = list(
        Client.objects.filter(Q(status=ClientStatus.KEY) | Q(pk__in=planned))
        .select_related("responsible")
        .order_by("name")
    )
    rows, until = _rows(clients, plans, as_of)
    counts = Counter(r.state for r in rows)
    if manager is not None:
        rows = [
            r
            for r in rows
            if (r.plan.owner_id if r.plan else r.client.responsible_id) == manager.pk
        ]
    if state:
        rows = [r for r in rows if r.state == state]
    return PeriodPlans(period, rows, until, counts)


def my_plans(employee: Employee, period: Period, *, as_of: dt.date | None = None) -> PeriodPlans:
    """The key accounts ``employee`` is responsible for × the period, and any plan of the period
    they own (an account handed away keeps its closed plan's owner)."""
    as_of = as_of or timezone.localdate()
    plans = list(
        plans_queryset()
        .filter(period_start=period.start)
        .filter(Q(owner=employee) | Q(client__responsible=employee))
    )
    planned = {p.client_id for p in plans}
    clients = list(
        Client.objects.filter(
            Q(status=ClientStatus.KEY, responsible=employee) | Q(pk__in=planned)
        ).order_by("name")
    )
    rows, until = _rows(clients, plans, as_of)
    return PeriodPlans(period, rows, until, Counter(r.state for r in rows))


def plan_detail(pk: int) -> DevelopmentPlan:
    return (
        plans_queryset()
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=PlanAction.objects.select_related("responsible", "carried_from__plan"),
            ),
            "events__actor",
        )
        .get(pk=pk)
    )


def client_plans(client: Client) -> QuerySet[DevelopmentPlan]:
    return plans_queryset().filter(client=client).order_by("-period_start")


def activity_log(client: Client, *, limit: int | None = None) -> QuerySet[PlanAction]:
    """Done actions with the account, newest first: what was actually done with the client."""
    rows = (
        PlanAction.objects.filter(plan__client=client, status=ActionStatus.DONE)
        .select_related("responsible", "plan")
        .order_by("-done_on", "-id")
    )
    return rows[:limit] if limit else rows


def plan_list() -> QuerySet[DevelopmentPlan]:
    """All plans (for the API and exports), newest period first."""
    return plans_queryset().order_by("-period_start", "client__name")
