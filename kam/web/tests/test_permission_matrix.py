"""Every URL × every role (and an anonymous visitor) gets exactly the answer it should.

The URL list comes from the URL configuration: a new page without a decision here fails.
The admin is Django's (staff only, its own permission system) and is left out.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kam.web.tests.conftest import ROLES, Company
from kam.web.tests.matrix import answers, only

pytestmark = pytest.mark.django_db

EVERYONE = ["anonymous", *ROLES]
WITH_ROLE = [r for r in ROLES if r != "ivan"]

# Who reads every plan without writing any: the auditor, the analyst, the credit committee.
READ_ONLY_PLANS = ["frank", "grace", "heidi"]


# name → (method, args, data, expected per role)
MATRIX: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "home": ("get", [], {}, answers(302, ivan=403)),
    "login": ("get", [], {}, answers(302, anonymous=200)),
    "logout": ("get", [], {}, answers(405, anonymous=405)),
    "password_change": ("get", [], {}, answers(200)),
    "password_change_done": ("get", [], {}, answers(200)),
    "language": ("get", [], {}, answers(405, anonymous=405)),
    "tokens": ("get", [], {}, answers(200)),
    "token_revoke": ("post", [999999], {}, answers(404)),
    "clients:list": ("get", [], {}, answers(200, ivan=403)),
    "clients:export": ("get", ["csv"], {}, answers(200, ivan=403)),
    "clients:detail": ("get", ["C1"], {}, answers(200, dave=404, erin=404, ivan=403)),
    "clients:profile_edit": (
        "get",
        ["C1"],
        {},
        {
            "anonymous": 302,
            "alice": 200,
            "bob": 200,
            "charlie": 200,
            "dave": 404,
            "erin": 404,
            "frank": 403,
            "grace": 403,
            "heidi": 403,
            "ivan": 403,
        },
    ),
    "imports:list": ("get", [], {}, only(["alice", "grace", "frank"], 200)),
    "imports:upload": ("post", [], {}, only(["alice", "grace"], 400)),
    "imports:confirm": ("post", ["no-such-upload"], {}, only(["alice", "grace"], 302)),
    # assessment: cycles, proposals, matrix (readers of every client; no cycle exists here, so
    # the pages of one cycle answer 404 to whoever passes the role check)
    "assessment:cycles": ("get", [], {}, only(["alice", "bob", "frank", "grace", "heidi"], 200)),
    "assessment:cycle_run": ("post", [], {}, only(["alice", "bob", "grace"], 400)),
    "assessment:schedule": ("post", [], {}, only(["alice", "grace"], 400)),
    "assessment:matrix": ("get", [], {}, only(["alice", "bob", "frank", "grace", "heidi"], 200)),
    "assessment:cycle": (
        "get",
        [999999],
        {},
        only(["alice", "bob", "frank", "grace", "heidi"], 404),
    ),
    "assessment:cycle_decide": ("post", [999999], {}, only(["alice", "bob"], 404)),
    "assessment:cycle_export": (
        "get",
        [999999, "csv"],
        {},
        only(["alice", "bob", "frank", "grace", "heidi"], 404),
    ),
    # assessment: client panel, decisions, models (decisions: the head and the director, on a
    # client they see; contacts: whoever may edit the client; models: read by the readers of
    # every client, changed by the analyst and the director — no model exists here, so 404)
    "clients:status_decide": (
        "get",
        ["C1"],
        {},
        {**only(["alice", "bob"], 200), "dave": 404, "erin": 404},
    ),
    "clients:contact_add": (
        "post",
        ["C1"],
        {},
        {**only(["alice", "bob", "charlie"], 400), "dave": 404, "erin": 404},
    ),
    "clients:contact_delete": (
        "post",
        ["C1", 999999],
        {},
        {**only(["alice", "bob", "charlie"], 404), "dave": 404, "erin": 404},
    ),
    "scoring_models:list": ("get", [], {}, only(["alice", "bob", "frank", "grace", "heidi"], 200)),
    "scoring_models:detail": (
        "get",
        [999999],
        {},
        only(["alice", "bob", "frank", "grace", "heidi"], 404),
    ),
    "scoring_models:download": (
        "get",
        [999999, "toml"],
        {},
        only(["alice", "bob", "frank", "grace", "heidi"], 404),
    ),
    "scoring_models:edit": ("get", [999999], {}, only(["alice", "grace"], 404)),
    "scoring_models:preview": ("post", [999999], {}, only(["alice", "grace"], 404)),
    "scoring_models:activate": ("post", [999999], {}, only(["alice", "grace"], 404)),
    # key-account department: the board and the history for whoever reads every client (a
    # key-account manager is sent to their own accounts); handovers and limits by the head and
    # the director; nobody hands over their own accounts; the receiver (erin, of C4 here)
    # reads and acknowledges their handover; the auditor reads only
    "keyaccounts:board": (
        "get",
        [],
        {},
        {**only(["alice", "bob", "frank", "grace", "heidi"], 200), "charlie": 302, "dave": 302},
    ),
    "keyaccounts:mine": ("get", [], {}, only(["bob", "charlie", "dave"], 200)),
    "keyaccounts:handover": (
        "get",
        ["C1"],
        {},
        {**only(["alice", "bob"], 200), "dave": 404, "erin": 404},
    ),
    "keyaccounts:bulk_handover": ("get", ["charlie"], {}, only(["alice", "bob"], 200)),
    "keyaccounts:handovers": (
        "get",
        [],
        {},
        only(["alice", "bob", "frank", "grace", "heidi"], 200),
    ),
    "keyaccounts:handovers_export": (
        "get",
        ["csv"],
        {},
        only(["alice", "bob", "frank", "grace", "heidi"], 200),
    ),
    "keyaccounts:handover_detail": (
        "get",
        ["handover"],
        {},
        only(["alice", "bob", "erin", "frank", "grace", "heidi"], 200),
    ),
    "keyaccounts:handover_acknowledge": ("post", ["handover"], {}, only(["erin"], 302)),
    "keyaccounts:workload": ("get", [], {}, only(["alice", "bob", "frank", "grace", "heidi"], 200)),
    "keyaccounts:workload_remove": ("post", ["charlie"], {}, only(["alice", "bob"], 302)),
    # development plans: the department's plans for whoever reads every client (a key-account
    # manager is sent to their own), "my plans" for whoever keeps key accounts (the readers are
    # sent to the department's); the settings read by both, changed by the head and the
    # director; plans proposed by the head, the director and a manager for their own accounts
    # (C1 is no key account here: the refusal is a message and a redirect)
    "planning:mine": (
        "get",
        [],
        {},
        {
            **only(["bob", "charlie", "dave"], 200),
            **dict.fromkeys(["alice", *READ_ONLY_PLANS], 302),
        },
    ),
    "planning:department": (
        "get",
        [],
        {},
        {**only(["alice", "bob", *READ_ONLY_PLANS], 200), "charlie": 302, "dave": 302},
    ),
    "planning:department_export": (
        "get",
        ["csv"],
        {},
        only(["alice", "bob", *READ_ONLY_PLANS], 200),
    ),
    "planning:settings": (
        "get",
        [],
        {},
        only(["alice", "bob", "charlie", "dave", *READ_ONLY_PLANS], 200),
    ),
    "planning:create_missing": ("post", [], {}, only(["alice", "bob", "charlie", "dave"], 302)),
    "planning:create": (
        "post",
        ["C1"],
        {},
        {**only(["alice", "bob", "charlie"], 302), "dave": 404},
    ),
    # one plan (charlie's plan of C1): read by its owner and the readers of every plan; no plan
    # 999999 exists, so the pages of one answer 404 to whoever has a role
    "planning:detail": (
        "get",
        ["plan"],
        {},
        only(["alice", "bob", "charlie", *READ_ONLY_PLANS], 200),
    ),
    "planning:print": ("get", [999999], {}, answers(404, ivan=403)),
    "planning:xlsx": ("get", [999999], {}, answers(404, ivan=403)),
    "planning:submit": ("post", [999999], {}, answers(404, ivan=403)),
    "planning:approve": ("post", [999999], {}, answers(404, ivan=403)),
    "planning:return": ("post", [999999], {}, answers(404, ivan=403)),
    "planning:close": ("get", [999999], {}, answers(404, ivan=403)),
    "planning:summary": ("get", [999999], {}, answers(404, ivan=403)),
    "planning:target_add": ("get", [999999], {}, answers(404, ivan=403)),
    "planning:target_edit": ("get", [999999, 1], {}, answers(404, ivan=403)),
    "planning:target_remove": ("post", [999999, 1], {}, answers(404, ivan=403)),
    "planning:action_add": ("get", [999999], {}, answers(404, ivan=403)),
    "planning:action_edit": ("get", [999999, 1], {}, answers(404, ivan=403)),
    "planning:action_remove": ("post", [999999, 1], {}, answers(404, ivan=403)),
}
# The apps that keep their rows beside their code (kam/<app>/tests/permissions.py).
EXTRA_ARGS: dict[str, Any] = {}
for _module in (
    "kam.rules.tests.permissions",
    "kam.incidents.tests.permissions",
    "kam.ledger.tests.permissions",
    "kam.deals.tests.permissions",
    "kam.credit.tests.permissions",
):
    _rows = __import__(_module, fromlist=["MATRIX", "ARGS"])
    MATRIX.update(_rows.MATRIX)
    EXTRA_ARGS.update(_rows.ARGS)

# The admin is Django's own; the API has its own matrix (kam/api/tests), built from OpenAPI.
LEFT_OUT_NAMESPACES = {"admin", "api"}
LEFT_OUT_NAMES = {"set_language"}  # Django's own i18n view, not used by the app's pages


def url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}{pattern.namespace}:"
                if pattern.namespace in LEFT_OUT_NAMESPACES:
                    continue
                walk(pattern.url_patterns, inner)
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name
                and pattern.name not in LEFT_OUT_NAMES
            ):
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_has_a_permission_decision() -> None:
    missing = url_names() - set(MATRIX)
    assert not missing, f"add these URLs to the permission matrix: {sorted(missing)}"


def _handover(company: Company) -> int:
    """C4 (nobody's) handed to erin: she is the receiver."""
    from kam.keyaccounts.choices import Cause
    from kam.keyaccounts.services import handover_record

    return handover_record(
        client=company.clients["C4"],
        to_manager=company.employees["erin"],
        user=company.users["alice"],
        cause=Cause.ASSIGNMENT,
    ).pk


def _plan(company: Company) -> int:
    """C1 made a key account with a plan of charlie's (its responsible manager)."""
    from kam.planning.services import plan_create

    client = company.clients["C1"]
    client.status = "key"
    client.save(update_fields=["status"])
    return plan_create(client=client, user=None).pk


def _arg(company: Company, arg: Any) -> Any:
    """Client codes, employees' logins, "handover" and "plan" stand for the fixture's objects."""
    if arg in company.clients:
        return company.clients[arg].pk
    if arg in company.employees:
        return company.employees[arg].pk
    if arg == "handover":
        return _handover(company)
    if arg == "plan":
        return _plan(company)
    if isinstance(arg, str) and arg in EXTRA_ARGS:
        return EXTRA_ARGS[arg](company)
    return arg


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_the_expected_answer(company: Company, name: str) -> None:
    method, args, data, expected = MATRIX[name]
    args = [_arg(company, a) for a in args]
    url = reverse(name, args=args)
    got = {}
    for role in EVERYONE:
        browser = Browser()
        if role != "anonymous":
            browser.force_login(company.users[role])
        response = getattr(browser, method)(url, data)
        got[role] = response.status_code
    assert got == expected
