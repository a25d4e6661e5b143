"""Test helpers: a small generated company imported into the test database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kam.imports.services import import_file

END = dt.date(2026, 10, 31)
KINDS = ["employees", "clients", "sales", "payments", "credit_decisions"]


def company_import(folder: Path, *, clients: int = 300, seed: int = 7, end: dt.date = END) -> Path:
    """Generate a company into ``folder`` and import it; the folder (with truth.csv)."""
    from kam.generator.company import generate_company

    generate_company(folder, clients=clients, years=3, seed=seed, end=end)
    for kind in KINDS:
        report = import_file(kind=kind, path=folder / f"{kind}.csv")
        assert report.ok, report.errors[:3]
    return folder
