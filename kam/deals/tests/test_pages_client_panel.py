"""The client card's deals panel: the client's open deals the reader may see, with stage and
amount, and "New deal" for whoever starts deals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.deals.tests.pages import a_deal, browser_for
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db


def test_the_panel_lists_the_open_deals_with_stage_and_amount(company: Company) -> None:
    open_deal = a_deal(company, "charlie", "C1", title="Бумага", amount="120 000")
    moved = a_deal(company, "charlie", "C1", title="Картон", stages=("proposal",))
    a_deal(company, "charlie", "C1", title="Оплачено", stages=("contract", "shipped", "paid"))
    a_deal(company, "dave", "C2", title="Чужая сделка")
    url = reverse("clients:detail", args=[company.clients["C1"].pk])
    response = browser_for(company, "charlie").get(url)
    panel = response.context["deals_panel"]
    assert [d.pk for d in panel["deals"]] == [open_deal.pk, moved.pk]
    assert panel["count"] == 2
    html = response.content.decode()
    assert 'id="deals-panel"' in html and open_deal.number in html and "Оплачено" not in html
    assert "Чужая сделка" not in html and "stage-proposal" in html
    assert f'href="{reverse("deals:new")}?client={company.clients["C1"].pk}"' in html
    assert f"?view=table&amp;client={company.clients['C1'].pk}" in html


def test_the_readers_see_the_deals_without_starting_one(company: Company) -> None:
    a_deal(company, "charlie", "C1")
    url = reverse("clients:detail", args=[company.clients["C1"].pk])
    html = browser_for(company, "frank").get(url).content.decode()
    assert 'id="deals-panel"' in html and 'id="client-new-deal"' not in html


def test_a_client_without_deals_says_so(company: Company) -> None:
    url = reverse("clients:detail", args=[company.clients["C4"].pk])
    html = browser_for(company, "alice").get(url).content.decode()
    assert "No open deal with this client that you may see." in html
    assert 'id="client-new-deal"' in html
