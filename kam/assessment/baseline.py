"""The straightforward pandas way of computing the assessment metrics: the benchmark's
baseline (``make bench``: assess_100k) and an independent check of kam.assessment.metrics
(the tests compare both on generated data).

Written as an analyst would: pandas group-bys, boolean masks, and a per-client loop where
the logic is sequential (payments settling invoices oldest first). pandas is a development
dependency only; nothing in the app imports this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kam.assessment.metrics import ABC_SHARES, CENT, FORECAST_HALF_LIFE, XYZ_LIMITS, Window


def _age(months: pd.Series, window: Window) -> pd.Series:
    last = window.period_end.year * 12 + window.period_end.month - 1
    return last - (months.dt.year * 12 + months.dt.month - 1)


def _settle(group: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """One client's invoices with the day each was settled (oldest first), by a loop."""
    invoices = group[group["kind"] == "invoice"].sort_values(["date", "due_date"], kind="stable")
    money = group[group["kind"] == "money"].sort_values("date", kind="stable")
    owed_before = float(group["owed_before"].iloc[0])
    paid_dates = money["date"].tolist()
    paid_amounts = money["amount"].tolist()
    received, j = 0.0, 0
    need = owed_before
    settled = []
    for amount in invoices["amount"]:
        need += amount
        while received < need - CENT and j < len(paid_amounts):
            received += paid_amounts[j]
            j += 1
        settled.append(paid_dates[j - 1] if received >= need - CENT and j > 0 else pd.NaT)
    out = invoices[["due_date"]].copy()
    out["settled"] = settled
    # Already covered before the first payment of the window: settled on the first day.
    return out


def client_metrics_pandas(
    clients: pd.DataFrame,
    rollup: pd.DataFrame,
    documents: pd.DataFrame,
    payments: pd.DataFrame,
    prior: pd.DataFrame,
    window: Window,
) -> pd.DataFrame:
    end = pd.Timestamp(window.period_end)
    start_12 = pd.Timestamp(window.start_12m)
    rollup = rollup.copy()
    rollup["month"] = pd.to_datetime(rollup["month"])
    rollup["age"] = _age(rollup["month"], window)
    rollup = rollup[(rollup["age"] >= 0) & (rollup["age"] <= 23)]

    monthly = (
        rollup.groupby(["client_id", "age"])
        .agg(revenue=("revenue", "sum"), margin=("margin", lambda s: s.sum(min_count=1)))
        .reset_index()
    )
    recent = monthly[monthly["age"] < 12]
    previous = monthly[monthly["age"] >= 12]
    out = pd.DataFrame({"client_id": clients["client_id"], "status": clients["status"]})
    out = out.set_index("client_id")
    out["revenue_12m"] = recent.groupby("client_id")["revenue"].sum()
    out["revenue_prev_12m"] = previous.groupby("client_id")["revenue"].sum()
    out["margin_12m"] = recent.groupby("client_id")["margin"].sum(min_count=1)
    out["margin_prev_12m"] = previous.groupby("client_id")["margin"].sum(min_count=1)
    out[["revenue_12m", "revenue_prev_12m"]] = out[["revenue_12m", "revenue_prev_12m"]].fillna(0.0)
    out["growth"] = np.where(
        out["revenue_prev_12m"] > 0, out["revenue_12m"] / out["revenue_prev_12m"] - 1, np.nan
    )
    last6 = monthly[monthly["age"] < 6].groupby("client_id")["revenue"].sum()
    year_ago6 = monthly[monthly["age"].between(12, 17)].groupby("client_id")["revenue"].sum()
    out["trend_6m"] = (last6.reindex(out.index).fillna(0) / year_ago6.reindex(out.index)) - 1
    out.loc[~(year_ago6.reindex(out.index) > 0), "trend_6m"] = np.nan
    out["margin_pct"] = np.where(
        out["revenue_12m"] > 0, out["margin_12m"] / out["revenue_12m"], np.nan
    )
    out["active_months"] = recent[recent["revenue"] > 0].groupby("client_id").size()
    out["active_months"] = out["active_months"].fillna(0).astype(int)
    bought = rollup[(rollup["age"] < 12) & (rollup["revenue"] > 0)]
    out["product_groups"] = bought.groupby("client_id")["product_group"].nunique()
    out["product_groups"] = out["product_groups"].fillna(0).astype(int)
    # Coefficient of variation over 12 months, months without purchases as zeros.
    series = recent.pivot_table(index="client_id", columns="age", values="revenue", aggfunc="sum")
    series = series.reindex(columns=range(12)).fillna(0.0)
    mean = series.mean(axis=1)
    out["revenue_cv"] = (series.std(axis=1, ddof=1) / mean).where(mean > 0)
    weights = 0.5 ** (monthly["age"] / FORECAST_HALF_LIFE)
    weighted = (monthly["revenue"] * weights).groupby(monthly["client_id"]).sum()
    norm = 12.0 / sum(0.5 ** (age / FORECAST_HALF_LIFE) for age in range(24))
    out["forecast_12m"] = (weighted * norm).clip(lower=0).reindex(out.index).fillna(0.0)

    documents = documents.copy()
    documents["date"] = pd.to_datetime(documents["date"])
    documents["due_date"] = pd.to_datetime(documents["due_date"])
    documents = documents[documents["date"] <= end]
    sales = documents[documents["amount"] > 0]
    out["documents_12m"] = sales[sales["date"] >= start_12].groupby("client_id").size()
    out["documents_12m"] = out["documents_12m"].fillna(0).astype(int)
    out["recency_days"] = (end - sales.groupby("client_id")["date"].max()).dt.days

    payments = payments.copy()
    payments["date"] = pd.to_datetime(payments["date"])
    payments = payments[payments["date"] <= end]
    columns = ["client_id", "date", "due_date", "amount", "kind"]
    invoices = sales.assign(kind="invoice")[columns]
    cash = payments.assign(kind="money")
    cash["due_date"] = pd.NaT
    returns = documents[documents["amount"] < 0].assign(kind="money")
    returns["amount"] = -returns["amount"]
    events = pd.concat([invoices, cash[columns], returns[columns]])
    owed = prior.set_index("client_id")
    owed_before = owed["invoiced"].fillna(0) - owed["paid"].fillna(0)
    events["owed_before"] = events["client_id"].map(owed_before).fillna(0.0)
    settled = events.groupby("client_id", group_keys=True).apply(_settle, end=end)
    settled = settled.reset_index(level=0)
    settled = settled[(settled["due_date"] >= start_12) & (settled["due_date"] <= end)]
    until = pd.to_datetime(settled["settled"]).fillna(end).clip(upper=end)
    settled["late"] = (until - settled["due_date"]).dt.days.clip(lower=0)
    discipline = settled.groupby("client_id")["late"]
    out["days_overdue_avg"] = discipline.mean()
    out["days_overdue_max"] = discipline.max()
    out["late_share"] = (
        settled.assign(is_late=settled["late"] > 0).groupby("client_id")["is_late"].mean()
    )

    # ABC by cumulative share, XYZ by variability, RFM quintiles.
    ranked = out["revenue_12m"].clip(lower=0).sort_values(ascending=False, kind="stable")
    before = (ranked.cumsum() - ranked) / ranked.sum()
    abc = pd.Series(
        np.where(before < ABC_SHARES[0], "A", np.where(before < ABC_SHARES[1], "B", "C")),
        index=ranked.index,
    )
    out["abc"] = abc.where(out["revenue_12m"] > 0)
    out["xyz"] = np.select(
        [
            out["revenue_cv"].isna(),
            out["revenue_cv"] <= XYZ_LIMITS[0],
            out["revenue_cv"] <= XYZ_LIMITS[1],
        ],
        [None, "X", "Y"],
        "Z",
    )
    buyers = out["revenue_12m"] > 0

    def quintile(values: pd.Series, ascending: bool) -> pd.Series:
        fifths = values.rank(method="average", ascending=ascending) * 5 / values.count()
        return np.ceil(fifths).clip(1, 5)

    out["rfm_r"] = quintile(out.loc[buyers, "recency_days"], ascending=False)
    out["rfm_f"] = quintile(out.loc[buyers, "documents_12m"], ascending=True)
    out["rfm_m"] = quintile(out.loc[buyers, "revenue_12m"], ascending=True)

    facts = clients.set_index("client_id")
    potential = facts["purchase_potential"]
    out["share_of_wallet"] = (out["revenue_12m"] / potential).where(potential > 0)
    out["purchase_potential"] = potential
    out["potential_gap"] = (potential - out["revenue_12m"].clip(lower=0)).clip(lower=0)
    for name in ("annual_revenue", "employees", "decision_makers", "profile_completeness"):
        out[name] = facts[name]
    group = facts["group_id"]
    totals = out["revenue_12m"].groupby(group).sum()
    out["group_revenue_12m"] = group.map(totals)
    return out.reset_index()


def to_pandas(frames: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The Polars frames of kam.assessment.frames as pandas frames."""
    return {name: frame.to_pandas() for name, frame in frames.items()}
