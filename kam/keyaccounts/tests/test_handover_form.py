"""Handing one account over through the form: receivers with their load, the briefing preview,
the history it writes, the over-limit confirmation and the answer to a concurrent change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.clients.models import Client
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.models import Assignment, Handover
from kam.keyaccounts.services import handover_record, workload_limit_set
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import dept, logged_in

pytestmark = pytest.mark.django_db

__all__ = ["dept"]


def url(dept: Department_, code: str = "K1") -> str:
    return reverse("keyaccounts:handover", args=[dept.clients[code].pk])


def form_data(dept: Department_, **changes: Any) -> dict[str, Any]:
    data = {
        "to_manager": dept.employees["ken"].pk,
        "effective": timezone.localdate().isoformat(),
        "cause": Cause.OVERLOAD,
        "reason": "",
        "notes": "Звонить по вторникам, закупщик Иван.",
        "expected_from": dept.employees["kate"].pk,
    }
    data.update(changes)
    return data


def test_it_shows_the_current_responsible_the_receivers_and_the_briefing(
    dept: Department_,
) -> None:
    response = logged_in(dept, "helen").get(url(dept))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Катя Ключевая" in html  # responsible now
    start = Assignment.objects.get(client=dept.clients["K1"], end__isnull=True).start
    assert f"since {start:%m/%d/%Y}" in html
    form = response.context["form"]
    labels = [
        label for _group, options in form.fields["to_manager"].choices[1:] for _pk, label in options
    ]
    # key-account staff only (K1 is a key account), kate herself left out, each with a load
    assert labels == ["Елена Руководитель — 0 / 15", "Кен Ключевой — 2 / 15"]
    assert f'name="expected_from" value="{dept.employees["kate"].pk}"' in html
    # the briefing the receiver will get: the decision maker among the contacts
    assert "What the receiver takes over" in html
    assert "Иван Закупкин" in html and "Contacts" in html and "Open invoices" in html


def test_a_handover_moves_the_account_and_writes_history_and_audit(dept: Department_) -> None:
    response = logged_in(dept, "helen").post(url(dept), form_data(dept))
    k1 = dept.clients["K1"]
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[k1.pk]) + "#ownership"
    k1.refresh_from_db()
    assert k1.responsible == dept.employees["ken"]
    rows = list(Assignment.objects.filter(client=k1).order_by("start", "pk"))
    assert [(a.manager.code, a.end is None) for a in rows][-2:] == [("E3", False), ("E4", True)]
    handover = Handover.objects.get(client=k1)
    assert handover.notes == "Звонить по вторникам, закупщик Иван."
    assert handover.created_by == dept.users["helen"]
    assert AuditEntry.objects.filter(action="keyaccounts.handover", object_id=str(k1.pk)).exists()


def test_the_other_cause_needs_a_reason(dept: Department_) -> None:
    response = logged_in(dept, "helen").post(url(dept), form_data(dept, cause=Cause.OTHER))
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert not Handover.objects.exists()


def test_a_date_in_the_future_is_refused_on_its_field(dept: Department_) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = logged_in(dept, "helen").post(
        url(dept), form_data(dept, effective=tomorrow.isoformat())
    )
    assert response.status_code == 400
    assert "in the future" in str(response.context["form"].errors["effective"])
    assert not Handover.objects.exists()


def test_above_the_limit_the_head_confirms(dept: Department_) -> None:
    workload_limit_set(
        manager=dept.employees["ken"], max_accounts=2, max_revenue=None, user=dept.users["helen"]
    )
    browser = logged_in(dept, "helen")
    response = browser.post(url(dept), form_data(dept))
    assert response.status_code == 400
    html = response.content.decode()
    assert "already keeps 2 of 2 accounts" in html
    assert "I confirm the assignment above the limit" in html
    assert not Handover.objects.exists()
    response = browser.post(url(dept), form_data(dept, confirm_over_limit="on"))
    assert response.status_code == 302
    handover = Handover.objects.get()
    assert handover.over_limit and handover.limit == 2 and handover.load_before == 2


def test_a_change_meanwhile_is_explained_and_nothing_is_written(dept: Department_) -> None:
    k1 = dept.clients["K1"]
    browser = logged_in(dept, "helen")
    assert browser.get(url(dept)).status_code == 200  # helen opens the form: kate keeps K1
    handover_record(  # meanwhile the director gives K1 to ken
        client=Client.objects.get(pk=k1.pk),
        to_manager=dept.employees["ken"],
        user=dept.users["alice"],
        cause=Cause.OVERLOAD,
    )
    response = browser.post(url(dept), form_data(dept, to_manager=dept.employees["helen"].pk))
    assert response.status_code == 400
    html = response.content.decode()
    assert "changed hands meanwhile" in html and "Кен Ключевой" in html
    # the form now expects ken: sending it again is a decision taken knowingly
    assert f'name="expected_from" value="{dept.employees["ken"].pk}"' in html
    k1.refresh_from_db()
    assert k1.responsible == dept.employees["ken"]
    assert Handover.objects.count() == 1


def test_the_gap_is_assigned_from_nobody(dept: Department_) -> None:
    g1 = dept.clients["G1"]
    browser = logged_in(dept, "helen")
    response = browser.get(url(dept, "G1") + "?cause=assignment")
    assert response.context["form"]["cause"].value() == Cause.ASSIGNMENT
    assert "Nobody is responsible." in response.content.decode()
    response = browser.post(
        url(dept, "G1"),
        form_data(dept, to_manager=dept.employees["kate"].pk, expected_from="", cause="assignment"),
    )
    assert response.status_code == 302
    g1.refresh_from_db()
    assert g1.responsible == dept.employees["kate"]


def test_nobody_hands_over_their_own_accounts(dept: Department_) -> None:
    browser = logged_in(dept, "kate")
    assert browser.get(url(dept)).status_code == 403
    response = browser.post(url(dept), form_data(dept))
    assert response.status_code == 403
    assert not Handover.objects.exists()


def test_the_auditor_reads_but_does_not_hand_over(dept: Department_) -> None:
    assert logged_in(dept, "frank").get(url(dept)).status_code == 403
