"""Reads about clients shared by the pages, exports and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.http import QueryDict

from kam.clients.filters import ClientFilterSet
from kam.clients.models import Client
from kam.credit.models import CreditDecision
from kam.ledger.models import MonthlyRollup, Payment, SalesDocument
from kam.ledger.months import month_start
from kam.ledger.selectors import client_receivables
from kam.web import access


def client_list(
    *, user: access.AnyUser, params: QueryDict | dict[str, Any]
) -> tuple[ClientFilterSet, QuerySet[Client]]:
    """The clients ``user`` may see, filtered and sorted by ``params``."""
    scope = access.client_scope(user).select_related("responsible", "group")
    filterset = ClientFilterSet(params or None, queryset=scope)
    # Invalid values (an unknown status, say) are ignored, not turned into an empty list.
    queryset = filterset.qs
    if not (params or {}).get("ordering"):
        queryset = queryset.order_by("name", "id")
    return filterset, queryset


def clients_revenue(
    *, client_ids: Iterable[int], as_of: dt.date, months: int = 12
) -> dict[int, Decimal]:
    """Revenue of the last ``months`` months (as_of's month included) per client."""
    rows = (
        MonthlyRollup.objects.filter(
            client_id__in=list(client_ids),
            month__gte=month_start(as_of, months - 1),
            month__lte=month_start(as_of),
        )
        .values("client_id")
        .annotate(revenue=Sum("revenue"))
    )
    return {r["client_id"]: r["revenue"] or Decimal(0) for r in rows}


def client_monthly_series(
    *, client_id: int, as_of: dt.date, months: int = 36
) -> list[dict[str, Any]]:
    """Revenue and margin per month for the chart: every month present, zeros included."""
    first = month_start(as_of, months - 1)
    totals = {
        r["month"]: r
        for r in MonthlyRollup.objects.filter(
            client_id=client_id, month__gte=first, month__lte=month_start(as_of)
        )
        .values("month")
        .annotate(revenue=Sum("revenue"), margin=Sum("margin"))
    }
    series = []
    for back in range(months - 1, -1, -1):
        month = month_start(as_of, back)
        row: Any = totals.get(month, {})
        series.append(
            {
                "month": month.isoformat()[:7],
                "revenue": float(row.get("revenue") or 0),
                "margin": float(row.get("margin") or 0),
            }
        )
    return series


def client_card(*, client: Client, as_of: dt.date) -> dict[str, Any]:
    """Everything the client card shows besides the client itself."""
    series = client_monthly_series(client_id=client.pk, as_of=as_of)
    last12 = sum(m["revenue"] for m in series[-12:])
    margin12 = sum(m["margin"] for m in series[-12:])
    previous12 = sum(m["revenue"] for m in series[-24:-12])
    from kam.credit.services import valid_decisions

    decisions = CreditDecision.objects.filter(client=client).order_by("-date")[:5]
    valid = next(iter(valid_decisions(client, as_of)), None)
    return {
        "series": series,
        "revenue_12m": last12,
        "margin_12m": margin12,
        "margin_pct_12m": (margin12 / last12 * 100) if last12 else None,
        "growth_pct": ((last12 - previous12) / previous12 * 100) if previous12 else None,
        "receivables": client_receivables(client_id=client.pk, as_of=as_of),
        "documents": SalesDocument.objects.filter(client=client).order_by("-date", "-doc_no")[:10],
        "payments": Payment.objects.filter(client=client).order_by("-date", "-doc_no")[:10],
        "credit_decisions": decisions,
        "credit_decision": valid,
    }


def client_plans_panel(*, client: Client, user: access.AnyUser, as_of: dt.date) -> dict[str, Any]:
    """The card's development-plans panel: the plan for the period of ``as_of`` with its
    progress, the other plans (newest first), the activity log (done plan actions, newest
    first) — of the plans ``user`` may read — and whether ``user`` may propose a plan now."""
    from kam.clients.choices import ClientStatus
    from kam.planning.actuals import plans_progress
    from kam.planning.choices import Light, PlanState, TargetKind
    from kam.planning.models import DevelopmentPlan
    from kam.planning.selectors import activity_log, client_plans
    from kam.planning.services import current_period, plan_problem

    plans = list(access.plan_scope(user, client_plans(client)))
    current = next((p for p in plans if p.period_start <= as_of <= p.period_end), None)
    progress = plans_progress([current], as_of)[current.pk] if current is not None else None
    others = []
    for plan in plans:
        if plan is current:
            continue
        targets = list(plan.targets.all())
        others.append(
            {
                "plan": plan,
                "period": plan.period,
                "met": sum(1 for t in targets if t.met),
                "judged": sum(1 for t in targets if t.met is not None),
                "closed": plan.state == PlanState.CLOSED,
            }
        )
    visible = access.plan_scope(user, DevelopmentPlan.objects.filter(client=client))
    period = current_period(as_of)
    may_propose = (
        current is None
        and client.status == ClientStatus.KEY
        and access.can_create_plan(user, client)
        and plan_problem(client, period) is None
    )
    return {
        "shown": bool(plans) or client.status == ClientStatus.KEY,
        "current": current,
        "progress": progress,
        "revenue": progress.target_of(TargetKind.REVENUE) if progress is not None else None,
        "light": Light(progress.light) if progress is not None else None,
        "others": others,
        "activity": list(activity_log(client).filter(plan__in=visible)[:10]),
        "may_propose": may_propose,
        "period": period,
    }
