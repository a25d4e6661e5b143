"""The scoring-model editor: a version's definition as a form (name, notes, thresholds, rules)
and one formset of criteria per axis; the definition they make is checked by scoring.parse."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django import forms
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from kam.assessment import scoring
from kam.assessment.choices import Cell
from kam.assessment.models import ScoringModel

NORMALISE_CHOICES = [
    ("percentile", _("Percentile")),
    ("minmax", _("Linear, min–max")),
    ("thresholds", _("Steps")),
]
BETTER_CHOICES = [("higher", _("Higher")), ("lower", _("Lower"))]


def number_text(value: float) -> str:
    """0.3 → "0.3", 100.0 → "100" (as a person writes them)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


def steps_text(steps: list[Any]) -> str:
    return "; ".join(f"{number_text(b)}:{number_text(s)}" for b, s in steps)


def steps_parse(text: str) -> list[list[float]]:
    """``"0.3:100; 0.15:75"`` → ``[[0.3, 100], [0.15, 75]]`` (a decimal comma is allowed)."""
    steps = []
    for part in re.split(r"[;\n]+", text):
        part = part.strip()
        if not part:
            continue
        bound, sep, points = part.partition(":")
        try:
            if not sep:
                raise ValueError
            pair = [float(bound.strip().replace(",", ".")), float(points.strip().replace(",", "."))]
        except ValueError:
            raise forms.ValidationError(
                _("Write steps as bound:score separated by semicolons, e.g. 0.3:100; 0.15:75."),
                code="steps",
            ) from None
        if not all(math.isfinite(v) for v in pair):
            raise forms.ValidationError(_("Steps must be numbers."), code="steps")
        steps.append([_plain(pair[0]), _plain(pair[1])])
    return steps


class CriterionForm(forms.Form):
    """One criterion of an axis. An untouched empty row (the spare one) is skipped."""

    metric = forms.ChoiceField(
        label=_("Metric"),
        choices=[("", "—"), *scoring.METRIC_LABELS.items()],
        required=False,
        initial="",
    )
    normalise = forms.ChoiceField(
        label=_("Scale to 0–100"), choices=NORMALISE_CHOICES, initial="percentile"
    )
    better = forms.ChoiceField(label=_("Better is"), choices=BETTER_CHOICES, initial="higher")
    weight = forms.FloatField(label=_("Weight"), required=False)
    min = forms.FloatField(label=_("Min"), required=False)
    max = forms.FloatField(label=_("Max"), required=False)
    steps = forms.CharField(
        label=_("Steps"),
        required=False,
        help_text=_("bound:score; … — the first bound the value reaches gives the score"),
    )
    otherwise = forms.FloatField(label=_("Otherwise"), required=False, initial=0)

    def clean_steps(self) -> list[list[float]]:
        return steps_parse(self.cleaned_data.get("steps") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = data.get("weight") is not None or data.get("steps")
        if not data.get("metric") and not data.get("DELETE") and filled:
            self.add_error("metric", _("Choose the metric this criterion scores."))
        return data

    def criterion(self) -> dict[str, Any] | None:
        """The criterion as in a definition; None for an empty or deleted row."""
        data = self.cleaned_data
        if not data or data.get("DELETE") or not data.get("metric"):
            return None
        weight = data.get("weight")
        result: dict[str, Any] = {
            "metric": data["metric"],
            "normalise": data["normalise"],
            "weight": None if weight is None else _plain(weight),
        }
        if data["better"] != "higher":
            result["better"] = data["better"]
        if data["normalise"] == "minmax":
            for bound in ("min", "max"):
                if data.get(bound) is not None:
                    result[bound] = _plain(data[bound])
        if data["normalise"] == "thresholds":
            result["steps"] = data.get("steps") or []
            result["otherwise"] = _plain(data.get("otherwise") or 0)
        return result


CriterionFormSet = forms.formset_factory(CriterionForm, extra=1, can_delete=True)


def criterion_initial(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "metric": raw.get("metric", ""),
        "normalise": raw.get("normalise", "percentile"),
        "better": raw.get("better", "higher"),
        "weight": raw.get("weight"),
        "min": raw.get("min"),
        "max": raw.get("max"),
        "steps": steps_text(raw.get("steps") or []),
        "otherwise": raw.get("otherwise", 0),
    }


class ScoringModelForm(forms.Form):
    """What a version is called and why it changed, the cell thresholds and the rules."""

    name = forms.CharField(label=_("Name"), max_length=200)
    notes = forms.CharField(
        label=_("What changed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the version: why the model changed."),
    )
    potential_high = forms.FloatField(
        label=_("Potential is high from"), help_text=_("0–100"), min_value=0, max_value=100
    )
    attractiveness_high = forms.FloatField(
        label=_("Attractiveness is high from"), help_text=_("0–100"), min_value=0, max_value=100
    )
    potential_uplift = forms.FloatField(
        label=_("Priority: potential uplift"),
        help_text=_(
            "priority = expected revenue × (1 + uplift × potential / 100); 0 = revenue only"
        ),
    )
    key_cells = forms.MultipleChoiceField(
        label=_("Key accounts come from the cells"),
        choices=Cell.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    key_top_share = forms.FloatField(
        label=_("…and the top share of buying clients by priority"),
        help_text=_("0.04 = the top 4 %"),
    )
    potential_key_cells = forms.MultipleChoiceField(
        label=_("Potential key accounts come from the cells"),
        choices=Cell.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    potential_key_min_potential = forms.FloatField(
        label=_("…with potential at least"), help_text=_("0–100")
    )
    activate = forms.BooleanField(label=_("Make it the active version"), required=False)


def _form_initial(model: ScoringModel) -> dict[str, Any]:
    definition = model.definition or {}
    cells = definition.get("cells") or {}
    priority = definition.get("priority") or {}
    proposal = definition.get("proposal") or {}
    return {
        "name": model.name,
        "notes": "" if model.is_used else model.notes,
        "potential_high": cells.get("potential"),
        "attractiveness_high": cells.get("attractiveness"),
        "potential_uplift": priority.get("potential_uplift", 0),
        "key_cells": proposal.get("key_cells", []),
        "key_top_share": proposal.get("key_top_share"),
        "potential_key_cells": proposal.get("potential_key_cells", []),
        "potential_key_min_potential": proposal.get("potential_key_min_potential"),
    }


_WHERE = re.compile(r"^(potential|attractiveness) criterion (\d+)\b")


class ModelEditor:
    """The form and the two criteria formsets of one version; ``is_valid`` also runs the
    definition through scoring.parse (its ModelError says where and what)."""

    def __init__(self, model: ScoringModel, data: Any = None) -> None:
        self.model = model
        self.used = model.is_used
        self.next_version = (ScoringModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        definition = model.definition or {}
        self.form = ScoringModelForm(data, initial=_form_initial(model))
        self.formsets = {
            axis: CriterionFormSet(
                data,
                prefix=axis,
                initial=[criterion_initial(c) for c in definition.get(axis) or []],
            )
            for axis in scoring.AXES
        }
        self.model_error: str | None = None
        self.definition: dict[str, Any] | None = None

    @property
    def axes(self) -> list[tuple[str, Any]]:
        return [(axis, self.formsets[axis]) for axis in scoring.AXES]

    def field(self, name: str) -> forms.BoundField:
        return self.form[name]

    def errors(self) -> list[str]:
        """Every error in words, for the preview (the form itself shows them in place)."""
        found = []
        for name, errors in self.form.errors.items():
            label = self.form.fields[name].label if name in self.form.fields else ""
            found += [f"{label}: {e}" if label else str(e) for e in errors]
        titles = {"potential": _("Potential"), "attractiveness": _("Attractiveness")}
        for axis, formset in self.axes:
            for index, form in enumerate(formset.forms):
                for name, errors in form.errors.items():
                    where = _("%(axis)s, row %(row)s") % {"axis": titles[axis], "row": index + 1}
                    label = form.fields[name].label if name in form.fields else ""
                    found += [
                        f"{where}, {label}: {e}" if label else f"{where}: {e}" for e in errors
                    ]
            found += [str(e) for e in formset.non_form_errors()]
        return found

    def build(self) -> tuple[dict[str, Any], dict[str, list[CriterionForm]]]:
        """The definition the (valid) forms make, and per axis the rows that made criteria."""
        data = self.form.cleaned_data
        definition: dict[str, Any] = {"name": data["name"]}
        rows: dict[str, list[CriterionForm]] = {}
        for axis, formset in self.axes:
            rows[axis] = [f for f in formset.forms if f.criterion() is not None]
            definition[axis] = [f.criterion() for f in rows[axis]]
        definition["cells"] = {
            "potential": _plain(data["potential_high"]),
            "attractiveness": _plain(data["attractiveness_high"]),
        }
        definition["priority"] = {"potential_uplift": _plain(data["potential_uplift"])}
        definition["proposal"] = {
            "key_cells": list(data["key_cells"]),
            "key_top_share": _plain(data["key_top_share"]),
            "potential_key_cells": list(data["potential_key_cells"]),
            "potential_key_min_potential": _plain(data["potential_key_min_potential"]),
        }
        return definition, rows

    def is_valid(self, *, saving: bool = True) -> bool:
        valid = self.form.is_valid()
        valid = all([fs.is_valid() for fs in self.formsets.values()]) and valid
        if not valid:
            return False
        if saving and self.used and not self.form.cleaned_data["notes"].strip():
            self.form.add_error(
                "notes",
                _("Say what changed: this saves a new version %(version)s.")
                % {"version": self.next_version},
            )
            valid = False
        definition, rows = self.build()
        try:
            scoring.parse(definition)
        except scoring.ModelError as error:
            self.model_error = str(error)
            found = _WHERE.match(self.model_error)
            if found:
                axis, index = found.group(1), int(found.group(2)) - 1
                if index < len(rows[axis]):
                    rows[axis][index].add_error(None, self.model_error)
            return False
        if not valid:
            return False
        self.definition = definition
        return True


# --- Definitions as files ----------------------------------------------------------------------


def definition_json(definition: dict[str, Any]) -> str:
    return json.dumps(definition, ensure_ascii=False, indent=2) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def definition_toml(definition: dict[str, Any], header: str = "") -> str:
    """A definition as TOML in the layout of default_model.toml (tomllib reads it back)."""
    lines = [f"# {line}" for line in header.splitlines()]
    tables = {k: v for k, v in definition.items() if isinstance(v, dict)}
    arrays = {
        k: v
        for k, v in definition.items()
        if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)
    }
    for key, value in definition.items():
        if key not in tables and key not in arrays:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, items in arrays.items():
        for item in items:
            lines += ["", f"[[{key}]]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in item.items() if v is not None]
    for key, table in tables.items():
        lines += ["", f"[{key}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items() if v is not None]
    return "\n".join(lines).lstrip("\n") + "\n"
