"""Withdrawing an application (the applicant or the director, with a reason, after a
confirmation) and revoking a decision (the chair or the director, with a reason, after a
confirmation), each recorded and shown where people look."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kam.credit.choices import ApplicationState
from kam.credit.models import CreditDecision
from kam.credit.testing import Committee
from kam.credit.tests.pages import application_filed, browser_for, voted

pytestmark = pytest.mark.django_db


def withdraw(committee: Committee, login: str, application: Any, **data: str) -> Any:
    return browser_for(committee, login).post(
        reverse("credit:withdraw", args=[application.pk]),
        {f"withdraw-{k}": v for k, v in data.items()},
    )


def revoke(committee: Committee, login: str, decision: CreditDecision, **data: str) -> Any:
    return browser_for(committee, login).post(
        reverse("credit:revoke", args=[decision.pk]), {f"revoke-{k}": v for k, v in data.items()}
    )


def test_the_applicant_withdraws_after_confirming(committee: Committee) -> None:
    application = application_filed(committee)
    page = browser_for(committee, "erin").get(reverse("credit:application", args=[application.pk]))
    assert page.context["withdraw_form"] is not None
    assert (
        browser_for(committee, "mike")
        .get(reverse("credit:application", args=[application.pk]))
        .context["withdraw_form"]
        is None
    )

    assert withdraw(committee, "erin", application, reason="").status_code == 400
    asked = withdraw(committee, "erin", application, reason="Клиент передумал.")
    assert asked.status_code == 200
    assert "Confirm the withdrawal" in asked.content.decode()
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING

    done = withdraw(committee, "erin", application, reason="Клиент передумал.", confirmed="1")
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    html = (
        browser_for(committee, "mike")
        .get(reverse("credit:application", args=[application.pk]))
        .content.decode()
    )
    assert 'id="withdrawn"' in html and "Клиент передумал." in html
    assert 'id="vote-form"' not in html
    # A new application may be filed now
    assert application_filed(committee).state == ApplicationState.PENDING


def test_only_the_applicant_or_the_director_withdraws(committee: Committee) -> None:
    application = application_filed(committee)
    for login in ("mike", "cora", "frank"):
        refused = withdraw(committee, login, application, reason="x", confirmed="1")
        assert refused.status_code == 403
    assert (
        withdraw(committee, "alice", application, reason="Дубль.", confirmed="1").status_code == 302
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    twice = withdraw(committee, "alice", application, reason="Ещё раз.", confirmed="1")
    assert any(
        "Only an application awaiting votes" in str(m) for m in get_messages(twice.wsgi_request)
    )


@pytest.fixture
def decision(committee: Committee) -> CreditDecision:
    application = application_filed(committee)
    voted(committee, application, "mike")
    voted(committee, application, "nina")
    return CreditDecision.objects.get()


def test_the_chair_revokes_with_a_reason_after_confirming(
    committee: Committee, decision: CreditDecision
) -> None:
    page = browser_for(committee, "cora").get(reverse("credit:decision", args=[decision.pk]))
    assert page.status_code == 200 and page.context["form"] is not None
    assert (
        browser_for(committee, "mike")
        .get(reverse("credit:decision", args=[decision.pk]))
        .context["form"]
        is None
    )

    empty = revoke(committee, "cora", decision, reason="")
    assert empty.status_code == 400
    assert "This field is required." in empty.content.decode()
    asked = revoke(committee, "cora", decision, reason="Просрочка выросла до 90 дней.")
    assert asked.status_code == 200
    assert "Confirm the revocation" in asked.content.decode()
    decision.refresh_from_db()
    assert decision.revoked_at is None

    done = revoke(
        committee, "cora", decision, reason="Просрочка выросла до 90 дней.", confirmed="1"
    )
    assert done.status_code == 302
    decision.refresh_from_db()
    assert decision.revoked_by == committee.users["cora"]
    record = browser_for(committee, "frank").get(reverse("credit:decision", args=[decision.pk]))
    html = record.content.decode()
    assert record.context["standing"] == "revoked"
    assert 'id="revocation"' in html and "Просрочка выросла до 90 дней." in html
    assert "Кора Председатель" in html
    # The register and the client card say so; the client has no credit any more
    register = browser_for(committee, "alice").get(reverse("credit:decisions") + "?state=revoked")
    assert [d.pk for d in register.context["page"]] == [decision.pk]
    client = browser_for(committee, "erin").get(
        reverse("clients:detail", args=[committee.clients["C1"].pk])
    )
    assert client.context["credit_panel"]["position"].limit is None
    # Once revoked, revoked: nothing to do twice
    again = revoke(committee, "alice", decision, reason="Ещё раз.", confirmed="1")
    assert any("revoked already" in str(m) for m in get_messages(again.wsgi_request))


def test_only_the_chair_or_the_director_revokes(
    committee: Committee, decision: CreditDecision
) -> None:
    for login in ("mike", "nina", "frank"):
        refused = revoke(committee, login, decision, reason="x", confirmed="1")
        assert refused.status_code == 403
    # a sales rep does not even read the register
    assert revoke(committee, "erin", decision, reason="x", confirmed="1").status_code == 403
    assert (
        revoke(committee, "alice", decision, reason="Решение директора.", confirmed="1").status_code
        == 302
    )
    decision.refresh_from_db()
    assert decision.revoke_reason == "Решение директора."
