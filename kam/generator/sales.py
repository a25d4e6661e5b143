"""The sales ledger of one chunk of clients, fully vectorised (no Python loop per line).

Shape of the computation: expected documents per (client, month) → Poisson counts → one row per
document (date, value, lines) → one row per line (group, product, quantity, amount, cost).  Money
is kept in integer kopecks so documents, lines and payments add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from kam.generator.clients import ClientChunk, trend
from kam.generator.reference import GROUP_MARGINS, GROUP_PRICES, PRODUCTS_PER_GROUP
from kam.generator.staff import Staff
from kam.generator.timeline import Period

#: Spread of document values around the client's typical order (log sd).
DOC_VALUE_SIGMA = 0.45
RETURN_SHARE = 0.022  # documents that are returns (1-2 lines, negative): ~1 % of lines
MAX_LINES = 6


@dataclass(frozen=True)
class Catalog:
    """Products of all groups: list price in kopecks and code, indexed by global product number."""

    list_price: np.ndarray
    codes: list[str]

    @cached_property
    def code_dtype(self) -> pl.Enum:
        """Polars enum of product codes (lines store the product number)."""
        return pl.Enum(self.codes)


def build_catalog(rng: np.random.Generator) -> Catalog:
    """Draw list prices around each group's median; codes look like ``P03-0042``."""
    groups = np.repeat(np.arange(len(GROUP_PRICES)), PRODUCTS_PER_GROUP)
    price = GROUP_PRICES[groups] * rng.lognormal(0.0, 0.6, len(groups))
    codes = [
        f"P{g + 1:02d}-{i + 1:04d}"
        for g in range(len(GROUP_PRICES))
        for i in range(PRODUCTS_PER_GROUP)
    ]
    return Catalog(np.maximum(np.round(price * 100), 100).astype(np.int64), codes)


@dataclass
class Ledger:
    """Documents and lines of one chunk; ``doc_client`` holds positions in the chunk."""

    doc_client: np.ndarray
    doc_date: np.ndarray
    doc_terms: np.ndarray
    doc_employee: np.ndarray
    doc_total: np.ndarray  # kopecks, negative for returns
    line_doc: np.ndarray
    line_no: np.ndarray
    line_group: np.ndarray
    line_product: np.ndarray
    quantity: np.ndarray
    amount: np.ndarray  # kopecks
    cost: np.ndarray  # kopecks
    trailing_12m: np.ndarray  # per client: net amount (roubles) in the last 365 days
    peak_level: np.ndarray  # per client: highest expected monthly purchases while active

    @property
    def documents(self) -> int:
        """Number of sales documents."""
        return len(self.doc_client)


def _active_window(chunk: ClientChunk, period: Period) -> tuple[np.ndarray, np.ndarray]:
    """First and last day each client may buy in each month (hi < lo when inactive)."""
    lo = np.maximum(period.first[None, :], chunk.active_from[:, None])
    hi = np.minimum(period.last[None, :], chunk.active_to[:, None])
    return lo, hi


def _documents_per_month(
    rng: np.random.Generator, chunk: ClientChunk, period: Period, mult: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson document counts per (client, month); every client gets at least one document."""
    lo, hi = _active_window(chunk, period)
    active = np.clip(hi - lo + 1, 0, None) / (period.last - period.first + 1)[None, :]
    noise = chunk.noise[:, None]
    eps = np.exp(noise * rng.standard_normal(mult.shape) - noise**2 / 2)
    lam = chunk.docs_rate[:, None] * np.sqrt(mult) * period.season * period.coverage
    lam = lam * active * eps
    counts = rng.poisson(lam)
    # A client in the file has bought at least once: give silent ones their likeliest month.
    silent = np.flatnonzero(counts.sum(axis=1) == 0)
    counts[silent, np.argmax(lam[silent], axis=1)] = 1
    return counts, lo, hi


def _weekday_shift(day: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Move weekend documents to Friday/Monday (B2B shipments happen on working days)."""
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    day = np.where(weekday == 5, day - 1, np.where(weekday == 6, day + 1, day))
    return np.clip(day, lo, hi)


def build_ledger(
    rng: np.random.Generator, chunk: ClientChunk, period: Period, staff: Staff, catalog: Catalog
) -> Ledger:
    """Generate every sales document and line of the chunk's clients."""
    n, months = len(chunk), period.months
    mult = trend(chunk, period)
    counts, lo, hi = _documents_per_month(rng, chunk, period, mult)

    # --- documents ------------------------------------------------------------------------------
    flat = counts.ravel()
    cells = np.repeat(np.flatnonzero(flat), flat[flat > 0])
    client = cells // months
    d_lo, d_hi = lo.ravel()[cells], hi.ravel()[cells]
    date = _weekday_shift(rng.integers(d_lo, d_hi + 1), d_lo, d_hi)
    # Chronological within each client.  Cells are already client- and month-ordered, so only
    # the days inside a month are shuffled: a stable sort of nearly sorted keys is cheap.
    order = np.argsort(client * 1_000_000 + date, kind="stable")
    client, date, cells = client[order], date[order], cells[order]
    n_docs = len(client)

    sigma = DOC_VALUE_SIGMA
    value = chunk.level[client] * np.sqrt(mult.ravel()[cells]) / chunk.docs_rate[client]
    value *= rng.lognormal(-(sigma**2) / 2, sigma, n_docs)
    first_of_client = np.r_[True, client[1:] != client[:-1]]
    is_return = (rng.random(n_docs) < RETURN_SHARE) & ~first_of_client
    value = np.where(is_return, value * 0.3, value)
    n_lines = 1 + rng.binomial(MAX_LINES - 1, chunk.extra_line_p[client])
    n_lines = np.where(is_return, 1 + (rng.random(n_docs) < 0.3), n_lines)

    terms = np.where(date >= chunk.deferred_from[client], chunk.terms[client], 0)
    resp = chunk.responsible[client]
    fallback = staff.sales_idx[rng.integers(0, len(staff.sales_idx), n_docs)]
    employee = np.where(resp >= 0, resp, fallback)

    # --- lines ----------------------------------------------------------------------------------
    line_doc = np.repeat(np.arange(n_docs), n_lines)
    n_total = len(line_doc)
    doc_start = np.cumsum(n_lines) - n_lines
    line_no = np.arange(n_total) - doc_start[line_doc] + 1
    line_client = client[line_doc]

    weight = rng.exponential(1.0, n_total)
    target = value[line_doc] * weight / np.bincount(line_doc, weight, n_docs)[line_doc]

    # Product group by the client's preference: rows of cumulative shares offset by the client
    # number form one increasing array, so a single searchsorted serves every line.
    cum = chunk.group_cum.copy()
    cum[:, -1] = 1.0
    n_groups = cum.shape[1]
    offset_cum = (cum + np.arange(n)[:, None]).ravel()
    pick = np.searchsorted(offset_cum, line_client + rng.random(n_total), side="right")
    group = pick - line_client * n_groups
    # Popularity inside a group is skewed towards the first products (u**2).
    popular = (PRODUCTS_PER_GROUP * rng.random(n_total) ** 2).astype(np.int64)
    product = group * PRODUCTS_PER_GROUP + popular

    list_price = catalog.list_price[product]
    unit = np.maximum(np.round(list_price * (1.0 - chunk.discount[line_client])), 1)
    quantity = np.maximum(1, np.round(target * 100 / unit)).astype(np.int64)
    amount = quantity * unit.astype(np.int64)
    # Purchase prices vary +-4 % around list price minus the group margin.
    unit_cost = list_price * (1.0 - GROUP_MARGINS[group]) * (0.96 + 0.08 * rng.random(n_total))
    cost = np.round(quantity * unit_cost).astype(np.int64)
    returned = np.flatnonzero(is_return[line_doc])
    quantity[returned] *= -1
    amount[returned] *= -1
    cost[returned] *= -1

    # bincount sums in float64, exact for integer kopecks below 2**53 (~90 trillion roubles).
    doc_total = np.bincount(line_doc, amount, n_docs).astype(np.int64)
    recent = date[line_doc] > period.end - 365
    trailing = np.bincount(line_client, np.where(recent, amount, 0), n) / 100
    active_months = hi >= lo
    peak = chunk.level * np.where(active_months, mult, 0).max(axis=1)
    return Ledger(
        doc_client=client,
        doc_date=date,
        doc_terms=terms,
        doc_employee=employee,
        doc_total=doc_total,
        line_doc=line_doc,
        line_no=line_no,
        line_group=group,
        line_product=product,
        quantity=quantity,
        amount=amount,
        cost=cost,
        trailing_12m=trailing,
        peak_level=peak,
    )
