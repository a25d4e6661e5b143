"""In a real Chromium: the key-account head opens the latest cycle, filters to promotions,
accepts two after confirming, and looks at the portfolio matrix. Screenshots in Russian and
English go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kam.assessment.tests import test_cycle_pages as pages
from kam.assessment.tests.test_cycle_pages import Portfolio
from kam.clients.choices import ClientStatus
from kam.web.browser_testing import log_in, passwords_set

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


company = pages.company  # fixtures shared with the page tests
portfolio = pages.portfolio


@pytest.fixture
def people(portfolio: Portfolio) -> Portfolio:
    passwords_set(portfolio.company.users.values())
    return portfolio


def row(page: Page, portfolio: Portfolio, code: str):  # type: ignore[no-untyped-def]
    return page.locator(f"table.proposals tr[data-client='{portfolio.client(code).pk}']")


def test_the_head_accepts_two_promotions_and_opens_the_matrix(
    people: Portfolio, live_server: object, page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    log_in(page, live_server, "bob")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.click("nav.mainnav a[href='/assessment/']")
    expect(page.locator("#cycle-table tbody tr")).to_have_count(2)
    page.screenshot(path=str(artifacts / "assessment-cycles-ru.png"), full_page=True)

    page.click(f"#cycle-table a[href='/assessment/{people.cycle.pk}/']")
    expect(page.locator("table.proposals tbody tr")).to_have_count(44)
    page.select_option("#id_change", "promote")
    expect(page.locator("table.proposals tbody tr")).to_have_count(len(people.promoted))
    assert "change=promote" in page.url
    page.screenshot(path=str(artifacts / "assessment-promotions-ru.png"), full_page=True)

    key, potential = people.to_key, people.to_potential
    row(page, people, key).locator("input[type=checkbox]").check()
    row(page, people, potential).locator("input[type=checkbox]").check()
    page.click("button[value='accept:selected']")
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("table.confirm-list tbody tr")).to_have_count(2)
    page.screenshot(path=str(artifacts / "assessment-confirm-ru.png"), full_page=True)
    assert people.client(key).status == ClientStatus.STANDARD  # nothing saved yet

    page.fill("#id_note", "Согласовано на планёрке.")
    page.click("#confirm-button")
    expect(page.locator(".messages .msg-success")).to_be_visible()
    assert "change=promote" in page.url
    expect(row(page, people, key).locator(".review-accepted")).to_be_visible()
    expect(row(page, people, potential).locator(".review-accepted")).to_be_visible()
    promotions = len(people.promoted)
    expect(page.locator("table.proposals .review-pending")).to_have_count(promotions - 2)
    assert people.client(key).status == ClientStatus.KEY
    assert people.client(potential).status == ClientStatus.POTENTIAL_KEY
    page.screenshot(path=str(artifacts / "assessment-accepted-ru.png"), full_page=True)

    page.click("button.lang-btn[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".filters label[for=id_change]")).to_have_text("Proposed change")
    page.screenshot(path=str(artifacts / "assessment-accepted-en.png"), full_page=True)

    page.click("a.button[href^='/assessment/matrix/']")
    canvas = page.locator("canvas#matrix-chart")
    expect(canvas).to_have_attribute("data-chart-ready", "true")
    drawn = page.evaluate(
        """() => {
          const canvas = document.getElementById('matrix-chart');
          const chart = Chart.getChart(canvas);
          const points = chart.data.datasets.reduce((n, d) => n + d.data.length, 0);
          const pixels = canvas.getContext('2d')
            .getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
          return {points, painted, datasets: chart.data.datasets.length};
        }"""
    )
    assert drawn["datasets"] == 3 and drawn["points"] == 44
    assert drawn["painted"] > 10_000
    page.screenshot(path=str(artifacts / "assessment-matrix-en.png"), full_page=True)

    page.click("button.lang-btn[value=ru]")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("canvas#matrix-chart")).to_have_attribute("data-chart-ready", "true")
    page.screenshot(path=str(artifacts / "assessment-matrix-ru.png"), full_page=True)

    # A click on the largest bubble (the largest client, K39) opens its client's card.
    box = page.evaluate(
        """() => {
          const chart = Chart.getChart(document.getElementById('matrix-chart'));
          const rect = chart.canvas.getBoundingClientRect();
          let best = null;
          chart.data.datasets.forEach((d, i) => chart.getDatasetMeta(i).data.forEach((el, j) => {
            const p = d.data[j];
            if (!best || p.point.revenue > best.revenue) {
              best = {x: rect.left + el.x, y: rect.top + el.y, revenue: p.point.revenue, id: p.point.id};
            }
          }));
          return best;
        }"""
    )
    page.mouse.click(box["x"], box["y"])
    page.wait_for_url(f"**/clients/{box['id']}/")
    assert box["id"] == people.client("K39").pk
