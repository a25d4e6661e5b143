"""How the key-account pages show a briefing and a revenue trend.

A briefing is stored as plain JSON (what was true on the handover's day); here each section
becomes a titled table with translated labels. Sections added later by other parts of the
system show with their keys as columns until they are given their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kam.assessment.choices import FurtherWork
from kam.clients.choices import ClientStatus
from kam.clients.profile import DECISION_MAKERS_LABEL, PROFILE_FACTS
from kam.keyaccounts.briefing import TITLES
from kam.planning.choices import ActionKind, PlanState
from kam.planning.periods import period_from_code

#: Columns of the known sections: (key in the item, label, kind).
COLUMNS: dict[str, list[tuple[str, Any, str]]] = {
    "contacts": [
        ("name", gettext_lazy("Name"), "text"),
        ("position", gettext_lazy("Position"), "text"),
        ("phone", gettext_lazy("Phone"), "text"),
        ("email", gettext_lazy("Email"), "text"),
        ("decision_maker", gettext_lazy("Decision maker"), "bool"),
    ],
    "receivables": [
        ("doc_no", gettext_lazy("Document"), "text"),
        ("date", gettext_lazy("Date"), "date"),
        ("due", gettext_lazy("Due"), "date"),
        ("unpaid", gettext_lazy("Unpaid"), "money"),
        ("overdue_days", gettext_lazy("Days overdue"), "number"),
    ],
    "status": [
        ("status", gettext_lazy("Status"), "status"),
        ("further_work", gettext_lazy("Further work"), "further_work"),
        ("reason", gettext_lazy("Reason"), "text"),
        ("decided", gettext_lazy("Decided"), "date"),
        ("next_review", gettext_lazy("Next review"), "date"),
    ],
    "to_collect": [("fact", gettext_lazy("Fact"), "fact")],
    "plan": [
        ("due", pgettext_lazy("plan action", "Due"), "date"),
        ("kind", gettext_lazy("Kind"), "action_kind"),
        ("title", gettext_lazy("What"), "text"),
        ("responsible", gettext_lazy("Responsible"), "text"),
    ],
}
EMPTY: dict[str, Any] = {
    "contacts": gettext_lazy("No contacts recorded."),
    "receivables": gettext_lazy("Nothing is owed."),
    "status": gettext_lazy("No status decision yet."),
    "to_collect": gettext_lazy("Nothing: the profile is complete."),
    "plan": gettext_lazy("No open development plan."),
}
FACTS = {**dict(PROFILE_FACTS), "decision_makers": DECISION_MAKERS_LABEL}
NUMERIC = {"money", "number"}


@dataclass
class Column:
    label: str
    numeric: bool


@dataclass
class Section:
    key: str
    title: str
    columns: list[Column]
    #: Each cell: its text and whether it is a number (aligned right).
    rows: list[list[tuple[str, bool]]]
    empty: str
    #: A line under the title (the plan section: which plan, in which state).
    note: str = ""


def _value(kind: str, value: Any) -> str:
    if value is None or value == "":
        return "—" if kind not in ("bool",) else ""
    if kind == "date":
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return formats.date_format(day, "SHORT_DATE_FORMAT")
    if kind == "money":
        return formats.number_format(round(float(value), 2), 2, force_grouping=True)
    if kind == "number":
        return "" if not value else formats.number_format(value, 0, force_grouping=True)
    if kind == "bool":
        return _("yes") if value else ""
    if kind == "status":
        return str(dict(ClientStatus.choices).get(value, value))
    if kind == "further_work":
        return str(dict(FurtherWork.choices).get(value, value))
    if kind == "fact":
        return str(FACTS.get(value, value))
    if kind == "action_kind":
        return str(dict(ActionKind.choices).get(value, value))
    if isinstance(value, list | dict):
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def _plan_note(items: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]], str]:
    """The plan section: which plan in which state (a line), its actions, the empty text."""
    if not items:
        return "", items, str(EMPTY["plan"])
    first = items[0]
    try:
        period = period_from_code(str(first.get("period"))).label
    except ValueError:
        period = str(first.get("period") or "")
    code = str(first.get("state") or "")
    state = dict(PlanState.choices).get(code, code)
    note = _("Plan for %(period)s, %(state)s.") % {"period": period, "state": str(state).lower()}
    actions = [item for item in items if item.get("title")]
    return note, actions, _("The plan has no open actions.")


def briefing_sections(briefing: dict[str, Any]) -> list[Section]:
    """The stored briefing as titled tables, in the order it was listed."""
    result = []
    for key, items in (briefing.get("sections") or {}).items():
        note, empty = "", str(EMPTY.get(key, _("Nothing.")))
        if key == "plan":
            note, items, empty = _plan_note(items)
        columns = COLUMNS.get(key)
        if columns is None:  # a section of a later part of the system, shown as it is stored
            keys = list(dict.fromkeys(k for item in items for k in item))
            columns = [(k, k.replace("_", " ").capitalize(), "text") for k in keys]
        result.append(
            Section(
                key=key,
                title=str(TITLES.get(key, key.replace("_", " ").capitalize())),
                columns=[Column(str(label), kind in NUMERIC) for _k, label, kind in columns],
                rows=[
                    [(_value(kind, item.get(k)), kind in NUMERIC) for k, _label, kind in columns]
                    for item in items
                ],
                empty=empty,
                note=note,
            )
        )
    return result


def briefing_date(briefing: dict[str, Any]) -> dt.date | None:
    """The day a stored briefing was listed."""
    try:
        return dt.date.fromisoformat(str(briefing.get("as_of")))
    except ValueError:
        return None


def sparkline(values: list[float], label: str, width: int = 120, height: int = 28) -> SafeString:
    """An inline SVG line of ``values`` (monthly revenue, oldest first), the last month dotted."""
    if not values:
        return SafeString("")
    top = max(max(values), 0.0)
    bottom = min(min(values), 0.0)
    span = (top - bottom) or 1.0
    pad = 3
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return round(height - pad - (value - bottom) / span * (height - 2 * pad), 1)

    points = " ".join(f"{round(pad + i * step, 1)},{y(v)}" for i, v in enumerate(values))
    last_x, last_y = round(pad + (len(values) - 1) * step, 1), y(values[-1])
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><polyline points="{}" fill="none" stroke="currentColor" '
        'stroke-width="1.5" stroke-linejoin="round"/><circle cx="{}" cy="{}" r="2.2" '
        'fill="currentColor"/></svg>',
        width,
        height,
        width,
        height,
        label,
        points,
        last_x,
        last_y,
    )
