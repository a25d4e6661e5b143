"""Reads of incidents shared by the pages and the API: the inbox of a user (by tab), one
incident with its story, and the discipline scorecard."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kam.incidents.choices import ACTIVE_STATES, UNDECIDED_STATES, IncidentState
from kam.incidents.models import Incident
from kam.web import access

AnyUser = access.AnyUser

#: The inbox's tabs: what waits for me to handle, what names me, my department's, everything.
TABS = ("handle", "mine", "department", "all")


def incidents_base() -> QuerySet[Incident]:
    """Incidents with what every list shows, in one query."""
    return Incident.objects.select_related(
        "rule",
        "rule_version",
        "violator",
        "handler",
        "client",
        "department",
    )


def inbox(user: AnyUser, tab: str) -> QuerySet[Incident]:
    """The incidents of one inbox tab, within what ``user`` may read.

    handle: those the user handles (as the handler or by role) that are still active;
    mine: those naming the user as violator; department: those of the departments the user
    heads; all: every incident the user may read.
    """
    scope = access.incident_scope(user, incidents_base())
    employee = access.user_employee(user)
    if tab == "all":
        return scope
    if employee is None:
        return scope.none()
    if tab == "mine":
        return scope.filter(violator=employee)
    if tab == "department":
        return scope.filter(department__head=employee)
    handled = [
        access.HANDLER_ROLES[r] for r in access.user_roles(user) if r in access.HANDLER_ROLES
    ]
    return scope.filter(
        Q(handler=employee) | Q(handler_role__in=handled), state__in=ACTIVE_STATES
    ).exclude(violator=employee)


def tab_counts(user: AnyUser) -> dict[str, int]:
    """Active incidents per tab (the inbox's badges)."""
    return {tab: inbox(user, tab).filter(state__in=ACTIVE_STATES).count() for tab in TABS}


def default_tab(user: AnyUser) -> str:
    """Where the inbox opens: what waits for the user to handle, else what names them, else
    everything they read."""
    counts = tab_counts(user)
    for tab in ("handle", "mine", "department"):
        if counts[tab]:
            return tab
    return "all"


def incident_story(incident: Incident) -> dict[str, Any]:
    """One incident's events, sanctions and corrective actions, oldest first."""
    return {
        "events": list(incident.events.select_related("actor").order_by("at", "id")),
        "sanctions": list(incident.sanctions.select_related("kind", "employee", "decided_by")),
        "actions": list(incident.corrective_actions.select_related("owner", "done_by")),
    }


# --- The discipline scorecard ---------------------------------------------------------------


@dataclass
class Scorecard:
    """Incidents counted every way the director asks: by employee, department, rule,
    subprocess and month; repeat violations; time to close; each rule's false-alarm rate."""

    total: int = 0
    active: int = 0
    overdue: int = 0
    closed: int = 0
    dismissed: int = 0
    by_employee: list[dict[str, Any]] = field(default_factory=list)
    by_department: list[dict[str, Any]] = field(default_factory=list)
    by_rule: list[dict[str, Any]] = field(default_factory=list)
    by_subprocess: list[dict[str, Any]] = field(default_factory=list)
    by_month: list[dict[str, Any]] = field(default_factory=list)
    repeats: list[dict[str, Any]] = field(default_factory=list)
    median_days_to_close: float | None = None
    sanctions: list[dict[str, Any]] = field(default_factory=list)


def scorecard(queryset: QuerySet[Incident], *, today: dt.date | None = None) -> Scorecard:
    """The scorecard of ``queryset`` (already limited to what the reader may see and to the
    chosen months). A repeat violation: an employee with more than one incident of a rule."""
    today = today or timezone.localdate()
    rows = list(
        queryset.values(
            "pk",
            "state",
            "deadline",
            "opened_at",
            "closed_at",
            "rule__code",
            "rule_id",
            "subprocess",
            "violator_id",
            "violator__name",
            "violator__code",
            "department__kind",
        )
    )
    card = Scorecard(total=len(rows))
    by_employee: dict[Any, Counter[str]] = defaultdict(Counter)
    names: dict[Any, tuple[str, str]] = {}
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    by_department: Counter[str] = Counter()
    by_subprocess: Counter[str] = Counter()
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    pairs: Counter[tuple[Any, str]] = Counter()
    days: list[float] = []
    for row in rows:
        state = row["state"]
        active = state in ACTIVE_STATES
        late = state in UNDECIDED_STATES and row["deadline"] < today
        card.active += active
        card.overdue += late
        card.closed += state == IncidentState.CLOSED
        card.dismissed += state == IncidentState.DISMISSED
        who = row["violator_id"]
        names[who] = (row["violator__name"] or "—", row["violator__code"] or "")
        by_employee[who]["total"] += 1
        by_employee[who]["active"] += active
        by_employee[who]["dismissed"] += state == IncidentState.DISMISSED
        by_rule[row["rule__code"]]["total"] += 1
        by_rule[row["rule__code"]]["dismissed"] += state == IncidentState.DISMISSED
        by_rule[row["rule__code"]]["closed"] += state == IncidentState.CLOSED
        by_department[row["department__kind"] or ""] += 1
        by_subprocess[row["subprocess"]] += 1
        month = timezone.localtime(row["opened_at"]).strftime("%Y-%m")
        by_month[month][row["subprocess"]] += 1
        if state != IncidentState.DISMISSED:
            pairs[(who, row["rule__code"])] += 1
        if state == IncidentState.CLOSED and row["closed_at"] is not None:
            days.append((row["closed_at"] - row["opened_at"]).total_seconds() / 86400)
    card.by_employee = sorted(
        (
            {
                "employee_id": who,
                "name": names[who][0],
                "code": names[who][1],
                "total": c["total"],
                "active": c["active"],
                "repeats": sum(n - 1 for (w, _r), n in pairs.items() if w == who and n > 1),
            }
            for who, c in by_employee.items()
        ),
        key=lambda r: (-r["total"], r["name"]),
    )
    card.by_rule = sorted(
        (
            {
                "rule": code,
                "total": c["total"],
                "closed": c["closed"],
                "dismissed": c["dismissed"],
                # The share of the rule's judged incidents (closed or dismissed) that were
                # false alarms: what the analyst tunes the rule by.
                "false_alarm_rate": (
                    c["dismissed"] / (c["closed"] + c["dismissed"])
                    if c["closed"] + c["dismissed"]
                    else None
                ),
            }
            for code, c in by_rule.items()
        ),
        key=lambda r: (-r["total"], r["rule"]),
    )
    card.by_department = [
        {"department": kind, "total": n} for kind, n in by_department.most_common()
    ]
    card.by_subprocess = [{"subprocess": key, "total": n} for key, n in by_subprocess.most_common()]
    card.by_month = [{"month": m, **dict(by_month[m])} for m in sorted(by_month)]
    card.repeats = sorted(
        (
            {
                "employee_id": who,
                "name": names[who][0],
                "rule": rule,
                "incidents": n,
            }
            for (who, rule), n in pairs.items()
            if n > 1
        ),
        key=lambda r: (-r["incidents"], r["name"], r["rule"]),
    )
    card.median_days_to_close = round(median(days), 1) if days else None
    card.sanctions = [
        dict(row)
        for row in queryset.filter(sanctions__isnull=False)
        .values("sanctions__kind__code")
        .annotate(n=Count("sanctions"))
        .order_by("-n")
    ]
    return card
