"""This app's rows of the pages' permission matrix (kam/web/tests/test_permission_matrix.py):
URL name → (method, args, data, expected status per role), and the fixture objects its
arguments may name (a name → a function of the test company returning the object's id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kam.web.tests.matrix import answers, only

#: The rulebook is read by everyone with a role; the analyst and the director write it.
EDITORS = ["alice", "grace"]
RULE = "deferred_payment_requires_credit_approval"

MATRIX: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "rules:list": ("get", [], {}, answers(200, ivan=403)),
    "rules:export": ("get", ["csv"], {}, answers(200, ivan=403)),
    "rules:detail": ("get", [RULE], {}, answers(200, ivan=403)),
    "rules:version": ("get", [RULE, 1], {}, answers(200, ivan=403)),
    "rules:audits": ("get", [], {}, answers(200, ivan=403)),
    # no audit has run in the matrix's company: the page of one answers 404 to readers
    "rules:audit_detail": ("get", [999999], {}, answers(404, ivan=403)),
    "rules:new": ("get", [], {}, only(EDITORS, 200)),
    "rules:check": ("post", [], {}, only(EDITORS, 200)),
    "rules:facts": ("get", [], {}, only(EDITORS, 200)),
    "rules:audit_run": ("get", [], {}, only(EDITORS, 200)),
    "rules:version_new": ("get", [RULE], {}, only(EDITORS, 200)),
    # version 1 is enabled: its editor opens a new version, its enable page the rule
    "rules:version_edit": ("get", [RULE, 1], {}, only(EDITORS, 302)),
    "rules:version_enable": ("get", [RULE, 1], {}, only(EDITORS, 302)),
    "rules:dry_run": ("get", [RULE, 1], {}, only(EDITORS, 200)),
    "rules:disable": ("get", [RULE], {}, only(EDITORS, 200)),
}
ARGS: dict[str, Callable[[Any], Any]] = {}
