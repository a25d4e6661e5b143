"""Sales and payments for planning tests, written through the real import (so the roll-up and
documents are what a user's import makes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from kam.imports.services import import_file

SALES_HEADER = "doc_no,line_no,date,client_code,product_group,amount,cost,payment_terms_days\n"


def sales_import(
    folder: Path,
    rows: Sequence[tuple[str, dt.date, str, str, float, float | None, int]],
    name: str = "sales.csv",
) -> None:
    """rows: (doc_no, date, client_code, product_group, amount, cost, terms); one line each."""
    lines = [
        f"{doc},1,{day.isoformat()},{client},{group},{amount},{'' if cost is None else cost},{terms}\n"
        for doc, day, client, group, amount, cost, terms in rows
    ]
    path = folder / name
    path.write_text(SALES_HEADER + "".join(lines), encoding="utf-8")
    report = import_file(kind="sales", path=path)
    assert report.ok, report.errors[:3]


def payments_import(
    folder: Path, rows: list[tuple[str, dt.date, str, float, str]], name: str = "payments.csv"
) -> None:
    """rows: (doc_no, date, client_code, amount, invoice_doc_no)."""
    body = "".join(
        f"{doc},{day.isoformat()},{client},{amount},{invoice}\n"
        for doc, day, client, amount, invoice in rows
    )
    path = folder / name
    path.write_text("doc_no,date,client_code,amount,invoice_doc_no\n" + body, encoding="utf-8")
    report = import_file(kind="payments", path=path)
    assert report.ok, report.errors[:3]
