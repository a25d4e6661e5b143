"""The pipeline: each role's board shows the deals they may see, by stage, headed by the count
and the amount; the table filters, sorts, hides the closed deals until asked and exports what
it shows; the board and the table read in a fixed number of queries."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.deals.models import Deal
from kam.deals.tests.pages import a_deal, a_prospect, browser_for
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db

PIPELINE = reverse("deals:pipeline")
READ_EVERYTHING = ["alice", "bob", "frank", "grace", "heidi"]


@pytest.fixture
def deals(company: Company) -> dict[str, Deal]:
    """charlie's two (C1; one on deferred terms), dave's one (C2), erin's with C3 at the
    contract, paid and lost, her prospect's deal, and her deal with C1 (charlie keeps C1)."""
    prospect = a_prospect(company, "erin", "ООО «Новый»")
    return {
        "charlie_new": a_deal(company, "charlie", "C1", title="Бумага", amount="100 000"),
        "charlie_deferred": a_deal(
            company,
            "charlie",
            "C1",
            title="Картон с отсрочкой",
            amount="200 000",
            terms=30,
            close_in=-5,
            stages=("proposal",),
        ),
        "dave": a_deal(company, "dave", "C2", amount="300 000", stages=("negotiation",)),
        "erin_contract": a_deal(company, "erin", "C3", amount="50 000", stages=("contract",)),
        "erin_paid": a_deal(
            company, "erin", "C3", amount="10 000", stages=("contract", "shipped", "paid")
        ),
        "erin_lost": _lost(company),
        "erin_prospect": a_deal(company, "erin", prospect=prospect, amount="70 000"),
        "erin_c1": a_deal(company, "erin", "C1", title="Этикетки", amount="1 000"),
    }


def _lost(company: Company) -> Deal:
    from kam.deals.services import deal_move

    deal = a_deal(company, "erin", "C3", amount="5 000")
    return deal_move(deal=deal, user=None, stage="lost", comment="Ушли к конкуренту")


def board(company: Company, login: str, query: str = "") -> Any:
    response = browser_for(company, login).get(PIPELINE + query)
    assert response.status_code == 200
    return response


def on_board(response: Any) -> dict[str, set[int]]:
    return {c.stage: {d.pk for d in c.deals} for c in response.context["columns"]}


def heads(response: Any) -> dict[str, tuple[int, Decimal]]:
    return {c.stage: (c.count, c.amount) for c in response.context["columns"]}


def test_the_readers_of_every_client_see_every_deal_by_stage_with_totals(
    company: Company, deals: dict[str, Deal]
) -> None:
    for login in READ_EVERYTHING:
        response = board(company, login)
        assert heads(response) == {
            "qualification": (3, Decimal("171000")),
            "proposal": (1, Decimal("200000")),
            "negotiation": (1, Decimal("300000")),
            "contract": (1, Decimal("50000")),
            "shipped": (0, Decimal("0")),
            "paid": (1, Decimal("10000")),
        }, login
        totals = response.context["totals"]
        assert totals["open"] == {"n": 6, "amount": Decimal("721000")}
        assert totals["lost"] == {"n": 1, "amount": Decimal("5000")}
    html = board(company, "alice").content.decode()
    assert "171,000" in html


def test_a_manager_sees_their_deals_and_those_of_the_clients_they_keep(
    company: Company, deals: dict[str, Deal]
) -> None:
    assert on_board(board(company, "charlie")) == {
        "qualification": {deals["charlie_new"].pk, deals["erin_c1"].pk},
        "proposal": {deals["charlie_deferred"].pk},
        "negotiation": set(),
        "contract": set(),
        "shipped": set(),
        "paid": set(),
    }
    assert heads(board(company, "dave"))["negotiation"] == (1, Decimal("300000"))
    assert sum(n for n, _ in heads(board(company, "dave")).values()) == 1


def test_a_sales_rep_sees_only_her_own_deals(company: Company, deals: dict[str, Deal]) -> None:
    response = board(company, "erin")
    assert on_board(response) == {
        "qualification": {deals["erin_prospect"].pk, deals["erin_c1"].pk},
        "proposal": set(),
        "negotiation": set(),
        "contract": {deals["erin_contract"].pk},
        "shipped": set(),
        "paid": {deals["erin_paid"].pk},
    }
    assert response.context["totals"]["lost"]["n"] == 1


def test_without_a_role_the_pipeline_is_refused(company: Company) -> None:
    assert browser_for(company, "ivan").get(PIPELINE).status_code == 403


def test_the_cards_show_what_people_read_and_move_only_for_their_editors(
    company: Company, deals: dict[str, Deal]
) -> None:
    html = board(company, "charlie").content.decode()
    deferred = deals["charlie_deferred"]
    assert deferred.number in html and "Картон с отсрочкой" in html
    assert "ООО «Ромашка»" in html and "Чарли Ключевой" in html
    assert "badge-deferred" in html and "30 days" in html
    assert "is-late" in html  # charlie's deferred deal was to close five days ago
    assert f'data-move-url="{reverse("deals:move", args=[deferred.pk])}"' in html
    assert 'data-stage="negotiation"' in html  # the button under the proposal's card
    # erin's deal with C1: charlie sees it (he keeps C1) but only erin and alice move it
    assert f'data-move-url="{reverse("deals:move", args=[deals["erin_c1"].pk])}"' not in html
    # the auditor reads, never moves
    auditor = board(company, "frank").content.decode()
    assert 'draggable="true"' not in auditor and "card-move" not in auditor
    # a prospect's deal stops before the contract: its card offers the proposal only
    erin = board(company, "erin").content.decode()
    assert "badge-prospect" in erin


def test_the_board_filters_by_owner_search_terms_and_close(
    company: Company, deals: dict[str, Deal]
) -> None:
    erin = company.employees["erin"].pk
    found = on_board(board(company, "alice", f"?owner={erin}"))
    assert set().union(*found.values()) == {
        deals[k].pk for k in ("erin_contract", "erin_paid", "erin_prospect", "erin_c1")
    }
    found = on_board(board(company, "alice", "?deferred=on"))
    assert set().union(*found.values()) == {deals["charlie_deferred"].pk}
    found = on_board(board(company, "alice", "?q=ромашка"))  # any letter case, Russian too
    assert set().union(*found.values()) == {
        deals[k].pk for k in ("charlie_new", "charlie_deferred", "erin_c1")
    }
    found = on_board(board(company, "alice", f"?q={deals['dave'].number}"))
    assert set().union(*found.values()) == {deals["dave"].pk}
    found = on_board(board(company, "alice", f"?client={company.clients['C2'].pk}"))
    assert set().union(*found.values()) == {deals["dave"].pk}
    close_to = deals["charlie_new"].expected_close.isoformat()
    response = board(company, "alice", f"?close_to={close_to}&close_from={close_to}")
    assert heads(response)["qualification"][0] == 3  # all made to close the same day


def test_a_filter_from_the_page_swaps_only_the_board_or_the_table(
    company: Company, deals: dict[str, Deal]
) -> None:
    browser = browser_for(company, "alice")
    fragment = browser.get(PIPELINE + "?q=бумага", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert 'id="board"' in html and "<html" not in html
    fragment = browser.get(PIPELINE + "?view=table&q=бумага", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "deals-table" in html and "<html" not in html
    assert "export.csv?view=table&amp;q=" in html  # the export follows the filter


def rows(response: Any) -> list[int]:
    return [d.pk for d in response.context["page"].object_list]


def test_the_table_hides_the_closed_deals_until_asked(
    company: Company, deals: dict[str, Deal]
) -> None:
    shown = set(rows(board(company, "alice", "?view=table")))
    assert deals["erin_paid"].pk not in shown and deals["erin_lost"].pk not in shown
    assert len(shown) == 6
    shown = set(rows(board(company, "alice", "?view=table&closed=on")))
    assert {deals["erin_paid"].pk, deals["erin_lost"].pk} <= shown
    assert rows(board(company, "alice", "?view=table&stage=lost")) == [deals["erin_lost"].pk]
    html = board(company, "alice", "?view=table&stage=lost").content.decode()
    assert "Ушли к конкуренту" in html
    assert rows(board(company, "alice", "?view=table&stage=negotiation")) == [deals["dave"].pk]


def test_the_table_sorts_by_its_columns(company: Company, deals: dict[str, Deal]) -> None:
    by_amount = rows(board(company, "alice", "?view=table&sort=-amount"))
    assert by_amount[:2] == [deals["dave"].pk, deals["charlie_deferred"].pk]
    by_stage = rows(board(company, "alice", "?view=table&sort=-stage"))
    assert by_stage[0] == deals["erin_contract"].pk
    by_party = rows(board(company, "alice", "?view=table&sort=counterparty"))
    # АО «Василёк» (C2) before ООО «Ромашка» (C1) and ООО «Новый» (a prospect)
    assert by_party.index(deals["dave"].pk) < by_party.index(deals["charlie_new"].pk)
    assert by_party.index(deals["erin_prospect"].pk) < by_party.index(deals["charlie_new"].pk)
    # an unknown sort falls back to the expected close
    response = board(company, "alice", "?view=table&sort=nonsense")
    assert response.context["sort"] == "close"
    assert rows(response)[0] == deals["charlie_deferred"].pk


def test_the_export_has_every_deal_the_table_shows(
    company: Company, deals: dict[str, Deal]
) -> None:
    browser = browser_for(company, "charlie")
    response = browser.get(reverse("deals:export", args=["csv"]) + "?deferred=on")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.strip().splitlines()
    assert lines[0].startswith("number;title;client_code")
    assert len(lines) == 2 and deals["charlie_deferred"].number in lines[1]
    assert "200000,00" in lines[1] or "200000,0" in lines[1]
    response = browser.get(reverse("deals:export", args=["xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert numbers == {deals[k].number for k in ("charlie_new", "charlie_deferred", "erin_c1")}
    assert browser.get(reverse("deals:export", args=["pdf"])).status_code == 404


def queries(browser: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_the_board_and_the_table_read_in_a_fixed_number_of_queries(
    company: Company, deals: dict[str, Deal]
) -> None:
    browser = browser_for(company, "alice")
    pages = [PIPELINE, PIPELINE + "?view=table&closed=on", PIPELINE + "?q=бумага&deferred=on"]
    for url in pages:
        browser.get(url)
    few = [queries(browser, url) for url in pages]
    stages = ["proposal", "negotiation", "contract", "shipped"]
    for i in range(40):
        a_deal(
            company,
            ["charlie", "dave", "erin"][i % 3],
            ["C1", "C2", "C3"][i % 3],
            title=f"Бумага {i}",
            stages=tuple(stages[: i % 5]),
        )
    many = [queries(browser, url) for url in pages]
    assert many == few
    assert many[0] <= 11 and many[1] <= 6, many
