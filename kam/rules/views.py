"""The rulebook's reading pages: the list (filters, search, sorting, CSV/XLSX), a rule with its
version history, incidents and notices, and the audit (run it, its runs).

Everyone with a role reads the rulebook (the rules bind them); the analyst and the director
write it and run the audit. The editor is in editor_views, dry runs and enabling in
version_views. Every permission is asked of kam.web.access; every write goes through
kam.rules.services and kam.rules.audit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.incidents.choices import ACTIVE_STATES, IncidentState
from kam.incidents.models import Incident
from kam.rules.audit import audit_run
from kam.rules.choices import AuditTrigger, VersionState
from kam.rules.display import subject_or_none, version_text
from kam.rules.filters import DEFAULT_SORT, SORTS, rule_list, rule_rows, subprocess_counts
from kam.rules.forms import AuditRunForm, parameters_text
from kam.rules.models import AuditRun, Rule, RuleNotice
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page
from kam.web.querystring import sort_links

PAGE_SIZE = 50
RUNS_PAGE_SIZE = 25
NOTICES_SHOWN = 20


def require_reader(request: HttpRequest) -> None:
    if not access.can_view_rules(request.user):
        raise PermissionDenied(_("Your account has no role in kam yet."))


def require_editor(request: HttpRequest) -> None:
    require_reader(request)
    if not access.can_edit_rules(request.user):
        raise PermissionDenied(_("The rulebook is written by the analyst or the director."))


def last_audit() -> AuditRun | None:
    return (
        AuditRun.objects.filter(finished_at__isnull=False).select_related("run_by", "rule").first()
    )


# --- The list ----------------------------------------------------------------------------------


@login_required
def rule_list_view(request: HttpRequest) -> HttpResponse:
    require_reader(request)
    every = rule_rows()
    form, rows, sort = rule_list(request.GET, every)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    chips = query.copy()
    chips.pop("subprocess", None)
    _chips_form, chip_rows, _chips_sort = rule_list(chips, every)
    context = {
        "form": form,
        "page": page,
        "rows": list(page),
        "sort": sort,
        "grouped": sort == DEFAULT_SORT,
        "sort_links": sort_links("", query, sort, SORTS),
        "subprocesses": subprocess_counts(chip_rows),
        "subprocess": form.value("subprocess"),
        "chips_query": chips.urlencode(),
        "query": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "last_run": last_audit(),
        "can_edit": access.can_edit_rules(request.user),
        "can_run_audit": access.can_run_audit(request.user),
        "nav": "rules",
    }
    return render_page(request, "rules/list.html", context, fragment="rules/_table.html")


EXPORT_HEADER = [
    "code",
    "title_ru",
    "title_en",
    "subprocess",
    "kind",
    "subject",
    "severity",
    "enabled_version",
    "latest_version",
    "active_incidents",
    "incidents",
    "active_notices",
    "last_audit_violations",
    "false_alarm_rate",
    "condition",
    "parameters",
]


@login_required
def rule_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The list as filtered, every row (not only the page)."""
    require_reader(request)
    _form, rows, _sort = rule_list(request.GET)

    def lines() -> Any:
        for r in rows:
            v = r.version
            yield [
                r.rule.code,
                v.title_ru,
                v.title_en,
                v.get_subprocess_display(),
                v.get_kind_display(),
                r.subject_label,
                v.get_severity_display(),
                r.rule.enabled_version.number if r.rule.enabled_version else None,
                r.latest_number,
                r.incidents_active,
                r.incidents_total,
                r.notices_active,
                r.last_violations,
                round(r.false_alarm_rate, 4) if r.false_alarm_rate is not None else None,
                v.condition,
                parameters_text(v.parameters).replace("\n", "; "),
            ]

    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return csv_response(f"rulebook-{stamp}.csv", EXPORT_HEADER, lines())
    if fmt == "xlsx":
        return xlsx_response(f"rulebook-{stamp}.xlsx", _("Rulebook"), EXPORT_HEADER, lines())
    raise Http404


# --- One rule ----------------------------------------------------------------------------------


def _incident_counts(rule: Rule) -> list[dict[str, Any]]:
    """Each state with the rule's incidents in it and the inbox filtered to them."""
    counts = dict(
        Incident.objects.filter(rule=rule)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("state", "n")
    )
    inbox = reverse("incidents:inbox")
    return [
        {
            "state": state,
            "label": label,
            "n": counts.get(state, 0),
            "url": f"{inbox}?tab=all&rule={rule.code}&state={state}",
            "active": state in ACTIVE_STATES,
        }
        for state, label in IncidentState.choices
    ]


def _with_links(notices: list[RuleNotice], subject_code: str) -> list[RuleNotice]:
    """Each notice with the link to its subject's page (a few, on one rule's page)."""
    subject = subject_or_none(subject_code)
    for notice in notices:
        link = subject.link if subject is not None else None
        notice.link = (  # type: ignore[attr-defined]
            link(notice.subject_id, notice.subject_key, notice.client_id) if link else ""
        )
    return notices


@login_required
def rule_detail_view(request: HttpRequest, code: str, number: int | None = None) -> HttpResponse:
    """A rule: the enabled version's full text (or the version asked for), the history of its
    versions, its incidents by state and its latest notices; the editors' actions."""
    require_reader(request)
    rule = get_object_or_404(Rule.objects.select_related("created_by"), code=code)
    versions = list(
        rule.versions.select_related("created_by", "enabled_by", "default_sanction").order_by(
            "-number"
        )
    )
    if not versions:
        raise Http404
    if number is not None:
        shown = next((v for v in versions if v.number == number), None)
        if shown is None:
            raise Http404
    else:
        shown = next((v for v in versions if v.pk == rule.enabled_version_id), versions[0])
    for version in versions:
        # The saved dry run's period, as dates the page formats in the reader's language.
        figures = version.dry_run or {}
        version.dry_run_period = [  # type: ignore[attr-defined]
            dt.date.fromisoformat(figures[k]) if figures.get(k) else None
            for k in ("since", "as_of")
        ]
    counts = _incident_counts(rule)
    notices = RuleNotice.objects.filter(rule=rule)
    context = {
        "rule": rule,
        "text": version_text(shown, rule.subject_type),
        "shown": shown,
        "is_enabled_shown": shown.pk == rule.enabled_version_id,
        "versions": versions,
        "drafts": [v for v in versions if v.state == VersionState.DRAFT],
        "subject": subject_or_none(rule.subject_type),
        "incident_counts": counts,
        "incidents_total": sum(c["n"] for c in counts),
        "incidents_active": sum(c["n"] for c in counts if c["active"]),
        "inbox_url": f"{reverse('incidents:inbox')}?tab=all&rule={rule.code}",
        "notices": _with_links(
            list(
                notices.select_related("employee", "rule_version").order_by("-found_at", "-id")[
                    :NOTICES_SHOWN
                ]
            ),
            rule.subject_type,
        ),
        "notices_total": notices.count(),
        "notices_active": notices.filter(cleared_at__isnull=True).count(),
        "can_edit": access.can_edit_rules(request.user),
        "nav": "rules",
    }
    return render(request, "rules/detail.html", context)


# --- The audit ---------------------------------------------------------------------------------


@login_required
def audit_run_view(request: HttpRequest) -> HttpResponse:
    """GET: what the audit will do and its dates (the confirmation); POST: run it. With HTMX
    the figures replace the form's result box; without, the run's page opens."""
    require_reader(request)
    if not access.can_run_audit(request.user):
        raise PermissionDenied(_("The audit is run by the analyst or the director."))
    if request.method == "POST":
        form = AuditRunForm(request.POST)
        if form.is_valid():
            rule = form.cleaned_data["rule"]
            result = audit_run(
                as_of=form.cleaned_data["as_of"],
                since=form.cleaned_data["since"],
                rule_code=rule.code if rule else None,
                user=request.user,
                trigger=AuditTrigger.WEB,
            )
            if getattr(request, "htmx", False):
                return render(
                    request, "rules/_audit_figures.html", _run_context(result.run, fresh=True)
                )
            return redirect("rules:audit_detail", pk=result.run.pk)
    else:
        form = AuditRunForm(
            initial={"as_of": timezone.localdate(), "rule": request.GET.get("rule", "")}
        )
    context = {
        "form": form,
        "last_run": last_audit(),
        "enabled_rules": Rule.objects.filter(enabled_version__isnull=False).count(),
        "nav": "rules",
    }
    if request.method != "POST":
        return render(request, "rules/audit_run.html", context)
    if getattr(request, "htmx", False):
        # 200, so that HTMX swaps the form in with its errors.
        return render(request, "rules/_audit_form.html", context)
    return render(request, "rules/audit_run.html", context, status=400)


def _run_context(run: AuditRun, *, fresh: bool = False) -> dict[str, Any]:
    figures = run.figures or {}
    by_rule = figures.get("by_rule") or {}
    rules = {
        r.code: r for r in Rule.objects.filter(code__in=by_rule).select_related("enabled_version")
    }
    inbox = reverse("incidents:inbox")
    return {
        "run": run,
        "figures": figures,
        "fresh": fresh,
        "by_rule": [
            {
                "code": code,
                "rule": rules.get(code),
                "violations": found,
                "inbox_url": f"{inbox}?tab=all&rule={code}",
            }
            for code, found in sorted(by_rule.items(), key=lambda item: (-item[1], item[0]))
        ],
        "nav": "rules",
    }


@login_required
def audit_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_reader(request)
    run = get_object_or_404(AuditRun.objects.select_related("run_by", "rule"), pk=pk)
    context = _run_context(run)
    context["can_run_audit"] = access.can_run_audit(request.user)
    return render(request, "rules/audit_detail.html", context)


@login_required
def audit_list_view(request: HttpRequest) -> HttpResponse:
    """Past audit runs, newest first, with their figures, who and from where."""
    require_reader(request)
    runs = AuditRun.objects.select_related("run_by", "rule").order_by("-started_at", "-id")
    trigger = request.GET.get("trigger", "")
    if trigger in AuditTrigger.values:
        runs = runs.filter(trigger=trigger)
    page = Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    context = {
        "page": page,
        "runs": list(page),
        "trigger": trigger if trigger in AuditTrigger.values else "",
        "triggers": AuditTrigger.choices,
        "query_prefix": f"{encoded}&" if encoded else "",
        "can_run_audit": access.can_run_audit(request.user),
        "nav": "rules",
    }
    return render_page(request, "rules/audits.html", context, fragment="rules/_audits_table.html")
