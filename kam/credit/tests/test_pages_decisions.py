"""The decision register: imported decisions and the committee's are the same objects, each with
its standing today (valid, not yet valid, expired, revoked); filters, sorting, pagination,
CSV/XLSX export; read by the committee and whoever reads every client, nobody else."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.credit.models import CreditDecision
from kam.credit.testing import Committee
from kam.credit.tests.pages import application_filed, browser_for, voted

pytestmark = pytest.mark.django_db
REGISTER = reverse("credit:decisions")
TODAY = timezone.localdate()


def imported(committee: Committee, number: str, client: str, **values: Any) -> CreditDecision:
    values.setdefault("date", TODAY - dt.timedelta(days=30))
    values.setdefault("credit_limit", Decimal("100000"))
    values.setdefault("max_terms_days", 30)
    return CreditDecision.objects.create(
        decision_no=number, client=committee.clients[client], **values
    )


@pytest.fixture
def decisions(committee: Committee) -> dict[str, CreditDecision]:
    """Valid (imported, C1), expired (K1), not yet valid (N1), revoked (K1), and the
    committee's own (C1, valid)."""
    made = {
        "valid": imported(committee, "IMP-001", "C1", valid_until=TODAY + dt.timedelta(days=60)),
        "expired": imported(
            committee,
            "IMP-002",
            "K1",
            date=TODAY - dt.timedelta(days=400),
            valid_until=TODAY - dt.timedelta(days=35),
            credit_limit=Decimal("50000"),
        ),
        "future": imported(committee, "IMP-003", "N1", date=TODAY + dt.timedelta(days=5)),
        "revoked": imported(
            committee,
            "IMP-004",
            "K1",
            revoked_at=timezone.now(),
            revoke_reason="Банкротство.",
            credit_limit=Decimal("700000"),
        ),
    }
    application = application_filed(committee)
    voted(committee, application, "mike")
    voted(committee, application, "cora")
    made["committee"] = CreditDecision.objects.get(application=application)
    return made


def register(committee: Committee, query: str = "", login: str = "frank") -> Any:
    response = browser_for(committee, login).get(REGISTER + query)
    assert response.status_code == 200
    return response


def numbers(response: Any) -> list[str]:
    return [d.decision_no for d in response.context["page"].object_list]


def test_every_decision_with_its_standing_today(
    committee: Committee, decisions: dict[str, CreditDecision]
) -> None:
    response = register(committee)
    standing = {d.decision_no: d.standing for d in response.context["page"].object_list}
    assert standing == {
        "IMP-001": "valid",
        "IMP-002": "expired",
        "IMP-003": "not_yet_valid",
        "IMP-004": "revoked",
        decisions["committee"].decision_no: "valid",
    }
    html = response.content.decode()
    # The newest first; the committee's links its application
    assert numbers(response)[0] == "IMP-003"
    assert decisions["committee"].application.number in html  # type: ignore[union-attr]
    assert "Committee vote" in html and "Imported" in html
    assert 'data-standing="revoked"' in html and "Not yet valid" in html


def test_the_filters_narrow_the_register(
    committee: Committee, decisions: dict[str, CreditDecision]
) -> None:
    committee_no = decisions["committee"].decision_no
    assert numbers(register(committee, "?state=valid")) == [committee_no, "IMP-001"]
    assert numbers(register(committee, "?state=expired")) == ["IMP-002"]
    assert numbers(register(committee, "?state=not_yet_valid")) == ["IMP-003"]
    assert numbers(register(committee, "?source=committee")) == [committee_no]
    assert numbers(register(committee, "?q=Ключ")) == ["IMP-004", "IMP-002"]
    assert numbers(register(committee, "?q=imp-003")) == ["IMP-003"]
    k1 = committee.clients["K1"].pk
    assert numbers(register(committee, f"?client={k1}")) == ["IMP-004", "IMP-002"]
    since = (TODAY - dt.timedelta(days=31)).isoformat()
    until = TODAY.isoformat()
    assert numbers(register(committee, f"?date_from={since}&date_to={until}")) == [
        committee_no,
        "IMP-004",
        "IMP-001",
    ]
    assert "No decision matches." in register(committee, "?q=nobody").content.decode()


def test_sorting_by_limit_and_back(
    committee: Committee, decisions: dict[str, CreditDecision]
) -> None:
    assert numbers(register(committee, "?sort=limit"))[:2] == ["IMP-002", "IMP-001"]
    assert numbers(register(committee, "?sort=-limit"))[0] == "IMP-004"


def test_the_export_lists_the_filtered_decisions(
    committee: Committee, decisions: dict[str, CreditDecision]
) -> None:
    response = browser_for(committee, "alice").get(
        reverse("credit:decisions_export", args=["csv"]) + "?q=Ключ"
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "decision_no",
        "date",
        "client_code",
        "client",
        "credit_limit",
        "max_terms_days",
        "valid_until",
        "source",
        "state",
        "application",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
    ]
    by_number = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_number) == {"IMP-002", "IMP-004"}
    assert by_number["IMP-004"]["state"] == "Revoked"
    assert by_number["IMP-004"]["revoke_reason"] == "Банкротство."
    assert by_number["IMP-004"]["credit_limit"] == "700000,00"
    xlsx = browser_for(committee, "mike").get(reverse("credit:decisions_export", args=["xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_register_is_for_the_committee_and_the_readers(committee: Committee) -> None:
    for login in ("alice", "bob", "frank", "cora", "mike"):
        assert browser_for(committee, login).get(REGISTER).status_code == 200
    for login in ("erin", "charlie"):
        assert browser_for(committee, login).get(REGISTER).status_code == 403


def test_the_register_does_not_grow_with_its_rows(committee: Committee) -> None:
    frank = browser_for(committee, "frank")
    for i in range(3):
        imported(committee, f"A-{i}", "C1")
    frank.get(REGISTER)
    with CaptureQueriesContext(connection) as few:
        frank.get(REGISTER)
    for i in range(40):
        imported(
            committee,
            f"B-{i}",
            ("C1", "K1", "N1")[i % 3],
            revoked_at=timezone.now() if i % 5 == 0 else None,
        )
    with CaptureQueriesContext(connection) as many:
        assert frank.get(REGISTER).status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 6, len(many)
