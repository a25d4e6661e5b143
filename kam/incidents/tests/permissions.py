"""This app's rows of the pages' permission matrix (kam/web/tests/test_permission_matrix.py):
URL name → (method, args, data, expected status per role), and the fixture objects its
arguments may name (a name → a function of the test company returning the object's id).

"incident" is charlie's incident, handled by bob (the head of his department here): it is read
by its violator, its handler and the readers of every incident (alice, frank, grace); anyone
else with a role does not find it (404). The roles are asked in order (alice first) on the same
incident, so a step alice takes changes what bob meets (investigate: alice takes it up, bob is
told it is no longer open — both redirected back to the card).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kam.web.tests.matrix import answers, only

# Who reads charlie's incident; the others with a role get 404.
READERS = ["alice", "bob", "charlie", "frank", "grace"]
OUTSIDERS = {"dave": 404, "erin": 404, "heidi": 404}


def _card(allowed: dict[str, int], refused: int = 403) -> dict[str, int]:
    """Readers not in ``allowed`` are refused, the others do not find it."""
    table = only([], 0)
    for role in READERS:
        table[role] = allowed.get(role, refused)
    return {**table, **OUTSIDERS, "ivan": 403, "anonymous": 302}


SCORECARD = ["alice", "bob", "frank", "grace"]

MATRIX: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "incidents:inbox": ("get", [], {}, answers(200, ivan=403)),
    "incidents:export": ("get", ["csv"], {}, answers(200, ivan=403)),
    "incidents:detail": ("get", ["incident"], {}, _card(dict.fromkeys(READERS, 200))),
    # the violator explains (an empty explanation: 400); nobody else
    "incidents:explain": ("post", ["incident"], {}, _card({"charlie": 400})),
    # the handler and the director take up, decide, dismiss, close; never the violator, the
    # auditor or the analyst
    "incidents:investigate": ("post", ["incident"], {}, _card({"alice": 302, "bob": 302})),
    "incidents:decide": ("post", ["incident"], {}, _card({"alice": 400, "bob": 400})),
    "incidents:dismiss": ("post", ["incident"], {}, _card({"alice": 400, "bob": 400})),
    # close without confirmation shows the confirmation page
    "incidents:close": ("post", ["incident"], {}, _card({"alice": 200, "bob": 200})),
    "incidents:comment": (
        "post",
        ["incident"],
        {},
        _card({"alice": 400, "bob": 400, "charlie": 400}),
    ),
    "incidents:action_done": (
        "post",
        ["incident", 999999],
        {},
        _card(dict.fromkeys(READERS, 404)),
    ),
    "incidents:scorecard": ("get", [], {}, only(SCORECARD, 200)),
    "incidents:scorecard_export": ("get", ["employees", "csv"], {}, only(SCORECARD, 200)),
    "incidents:sanctions": ("get", [], {}, answers(200, ivan=403)),
    "incidents:sanction_add": ("get", [], {}, only(["alice"], 200)),
    "incidents:sanction_edit": ("get", ["sanction"], {}, only(["alice"], 200)),
    "incidents:sanction_use": ("post", ["sanction"], {}, only(["alice"], 302)),
    # the warning is a rule's default sanction: refused with a message, back to the list
    "incidents:sanction_delete": ("post", ["sanction"], {}, only(["alice"], 302)),
}


def _incident(company: Any) -> int:
    from kam.incidents.tests.pages import heads_set, incident_open

    heads_set(company)
    return incident_open(company, "charlie", "C1", "MATRIX-1").pk


def _sanction(company: Any) -> int:
    from kam.incidents.models import SanctionKind

    return SanctionKind.objects.get(code="warning").pk


ARGS: dict[str, Callable[[Any], Any]] = {"incident": _incident, "sanction": _sanction}
