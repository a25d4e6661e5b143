# mypy: ignore-errors
# (pandas-stubs are stricter than pandas; the test checks the results instead.)
"""The straightforward pandas way of auditing the sales documents: the benchmark's baseline
(``make bench``: audit_1m) and an independent check of the facts and conditions of
kam.rules.facts.ledger and kam.rules.engine (a test compares both on generated data).

Written as an analyst would: ``pandas.read_sql`` of the tables, merges, group-bys and
``merge_asof`` for "on the document's date", and a boolean mask per rule. pandas is a
development dependency only; nothing in the app imports this module.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

CENT = 0.005

#: The conditions of the sales-document rules (the default rulebook's and the benchmark's
#: variants), as masks over the facts, with the rule's parameters.
Mask = Callable[[pd.DataFrame, dict[str, Any]], pd.Series]
CONDITIONS: dict[str, Mask] = {
    "deferred_payment_requires_credit_approval": lambda f, p: (
        (f["payment_terms_days"] > 0)
        & (~f["has_valid_credit_decision"] | (f["credit_max_terms_days"] < f["payment_terms_days"]))
    ),
    "credit_limit_exceeded": lambda f, p: (
        (f["payment_terms_days"] > 0)
        & f["has_valid_credit_decision"]
        & (f["exposure"] > f["credit_limit"])
    ),
    "deferred_sale_with_overdue_debt": lambda f, p: (
        (f["payment_terms_days"] > 0) & (f["client_overdue_days"] > p["max_overdue_days"])
    ),
    "deferred_sale_with_debt_overdue_90_days": lambda f, p: (
        (f["payment_terms_days"] > 0) & (f["client_overdue_days"] > p["max_overdue_days"])
    ),
    "deferred_sale_with_debt_overdue_60_days": lambda f, p: (
        f["is_deferred"] & (f["client_overdue_days"] > p["max_overdue_days"])
    ),
    "long_terms_require_credit_approval": lambda f, p: (
        (f["payment_terms_days"] > p["long_terms_days"]) & ~f["has_valid_credit_decision"]
    ),
    "deferred_sale_near_credit_limit": lambda f, p: (
        f["is_deferred"]
        & f["has_valid_credit_decision"]
        & (f["exposure"] > f["credit_limit"] * p["share"])
        & (f["exposure"] <= f["credit_limit"])
    ),
    "large_deferred_sale_to_a_debtor": lambda f, p: (
        f["is_deferred"]
        & (f["amount"] > p["big_amount"])
        & (f["client_unpaid_before"] > p["min_debt"])
    ),
    "large_return_reviewed": lambda f, p: f["is_return"] & (f["amount"] < -p["max_return"]),
    "deferred_sale_by_the_responsible_seller": lambda f, p: (
        f["is_deferred"] & ~f["seller_is_responsible"]
    ),
}


def _local_dates(values: pd.Series, zone: str) -> pd.Series:
    """Timestamps (stored in UTC) as the local date."""
    stamps = pd.to_datetime(values, utc=True, format="ISO8601")
    local = stamps.dt.tz_convert(ZoneInfo(zone)).dt.tz_localize(None).dt.normalize()
    return local.astype("datetime64[ns]")


def read_pandas(connection: Any, as_of: dt.date, zone: str) -> dict[str, pd.DataFrame]:
    """The tables the sales-document facts need, read with ``pandas.read_sql``."""
    day = f"'{as_of.isoformat()}'"
    frames = {
        "documents": pd.read_sql(
            "SELECT id AS doc_id, doc_no, client_id, date, due_date, payment_terms_days, "
            f"employee_id, amount FROM ledger_salesdocument WHERE date <= {day}",
            connection,
        ),
        "payments": pd.read_sql(
            f"SELECT client_id, date, amount FROM ledger_payment WHERE date <= {day}",
            connection,
        ),
        "clients": pd.read_sql(
            "SELECT id AS client_id, status, responsible_id FROM clients_client", connection
        ),
        "status": pd.read_sql(
            "SELECT client_id, decided_at, status_before, status FROM assessment_statusdecision",
            connection,
        ),
        "credit": pd.read_sql(
            "SELECT client_id, date, valid_until, revoked_at, credit_limit, max_terms_days, "
            "decision_no FROM credit_creditdecision",
            connection,
        ),
        "employees": pd.read_sql(
            "SELECT e.id AS employee_id, d.kind AS department FROM organization_employee e "
            "LEFT JOIN organization_department d ON d.id = e.department_id",
            connection,
        ),
        "rules": pd.read_sql(
            "SELECT r.code, v.parameters FROM rules_rule r "
            "JOIN rules_ruleversion v ON v.id = r.enabled_version_id "
            "WHERE r.subject_type = 'sales_document'",
            connection,
        ),
    }
    # An empty table reads as columns of objects: give the keys their type.
    for name in ("status", "credit"):
        frames[name] = frames[name].astype({"client_id": "int64"})
    for name, columns in {
        "documents": ["date", "due_date"],
        "payments": ["date"],
        "credit": ["date", "valid_until"],
    }.items():
        for column in columns:
            frames[name][column] = pd.to_datetime(frames[name][column]).astype("datetime64[ns]")
    for name in ("documents", "payments", "credit"):
        column = "credit_limit" if name == "credit" else "amount"
        frames[name][column] = frames[name][column].astype(float)
    frames["status"]["decided_on"] = _local_dates(frames["status"]["decided_at"], zone)
    revoked = frames["credit"]["revoked_at"]
    frames["credit"]["revoked_on"] = (
        _local_dates(revoked, zone)
        if revoked.notna().any()
        else pd.Series(pd.NaT, index=revoked.index, dtype="datetime64[ns]")
    )
    return frames


def sales_document_facts(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every sales document with the facts the rules read, judged on its own date."""
    docs = frames["documents"].sort_values("doc_id").reset_index(drop=True)
    payments = frames["payments"]
    clients = frames["clients"]

    # The client's status on the date: the last decision that day or before; before the
    # first decision, the status it started from; never decided: the current status.
    status = frames["status"].sort_values("decided_on")
    on_date = pd.merge_asof(
        docs[["doc_id", "client_id", "date"]].sort_values("date"),
        status[["client_id", "decided_on", "status"]],
        left_on="date",
        right_on="decided_on",
        by="client_id",
        direction="backward",
    )[["doc_id", "status"]]
    first = status.groupby("client_id")["status_before"].first()
    facts = docs.merge(on_date, on="doc_id", how="left")
    facts["client_status"] = (
        facts["status"]
        .fillna(facts["client_id"].map(first))
        .fillna(facts["client_id"].map(clients.set_index("client_id")["status"]))
        .fillna("standard")
    )
    facts = facts.drop(columns="status")

    # Credit decisions valid on the date.
    credit = frames["credit"]
    pairs = docs[["doc_id", "client_id", "date"]].merge(credit, on="client_id", suffixes=("", "_d"))
    valid = pairs[
        (pairs["date_d"] <= pairs["date"])
        & (pairs["valid_until"].isna() | (pairs["date"] <= pairs["valid_until"]))
        & (pairs["revoked_on"].isna() | (pairs["date"] < pairs["revoked_on"]))
    ]
    per_doc = valid.groupby("doc_id").agg(
        valid_credit_decisions=("decision_no", "size"),
        credit_max_terms_days=("max_terms_days", "max"),
        credit_limit=("credit_limit", "max"),
    )
    facts = facts.merge(per_doc, left_on="doc_id", right_index=True, how="left")
    facts["has_valid_credit_decision"] = facts["valid_credit_decisions"].fillna(0) > 0

    # What the client owed on the date: its documents to the date (this one left out) less
    # its payments to the date; the oldest invoice not covered by payments and returns.
    def running(frame: pd.DataFrame, amount: pd.Series, name: str) -> pd.DataFrame:
        daily = (
            frame.assign(_amount=amount)
            .groupby(["client_id", "date"], as_index=False)["_amount"]
            .sum()
        )
        daily[name] = daily.groupby("client_id")["_amount"].cumsum()
        return daily[["client_id", "date", name]].sort_values("date")

    by_date = facts[["doc_id", "client_id", "date"]].sort_values("date")
    for name, source, amount in (
        ("docs_to_date", docs, docs["amount"]),
        ("paid_to_date", payments, payments["amount"]),
        ("credits_to_date", docs[docs["amount"] < 0], -docs.loc[docs["amount"] < 0, "amount"]),
    ):
        by_date = pd.merge_asof(by_date, running(source, amount, name), on="date", by="client_id")
    money = by_date.fillna({"docs_to_date": 0.0, "paid_to_date": 0.0, "credits_to_date": 0.0})
    money = money.merge(docs[["doc_id", "amount"]], on="doc_id")
    money["unpaid"] = (
        (money["docs_to_date"] - money["amount"] - money["paid_to_date"]).clip(lower=0).round(2)
    )
    money["pool"] = money["paid_to_date"] + money["credits_to_date"] + CENT
    invoices = docs[docs["amount"] > 0].sort_values(["client_id", "date", "doc_id"])
    invoices = invoices.assign(cum=invoices.groupby("client_id")["amount"].cumsum())
    oldest = pd.merge_asof(
        money.sort_values("pool"),
        invoices[["client_id", "cum", "date", "due_date"]]
        .rename(columns={"date": "inv_date", "due_date": "inv_due"})
        .sort_values("cum"),
        left_on="pool",
        right_on="cum",
        by="client_id",
        direction="forward",
    )
    late = (oldest["inv_date"] <= oldest["date"]) & (oldest["inv_due"] < oldest["date"])
    oldest["overdue_days"] = np.where(late, (oldest["date"] - oldest["inv_due"]).dt.days, 0)
    facts = facts.merge(oldest[["doc_id", "unpaid", "overdue_days"]], on="doc_id", how="left")

    staff = frames["employees"].set_index("employee_id")["department"]
    responsible = facts["client_id"].map(clients.set_index("client_id")["responsible_id"])
    facts["is_deferred"] = facts["payment_terms_days"] > 0
    facts["is_return"] = facts["amount"] < 0
    facts["client_unpaid_before"] = facts["unpaid"].fillna(0.0)
    facts["exposure"] = (facts["client_unpaid_before"] + facts["amount"].clip(lower=0)).round(2)
    facts["client_overdue_days"] = facts["overdue_days"].fillna(0).astype(int)
    facts["seller_is_responsible"] = (facts["employee_id"] == responsible) & responsible.notna()
    facts["seller_department"] = facts["employee_id"].map(staff).fillna("")
    return facts


def violations_pandas(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """rule_code, subject_key of every breach of an enabled sales-document rule."""
    facts = sales_document_facts(frames)
    found = []
    for code, parameters in frames["rules"].itertuples(index=False):
        if code not in CONDITIONS:
            raise KeyError(f"no pandas condition for the rule {code!r}")
        values = json.loads(parameters) if isinstance(parameters, str) else parameters
        broken = CONDITIONS[code](facts, values or {}).fillna(False).astype(bool)
        found.append(pd.DataFrame({"rule_code": code, "subject_key": facts.loc[broken, "doc_no"]}))
    if not found:
        return pd.DataFrame({"rule_code": [], "subject_key": []})
    return pd.concat(found, ignore_index=True)
