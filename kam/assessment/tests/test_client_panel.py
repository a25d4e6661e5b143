"""The client card's assessment panel: why a client is proposed, status decisions by the
key-account head, the data-collection checklist and the decision-maker contacts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.urls import reverse

from kam.assessment.choices import Cell, FurtherWork, Review
from kam.assessment.decision_views import metric_display
from kam.assessment.models import Assessment, AssessmentCycle, DataCollection, StatusDecision
from kam.assessment.services import cycle_run, schedule
from kam.audit.models import AuditEntry
from kam.clients.models import Client, Contact
from kam.ledger.models import MonthlyRollup
from kam.ledger.months import add_months
from kam.web.tests import conftest as web

pytestmark = pytest.mark.django_db

company = web.company  # the web tests' company: one user per role, clients C1–C4
Company = web.Company


def month_back(day: dt.date, back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def sales(client: Client, months: range, revenue: int, groups: tuple[str, ...] = ("A",)) -> None:
    today = dt.date.today()
    MonthlyRollup.objects.bulk_create(
        MonthlyRollup(
            client=client,
            month=month_back(today, back),
            product_group=group,
            revenue=Decimal(revenue),
            cost=Decimal(revenue * 6 // 10),
            margin=Decimal(revenue * 4 // 10),
            quantity=Decimal(1),
            documents=1,
            lines=1,
        )
        for back in months
        for group in groups
    )


@pytest.fixture
def assessed(company: Company) -> AssessmentCycle:
    """Two years of sales for C1 and C2, a little for C3, profile facts for C1; one cycle."""
    c1, c2, c3 = (company.clients[c] for c in ("C1", "C2", "C3"))
    sales(c1, range(1, 25), 50_000, ("Бумага", "Картон", "Клей"))
    sales(c2, range(1, 13), 20_000)
    sales(c3, range(6, 9), 1_000)
    Client.objects.filter(pk=c1.pk).update(
        employees=250, annual_revenue=Decimal("90000000"), purchase_potential=Decimal("5000000")
    )
    return cycle_run(as_of=dt.date.today())


def logged_in(company: Company, who: str) -> Browser:
    browser = Browser()
    browser.force_login(company.users[who])
    return browser


def card(browser: Browser, client: Client) -> str:
    response = browser.get(reverse("clients:detail", args=[client.pk]))
    assert response.status_code == 200
    return response.content.decode()


def numbers(text: str) -> float:
    return float(re.sub(r"[^\d.\-]", "", text))


# --- The panel ---------------------------------------------------------------------------------


def test_the_explanation_adds_up_to_the_scores(company: Company, assessed: AssessmentCycle) -> None:
    browser = logged_in(company, "bob")
    client = company.clients["C1"]
    response = browser.get(reverse("clients:detail", args=[client.pk]))
    assert response.status_code == 200
    assessment = Assessment.objects.get(cycle=assessed, client=client)
    explanation = response.context["panel"]["explanation"]
    for axis, stored in (
        ("potential", assessment.potential),
        ("attractiveness", assessment.attractiveness),
    ):
        rows = explanation[axis]["criteria"]
        assert sum(r["contribution"] for r in rows) == pytest.approx(stored, abs=0.06)
        counted = [r for r in rows if not r["missing"]]
        assert sum(r["weight_share"] for r in counted) == pytest.approx(1.0)
    html = response.content.decode()
    # What the user reads: the criteria, the client's values and the points per axis.
    assert "Why these scores" in html
    assert "Gross margin, 12 months" in html
    assert "Purchase potential" in html
    assert metric_display("purchase_potential", 5_000_000) in html
    for axis, stored in (
        ("potential", assessment.potential),
        ("attractiveness", assessment.attractiveness),
    ):
        table = html.split(f'data-axis="{axis}"')[1].split("</table>")[0]
        points = re.findall(r'class="num contribution">([^<]+)<', table)
        assert points
        total = re.search(r'class="num total">([^<]+)<', table)
        assert total is not None
        assert numbers(total.group(1)) == pytest.approx(stored, abs=0.06)
    assert f"№ {assessment.priority_rank}" in html
    assert assessment.get_cell_display() in html


def test_a_missing_value_says_its_weight_moved(company: Company, assessed: AssessmentCycle) -> None:
    # C2 has no purchase potential collected: the criteria that need it have no data.
    html = card(logged_in(company, "alice"), company.clients["C2"])
    assert "no data — weight moved to the others" in html


def test_values_read_as_money_shares_and_days() -> None:
    assert metric_display("revenue_12m", 1234567.4) == "1,234,567"
    assert metric_display("growth", 0.153) == "+15.3 %"
    assert metric_display("share_of_wallet", 0.25) == "25.0 %"
    assert metric_display("recency_days", 12) == "12 days"
    assert metric_display("days_overdue_avg", 1) == "1 day"
    assert metric_display("revenue_cv", 0.456) == "0.46"
    assert metric_display("product_groups", 3) == "3"
    assert metric_display("growth", None) == "—"


def test_a_manager_sees_his_clients_panel_but_no_decision_form(
    company: Company, assessed: AssessmentCycle
) -> None:
    browser = logged_in(company, "charlie")
    html = card(browser, company.clients["C1"])
    assert "Why these scores" in html
    assert "Status decisions" in html
    assert 'id="decision"' not in html
    assert (
        browser.get(reverse("clients:status_decide", args=[company.clients["C1"].pk])).status_code
        == 403
    )
    # Another manager's client stays out of sight.
    assert (
        browser.get(reverse("clients:detail", args=[company.clients["C2"].pk])).status_code == 404
    )


def test_the_card_without_any_cycle_says_so(company: Company) -> None:
    html = card(logged_in(company, "bob"), company.clients["C4"])
    assert "Not assessed yet" in html
    assert 'id="decision"' in html  # a decision does not need an assessment


# --- Status decisions --------------------------------------------------------------------------


def test_the_head_decides_a_potential_key_account(
    company: Company, assessed: AssessmentCycle
) -> None:
    browser = logged_in(company, "bob")
    client = company.clients["C1"]
    url = reverse("clients:status_decide", args=[client.pk])
    html = card(browser, client)
    # The form preselects the proposal and the cell's further work; the review date follows the schedule.
    assessment = Assessment.objects.get(cycle=assessed, client=client)
    default_review = add_months(dt.date.today(), schedule().every_months)
    assert f'value="{default_review.isoformat()}"' in html
    form = browser.get(url).context["decision_form"]
    assert form.initial["status"] == assessment.proposed_status
    assert (
        form.initial["further_work"]
        == {
            Cell.STRATEGIC: FurtherWork.DEVELOP,
            Cell.STATUS: FurtherWork.MAINTAIN,
            Cell.STAR: FurtherWork.INVEST,
            Cell.STREAMLINE: FurtherWork.SERVE,
        }[Cell(assessment.cell)]
    )
    # The confirmation says what will change before anything is recorded.
    preview = browser.get(
        url, {"status": "potential_key", "further_work": "collect"}, HTTP_HX_REQUEST="true"
    )
    text = preview.content.decode()
    assert "Status: Standard → Potential key account." in text
    assert "A data collection opens" in text
    assert not StatusDecision.objects.exists()

    response = browser.post(
        url,
        {
            "status": "potential_key",
            "further_work": "collect",
            "reason": "Большой потенциал, мало знаем о закупках",
            "next_review": "2031-01-15",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/clients/{client.pk}/#assessment")
    client.refresh_from_db()
    assert client.status == "potential_key"
    decision = StatusDecision.objects.get(client=client)
    assert (decision.status_before, decision.status, decision.further_work) == (
        "standard",
        "potential_key",
        "collect",
    )
    assert decision.decided_by == company.users["bob"]
    assert decision.next_review == dt.date(2031, 1, 15)
    assert decision.model_version == assessed.model.version
    assert decision.potential == pytest.approx(assessment.potential)
    assert decision.attractiveness == pytest.approx(assessment.attractiveness)
    assert decision.cell == assessment.cell
    entry = AuditEntry.objects.get(action="client.status_decided")
    assert entry.actor == company.users["bob"]
    assert entry.data["before"] == "standard" and entry.data["after"] == "potential_key"
    assessment.refresh_from_db()
    if assessment.proposed_status != "standard":
        assert assessment.review in (Review.ACCEPTED, Review.REJECTED)
    # The card shows the decision in the history and opens the checklist.
    html = card(browser, client)
    assert "Большой потенциал, мало знаем о закупках" in html
    assert "Борис Главный" in html
    assert 'id="data-collection"' in html
    assert DataCollection.objects.filter(client=client, closed_at__isnull=True).exists()
    # Decided: the form now starts from the current status and the last further work.
    form = browser.get(reverse("clients:detail", args=[client.pk])).context["decision_form"]
    assert (form.initial["status"], form.initial["further_work"]) == ("potential_key", "collect")


def test_an_empty_reason_is_refused_with_a_message(
    company: Company, assessed: AssessmentCycle
) -> None:
    browser = logged_in(company, "alice")
    client = company.clients["C2"]
    response = browser.post(
        reverse("clients:status_decide", args=[client.pk]),
        {"status": "key", "further_work": "develop", "reason": "   ", "next_review": ""},
    )
    assert response.status_code == 400
    assert "Say why: the reason is kept with the decision." in response.content.decode()
    assert not StatusDecision.objects.exists()
    client.refresh_from_db()
    assert client.status == "standard"


def test_an_unknown_status_is_refused(company: Company) -> None:
    browser = logged_in(company, "bob")
    response = browser.post(
        reverse("clients:status_decide", args=[company.clients["C4"].pk]),
        {"status": "vip", "further_work": "develop", "reason": "x"},
    )
    assert response.status_code == 400
    assert "status" in response.context["decision_form"].errors


# --- Data collection and contacts ----------------------------------------------------------------


def test_a_decision_maker_raises_the_completeness(company: Company) -> None:
    client = company.clients["C1"]
    Client.objects.filter(pk=client.pk).update(status="potential_key")
    browser = logged_in(company, "charlie")  # the responsible manager collects the facts
    before = browser.get(reverse("clients:detail", args=[client.pk])).context["panel"]
    assert before["collecting"]
    assert not next(i for i in before["checklist"] if i.key == "decision_makers").done
    response = browser.post(
        reverse("clients:contact_add", args=[client.pk]),
        {
            "contact-name": "Пётр Закупкин",
            "contact-position": "Директор по закупкам",
            "contact-phone": "+7 495 000-00-00",
            "contact-email": "petr@example.ru",
            "contact-is_decision_maker": "on",
        },
    )
    assert response.status_code == 302
    after = browser.get(reverse("clients:detail", args=[client.pk]))
    panel = after.context["panel"]
    assert panel["completeness"] > before["completeness"]
    assert next(i for i in panel["checklist"] if i.key == "decision_makers").done
    html = after.content.decode()
    assert "Пётр Закупкин" in html and "decision maker" in html
    contact = Contact.objects.get(client=client)
    entry = AuditEntry.objects.get(action="client.contact_added")
    assert entry.actor == company.users["charlie"] and entry.data["name"] == "Пётр Закупкин"

    response = browser.post(reverse("clients:contact_delete", args=[client.pk, contact.pk]))
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert AuditEntry.objects.filter(action="client.contact_deleted").count() == 1


def test_a_contact_without_a_name_is_explained(company: Company) -> None:
    browser = logged_in(company, "bob")
    response = browser.post(
        reverse("clients:contact_add", args=[company.clients["C2"].pk]),
        {"contact-name": "", "contact-email": "not-an-email"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "name" in errors and "email" in errors
    assert not Contact.objects.exists()


def test_who_may_not_edit_changes_no_contacts(company: Company) -> None:
    client = company.clients["C1"]
    contact = Contact.objects.create(client=client, name="Анна")
    for who in ("frank", "grace"):
        browser = logged_in(company, who)
        assert "Add a contact" not in card(browser, client)
        assert (
            browser.post(
                reverse("clients:contact_delete", args=[client.pk, contact.pk])
            ).status_code
            == 403
        )
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_contact_of_another_client_cannot_be_removed_through_this_one(
    company: Company,
) -> None:
    other = Contact.objects.create(client=company.clients["C2"], name="Чужой")
    browser = logged_in(company, "bob")
    response = browser.post(
        reverse("clients:contact_delete", args=[company.clients["C1"].pk, other.pk])
    )
    assert response.status_code == 404
    assert Contact.objects.filter(pk=other.pk).exists()
