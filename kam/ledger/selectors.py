"""Reads of the ledger shared by pages, the API and analytics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from kam.ledger.models import Payment, SalesDocument
from kam.ledger.receivables import (
    DOCUMENT_SCHEMA,
    PAYMENT_SCHEMA,
    allocate_payments,
    receivables_by_client,
)


def _amount_frame(model: Any, schema: dict[str, Any], client_ids: list[int] | None) -> pl.DataFrame:
    """The schema's columns of ``model`` (all clients, or these), amounts as floats."""
    queryset = model.objects.all()
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=client_ids)
    rows = [{**r, "amount": float(r["amount"])} for r in queryset.values(*schema)]
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def documents_frame(*, client_ids: list[int] | None = None) -> pl.DataFrame:
    return _amount_frame(SalesDocument, DOCUMENT_SCHEMA, client_ids)


def payments_frame(*, client_ids: list[int] | None = None) -> pl.DataFrame:
    return _amount_frame(Payment, PAYMENT_SCHEMA, client_ids)


def client_receivables(*, client_id: int, as_of: dt.date) -> dict[str, Any]:
    """One client's receivables: the totals and the open documents, oldest first."""
    allocated = allocate_payments(
        documents_frame(client_ids=[client_id]), payments_frame(client_ids=[client_id]), as_of
    )
    totals = receivables_by_client(allocated)
    summary: dict[str, Any] = (
        totals.to_dicts()[0]
        if totals.height
        else {
            "client_id": client_id,
            "unpaid": 0.0,
            "overdue": 0.0,
            "max_overdue_days": 0,
            "overdue_documents": 0,
        }
    )
    summary["open_documents"] = allocated.filter(pl.col("unpaid") > 0.005).sort("date").to_dicts()
    return summary
