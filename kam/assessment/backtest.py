"""Back-test: score clients with the data up to a date, then see what they bought next.

The model's top K clients by key-account priority are compared with the top K by trailing
12-month revenue (the baseline), K being the size of the ABC "A" set at the date; the share of
the next H months' revenue each set bought says which picks better. Profile facts have no
history: the back-test uses today's (the only bias it cannot remove).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import polars as pl

from kam.assessment import scoring
from kam.assessment.frames import assessment_frames, read_frames, real
from kam.assessment.metrics import Window, client_metrics
from kam.clients.choices import ClientStatus


def _next_revenue(window: Window, horizon_months: int) -> pl.DataFrame:
    first = window.month(-1)
    last = window.month(-horizon_months)
    sql = (
        f"SELECT client_id, SUM({real('revenue')}) AS next "
        "FROM ledger_monthlyrollup WHERE month >= %s AND month <= %s GROUP BY client_id"
    )
    return read_frames({"next": (sql, [first, last], {"client_id": pl.Int64, "next": pl.Float64})})[
        "next"
    ]


def _top_share(frame: pl.DataFrame, by: str, k: int, total: float) -> float:
    top = frame.sort([by, "client_id"], descending=[True, False], nulls_last=True).head(k)
    return float(top["next"].sum()) / total if total > 0 else 0.0


def backtest(
    *, as_of: dt.date, horizon_months: int, definition: scoring.Definition
) -> dict[str, Any]:
    """The figures of the back-test (see the module's docstring)."""
    if not 1 <= horizon_months <= 24:
        raise ValueError("the horizon is 1 to 24 months")
    started = time.perf_counter()
    window = Window.of(as_of)
    frames = assessment_frames(window)
    metrics = client_metrics(
        frames["clients"],
        frames["rollup"],
        frames["documents"],
        frames["payments"],
        frames["prior"],
        window,
    )
    scored = scoring.score(metrics, definition)
    last = window.month(0)
    before = (
        frames["rollup"]
        .filter(pl.col("month") >= window.month(horizon_months - 1), pl.col("month") <= last)
        .group_by("client_id")
        .agg(pl.col("revenue").sum().alias("before"))
    )
    frame = (
        scored.select("client_id", "abc", "revenue_12m", "priority", "proposed_status")
        .join(_next_revenue(window, horizon_months), on="client_id", how="left")
        .join(before, on="client_id", how="left")
        .with_columns(pl.col("next", "before").fill_null(0.0))
    )
    k = frame.filter(pl.col("abc") == "A").height
    total = float(frame["next"].clip(lower_bound=0).sum())
    growth = pl.when(pl.col("before") > 0).then(pl.col("next") / pl.col("before") - 1)
    frame = frame.with_columns(growth.alias("growth"))
    group = pl.col("proposed_status") == ClientStatus.POTENTIAL_KEY

    def median(expr: pl.Expr) -> float | None:
        value = frame.filter(expr & pl.col("growth").is_not_null())["growth"].median()
        return None if value is None else round(float(value), 4)  # type: ignore[arg-type]

    return {
        "as_of": as_of.isoformat(),
        "data_to": window.period_end.isoformat(),
        "horizon_months": horizon_months,
        "clients": frame.height,
        "k": k,
        "model_next_revenue_share": round(_top_share(frame, "priority", k, total), 4),
        "baseline_next_revenue_share": round(_top_share(frame, "revenue_12m", k, total), 4),
        "potential_group": int(frame.filter(group).height),
        "potential_group_median_growth": median(group),
        "rest_median_growth": median(~group),
        "seconds": round(time.perf_counter() - started, 3),
    }
