"""One incident's card: what was found and the whole story, and the lifecycle's steps as forms
shown only to whom kam.web.access allows them (the violator explains; the handler takes the
incident up, decides, dismisses, closes; the action's owner marks it done; participants
comment).

Every form is a plain POST that works without JavaScript; the irreversible steps (dismiss,
close) ask for confirmation first: a browser dialog, or without one a confirmation page. A
refusal of the service comes back beside its field or as a message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.incidents import selectors, services
from kam.incidents.choices import UNDECIDED_STATES, IncidentState, Measure
from kam.incidents.forms import (
    ActionDoneForm,
    ActionFormSet,
    CloseForm,
    CommentForm,
    DecideForm,
    DismissForm,
    ExplainForm,
    InvestigateForm,
)
from kam.incidents.models import CorrectiveAction, Incident, SanctionKind
from kam.web import access

#: The card again with the refused form (a plain POST that did not go through).
PAGE_INVALID = 400


def _incident(request: HttpRequest, pk: int) -> Incident:
    """The incident if the user may read it: 403 without a role, 404 outside their scope."""
    access.require_role(request)
    queryset = selectors.incidents_base().select_related(
        "rule_version__default_sanction", "overridden_by", "decided_by", "closed_by"
    )
    return get_object_or_404(access.incident_scope(request.user, queryset), pk=pk)


@dataclass
class May:
    """What the reader may do on the incident now (each step also needs the right state)."""

    explain: bool = False
    investigate: bool = False
    decide: bool = False
    dismiss: bool = False
    close: bool = False
    comment: bool = False
    handle: bool = False
    done_actions: set[int] = field(default_factory=set)


def may_for(user: Any, incident: Incident, actions: list[CorrectiveAction]) -> May:
    handle = access.can_handle_incident(user, incident)
    explain = access.can_explain_incident(user, incident)
    final = incident.is_final
    state = incident.state
    return May(
        explain=explain and state in UNDECIDED_STATES,
        investigate=handle and state == IncidentState.OPEN,
        decide=handle and state == IncidentState.INVESTIGATING,
        dismiss=handle and state in UNDECIDED_STATES,
        close=handle and state == IncidentState.DECIDED,
        comment=handle or explain,
        handle=handle,
        done_actions={
            a.pk
            for a in actions
            if not final
            and state == IncidentState.DECIDED
            and not a.is_done
            and (handle or access.can_complete_corrective_action(user, a))
        },
    )


@dataclass
class Forms:
    """The card's forms; a refused one comes back bound, with its errors."""

    explain: forms.Form | None = None
    investigate: forms.Form | None = None
    decide: forms.Form | None = None
    actions: Any = None
    actions_errors: list[str] = field(default_factory=list)
    dismiss: forms.Form | None = None
    close: forms.Form | None = None
    comment: forms.Form | None = None
    done: dict[int, forms.Form] = field(default_factory=dict)


def _facts(incident: Incident) -> list[dict[str, Any]]:
    """The facts as found, in the subject type's order, each with its description."""
    from kam.rules.facts import subject_type

    try:
        kind = subject_type(incident.subject_type)
    except KeyError:
        kind = None
    facts = dict(incident.facts or {})
    order = [f.name for f in kind.facts] if kind is not None else []
    names = [n for n in order if n in facts] + sorted(n for n in facts if n not in order)
    rows = []
    for name in names:
        fact = kind.fact(name) if kind is not None else None
        rows.append(
            {
                "name": name,
                "description": fact.description if fact else "",
                "value": facts[name],
            }
        )
    return rows


def _default_sanction(incident: Incident) -> int | None:
    default = incident.rule_version.default_sanction
    return default.pk if default is not None and default.is_active else None


def _fill(incident: Incident, may: May, given: Forms, actions: list[CorrectiveAction]) -> Forms:
    """The forms the reader may use, fresh unless a refused one was given back."""
    filled = Forms(actions_errors=given.actions_errors)
    if may.explain:
        filled.explain = given.explain or ExplainForm(
            prefix="explain", initial={"explanation": incident.explanation}
        )
    if may.investigate:
        filled.investigate = given.investigate or InvestigateForm(prefix="investigate")
    if may.decide:
        filled.decide = given.decide or DecideForm(
            prefix="decide", initial={"sanction": _default_sanction(incident)}
        )
        filled.actions = given.actions or ActionFormSet(prefix="actions")
    if may.dismiss:
        filled.dismiss = given.dismiss or DismissForm(prefix="dismiss")
    if may.close:
        filled.close = given.close or CloseForm(prefix="close")
    if may.comment:
        filled.comment = given.comment or CommentForm(prefix="comment")
    filled.done = {
        a.pk: given.done.get(a.pk) or ActionDoneForm(prefix=f"done-{a.pk}")
        for a in actions
        if a.pk in may.done_actions
    }
    return filled


def _page(
    request: HttpRequest, incident: Incident, given: Forms | None = None, status: int = 200
) -> HttpResponse:
    story = selectors.incident_story(incident)
    actions = story["actions"]
    may = may_for(request.user, incident, actions)
    page_forms = _fill(incident, may, given or Forms(), actions)
    today = timezone.localdate()
    sanction_kinds = list(SanctionKind.objects.filter(is_active=True))
    context = {
        "incident": incident,
        "version": incident.rule_version,
        "story": story,
        "facts": _facts(incident),
        "may": may,
        "forms": page_forms,
        "done_rows": [(a, page_forms.done.get(a.pk)) for a in actions],
        "open_actions": sum(1 for a in actions if not a.is_done),
        "overdue": incident.state in UNDECIDED_STATES and incident.deadline < today,
        "today": today,
        "measures": {str(k.pk): k.measure for k in sanction_kinds},
        "measure_amount": Measure.AMOUNT,
        "measure_percent": Measure.PERCENT,
        "nav": "incidents",
    }
    return render(request, "incidents/detail.html", context, status=status)


@login_required
def incident_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _incident(request, pk))


def _detail_url(incident: Incident, anchor: str = "") -> str:
    url = reverse("incidents:detail", args=[incident.pk])
    return f"{url}#{anchor}" if anchor else url


def _map_errors(form: forms.Form, error: ValidationError) -> None:
    """The service's field errors beside their fields, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        for item in errors:
            form.add_error(name if name in form.fields else None, item.messages)


def _refused(request: HttpRequest, incident: Incident, error: ValidationError) -> HttpResponse:
    """A step the incident's state no longer allows: the card again with the message."""
    messages.error(request, " ".join(error.messages))
    return redirect(_detail_url(incident))


# --- The violator ------------------------------------------------------------------------------


@login_required
@require_POST
def explain_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    if not access.can_explain_incident(request.user, incident):
        raise PermissionDenied(_("Only the employee the incident names writes the explanation."))
    form = ExplainForm(request.POST, prefix="explain")
    if form.is_valid():
        try:
            services.incident_explain(
                incident=incident,
                user=request.user,
                explanation=form.cleaned_data["explanation"],
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _refused(request, incident, error)
            _map_errors(form, error)
        else:
            messages.success(request, _("Your explanation is recorded; the handler reads it."))
            return redirect(_detail_url(incident, "story"))
    return _page(request, incident, Forms(explain=form), status=PAGE_INVALID)


# --- The handler -------------------------------------------------------------------------------


def _require_handler(request: HttpRequest, incident: Incident) -> None:
    if not access.can_handle_incident(request.user, incident):
        raise PermissionDenied(_("This incident is handled by its handler or the director."))


@login_required
@require_POST
def investigate_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    _require_handler(request, incident)
    form = InvestigateForm(request.POST, prefix="investigate")
    if form.is_valid():
        try:
            services.incident_investigate(
                incident=incident, user=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            return _refused(request, incident, error)
        messages.success(
            request, _("The incident is under investigation: the violator is asked to explain.")
        )
        return redirect(_detail_url(incident))
    return _page(request, incident, Forms(investigate=form), status=PAGE_INVALID)


def _with_one_more(data: Any, prefix: str) -> Any:
    """The posted data with one more (empty) form in the formset (the "add another" button
    without JavaScript)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, "1"))
    except ValueError:
        total = 1
    data[key] = str(min(total + 1, 10))
    return data


@login_required
@require_POST
def decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    _require_handler(request, incident)
    if "add_action" in request.POST:
        # Not a submission yet: the decision as typed, the actions with a row more.
        decide = DecideForm(
            prefix="decide",
            initial={
                name: request.POST.get(f"decide-{name}", "") for name in DecideForm.base_fields
            },
        )
        formset = ActionFormSet(_with_one_more(request.POST, "actions"), prefix="actions")
        return _page(request, incident, Forms(decide=decide, actions=formset))
    decide = DecideForm(request.POST, prefix="decide")
    formset = ActionFormSet(request.POST, prefix="actions")
    valid = decide.is_valid()
    valid = formset.is_valid() and valid
    actions_errors: list[str] = [str(e) for e in formset.non_form_errors()]
    if valid:
        data = decide.cleaned_data
        actions = [
            services.ActionInput(
                description=f.cleaned_data.get("description") or "",
                owner=f.cleaned_data.get("owner"),
                due=f.cleaned_data.get("due"),
            )
            for f in formset.forms
            if not f.is_blank()
        ]
        try:
            services.incident_decide(
                incident=incident,
                user=request.user,
                conclusion=data["conclusion"],
                sanction=data["sanction"],
                actions=actions,
                amount=data["amount"],
                percent=data["percent"],
                sanction_comment=data["sanction_comment"],
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _refused(request, incident, error)
            for name, errors in error.error_dict.items():
                texts = [m for item in errors for m in item.messages]
                if name == "actions":
                    actions_errors.extend(texts)
                else:
                    decide.add_error(name if name in decide.fields else None, texts)
        else:
            messages.success(
                request,
                _("The incident is decided: the corrective actions are set for their owners."),
            )
            return redirect(_detail_url(incident, "actions"))
    return _page(
        request,
        incident,
        Forms(decide=decide, actions=formset, actions_errors=actions_errors),
        status=PAGE_INVALID,
    )


def _confirm(
    request: HttpRequest, incident: Incident, step: str, form: forms.Form, question: str
) -> HttpResponse:
    """The confirmation page of an irreversible step (a browser without JavaScript, or one
    whose dialog was skipped): the same data posted again with confirmed=1."""
    return render(
        request,
        "incidents/confirm.html",
        {
            "incident": incident,
            "step": step,
            "form": form,
            "question": question,
            "action": reverse(f"incidents:{step}", args=[incident.pk]),
            "nav": "incidents",
        },
    )


@login_required
@require_POST
def dismiss_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    _require_handler(request, incident)
    form = DismissForm(request.POST, prefix="dismiss")
    if form.is_valid():
        if form.cleaned_data["confirmed"] != "1":
            question = _(
                "Dismiss %(number)s as a false alarm? It cannot be taken back, and it counts "
                "against the rule's precision."
            ) % {"number": incident.number}
            return _confirm(request, incident, "dismiss", form, question)
        try:
            services.incident_dismiss(
                incident=incident, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _refused(request, incident, error)
            _map_errors(form, error)
        else:
            messages.success(request, _("The incident is dismissed as a false alarm."))
            return redirect(_detail_url(incident))
    return _page(request, incident, Forms(dismiss=form), status=PAGE_INVALID)


@login_required
@require_POST
def close_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    _require_handler(request, incident)
    form = CloseForm(request.POST, prefix="close")
    if form.is_valid():
        if form.cleaned_data["confirmed"] != "1":
            question = _(
                "Close %(number)s? A closed incident takes no more steps or sanctions."
            ) % {"number": incident.number}
            return _confirm(request, incident, "close", form, question)
        try:
            services.incident_close(
                incident=incident, user=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            return _refused(request, incident, error)
        messages.success(request, _("The incident is closed."))
        return redirect(_detail_url(incident))
    return _page(request, incident, Forms(close=form), status=PAGE_INVALID)


# --- Corrective actions and comments -----------------------------------------------------------


@login_required
@require_POST
def action_done_view(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    action = get_object_or_404(incident.corrective_actions.select_related("incident"), pk=action_pk)
    if not access.can_complete_corrective_action(request.user, action):
        raise PermissionDenied(_("The action's owner or the incident's handler marks it done."))
    form = ActionDoneForm(request.POST, prefix=f"done-{action.pk}")
    if form.is_valid():
        done_on: dt.date | None = form.cleaned_data["done_on"]
        try:
            services.corrective_action_done(
                action=action,
                user=request.user,
                outcome=form.cleaned_data["outcome"],
                done_on=done_on,
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _refused(request, incident, error)
            _map_errors(form, error)
        else:
            messages.success(request, _("The corrective action is marked done."))
            return redirect(_detail_url(incident, "actions"))
    return _page(request, incident, Forms(done={action.pk: form}), status=PAGE_INVALID)


@login_required
@require_POST
def comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    if not (
        access.can_handle_incident(request.user, incident)
        or access.can_explain_incident(request.user, incident)
    ):
        raise PermissionDenied(_("Only the violator, the handler and the director comment."))
    form = CommentForm(request.POST, prefix="comment")
    if form.is_valid():
        try:
            services.incident_comment(
                incident=incident, user=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            _map_errors(form, error)
        else:
            messages.success(request, _("Your comment is added to the story."))
            return redirect(_detail_url(incident, "story"))
    return _page(request, incident, Forms(comment=form), status=PAGE_INVALID)
