"""The client card's incidents panel: the client's incidents the reader may see, active first,
a link to the inbox filtered by the client, and the notices of recommendations."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.incidents.choices import IncidentState
from kam.incidents.models import Incident
from kam.incidents.tests.pages import browser_for, heads_set, incident_open, version_of
from kam.rules.models import RuleNotice
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_c1(company: Company) -> int:
    heads_set(company)
    closed = incident_open(company, "charlie", "C1", "D-OLD")
    Incident.objects.filter(pk=closed.pk).update(state=IncidentState.CLOSED)
    incident_open(company, "charlie", "C1", "D-NEW")
    incident_open(company, "dave", "C2", "D-OTHER")
    version = version_of("key_account_meeting_every_30_days")
    RuleNotice.objects.create(
        rule=version.rule,
        rule_version=version,
        subject_type=version.rule.subject_type,
        subject_key="C1",
        period="2026-01",
        client=company.clients["C1"],
        employee=company.employees["charlie"],
        facts={},
    )
    return company.clients["C1"].pk


def panel(company: Company, login: str, client_pk: int) -> str:
    response = browser_for(company, login).get(reverse("clients:detail", args=[client_pk]))
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="incidents-panel"')
    return html[start : html.index("</section>", start)]


def test_the_panel_lists_the_clients_incidents_active_first(
    company: Company, client_c1: int
) -> None:
    html = panel(company, "alice", client_c1)
    assert html.index("D-NEW") < html.index("D-OLD")
    assert "D-OTHER" not in html
    assert f"client={client_c1}" in html and "tab=all" in html
    assert "Meet every key account at least every 30 days" in html  # the notice


def test_the_panel_shows_only_what_the_reader_may_see(company: Company, client_c1: int) -> None:
    assert "D-NEW" in panel(company, "charlie", client_c1)
    # the credit committee reads every client, but not the incidents of other departments
    html = panel(company, "heidi", client_c1)
    assert "D-NEW" not in html and "No incident about this client" in html


def test_the_inbox_link_lists_the_clients_incidents(company: Company, client_c1: int) -> None:
    response = browser_for(company, "alice").get(
        f"{reverse('incidents:inbox')}?tab=all&client={client_c1}"
    )
    keys = {i.subject_key for i in response.context["page"].object_list}
    assert keys == {"D-NEW", "D-OLD"}
    assert 'id="client-filter"' in response.content.decode()
