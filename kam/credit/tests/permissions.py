"""This app's rows of the pages' permission matrix (kam/web/tests/test_permission_matrix.py):
URL name → (method, args, data, expected status per role), and the fixture objects its
arguments may name (a name → a function of the test company returning the object's id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kam.web.tests.matrix import answers, only  # noqa: F401

MATRIX: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "credit:inbox": ("get", [], {}, answers(200, ivan=403)),
    "credit:application": ("get", [999999], {}, answers(404, ivan=403)),
}
ARGS: dict[str, Callable[[Any], Any]] = {}
