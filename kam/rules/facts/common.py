"""Frames several subject types read: employees with their departments, clients, status and
credit decisions, documents and payments, and the derivations they share (a client's status
on a date, the money a client owes on a date, the credit decisions valid on a date).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

import polars as pl
from django.utils import timezone

from kam.assessment.frames import (
    Query,
    nullable_id,
    read_frames,
    read_frames_later,
    reader_session,
    real,
)
from kam.ledger.months import month_start

#: Amounts below a cent are rounding, not debt (as in kam.ledger.receivables).
CENT = 0.005

T = TypeVar("T")
_CACHE: ContextVar[dict[Any, Any] | None] = ContextVar("kam_facts_cache", default=None)


@contextlib.contextmanager
def facts_cache() -> Iterator[None]:
    """Within the block, frames read for every client (the ledger, clients, decisions) are
    read once: an audit computes several subject types from the same data; and the reads
    share one reader process (``reader_session``). A block inside another shares the outer
    one's frames."""
    if _CACHE.get() is not None:
        yield
        return
    token = _CACHE.set({})
    try:
        with reader_session():
            yield
    finally:
        _CACHE.reset(token)


class _Later:
    """A frame being read (``prefetch``): ``cached`` waits for it when it is asked for."""

    def __init__(self, get: Callable[[], Any]) -> None:
        self.get = get


def cached(key: Any, read: Callable[[], T]) -> T:
    """``read()``, or what it gave earlier in the same ``facts_cache`` block."""
    cache = _CACHE.get()
    if cache is None:
        return read()
    if key not in cache:
        cache[key] = read()
    if isinstance(cache[key], _Later):
        cache[key] = cache[key].get()
    return cache[key]  # type: ignore[no-any-return]


#: What ``prefetch`` can read: the shared frames about every client (``SubjectType.reads``).
#: The reader process reads these, in this order (the small first: who needs only them
#: waits least) ...
SHARED_FRAMES = ("clients", "ledger", "revenue_12m")
#: ... while Django's connection reads these meanwhile.
SHARED_MODELS = ("employees", "status_decisions", "credit_decisions")


def prefetch(names: Iterable[str], as_of: dt.date) -> None:
    """Start reading the shared frames ``names`` about every client as of ``as_of`` (in the
    reader process, while the caller goes on); the functions that read them (``clients``,
    ``ledger``, ``revenue_12m``) then wait for them. The small ones read through Django
    (``employees``, ``status_decisions``, ``credit_decisions``) are read meanwhile. Only
    within a ``facts_cache`` block (elsewhere it does nothing)."""
    cache = _CACHE.get()
    if cache is None:
        return
    reads: dict[str, tuple[Any, dict[str, Query], str | None]] = {
        # name: (the cache key, the queries, the one frame meant; None: all of them)
        "clients": ("clients", {"clients": clients_query(None)}, "clients"),
        "ledger": (("ledger", as_of), ledger_queries(as_of, None), None),
        "revenue_12m": (("revenue_12m", as_of), {"revenue": revenue_query(as_of, None)}, "revenue"),
    }
    wanted = set(names)
    for name in SHARED_FRAMES:
        key, queries, only = reads[name]
        if name in wanted and key not in cache:
            cache[key] = _Later(_pick(read_frames_later(queries), only))
    models: dict[str, Callable[[], pl.DataFrame]] = {
        "employees": employees,
        "status_decisions": status_decisions,
        "credit_decisions": credit_decisions,
    }
    for name in SHARED_MODELS:
        if name in wanted:
            models[name]()  # cached


def _pick(pending: Callable[[], dict[str, pl.DataFrame]], only: str | None) -> Callable[[], Any]:
    return (lambda: _ledger_frames(pending())) if only is None else (lambda: pending()[only])


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


def clients_query(ids: Sequence[int] | None) -> Query:
    sql = f"""SELECT id AS client_id, code AS client_code, status AS current_status,
                     {nullable_id("responsible_id")} AS responsible_id
              FROM clients_client WHERE 1 = 1{ids_sql("id", ids)}"""
    schema = {
        "client_id": pl.Int64,
        "client_code": pl.String,
        "current_status": pl.String,
        "responsible_id": pl.Int64,
    }
    return sql, [], schema


def clients(ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Clients: code, current status and responsible employee."""
    query = clients_query(ids)
    if ids is not None:
        return read_frames({"clients": query}, direct=True)["clients"]
    return cached("clients", lambda: read_frames({"clients": query})["clients"])


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
    if decisions.is_empty():  # nobody's status was ever decided: every current status holds
        return (
            frame.select("_row", "client_id")
            .join(current.select("client_id", "current_status"), on="client_id", how="left")
            .sort("_row")
            .select(pl.coalesce("current_status", pl.lit("standard")))
            .to_series()
        )
    rows = frame.select("_row", "client_id", pl.col(date_column).alias("_on"))
    latest = _same_client_asof(
        rows.with_columns(client_day("client_id", "_on").fill_null(-1).alias("_key")),
        decisions.select(
            pl.col("client_id").alias("_client"),
            client_day("client_id", "decided_on").alias("_decided"),
            "status_after",
        )
        .drop_nulls("_decided")
        .sort("_decided", maintain_order=True),
        "_decided",
        "backward",
    ).select("_row", "status_after")
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


#: The full ledger's documents are read in this many parts at once (by the id's low bits: a
#: power of two), one per core the reader has: a million documents in two thirds of the time.
LEDGER_PARTS = 2


def ledger_queries(as_of: dt.date, client_ids: Sequence[int] | None) -> dict[str, Query]:
    documents_sql = f"""
        SELECT id AS doc_id, doc_no, client_id, date, due_date, payment_terms_days,
               {nullable_id("employee_id")} AS employee_id, {real("amount")} AS amount
        FROM ledger_salesdocument WHERE date <= %s{ids_sql("client_id", client_ids)}"""
    payments_sql = f"""
        SELECT client_id, date, {real("amount")} AS amount
        FROM ledger_payment WHERE date <= %s{ids_sql("client_id", client_ids)}"""
    parts = LEDGER_PARTS if client_ids is None else 1
    queries: dict[str, Query] = {
        f"documents.{part}": (
            documents_sql + (f" AND (id & {parts - 1}) = {part}" if parts > 1 else ""),
            [as_of],
            DOCUMENT_COLUMNS,
        )
        for part in range(parts)
    }
    queries["payments"] = (payments_sql, [as_of], PAYMENT_COLUMNS)
    return queries


def _ledger_frames(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The frames of ``ledger_queries`` as ``documents`` (in id order) and ``payments``."""
    parts = [frame for name, frame in frames.items() if name.startswith("documents.")]
    documents = parts[0] if len(parts) == 1 else pl.concat(parts).sort("doc_id")
    return {"documents": documents, "payments": frames["payments"]}


def ledger(as_of: dt.date, client_ids: Sequence[int] | None = None) -> dict[str, pl.DataFrame]:
    """Every sales document and payment dated ``as_of`` or earlier (of these clients)."""
    queries = ledger_queries(as_of, client_ids)
    if client_ids is not None:
        return _ledger_frames(read_frames(queries, direct=True))
    return cached(("ledger", as_of), lambda: _ledger_frames(read_frames(queries)))


def revenue_query(as_of: dt.date, client_ids: Sequence[int] | None) -> Query:
    sql = f"""
        SELECT client_id, {real("SUM(revenue)")} AS revenue_12m FROM ledger_monthlyrollup
        WHERE month >= %s AND month <= %s{ids_sql("client_id", client_ids)} GROUP BY client_id"""
    schema = {"client_id": pl.Int64, "revenue_12m": pl.Float64}
    return sql, [month_start(as_of, 11), as_of], schema


def revenue_12m(as_of: dt.date, client_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Each client's revenue of the 12 months to ``as_of``'s month (clients with any)."""
    query = revenue_query(as_of, client_ids)
    if client_ids is not None:
        return read_frames({"revenue": query}, direct=True)["revenue"]
    return cached(("revenue_12m", as_of), lambda: read_frames({"revenue": query})["revenue"])


#: A client and a day in one integer: the client's id × 2²⁰ plus the day (days since 1970,
#: shifted to stay positive). Sorted by it, rows are in client and date order, and an as-of
#: join on it needs no ``by`` group (which made the joins over a million documents slow).
DAY_BITS = 20
DAY_SHIFT = 1 << (DAY_BITS - 1)


def client_day(client: str, day: str) -> pl.Expr:
    """The client-and-day key of the columns ``client`` and ``day`` (null if either is;
    callers put -1 instead, below every key, so that it matches nothing backward)."""
    return (
        pl.col(client).cast(pl.Int64) * (1 << DAY_BITS)
        + pl.col(day).cast(pl.Int32).cast(pl.Int64)
        + DAY_SHIFT
    )


def _cents(amount: pl.Expr) -> pl.Expr:
    """Money in whole cents (amounts have two decimals): sums of them are exact."""
    return (amount * 100).round().cast(pl.Int64)


def _same_client_asof(
    left: pl.DataFrame, right: pl.DataFrame, key: str, strategy: Any
) -> pl.DataFrame:
    """``join_asof`` of ``left`` (``_key``, ``client_id``) on ``right`` (``key``, ``_client``)
    without a ``by`` group, keeping only matches of the same client."""
    joined = left.sort("_key").join_asof(
        right, left_on="_key", right_on=key, strategy=strategy, check_sortedness=False
    )
    values = [c for c in right.columns if c not in (key, "_client")]
    same = pl.col("_client") == pl.col("client_id")
    return joined.with_columns(
        [pl.when(same).then(pl.col(c)).otherwise(None).alias(c) for c in values]
    ).drop("_client", key, strict=False)


def _running_totals(documents: pl.DataFrame, payments: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """What ``money_on`` looks things up in, prepared once per ledger (within a
    ``facts_cache`` block, for every subject type that asks about the same ledger)."""
    cache = _CACHE.get()
    if cache is not None:
        for entry in cache.get("running_totals", []):
            if entry[0] is documents and entry[1] is payments:  # the entry keeps them alive
                return entry[2]  # type: ignore[no-any-return]

    def to_date(source: pl.DataFrame, cents: pl.Expr, name: str) -> pl.DataFrame:
        """The client's running total by the end of each day it has rows."""
        running = (
            source.select(
                pl.col("client_id").alias("_client"),
                client_day("client_id", "date").alias(f"_{name}_key"),
                cents.alias(name),
            )
            .sort(f"_{name}_key")
            .with_columns(pl.col(name).cum_sum().over("_client"))
        )
        day = pl.col(f"_{name}_key")
        return running.filter((day != day.shift(-1)).fill_null(True))

    cents = _cents(pl.col("amount"))
    totals = {
        "docs_to_date": to_date(documents, cents, "docs_to_date"),
        "paid_to_date": to_date(payments, cents, "paid_to_date"),
        "credits_to_date": to_date(
            documents.filter(pl.col("amount") < 0), -cents, "credits_to_date"
        ),
        "own": documents.select(pl.col("doc_id").alias("_doc"), cents.alias("_own")),
    }
    # The invoices in order, with a running total over all clients (``_invoice_total``): the
    # client's own running total is that less the client's ``_start``. The oldest invoice
    # still unpaid on a date is the first whose own running total exceeds what was paid and
    # returned by then.
    invoices = (
        documents.filter(pl.col("amount") > 0)
        .sort("client_id", "date", "doc_id")
        .select(
            pl.col("client_id").alias("_client"),
            cents.cum_sum().alias("_invoice_total"),
            cents.alias("_amount"),
            pl.col("date").alias("_inv_date"),
            pl.col("due_date").alias("_inv_due"),
        )
    )
    totals["starts"] = (
        invoices.group_by("_client")
        .agg((pl.col("_invoice_total") - pl.col("_amount")).min().alias("_start"))
        .rename({"_client": "client_id"})
    )
    totals["invoices"] = invoices.drop("_amount")
    if cache is not None:
        cache.setdefault("running_totals", []).append((documents, payments, totals))
    return totals


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

    Sums are taken in whole cents (exact), so a cent is a cent: the oldest unpaid invoice is
    the first whose running total exceeds what was paid and returned.
    """
    rows = frame.select(
        "_row",
        "client_id",
        pl.col(date_column).alias("_on"),
        (pl.col("subject_id") if "subject_id" in frame.columns else pl.lit(None, pl.Int64)).alias(
            "_doc"
        ),
    ).with_columns(client_day("client_id", "_on").fill_null(-1).alias("_key"))

    totals = _running_totals(documents, payments)
    money = rows
    for name in ("docs_to_date", "paid_to_date", "credits_to_date"):
        money = _same_client_asof(money, totals[name], f"_{name}_key", "backward")
    money = money.join(totals["own"], on="_doc", how="left").with_columns(
        pl.col("docs_to_date", "paid_to_date", "credits_to_date", "_own").fill_null(0)
    )
    money = money.join(totals["starts"], on="client_id", how="left").with_columns(
        (pl.col("_start") + pl.col("paid_to_date") + pl.col("credits_to_date") + 1)
        .fill_null(-1)
        .alias("_key")
    )
    oldest = _same_client_asof(money, totals["invoices"], "_invoice_total", "forward")
    unpaid = (pl.col("docs_to_date") - pl.col("_own") - pl.col("paid_to_date")).clip(0, None)
    overdue = (
        pl.when((pl.col("_inv_date") <= pl.col("_on")) & (pl.col("_inv_due") < pl.col("_on")))
        .then((pl.col("_on") - pl.col("_inv_due")).dt.total_days())
        .otherwise(0)
        .cast(pl.Int64)
    )
    return oldest.select(
        "_row", (unpaid / 100).round(2).alias("unpaid"), overdue.alias("overdue_days")
    ).sort("_row")


def period_code(column: str) -> pl.Expr:
    """A date column as its month, ``YYYY-MM``."""
    return pl.col(column).dt.strftime("%Y-%m")
