"""Metrics as pure functions: hand-computed cases, and the pandas way on generated data."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from kam.assessment.metrics import (
    CLIENT_SCHEMA,
    DOCUMENT_SCHEMA,
    METRIC_SCHEMA,
    PAYMENT_SCHEMA,
    PRIOR_SCHEMA,
    ROLLUP_SCHEMA,
    Window,
    client_metrics,
    payment_discipline,
)

D = dt.date


def test_window_uses_whole_months() -> None:
    assert Window.of(D(2026, 11, 26)).period_end == D(2026, 10, 31)
    assert Window.of(D(2026, 10, 31)).period_end == D(2026, 10, 31)
    assert Window.of(D(2024, 3, 1)).period_end == D(2024, 2, 29)
    window = Window.of(D(2026, 10, 31))
    assert window.start_12m == D(2025, 11, 1)
    assert window.start_24m == D(2024, 11, 1)


def _clients(*ids: int, **columns: list[object]) -> pl.DataFrame:
    data: dict[str, list[object]] = {name: [None] * len(ids) for name in CLIENT_SCHEMA}
    data["client_id"] = list(ids)
    data["status"] = ["standard"] * len(ids)
    data["decision_makers"] = [0] * len(ids)
    data["profile_completeness"] = [0.0] * len(ids)
    data.update(columns)
    return pl.DataFrame(data, schema=CLIENT_SCHEMA)


def _rollup(rows: list[tuple[int, dt.date, str, float, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=ROLLUP_SCHEMA, orient="row")


EMPTY_DOCS = pl.DataFrame(schema=DOCUMENT_SCHEMA)
EMPTY_PAYMENTS = pl.DataFrame(schema=PAYMENT_SCHEMA)
EMPTY_PRIOR = pl.DataFrame(schema=PRIOR_SCHEMA)
WINDOW = Window.of(D(2026, 10, 31))


def _metrics(
    clients: pl.DataFrame, rollup: pl.DataFrame, **frames: pl.DataFrame
) -> dict[int, dict]:
    result = client_metrics(
        clients,
        rollup,
        frames.get("documents", EMPTY_DOCS),
        frames.get("payments", EMPTY_PAYMENTS),
        frames.get("prior", EMPTY_PRIOR),
        WINDOW,
    )
    assert list(result.columns) == ["client_id", "status", *METRIC_SCHEMA]
    return {row["client_id"]: row for row in result.to_dicts()}


def test_revenue_margin_growth_breadth_and_variability() -> None:
    rollup = _rollup(
        [
            # client 1: 12 months of 100 (this year, two groups), 50 a month last year
            *[
                (1, D(2025, 11 + m, 1) if m < 2 else D(2026, m - 1, 1), "A", 60.0, 15.0)
                for m in range(12)
            ],
            *[
                (1, D(2025, 11 + m, 1) if m < 2 else D(2026, m - 1, 1), "B", 40.0, 5.0)
                for m in range(12)
            ],
            *[
                (1, D(2024, 11 + m, 1) if m < 2 else D(2025, m - 1, 1), "A", 50.0, None)
                for m in range(12)
            ],
            # client 2: bought once, no cost known
            (2, D(2026, 3, 1), "A", 120.0, None),
            # outside the window: ignored
            (2, D(2026, 11, 1), "A", 1000.0, 1.0),
            (2, D(2024, 10, 1), "A", 1000.0, 1.0),
        ]
    )
    m = _metrics(_clients(1, 2, 3), rollup)
    one, two, three = m[1], m[2], m[3]
    assert one["revenue_12m"] == pytest.approx(1200)
    assert one["revenue_prev_12m"] == pytest.approx(600)
    assert one["growth"] == pytest.approx(1.0)
    assert one["margin_12m"] == pytest.approx(240)
    assert one["margin_pct"] == pytest.approx(0.2)
    assert one["margin_prev_12m"] is None  # no cost known last year: unknown, not zero
    assert one["active_months"] == 12
    assert one["product_groups"] == 2
    assert one["revenue_cv"] == pytest.approx(0.0)
    assert one["xyz"] == "X"
    assert one["trend_6m"] == pytest.approx(1.0)
    assert two["revenue_12m"] == pytest.approx(120)
    assert two["margin_12m"] is None and two["margin_pct"] is None
    assert two["growth"] is None  # nothing the year before
    assert two["active_months"] == 1
    # One month of 12: the standard deviation is sqrt(12)·mean of the series.
    assert two["revenue_cv"] == pytest.approx(12**0.5)
    assert two["xyz"] == "Z"
    assert three["revenue_12m"] == 0 and three["abc"] is None and three["xyz"] is None
    assert three["rfm_m"] is None


def test_abc_is_the_smallest_set_reaching_80_percent() -> None:
    revenue = {1: 50.0, 2: 30.0, 3: 10.0, 4: 5.0, 5: 5.0, 6: -3.0}
    rollup = _rollup([(c, D(2026, 5, 1), "A", r, None) for c, r in revenue.items()])
    m = _metrics(_clients(*revenue), rollup)
    assert {c: m[c]["abc"] for c in revenue} == {1: "A", 2: "A", 3: "B", 4: "B", 5: "C", 6: None}
    # RFM monetary quintiles among the five that bought.
    assert [m[c]["rfm_m"] for c in (1, 2, 3, 6)] == [5, 4, 3, None]


def test_forecast_weights_recent_months() -> None:
    recent = _rollup([(1, D(2026, 10, 1), "A", 100.0, None)])
    old = _rollup([(1, D(2024, 11, 1), "A", 100.0, None)])
    late = _metrics(_clients(1), recent)[1]["forecast_12m"]
    early = _metrics(_clients(1), old)[1]["forecast_12m"]
    assert late > 100 > early > 0
    # Halving every six months: 23 months back weighs 0.5 ** (23 / 6) of the last month.
    assert early / late == pytest.approx(0.5 ** (23 / 6))


def test_share_of_wallet_gap_and_holding_totals() -> None:
    rollup = _rollup([(1, D(2026, 1, 1), "A", 100.0, None), (2, D(2026, 1, 1), "A", 300.0, None)])
    clients = _clients(1, 2, 3, purchase_potential=[1000.0, None, 50.0], group_id=[7, 7, None])
    m = _metrics(clients, rollup)
    assert m[1]["share_of_wallet"] == pytest.approx(0.1)
    assert m[1]["potential_gap"] == pytest.approx(900)
    assert m[2]["share_of_wallet"] is None and m[2]["potential_gap"] is None
    assert m[3]["potential_gap"] == pytest.approx(50)
    assert m[1]["group_revenue_12m"] == m[2]["group_revenue_12m"] == pytest.approx(400)
    assert m[3]["group_revenue_12m"] is None


def _docs(rows: list[tuple[int, dt.date, dt.date, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DOCUMENT_SCHEMA, orient="row")


def _payments(rows: list[tuple[int, dt.date, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PAYMENT_SCHEMA, orient="row")


def test_payments_settle_the_oldest_invoice_first() -> None:
    documents = _docs(
        [
            (1, D(2026, 1, 1), D(2026, 1, 31), 100.0),  # paid 10 Feb: 10 days late
            (1, D(2026, 2, 1), D(2026, 3, 3), 100.0),  # paid 1 Mar: on time
            (1, D(2026, 9, 1), D(2026, 10, 1), 50.0),  # never paid: 30 days late at 31 Oct
            (2, D(2026, 3, 1), D(2026, 3, 1), 80.0),  # half paid by a return, half in cash
            (2, D(2026, 3, 2), D(2026, 3, 2), -40.0),
        ]
    )
    payments = _payments(
        [(1, D(2026, 2, 10), 100.0), (1, D(2026, 3, 1), 100.0), (2, D(2026, 3, 5), 40.0)]
    )
    result = {
        r["client_id"]: r
        for r in payment_discipline(documents, payments, EMPTY_PRIOR, WINDOW).to_dicts()
    }
    assert result[1]["days_overdue_max"] == 30
    assert result[1]["days_overdue_avg"] == pytest.approx((10 + 0 + 30) / 3)
    assert result[1]["late_share"] == pytest.approx(2 / 3)
    assert result[2]["days_overdue_max"] == 4  # settled on 5 March, due on 1 March


def test_debt_from_before_the_window_is_paid_first() -> None:
    documents = _docs([(1, D(2026, 1, 1), D(2026, 1, 11), 100.0)])
    payments = _payments([(1, D(2026, 1, 5), 100.0), (1, D(2026, 2, 20), 100.0)])
    prior = pl.DataFrame(
        {"client_id": [1], "invoiced": [500.0], "paid": [400.0]}, schema=PRIOR_SCHEMA
    )
    result = payment_discipline(documents, payments, prior, WINDOW).to_dicts()[0]
    # The January payment covers the 100 owed from before; the invoice waits for 20 February.
    assert result["days_overdue_max"] == 40
    without = payment_discipline(documents, payments, EMPTY_PRIOR, WINDOW).to_dicts()[0]
    assert without["days_overdue_max"] == 0
