"""The facts of a sales document, judged on its own date: the credit decisions valid then,
what the client owed then and for how long, the client's status then."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from kam.assessment.choices import FurtherWork
from kam.assessment.services import DecisionInput, decisions_record
from kam.credit.models import CreditDecision
from kam.keyaccounts.testing import Department_, department_create
from kam.planning.tests.ledger import payments_import, sales_import
from kam.rules.facts import Scope, subject_type

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 1)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


@pytest.fixture
def dept() -> Department_:
    return department_create()


def facts(as_of: dt.date | None = None) -> dict[str, dict[str, Any]]:
    frame = subject_type("sales_document").compute(Scope(as_of=as_of or day(200)))
    return {row["subject_key"]: row for row in frame.iter_rows(named=True)}


def decision(
    client: Any, no: str, start: dt.date, until: dt.date | None, terms: int, limit: int
) -> CreditDecision:
    return CreditDecision.objects.create(
        decision_no=no,
        client=client,
        date=start,
        valid_until=until,
        max_terms_days=terms,
        credit_limit=Decimal(limit),
    )


def test_it_finds_the_decisions_valid_on_the_documents_own_date(
    dept: Department_, tmp_path: Path
) -> None:
    k1 = dept.clients["K1"]
    decision(k1, "CD-1", day(10), day(40), 30, 100_000)
    decision(k1, "CD-2", day(30), None, 45, 50_000)
    revoked = decision(k1, "CD-3", day(50), None, 90, 500_000)
    revoked.revoked_at = timezone.make_aware(dt.datetime.combine(day(60), dt.time(12)))
    revoked.save()
    sales_import(
        tmp_path,
        [
            ("A-before", day(5), "K1", "Бумага", 1000, 600, 30),  # before any decision
            ("A-first", day(20), "K1", "Бумага", 1000, 600, 30),  # CD-1 only
            ("A-both", day(35), "K1", "Бумага", 1000, 600, 30),  # CD-1 and CD-2
            ("A-second", day(45), "K1", "Бумага", 1000, 600, 30),  # CD-1 expired on day 40
            ("A-revoked", day(55), "K1", "Бумага", 1000, 600, 60),  # CD-3 valid until revoked
            ("A-after", day(61), "K1", "Бумага", 1000, 600, 60),  # CD-3 revoked on day 60
        ],
    )
    found = facts()
    assert found["A-before"]["has_valid_credit_decision"] is False
    assert found["A-before"]["credit_max_terms_days"] is None
    assert found["A-first"]["credit_max_terms_days"] == 30
    assert found["A-first"]["credit_limit"] == 100_000
    # Any valid decision counts: the longest terms and the highest limit among them.
    assert (found["A-both"]["credit_max_terms_days"], found["A-both"]["credit_limit"]) == (
        45,
        100_000,
    )
    assert (found["A-second"]["credit_max_terms_days"], found["A-second"]["credit_limit"]) == (
        45,
        50_000,
    )
    assert found["A-revoked"]["credit_max_terms_days"] == 90
    assert found["A-after"]["credit_max_terms_days"] == 45
    assert all(found[k]["is_deferred"] for k in found)


def test_it_counts_what_the_client_owed_on_the_date_and_the_oldest_debt(
    dept: Department_, tmp_path: Path
) -> None:
    sales_import(
        tmp_path,
        [
            ("I1", day(0), "K1", "Бумага", 1000, None, 10),  # due day 10
            ("I2", day(5), "K1", "Бумага", 2000, None, 10),  # due day 15
            ("R1", day(8), "K1", "Бумага", -300, None, 0),  # a return
            ("I3", day(30), "K1", "Бумага", 500, None, 30),
            ("I4", day(30), "K1", "Бумага", 700, None, 30),  # the same day as I3
            ("I5", day(100), "K1", "Бумага", 100, None, 0),
            ("O1", day(30), "K2", "Бумага", 9999, None, 0),  # another client's
        ],
    )
    payments_import(
        tmp_path,
        [
            ("P1", day(20), "K1", 500.0, "I2"),  # names I2, yet the total is what counts
            ("P2", day(90), "K1", 3400.0, ""),
        ],
    )
    found = facts()
    # I1: nothing owed before it.
    assert found["I1"]["client_unpaid_before"] == 0
    assert found["I1"]["exposure"] == 1000
    # I3 on day 30: 1000 + 2000 − 300 − 500 paid + I4 the same day (700) = 2900.
    assert found["I3"]["client_unpaid_before"] == 2900
    assert found["I3"]["exposure"] == 3400
    assert found["I4"]["client_unpaid_before"] == 2700  # 1000 + 2000 − 300 − 500 + 500
    # Oldest first: the return and the payment (800) leave 200 of I1 unpaid: 20 days past due.
    assert found["I3"]["client_overdue_days"] == 20
    # Day 100: 4200 invoiced, 300 returned, 3900 paid: nothing owed, nothing overdue.
    assert found["I5"]["client_unpaid_before"] == 0
    assert found["I5"]["client_overdue_days"] == 0
    # A return is a document too: it owes nothing and is no deferred sale.
    assert found["R1"]["is_return"] is True and found["R1"]["is_deferred"] is False
    # Another client's debt is not this one's.
    assert found["O1"]["client_unpaid_before"] == 0


def test_it_judges_the_clients_status_on_the_documents_date(
    dept: Department_, tmp_path: Path
) -> None:
    s1 = dept.clients["S1"]
    sales_import(tmp_path, [("S-early", day(0), "S1", "Бумага", 100, None, 0)])
    decisions_record(
        items=[DecisionInput(s1.pk, "key", FurtherWork.DEVELOP, "Grew fast.")],
        user=dept.users["alice"],
    )
    today = timezone.localdate()
    sales_import(tmp_path, [("S-late", today, "S1", "Бумага", 100, None, 0)], name="later.csv")
    found = facts(as_of=today)
    assert found["S-early"]["client_status"] == "standard"
    assert found["S-late"]["client_status"] == "key"


def test_a_proposed_document_has_the_facts_the_audit_gives_it(
    dept: Department_, tmp_path: Path
) -> None:
    """The guard (one proposed row) and the audit (every document) derive the same facts."""
    decision(dept.clients["K1"], "CD-1", day(0), None, 30, 2500)
    sales_import(
        tmp_path,
        [
            ("I1", day(0), "K1", "Бумага", 1000, None, 10),
            ("I2", day(40), "K1", "Бумага", 2000, None, 30),
            ("I3", day(41), "K1", "Бумага", 700, None, 45),
        ],
    )
    kind = subject_type("sales_document")
    audit = facts()
    base = kind.base(Scope(as_of=day(200)))
    for row in base.iter_rows(named=True):
        proposed = kind.proposed([row], Scope(as_of=day(200))).row(0, named=True)
        expected = audit[row["subject_key"]]
        assert {f.name: proposed[f.name] for f in kind.facts} == {
            f.name: expected[f.name] for f in kind.facts
        }
    # A new document (not in the ledger yet) sees every existing one as the client's debt.
    new = kind.proposed(
        [
            {
                "subject_key": "NEW",
                "client_id": dept.clients["K1"].pk,
                "document_date": day(41),
                "payment_terms_days": 45,
                "amount": 100.0,
            }
        ],
        Scope(as_of=day(41)),
    ).row(0, named=True)
    assert new["client_unpaid_before"] == 3700
    assert new["exposure"] == 3800
    assert new["client_overdue_days"] == 31  # I1 was due on day 10
    assert new["credit_limit"] == 2500 and new["credit_max_terms_days"] == 30
