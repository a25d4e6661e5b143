"""Plan-vs-actual: what the ledger says each plan's targets came to, and where they are heading.

Actuals are read from the ledger's monthly roll-up (revenue, margin, product groups) and from the
receivables (payment discipline), which every import keeps current, so an import moves them. One
pass serves any number of plans: the roll-up rows of all their clients are read once per period.

- revenue, margin, revenue of a group: the sums over the period's months;
- new product groups: groups bought in the period (net revenue > 0) that the client had not bought
  in the 12 months before it;
- days overdue at most: the client's oldest overdue invoice at the period's end (or today while it
  runs), as the receivables count it.

The run-rate forecast extends money to the whole period at the pace so far, counting the days up
to the last sales document imported ("data up to"), so a week without imports does not look like a
week without sales; payment discipline projects the invoices still unpaid to the period's end.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.db.models import Max

from kam.ledger.models import MonthlyRollup, SalesDocument
from kam.ledger.months import month_start
from kam.ledger.receivables import CENT, allocate_payments
from kam.ledger.selectors import documents_frame, payments_frame
from kam.planning.choices import LOWER_IS_BETTER, MEASURED_TARGETS, Light, PlanState, TargetKind
from kam.planning.models import DevelopmentPlan, PlanTarget
from kam.planning.periods import Period

#: A forecast at or above this share of the target is "at risk", below it "off track".
AMBER_FROM = 0.9
#: How far back a product group counts as already bought.
NEW_GROUP_LOOKBACK_MONTHS = 12
_LIGHT_RANK = {Light.NONE: 0, Light.GREEN: 1, Light.AMBER: 2, Light.RED: 3}


@dataclass
class ClientActuals:
    """One client's figures over one period, as of a date."""

    revenue: float = 0.0
    margin: float | None = 0.0
    group_revenue: dict[str, float] = field(default_factory=dict)
    new_groups: list[str] = field(default_factory=list)
    max_overdue_days: int = 0
    # The invoices still unpaid, projected to the period's end.
    overdue_days_at_end: int = 0

    def value(self, kind: str, product_group: str = "") -> float | None:
        if kind == TargetKind.REVENUE:
            return self.revenue
        if kind == TargetKind.MARGIN:
            return self.margin
        if kind == TargetKind.GROUP_REVENUE:
            return self.group_revenue.get(product_group, 0.0)
        if kind == TargetKind.NEW_GROUPS:
            return float(len(self.new_groups))
        if kind == TargetKind.MAX_OVERDUE_DAYS:
            return float(self.max_overdue_days)
        return None


@dataclass
class TargetProgress:
    target: PlanTarget
    actual: float | None
    forecast: float | None
    light: str

    @property
    def ratio(self) -> float | None:
        """Actual as a share of the target (money and counts)."""
        value = self.target.value
        if self.actual is None or value is None or value <= 0:
            return None
        if self.target.kind in LOWER_IS_BETTER:
            return None
        return self.actual / float(value)


@dataclass
class PlanProgress:
    plan: DevelopmentPlan
    period: Period
    measured_on: dt.date
    data_until: dt.date | None
    elapsed_days: int
    actuals: ClientActuals
    targets: list[TargetProgress]

    @property
    def light(self) -> str:
        lights = [t.light for t in self.targets]
        return max(lights, key=lambda light: _LIGHT_RANK[Light(light)], default=Light.NONE)

    def target_of(self, kind: str) -> TargetProgress | None:
        return next((t for t in self.targets if t.target.kind == kind), None)


def data_until() -> dt.date | None:
    """The date of the last sales document in the ledger: how far the imports reach."""
    return SalesDocument.objects.aggregate(last=Max("date"))["last"]


def client_actuals(
    client_ids: Iterable[int], period: Period, as_of: dt.date
) -> dict[int, ClientActuals]:
    """Every client's actuals over ``period`` as of ``as_of`` (clients without sales: zeros)."""
    ids = sorted(set(client_ids))
    result = {pk: ClientActuals() for pk in ids}
    if not ids:
        return result
    lookback = month_start(period.start, NEW_GROUP_LOOKBACK_MONTHS)
    last_month = month_start(min(as_of, period.end))
    rows = MonthlyRollup.objects.filter(
        client_id__in=ids, month__gte=lookback, month__lte=last_month
    ).values_list("client_id", "month", "product_group", "revenue", "margin")
    margin_known: dict[int, bool] = defaultdict(bool)
    revenue_rows: dict[int, int] = defaultdict(int)
    before: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for client_id, month, group, revenue, margin in rows:
        amount = float(revenue)
        actual = result[client_id]
        if month >= period.start:
            revenue_rows[client_id] += 1
            actual.revenue += amount
            if margin is not None:
                margin_known[client_id] = True
                actual.margin = (actual.margin or 0.0) + float(margin)
            if group:
                actual.group_revenue[group] = actual.group_revenue.get(group, 0.0) + amount
        elif group:
            before[client_id][group] += amount
    for client_id, actual in result.items():
        if revenue_rows[client_id] and not margin_known[client_id]:
            actual.margin = None
        actual.revenue = round(actual.revenue, 2)
        if actual.margin is not None:
            actual.margin = round(actual.margin, 2)
        actual.group_revenue = {g: round(v, 2) for g, v in actual.group_revenue.items()}
        bought_before = {g for g, v in before[client_id].items() if v > CENT}
        actual.new_groups = sorted(
            g for g, v in actual.group_revenue.items() if v > CENT and g not in bought_before
        )
    _add_overdue(result, ids, period, as_of)
    return result


def _add_overdue(
    result: dict[int, ClientActuals], ids: list[int], period: Period, as_of: dt.date
) -> None:
    measured_on = min(as_of, period.end)
    allocated = allocate_payments(
        documents_frame(client_ids=ids), payments_frame(client_ids=ids), measured_on
    )
    if not allocated.height:
        return
    per_client = allocated.group_by("client_id").agg(
        pl.col("overdue_days").max().alias("now"),
        pl.when((pl.col("unpaid") > CENT) & (pl.col("due_date") < period.end))
        .then((pl.lit(period.end) - pl.col("due_date")).dt.total_days())
        .otherwise(0)
        .max()
        .alias("at_end"),
    )
    for row in per_client.iter_rows(named=True):
        actual = result[row["client_id"]]
        actual.max_overdue_days = int(row["now"] or 0)
        actual.overdue_days_at_end = max(int(row["at_end"] or 0), actual.max_overdue_days)


def _forecast(
    kind: str, actual: float | None, actuals: ClientActuals, share: float
) -> float | None:
    if actual is None:
        return None
    if kind in LOWER_IS_BETTER:
        return float(actuals.overdue_days_at_end)
    if kind == TargetKind.NEW_GROUPS or share <= 0:
        return actual
    return round(actual / share, 2)


def _light(
    kind: str, value: Decimal | None, actual: float | None, forecast: float | None, running: bool
) -> str:
    if kind not in MEASURED_TARGETS or value is None or actual is None or forecast is None:
        return Light.NONE
    target = float(value)
    if kind in LOWER_IS_BETTER:
        if actual > target:
            return Light.RED
        return Light.AMBER if forecast > target else Light.GREEN
    if target <= 0 or forecast >= target:
        return Light.GREEN
    if kind == TargetKind.NEW_GROUPS:
        # A new group is bought or not: no pace to extend; still possible while the period runs.
        return Light.AMBER if running else Light.RED
    return Light.AMBER if forecast >= AMBER_FROM * target else Light.RED


def _closed_light(target: PlanTarget) -> str:
    if target.met is None:
        return Light.NONE
    return Light.GREEN if target.met else Light.RED


def plans_progress(
    plans: Iterable[DevelopmentPlan], as_of: dt.date, *, until: Any = None
) -> dict[int, PlanProgress]:
    """Each plan's targets with actual, forecast and light (targets prefetched or read here).

    A closed plan shows the results recorded when it closed. ``until`` is the last date the
    ledger reaches (read once when not given).
    """
    plans = list(plans)
    last = data_until() if until is None else until
    by_period: dict[Period, list[DevelopmentPlan]] = defaultdict(list)
    for plan in plans:
        by_period[plan.period].append(plan)
    result: dict[int, PlanProgress] = {}
    for period, members in by_period.items():
        open_ids = [p.client_id for p in members if p.state != PlanState.CLOSED]
        actuals = client_actuals(open_ids, period, as_of)
        measured_until = min(as_of, last) if last is not None else None
        elapsed = period.elapsed_days(measured_until) if measured_until else 0
        share = elapsed / period.days
        for plan in members:
            targets = list(plan.targets.all())
            if plan.state == PlanState.CLOSED:
                progress = [
                    TargetProgress(
                        t,
                        float(t.actual) if t.actual is not None else None,
                        float(t.actual) if t.actual is not None else None,
                        _closed_light(t),
                    )
                    for t in targets
                ]
                figures = ClientActuals()
            else:
                figures = actuals[plan.client_id]
                progress = []
                for t in targets:
                    actual = figures.value(t.kind, t.product_group) if elapsed else None
                    forecast = _forecast(t.kind, actual, figures, share)
                    progress.append(
                        TargetProgress(
                            t,
                            actual,
                            forecast,
                            _light(t.kind, t.value, actual, forecast, share < 1),
                        )
                    )
            result[plan.pk] = PlanProgress(
                plan=plan,
                period=period,
                measured_on=min(as_of, period.end),
                data_until=last,
                elapsed_days=elapsed,
                actuals=figures,
                targets=progress,
            )
    return result


def daily_revenue(
    client_ids: Iterable[int], period: Period
) -> dict[int, list[tuple[dt.date, float]]]:
    """Cumulative revenue by day over the period per client (from the sales documents), for
    the plan-vs-actual chart."""
    rows = (
        SalesDocument.objects.filter(
            client_id__in=list(client_ids), date__gte=period.start, date__lte=period.end
        )
        .values_list("client_id", "date", "amount")
        .order_by("client_id", "date")
    )
    by_day: dict[int, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for client_id, day, amount in rows:
        by_day[client_id][day] += float(amount)
    result: dict[int, list[tuple[dt.date, float]]] = {}
    for client_id, days in by_day.items():
        running = 0.0
        series = []
        for day in sorted(days):
            running += days[day]
            series.append((day, round(running, 2)))
        result[client_id] = series
    return result
