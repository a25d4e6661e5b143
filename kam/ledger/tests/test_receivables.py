"""Receivables: payments to their invoice, else oldest first; overdue days as of a date."""

from __future__ import annotations

import datetime as dt

import polars as pl

from kam.ledger.receivables import (
    DOCUMENT_SCHEMA,
    PAYMENT_SCHEMA,
    allocate_payments,
    receivables_by_client,
)

D = dt.date


def documents(*rows: tuple[str, dt.date, int, float]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            (1, doc, date, date + dt.timedelta(days=terms), amount)
            for doc, date, terms, amount in rows
        ],
        schema=DOCUMENT_SCHEMA,
        orient="row",
    )


def payments(*rows: tuple[str, dt.date, float, str]) -> pl.DataFrame:
    return pl.DataFrame([(1, *row) for row in rows], schema=PAYMENT_SCHEMA, orient="row")


def by_doc(frame: pl.DataFrame) -> dict[str, tuple[float, float, int]]:
    return {r["doc_no"]: (r["paid"], r["unpaid"], r["overdue_days"]) for r in frame.to_dicts()}


def test_it_pays_the_named_invoice_first_and_the_rest_oldest_first() -> None:
    docs = documents(
        ("S1", D(2024, 1, 1), 30, 100.0),
        ("S2", D(2024, 1, 10), 30, 200.0),
        ("S3", D(2024, 2, 1), 0, 50.0),
    )
    pays = payments(("P1", D(2024, 1, 20), 50.0, "S3"), ("P2", D(2024, 2, 5), 150.0, ""))
    result = by_doc(allocate_payments(docs, pays, D(2024, 3, 1)))
    assert result == {
        "S1": (100.0, 0.0, 0),  # oldest first from the unlinked 150
        "S2": (50.0, 150.0, 21),  # due 2024-02-09, 21 days overdue on 2024-03-01
        "S3": (50.0, 0.0, 0),  # paid by its own payment
    }


def test_the_excess_over_an_invoice_pays_the_oldest() -> None:
    docs = documents(("S1", D(2024, 1, 1), 10, 100.0), ("S2", D(2024, 1, 5), 10, 100.0))
    pays = payments(("P1", D(2024, 1, 6), 150.0, "S2"))
    result = by_doc(allocate_payments(docs, pays, D(2024, 1, 31)))
    assert result == {"S1": (50.0, 50.0, 20), "S2": (100.0, 0.0, 0)}


def test_returns_reduce_the_debt_oldest_first() -> None:
    docs = documents(("S1", D(2024, 1, 1), 0, 100.0), ("R1", D(2024, 1, 2), 0, -30.0))
    result = by_doc(allocate_payments(docs, payments(), D(2024, 1, 3)))
    assert result == {"S1": (30.0, 70.0, 2)}


def test_nothing_after_the_date_counts() -> None:
    docs = documents(("S1", D(2024, 1, 1), 0, 100.0), ("S2", D(2024, 3, 1), 0, 100.0))
    pays = payments(("P1", D(2024, 2, 15), 100.0, "S1"))
    assert by_doc(allocate_payments(docs, pays, D(2024, 2, 1))) == {"S1": (0.0, 100.0, 31)}


def test_the_client_totals() -> None:
    docs = documents(("S1", D(2024, 1, 1), 10, 100.0), ("S2", D(2024, 1, 25), 10, 40.0))
    totals = receivables_by_client(allocate_payments(docs, payments(), D(2024, 2, 1))).to_dicts()
    assert totals == [
        {
            "client_id": 1,
            "unpaid": 140.0,
            "overdue": 100.0,
            "max_overdue_days": 21,
            "overdue_documents": 1,
        }
    ]
