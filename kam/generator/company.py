"""A deterministic synthetic B2B company written as the CSV files the system imports.

``generate_company`` streams: clients are processed in fixed-size chunks, each with its own child
seed, and every chunk is appended to the files before the next one is drawn, so memory does not
grow with the number of clients and the same arguments always give byte-identical files.

Pure Python + numpy/polars: no Django imports, so it runs (and is tested) without settings.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kam.generator import output
from kam.generator.clients import complete_profiles, draw_clients
from kam.generator.names import MAX_CLIENTS
from kam.generator.payments import build_decisions, build_payments
from kam.generator.sales import build_catalog, build_ledger
from kam.generator.staff import build_staff
from kam.generator.timeline import make_period

#: Clients per chunk.  Part of the output's identity: changing it changes the random streams.
CHUNK_SIZE = 5_000


def generate_company(
    out_dir: Path,
    *,
    clients: int,
    years: int,
    seed: int,
    end: dt.date,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int | float]:
    """Write a synthetic company with ``clients`` clients and ``years`` years of history.

    Files (UTF-8, comma-separated, English headers of DESIGN.md): employees.csv, clients.csv,
    sales.csv, payments.csv, credit_decisions.csv, plus truth.csv with the hidden ground truth
    (segment, payment behaviour, credit flags).  Sales cover the ``years`` years ending at ``end``
    inclusive; no sale, payment or decision is dated after ``end`` (a decision's ``valid_until``
    may be).  ``progress`` is called after each chunk with the number of clients done so far.

    Returns the figures: clients, employees, sales_lines, documents, payments, credit_decisions
    and seconds.
    """
    if clients < 1:
        raise ValueError("clients must be at least 1")
    if clients > MAX_CLIENTS:
        raise ValueError(f"clients must be at most {MAX_CLIENTS}")
    if years < 1:
        raise ValueError("years must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # Independent streams: staff and catalogue, then one child per chunk.  Child i depends only
    # on (seed, i), so a chunk's randomness does not depend on how many chunks there are.
    staff_seed, catalog_seed, chunks_seed = np.random.SeedSequence(seed).spawn(3)
    period = make_period(end, years)
    staff = build_staff(np.random.default_rng(staff_seed), clients)
    catalog = build_catalog(np.random.default_rng(catalog_seed))
    n_chunks = math.ceil(clients / CHUNK_SIZE)
    width_client = max(6, len(str(clients)))
    width_group = max(4, len(str(clients // 10)))

    figures = {"documents": 0, "sales_lines": 0, "payments": 0, "credit_decisions": 0}
    groups = 0
    with output.CsvSink(out_dir) as sink:
        sink.append("employees", staff.frame)
        for i, chunk_seed in enumerate(chunks_seed.spawn(n_chunks)):
            rng = np.random.default_rng(chunk_seed)
            index = np.arange(i * CHUNK_SIZE, min((i + 1) * CHUNK_SIZE, clients))
            chunk = draw_clients(rng, index, period, staff, clients, groups)
            ledger = build_ledger(rng, chunk, period, staff, catalog)
            potential, revenue, employees = complete_profiles(
                chunk, ledger.trailing_12m, ledger.peak_level, rng
            )
            payments = build_payments(rng, chunk, ledger, period)
            decisions = build_decisions(rng, chunk, ledger, period)

            num = output.Numbering(
                document=figures["documents"],
                payment=figures["payments"],
                decision=figures["credit_decisions"],
                width_client=width_client,
                width_group=width_group,
            )
            codes = output.client_codes(chunk, num)
            doc_no = output.document_numbers(ledger, num)
            sink.append(
                "clients",
                output.clients_frame(chunk, codes, staff, potential, revenue, employees, num),
            )
            sink.append("sales", output.sales_frame(ledger, doc_no, codes, staff, catalog))
            sink.append("payments", output.payments_frame(payments, doc_no, codes, num))
            sink.append("credit_decisions", output.decisions_frame(decisions, codes, num))
            sink.append("truth", output.truth_frame(chunk, codes, decisions))

            figures["documents"] += ledger.documents
            figures["sales_lines"] += len(ledger.line_doc)
            figures["payments"] += len(payments.client)
            figures["credit_decisions"] += len(decisions.client)
            groups = max(groups, int(chunk.group.max()) + 1)
            if progress is not None:
                progress(int(index[-1]) + 1)

    return {
        "clients": clients,
        "employees": staff.frame.height,
        **figures,
        "seconds": round(time.perf_counter() - started, 3),
    }
