"""A version's dry run over the history (what it would have found, per month, beside the
enabled version, with samples), enabling it after a confirmation, and switching a rule off
with a reason. Only the rule's editors get here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kam.incidents.choices import ACTIVE_STATES
from kam.ledger.months import add_months
from kam.rules.choices import VersionState
from kam.rules.display import (
    dry_run_months,
    dry_run_samples,
    subject_or_none,
    version_changes,
    version_text,
)
from kam.rules.forms import DisableForm, DryRunForm
from kam.rules.models import Rule, RuleVersion
from kam.rules.services import DRY_RUN_MONTHS, dry_run, rule_disable, version_enable
from kam.rules.views import require_editor


def _version(code: str, number: int) -> tuple[Rule, RuleVersion]:
    rule = get_object_or_404(Rule.objects.select_related("enabled_version"), code=code)
    version = get_object_or_404(
        rule.versions.select_related("created_by", "enabled_by", "default_sanction"),
        number=number,
    )
    version.rule = rule
    return rule, version


def _result_context(version: RuleVersion, result: dict[str, Any]) -> dict[str, Any]:
    if not result:
        return {"result": None}
    subject = subject_or_none(version.rule.subject_type)
    months = dry_run_months(result)
    return {
        "result": result,
        "run_at": parse_datetime(result.get("run_at") or ""),
        "result_as_of": dt.date.fromisoformat(result["as_of"]) if result.get("as_of") else None,
        "result_since": dt.date.fromisoformat(result["since"]) if result.get("since") else None,
        "months": months,
        "chart": [
            {
                "month": m["month"],
                "violations": m.get("violations", 0),
                "enabled": m.get("enabled_violations", 0),
            }
            for m in months
        ],
        "compared": result.get("enabled_violations") is not None,
        "samples": dry_run_samples(result, subject),
    }


@login_required
def dry_run_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """GET: the saved figures (if any) and the dates form; POST: run the version over the
    history (a draft keeps the figures for its enable button)."""
    require_editor(request)
    rule, version = _version(code, number)
    result: dict[str, Any] = version.dry_run or {}
    form = DryRunForm(request.POST if request.method == "POST" else None)
    fresh = False
    if request.method == "POST" and form.is_valid():
        result = dry_run(
            version=version,
            user=request.user,
            as_of=form.cleaned_data["as_of"],
            since=form.cleaned_data["since"],
            save=version.state == VersionState.DRAFT,
        )
        fresh = True
        form = DryRunForm(initial={"since": result["since"], "as_of": result["as_of"]})
    elif request.method != "POST":
        # The dates of the saved figures, else the default period, so the form says what runs.
        today = timezone.localdate()
        form = DryRunForm(
            initial={
                "since": result.get("since")
                or add_months(today.replace(day=1), -(DRY_RUN_MONTHS - 1)),
                "as_of": result.get("as_of") or today,
            }
        )
    context = {
        "rule": rule,
        "version": version,
        "enabled": rule.enabled_version,
        "form": form,
        "fresh": fresh,
        "saved": fresh and version.state == VersionState.DRAFT,
        "nav": "rules",
        **_result_context(version, result),
    }
    status = 400 if request.method == "POST" and not fresh else 200
    if getattr(request, "htmx", False) and request.method == "POST":
        # 200 with the errors too, so that HTMX swaps them in.
        return render(request, "rules/_dry_run_box.html", context)
    return render(request, "rules/dry_run.html", context, status=status)


@login_required
def version_enable_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """GET: what enabling the version changes (its dry run beside the text it replaces);
    POST: enable it, retiring the enabled one."""
    require_editor(request)
    rule, version = _version(code, number)
    if version.state == VersionState.ENABLED:
        messages.info(request, _("Version %(n)s is the enabled one.") % {"n": version.number})
        return redirect("rules:detail", code=rule.code)
    error = ""
    if request.method == "POST":
        try:
            version_enable(version=version, user=request.user)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            text = _(
                "Version %(n)s of %(code)s is enabled: guards and the audit use it from now on."
            )
            messages.success(request, text % {"n": version.number, "code": rule.code})
            return redirect("rules:detail", code=rule.code)
    enabled = rule.enabled_version
    context = {
        "rule": rule,
        "version": version,
        "text": version_text(version, rule.subject_type),
        "enabled": enabled,
        "enabled_text": version_text(enabled, rule.subject_type) if enabled else None,
        "changes": version_changes(enabled, version, rule.subject_type),
        "error": error,
        "nav": "rules",
        **_result_context(version, version.dry_run or {}),
    }
    return render(request, "rules/enable_confirm.html", context, status=400 if error else 200)


@login_required
def rule_disable_view(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the confirmation with a reason to give; POST: switch the rule off."""
    require_editor(request)
    rule = get_object_or_404(Rule.objects.select_related("enabled_version"), code=code)
    if rule.enabled_version is None:
        messages.info(request, _("%(code)s is already switched off.") % {"code": rule.code})
        return redirect("rules:detail", code=rule.code)
    form = DisableForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rule_disable(rule=rule, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error("reason", message)
        else:
            messages.success(
                request,
                _("%(code)s is switched off: no guard refuses by it and the audit skips it.")
                % {"code": rule.code},
            )
            return redirect("rules:detail", code=rule.code)
    context = {
        "rule": rule,
        "version": rule.enabled_version,
        "form": form,
        "active_incidents": rule.incidents.filter(state__in=ACTIVE_STATES).count(),
        "nav": "rules",
    }
    return render(
        request,
        "rules/disable_confirm.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
