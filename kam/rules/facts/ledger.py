"""Sales documents: every shipment or invoice, judged on its own date (the credit decisions
valid then, what the client owed then)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.assessment.frames import nullable_id, read_frames, real
from kam.rules.facts import Column, Fact, Scope, SubjectType, register
from kam.rules.facts.common import (
    clients,
    credit_decisions,
    credit_on,
    employees,
    ids_sql,
    ledger,
    money_on,
    period_code,
    status_decisions,
    status_on,
)

BASE_SCHEMA = {
    "subject_id": pl.Int64,
    "subject_key": pl.String,
    "client_id": pl.Int64,
    "document_date": pl.Date,
    "payment_terms_days": pl.Int64,
    "amount": pl.Float64,
    "seller_id": pl.Int64,
}

FACTS = (
    Fact("document_date", "date", _("The document's date."), "DATE '2026-11-30'"),
    Fact("amount", "number", _("The document's amount (negative: a return)."), "150000"),
    Fact(
        "payment_terms_days",
        "integer",
        _("Payment terms of the document, days (more than 0: deferred payment)."),
        "30",
    ),
    Fact("is_deferred", "boolean", _("Sold on deferred payment (terms above 0 days).")),
    Fact("is_return", "boolean", _("A return (negative amount).")),
    Fact(
        "client_status",
        "text",
        _("The client's status on the document's date: 'key', 'potential_key' or 'standard'."),
        "'key'",
    ),
    Fact(
        "has_valid_credit_decision",
        "boolean",
        _("A credit-committee decision for the client is valid on the document's date."),
    ),
    Fact(
        "credit_max_terms_days",
        "integer",
        _(
            "The longest payment terms the decisions valid on the document's date allow, days "
            "(empty without one)."
        ),
        "45",
    ),
    Fact(
        "credit_limit",
        "number",
        _("The highest credit limit of the decisions valid on the date (empty without one)."),
        "1000000",
    ),
    Fact(
        "client_unpaid_before",
        "number",
        _("What the client owed on the document's date for its other documents."),
    ),
    Fact(
        "exposure",
        "number",
        _("The client's debt with this document: unpaid receivables plus the document."),
    ),
    Fact(
        "client_overdue_days",
        "integer",
        _("Days overdue of the client's oldest unpaid invoice on the document's date."),
        "30",
    ),
    Fact(
        "seller_is_responsible",
        "boolean",
        _("The seller is the client's responsible employee."),
    ),
    Fact(
        "seller_department",
        "text",
        _(
            "The seller's department: 'key_accounts', 'acquisition', 'sales', "
            "'credit_committee' or 'management'."
        ),
        "'sales'",
    ),
)


def base(scope: Scope) -> pl.DataFrame:
    if scope.ids is None and scope.since is None:
        # Every document up to the date: the ledger the derivation reads anyway (cached).
        documents = ledger(scope.as_of)["documents"]
        return documents.select(
            pl.col("doc_id").alias("subject_id"),
            pl.col("doc_no").alias("subject_key"),
            "client_id",
            pl.col("date").alias("document_date"),
            "payment_terms_days",
            "amount",
            pl.col("employee_id").alias("seller_id"),
        )
    since = f" AND date >= '{scope.since.isoformat()}'" if scope.since else ""
    sql = f"""
        SELECT id AS subject_id, doc_no AS subject_key, client_id, date AS document_date,
               payment_terms_days, {real("amount")} AS amount,
               {nullable_id("employee_id")} AS seller_id
        FROM ledger_salesdocument
        WHERE date <= %s{since}{ids_sql("id", scope.ids)}"""
    queries = {"documents": (sql, [scope.as_of], BASE_SCHEMA)}
    return read_frames(queries, direct=scope.ids is not None)["documents"]


def derive(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    # A few subjects (a guard, one client) read only their clients; an audit reads all.
    wanted = rows["client_id"].unique().to_list() if rows.height <= 1000 else None
    latest = rows["document_date"].max()
    as_of = max(scope.as_of, latest) if isinstance(latest, dt.date) else scope.as_of
    money = ledger(as_of, wanted)
    current = clients(wanted)
    staff = employees()
    rows = rows.with_columns(
        client_status=status_on(rows, "document_date", status_decisions(wanted), current)
    )
    credit = credit_on(rows, "document_date", credit_decisions(wanted))
    owed = money_on(rows, "document_date", money["documents"], money["payments"])
    seller = staff.select(
        pl.col("employee_id").alias("seller_id"),
        pl.col("department_kind").alias("seller_department"),
    )
    frame = (
        rows.join(credit, on="_row", how="left")
        .join(owed, on="_row", how="left")
        .join(current.select("client_id", "responsible_id"), on="client_id", how="left")
        .join(seller, on="seller_id", how="left")
    )
    return frame.with_columns(
        subject_date=pl.col("document_date"),
        period_month=period_code("document_date"),
        is_deferred=pl.col("payment_terms_days") > 0,
        is_return=pl.col("amount") < 0,
        has_valid_credit_decision=pl.col("valid_credit_decisions") > 0,
        client_unpaid_before=pl.col("unpaid").fill_null(0.0),
        exposure=(pl.col("unpaid").fill_null(0.0) + pl.col("amount").clip(0.0, None)).round(2),
        client_overdue_days=pl.col("overdue_days").fill_null(0),
        seller_is_responsible=(pl.col("seller_id") == pl.col("responsible_id")).fill_null(False),
        seller_department=pl.col("seller_department").fill_null(""),
    )


def link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("clients:detail", args=[client_id]) if client_id else ""


SALES_DOCUMENT = register(
    SubjectType(
        code="sales_document",
        label=_("Sales document"),
        description=_(
            "Every shipment or invoice in the ledger (imported or registered in kam), judged "
            "on its own date."
        ),
        facts=FACTS,
        people=(
            Column("seller_id", _("the seller (the document's employee)")),
            Column("responsible_id", _("the client's responsible employee")),
        ),
        periods=(Column("period_month", _("the document's month")),),
        base=base,
        base_schema=BASE_SCHEMA,
        derive=derive,
        link=link,
        reads=("ledger", "clients", "employees", "status_decisions", "credit_decisions"),
    )
)
