"""Turning a chunk's arrays into the CSV rows of DESIGN.md, and appending them to the files.

Codes that repeat on every line (client, product, employee, group, region …) are written from
polars enums: the frame holds a u32 position and the CSV writer prints the label, which is much
cheaper than materialising millions of strings.
"""

from __future__ import annotations

import queue
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import polars as pl

from kam.generator.clients import ClientChunk
from kam.generator.payments import Decisions, Payments
from kam.generator.reference import (
    BEHAVIOURS,
    HEADERS,
    HIDDEN,
    INDUSTRIES,
    PRODUCT_GROUPS,
    REGIONS,
    SEGMENTS,
)
from kam.generator.sales import Catalog, Ledger
from kam.generator.staff import Staff

GROUP_DTYPE = pl.Enum(PRODUCT_GROUPS)
INDUSTRY_DTYPE = pl.Enum(INDUSTRIES)
REGION_DTYPE = pl.Enum([name for name, _ in REGIONS])
SEGMENT_DTYPE = pl.Enum(SEGMENTS)
BEHAVIOUR_DTYPE = pl.Enum(BEHAVIOURS)


@dataclass(frozen=True)
class Numbering:
    """Where this chunk's numbers start (0-based counts of rows already written)."""

    document: int
    payment: int
    decision: int
    width_client: int
    width_group: int


def _code(prefix: str, numbers: pl.Expr, width: int) -> pl.Expr:
    """``prefix`` + zero-padded number (``G0042``); wider numbers simply grow."""
    return pl.format(prefix + "{}", numbers.cast(pl.String).str.zfill(width))


def numbered(prefix: str, first: int, n: int, width: int) -> pl.Series:
    """The ``n`` codes ``prefix`` + ``first`` … zero-padded to ``width`` digits."""
    numbers = pl.Series(np.arange(first, first + n, dtype=np.int64))
    return pl.select(_code(prefix, pl.lit(numbers), width)).to_series()


def document_numbers(ledger: Ledger, num: Numbering) -> pl.Series:
    """Sales document numbers of the chunk, formatted once per document (not per line)."""
    return numbered("S", num.document + 1, ledger.documents, 9)


def _enum(positions: np.ndarray, dtype: pl.Enum) -> pl.Series:
    return pl.Series(positions.astype(np.uint32)).cat.to(dtype)


def _date(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


MONEY = pl.Decimal(18, 2)


def _money(kopecks: np.ndarray) -> pl.Series:
    """Kopecks as a 2-decimal money column.

    The cast from float rounds to the nearest kopeck, so it is exact for any integer kopecks far
    beyond realistic sums, and polars prints decimals about twice as fast as formatted floats.
    """
    return pl.Series(kopecks / 100).cast(MONEY)


def client_codes(chunk: ClientChunk, num: Numbering) -> pl.Enum:
    """Enum of this chunk's client codes (``C000001`` is global index 0)."""
    return pl.Enum(numbered("C", int(chunk.index[0]) + 1, len(chunk), num.width_client))


def sales_frame(
    ledger: Ledger, doc_no: pl.Series, clients: pl.Enum, staff: Staff, catalog: Catalog
) -> pl.DataFrame:
    """One row per sales line; ``doc_no`` holds the chunk's document numbers."""
    doc = ledger.line_doc
    return pl.DataFrame(
        {
            "doc_no": doc_no.gather(doc),
            "line_no": ledger.line_no.astype(np.int32),
            "date": _date(ledger.doc_date[doc]),
            "client_code": _enum(ledger.doc_client[doc], clients),
            "product_code": _enum(ledger.line_product, catalog.code_dtype),
            "product_group": _enum(ledger.line_group, GROUP_DTYPE),
            "quantity": ledger.quantity,
            "amount": _money(ledger.amount),
            "cost": _money(ledger.cost),
            "payment_terms_days": ledger.doc_terms[doc].astype(np.int32),
            "employee_code": _enum(ledger.doc_employee[doc], staff.code_dtype),
        }
    )


def payments_frame(
    payments: Payments, doc_no: pl.Series, clients: pl.Enum, num: Numbering
) -> pl.DataFrame:
    """One row per payment; ``invoice_doc_no`` is empty when the payer did not name it."""
    n = len(payments.client)
    linked = payments.invoice >= 0
    return pl.DataFrame(
        {
            "doc_no": numbered("P", num.payment + 1, n, 8),
            "date": _date(payments.date),
            "client_code": _enum(payments.client, clients),
            "amount": _money(payments.amount),
            "invoice_doc_no": doc_no.gather(np.where(linked, payments.invoice, 0)),
            "linked": linked,
        }
    ).select(
        "doc_no",
        "date",
        "client_code",
        "amount",
        pl.when(pl.col("linked")).then(pl.col("invoice_doc_no")).alias("invoice_doc_no"),
    )


def decisions_frame(decisions: Decisions, clients: pl.Enum, num: Numbering) -> pl.DataFrame:
    """One row per credit decision."""
    n = len(decisions.client)
    return pl.DataFrame(
        {
            "decision_no": numbered("D", num.decision + 1, n, 6),
            "client_code": _enum(decisions.client, clients),
            "date": _date(decisions.date),
            "credit_limit": _money(np.round(decisions.credit_limit * 100)),
            "max_terms_days": decisions.max_terms.astype(np.int32),
            "valid_until": _date(decisions.valid_until),
        }
    )


def clients_frame(
    chunk: ClientChunk,
    clients: pl.Enum,
    staff: Staff,
    potential: np.ndarray,
    revenue: np.ndarray,
    employees: np.ndarray,
    num: Numbering,
) -> pl.DataFrame:
    """One row per client (master data as a CRM or 1C would export it)."""
    frame = pl.DataFrame(
        {
            "code": _enum(np.arange(len(chunk)), clients),
            "name": chunk.names,
            "tax_id": chunk.inn,
            "industry": _enum(chunk.industry, INDUSTRY_DTYPE),
            "region": _enum(chunk.region, REGION_DTYPE),
            "group": chunk.group + 1,
            "employees": employees,
            "annual_revenue": revenue,
            "purchase_potential": potential,
            "resp": chunk.responsible,
        }
    )
    return frame.select(
        "code",
        "name",
        pl.col("tax_id").cast(pl.String).str.zfill(10),
        "industry",
        "region",
        pl.when(pl.col("group") > 0)
        .then(_code("G", pl.col("group"), num.width_group))
        .alias("group_code"),
        "employees",
        pl.col("annual_revenue").cast(MONEY),
        pl.col("purchase_potential").fill_nan(None).cast(MONEY),
        pl.when(pl.col("resp") >= 0)
        .then(pl.col("resp"))
        .cast(pl.UInt32)
        .cat.to(staff.code_dtype)
        .alias("responsible_code"),
    )


def truth_frame(chunk: ClientChunk, clients: pl.Enum, decisions: Decisions) -> pl.DataFrame:
    """Ground truth per client for tests and back-tests (never imported)."""
    return pl.DataFrame(
        {
            "client_code": _enum(np.arange(len(chunk)), clients),
            "segment": _enum(chunk.segment, SEGMENT_DTYPE),
            "hidden_potential": chunk.segment == HIDDEN,
            "payment_behaviour": _enum(chunk.behaviour, BEHAVIOUR_DTYPE),
            "deferred": decisions.deferred,
            "has_credit_decision": decisions.has_decision,
        }
    )


class CsvSink:
    """The six output files, opened once; each chunk is appended without a header.

    Writing happens on a background thread: polars serialises CSV outside the GIL, so the next
    chunk is drawn with numpy while the previous one is written.  The queue is short, so at most
    about one chunk waits in memory, and files are written in the order frames were appended.
    """

    def __init__(self, out_dir: Path) -> None:
        self._stack = ExitStack()
        self.files: dict[str, IO[bytes]] = {}
        try:
            for name, header in HEADERS.items():
                fh = self._stack.enter_context(open(out_dir / f"{name}.csv", "wb"))  # noqa: SIM115
                fh.write((",".join(header) + "\n").encode())
                self.files[name] = fh
        except BaseException:
            self._stack.close()
            raise
        self._queue: queue.Queue[tuple[str, pl.DataFrame] | None] = queue.Queue(len(HEADERS))
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="kam-generate-writer")
        self._thread.start()

    def append(self, name: str, frame: pl.DataFrame) -> None:
        """Queue ``frame`` (columns already in header order) for appending to ``name``.csv."""
        if frame.columns != list(HEADERS[name]):
            raise ValueError(f"{name}: columns {frame.columns} do not match the header")
        self._raise_pending()
        self._queue.put((name, frame))

    def _drain(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep draining so append() never blocks after a failure
            name, frame = item
            try:
                if frame.height:
                    frame.write_csv(
                        self.files[name],
                        include_header=False,
                        float_precision=2,
                        float_scientific=False,
                    )
            except BaseException as exc:  # re-raised in the caller's thread
                self._error = exc

    def _raise_pending(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait for pending writes, close every file and re-raise a write error if any."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._stack.close()
        self._raise_pending()

    def __enter__(self) -> CsvSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
