"""The scoring model: definitions are checked, scores follow the criteria, explanations add up."""

from __future__ import annotations

import copy
from typing import Any

import polars as pl
import pytest

from kam.assessment import scoring
from kam.assessment.metrics import METRIC_SCHEMA


def _metrics(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = [{name: None for name in METRIC_SCHEMA} | {"status": "standard"} | row for row in rows]
    frame = pl.DataFrame(full, schema={"client_id": pl.Int64, "status": pl.String, **METRIC_SCHEMA})
    return frame.with_columns(pl.col("revenue_12m", "forecast_12m").fill_null(0.0))


def _definition(**changes: Any) -> dict[str, Any]:
    definition = {
        "potential": [
            {"metric": "purchase_potential", "normalise": "percentile", "weight": 3},
            {
                "metric": "growth",
                "normalise": "thresholds",
                "steps": [[0.3, 100], [0.0, 50]],
                "otherwise": 0,
                "weight": 1,
            },
        ],
        "attractiveness": [
            {"metric": "margin_pct", "normalise": "minmax", "min": 0.1, "max": 0.3, "weight": 1},
            {
                "metric": "days_overdue_avg",
                "normalise": "thresholds",
                "better": "lower",
                "steps": [[5, 100], [30, 50]],
                "weight": 1,
            },
        ],
        "cells": {"potential": 50, "attractiveness": 50},
        "proposal": {
            "key_cells": ["strategic", "status"],
            "key_top_share": 0.25,
            "potential_key_cells": ["strategic"],
            "potential_key_min_potential": 60,
        },
    }
    definition.update(changes)
    return definition


def test_the_shipped_model_is_valid_and_readable() -> None:
    definition = scoring.parse(scoring.default_definition())
    assert definition.axis("potential") and definition.axis("attractiveness")
    assert all(c.metric in scoring.METRIC_LABELS for c in definition.criteria)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["potential"][0].update(metric="nonsense"),
            "potential criterion 1: unknown metric",
        ),
        (
            lambda d: d["potential"][0].update(weight=0),
            "potential criterion 1 weight: must be above zero",
        ),
        (lambda d: d["potential"][0].update(normalise="log"), "normalise must be one of"),
        (
            lambda d: d["potential"][1].update(steps=[[0.0, 50], [0.3, 100]]),
            "step bounds must be descending",
        ),
        (
            lambda d: d["attractiveness"][1].update(steps=[[30, 50], [5, 100]]),
            "step bounds must be ascending",
        ),
        (lambda d: d["attractiveness"][0].update(max=0.05), "max must be above min"),
        (lambda d: d["potential"][1].update(steps=[[0.3, 120]]), "step 1 score: 120 is outside"),
        (lambda d: d.update(attractiveness=[]), "attractiveness: at least one criterion"),
        (lambda d: d["cells"].update(potential="high"), "cells potential: a number is expected"),
        (lambda d: d["proposal"].update(key_cells=["gold"]), "proposal key_cells"),
    ],
)
def test_a_bad_definition_is_refused_with_the_place_and_reason(change, message) -> None:  # type: ignore[no-untyped-def]
    definition = copy.deepcopy(_definition())
    change(definition)
    with pytest.raises(scoring.ModelError, match=message):
        scoring.parse(definition)


def test_scores_cells_and_proposals() -> None:
    metrics = _metrics(
        [
            # big, growing, profitable, pays on time
            {
                "client_id": 1,
                "purchase_potential": 1000.0,
                "growth": 0.5,
                "margin_pct": 0.3,
                "days_overdue_avg": 0.0,
                "revenue_12m": 500.0,
                "forecast_12m": 500.0,
            },
            # large potential but pays very late and earns little
            {
                "client_id": 2,
                "purchase_potential": 900.0,
                "growth": 0.1,
                "margin_pct": 0.1,
                "days_overdue_avg": 90.0,
                "revenue_12m": 50.0,
                "forecast_12m": 50.0,
            },
            # small, no potential known, profitable
            {
                "client_id": 3,
                "growth": -0.2,
                "margin_pct": 0.25,
                "days_overdue_avg": 2.0,
                "revenue_12m": 100.0,
                "forecast_12m": 100.0,
            },
            # medium, profitable, already key
            {
                "client_id": 4,
                "purchase_potential": 950.0,
                "growth": 0.35,
                "margin_pct": 0.2,
                "days_overdue_avg": 10.0,
                "revenue_12m": 80.0,
                "forecast_12m": 80.0,
                "status": "key",
            },
        ]
    )
    scored = {
        r["client_id"]: r for r in scoring.score(metrics, scoring.parse(_definition())).to_dicts()
    }
    one, two, three, four = scored[1], scored[2], scored[3], scored[4]
    # Percentile of the three known potentials (1000 → 100, 950 → 50, 900 → 0) weighted 3, growth step weighted 1.
    assert one["potential"] == pytest.approx((100 * 3 + 100) / 4)
    assert two["potential"] == pytest.approx((0 * 3 + 50) / 4)
    assert four["potential"] == pytest.approx((50 * 3 + 100) / 4)
    # No purchase potential: scored on growth alone (the weight moves to what is known).
    assert three["potential"] == pytest.approx(0.0)
    assert one["attractiveness"] == pytest.approx(100)
    assert two["attractiveness"] == pytest.approx(0)
    assert three["attractiveness"] == pytest.approx((75 + 100) / 2)
    assert [c["cell"] for c in (one, two, three, four)] == [
        "strategic",
        "streamline",
        "status",
        "strategic",
    ]
    # Top 25 % of four buyers = one key place: the highest priority in a key cell.
    assert one["proposed_status"] == "key" and one["change"] == "promote"
    assert two["proposed_status"] == "standard"
    assert four["proposed_status"] == "potential_key" and four["change"] == "demote"
    assert three["change"] == "keep"
    assert one["priority_rank"] == 1
    assert one["normalised"] == "[100.0,100.0,100.0,100.0]"


def test_potential_uplift_raises_priority_of_high_potential() -> None:
    metrics = _metrics(
        [
            {
                "client_id": 1,
                "purchase_potential": 10.0,
                "forecast_12m": 100.0,
                "revenue_12m": 100.0,
            },
            {
                "client_id": 2,
                "purchase_potential": 1000.0,
                "forecast_12m": 90.0,
                "revenue_12m": 90.0,
            },
        ]
    )
    plain = scoring.score(metrics, scoring.parse(_definition()))
    raised = scoring.score(metrics, scoring.parse(_definition(priority={"potential_uplift": 1.0})))
    assert plain.sort("priority_rank")["client_id"].to_list() == [1, 2]
    assert raised.sort("priority_rank")["client_id"].to_list() == [2, 1]


def test_explanation_contributions_add_up_to_the_scores() -> None:
    metrics = _metrics(
        [
            {
                "client_id": 1,
                "purchase_potential": 1000.0,
                "growth": 0.1,
                "margin_pct": 0.2,
                "days_overdue_avg": 12.0,
            },
            {"client_id": 2, "growth": 0.4, "margin_pct": 0.15},
        ]
    )
    definition = scoring.parse(_definition())
    for row in scoring.score(metrics, definition).to_dicts():
        import json

        explained = scoring.explain(definition, row, json.loads(row["normalised"]))
        for axis in ("potential", "attractiveness"):
            assert explained[axis]["score"] == pytest.approx(row[axis], abs=0.1)
            shares = [c["weight_share"] for c in explained[axis]["criteria"] if not c["missing"]]
            assert sum(shares) == pytest.approx(1.0)
    second = scoring.explain(definition, {"growth": 0.4}, [None, 100.0, 25.0, None])
    assert second["potential"]["criteria"][0]["missing"] is True
    assert second["potential"]["score"] == pytest.approx(100.0)
