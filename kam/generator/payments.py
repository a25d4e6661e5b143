"""Payments against the chunk's sales documents and the credit committee's decisions.

Both follow from the ledger: payment dates from each document's terms and the client's payment
behaviour, credit decisions from the first and last sale on deferred terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kam.generator.clients import ClientChunk
from kam.generator.reference import DEFAULTER, ON_TIME
from kam.generator.sales import Ledger
from kam.generator.timeline import DAYS_PER_YEAR, Period

SPLIT_SHARE = 0.08  # paid invoices settled in two instalments
LINKED_SHARE = 0.8  # payments naming the invoice; the rest are allocated oldest-first
NO_DECISION_SHARE = 0.15  # deferred clients the credit committee never approved
SHORT_TERMS_SHARE = 0.05  # approved clients whose decision allows fewer days than they get
LATE_RENEWAL_SHARE = 0.1  # renewals that come after the previous decision expired


@dataclass
class Payments:
    """Payment rows of one chunk (``invoice`` is a document position or -1 when unlinked)."""

    client: np.ndarray
    date: np.ndarray
    amount: np.ndarray  # kopecks, always positive
    invoice: np.ndarray


@dataclass
class Decisions:
    """Credit decisions of one chunk plus the per-client truth flags."""

    client: np.ndarray
    date: np.ndarray
    credit_limit: np.ndarray  # roubles
    max_terms: np.ndarray
    valid_until: np.ndarray
    deferred: np.ndarray  # per client: bought on deferred terms at least once
    has_decision: np.ndarray  # per client


def build_payments(
    rng: np.random.Generator, chunk: ClientChunk, ledger: Ledger, period: Period
) -> Payments:
    """Pay the chunk's invoices according to terms and behaviour; nothing after ``period.end``."""
    inv = np.flatnonzero(ledger.doc_total > 0)  # returns are credit notes, nobody pays them
    n = len(inv)
    client = ledger.doc_client[inv]
    behaviour = chunk.behaviour[client]
    date, terms, total = ledger.doc_date[inv], ledger.doc_terms[inv], ledger.doc_total[inv]
    due = date + terms

    # On time: upfront clients pay a few days before shipment, deferred ones around the due date.
    paid = np.where(
        terms == 0,
        np.maximum(date - rng.integers(0, 4, n), period.start),
        np.maximum(due + rng.integers(-7, 3, n), date),
    )
    slightly_late = (behaviour == ON_TIME) & (rng.random(n) < 0.03)
    paid = np.where(slightly_late, due + rng.integers(1, 10, n), paid)
    late = (behaviour != ON_TIME) & (rng.random(n) < 0.75)
    paid = np.where(late, due + rng.integers(10, 91, n), paid)
    never = (behaviour == DEFAULTER) & (rng.random(n) < 0.2)
    keep = ~never & (paid <= period.end)  # recent invoices may still be open at ``end``

    split = keep & (rng.random(n) < SPLIT_SHARE) & (total >= 100_00)  # from 100 roubles up
    share = rng.uniform(0.3, 0.7, n)
    first_part = np.where(split, np.clip(np.round(total * share), 1, total - 1), total)
    second_date = paid + rng.integers(3, 31, n)
    second = split & (second_date <= period.end)

    idx = np.r_[np.flatnonzero(keep), np.flatnonzero(second)]
    p_date = np.r_[paid[keep], second_date[second]]
    p_amount = np.r_[first_part[keep], (total - first_part)[second]]
    p_client = client[idx]
    p_invoice = np.where(rng.random(len(idx)) < LINKED_SHARE, inv[idx], -1)
    order = np.lexsort((idx, p_date, p_client))
    return Payments(p_client[order], p_date[order], p_amount[order], p_invoice[order])


def build_decisions(
    rng: np.random.Generator, chunk: ClientChunk, ledger: Ledger, period: Period
) -> Decisions:
    """Credit decisions for clients buying on deferred terms, renewed while they keep doing so.

    ~85 % of deferred clients have a decision dated before their first deferred sale; the rest
    never went to the committee.  A few decisions allow fewer days than the terms used, and some
    renewals come late, leaving a gap: the deviations an audit should find.
    """
    n = len(chunk)
    deferred_docs = np.flatnonzero(ledger.doc_terms > 0)
    def_client = ledger.doc_client[deferred_docs]
    # Documents are sorted by client and date, so first/last occurrences are first/last sales.
    clients, first_pos = np.unique(def_client, return_index=True)
    last_pos = len(def_client) - 1 - np.unique(def_client[::-1], return_index=True)[1]
    first_day = ledger.doc_date[deferred_docs[first_pos]]
    last_day = ledger.doc_date[deferred_docs[last_pos]]

    deferred = np.zeros(n, dtype=bool)
    deferred[clients] = True
    without = rng.permutation(len(clients))[: round(NO_DECISION_SHARE * len(clients))]
    approved = np.ones(len(clients), dtype=bool)
    approved[without] = False
    clients, first_day, last_day = clients[approved], first_day[approved], last_day[approved]
    has_decision = np.zeros(n, dtype=bool)
    has_decision[clients] = True
    m = len(clients)

    terms = chunk.terms[clients]
    max_terms = np.minimum(terms + np.where(rng.random(m) < 0.3, 15, 0), 90)
    short = rng.permutation(m)[: round(SHORT_TERMS_SHARE * m)]
    max_terms[short] = np.maximum(terms[short] - 15, 7)

    slots = int(np.ceil((period.end - period.start) / 365)) + 3
    dates = np.empty((m, slots), dtype=np.int64)
    valid = np.empty((m, slots), dtype=np.int64)
    kept = np.zeros((m, slots), dtype=bool)
    day = first_day - rng.integers(1, 31, m)
    alive = np.ones(m, dtype=bool)
    for k in range(slots):  # a loop over renewals (a handful), vectorised over clients
        alive &= day <= period.end
        dates[:, k], kept[:, k] = day, alive
        valid[:, k] = day + rng.integers(365, 731, m)
        late = rng.random(m) < LATE_RENEWAL_SHARE
        day = np.where(
            late, valid[:, k] + rng.integers(5, 61, m), valid[:, k] - rng.integers(0, 21, m)
        )
        alive &= valid[:, k] < last_day  # renew only while the client still buys on credit

    row, col = np.nonzero(kept)
    owner = clients[row]
    t = (dates[row, col] - period.end) / DAYS_PER_YEAR
    monthly = chunk.level[owner] * np.exp(
        chunk.growth[owner] * (np.maximum(t, chunk.bend[owner]) - chunk.ref[owner])
    )
    limit = np.maximum(np.round(monthly * rng.uniform(2.5, 5.0, len(row)), -4), 50_000.0)
    return Decisions(
        client=owner,
        date=dates[row, col],
        credit_limit=limit,
        max_terms=max_terms[row],
        valid_until=valid[row, col],
        deferred=deferred,
        has_decision=has_decision,
    )
