"""This app's rows of the pages' permission matrix (kam/web/tests/test_permission_matrix.py):
URL name → (method, args, data, expected status per role), and the fixture objects its
arguments may name (a name → a function of the test company returning the object's id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kam.web.tests.matrix import answers, only  # noqa: F401

MATRIX: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    # Registering a sale: the client's responsible (charlie keeps C1), the key-account head and
    # the director; the readers of every client may not; others do not find the client.
    "ledger:register": (
        "get",
        ["C1"],
        {},
        {**only(["alice", "bob", "charlie"], 200), "dave": 404, "erin": 404},
    ),
}
ARGS: dict[str, Callable[[Any], Any]] = {}
