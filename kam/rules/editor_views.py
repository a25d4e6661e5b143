"""The rule editor: a new rule, a new version of a rule (prefilled from its enabled or latest
version), rewriting a draft; beside it the fact catalogue of the subject (reloaded by HTMX when
a new rule's subject changes) and the "Check" button that validates the condition without
saving. Saving writes a draft and opens its dry run. Only the rule's editors get here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.rules.display import check_summary
from kam.rules.engine import ConditionError, check_condition, parameter_problems
from kam.rules.facts import subject_type, subject_types
from kam.rules.forms import (
    CheckForm,
    VersionForm,
    editor_source,
    parameters_parse,
    version_initial,
)
from kam.rules.models import Rule, RuleVersion
from kam.rules.services import fact_catalogue, rule_create, version_save
from kam.rules.views import require_editor


def _catalogue(subject: str) -> dict[str, Any]:
    kind = subject_type(subject)
    return {
        "catalogue_subject": kind,
        "facts": fact_catalogue(subject),
    }


def _put_errors(form: VersionForm, error: ValidationError) -> None:
    """A service's refusal next to the fields it names (the rest above the form)."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            for message in messages_:
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _render_editor(
    request: HttpRequest,
    form: VersionForm,
    *,
    rule: Rule | None,
    draft: RuleVersion | None,
    source: RuleVersion | None,
) -> HttpResponse:
    context = {
        "form": form,
        "rule": rule,
        "draft": draft,
        "source": source,
        "next_number": (
            draft.number
            if draft is not None
            else (rule.versions.order_by("-number").values_list("number", flat=True).first() or 0)
            + 1
            if rule is not None
            else 1
        ),
        "nav": "rules",
        **_catalogue(form.subject),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "rules/editor.html", context, status=status)


def _saved(request: HttpRequest, version: RuleVersion, rewritten: bool = False) -> HttpResponse:
    text = (
        _("Draft version %(n)s of %(code)s is saved.")
        if rewritten
        else _("Version %(n)s of %(code)s is saved as a draft.")
    ) % {"n": version.number, "code": version.rule.code}
    messages.success(
        request,
        text + " " + _("Run it over the history to see what it would find, then enable it."),
    )
    return redirect("rules:dry_run", code=version.rule.code, number=version.number)


@login_required
def rule_new_view(request: HttpRequest) -> HttpResponse:
    """A new rule: its code and subject with the first version, saved as a draft."""
    require_editor(request)
    initial = version_initial(None)
    if request.GET.get("subject") in subject_types():
        initial["subject_type"] = request.GET["subject"]
    form = VersionForm(
        request.POST if request.method == "POST" else None, initial=initial, new_rule=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = rule_create(
                code=form.cleaned_data["code"],
                subject=form.cleaned_data["subject_type"],
                data=form.version_input(),
                user=request.user,
            )
        except ValidationError as error:
            _put_errors(form, error)
        else:
            return _saved(request, version)
    return _render_editor(request, form, rule=None, draft=None, source=None)


@login_required
def version_new_view(request: HttpRequest, code: str) -> HttpResponse:
    """A new version of a rule, prefilled from the enabled version (or ``?from=N``, or the
    latest one); saved as a draft numbered after the last."""
    require_editor(request)
    rule = get_object_or_404(Rule, code=code)
    number = request.GET.get("from", "")
    source = editor_source(rule, int(number) if number.isdigit() else None)
    form = VersionForm(
        request.POST if request.method == "POST" else None,
        initial=version_initial(source),
        subject=rule.subject_type,
        notes_required=source is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = version_save(rule=rule, data=form.version_input(), user=request.user)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            return _saved(request, version)
    return _render_editor(request, form, rule=rule, draft=None, source=source)


@login_required
def version_edit_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """Rewrite a draft in place (an enabled or retired version is kept as it is: the page
    sends the editor to a new version instead)."""
    require_editor(request)
    rule = get_object_or_404(Rule, code=code)
    draft = get_object_or_404(rule.versions.select_related("default_sanction"), number=number)
    if draft.state != "draft":
        messages.info(
            request,
            _("Version %(n)s has been enabled, so it is kept as it is: this is a new version.")
            % {"n": draft.number},
        )
        return redirect(f"{_new_version_url(rule)}?from={draft.number}")
    initial = version_initial(draft)
    initial["notes"] = draft.notes
    form = VersionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        subject=rule.subject_type,
        notes_required=draft.number > 1,
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = version_save(
                rule=rule, data=form.version_input(), user=request.user, draft=draft
            )
        except ValidationError as error:
            _put_errors(form, error)
        else:
            return _saved(request, version, rewritten=True)
    return _render_editor(request, form, rule=rule, draft=draft, source=draft)


def _new_version_url(rule: Rule) -> str:
    from django.urls import reverse

    return reverse("rules:version_new", args=[rule.code])


@login_required
def facts_view(request: HttpRequest) -> HttpResponse:
    """HTMX: the fact catalogue of a subject, with the violator and period choices of that
    subject swapped in beside it (the new-rule editor's subject changed)."""
    require_editor(request)
    subject = request.GET.get("subject_type") or request.GET.get("subject") or ""
    if subject not in subject_types():
        subject = next(iter(subject_types()))
    form = VersionForm(
        initial={
            **version_initial(None),
            "subject_type": subject,
            "violator": request.GET.get("violator", ""),
            "period": request.GET.get("period", ""),
        },
        new_rule=True,
    )
    context = {"form": form, "oob": True, **_catalogue(subject)}
    return render(request, "rules/_facts_swap.html", context)


@login_required
@require_POST
def check_view(request: HttpRequest) -> HttpResponse:
    """HTMX: is the condition usable? The parser's message, or OK with the facts and
    parameters it uses. Nothing is saved."""
    require_editor(request)
    form = CheckForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    code = data.get("subject_type") or ""
    if not code and data.get("rule"):
        rule = Rule.objects.filter(code=data["rule"]).first()
        code = rule.subject_type if rule else ""
    context: dict[str, Any] = {"ok": False}
    if code not in subject_types():
        context["error"] = _(
            "Choose the subject first: the condition is checked against its facts."
        )
        return render(request, "rules/_check.html", context)
    subject = subject_type(code)
    condition = data.get("condition") or ""
    try:
        parameters = parameters_parse(data.get("parameters") or "")
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        context["where"] = "parameters"
        return render(request, "rules/_check.html", context)
    try:
        check_condition(subject, condition, parameters)
    except ConditionError as error:
        context["error"] = str(error)
        context["where"] = "parameters" if parameter_problems(subject, parameters) else "condition"
        return render(request, "rules/_check.html", context)
    context.update(
        {"ok": True, "subject": subject, **check_summary(subject, condition, parameters)}
    )
    return render(request, "rules/_check.html", context)
