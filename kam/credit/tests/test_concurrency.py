"""Two members cast the last votes at the same moment: exactly one decision.

Real concurrency needs a server database (row locks, concurrent transactions): PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone

from kam.credit.choices import ApplicationState, VoteChoice
from kam.credit.models import CreditApplication, CreditDecision, Vote
from kam.credit.services import application_submit, vote_cast
from kam.credit.testing import committee_create
from kam.keyaccounts.tests.test_concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks between concurrent transactions: run with KAM_DATABASE_URL (make test)"
        )


def test_simultaneous_last_votes_make_one_decision() -> None:
    committee = committee_create()
    for attempt in range(5):
        application = application_submit(
            client=committee.clients["C1"],
            user=committee.users["erin"],
            requested_limit=100_000 + attempt,
            requested_terms_days=45,
            justification="Повторная поставка.",
        )
        vote_cast(application=application, user=committee.users["mike"], choice=VoteChoice.APPROVE)
        results = race(
            *(
                lambda login=login, application=application: vote_cast(
                    application=application, user=committee.users[login], choice=VoteChoice.APPROVE
                )
                for login in ("cora", "nina")
            )
        )
        cast = [r for r in results if isinstance(r, Vote)]
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert (len(cast), len(refused)) == (1, 1), results
        application.refresh_from_db()
        assert application.state == ApplicationState.APPROVED
        assert CreditDecision.objects.filter(application=application).count() == 1
        assert application.votes.count() == 2
        CreditApplication.objects.filter(pk=application.pk).update(state=ApplicationState.APPROVED)


def test_the_database_allows_one_decision_per_application() -> None:
    committee = committee_create()
    application = application_submit(
        client=committee.clients["C1"],
        user=committee.users["erin"],
        requested_limit=100_000,
        requested_terms_days=45,
        justification="Повторная поставка.",
    )
    today = timezone.localdate()

    def insert(number: str) -> CreditDecision:
        return CreditDecision.objects.create(
            decision_no=number,
            client=committee.clients["C1"],
            date=today,
            credit_limit=1,
            max_terms_days=1,
            application=application,
        )

    results = race(lambda: insert("X-1"), lambda: insert("X-2"))
    assert sum(isinstance(r, CreditDecision) for r in results) == 1
    assert sum(isinstance(r, IntegrityError) for r in results) == 1
