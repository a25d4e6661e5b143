"""The application form: the client chosen first (only those one may apply for), the client's
open deals to name, the policy's default validity; the service's refusals beside their fields
(an application already pending, too few members without a conflict, bad numbers); who may
not apply is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kam.credit.models import CreditApplication
from kam.credit.services import committee_settings_update
from kam.credit.testing import Committee
from kam.credit.tests.pages import TODAY, application_filed, apply_url, browser_for, deal_made
from kam.deals.choices import DealStage
from kam.deals.models import Deal
from kam.ledger.months import add_months

pytestmark = pytest.mark.django_db
APPLY = reverse("credit:apply")


def filing(committee: Committee, login: str, client: str, **fields: Any) -> Any:
    client_id = committee.clients[client].pk
    data = {
        "client": client_id,
        "apply-requested_limit": "300 000",
        "apply-requested_terms_days": "30",
        "apply-justification": "Постоянный клиент.",
    }
    data.update({f"apply-{k}": v for k, v in fields.items()})
    return browser_for(committee, login).post(apply_url(client_id), data)


def test_the_picker_lists_the_clients_one_may_apply_for(committee: Committee) -> None:
    erin = browser_for(committee, "erin").get(APPLY)
    assert erin.status_code == 200
    assert [c.code for c in erin.context["clients"]] == ["C1"]
    alice = browser_for(committee, "alice").get(APPLY + "?q=ключ")
    assert [c.code for c in alice.context["clients"]] == ["K1"]
    assert "Apply for this client" in alice.content.decode()
    # A rep with a deal for someone else's client may apply for that client too
    Deal.objects.create(
        title="Разовая поставка",
        client=committee.clients["K1"],
        owner=committee.employees["erin"],
        amount=1,
        expected_close=TODAY,
    )
    picked = browser_for(committee, "erin").get(APPLY).context["clients"]
    assert [c.code for c in picked] == ["K1", "C1"]  # by name: АО «Ключ», ООО «Ромашка»


def test_the_form_shows_the_default_validity_and_the_clients_open_deals(
    committee: Committee,
) -> None:
    open_deal = deal_made(committee)
    lost = deal_made(committee)
    Deal.objects.filter(pk=lost.pk).update(stage=DealStage.LOST)
    page = browser_for(committee, "erin").get(apply_url(committee.clients["C1"].pk))
    assert page.status_code == 200
    form = page.context["form"]
    assert list(form.fields["deal"].queryset) == [open_deal]
    assert form["valid_until"].value() == add_months(TODAY, 12)
    html = page.content.decode()
    assert add_months(TODAY, 12).isoformat() in html
    assert "The committee's default validity is 12 months" in html


def test_bad_numbers_are_refused_beside_their_fields(committee: Committee) -> None:
    refused = filing(
        committee,
        "erin",
        "C1",
        requested_limit="много",
        requested_terms_days="0",
        justification=" ",
        valid_until=TODAY.isoformat(),
    )
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert set(errors) == {"requested_limit", "requested_terms_days", "justification"}
    assert errors["requested_limit"] == ["Enter an amount, e.g. 500 000."]
    # what the form cannot tell, the service tells beside the field
    refused = filing(committee, "erin", "C1", valid_until=TODAY.isoformat())
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert errors == {"valid_until": ["A decision is asked for the future: a date after today."]}
    assert "A decision is asked for the future" in refused.content.decode()
    assert not CreditApplication.objects.exists()


def test_an_application_already_pending_is_named_beside_the_client(committee: Committee) -> None:
    pending = application_filed(committee)
    page = browser_for(committee, "erin").get(apply_url(committee.clients["C1"].pk))
    assert page.context["pending"] == pending
    assert 'id="pending-banner"' in page.content.decode()
    refused = filing(committee, "erin", "C1")
    assert refused.status_code == 400
    assert refused.context["client_errors"] == [
        "The client has an application awaiting the committee's votes: wait for it or withdraw it."
    ]
    assert 'id="client-errors"' in refused.content.decode()
    assert CreditApplication.objects.count() == 1


def test_too_few_members_without_a_conflict_is_said_before_and_refused(
    committee: Committee,
) -> None:
    committee_settings_update(
        user=None, approvals_needed=3, chair_must_approve=False, validity_months=12
    )
    # N1 is nina's: two members remain for a policy of three
    page = browser_for(committee, "alice").get(apply_url(committee.clients["N1"].pk))
    assert page.context["short_of_members"] is True
    roster = {r.member.code: r.reason for r in page.context["roster"]}
    assert roster == {"E9": "", "E10": "", "E11": "responsible"}
    assert "cannot vote: responsible for the client" in page.content.decode()
    refused = filing(committee, "alice", "N1")
    assert refused.status_code == 400
    assert refused.context["client_errors"] == [
        "Only 2 member(s) of the committee may vote on this client (the others have a conflict "
        "of interest); the policy needs 3 approvals."
    ]


def test_a_deal_owner_in_the_committee_is_flagged(committee: Committee) -> None:
    deal = deal_made(committee, client="K1", login="charlie")
    Deal.objects.filter(pk=deal.pk).update(owner=committee.employees["mike"])
    page = browser_for(committee, "charlie").get(apply_url(committee.clients["K1"].pk))
    row = next(r for r in page.context["roster"] if r.member.code == "E10")
    assert row.reason == "" and row.deals == [deal.number]
    assert f"cannot vote if the application names {deal.number}" in page.content.decode()
    filed = filing(committee, "charlie", "K1", deal=str(deal.pk))
    assert filed.status_code == 302
    application = CreditApplication.objects.get()
    assert set(application.voters.values_list("code", flat=True)) == {"E9", "E11"}


def test_who_may_not_apply_is_refused(committee: Committee, settings: Any) -> None:
    c1 = committee.clients["C1"].pk
    for login in ("frank", "mike", "cora"):
        assert browser_for(committee, login).get(APPLY).status_code == 403
        assert browser_for(committee, login).get(apply_url(c1)).status_code == 403
    # charlie does not even see erin's client; if managers read every client, he sees it but
    # may not apply for it
    assert browser_for(committee, "charlie").get(apply_url(c1)).status_code == 404
    settings.KAM_MANAGERS_READ_ALL_CLIENTS = True
    assert browser_for(committee, "charlie").get(apply_url(c1)).status_code == 403
    assert filing(committee, "charlie", "C1").status_code == 403
    assert browser_for(committee, "erin").get(apply_url(999999)).status_code == 404
    assert not CreditApplication.objects.exists()
