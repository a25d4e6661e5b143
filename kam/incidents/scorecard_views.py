"""The discipline scorecard: the incidents the reader may see, opened in the chosen months
(default: the last twelve), optionally of one subprocess or department, counted every way the
director asks (selectors.scorecard); each number links to the inbox filtered the same way; the
by-employee and by-rule tables export to CSV and XLSX."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kam.incidents import selectors
from kam.incidents.forms import ScorecardForm
from kam.incidents.models import Incident, SanctionKind
from kam.organization.choices import DepartmentKind
from kam.rules.choices import Subprocess, VersionState
from kam.rules.models import RuleVersion
from kam.web import access
from kam.web.exports import csv_response, xlsx_response

#: A rule whose judged incidents are false alarms this often or more is marked for tuning.
HIGH_FALSE_ALARM_RATE = 0.3


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass
class ScorecardQuery:
    form: ScorecardForm
    start: dt.date  # the first day of the first month
    end: dt.date  # the last day of the last month
    subprocess: str
    department: str
    queryset: QuerySet[Incident]

    def inbox_url(self, **filters: Any) -> str:
        """The inbox's "all I may read" tab filtered as this scorecard, and by ``filters``."""
        params: dict[str, Any] = {
            "tab": "all",
            "opened_from": self.start.isoformat(),
            "opened_to": self.end.isoformat(),
        }
        if self.subprocess:
            params["subprocess"] = self.subprocess
        if self.department:
            params["department"] = self.department
        params.update({k: v for k, v in filters.items() if v is not None})
        return f"{reverse('incidents:inbox')}?{urlencode(params)}"


def scorecard_query(request: HttpRequest) -> ScorecardQuery:
    if not access.can_view_scorecard(request.user):
        raise PermissionDenied(
            _(
                "The discipline scorecard is for the director, the key-account head, the analyst "
                "and the auditor."
            )
        )
    form = ScorecardForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    this_month = timezone.localdate().replace(day=1)
    last = data.get("month_to") or this_month
    first = data.get("month_from") or add_months(last, -11)
    subprocess = data.get("subprocess") or ""
    department = data.get("department") or ""
    start, end = first, month_end(last)
    queryset = access.incident_scope(request.user, Incident.objects.all()).filter(
        opened_at__date__gte=start, opened_at__date__lte=end
    )
    if subprocess:
        queryset = queryset.filter(subprocess=subprocess)
    if department:
        queryset = queryset.filter(department__kind=department)
    return ScorecardQuery(form, start, end, subprocess, department, queryset)


def rule_titles(codes: list[str]) -> dict[str, str]:
    """Each rule's title in the reader's language: its enabled version's, else its latest."""
    titles: dict[str, str] = {}
    versions = (
        RuleVersion.objects.filter(rule__code__in=codes)
        .select_related("rule")
        .order_by("rule__code", "-number")
    )
    for version in versions:
        code = version.rule.code
        if code not in titles or version.state == VersionState.ENABLED:
            titles[code] = version.title
    return titles


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def _chart(query: ScorecardQuery, by_month: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {row["month"]: row for row in by_month}
    months = _months(query.start, query.end)
    keys = [s for s in Subprocess.values if any(row.get(s) for row in by_month)]
    return {
        "labels": [m.strftime("%Y-%m") for m in months],
        "series": [
            {
                "label": str(Subprocess(key).label),
                "data": [counts.get(m.strftime("%Y-%m"), {}).get(key, 0) for m in months],
            }
            for key in keys
        ],
        "links": [
            query.inbox_url(opened_from=m.isoformat(), opened_to=month_end(m).isoformat())
            for m in months
        ],
    }


@login_required
def scorecard_view(request: HttpRequest) -> HttpResponse:
    query = scorecard_query(request)
    card = selectors.scorecard(query.queryset)
    titles = rule_titles([row["rule"] for row in card.by_rule])
    sanction_names = {k.code: k.name for k in SanctionKind.objects.all()}
    url = query.inbox_url
    months = [
        {
            **row,
            "total": sum(v for k, v in row.items() if k != "month"),
            "url": url(
                opened_from=f"{row['month']}-01",
                opened_to=month_end(dt.date.fromisoformat(f"{row['month']}-01")).isoformat(),
            ),
        }
        for row in card.by_month
    ]
    context = {
        "query": query,
        "form": query.form,
        "card": card,
        "kpis": [
            {"key": "total", "label": _("Incidents"), "value": card.total, "url": url()},
            {
                "key": "active",
                "label": _("Still open"),
                "value": card.active,
                "url": url(active="true"),
            },
            {
                "key": "overdue",
                "label": _("Past the deadline"),
                "value": card.overdue,
                "url": url(overdue="true"),
                "alert": card.overdue > 0,
            },
            {
                "key": "closed",
                "label": pgettext("incident state", "Closed"),
                "value": card.closed,
                "url": url(state="closed"),
            },
            {
                "key": "dismissed",
                "label": _("Dismissed as false alarms"),
                "value": card.dismissed,
                "url": url(state="dismissed"),
            },
        ],
        "by_employee": [
            {**row, "url": url(violator=row["employee_id"]) if row["employee_id"] else ""}
            for row in card.by_employee
        ],
        "by_rule": [
            {
                **row,
                "title": titles.get(row["rule"], row["rule"]),
                "url": url(rule=row["rule"]),
                "high": row["false_alarm_rate"] is not None
                and row["false_alarm_rate"] >= HIGH_FALSE_ALARM_RATE,
            }
            for row in card.by_rule
        ],
        "by_department": [
            {
                **row,
                "label": DepartmentKind(row["department"]).label
                if row["department"] in DepartmentKind.values
                else _("No department"),
                "url": url(department=row["department"]) if row["department"] else "",
            }
            for row in card.by_department
        ],
        "by_subprocess": [
            {
                **row,
                "label": Subprocess(row["subprocess"]).label,
                "url": url(subprocess=row["subprocess"]),
            }
            for row in card.by_subprocess
            if row["subprocess"] in Subprocess.values
        ],
        "by_month": months,
        "repeats": [
            {
                **row,
                "title": titles.get(row["rule"], row["rule"]),
                "url": url(violator=row["employee_id"], rule=row["rule"])
                if row["employee_id"]
                else "",
            }
            for row in card.repeats
        ],
        "sanctions": [
            {
                "name": sanction_names.get(
                    row["sanctions__kind__code"], row["sanctions__kind__code"]
                ),
                "n": row["n"],
            }
            for row in card.sanctions
        ],
        "chart": _chart(query, card.by_month),
        "export_query": request.GET.urlencode(),
        "high_rate": HIGH_FALSE_ALARM_RATE,
        "nav": "incidents",
    }
    return render(request, "incidents/scorecard.html", context)


EMPLOYEE_HEADER = ["employee_code", "employee", "incidents", "active", "repeats"]
RULE_HEADER = ["rule_code", "rule", "incidents", "closed", "dismissed", "false_alarm_rate"]


@login_required
def scorecard_export_view(request: HttpRequest, table: str, fmt: str) -> HttpResponseBase:
    if table not in ("employees", "rules") or fmt not in ("csv", "xlsx"):
        raise Http404
    query = scorecard_query(request)
    card = selectors.scorecard(query.queryset)
    rows: list[list[Any]]
    if table == "employees":
        header, sheet = EMPLOYEE_HEADER, _("By employee")
        rows = [
            [r["code"], r["name"], r["total"], r["active"], r["repeats"]] for r in card.by_employee
        ]
    else:
        header, sheet = RULE_HEADER, _("By rule")
        titles = rule_titles([r["rule"] for r in card.by_rule])
        rows = [
            [
                r["rule"],
                titles.get(r["rule"], r["rule"]),
                r["total"],
                r["closed"],
                r["dismissed"],
                round(r["false_alarm_rate"], 4) if r["false_alarm_rate"] is not None else None,
            ]
            for r in card.by_rule
        ]
    name = f"scorecard-{table}-{query.start:%Y-%m}-{query.end:%Y-%m}"
    if fmt == "csv":
        return csv_response(f"{name}.csv", header, rows)
    return xlsx_response(f"{name}.xlsx", sheet, header, rows)
