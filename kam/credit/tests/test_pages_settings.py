"""The committee's settings: the director changes the quorum policy (M of N, the chair must
approve, the default validity); everyone else reads it with the members and the chair."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.credit.models import CommitteeSettings
from kam.credit.services import committee_settings
from kam.credit.testing import Committee
from kam.credit.tests.pages import application_filed, browser_for

pytestmark = pytest.mark.django_db
SETTINGS = reverse("credit:settings")


def test_the_director_changes_the_policy(committee: Committee) -> None:
    alice = browser_for(committee, "alice")
    page = alice.get(SETTINGS)
    assert page.status_code == 200 and page.context["form"] is not None
    html = page.content.decode()
    assert "2 of 3 members" in html
    assert [m.code for m in page.context["members"]] == ["E9", "E10", "E11"]
    assert page.context["chair"] == committee.employees["cora"]
    saved = alice.post(
        SETTINGS,
        {"approvals_needed": "3", "chair_must_approve": "on", "validity_months": "6"},
        follow=True,
    )
    assert "The committee&#x27;s policy is saved: 3 of 3 members approve." in saved.content.decode()
    current = committee_settings()
    assert (current.approvals_needed, current.chair_must_approve, current.validity_months) == (
        3,
        True,
        6,
    )
    # The next application takes the new policy
    application = application_filed(committee, client="K1", login="charlie")
    assert (application.approvals_needed, application.chair_must_approve) == (3, True)


def test_a_policy_the_committee_cannot_meet_is_refused_beside_its_field(
    committee: Committee,
) -> None:
    refused = browser_for(committee, "alice").post(
        SETTINGS, {"approvals_needed": "4", "validity_months": "40"}
    )
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert errors["approvals_needed"] == ["Between 1 and the number of members (3)."]
    assert errors["validity_months"] == ["Between 1 and 36 months."]
    assert "Between 1 and the number of members (3)." in refused.content.decode()
    assert CommitteeSettings.objects.get().approvals_needed == 2


@pytest.mark.parametrize("login", ["cora", "mike", "erin", "bob", "frank"])
def test_others_read_the_policy_and_may_not_change_it(committee: Committee, login: str) -> None:
    browser = browser_for(committee, login)
    page = browser.get(SETTINGS)
    assert page.status_code == 200
    assert page.context["form"] is None
    assert "The sales director changes the committee's policy." in page.content.decode()
    refused = browser.post(SETTINGS, {"approvals_needed": "1", "validity_months": "12"})
    assert refused.status_code == 403
    assert committee_settings().approvals_needed == 2
