"""Client list and card as users see them."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client as Browser
from django.urls import reverse
from openpyxl import load_workbook

from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db


def browser_for(company: Company, login: str) -> Browser:
    browser = Browser()
    browser.force_login(company.users[login])
    return browser


def test_it_lists_only_the_managers_clients(company: Company) -> None:
    response = browser_for(company, "charlie").get(reverse("clients:list"))
    assert response.status_code == 200
    names = [c.code for c, _revenue in response.context["rows"]]
    assert names == ["C1"]


def test_it_searches_by_name_code_and_tax_id(company: Company) -> None:
    browser = browser_for(company, "alice")
    for query, expected in (("ромаш", ["C1"]), ("c2", ["C2"]), ("770708", ["C1"])):
        response = browser.get(reverse("clients:list"), {"q": query})
        assert [c.code for c, _r in response.context["rows"]] == expected, query


def test_it_filters_and_sorts(company: Company) -> None:
    browser = browser_for(company, "alice")
    response = browser.get(reverse("clients:list"), {"region": "Москва", "ordering": "-code"})
    assert [c.code for c, _r in response.context["rows"]] == ["C3", "C1"]
    response = browser.get(reverse("clients:list"), {"department": "key_accounts"})
    assert sorted(c.code for c, _r in response.context["rows"]) == ["C1", "C2"]
    response = browser.get(reverse("clients:list"), {"responsible": company.employees["erin"].pk})
    assert [c.code for c, _r in response.context["rows"]] == ["C3"]


def test_an_htmx_request_gets_only_the_table(company: Company) -> None:
    response = browser_for(company, "alice").get(
        reverse("clients:list"), {"q": "C1"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<table" in body and "<html" not in body


def test_it_paginates(company: Company) -> None:
    from kam.clients import views
    from kam.clients.models import Client

    Client.objects.bulk_create(Client(code=f"X{i:03}", name=f"Клиент {i:03}") for i in range(60))
    browser = browser_for(company, "alice")
    first = browser.get(reverse("clients:list"))
    assert len(first.context["rows"]) == views.PAGE_SIZE
    second = browser.get(reverse("clients:list"), {"page": 2})
    assert len(second.context["rows"]) == 64 - views.PAGE_SIZE


def test_the_card_shows_figures_chart_and_receivables(company: Company) -> None:
    client = company.clients["C1"]
    response = browser_for(company, "charlie").get(reverse("clients:detail", args=[client.pk]))
    assert response.status_code == 200
    card = response.context["card"]
    assert card["revenue_12m"] == 1000 and len(card["series"]) == 36
    assert card["receivables"]["unpaid"] == 700 and card["receivables"]["max_overdue_days"] == 30
    assert 'id="revenue-data"' in response.content.decode()


def test_a_card_out_of_scope_is_not_found(company: Company) -> None:
    client = company.clients["C2"]
    assert (
        browser_for(company, "charlie").get(reverse("clients:detail", args=[client.pk])).status_code
        == 404
    )


def test_the_csv_export_escapes_formulas_and_keeps_the_scope(company: Company) -> None:
    response = browser_for(company, "erin").get(reverse("clients:export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["code", "name"]
    assert [r[0] for r in rows[1:]] == ["C3"]
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'


def test_the_xlsx_export_escapes_formulas(company: Company) -> None:
    response = browser_for(company, "alice").get(
        reverse("clients:export", args=["xlsx"]), {"q": "HYPERLINK"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "C3" and rows[1][1] == '\'=HYPERLINK("http://evil")'
