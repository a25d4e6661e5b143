"""The scoring model as data, and scoring: metrics frame → potential, attractiveness, cell,
key-account priority and proposed status. Pure functions over Polars frames.

A model definition (JSON in the database, TOML in the shipped file ``default_model.toml``):

- ``potential`` and ``attractiveness``: lists of criteria ``{metric, normalise, weight, …}``;
- ``normalise``: ``percentile`` (rank among the clients that have the value, 0–100),
  ``minmax`` (linear between ``min`` and ``max``, the data's own if not given) or
  ``thresholds`` (``steps`` of ``[bound, score]``: the first bound the value reaches, else
  ``otherwise``); ``better`` says whether ``higher`` or ``lower`` values are better;
- a client without a criterion's value is scored on the others (their weights grow to fill);
- ``cells``: the potential and attractiveness at or above which an axis counts as high;
- ``priority``: key-account priority = expected revenue of the next 12 months × (1 +
  ``potential_uplift`` × potential / 100);
- ``proposal``: key = a cell of ``key_cells`` and among the top ``key_top_share`` of buying
  clients by priority; potential key = a cell of ``potential_key_cells`` with potential at
  least ``potential_key_min_potential``; everyone else standard.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kam.assessment.choices import STATUS_RANK, Cell, Change
from kam.assessment.metrics import METRIC_SCHEMA
from kam.clients.choices import ClientStatus

DEFAULT_MODEL_FILE = Path(__file__).with_name("default_model.toml")
AXES = ("potential", "attractiveness")
NORMALISATIONS = ("percentile", "minmax", "thresholds")

#: Metrics a criterion may use, with their labels (the metrics of METRIC_SCHEMA that are numbers).
METRIC_LABELS: dict[str, Any] = {
    "revenue_12m": _("Revenue, 12 months"),
    "revenue_prev_12m": _("Revenue, previous 12 months"),
    "margin_12m": _("Gross margin, 12 months"),
    "margin_prev_12m": _("Gross margin, previous 12 months"),
    "growth": _("Revenue growth, year on year"),
    "trend_6m": _("Trend: last 6 months against the same months a year earlier"),
    "margin_pct": _("Margin %"),
    "documents_12m": _("Documents, 12 months"),
    "active_months": _("Months with purchases, of 12"),
    "product_groups": _("Product groups bought"),
    "recency_days": _("Days since the last purchase"),
    "revenue_cv": _("Variability of monthly revenue"),
    "rfm_r": _("RFM: recency"),
    "rfm_f": _("RFM: frequency"),
    "rfm_m": _("RFM: monetary"),
    "share_of_wallet": _("Share of wallet"),
    "purchase_potential": _("Purchase potential"),
    "potential_gap": _("Unrealised potential"),
    "annual_revenue": _("Client's annual revenue"),
    "employees": _("Number of employees"),
    "decision_makers": _("Decision makers known"),
    "profile_completeness": _("Profile completeness"),
    "days_overdue_avg": _("Average days overdue"),
    "days_overdue_max": _("Maximum days overdue"),
    "late_share": _("Share of invoices paid late"),
    "group_revenue_12m": _("Holding group revenue, 12 months"),
    "forecast_12m": _("Expected revenue, next 12 months"),
}
assert set(METRIC_LABELS) <= set(METRIC_SCHEMA)


class ModelError(ValueError):
    """A model definition that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Criterion:
    axis: str
    metric: str
    normalise: str
    weight: float
    better: str = "higher"
    min: float | None = None
    max: float | None = None
    steps: tuple[tuple[float, float], ...] = ()
    otherwise: float = 0.0

    @property
    def label(self) -> Any:
        return METRIC_LABELS[self.metric]


@dataclass(frozen=True)
class Definition:
    criteria: tuple[Criterion, ...]
    potential_high: float
    attractiveness_high: float
    potential_uplift: float
    key_cells: tuple[str, ...]
    key_top_share: float
    potential_key_cells: tuple[str, ...]
    potential_key_min_potential: float

    def axis(self, axis: str) -> list[Criterion]:
        return [c for c in self.criteria if c.axis == axis]


def _number(
    value: Any, where: str, *, low: float | None = None, high: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ModelError(
            f"{where}: " + gettext("a number is expected, got %(value)r") % {"value": value}
        )
    if (low is not None and value < low) or (high is not None and value > high):
        raise ModelError(
            f"{where}: "
            + gettext("%(value)s is outside %(low)s…%(high)s")
            % {"value": value, "low": low, "high": high}
        )
    return float(value)


def _cells(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(v in Cell.values for v in value):
        raise ModelError(
            f"{where}: "
            + gettext("a list of cells of %(cells)s is expected")
            % {"cells": ", ".join(Cell.values)}
        )
    return tuple(value)


def _criterion(axis: str, index: int, raw: Any) -> Criterion:
    where = gettext("%(axis)s criterion %(n)s") % {"axis": axis, "n": index + 1}
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: " + gettext("a table of metric, normalise, weight is expected"))
    metric = raw.get("metric")
    if metric not in METRIC_LABELS:
        raise ModelError(f"{where}: " + gettext("unknown metric %(metric)r") % {"metric": metric})
    normalise = raw.get("normalise")
    if normalise not in NORMALISATIONS:
        raise ModelError(
            f"{where}: "
            + gettext("normalise must be one of %(names)s") % {"names": ", ".join(NORMALISATIONS)}
        )
    better = raw.get("better", "higher")
    if better not in ("higher", "lower"):
        raise ModelError(f"{where}: " + gettext("better must be higher or lower"))
    weight = _number(raw.get("weight"), f"{where} weight", low=0, high=1000)
    if weight <= 0:
        raise ModelError(f"{where} weight: " + gettext("must be above zero"))
    low = None if raw.get("min") is None else _number(raw["min"], f"{where} min")
    high = None if raw.get("max") is None else _number(raw["max"], f"{where} max")
    if low is not None and high is not None and high <= low:
        raise ModelError(f"{where}: " + gettext("max must be above min"))
    steps: tuple[tuple[float, float], ...] = ()
    if normalise == "thresholds":
        raw_steps = raw.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            raise ModelError(
                f"{where}: " + gettext("thresholds need steps, a list of [bound, score]")
            )
        pairs = []
        for i, step in enumerate(raw_steps):
            if not isinstance(step, list | tuple) or len(step) != 2:
                raise ModelError(f"{where} step {i + 1}: " + gettext("[bound, score] is expected"))
            pairs.append(
                (
                    _number(step[0], f"{where} step {i + 1} bound"),
                    _number(step[1], f"{where} step {i + 1} score", low=0, high=100),
                )
            )
        bounds = [b for b, _s in pairs]
        ordered = sorted(bounds, reverse=better == "higher")
        if bounds != ordered or len(set(bounds)) != len(bounds):
            order = gettext("descending") if better == "higher" else gettext("ascending")
            raise ModelError(
                f"{where}: "
                + gettext("step bounds must be %(order)s for better = %(better)s")
                % {"order": order, "better": better}
            )
        steps = tuple(pairs)
    otherwise = _number(raw.get("otherwise", 0), f"{where} otherwise", low=0, high=100)
    return Criterion(axis, metric, normalise, weight, better, low, high, steps, otherwise)


def parse(definition: Any) -> Definition:
    """Check a definition and return it typed; ModelError says what is wrong."""
    if not isinstance(definition, dict):
        raise ModelError(gettext("the model must be a table"))
    criteria: list[Criterion] = []
    for axis in AXES:
        raw = definition.get(axis)
        if not isinstance(raw, list) or not raw:
            raise ModelError(f"{axis}: " + gettext("at least one criterion is needed"))
        criteria += [_criterion(axis, i, c) for i, c in enumerate(raw)]
    cells = definition.get("cells") or {}
    priority = definition.get("priority") or {}
    proposal = definition.get("proposal") or {}
    return Definition(
        criteria=tuple(criteria),
        potential_high=_number(cells.get("potential"), "cells potential", low=0, high=100),
        attractiveness_high=_number(
            cells.get("attractiveness"), "cells attractiveness", low=0, high=100
        ),
        potential_uplift=_number(
            priority.get("potential_uplift", 0), "priority potential_uplift", low=0, high=10
        ),
        key_cells=_cells(proposal.get("key_cells"), "proposal key_cells"),
        key_top_share=_number(
            proposal.get("key_top_share"), "proposal key_top_share", low=0, high=1
        ),
        potential_key_cells=_cells(
            proposal.get("potential_key_cells"), "proposal potential_key_cells"
        ),
        potential_key_min_potential=_number(
            proposal.get("potential_key_min_potential"),
            "proposal potential_key_min_potential",
            low=0,
            high=100,
        ),
    )


def default_definition() -> dict[str, Any]:
    """The model shipped with the project (the first version of every installation)."""
    with DEFAULT_MODEL_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    parse(data)
    return data


# --- Scoring -----------------------------------------------------------------------------------


def _normalised(criterion: Criterion) -> pl.Expr:
    """The criterion's 0–100 value per client; null where the client has no value."""
    value = pl.col(criterion.metric).cast(pl.Float64)
    value = pl.when(value.is_not_nan()).then(value)
    if criterion.normalise == "percentile":
        count = value.count()
        rank = value.rank("average", descending=criterion.better == "lower")
        score = pl.when(count > 1).then((rank - 1) / (count - 1) * 100).otherwise(50.0)
    elif criterion.normalise == "minmax":
        low = pl.lit(criterion.min) if criterion.min is not None else value.min()
        high = pl.lit(criterion.max) if criterion.max is not None else value.max()
        span = high - low
        share = pl.when(span > 0).then((value - low) / span).otherwise(0.5).clip(0.0, 1.0)
        score = share * 100 if criterion.better == "higher" else (1 - share) * 100
    else:
        chain: Any = pl
        for bound, points in criterion.steps:
            reached = value >= bound if criterion.better == "higher" else value <= bound
            chain = chain.when(reached).then(pl.lit(points))
        score = chain.otherwise(pl.lit(criterion.otherwise))
    return pl.when(value.is_not_null()).then(score.cast(pl.Float64))


def _axis(definition: Definition, axis: str, names: list[str]) -> pl.Expr:
    criteria = definition.axis(axis)
    points = pl.sum_horizontal(
        [pl.col(n).fill_null(0) * c.weight for n, c in zip(names, criteria, strict=True)]
    )
    weights = pl.sum_horizontal(
        [
            pl.col(n).is_not_null().cast(pl.Float64) * c.weight
            for n, c in zip(names, criteria, strict=True)
        ]
    )
    return pl.when(weights > 0).then(points / weights).otherwise(0.0).alias(axis)


def cell_expr(definition: Definition) -> pl.Expr:
    high_p = pl.col("potential") >= definition.potential_high
    high_a = pl.col("attractiveness") >= definition.attractiveness_high
    return (
        pl.when(high_p & high_a)
        .then(pl.lit(Cell.STRATEGIC.value))
        .when(high_p)
        .then(pl.lit(Cell.STAR.value))
        .when(high_a)
        .then(pl.lit(Cell.STATUS.value))
        .otherwise(pl.lit(Cell.STREAMLINE.value))
        .alias("cell")
    )


def score(metrics: pl.DataFrame, definition: Definition) -> pl.DataFrame:
    """Add the normalised criteria (``n0``, ``n1``, … and ``normalised``, a JSON list),
    potential, attractiveness, cell, priority, priority_rank, proposed_status and change
    (against ``status``) to a metrics frame."""
    names = [f"n{i}" for i in range(len(definition.criteria))]
    frame = metrics.with_columns(
        [_normalised(c).alias(n) for n, c in zip(names, definition.criteria, strict=True)]
    )
    p_names = names[: len(definition.axis("potential"))]
    a_names = names[len(p_names) :]
    frame = frame.with_columns(
        _axis(definition, "potential", p_names), _axis(definition, "attractiveness", a_names)
    )
    priority = pl.col("forecast_12m") * (
        1 + definition.potential_uplift * pl.col("potential") / 100
    )
    frame = frame.with_columns(cell_expr(definition), priority.alias("priority"))
    frame = frame.with_columns(
        pl.col("priority").rank("ordinal", descending=True).cast(pl.Int64).alias("priority_rank")
    )
    buyers = frame.filter(pl.col("revenue_12m") > 0).height
    key_places = math.ceil(definition.key_top_share * buyers)
    is_key = (
        pl.col("cell").is_in(list(definition.key_cells))
        & (pl.col("priority_rank") <= key_places)
        & (pl.col("priority") > 0)
    )
    is_potential = pl.col("cell").is_in(list(definition.potential_key_cells)) & (
        pl.col("potential") >= definition.potential_key_min_potential
    )
    proposed = (
        pl.when(is_key)
        .then(pl.lit(ClientStatus.KEY.value))
        .when(is_potential)
        .then(pl.lit(ClientStatus.POTENTIAL_KEY.value))
        .otherwise(pl.lit(ClientStatus.STANDARD.value))
    )
    rank = {str(status.value): place for status, place in STATUS_RANK.items()}
    frame = frame.with_columns(proposed.alias("proposed_status"))
    proposed_rank = pl.col("proposed_status").replace_strict(rank, return_dtype=pl.Int8)
    current_rank = pl.col("status").replace_strict(rank, default=0, return_dtype=pl.Int8)
    change = (
        pl.when(proposed_rank > current_rank)
        .then(pl.lit(Change.PROMOTE.value))
        .when(proposed_rank < current_rank)
        .then(pl.lit(Change.DEMOTE.value))
        .otherwise(pl.lit(Change.KEEP.value))
    )
    as_json = pl.concat_str(
        [pl.col(n).round(4).cast(pl.String).fill_null("null") for n in names], separator=","
    )
    return frame.with_columns(
        change.alias("change"),
        pl.format("[{}]", as_json).alias("normalised"),
    )


def explain(
    definition: Definition, values: dict[str, Any], normalised: list[Any]
) -> dict[str, Any]:
    """Per axis: each criterion's value, normalised value, weight (as a share of the weights
    that counted) and contribution in points; the contributions add up to the axis score."""
    result: dict[str, Any] = {}
    offset = 0
    for axis in AXES:
        criteria = definition.axis(axis)
        marks = normalised[offset : offset + len(criteria)]
        offset += len(criteria)
        counted = sum(c.weight for c, n in zip(criteria, marks, strict=True) if n is not None)
        rows = []
        for criterion, mark in zip(criteria, marks, strict=True):
            share = criterion.weight / counted if mark is not None and counted else 0.0
            rows.append(
                {
                    "metric": criterion.metric,
                    "label": criterion.label,
                    "value": values.get(criterion.metric),
                    "normalised": mark,
                    "weight": criterion.weight,
                    "weight_share": share,
                    "contribution": (mark or 0.0) * share,
                    "missing": mark is None,
                }
            )
        result[axis] = {"score": sum(r["contribution"] for r in rows), "criteria": rows}
    return result
