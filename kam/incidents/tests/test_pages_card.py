"""One incident's card through its whole story by the pages: the violator explains, the handler
decides with a fine and two corrective actions, their owners mark them done, the handler
closes; and every refusal on the way (amount, open actions, reason, wrong person)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.incidents.choices import EventKind, IncidentState
from kam.incidents.models import CorrectiveAction, Incident, SanctionKind
from kam.incidents.tests.pages import browser_for, heads_set, incident_open
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(company: Company) -> Incident:
    """charlie's deferred sale without a decision; bob (his head) handles it."""
    heads_set(company)
    return incident_open(company, "charlie", "C1", "D-100")


def url(name: str, incident: Incident, *args: object) -> str:
    return reverse(f"incidents:{name}", args=[incident.pk, *args])


def page(company: Company, login: str, incident: Incident) -> str:
    response = browser_for(company, login).get(url("detail", incident))
    assert response.status_code == 200
    return response.content.decode()


def fresh(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def decision(company: Company, **changes: str) -> dict[str, str]:
    fine = SanctionKind.objects.get(code="fine")
    due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    data = {
        "decide-conclusion": "The sale went out before the committee met.",
        "decide-sanction": str(fine.pk),
        "decide-amount": "5 000",
        "decide-percent": "",
        "decide-sanction_comment": "",
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "10",
        "actions-0-description": "Ask the committee for a decision on C1",
        "actions-0-owner": str(company.employees["charlie"].pk),
        "actions-0-due": due,
        "actions-1-description": "Remind the department of the rule",
        "actions-1-owner": str(company.employees["bob"].pk),
        "actions-1-due": due,
    }
    data.update(changes)
    return data


def test_the_card_shows_what_was_found(company: Company, incident: Incident) -> None:
    html = page(company, "bob", incident)
    assert incident.number in html
    assert "30 days of deferred payment without a credit-committee decision" in html
    assert "/rules/deferred_payment_requires_credit_approval/" in html
    assert "version 1 found it" in html
    assert "payment_terms_days" in html and "Payment terms of the document" in html
    assert "Чарли Ключевой" in html and "Борис Главный" in html
    assert reverse("clients:detail", args=[company.clients["C1"].pk]) in html


def test_the_whole_story_from_open_to_closed(company: Company, incident: Incident) -> None:
    charlie, bob = browser_for(company, "charlie"), browser_for(company, "bob")

    # the violator sees the explanation form, not the handler's
    html = page(company, "charlie", incident)
    assert 'id="explain-form"' in html and 'id="investigate-form"' not in html
    response = charlie.post(
        url("explain", incident), {"explain-explanation": "The client was in a hurry."}
    )
    assert response.status_code == 302
    assert fresh(incident).state == IncidentState.INVESTIGATING

    # the handler decides: the rule's default sanction is preselected, a fine needs its amount
    html = page(company, "bob", incident)
    assert 'id="decide-form"' in html and 'id="explain-form"' not in html
    warning = SanctionKind.objects.get(code="warning")
    assert f'<option value="{warning.pk}" selected>' in html
    refused = bob.post(url("decide", incident), decision(company, **{"decide-amount": ""}))
    assert refused.status_code == 400
    assert "A fine needs its amount." in refused.content.decode()
    assert fresh(incident).state == IncidentState.INVESTIGATING
    assert bob.post(url("decide", incident), decision(company)).status_code == 302
    decided = fresh(incident)
    assert decided.state == IncidentState.DECIDED
    sanction = decided.sanctions.get()
    assert sanction.kind.code == "fine" and sanction.amount == 5000
    actions = list(decided.corrective_actions.order_by("pk"))
    assert [a.owner.user.username for a in actions] == ["charlie", "bob"]  # type: ignore[union-attr]

    # close is refused while an action is open
    html = page(company, "bob", incident)
    assert "2 corrective actions are not done yet" in html and 'id="close-form"' not in html
    response = bob.post(url("close", incident), {"close-confirmed": "1"}, follow=True)
    assert "not done yet" in response.content.decode()
    assert fresh(incident).state == IncidentState.DECIDED

    # each owner marks theirs done; charlie cannot mark bob's
    assert (
        charlie.post(
            url("action_done", incident, actions[1].pk), {f"done-{actions[1].pk}-outcome": "x"}
        ).status_code
        == 403
    )
    empty = charlie.post(
        url("action_done", incident, actions[0].pk), {f"done-{actions[0].pk}-outcome": ""}
    )
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    for who, action in (("charlie", actions[0]), ("bob", actions[1])):
        response = browser_for(company, who).post(
            url("action_done", incident, action.pk),
            {f"done-{action.pk}-outcome": f"Done by {who}"},
        )
        assert response.status_code == 302
    assert not CorrectiveAction.objects.filter(incident=incident, done_on__isnull=True).exists()

    # close asks first (no JavaScript: a confirmation page), then closes
    confirm = bob.post(url("close", incident), {"close-comment": "All done."})
    assert confirm.status_code == 200 and 'id="confirm-button"' in confirm.content.decode()
    assert fresh(incident).state == IncidentState.DECIDED
    closed = bob.post(
        url("close", incident), {"close-comment": "All done.", "close-confirmed": "1"}
    )
    assert closed.status_code == 302
    assert fresh(incident).state == IncidentState.CLOSED

    kinds = list(fresh(incident).events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.OPENED,
        EventKind.EXPLAINED,
        EventKind.DECIDED,
        EventKind.ACTION_DONE,
        EventKind.ACTION_DONE,
        EventKind.CLOSED,
    ]
    actions_logged = set(
        AuditEntry.objects.filter(action__startswith="incident.").values_list("action", flat=True)
    )
    assert {"incident.explained", "incident.decided", "incident.closed"} <= actions_logged
    html = page(company, "frank", incident)
    assert "Fine: 5" in html and "Done by charlie" in html and "All done." in html


def test_the_handler_takes_the_incident_up(company: Company, incident: Incident) -> None:
    response = browser_for(company, "bob").post(
        url("investigate", incident), {"investigate-comment": "Explain, please."}
    )
    assert response.status_code == 302
    assert fresh(incident).state == IncidentState.INVESTIGATING


def test_a_decision_needs_a_conclusion_and_an_action(company: Company, incident: Incident) -> None:
    bob = browser_for(company, "bob")
    bob.post(url("investigate", incident), {})
    data = decision(
        company,
        **{
            "decide-conclusion": "",
            "actions-0-description": "",
            "actions-0-owner": "",
            "actions-0-due": "",
            "actions-1-description": "Half a row",
            "actions-1-owner": "",
            "actions-1-due": "",
        },
    )
    response = bob.post(url("decide", incident), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html  # the conclusion
    assert "Needed for a corrective action." in html  # the half row
    no_actions = decision(
        company,
        **{
            "actions-TOTAL_FORMS": "1",
            "actions-0-description": "",
            "actions-0-owner": "",
            "actions-0-due": "",
        },
    )
    response = bob.post(url("decide", incident), no_actions)
    assert response.status_code == 400
    assert "Name at least one corrective action" in response.content.decode()
    assert fresh(incident).state == IncidentState.INVESTIGATING


def test_a_bonus_reduction_needs_its_percent(company: Company, incident: Incident) -> None:
    bob = browser_for(company, "bob")
    bob.post(url("investigate", incident), {})
    cut = SanctionKind.objects.get(code="bonus_cut")
    data = decision(company, **{"decide-sanction": str(cut.pk), "decide-percent": "150"})
    response = bob.post(url("decide", incident), data)
    assert response.status_code == 400
    assert "above 0 up to 100" in response.content.decode()
    data["decide-percent"] = "10"
    assert bob.post(url("decide", incident), data).status_code == 302
    assert fresh(incident).sanctions.get().percent == 10


def test_add_another_action_without_javascript(company: Company, incident: Incident) -> None:
    bob = browser_for(company, "bob")
    bob.post(url("investigate", incident), {})
    data = decision(company, add_action="1")
    response = bob.post(url("decide", incident), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="actions-2-description"' in html
    assert "The sale went out before the committee met." in html
    assert fresh(incident).state == IncidentState.INVESTIGATING


def test_dismissing_needs_a_reason_and_a_confirmation(company: Company, incident: Incident) -> None:
    bob = browser_for(company, "bob")
    response = bob.post(url("dismiss", incident), {"dismiss-reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    confirm = bob.post(url("dismiss", incident), {"dismiss-reason": "The committee had decided."})
    assert confirm.status_code == 200 and "cannot be taken back" in confirm.content.decode()
    assert fresh(incident).state == IncidentState.OPEN
    done = bob.post(
        url("dismiss", incident),
        {"dismiss-reason": "The committee had decided.", "dismiss-confirmed": "1"},
    )
    assert done.status_code == 302
    dismissed = fresh(incident)
    assert dismissed.state == IncidentState.DISMISSED
    assert dismissed.dismissed_reason == "The committee had decided."


def test_participants_comment(company: Company, incident: Incident) -> None:
    for who in ("charlie", "bob"):
        response = browser_for(company, who).post(
            url("comment", incident), {"comment-text": f"Note from {who}"}
        )
        assert response.status_code == 302
    assert fresh(incident).events.filter(kind=EventKind.COMMENT).count() == 2
    assert (
        browser_for(company, "frank")
        .post(url("comment", incident), {"comment-text": "x"})
        .status_code
        == 403
    )


def test_the_auditor_reads_the_card_without_forms(company: Company, incident: Incident) -> None:
    html = page(company, "frank", incident)
    for form in ("explain-form", "investigate-form", "decide-form", "dismiss-form", "comment-form"):
        assert f'id="{form}"' not in html
    frank = browser_for(company, "frank")
    for step, data in (
        ("explain", {"explain-explanation": "x"}),
        ("investigate", {}),
        ("dismiss", {"dismiss-reason": "x", "dismiss-confirmed": "1"}),
        ("close", {"close-confirmed": "1"}),
        ("decide", decision(company)),
    ):
        assert frank.post(url(step, incident), data).status_code == 403, step
    assert fresh(incident).state == IncidentState.OPEN


def test_the_violator_cannot_handle_their_own_incident(
    company: Company, incident: Incident
) -> None:
    charlie = browser_for(company, "charlie")
    assert charlie.post(url("investigate", incident), {}).status_code == 403
    assert (
        charlie.post(
            url("dismiss", incident), {"dismiss-reason": "no", "dismiss-confirmed": "1"}
        ).status_code
        == 403
    )
    assert (
        browser_for(company, "bob")
        .post(url("explain", incident), {"explain-explanation": "x"})
        .status_code
        == 403
    )


def test_an_unrelated_manager_does_not_find_the_incident(
    company: Company, incident: Incident
) -> None:
    dave = browser_for(company, "dave")
    assert dave.get(url("detail", incident)).status_code == 404
    assert dave.post(url("comment", incident), {"comment-text": "x"}).status_code == 404
    assert browser_for(company, "ivan").get(url("detail", incident)).status_code == 403


def test_a_final_incident_takes_no_more_steps(company: Company, incident: Incident) -> None:
    bob = browser_for(company, "bob")
    bob.post(url("dismiss", incident), {"dismiss-reason": "wrong", "dismiss-confirmed": "1"})
    response = bob.post(url("investigate", incident), {}, follow=True)
    assert "nothing more is recorded" in response.content.decode()
    html = page(company, "bob", incident)
    assert "dismissed as a false alarm" in html and 'id="investigate-form"' not in html


def test_an_override_shows_who_and_why(company: Company) -> None:
    from kam.incidents.services import Breach, incident_open_override
    from kam.incidents.tests.pages import version_of

    version = version_of()
    incident = incident_open_override(
        breach=Breach(
            version=version,
            subject_type="sales_document",
            subject_id=None,
            subject_key="OVR-1",
            period="2026-02",
            subject_date=None,
            client_id=company.clients["C1"].pk,
            violator_id=company.employees["charlie"].pk,
            facts={"payment_terms_days": 45},
        ),
        user=company.users["alice"],
        reason="The client pays by the end of the week.",
    )
    html = page(company, "alice", incident)
    assert "Rule overridden" in html and "The client pays by the end of the week." in html
    assert "alice" in html


def test_a_corrective_action_is_not_due_in_the_past(company: Company, incident: Incident) -> None:
    bob = browser_for(company, "bob")
    bob.post(url("investigate", incident), {})
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = bob.post(url("decide", incident), decision(company, **{"actions-1-due": yesterday}))
    assert response.status_code == 400
    assert "The due date is in the past." in response.content.decode()
