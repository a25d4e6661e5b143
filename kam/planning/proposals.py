"""Proposed targets and actions for a key account's plan, so the manager edits, not types.

From the ledger's monthly roll-up and the client's latest assessment:

- revenue: the average month of the last 12 months, times the seasonality of the period's months
  (the same months a year earlier against that year's average month, kept within 0.5–1.5), plus a
  step toward the unrealised potential (a quarter of the gap a year) or, without a known
  potential, the client's growth (at most 20 %);
- margin: the revenue target at the last 12 months' margin rate;
- the largest product groups (10 % of revenue or more, at most three): their share of the
  revenue target;
- new product groups: one, when other key accounts buy groups this client does not;
- payment discipline: no overdue days when the client pays on time, else half of the worst delay;
- qualitative goals and actions: a meeting every month, a business review at a quarter's end,
  a proposal for a new group, a call about overdue debt, a decision maker to meet.

``basis`` keeps the figures behind each number; ``basis_text`` says them in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kam.assessment.models import Assessment
from kam.assessment.selectors import client_latest_assessment
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.ledger.models import MonthlyRollup
from kam.ledger.months import month_start
from kam.planning.choices import ActionKind, PeriodKind, TargetKind
from kam.planning.periods import Period

SEASONALITY_BOUNDS = (0.5, 1.5)
POTENTIAL_STEP_PER_YEAR = 0.25
MAX_GROWTH = 0.2
GROUP_SHARE_MIN = 0.10
MAX_GROUP_TARGETS = 3
ON_TIME_DAYS = 7


@dataclass
class ProposedTarget:
    kind: str
    value: Decimal | None
    basis: dict[str, Any]
    product_group: str = ""
    description: str = ""


@dataclass
class ProposedAction:
    kind: str
    title: str
    due: dt.date


@dataclass
class Proposal:
    targets: list[ProposedTarget] = field(default_factory=list)
    actions: list[ProposedAction] = field(default_factory=list)


def _round_money(value: float) -> Decimal:
    """To a thousand for sums above 10 000, else to a hundred (targets are not kopecks)."""
    step = 1000 if abs(value) >= 10_000 else 100
    return (Decimal(value) / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def _monthly(
    client: Client, period: Period
) -> tuple[dict[dt.date, float], dict[str, float], float]:
    """Revenue per month over the 24 months before the period, revenue per group and margin
    over the last 12 months."""
    first = month_start(period.start, 24)
    last_year = month_start(period.start, 12)
    rows = MonthlyRollup.objects.filter(
        client=client, month__gte=first, month__lt=period.start
    ).values_list("month", "product_group", "revenue", "margin")
    months: dict[dt.date, float] = defaultdict(float)
    groups: dict[str, float] = defaultdict(float)
    margin = 0.0
    for month, group, revenue, row_margin in rows:
        months[month] += float(revenue)
        if month >= last_year:
            if group:
                groups[group] += float(revenue)
            margin += float(row_margin or 0)
    return months, groups, margin


def _revenue(
    client: Client, period: Period, months: dict[dt.date, float], assessment: Assessment | None
) -> ProposedTarget | None:
    last_12 = [months.get(month_start(period.start, i), 0.0) for i in range(1, 13)]
    year_before = [months.get(month_start(period.start, i), 0.0) for i in range(13, 25)]
    active = [i for i, v in enumerate(last_12) if v]
    if not active:
        return None
    # Average over the months since the first purchase within the year.
    span = max(active) + 1
    average = sum(last_12) / span
    seasonality = 1.0
    if sum(year_before) > 0 or span == 12:
        # The same months a year before the period, against that year's average month.
        year_avg = sum(last_12) / 12
        same = [months.get(month_start(m, 12), 0.0) for m in period.months]
        if year_avg > 0:
            raw = sum(same) / (year_avg * len(period.months))
            low, high = SEASONALITY_BOUNDS
            seasonality = min(max(raw, low), high)
    base = average * len(period.months) * seasonality
    step = 0.0
    gap = assessment.potential_gap if assessment is not None else None
    growth = assessment.growth if assessment is not None else None
    if gap is not None and gap > 0:
        step = gap * POTENTIAL_STEP_PER_YEAR * len(period.months) / 12
        # Not more than the growth the account could plausibly make in one period.
        step = min(step, base * MAX_GROWTH)
    elif growth is not None and growth > 0:
        step = base * min(growth, MAX_GROWTH)
    value = _round_money(base + step)
    basis = {
        "method": "revenue",
        "average_month": round(average, 2),
        "months": len(period.months),
        "seasonality": round(seasonality, 2),
        "potential_gap": round(gap, 2) if gap else None,
        "growth": round(growth, 4) if growth is not None else None,
        "step": round(step, 2),
    }
    return ProposedTarget(TargetKind.REVENUE, value, basis)


def _margin(revenue: ProposedTarget, last_revenue: float, margin: float) -> ProposedTarget | None:
    if last_revenue <= 0 or margin <= 0 or revenue.value is None:
        return None
    rate = margin / last_revenue
    return ProposedTarget(
        TargetKind.MARGIN,
        _round_money(float(revenue.value) * rate),
        {"method": "margin", "rate": round(rate, 4)},
    )


def _groups(revenue: ProposedTarget, groups: dict[str, float]) -> list[ProposedTarget]:
    total = sum(v for v in groups.values() if v > 0)
    if total <= 0 or revenue.value is None:
        return []
    largest = sorted(
        ((g, v / total) for g, v in groups.items() if v / total >= GROUP_SHARE_MIN),
        key=lambda item: -item[1],
    )[:MAX_GROUP_TARGETS]
    return [
        ProposedTarget(
            TargetKind.GROUP_REVENUE,
            _round_money(float(revenue.value) * share),
            {"method": "group_share", "share": round(share, 4)},
            product_group=group,
        )
        for group, share in largest
    ]


def cross_sell_candidates(
    client: Client, period: Period, bought: set[str], limit: int = 3
) -> list[str]:
    """Product groups most other key accounts bought over the last 12 months that this client
    did not."""
    rows = (
        MonthlyRollup.objects.filter(
            month__gte=month_start(period.start, 12),
            month__lt=period.start,
            client__status=ClientStatus.KEY,
        )
        .exclude(client=client)
        .exclude(product_group="")
        .values("product_group")
        .annotate(buyers=Count("client", distinct=True), revenue=Sum("revenue"))
        .filter(revenue__gt=0)
        .order_by("-buyers", "-revenue", "product_group")
    )
    return [r["product_group"] for r in rows if r["product_group"] not in bought][:limit]


def _discipline(assessment: Assessment | None) -> ProposedTarget | None:
    if assessment is None or assessment.days_overdue_max is None:
        return None
    worst = assessment.days_overdue_max
    value = 0 if worst <= ON_TIME_DAYS else worst // 2
    return ProposedTarget(
        TargetKind.MAX_OVERDUE_DAYS,
        Decimal(value),
        {"method": "discipline", "worst_days": worst},
    )


def _due(period: Period, day: dt.date, as_of: dt.date) -> dt.date:
    """``day``, or ``as_of`` when the plan is made later than that, within the period."""
    return min(max(day, as_of), period.end)


def _meetings(period: Period, as_of: dt.date) -> list[ProposedAction]:
    actions: list[ProposedAction] = []
    for month in period.months:
        due = _due(period, month + dt.timedelta(days=14), as_of)
        if actions and due == actions[-1].due:
            continue
        actions.append(ProposedAction(ActionKind.MEETING, _("Meeting with the client"), due))
    quarter_end = period.kind == PeriodKind.QUARTER or period.end.month % 3 == 0
    if quarter_end:
        actions.append(
            ProposedAction(
                ActionKind.BUSINESS_REVIEW,
                _("Quarterly business review: results, plans, next quarter's needs"),
                _due(period, period.end - dt.timedelta(days=5), as_of),
            )
        )
    return actions


def propose(client: Client, period: Period, *, as_of: dt.date | None = None) -> Proposal:
    """The proposed targets and actions for ``client``'s plan for ``period``."""
    today = as_of or timezone.localdate()
    # Due dates after today while the period runs; as scheduled for a past or future period.
    as_of = today if period.start <= today <= period.end else period.start
    assessment = client_latest_assessment(client)
    months, groups, margin = _monthly(client, period)
    proposal = Proposal()
    revenue = _revenue(client, period, months, assessment)
    if revenue is not None:
        proposal.targets.append(revenue)
        last_revenue = sum(months.get(month_start(period.start, i), 0.0) for i in range(1, 13))
        margin_target = _margin(revenue, last_revenue, margin)
        if margin_target is not None:
            proposal.targets.append(margin_target)
        proposal.targets.extend(_groups(revenue, groups))
    candidates = cross_sell_candidates(client, period, {g for g, v in groups.items() if v > 0})
    if candidates:
        proposal.targets.append(
            ProposedTarget(
                TargetKind.NEW_GROUPS, Decimal(1), {"method": "cross_sell", "groups": candidates}
            )
        )
    discipline = _discipline(assessment)
    if discipline is not None:
        proposal.targets.append(discipline)
    if assessment is not None and assessment.decision_makers == 0:
        proposal.targets.append(
            ProposedTarget(
                TargetKind.QUALITATIVE,
                None,
                {"method": "decision_makers"},
                description=_("Meet a decision maker and record them on the client card"),
            )
        )
    proposal.actions.extend(_meetings(period, as_of))
    if candidates:
        proposal.actions.append(
            ProposedAction(
                ActionKind.PROPOSAL,
                _("Commercial proposal: %(group)s") % {"group": candidates[0]},
                _due(period, period.start + dt.timedelta(days=19), as_of),
            )
        )
    if discipline is not None and discipline.basis["worst_days"] > ON_TIME_DAYS:
        proposal.actions.append(
            ProposedAction(
                ActionKind.CALL,
                _("Call about overdue invoices and agree a payment schedule"),
                _due(period, period.start + dt.timedelta(days=2), as_of),
            )
        )
    return proposal


def _money(value: Any) -> str:
    return number_format(Decimal(str(value)).quantize(Decimal(1)), force_grouping=True)


def basis_text(basis: dict[str, Any]) -> str:
    """How a proposed value was computed, in the reader's language ('' when typed by hand)."""
    method = (basis or {}).get("method")
    if method == "revenue":
        text = _(
            "Average month of the last 12: %(average)s × %(months)s × seasonality %(season)s"
        ) % {
            "average": _money(basis["average_month"]),
            "months": basis["months"],
            "season": number_format(basis["seasonality"], 2),
        }
        if basis.get("step") and basis.get("potential_gap"):
            text += _("; + %(step)s toward the unrealised potential of %(gap)s a year") % {
                "step": _money(basis["step"]),
                "gap": _money(basis["potential_gap"]),
            }
        elif basis.get("step"):
            text += _("; + %(step)s at the client's growth of %(growth)s %%") % {
                "step": _money(basis["step"]),
                "growth": number_format(basis["growth"] * 100, 0),
            }
        return text
    if method == "margin":
        return _("Revenue target at the last 12 months' margin rate of %(rate)s %%") % {
            "rate": number_format(basis["rate"] * 100, 1)
        }
    if method == "group_share":
        return _("The group's share of the last 12 months' revenue: %(share)s %%") % {
            "share": number_format(basis["share"] * 100, 0)
        }
    if method == "cross_sell":
        return _("Other key accounts buy what this client does not: %(groups)s") % {
            "groups": ", ".join(basis["groups"])
        }
    if method == "discipline":
        if basis["worst_days"] <= ON_TIME_DAYS:
            return _("The client pays on time (at most %(days)s days late in 12 months)") % {
                "days": basis["worst_days"]
            }
        return _("Half of the worst delay in 12 months (%(days)s days)") % {
            "days": basis["worst_days"]
        }
    if method == "decision_makers":
        return _("No decision maker is known on the client card")
    if method == "copied":
        return _("As in the plan for %(period)s") % {"period": basis.get("period", "")}
    return ""
