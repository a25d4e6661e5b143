"""The department's plans: one reading of the page's query (period, state, manager, sorting) for
the page and its exports, and the sorting of its rows.

The rows are computed in Python (each plan's progress comes from the ledger), so the filters and
the sorting work on lists rather than querysets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.clients.choices import ClientStatus
from kam.organization.models import Employee
from kam.planning.choices import Light, PlanState
from kam.planning.periods import Period, period_from_code
from kam.planning.selectors import MISSING, PlanRow
from kam.planning.services import current_period

#: The states a key account can be in for a period, in the order of the chips.
STATES = [MISSING, PlanState.DRAFT, PlanState.SUBMITTED, PlanState.APPROVED, PlanState.CLOSED]

#: Worst first: a red light sorts before an amber one, "not measured" last.
LIGHT_ORDER = {Light.RED: 0, Light.AMBER: 1, Light.GREEN: 2, Light.NONE: 3}


def row_manager(row: PlanRow) -> Employee | None:
    """Whose row it is: the plan's owner, or (without a plan) the account's responsible manager."""
    if row.plan is not None:
        return row.plan.owner
    return row.client.responsible


def _target(row: PlanRow) -> float | None:
    revenue = row.revenue
    if revenue is None or revenue.target.value is None:
        return None
    return float(revenue.target.value)


def _ratio(row: PlanRow) -> float | None:
    return row.revenue.ratio if row.revenue is not None else None


def _light(row: PlanRow) -> int:
    code = row.progress.light if row.progress is not None else Light.NONE
    return LIGHT_ORDER.get(Light(code), len(LIGHT_ORDER))


def _manager_name(row: PlanRow) -> str | None:
    manager = row_manager(row)
    return manager.name.casefold() if manager is not None else None


#: Sort key → (label, the value to sort by; None sorts last either way).
SORTS: dict[str, tuple[Any, Callable[[PlanRow], Any]]] = {
    "client": (gettext_lazy("Client"), lambda r: r.client.name.casefold()),
    "manager": (gettext_lazy("Manager"), _manager_name),
    "target": (gettext_lazy("Revenue target"), _target),
    # xgettext:no-python-format
    "percent": (gettext_lazy("% of target"), _ratio),
    "light": (gettext_lazy("Traffic light"), _light),
}
DEFAULT_SORT = "client"


def sort_rows(rows: list[PlanRow], sort: str) -> list[PlanRow]:
    """``sort`` is a key of SORTS, "-" first for descending; rows without the value go last and
    keep the client order among themselves."""
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT])[1]
    by_name = sorted(rows, key=lambda r: (r.client.name.casefold(), r.client.pk))
    present = [r for r in by_name if key(r) is not None]
    absent = [r for r in by_name if key(r) is None]
    return sorted(present, key=key, reverse=descending) + absent


@dataclass
class DepartmentQuery:
    """What the department page (or its export) was asked for; ``errors`` say what was ignored."""

    period: Period
    state: str = ""
    manager: Employee | None = None
    sort: str = DEFAULT_SORT
    errors: list[str] = field(default_factory=list)

    def params(self, **changes: Any) -> QueryDict:
        """The query string of this view with ``changes`` (None drops a parameter)."""
        values: dict[str, Any] = {
            "period": self.period.code,
            "state": self.state,
            "manager": self.manager.pk if self.manager else "",
            "sort": self.sort if self.sort != DEFAULT_SORT else "",
        }
        values.update(changes)
        query = QueryDict(mutable=True)
        for name, value in values.items():
            if value not in (None, ""):
                query[name] = str(value)
        return query


def period_from(value: str) -> tuple[Period, str | None]:
    """The period of a page: ``value`` as a code ("2026-11", "2026-Q4"), else the current one
    (with why ``value`` was not used)."""
    value = (value or "").strip()
    if not value:
        return current_period(), None
    try:
        return period_from_code(value), None
    except ValueError as error:
        return current_period(), _("%(error)s Showing the current period instead.") % {
            "error": error
        }


def plan_managers(period: Period) -> QuerySet[Employee]:
    """Who a department row can belong to: the managers of key accounts and the plans' owners."""
    return (
        Employee.objects.filter(
            Q(clients__status=ClientStatus.KEY) | Q(plans__period_start=period.start)
        )
        .distinct()
        .order_by("name")
    )


def department_query(params: QueryDict) -> DepartmentQuery:
    period, error = period_from(params.get("period", ""))
    query = DepartmentQuery(period=period)
    if error:
        query.errors.append(error)
    state = params.get("state", "").strip()
    if state in STATES:
        query.state = state
    elif state:
        query.errors.append(
            _("%(state)r is not a plan state: showing every state.") % {"state": state}
        )
    manager = params.get("manager", "").strip()
    if manager:
        found = Employee.objects.filter(pk=int(manager)).first() if manager.isdigit() else None
        if found is None:
            query.errors.append(_("No such manager: showing every manager."))
        query.manager = found
    sort = params.get("sort", "").strip()
    if sort and sort.lstrip("-") in SORTS:
        query.sort = sort
    return query
