"""What a receiver takes over with an account, listed automatically when a handover is recorded.

A briefing is a list of sections, each a key and a list of items (plain JSON, so the handover
keeps what was true on its day). Each later part of the system that has open work on a client
(plan actions, deals, incidents) adds its section to ``SECTIONS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from kam.clients.models import Client
from kam.clients.profile import checklist

Section = Callable[[Client, dt.date], list[dict[str, Any]]]


def _contacts(client: Client, as_of: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "position": c.position,
            "phone": c.phone,
            "email": c.email,
            "decision_maker": c.is_decision_maker,
        }
        for c in client.contacts.all()
    ]


def _receivables(client: Client, as_of: dt.date) -> list[dict[str, Any]]:
    from kam.ledger.selectors import client_receivables

    summary = client_receivables(client_id=client.pk, as_of=as_of)
    return [
        {
            "doc_no": d["doc_no"],
            "date": d["date"].isoformat(),
            "due": d["due_date"].isoformat() if d.get("due_date") else None,
            "unpaid": round(float(d["unpaid"]), 2),
            "overdue_days": int(d.get("overdue_days") or 0),
        }
        for d in summary["open_documents"]
    ]


def _status(client: Client, as_of: dt.date) -> list[dict[str, Any]]:
    from kam.assessment.models import StatusDecision

    decision = StatusDecision.objects.filter(client=client).order_by("-decided_at").first()
    if decision is None:
        return []
    return [
        {
            "status": decision.status,
            "further_work": decision.further_work,
            "reason": decision.reason,
            "decided": decision.decided_at.date().isoformat(),
            "next_review": decision.next_review.isoformat() if decision.next_review else None,
        }
    ]


def _plan(client: Client, as_of: dt.date) -> list[dict[str, Any]]:
    """The open (planned) actions of the client's development plan that is not closed: the one
    for the period of ``as_of``, else the latest. Each item names the plan's period and state;
    a plan without open actions is one item with its period and state only."""
    from kam.planning.choices import ActionStatus, PlanState
    from kam.planning.models import DevelopmentPlan

    open_plans = DevelopmentPlan.objects.filter(client=client).exclude(state=PlanState.CLOSED)
    plan = (
        open_plans.filter(period_start__lte=as_of, period_end__gte=as_of).first()
        or open_plans.order_by("-period_start").first()
    )
    if plan is None:
        return []
    about = {
        "period": plan.period.code,
        "state": plan.state,
    }
    actions = (
        plan.actions.filter(status=ActionStatus.PLANNED)
        .select_related("responsible")
        .order_by("due", "id")
    )
    return [
        {
            **about,
            "kind": a.kind,
            "title": a.title,
            "due": a.due.isoformat(),
            "responsible": a.responsible.name,
        }
        for a in actions
    ] or [about]


def _to_collect(client: Client, as_of: dt.date) -> list[dict[str, Any]]:
    return [{"fact": item.key} for item in checklist(client) if not item.done]


SECTIONS: list[tuple[str, Any, Section]] = [
    ("contacts", _("Contacts"), _contacts),
    ("receivables", _("Open invoices"), _receivables),
    ("status", _("Latest status decision"), _status),
    ("plan", _("Development plan: open actions"), _plan),
    ("to_collect", _("Facts still to collect"), _to_collect),
]
TITLES = {key: title for key, title, _section in SECTIONS}


def briefing_for(client: Client, as_of: dt.date) -> dict[str, Any]:
    """Every section for ``client`` as of ``as_of``: ``{"as_of": …, "sections": {key: items}}``."""
    return {
        "as_of": as_of.isoformat(),
        "sections": {key: section(client, as_of) for key, _title, section in SECTIONS},
    }
