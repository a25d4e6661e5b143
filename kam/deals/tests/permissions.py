"""This app's rows of the pages' permission matrix (kam/web/tests/test_permission_matrix.py):
URL name → (method, args, data, expected status per role), and the fixture objects its
arguments may name (a name → a function of the test company returning the object's id).

"pipeline_deal" is erin's deal with C3 (a client she keeps) and "pipeline_prospect" her
prospect. Whoever reads every client (alice, bob, frank, grace, heidi) sees both; erin owns
them; the key-account managers charlie and dave do not find them (404). Only the owner and the
director change them (bob heads the key-account department, not erin's); the auditor, the
analyst and the committee read only (403). Posting an empty move or status form is refused as
invalid (400) after the permission checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kam.web.tests.matrix import answers, only

#: Who starts deals and prospects at all (access.can_work_deals).
WORKERS = ["alice", "bob", "charlie", "dave", "erin"]
#: Who sees erin's deal and prospect; the others with a role do not find them.
READERS = ["alice", "bob", "erin", "frank", "grace", "heidi"]
OUTSIDERS = {"charlie": 404, "dave": 404}


def _card(allowed: dict[str, int]) -> dict[str, int]:
    """Readers not in ``allowed`` are refused (403), the outsiders do not find it (404)."""
    table = only([], 0)
    for role in READERS:
        table[role] = allowed.get(role, 403)
    return {**table, **OUTSIDERS, "ivan": 403, "anonymous": 302}


EDITORS = ["alice", "erin"]

MATRIX: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "deals:pipeline": ("get", [], {}, answers(200, ivan=403)),
    "deals:export": ("get", ["csv"], {}, answers(200, ivan=403)),
    "deals:new": ("get", [], {}, only(WORKERS, 200)),
    "deals:detail": ("get", ["pipeline_deal"], {}, _card(dict.fromkeys(READERS, 200))),
    "deals:edit": ("get", ["pipeline_deal"], {}, _card(dict.fromkeys(EDITORS, 200))),
    "deals:move": ("post", ["pipeline_deal"], {}, _card(dict.fromkeys(EDITORS, 400))),
    "deals:prospects": ("get", [], {}, answers(200, ivan=403)),
    "deals:prospect_export": ("get", ["csv"], {}, answers(200, ivan=403)),
    "deals:prospect_new": ("get", [], {}, only(WORKERS, 200)),
    "deals:prospect": ("get", ["pipeline_prospect"], {}, _card(dict.fromkeys(READERS, 200))),
    "deals:prospect_edit": (
        "get",
        ["pipeline_prospect"],
        {},
        _card(dict.fromkeys(EDITORS, 200)),
    ),
    "deals:prospect_status": (
        "post",
        ["pipeline_prospect"],
        {},
        _card(dict.fromkeys(EDITORS, 400)),
    ),
    "deals:prospect_convert": (
        "get",
        ["pipeline_prospect"],
        {},
        _card(dict.fromkeys(EDITORS, 200)),
    ),
}


def _deal(company: Any) -> int:
    import datetime as dt

    from kam.deals.services import deal_create

    return deal_create(
        user=None,
        client=company.clients["C3"],
        owner=company.employees["erin"],
        title="Бумага на квартал",
        amount="120 000",
        payment_terms_days=30,
        expected_close=dt.date.today() + dt.timedelta(days=20),
    ).pk


def _prospect(company: Any) -> int:
    from kam.deals.services import prospect_create

    return prospect_create(
        user=None, name="ООО «Новый»", source="referral", owner=company.employees["erin"]
    ).pk


ARGS: dict[str, Callable[[Any], Any]] = {
    "pipeline_deal": _deal,
    "pipeline_prospect": _prospect,
}
