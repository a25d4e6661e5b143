"""Two heads hand the same account over at the same moment: one wins, never two responsibles.

Real concurrency needs a server database (row locks, concurrent transactions): PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from kam.keyaccounts.choices import Cause
from kam.keyaccounts.models import Assignment, Handover
from kam.keyaccounts.services import HandoverConflict, handover_record
from kam.keyaccounts.testing import department_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks between concurrent transactions: run with KAM_DATABASE_URL (make test)"
        )


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released at once; each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_heads_hand_over_the_same_account_at_once() -> None:
    dept = department_create()
    k1, kate = dept.clients["K1"], dept.employees["kate"]
    for _attempt in range(5):
        current = Assignment.objects.get(client=k1, end__isnull=True).manager
        others = [e for e in (dept.employees["ken"], dept.employees["helen"], kate) if e != current]
        results = race(
            *(
                lambda receiver=receiver, login=login, current=current: handover_record(
                    client=k1,
                    to_manager=receiver,
                    user=dept.users[login],
                    cause=Cause.OVERLOAD,
                    expected_from=current,
                )
                for receiver, login in zip(others, ("helen", "alice"), strict=True)
            )
        )
        won = [r for r in results if isinstance(r, Handover)]
        lost = [r for r in results if isinstance(r, HandoverConflict)]
        assert (len(won), len(lost)) == (1, 1), results
        open_rows = Assignment.objects.filter(client=k1, end__isnull=True)
        assert open_rows.count() == 1
        k1.refresh_from_db()
        assert k1.responsible_id == open_rows.get().manager_id == won[0].to_manager_id


def test_the_database_is_the_last_line_of_defence() -> None:
    """Writers that skip the service's lock still cannot open two assignments at once."""
    dept = department_create()
    g1 = dept.clients["G1"]

    def insert(login: str) -> Assignment:
        return Assignment.objects.create(
            client=g1, manager=dept.employees[login], start=g1.created_at.date(), source="handover"
        )

    results = race(lambda: insert("kate"), lambda: insert("ken"))
    assert sum(isinstance(r, Assignment) for r in results) == 1
    assert Assignment.objects.filter(client=g1, end__isnull=True).count() == 1
