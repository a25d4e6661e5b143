"""The company's staff: departments, roles and reporting lines, sized by the number of clients."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from kam.generator.names import emails, person_names


@dataclass(frozen=True)
class Staff:
    """Employees of the generated company and the pools clients are assigned from.

    The ``*_idx`` arrays hold positions in ``codes`` (0-based), so a chunk can pick responsible
    employees with integer arithmetic and turn them into codes once, when writing.
    """

    frame: pl.DataFrame
    codes: list[str]
    key_account_idx: np.ndarray
    acquisition_idx: np.ndarray
    sales_idx: np.ndarray

    @cached_property
    def code_dtype(self) -> pl.Enum:
        """Polars enum of employee codes: lines store a u32 position and print the code."""
        return pl.Enum(self.codes)


def staff_sizes(clients: int) -> dict[str, int]:
    """Head-count per pool: the key-account department grows with the client base."""
    return {
        "key_account_manager": max(3, clients // 120),
        "acquisition": max(2, clients // 300),
        "sales_rep": max(3, clients // 80),
    }


def build_staff(rng: np.random.Generator, clients: int) -> Staff:
    """Create the employees table for a company with ``clients`` clients.

    The first seven codes are the same at every size (E0001 director, E0002 analyst, E0003
    auditor, E0004 head of key accounts, E0005 credit-committee chair, E0006-E0007 members), so
    tests and demo scripts can refer to them.
    """
    sizes = staff_sizes(clients)
    # (department, role, manager position or None); positions refer to rows in this list.
    rows: list[tuple[str, str, int | None]] = [
        ("management", "director", None),
        ("management", "analyst", 0),
        ("management", "auditor", 0),
        ("key_accounts", "key_account_head", 0),
        ("credit_committee", "credit_committee_member", 0),  # chair of the committee
        ("credit_committee", "credit_committee_member", 4),
        ("credit_committee", "credit_committee_member", 4),
    ]
    start = len(rows)
    rows += [("key_accounts", "key_account_manager", 3)] * sizes["key_account_manager"]
    kam = np.arange(start, len(rows))
    start = len(rows)
    # Acquisition and sales have no head role of their own; reps report to the director.
    rows += [("acquisition", "sales_rep", 0)] * sizes["acquisition"]
    acq = np.arange(start, len(rows))
    start = len(rows)
    rows += [("sales", "sales_rep", 0)] * sizes["sales_rep"]
    sales = np.arange(start, len(rows))

    width = max(4, len(str(len(rows))))
    codes = [f"E{i + 1:0{width}d}" for i in range(len(rows))]
    full, first, last = person_names(rng, len(rows))
    frame = pl.DataFrame(
        {
            "code": codes,
            "name": full,
            "email": emails(first, last),
            "department": [r[0] for r in rows],
            "role": [r[1] for r in rows],
            "manager_code": [codes[r[2]] if r[2] is not None else None for r in rows],
        },
        schema={
            "code": pl.String,
            "name": pl.String,
            "email": pl.String,
            "department": pl.String,
            "role": pl.String,
            "manager_code": pl.String,
        },
    )
    return Staff(frame, codes, kam, acq, sales)
