"""Prospects: the list (each role's, status chips, filters, sorting, export, a fixed number of
queries), adding one (the key-account department does not prospect: the refusal is on the
owner field), the card's status moves (lost needs a reason and a confirmation) and the
conversion into a client (a possible duplicate must be chosen or confirmed)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.clients.models import Client
from kam.deals.models import Deal, Prospect
from kam.deals.services import prospect_status_set
from kam.deals.tests.pages import a_deal, a_prospect, browser_for
from kam.keyaccounts.models import Assignment
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db

LIST = reverse("deals:prospects")
NEW = reverse("deals:prospect_new")


def card(prospect: Prospect) -> str:
    return reverse("deals:prospect", args=[prospect.pk])


def names(response: Any) -> list[str]:
    return [p.name for p in response.context["page"].object_list]


@pytest.fixture
def prospects(company: Company) -> dict[str, Prospect]:
    """erin's three (one contacted, one lost) and alice's one."""
    made = {
        "new": a_prospect(company, "erin", "ООО «Технопак»", tax_id="7701000001"),
        "contacted": a_prospect(company, "erin", "АО «Прибой»", contact_name="Иван Петров"),
        "lost": a_prospect(company, "erin", "ЗАО «Лотос»"),
        "alices": a_prospect(company, "alice", "ИП Сидоров"),
    }
    prospect_status_set(prospect=made["contacted"], user=None, status="contacted")
    prospect_status_set(prospect=made["lost"], user=None, status="lost", comment="Дорого")
    a_deal(company, "erin", prospect=made["new"], amount="70 000")
    return made


def test_each_role_sees_the_prospects_it_may(
    company: Company, prospects: dict[str, Prospect]
) -> None:
    for login in ("alice", "bob", "frank", "grace", "heidi"):
        assert len(names(browser_for(company, login).get(LIST))) == 4, login
    assert set(names(browser_for(company, "erin").get(LIST))) == {
        "ООО «Технопак»",
        "АО «Прибой»",
        "ЗАО «Лотос»",
    }
    assert names(browser_for(company, "charlie").get(LIST)) == []
    assert browser_for(company, "ivan").get(LIST).status_code == 403


def test_the_list_filters_counts_by_status_and_sorts(
    company: Company, prospects: dict[str, Prospect]
) -> None:
    browser = browser_for(company, "alice")
    response = browser.get(LIST)
    chips = {c["key"]: c["count"] for c in response.context["chips"]}
    assert chips == {"": 4, "new": 2, "contacted": 1, "qualified": 0, "converted": 0, "lost": 1}
    html = response.content.decode()
    assert "Дорого" in html and "70,000" in html
    assert names(browser.get(LIST + "?status=lost")) == ["ЗАО «Лотос»"]
    assert names(browser.get(LIST + "?q=прибой")) == ["АО «Прибой»"]  # any letter case
    assert names(browser.get(LIST + "?q=7701000001")) == ["ООО «Технопак»"]
    assert names(browser.get(LIST + "?q=иван")) == ["АО «Прибой»"]  # the contact person
    alice = company.employees["alice"].pk
    assert names(browser.get(f"{LIST}?owner={alice}")) == ["ИП Сидоров"]
    assert names(browser.get(LIST + "?source=tender")) == []
    assert names(browser.get(LIST + "?sort=-name"))[0] == "ООО «Технопак»"
    assert names(browser.get(LIST + "?sort=-deals"))[0] == "ООО «Технопак»"
    # the chips keep the other filters and count under them
    response = browser.get(f"{LIST}?owner={alice}")
    assert {c["key"]: c["count"] for c in response.context["chips"]}[""] == 1


def test_the_export_lists_every_prospect_filtered(
    company: Company, prospects: dict[str, Prospect]
) -> None:
    browser = browser_for(company, "erin")
    response = browser.get(reverse("deals:prospect_export", args=["csv"]) + "?status=new")
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.strip().splitlines()
    assert lines[0].startswith("name;tax_id;source;status")
    assert len(lines) == 2 and "ООО «Технопак»" in lines[1] and ";1;" in lines[1]
    response = browser.get(reverse("deals:prospect_export", args=["xlsx"]))
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_the_list_reads_in_a_fixed_number_of_queries(
    company: Company, prospects: dict[str, Prospect]
) -> None:
    browser = browser_for(company, "alice")
    browser.get(LIST)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(LIST + "?sort=-deals").status_code == 200
        return len(captured)

    few = count()
    for i in range(30):
        prospect = a_prospect(company, ["erin", "alice"][i % 2], f"ООО «Компания {i}»")
        if i % 3 == 0:
            a_deal(company, "erin", prospect=prospect)
    assert count() == few
    assert few <= 10, few


# --- Adding one ---------------------------------------------------------------------------------


def test_a_sales_rep_adds_a_prospect_she_owns(company: Company) -> None:
    browser = browser_for(company, "erin")
    page = browser.get(NEW)
    assert f'<option value="{company.employees["erin"].pk}" selected>' in page.content.decode()
    response = browser.post(
        NEW,
        {
            "name": "ООО «Северный картон»",
            "tax_id": "7702000002",
            "source": "exhibition",
            "owner": company.employees["erin"].pk,
            "region": "Мурманск",
            "email": "info@example.test",
        },
    )
    prospect = Prospect.objects.get()
    assert response.status_code == 302 and response["Location"] == card(prospect)
    assert (prospect.owner, prospect.status, prospect.region) == (
        company.employees["erin"],
        "new",
        "Мурманск",
    )


def test_the_key_account_staff_are_refused_as_owners_on_the_owner_field(
    company: Company,
) -> None:
    browser = browser_for(company, "charlie")
    assert browser.get(NEW).status_code == 200  # he works deals, so he may open the form
    response = browser.post(
        NEW,
        {"name": "ООО «Новый»", "source": "referral", "owner": company.employees["charlie"].pk},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["owner"]
    assert "key-account department, which does not search for or attract new customers" in errors[0]
    assert not Prospect.objects.exists()
    # nor may the director name him
    response = browser_for(company, "alice").post(
        NEW, {"name": "ООО «Новый»", "source": "referral", "owner": company.employees["dave"].pk}
    )
    assert (
        "Давид Ключевой works in the key-account department"
        in response.context["form"].errors["owner"][0]
    )
    for login in ("frank", "heidi", "ivan"):
        assert browser_for(company, login).get(NEW).status_code == 403, login


# --- The card and its statuses ----------------------------------------------------------------


def test_the_owner_moves_the_prospect_and_loses_it_after_confirming(company: Company) -> None:
    prospect = a_prospect(company, "erin")
    status = reverse("deals:prospect_status", args=[prospect.pk])
    browser = browser_for(company, "erin")
    html = browser.get(card(prospect)).content.decode()
    assert 'value="contacted"' in html and 'id="convert-link"' in html
    assert browser.post(status, {"status": "contacted", "comment": "Звонок"}).status_code == 302
    response = browser.post(status, {"status": "lost"})
    assert response.status_code == 400
    assert response.context["lose_form"].errors["comment"] == ["Say why the prospect is lost."]
    response = browser.post(status, {"status": "lost", "comment": "Нет бюджета"})
    assert 'id="confirm"' in response.content.decode()
    prospect.refresh_from_db()
    assert prospect.status == "contacted"
    browser.post(status, {"status": "lost", "comment": "Нет бюджета", "confirmed": "1"})
    prospect.refresh_from_db()
    assert (prospect.status, prospect.lost_reason) == ("lost", "Нет бюджета")
    html = browser.get(card(prospect)).content.decode()
    assert "Звонок" in html and "Нет бюджета" in html and 'id="convert-link"' not in html
    # a status the prospect cannot go to is refused with the service's words
    response = browser.post(status, {"status": "qualified"}, follow=True)
    assert "a prospect goes to" in response.content.decode()


def test_the_readers_see_the_card_but_do_not_move_it(company: Company) -> None:
    prospect = a_prospect(company, "erin")
    html = browser_for(company, "frank").get(card(prospect)).content.decode()
    assert "ООО «Новый»" in html and 'id="status-form"' not in html
    status = reverse("deals:prospect_status", args=[prospect.pk])
    assert browser_for(company, "frank").post(status, {"status": "contacted"}).status_code == 403
    assert browser_for(company, "charlie").get(card(prospect)).status_code == 404


# --- Conversion -------------------------------------------------------------------------------


def test_a_duplicate_must_be_chosen_then_the_prospect_links_to_it(company: Company) -> None:
    # the same tax id as C1 (ООО «Ромашка», charlie's)
    prospect = a_prospect(company, "erin", "Ромашка", tax_id="7707083893")
    deal = a_deal(company, "erin", prospect=prospect)
    convert = reverse("deals:prospect_convert", args=[prospect.pk])
    browser = browser_for(company, "erin")
    page = browser.get(convert)
    assert [c.code for c in page.context["duplicates"]] == ["C1"]
    assert "the same tax id" in page.content.decode()
    # confirmed without a choice: the service refuses, naming the client
    response = browser.post(convert, {"confirmed": "1"})
    assert response.status_code == 400
    error = response.context["form"].errors["target"][0]
    assert "It may be a client already: ООО «Ромашка» (C1)" in error
    assert 'id="convert-refusal"' in response.content.decode()
    # a choice first asks for confirmation …
    c1 = company.clients["C1"]
    response = browser.post(convert, {"target": str(c1.pk)})
    assert response.status_code == 200 and response.context["confirm"]
    assert "Link Ромашка to the client ООО «Ромашка» (C1)?" in response.content.decode()
    prospect.refresh_from_db()
    assert prospect.status == "new"
    # … then links; erin does not see C1, so she lands on the prospect's card
    response = browser.post(convert, {"target": str(c1.pk), "confirmed": "1"})
    assert response.status_code == 302 and response["Location"] == card(prospect)
    prospect.refresh_from_db()
    deal.refresh_from_db()
    assert (prospect.status, prospect.client, deal.client) == ("converted", c1, c1)
    assert Client.objects.count() == 4


def test_a_new_client_is_confirmed_and_its_card_opens(company: Company) -> None:
    prospect = a_prospect(company, "erin", "ООО «Северный картон»", tax_id="7702000002")
    convert = reverse("deals:prospect_convert", args=[prospect.pk])
    browser = browser_for(company, "erin")
    page = browser.get(convert)
    assert page.context["duplicates"] == []
    assert page.context["form"].fields["target"].initial == "new"
    response = browser.post(convert, {"target": "new", "code": "SK-1", "confirmed": "1"})
    client = Client.objects.get(code="SK-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[client.pk])
    assert (client.name, client.tax_id, client.responsible) == (
        "ООО «Северный картон»",
        "7702000002",
        company.employees["erin"],
    )
    assert Assignment.objects.filter(client=client, manager=company.employees["erin"]).exists()
    # converting twice is not offered
    response = browser.get(convert, follow=True)
    assert "nothing to convert" in response.content.decode()
    # a taken code is refused beside the field
    other = a_prospect(company, "erin", "ООО «Другой»")
    response = browser.post(
        reverse("deals:prospect_convert", args=[other.pk]),
        {"target": "new", "code": "SK-1", "confirmed": "1"},
    )
    assert response.context["form"].errors["code"] == ["A client with this code exists."]


def test_converting_a_prospect_with_its_deals_then_the_contract_is_offered(
    company: Company,
) -> None:
    prospect = a_prospect(company, "erin", "ООО «Северный картон»")
    deal = a_deal(company, "erin", prospect=prospect)
    browser_for(company, "erin").post(
        reverse("deals:prospect_convert", args=[prospect.pk]),
        {"target": "new", "confirmed": "1"},
    )
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.client is not None and deal.client.name == "ООО «Северный картон»"
    html = browser_for(company, "erin").get(reverse("deals:detail", args=[deal.pk])).content
    assert b'value="contract"' in html
