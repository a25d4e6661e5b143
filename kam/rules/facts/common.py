"""Frames several subject types read: employees with their departments, clients, status and
credit decisions, documents and payments, and the derivations they share (a client's status
on a date, the money a client owes on a date, the credit decisions valid on a date).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

import polars as pl
from django.utils import timezone

from kam.assessment.frames import nullable_id, read_frames, real
from kam.organization.choices import DepartmentKind

#: Amounts below a cent are rounding, not debt (as in kam.ledger.receivables).
CENT = 0.005

T = TypeVar("T")
_CACHE: ContextVar[dict[Any, Any] | None] = ContextVar("kam_facts_cache", default=None)


@contextlib.contextmanager
def facts_cache() -> Iterator[None]:
    """Within the block, frames read for every client (the ledger, clients, decisions) are
    read once: an audit computes several subject types from the same data."""
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


def cached(key: Any, read: Callable[[], T]) -> T:
    """``read()``, or what it gave earlier in the same ``facts_cache`` block."""
    cache = _CACHE.get()
    if cache is None:
        return read()
    if key not in cache:
        cache[key] = read()
    return cache[key]  # type: ignore[no-any-return]


def ids_sql(column: str, ids: Sequence[int] | None) -> str:
    """`` AND column IN (…)`` for a list of ids (integers only: safe to inline), or nothing."""
    if ids is None:
        return ""
    clean = sorted({int(i) for i in ids})
    return f" AND {column} IN ({', '.join(map(str, clean))})" if clean else " AND 1 = 0"


def local_date(value: dt.datetime | None) -> dt.date | None:
    if value is None:
        return None
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def employees() -> pl.DataFrame:
    """Every employee: department kind and head, role, whether active."""
    return cached("employees", _employees)


def _employees() -> pl.DataFrame:
    from kam.organization.models import Employee

    rows = list(
        Employee.objects.values_list(
            "id", "department__kind", "department_id", "department__head_id", "role", "is_active"
        )
    )
    return pl.DataFrame(
        rows,
        schema={
            "employee_id": pl.Int64,
            "department_kind": pl.String,
            "department_id": pl.Int64,
            "department_head_id": pl.Int64,
            "role": pl.String,
            "is_active": pl.Boolean,
        },
        orient="row",
    )


def department_head(kind: str) -> int | None:
    """The head of the department of ``kind`` (None if it has none)."""
    from kam.organization.models import Department

    return Department.objects.filter(kind=kind).values_list("head_id", flat=True).first()


def director() -> int | None:
    """The sales director: the management department's head, else the first active employee
    with the director's role."""
    from kam.organization.choices import Role
    from kam.organization.models import Employee

    head = department_head(DepartmentKind.MANAGEMENT)
    if head is not None:
        return head
    return (
        Employee.objects.filter(role=Role.DIRECTOR, is_active=True)
        .order_by("code")
        .values_list("id", flat=True)
        .first()
    )


def clients(ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Clients: code, current status and responsible employee."""
    sql = f"""SELECT id AS client_id, code AS client_code, status AS current_status,
                     {nullable_id("responsible_id")} AS responsible_id
              FROM clients_client WHERE 1 = 1{ids_sql("id", ids)}"""
    schema = {
        "client_id": pl.Int64,
        "client_code": pl.String,
        "current_status": pl.String,
        "responsible_id": pl.Int64,
    }
    if ids is not None:
        return read_frames({"clients": (sql, [], schema)}, direct=True)["clients"]
    return cached("clients", lambda: read_frames({"clients": (sql, [], schema)})["clients"])


def status_decisions(client_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Status decisions: client, the day decided, the status before and after."""
    if client_ids is None:
        return cached("status_decisions", lambda: _status_decisions(None))
    return _status_decisions(client_ids)


def _status_decisions(client_ids: Sequence[int] | None) -> pl.DataFrame:
    from kam.assessment.models import StatusDecision

    queryset = StatusDecision.objects.all()
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=list(client_ids))
    rows = [
        (client, local_date(at), before, after)
        for client, at, before, after in queryset.values_list(
            "client_id", "decided_at", "status_before", "status"
        )
    ]
    return pl.DataFrame(
        rows,
        schema={
            "client_id": pl.Int64,
            "decided_on": pl.Date,
            "status_before": pl.String,
            "status_after": pl.String,
        },
        orient="row",
    ).sort("client_id", "decided_on")


def status_on(
    frame: pl.DataFrame, date_column: str, decisions: pl.DataFrame, current: pl.DataFrame
) -> pl.Series:
    """Each row's client status on its date: the latest decision taken that day or before;
    before a client's first decision, the status that decision started from; a client never
    decided on keeps its current status. ``frame`` has ``_row``, ``client_id`` and the date;
    ``current`` has ``client_id`` and ``current_status``."""
    rows = frame.select("_row", "client_id", pl.col(date_column).alias("_on"))
    latest = (
        rows.sort("_on")
        .join_asof(
            decisions.select("client_id", "decided_on", "status_after").sort("decided_on"),
            left_on="_on",
            right_on="decided_on",
            by="client_id",
            strategy="backward",
            check_sortedness=False,
        )
        .select("_row", "status_after")
    )
    first = decisions.group_by("client_id").agg(pl.col("status_before").first())
    joined = (
        rows.join(latest, on="_row", how="left")
        .join(first, on="client_id", how="left")
        .join(current.select("client_id", "current_status"), on="client_id", how="left")
        .sort("_row")
    )
    return joined.select(
        pl.coalesce("status_after", "status_before", "current_status", pl.lit("standard"))
    ).to_series()


def credit_decisions(client_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Credit decisions: client, from, until (inclusive), revoked on, limit and terms."""
    if client_ids is None:
        return cached("credit_decisions", lambda: _credit_decisions(None))
    return _credit_decisions(client_ids)


def _credit_decisions(client_ids: Sequence[int] | None) -> pl.DataFrame:
    from kam.credit.models import CreditDecision

    queryset = CreditDecision.objects.all()
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=list(client_ids))
    rows = [
        (client, date, until, local_date(revoked), float(limit), terms, number)
        for client, date, until, revoked, limit, terms, number in queryset.values_list(
            "client_id",
            "date",
            "valid_until",
            "revoked_at",
            "credit_limit",
            "max_terms_days",
            "decision_no",
        )
    ]
    return pl.DataFrame(
        rows,
        schema={
            "client_id": pl.Int64,
            "decision_date": pl.Date,
            "valid_until": pl.Date,
            "revoked_on": pl.Date,
            "credit_limit": pl.Float64,
            "max_terms_days": pl.Int64,
            "decision_no": pl.String,
        },
        orient="row",
    )


def credit_on(frame: pl.DataFrame, date_column: str, decisions: pl.DataFrame) -> pl.DataFrame:
    """Per ``_row``: the credit decisions valid on the row's date (taken that day or before,
    not expired, not revoked by then): how many, the longest terms and the highest limit
    they allow, and the latest one's number."""
    on = pl.col(date_column)
    valid = (
        frame.select("_row", "client_id", date_column)
        .join(decisions, on="client_id", how="inner")
        .filter(
            (pl.col("decision_date") <= on)
            & (pl.col("valid_until").is_null() | (on <= pl.col("valid_until")))
            & (pl.col("revoked_on").is_null() | (on < pl.col("revoked_on")))
        )
        .group_by("_row")
        .agg(
            pl.len().cast(pl.Int64).alias("valid_credit_decisions"),
            pl.col("max_terms_days").max().alias("credit_max_terms_days"),
            pl.col("credit_limit").max().alias("credit_limit"),
            pl.col("decision_no").sort_by("decision_date").last().alias("credit_decision_no"),
        )
    )
    return (
        frame.select("_row")
        .join(valid, on="_row", how="left")
        .with_columns(pl.col("valid_credit_decisions").fill_null(0))
    )


DOCUMENT_COLUMNS = {
    "doc_id": pl.Int64,
    "doc_no": pl.String,
    "client_id": pl.Int64,
    "date": pl.Date,
    "due_date": pl.Date,
    "payment_terms_days": pl.Int64,
    "employee_id": pl.Int64,
    "amount": pl.Float64,
}
PAYMENT_COLUMNS = {"client_id": pl.Int64, "date": pl.Date, "amount": pl.Float64}


def ledger(as_of: dt.date, client_ids: Sequence[int] | None = None) -> dict[str, pl.DataFrame]:
    """Every sales document and payment dated ``as_of`` or earlier (of these clients)."""
    documents_sql = f"""
        SELECT id AS doc_id, doc_no, client_id, date, due_date, payment_terms_days,
               {nullable_id("employee_id")} AS employee_id, {real("amount")} AS amount
        FROM ledger_salesdocument WHERE date <= %s{ids_sql("client_id", client_ids)}"""
    payments_sql = f"""
        SELECT client_id, date, {real("amount")} AS amount
        FROM ledger_payment WHERE date <= %s{ids_sql("client_id", client_ids)}"""
    queries = {
        "documents": (documents_sql, [as_of], DOCUMENT_COLUMNS),
        "payments": (payments_sql, [as_of], PAYMENT_COLUMNS),
    }
    if client_ids is not None:
        return read_frames(queries, direct=True)
    return cached(("ledger", as_of), lambda: read_frames(queries))


def money_on(
    frame: pl.DataFrame, date_column: str, documents: pl.DataFrame, payments: pl.DataFrame
) -> pl.DataFrame:
    """Per ``_row`` (with ``client_id``, the date and optionally ``subject_id``, a document of
    ``documents`` to leave out): what the client owes on the date and for how long.

    - ``unpaid``: the client's documents dated that day or before (the row's own left out),
      less its payments by then, never below zero. Payments reduce the total whichever
      invoice they name, so this is exact.
    - ``overdue_days``: days past due of the oldest invoice still unpaid on the date, the
      payments and returns by then applied to the invoices oldest first (an invoice named by a
      payment is not singled out here, so a client who pays a later invoice before an earlier
      one can show a different oldest debt than the client card's allocation).
    """
    on = pl.col(date_column)
    rows = frame.select(
        "_row",
        "client_id",
        on.alias("_on"),
        (pl.col("subject_id") if "subject_id" in frame.columns else pl.lit(None, pl.Int64)).alias(
            "_doc"
        ),
    )

    def to_date(source: pl.DataFrame, amount: pl.Expr, name: str) -> pl.DataFrame:
        return (
            source.group_by("client_id", "date")
            .agg(amount.sum().alias(name))
            .sort("client_id", "date")
            .with_columns(pl.col(name).cum_sum().over("client_id"))
            .sort("date")
        )

    def asof(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
        return (
            left.sort("_on")
            .join_asof(
                right,
                left_on="_on",
                right_on="date",
                by="client_id",
                strategy="backward",
                check_sortedness=False,
            )
            .drop("date")
        )

    docs_to_date = to_date(documents, pl.col("amount"), "docs_to_date")
    paid_to_date = to_date(payments, pl.col("amount"), "paid_to_date")
    credits_to_date = to_date(
        documents.filter(pl.col("amount") < 0), -pl.col("amount"), "credits_to_date"
    )
    own = documents.select(pl.col("doc_id").alias("_doc"), pl.col("amount").alias("_own"))
    money = asof(asof(asof(rows, docs_to_date), paid_to_date), credits_to_date)
    money = money.join(own, on="_doc", how="left").with_columns(
        pl.col("docs_to_date", "paid_to_date", "credits_to_date", "_own").fill_null(0.0)
    )
    money = money.with_columns(
        (pl.col("docs_to_date") - pl.col("_own") - pl.col("paid_to_date"))
        .clip(0.0, None)
        .round(2)
        .alias("unpaid"),
        (pl.col("paid_to_date") + pl.col("credits_to_date") + CENT).alias("_pool"),
    )
    invoices = (
        documents.filter(pl.col("amount") > 0)
        .sort("client_id", "date", "doc_id")
        .select(
            "client_id",
            pl.col("amount").cum_sum().over("client_id").alias("_cum"),
            pl.col("date").alias("_inv_date"),
            pl.col("due_date").alias("_inv_due"),
        )
        .sort("_cum")
    )
    oldest = money.sort("_pool").join_asof(
        invoices,
        left_on="_pool",
        right_on="_cum",
        by="client_id",
        strategy="forward",
        check_sortedness=False,
    )
    overdue = (
        pl.when((pl.col("_inv_date") <= pl.col("_on")) & (pl.col("_inv_due") < pl.col("_on")))
        .then((pl.col("_on") - pl.col("_inv_due")).dt.total_days())
        .otherwise(0)
        .cast(pl.Int64)
    )
    return oldest.select("_row", "unpaid", overdue.alias("overdue_days")).sort("_row")


def employee_columns(frame: pl.DataFrame, column: str, prefix: str) -> pl.DataFrame:
    """Join an employee's department kind, department head and active flag to ``frame`` by
    ``column``, as ``<prefix>_department``, ``<prefix>_head_id``, ``<prefix>_active``."""
    staff = employees().select(
        pl.col("employee_id").alias(column),
        pl.col("department_kind").alias(f"{prefix}_department"),
        pl.col("department_head_id").alias(f"{prefix}_head_id"),
        pl.col("is_active").alias(f"{prefix}_active"),
    )
    return frame.join(staff, on=column, how="left")


def period_code(column: str) -> pl.Expr:
    """A date column as its month, ``YYYY-MM``."""
    return pl.col(column).dt.strftime("%Y-%m")


def fill(values: dict[str, Any]) -> list[pl.Expr]:
    return [pl.col(name).fill_null(value) for name, value in values.items()]
