"""One handover (its briefing, the receiver's acknowledgement) and the handover history with
its filters, sorting and export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kam.keyaccounts.choices import Cause
from kam.keyaccounts.models import Handover
from kam.keyaccounts.services import handover_acknowledge, handover_record
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import dept, logged_in

pytestmark = pytest.mark.django_db

__all__ = ["dept"]


@pytest.fixture
def handed(dept: Department_) -> dict[str, Handover]:
    """K1 kate → ken (overload, last week); S2 ken → sam (other, acknowledged); G1 → kate."""
    today = timezone.localdate()
    helen = dept.users["helen"]
    k1 = handover_record(
        client=dept.clients["K1"],
        to_manager=dept.employees["ken"],
        user=helen,
        cause=Cause.OVERLOAD,
        notes="Ключевой контакт — Иван, звонить до обеда.",
        effective=today - dt.timedelta(days=7),
    )
    s2 = handover_record(
        client=dept.clients["S2"],
        to_manager=dept.employees["sam"],
        user=helen,
        cause=Cause.OTHER,
        reason="=Стандартный клиент уходит в продажи",
    )
    handover_acknowledge(handover=s2, user=dept.users["sam"])
    g1 = handover_record(
        client=dept.clients["G1"],
        to_manager=dept.employees["kate"],
        user=dept.users["alice"],
        cause=Cause.ASSIGNMENT,
    )
    return {"K1": k1, "S2": s2, "G1": g1}


def detail(handover: Handover) -> str:
    return reverse("keyaccounts:handover_detail", args=[handover.pk])


def acknowledge(handover: Handover) -> str:
    return reverse("keyaccounts:handover_acknowledge", args=[handover.pk])


# --- One handover ------------------------------------------------------------------------------


def test_the_receiver_reads_the_notes_and_the_briefing(
    dept: Department_, handed: dict[str, Handover]
) -> None:
    response = logged_in(dept, "ken").get(detail(handed["K1"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ключевой контакт — Иван, звонить до обеда." in html
    assert "Иван Закупкин" in html  # the contacts section of the stored briefing
    assert "Facts still to collect" in html and "Tax id (INN)" in html
    assert "Acknowledge: I have taken the account over" in html
    assert "not acknowledged yet" in html


def test_only_the_receiver_acknowledges(dept: Department_, handed: dict[str, Handover]) -> None:
    k1 = handed["K1"]
    html = logged_in(dept, "helen").get(detail(k1)).content.decode()
    assert "Acknowledge: I have taken the account over" not in html
    for login in ("helen", "kate", "alice"):
        assert logged_in(dept, login).post(acknowledge(k1)).status_code == 403
    k1.refresh_from_db()
    assert k1.acknowledged_at is None
    response = logged_in(dept, "ken").post(acknowledge(k1))
    assert response.status_code == 302
    assert response["Location"] == detail(k1)
    k1.refresh_from_db()
    assert k1.acknowledged_at is not None and k1.acknowledged_by == dept.users["ken"]


def test_the_giver_reads_it_and_others_may_not(
    dept: Department_, handed: dict[str, Handover]
) -> None:
    assert logged_in(dept, "kate").get(detail(handed["K1"])).status_code == 200
    assert logged_in(dept, "sam").get(detail(handed["K1"])).status_code == 403
    assert logged_in(dept, "frank").get(detail(handed["K1"])).status_code == 200


def test_acknowledging_from_my_accounts_goes_back_there(
    dept: Department_, handed: dict[str, Handover]
) -> None:
    response = logged_in(dept, "kate").post(acknowledge(handed["G1"]), {"next": "mine"})
    assert response["Location"] == reverse("keyaccounts:mine")


# --- The history -------------------------------------------------------------------------------


def listed(dept: Department_, query: str = "") -> list[str]:
    response = logged_in(dept, "helen").get(reverse("keyaccounts:handovers") + query)
    assert response.status_code == 200
    return [h.client.code for h in response.context["page"].object_list]


def test_the_history_lists_the_latest_first(dept: Department_, handed: dict[str, Handover]) -> None:
    assert listed(dept) == ["G1", "S2", "K1"]


def test_the_history_filters(dept: Department_, handed: dict[str, Handover]) -> None:
    kate, ken = dept.employees["kate"].pk, dept.employees["ken"].pk
    assert listed(dept, "?q=ключ") == ["K1"]
    assert listed(dept, "?q=s2") == ["S2"]
    assert listed(dept, f"?from_manager={kate}") == ["K1"]
    assert listed(dept, f"?to_manager={ken}") == ["K1"]
    assert listed(dept, "?cause=assignment") == ["G1"]
    assert listed(dept, "?acknowledged=yes") == ["S2"]
    assert listed(dept, "?acknowledged=no") == ["G1", "K1"]
    today = timezone.localdate()
    assert listed(dept, f"?effective_to={today - dt.timedelta(days=1)}") == ["K1"]
    assert listed(dept, f"?effective_from={today}") == ["G1", "S2"]
    assert listed(dept, f"?bulk={handed['K1'].pk}") == ["G1", "S2", "K1"]  # not a uuid: ignored


def test_the_history_sorts(dept: Department_, handed: dict[str, Handover]) -> None:
    assert listed(dept, "?ordering=effective")[0] == "K1"
    assert listed(dept, "?ordering=-effective")[-1] == "K1"
    assert listed(dept, "?ordering=client") == ["G1", "K1", "S2"]  # ЗАО…, ООО «Ключ», ООО «Не…


def test_an_htmx_request_gets_the_table_only(
    dept: Department_, handed: dict[str, Handover]
) -> None:
    response = logged_in(dept, "helen").get(
        reverse("keyaccounts:handovers") + "?cause=other", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html and "1 handover" in html


def test_the_export_has_the_filtered_rows(dept: Department_, handed: dict[str, Handover]) -> None:
    browser = logged_in(dept, "frank")
    url = reverse("keyaccounts:handovers_export", args=["csv"])
    response = browser.get(url + "?cause=other")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["id", "effective", "client_code", "client"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["client_code"] == "S2" and row["to_code"] == "E5"
    assert row["reason"] == "'=Стандартный клиент уходит в продажи"  # no formula
    assert row["acknowledged_by"] == "Сэм Продажин"
    response = browser.get(reverse("keyaccounts:handovers_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.max_row == 4
    assert browser.get(reverse("keyaccounts:handovers_export", args=["pdf"])).status_code == 404


def test_managers_do_not_read_the_department_history(
    dept: Department_, handed: dict[str, Handover]
) -> None:
    for login in ("kate", "sam"):
        browser = logged_in(dept, login)
        assert browser.get(reverse("keyaccounts:handovers")).status_code == 403
        assert browser.get(reverse("keyaccounts:handovers_export", args=["csv"])).status_code == 403
