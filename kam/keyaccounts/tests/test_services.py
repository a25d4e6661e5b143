"""Handovers, the one-responsible invariant, separation of functions, workload, status paths."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kam.assessment.services import DecisionInput, decisions_record
from kam.audit.models import AuditEntry
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.keyaccounts import selectors
from kam.keyaccounts.choices import Cause, Source
from kam.keyaccounts.models import Assignment, Handover
from kam.keyaccounts.services import (
    HandoverConflict,
    Rule,
    bulk_plan,
    handover_acknowledge,
    handover_record,
    handovers_bulk,
    load_of,
    workload_limit_set,
)
from kam.keyaccounts.testing import Department_, department_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def dept() -> Department_:
    return department_create()


def open_managers(client: Client) -> list[str]:
    return list(
        Assignment.objects.filter(client=client, end__isnull=True).values_list(
            "manager__code", flat=True
        )
    )


def test_a_handover_moves_the_account_and_keeps_the_history(dept: Department_) -> None:
    k1 = dept.clients["K1"]
    handover = handover_record(
        client=k1,
        to_manager=dept.employees["ken"],
        user=dept.users["helen"],
        cause=Cause.OVERLOAD,
        notes="Звонить по вторникам",
    )
    k1.refresh_from_db()
    assert k1.responsible == dept.employees["ken"]
    assert open_managers(k1) == ["E4"]
    history = list(Assignment.objects.filter(client=k1).order_by("start", "pk"))
    assert [(a.manager.code, a.end is None) for a in history] == [
        ("E5", False),
        ("E3", False),
        ("E4", True),
    ]
    assert history[1].end == timezone.localdate()
    assert history[2].handover == handover
    assert handover.from_manager == dept.employees["kate"]
    contacts = handover.briefing["sections"]["contacts"]
    assert contacts[0]["name"] == "Иван Закупкин" and contacts[0]["decision_maker"]
    entry = AuditEntry.objects.get(action="keyaccounts.handover")
    assert entry.actor == dept.users["helen"]
    assert entry.data["from"] == "E3" and entry.data["to"] == "E4"


def test_the_database_refuses_a_second_open_assignment(dept: Department_) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            client=dept.clients["K1"],
            manager=dept.employees["ken"],
            start=timezone.localdate(),
            source=Source.HANDOVER,
        )


@pytest.mark.parametrize(
    ("client", "receiver", "message"),
    [
        ("K1", "ann", "kept by the key-account department"),
        ("K1", "sam", "kept by the key-account department"),
        ("S1", "kate", "a standard client goes to the sales department"),
    ],
)
def test_separation_of_functions(
    dept: Department_, client: str, receiver: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        handover_record(
            client=dept.clients[client],
            to_manager=dept.employees[receiver],
            user=dept.users["alice"],
            cause=Cause.OTHER,
            reason="проверка",
        )
    assert message in error.value.message_dict["to_manager"][0]
    assert Handover.objects.count() == 0


def test_a_potential_key_account_may_go_to_the_department(dept: Department_) -> None:
    handover_record(
        client=dept.clients["P1"],
        to_manager=dept.employees["kate"],
        user=dept.users["helen"],
        cause=Cause.OTHER,
        reason="развиваем",
    )
    assert open_managers(dept.clients["P1"]) == ["E3"]


def test_an_inactive_employee_takes_nothing(dept: Department_) -> None:
    ken = dept.employees["ken"]
    ken.is_active = False
    ken.save()
    with pytest.raises(ValidationError, match="no longer active"):
        handover_record(
            client=dept.clients["K1"], to_manager=ken, user=dept.users["helen"], cause="leaving"
        )


def test_a_stale_form_is_refused_and_nothing_is_written(dept: Department_) -> None:
    handover_record(
        client=dept.clients["K1"],
        to_manager=dept.employees["ken"],
        user=dept.users["helen"],
        cause=Cause.OVERLOAD,
    )
    with pytest.raises(HandoverConflict, match="changed hands meanwhile"):
        handover_record(
            client=dept.clients["K1"],
            to_manager=dept.employees["kate"],
            user=dept.users["alice"],
            cause=Cause.OTHER,
            reason="вернуть",
            expected_from=dept.employees["kate"],
        )
    assert open_managers(dept.clients["K1"]) == ["E4"]
    assert Handover.objects.count() == 1


def test_who_may_hand_over(dept: Department_) -> None:
    k1 = dept.clients["K1"]
    for login in ("kate", "frank", "sam"):
        with pytest.raises(PermissionDenied):
            handover_record(
                client=k1,
                to_manager=dept.employees["ken"],
                user=dept.users[login],
                cause="overload",
            )
    # The head: key and potential key accounts, not a sales rep's standard client.
    with pytest.raises(PermissionDenied):
        handover_record(
            client=dept.clients["S1"],
            to_manager=dept.employees["ann"],
            user=dept.users["helen"],
            cause=Cause.OTHER,
            reason="x",
        )
    handover_record(
        client=dept.clients["S1"],
        to_manager=dept.employees["ann"],
        user=dept.users["alice"],
        cause=Cause.OTHER,
        reason="директор может",
    )
    assert open_managers(dept.clients["S1"]) == ["E6"]


def test_effective_dates(dept: Department_) -> None:
    today = timezone.localdate()
    k1 = dept.clients["K1"]
    base: dict[str, Any] = {
        "client": k1,
        "to_manager": dept.employees["ken"],
        "user": dept.users["helen"],
    }
    with pytest.raises(ValidationError, match="in the future"):
        handover_record(**base, cause="overload", effective=today + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="history cannot overlap"):
        handover_record(**base, cause="overload", effective=today - dt.timedelta(days=200))
    handover_record(**base, cause="overload", effective=today - dt.timedelta(days=10))
    closed = Assignment.objects.get(client=k1, manager=dept.employees["kate"])
    assert closed.end == today - dt.timedelta(days=10)


def test_other_cause_needs_a_reason(dept: Department_) -> None:
    with pytest.raises(ValidationError) as error:
        handover_record(
            client=dept.clients["K1"],
            to_manager=dept.employees["ken"],
            user=dept.users["helen"],
            cause=Cause.OTHER,
            reason="  ",
        )
    assert "reason" in error.value.message_dict


def test_above_the_limit_needs_the_heads_confirmation(dept: Department_) -> None:
    ken = dept.employees["ken"]
    workload_limit_set(manager=ken, max_accounts=1, max_revenue=None, user=dept.users["helen"])
    assert load_of(ken).accounts == 1
    with pytest.raises(ValidationError) as error:
        handover_record(
            client=dept.clients["G1"], to_manager=ken, user=dept.users["helen"], cause="assignment"
        )
    assert error.value.error_dict["confirm_over_limit"][0].code == "over_limit"
    assert "1 of 1" in error.value.message_dict["confirm_over_limit"][0]
    handover = handover_record(
        client=dept.clients["G1"],
        to_manager=ken,
        user=dept.users["helen"],
        cause="assignment",
        confirm_over_limit=True,
    )
    assert handover.over_limit and handover.load_before == 1 and handover.limit == 1
    assert AuditEntry.objects.get(action="keyaccounts.handover").data["over_limit"] is True


def test_the_default_limit_applies_to_everyone_without_their_own(dept: Department_) -> None:
    workload_limit_set(manager=None, max_accounts=1, max_revenue=None, user=dept.users["alice"])
    assert load_of(dept.employees["kate"]).limit.max_accounts == 1
    with pytest.raises(PermissionDenied):
        workload_limit_set(manager=None, max_accounts=9, max_revenue=None, user=dept.users["kate"])


def test_only_the_receiver_acknowledges(dept: Department_) -> None:
    handover = handover_record(
        client=dept.clients["K1"],
        to_manager=dept.employees["ken"],
        user=dept.users["helen"],
        cause="overload",
    )
    for login in ("kate", "helen"):
        with pytest.raises(PermissionDenied):
            handover_acknowledge(handover=handover, user=dept.users[login])
    done = handover_acknowledge(handover=handover, user=dept.users["ken"])
    assert done.acknowledged_by == dept.users["ken"] and done.acknowledged_at is not None
    assert list(selectors.pending_for(dept.employees["ken"])) == []


def test_bulk_handover_when_a_manager_leaves(dept: Department_) -> None:
    kate, ken = dept.employees["kate"], dept.employees["ken"]
    handover_record(
        client=dept.clients["G1"], to_manager=kate, user=dept.users["helen"], cause="assignment"
    )
    plan = bulk_plan(from_manager=kate, rule=Rule.ONE, receivers=[ken])
    assert [(c.code, r.code) for c, r in plan] == [("G1", "E4"), ("K1", "E4")]
    done = handovers_bulk(plan=plan, user=dept.users["helen"], cause=Cause.LEAVING)
    assert len(done) == 2 and len({h.bulk for h in done}) == 1
    assert load_of(kate).accounts == 0 and load_of(ken).accounts == 3


def test_bulk_handover_is_all_or_nothing(dept: Department_) -> None:
    kate = dept.employees["kate"]
    handover_record(
        client=dept.clients["G1"], to_manager=kate, user=dept.users["helen"], cause="assignment"
    )
    # ken has room for one more account only.
    workload_limit_set(
        manager=dept.employees["ken"], max_accounts=2, max_revenue=None, user=dept.users["helen"]
    )
    plan = bulk_plan(from_manager=kate, rule=Rule.ONE, receivers=[dept.employees["ken"]])
    with pytest.raises(ValidationError, match="Nothing was handed over") as error:
        handovers_bulk(plan=plan, user=dept.users["helen"], cause=Cause.LEAVING)
    assert error.value.code == "over_limit"
    assert load_of(kate).accounts == 2
    assert Handover.objects.filter(cause=Cause.LEAVING).count() == 0


def test_bulk_handover_stops_when_an_account_changed_hands_since_the_plan(
    dept: Department_,
) -> None:
    kate, ken = dept.employees["kate"], dept.employees["ken"]
    handover_record(
        client=dept.clients["G1"], to_manager=kate, user=dept.users["helen"], cause="assignment"
    )
    plan = bulk_plan(from_manager=kate, rule=Rule.ONE, receivers=[ken])
    # Meanwhile the director gives K1 to the head.
    handover_record(
        client=dept.clients["K1"],
        to_manager=dept.employees["helen"],
        user=dept.users["alice"],
        cause="overload",
    )
    with pytest.raises(HandoverConflict):
        handovers_bulk(plan=plan, user=dept.users["helen"], cause=Cause.LEAVING, from_manager=kate)
    assert open_managers(dept.clients["G1"]) == ["E3"]


def test_spreading_puts_accounts_where_there_is_room(dept: Department_) -> None:
    helen = dept.employees["helen"]
    kate, ken = dept.employees["kate"], dept.employees["ken"]
    handover_record(
        client=dept.clients["G1"], to_manager=kate, user=dept.users["alice"], cause="assignment"
    )
    # Equal limits: the one with fewer accounts first, then alternately.
    plan = bulk_plan(from_manager=kate, rule=Rule.SPREAD, receivers=[ken, helen])
    assert sorted(r.code for _c, r in plan) == ["E2", "E2"]  # helen 0 → 1, then 1 = 1: by name
    # ken may carry ten, helen two: both go where there is room.
    workload_limit_set(manager=None, max_accounts=2, max_revenue=None, user=dept.users["alice"])
    workload_limit_set(manager=ken, max_accounts=10, max_revenue=None, user=dept.users["alice"])
    plan = bulk_plan(from_manager=kate, rule=Rule.SPREAD, receivers=[ken, helen])
    assert sorted(r.code for _c, r in plan) == ["E4", "E4"]


def test_promotion_without_a_manager_leaves_a_gap_and_with_one_hands_over(
    dept: Department_,
) -> None:
    s1, p1 = dept.clients["S1"], dept.clients["P1"]
    decisions_record(
        items=[
            DecisionInput(s1.pk, ClientStatus.KEY, "develop", "вырос"),
            DecisionInput(
                p1.pk,
                ClientStatus.KEY,
                "develop",
                "собрали данные",
                responsible_id=dept.employees["kate"].pk,
            ),
        ],
        user=dept.users["helen"],
    )
    s1.refresh_from_db()
    p1.refresh_from_db()
    # Nobody outside the department keeps a key account: sam's responsibility ended.
    assert s1.responsible is None and open_managers(s1) == []
    assert Assignment.objects.get(client=s1).end == timezone.localdate()
    assert p1.responsible == dept.employees["kate"]
    assert Handover.objects.get(client=p1).cause == Cause.PROMOTION
    gaps = {g.client.code: g for g in selectors.gaps()}
    assert set(gaps) == {"G1", "S1"}
    assert gaps["S1"].since == timezone.localdate()


def test_demotion_returns_the_account_to_sales_by_a_handover(dept: Department_) -> None:
    k1 = dept.clients["K1"]
    decisions_record(
        items=[DecisionInput(k1.pk, ClientStatus.STANDARD, "serve", "закупки упали")],
        user=dept.users["helen"],
    )
    k1.refresh_from_db()
    # Back to sam, who kept it before kate; kate's stretch stays in the history.
    assert k1.responsible == dept.employees["sam"]
    handover = Handover.objects.get(client=k1)
    assert handover.cause == Cause.DEMOTION and handover.from_manager == dept.employees["kate"]
    assert [
        a.manager.code for a in Assignment.objects.filter(client=k1).order_by("start", "pk")
    ] == [
        "E5",
        "E3",
        "E5",
    ]


def test_a_decision_naming_an_acquisition_rep_is_refused_whole(dept: Department_) -> None:
    s1 = dept.clients["S1"]
    with pytest.raises(ValidationError) as error:
        decisions_record(
            items=[
                DecisionInput(
                    s1.pk,
                    ClientStatus.KEY,
                    "develop",
                    "вырос",
                    responsible_id=dept.employees["ann"].pk,
                )
            ],
            user=dept.users["helen"],
        )
    assert "key-account department" in error.value.message_dict["responsible"][0]
    s1.refresh_from_db()
    assert s1.status == ClientStatus.STANDARD and s1.responsible == dept.employees["sam"]


def test_the_board_lists_gaps_conflicts_and_load(dept: Department_) -> None:
    # A standard client kept by a key-account manager breaks the separation (e.g. old data).
    s1 = dept.clients["S1"]
    Client.objects.filter(pk=s1.pk).update(responsible=dept.employees["ken"])
    Assignment.objects.filter(client=s1).update(manager=dept.employees["ken"])
    board = selectors.board()
    assert [g.client.code for g in board.gaps] == ["G1"]
    assert [(c.client.code, c.responsible.code) for c in board.conflicts] == [("S1", "E4")]  # type: ignore[union-attr]
    columns = {c.employee.code: c for c in board.managers}
    assert set(columns) == {"E2", "E3", "E4"}
    assert [a.client.code for a in columns["E4"].accounts] == ["K2", "S1"]
    assert columns["E4"].load.accounts == 2


def test_history_out_of_step_is_listed(dept: Department_) -> None:
    Client.objects.filter(pk=dept.clients["S1"].pk).update(responsible=dept.employees["ann"])
    problems = [(c.client.code, c.problem) for c in selectors.conflicts()]
    assert problems == [("S1", "The responsible manager differs from the assignment history.")]
