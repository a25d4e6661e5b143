"""``kam generate``: figures as JSON, a readable summary, clear errors.  No database needed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _run(**options: object) -> str:
    out = io.StringIO()
    call_command("generate", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_it_prints_one_json_object_with_the_figures(tmp_path: Path) -> None:
    text = _run(clients=40, years=1, seed=2, out=str(tmp_path), end="2025-06-30", json=True)
    figures = json.loads(text)
    assert set(figures) == {
        "clients",
        "employees",
        "sales_lines",
        "documents",
        "payments",
        "credit_decisions",
        "seconds",
        "out",
    }
    assert figures["clients"] == 40 and figures["out"] == str(tmp_path.resolve())
    lines = (tmp_path / "sales.csv").read_text(encoding="utf-8").count("\n") - 1
    assert figures["sales_lines"] == lines


def test_it_prints_a_readable_summary(tmp_path: Path) -> None:
    text = _run(clients=20, years=1, out=str(tmp_path), end="2025-06-30")
    assert "sales lines" in text and "truth.csv" in text
    assert (tmp_path / "credit_decisions.csv").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"clients": 0}, "--clients"),
        ({"clients": 5, "years": 0}, "--years"),
        ({"clients": 5, "end": "2025-02-30"}, "--end"),
    ],
)
def test_it_rejects_bad_arguments(tmp_path: Path, options: dict, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _run(out=str(tmp_path), **options)


def test_it_rejects_an_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(CommandError, match="output directory"):
        _run(clients=5, out=str(blocker / "sub"))
