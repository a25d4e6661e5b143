"""Scoring-model versions: the list, a version read-only, the editor with a preview of what the
edited model would propose, activation, and the definition as a TOML or JSON file.

Whoever reads every client may read the models (the card links to the version that scored a
client); the analyst and the director change them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.assessment import scoring
from kam.assessment.choices import STATUS_RANK, Cell, Change
from kam.assessment.model_forms import (
    NORMALISE_CHOICES,
    ModelEditor,
    definition_json,
    definition_toml,
    steps_text,
)
from kam.assessment.models import Assessment, AssessmentCycle, ScoringModel
from kam.assessment.selectors import model_list, model_preview
from kam.assessment.services import model_activate, model_save
from kam.clients.choices import ClientStatus
from kam.web import access


def _require_view(request: HttpRequest) -> None:
    if not access.can_view_assessment(request.user):
        raise PermissionDenied(_("Scoring models are read by those who see every client."))


def _require_edit(request: HttpRequest) -> None:
    if not access.can_edit_models(request.user):
        raise PermissionDenied(_("You may not change scoring models."))


@login_required
def model_list_view(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    models = model_list().annotate(cycle_count=Count("cycles"))
    return render(
        request,
        "assessment/model_list.html",
        {
            "models": models,
            "can_edit": access.can_edit_models(request.user),
            "nav": "assessment",
        },
    )


def _criteria_rows(definition: scoring.Definition, axis: str) -> list[dict[str, Any]]:
    criteria = definition.axis(axis)
    total = sum(c.weight for c in criteria)
    normalise = dict(NORMALISE_CHOICES)
    rows = []
    for c in criteria:
        if c.normalise == "minmax":
            low = "—" if c.min is None else f"{c.min:g}"
            high = "—" if c.max is None else f"{c.max:g}"
            parameters = _("from %(min)s to %(max)s") % {"min": low, "max": high}
            if c.min is None or c.max is None:
                parameters += " " + _("(missing bounds: the data's own)")
        elif c.normalise == "thresholds":
            parameters = _("%(steps)s; otherwise %(otherwise)s") % {
                "steps": steps_text([list(s) for s in c.steps]),
                "otherwise": f"{c.otherwise:g}",
            }
        else:
            parameters = ""
        rows.append(
            {
                "criterion": c,
                "normalise": normalise.get(c.normalise, c.normalise),
                "parameters": parameters,
                "share": c.weight / total * 100 if total else 0,
            }
        )
    return rows


@login_required
def model_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    model = get_object_or_404(model_list(), pk=pk)
    try:
        definition = scoring.parse(model.definition)
        error = None
    except scoring.ModelError as problem:  # stored before a rule changed; say so, don't fail
        definition, error = None, str(problem)
    cycles = list(AssessmentCycle.objects.filter(model=model).order_by("-as_of", "-id")[:20])
    context = {
        "model": model,
        "definition": definition,
        "error": error,
        "axes": [(axis, _criteria_rows(definition, axis)) for axis in scoring.AXES]
        if definition
        else [],
        "cycles": cycles,
        "cycle_count": AssessmentCycle.objects.filter(model=model).count(),
        "key_cells": [Cell(c) for c in definition.key_cells] if definition else [],
        "key_top_pct": definition.key_top_share * 100 if definition else None,
        "potential_key_cells": [Cell(c) for c in definition.potential_key_cells]
        if definition
        else [],
        "can_edit": access.can_edit_models(request.user),
        "nav": "assessment",
    }
    return render(request, "assessment/model_detail.html", context)


@login_required
def model_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the editor; POST: save (in place if never used, else as a new version)."""
    _require_edit(request)
    model = get_object_or_404(ScoringModel, pk=pk)
    editor = ModelEditor(model, request.POST or None)
    if request.method == "POST" and editor.is_valid():
        assert editor.definition is not None
        data = editor.form.cleaned_data
        saved = model_save(
            definition=editor.definition,
            name=data["name"],
            notes=data["notes"].strip(),
            user=request.user,
            base=model,
            activate=data["activate"],
        )
        if saved.pk == model.pk:
            text = _("Version %(version)s saved.") % {"version": saved.version}
        else:
            text = _("Saved as version %(version)s; version %(base)s is unchanged.") % {
                "version": saved.version,
                "base": model.version,
            }
        if saved.is_active:
            text += " " + _("It is the active version.")
        messages.success(request, text)
        return redirect("scoring_models:detail", pk=saved.pk)
    return render(
        request,
        "assessment/model_edit.html",
        {"model": model, "editor": editor, "nav": "assessment"},
        status=400 if request.method == "POST" else 200,
    )


def _baseline(cycle: AssessmentCycle) -> dict[str, Any]:
    """The latest cycle's own proposals, counted like model_preview counts (changes against
    the clients' statuses today)."""
    rows = Assessment.objects.filter(cycle=cycle)
    cells = {r["cell"]: r["n"] for r in rows.values("cell").annotate(n=Count("id"))}
    pairs = rows.values("proposed_status", "client__status").annotate(n=Count("id"))
    proposed: dict[str, int] = {}
    changes = {"promote": 0, "demote": 0, "keep": 0}
    for row in pairs:
        proposed[row["proposed_status"]] = proposed.get(row["proposed_status"], 0) + row["n"]
        after = STATUS_RANK.get(row["proposed_status"], 0)  # type: ignore[call-overload]
        before = STATUS_RANK.get(row["client__status"], 0)  # type: ignore[call-overload]
        key = "promote" if after > before else "demote" if after < before else "keep"
        changes[key] += row["n"]
    return {"cells": cells, "proposed": proposed, **changes}


@login_required
@require_POST
def model_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX: what the editor's current definition would propose on the latest cycle's data."""
    _require_edit(request)
    model = get_object_or_404(ScoringModel, pk=pk)
    editor = ModelEditor(model, request.POST)
    context: dict[str, Any] = {"model": model, "editor": editor}
    if editor.is_valid(saving=False):
        assert editor.definition is not None
        preview = model_preview(scoring.parse(editor.definition))
        context["preview"] = preview
        if preview is not None:
            baseline = _baseline(preview["cycle"])
            context["rows"] = _preview_rows(preview, baseline)
    return render(request, "assessment/model_preview.html", context)


def _preview_rows(preview: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(group: str, label: Any, new: int, old: int) -> None:
        rows.append({"group": group, "label": label, "new": new, "old": old, "diff": new - old})

    for change in Change:
        add("change", change.label, preview[change.value], baseline[change.value])
    for cell in Cell:
        add("cell", cell.label, preview["cells"].get(cell, 0), baseline["cells"].get(cell, 0))
    for status in ClientStatus:
        add(
            "proposed",
            status.label,
            preview["proposed"].get(status, 0),
            baseline["proposed"].get(status, 0),
        )
    return rows


@login_required
@require_POST
def model_activate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a version the active one (the page asks for a confirmation first)."""
    _require_edit(request)
    model = get_object_or_404(ScoringModel, pk=pk)
    try:
        scoring.parse(model.definition)
    except scoring.ModelError as error:
        messages.error(request, _("This version cannot be used: %(error)s") % {"error": error})
        return redirect("scoring_models:detail", pk=model.pk)
    model_activate(model=model, user=request.user)
    messages.success(
        request,
        _("Version %(version)s is active: the next re-evaluation cycles use it.")
        % {"version": model.version},
    )
    return redirect("scoring_models:list")


@login_required
def model_download_view(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A version's definition as a file (TOML like default_model.toml, or JSON)."""
    _require_view(request)
    model = get_object_or_404(ScoringModel, pk=pk)
    if fmt == "toml":
        header = f"{model} — kam scoring model"
        if model.notes:
            header += "\n" + model.notes
        body, content_type = definition_toml(model.definition, header), "application/toml"
    elif fmt == "json":
        body, content_type = definition_json(model.definition), "application/json"
    else:
        raise Http404
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="scoring-model-v{model.version}.{fmt}"'
    return response
