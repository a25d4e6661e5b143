"""This app's rows of the pages' permission matrix (kam/web/tests/test_permission_matrix.py):
URL name → (method, args, data, expected status per role), and the fixture objects its
arguments may name (a name → a function of the test company returning the object's id).

"credit_application" is charlie's application for C1 (his client); heidi, the committee's only
member here, votes on it (the policy is set to one approval). It is read by the readers of the
committee's work (alice, bob, frank, grace, heidi) and by charlie; dave and erin do not find it
(404). "credit_decision" is an imported decision for C1: the register and its decisions are for
the readers only; the director revokes (the committee has no chair here). Empty POSTs are
refused beside their fields (400) for whoever may take the step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kam.web.tests.matrix import answers, only

READERS = ["alice", "bob", "frank", "grace", "heidi"]
APPLICANTS = ["alice", "bob", "charlie", "dave", "erin"]


def _application(allowed: dict[str, int], refused: int = 403) -> dict[str, int]:
    """charlie's application: the readers and charlie get ``allowed`` or ``refused``; dave and
    erin do not find it."""
    table = only([], 0)
    for role in [*READERS, "charlie"]:
        table[role] = allowed.get(role, refused)
    return {**table, "dave": 404, "erin": 404, "ivan": 403, "anonymous": 302}


MATRIX: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "credit:inbox": ("get", [], {}, answers(200, ivan=403)),
    "credit:applications_export": ("get", ["csv"], {}, answers(200, ivan=403)),
    # without a client: the picker of the clients one may apply for
    "credit:apply": ("get", [], {}, only(APPLICANTS, 200)),
    "credit:application": (
        "get",
        ["credit_application"],
        {},
        _application(dict.fromkeys([*READERS, "charlie"], 200)),
    ),
    "credit:protocol": (
        "get",
        ["credit_application"],
        {},
        _application(dict.fromkeys([*READERS, "charlie"], 200)),
    ),
    # members vote (an empty vote is refused beside its fields); nobody else
    "credit:vote": ("post", ["credit_application"], {}, _application({"heidi": 400})),
    # the applicant and the director withdraw (a reason is required)
    "credit:withdraw": (
        "post",
        ["credit_application"],
        {},
        _application({"alice": 400, "charlie": 400}),
    ),
    "credit:decisions": ("get", [], {}, only(READERS, 200)),
    "credit:decisions_export": ("get", ["csv"], {}, only(READERS, 200)),
    "credit:decision": ("get", ["credit_decision"], {}, only(READERS, 200)),
    # the chair (none here) or the director revokes, with a reason
    "credit:revoke": ("post", ["credit_decision"], {}, only(["alice"], 400)),
    # everyone with a role reads the policy; the director changes it
    "credit:settings": ("get", [], {}, answers(200, ivan=403)),
}


def _credit_application(company: Any) -> int:
    from kam.credit.services import application_submit, committee_settings_update

    committee_settings_update(
        user=None, approvals_needed=1, chair_must_approve=False, validity_months=12
    )
    return application_submit(
        client=company.clients["C1"],
        user=company.users["charlie"],
        requested_limit="100000",
        requested_terms_days=30,
        justification="Matrix",
    ).pk


def _credit_decision(company: Any) -> int:
    import datetime as dt
    from decimal import Decimal

    from kam.credit.models import CreditDecision

    return CreditDecision.objects.create(
        decision_no="IMP-1",
        client=company.clients["C1"],
        date=dt.date.today(),
        credit_limit=Decimal("1000"),
        max_terms_days=30,
    ).pk


ARGS: dict[str, Callable[[Any], Any]] = {
    "credit_application": _credit_application,
    "credit_decision": _credit_decision,
}
