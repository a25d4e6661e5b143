"""The catalogue of sanctions: everyone with a role reads it, the director changes it (with
audit rows); a used sanction is taken out of use, never deleted, and keeps what it carries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.audit.models import AuditEntry
from kam.incidents.choices import Measure
from kam.incidents.models import Sanction, SanctionKind
from kam.incidents.tests.pages import browser_for, heads_set, incident_open
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:sanctions")
ADD = reverse("incidents:sanction_add")


def new_kind(**changes: str) -> dict[str, str]:
    data = {
        "code": "suspension",
        "name_ru": "Отстранение от клиента",
        "name_en": "Taken off the client",
        "measure": Measure.NONE,
        "is_sanction": "on",
        "position": "9",
    }
    data.update(changes)
    return data


def test_everyone_with_a_role_reads_the_catalogue(company: Company) -> None:
    for login in ("charlie", "frank", "heidi"):
        response = browser_for(company, login).get(LIST)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Штраф" in html and "Fine" in html and "An amount (fine)" in html
        assert 'id="sanction-add"' not in html and "Take out of use" not in html
    assert browser_for(company, "ivan").get(LIST).status_code == 403


def test_the_director_adds_a_sanction(company: Company) -> None:
    alice = browser_for(company, "alice")
    assert 'id="sanction-add"' in alice.get(LIST).content.decode()
    response = alice.post(ADD, new_kind())
    assert response.status_code == 302
    kind = SanctionKind.objects.get(code="suspension")
    assert kind.name_en == "Taken off the client" and kind.is_active and kind.is_sanction
    entry = AuditEntry.objects.get(action="incident.sanction_kind_added")
    assert entry.summary == "suspension"
    duplicate = alice.post(ADD, new_kind())
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.content.decode()
    blank = alice.post(ADD, new_kind(name_en="", code="other"))
    assert blank.status_code == 400 and "This field is required." in blank.content.decode()


def test_the_director_edits_names_but_not_the_code(company: Company) -> None:
    alice = browser_for(company, "alice")
    note = SanctionKind.objects.get(code="note")
    url = reverse("incidents:sanction_edit", args=[note.pk])
    response = alice.post(url, new_kind(code="changed", name_en="Remark", measure=Measure.NONE))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.code == "note" and note.name_en == "Remark"
    change = AuditEntry.objects.get(action="incident.sanction_kind_changed")
    assert change.data["name_en"] == ["Note", "Remark"]


def test_what_a_used_sanction_carries_does_not_change(company: Company) -> None:
    heads_set(company)
    incident = incident_open(company, "charlie", "C1", "D-1")
    fine = SanctionKind.objects.get(code="fine")
    Sanction.objects.create(incident=incident, kind=fine, amount=100)
    response = browser_for(company, "alice").post(
        reverse("incidents:sanction_edit", args=[fine.pk]),
        new_kind(name_ru="Штраф", name_en="Fine", measure=Measure.NONE),
    )
    assert response.status_code == 400
    assert "what it carries no longer changes" in response.content.decode()
    fine.refresh_from_db()
    assert fine.measure == Measure.AMOUNT


def test_a_sanction_is_taken_out_of_use_and_back(company: Company) -> None:
    heads_set(company)
    incident = incident_open(company, "charlie", "C1", "D-2")
    alice = browser_for(company, "alice")
    reprimand = SanctionKind.objects.get(code="reprimand")
    use = reverse("incidents:sanction_use", args=[reprimand.pk])
    assert alice.post(use, {"active": "0"}).status_code == 302
    reprimand.refresh_from_db()
    assert not reprimand.is_active
    bob = browser_for(company, "bob")
    bob.post(reverse("incidents:investigate", args=[incident.pk]), {})
    card = bob.get(reverse("incidents:detail", args=[incident.pk]))
    offered = card.context["forms"].decide.fields["sanction"].queryset
    assert reprimand not in offered and offered.filter(code="fine").exists()
    alice.post(use, {"active": "1"})
    reprimand.refresh_from_db()
    assert reprimand.is_active


def test_only_an_unused_sanction_is_removed(company: Company) -> None:
    alice = browser_for(company, "alice")
    alice.post(ADD, new_kind())
    unused = SanctionKind.objects.get(code="suspension")
    response = alice.post(reverse("incidents:sanction_delete", args=[unused.pk]))
    assert response.status_code == 302 and not SanctionKind.objects.filter(code="suspension")
    warning = SanctionKind.objects.get(code="warning")  # the default of rules
    response = alice.post(reverse("incidents:sanction_delete", args=[warning.pk]), follow=True)
    assert "take it out of use instead" in response.content.decode()
    assert SanctionKind.objects.filter(code="warning").exists()


@pytest.mark.parametrize("login", ["bob", "charlie", "frank", "grace"])
def test_only_the_director_changes_the_catalogue(company: Company, login: str) -> None:
    browser = browser_for(company, login)
    warning = SanctionKind.objects.get(code="warning")
    assert browser.get(ADD).status_code == 403
    assert browser.post(ADD, new_kind()).status_code == 403
    assert browser.get(reverse("incidents:sanction_edit", args=[warning.pk])).status_code == 403
    use = reverse("incidents:sanction_use", args=[warning.pk])
    assert browser.post(use, {"active": "0"}).status_code == 403
    delete = reverse("incidents:sanction_delete", args=[warning.pk])
    assert browser.post(delete).status_code == 403
    warning.refresh_from_db()
    assert warning.is_active and not SanctionKind.objects.filter(code="suspension").exists()


def test_the_admin_only_reads_incidents_and_sanctions(company: Company) -> None:
    from django.contrib.auth.models import User

    heads_set(company)
    incident = incident_open(company, "charlie", "C1", "D-ADMIN")
    staff = User.objects.create_superuser("root", password="not-used-1234")
    browser = browser_for(company, "alice")
    browser.force_login(staff)
    assert browser.get(reverse("admin:incidents_incident_changelist")).status_code == 200
    page = browser.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert page.status_code == 200 and "D-ADMIN" in page.content.decode()
    assert browser.get(reverse("admin:incidents_sanctionkind_changelist")).status_code == 200
    assert browser.get(reverse("admin:incidents_sanctionkind_add")).status_code == 403
