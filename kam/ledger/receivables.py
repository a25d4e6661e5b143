"""Receivables: what each sales document still owes, and how overdue it is, as of a date.

Payments go to the invoice they name (up to its amount); everything else (payments without
an invoice, the excess over an invoice, returns) pays the client's oldest invoices first.
Pure functions over Polars frames: the same code serves one client's card and the
assessment of every client.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

DOCUMENT_SCHEMA = {
    "client_id": pl.Int64,
    "doc_no": pl.String,
    "date": pl.Date,
    "due_date": pl.Date,
    "amount": pl.Float64,
}
PAYMENT_SCHEMA = {
    "client_id": pl.Int64,
    "doc_no": pl.String,
    "date": pl.Date,
    "amount": pl.Float64,
    "invoice_doc_no": pl.String,
}
# Amounts below a cent are rounding, not debt.
CENT = 0.005


def allocate_payments(
    documents: pl.DataFrame, payments: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame:
    """Per invoice (positive document dated ≤ as_of): paid, unpaid, days overdue at as_of."""
    documents = documents.filter(pl.col("date") <= as_of)
    payments = payments.filter(pl.col("date") <= as_of)
    invoices = documents.filter(pl.col("amount") > 0)
    credits = (
        documents.filter(pl.col("amount") < 0)
        .group_by("client_id")
        .agg((-pl.col("amount").sum()).alias("credit"))
    )

    linked = (
        payments.filter(pl.col("invoice_doc_no").is_not_null() & (pl.col("invoice_doc_no") != ""))
        .group_by("client_id", "invoice_doc_no")
        .agg(pl.col("amount").sum().alias("linked"))
        .rename({"invoice_doc_no": "doc_no"})
    )
    invoices = (
        invoices.join(linked, on=["client_id", "doc_no"], how="left")
        .with_columns(pl.col("linked").fill_null(0.0))
        .with_columns(pl.min_horizontal("linked", "amount").alias("applied"))
    )
    # Linked payments to unknown invoices (or to another client's) also join the pool.
    linked_applied = invoices.group_by("client_id").agg(pl.col("applied").sum())
    pool = (
        payments.group_by("client_id")
        .agg(pl.col("amount").sum().alias("paid_total"))
        .join(linked_applied, on="client_id", how="full", coalesce=True)
        .join(credits, on="client_id", how="full", coalesce=True)
        .select(
            "client_id",
            (
                pl.col("paid_total").fill_null(0)
                - pl.col("applied").fill_null(0)
                + pl.col("credit").fill_null(0)
            ).alias("pool"),
        )
    )
    result = (
        invoices.with_columns((pl.col("amount") - pl.col("applied")).alias("remaining"))
        .sort("client_id", "date", "doc_no")
        .with_columns(
            (pl.col("remaining").cum_sum().over("client_id") - pl.col("remaining")).alias("before")
        )
        .join(pool, on="client_id", how="left")
        .with_columns(pl.col("pool").fill_null(0.0))
        .with_columns((pl.col("pool") - pl.col("before")).clip(0.0, None).alias("fifo"))
        .with_columns((pl.col("applied") + pl.min_horizontal("fifo", "remaining")).alias("paid"))
        .with_columns((pl.col("amount") - pl.col("paid")).round(2).alias("unpaid"))
        .with_columns(
            pl.when((pl.col("unpaid") > CENT) & (pl.col("due_date") < as_of))
            .then((pl.lit(as_of) - pl.col("due_date")).dt.total_days())
            .otherwise(0)
            .cast(pl.Int64)
            .alias("overdue_days")
        )
    )
    return result.select(
        "client_id",
        "doc_no",
        "date",
        "due_date",
        "amount",
        pl.col("paid").round(2),
        "unpaid",
        "overdue_days",
    )


def receivables_by_client(allocated: pl.DataFrame) -> pl.DataFrame:
    """Per client: unpaid, overdue amount, the oldest overdue in days, overdue documents."""
    overdue = pl.col("overdue_days") > 0
    return allocated.group_by("client_id").agg(
        pl.col("unpaid").filter(pl.col("unpaid") > CENT).sum().round(2).alias("unpaid"),
        pl.col("unpaid").filter(overdue).sum().round(2).alias("overdue"),
        pl.col("overdue_days").max().alias("max_overdue_days"),
        overdue.sum().cast(pl.Int64).alias("overdue_documents"),
    )
