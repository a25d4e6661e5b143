"""The fast reader (connectorx, its own connection) and Django's cursor give the same frames."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from kam.assessment.frames import _connectorx_url, assessment_frames
from kam.assessment.metrics import Window
from kam.assessment.testing import END, company_import

COMPARE = """
from django.db import transaction
from polars.testing import assert_frame_equal
from kam.assessment.frames import _connectorx_url, assessment_frames
from kam.assessment.metrics import Window
import datetime as dt
window = Window.of(dt.date.fromisoformat("{end}"))
assert _connectorx_url() is not None
fast = assessment_frames(window)
with transaction.atomic():
    assert _connectorx_url() is None
    slow = assessment_frames(window)
for name in fast:
    assert fast[name].height > 0, name
    assert_frame_equal(fast[name].sort(fast[name].columns), slow[name].sort(slow[name].columns), check_exact=False)
print("same", {{n: f.height for n, f in fast.items()}})
"""


def _frames_agree() -> None:
    from polars.testing import assert_frame_equal

    window = Window.of(END)
    assert _connectorx_url() is not None
    fast = assessment_frames(window)
    with transaction.atomic():
        assert _connectorx_url() is None
        slow = assessment_frames(window)
    for name in fast:
        assert fast[name].height > 0, name
        columns = fast[name].columns
        assert_frame_equal(fast[name].sort(columns), slow[name].sort(columns), check_exact=False)


@pytest.mark.django_db(transaction=True)
def test_both_readers_return_the_same_frames(tmp_path: Path) -> None:
    if connection.vendor == "postgresql":
        company_import(tmp_path, clients=120)  # committed: the fast reader's connection sees it
        _frames_agree()
        return
    # The SQLite test database lives in memory, out of another connection's reach: use a file.
    env = {**os.environ, "KAM_DATABASE_URL": f"sqlite:///{tmp_path}/kam.sqlite3"}

    def kam(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "kam.manage", *args], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    kam("migrate", "-v0")
    kam(
        "generate",
        "--clients",
        "120",
        "--years",
        "3",
        "--seed",
        "3",
        "--out",
        str(tmp_path / "c"),
        "--end",
        END.isoformat(),
    )
    for kind in ("employees", "clients", "sales", "payments", "credit_decisions"):
        kam("import", kind, str(tmp_path / "c" / f"{kind}.csv"))
    assert "same" in kam("shell", "-c", COMPARE.format(end=END.isoformat()))
