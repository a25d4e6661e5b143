"""A small company for API tests, built from the domain models and small imported files.

alice director · charlie and dave key-account managers · frank auditor · grace analyst ·
helen key-account head · erin sales rep · judy acquisition rep · ivan has a login but no role.
Clients: C1 is charlie's (with sales, a payment and a credit decision), C2 dave's, C3 nobody's;
their assignment history starts two years ago (assigned_since). The committee fixture adds the
credit committee: kate its chair, leo and mia members.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django.utils import timezone

from kam.api.services import api_token_create
from kam.clients.models import Client
from kam.imports.services import import_file
from kam.keyaccounts.choices import Source
from kam.keyaccounts.services import assignments_sync
from kam.organization.models import Department, Employee
from kam.organization.testing import staff_create

PEOPLE = [
    ("alice", "E1", "Алиса Директорова", "management", "director"),
    ("charlie", "E3", "Чарли Ключевой", "key_accounts", "key_account_manager"),
    ("dave", "E4", "Давид Ключевой", "key_accounts", "key_account_manager"),
    ("frank", "E6", "Фрэнк Аудитов", "management", "auditor"),
    ("grace", "E7", "Грейс Аналитик", "management", "analyst"),
    ("helen", "E9", "Елена Главная", "key_accounts", "key_account_head"),
    ("erin", "E5", "Ирина Продажная", "sales", "sales_rep"),
    ("judy", "E10", "Юлия Привлекающая", "acquisition", "sales_rep"),
]

#: The credit committee (the committee fixture): kate chairs it (the department's head).
COMMITTEE = [
    ("kate", "E11", "Катерина Председатель", "credit_committee", "credit_committee_member"),
    ("leo", "E12", "Лев Кредитный", "credit_committee", "credit_committee_member"),
    ("mia", "E13", "Мия Кредитная", "credit_committee", "credit_committee_member"),
]


@dataclass
class Company:
    users: dict[str, User]
    employees: dict[str, Employee]
    clients: dict[str, Client]


def assigned_since(today: dt.date) -> dt.date:
    """When the fixture's responsibilities began: the first day of the month two years ago."""
    return months_ago(today, 24, day=1)


def months_ago(today: dt.date, months: int, day: int = 10) -> dt.date:
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, day)


def ledger_files(today: dt.date) -> dict[str, str]:
    """C1 bought this month, 90 days and 13 months ago; the 90-day invoice is partly paid."""
    this_month = months_ago(today, 0, day=1)
    last_year = months_ago(today, 13)
    long_ago = today - dt.timedelta(days=90)
    return {
        "sales": (
            "doc_no,line_no,date,client_code,product_group,quantity,amount,cost,payment_terms_days\n"
            f"S1,1,{this_month},C1,Бумага,10,1000,600,30\n"
            f"S1,2,{this_month},C1,Картон,1,500,400,30\n"
            f"S2,1,{long_ago},C1,Бумага,2,200,150,10\n"
            f"S3,1,{last_year},C1,Бумага,5,700,,0\n"
            f"S4,1,{this_month},C2,Бумага,1,50,40,0\n"
        ),
        "payments": (
            "doc_no,date,client_code,amount,invoice_doc_no\n"
            f"P1,{today},C1,100,S2\n"
            f"P2,{last_year},C1,700,S3\n"
        ),
        "credit_decisions": (
            "decision_no,client_code,date,credit_limit,max_terms_days,valid_until\n"
            f"D1,C1,{months_ago(today, 2)},100000,30,{today + dt.timedelta(days=30)}\n"
        ),
    }


@pytest.fixture
def company(db: None, tmp_path: Path) -> Company:
    users, employees = staff_create(PEOPLE, without_role=["ivan"])
    clients = {
        "C1": Client.objects.create(
            code="C1",
            name="ООО «Ромашка»",
            tax_id="7707083893",
            region="Москва",
            industry="Розница",
            status="key",
            responsible=employees["charlie"],
        ),
        "C2": Client.objects.create(
            code="C2", name="АО «Василёк»", region="Казань", responsible=employees["dave"]
        ),
        "C3": Client.objects.create(code="C3", name="ИП Никто"),
    }
    # Clients created directly have no history yet: open their assignments as a migration would.
    assignments_sync(
        client_filter_sql="1=1",
        params=[],
        on=assigned_since(timezone.localdate()),
        source=Source.INITIAL,
    )
    for kind, text in ledger_files(timezone.localdate()).items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        report = import_file(kind=kind, path=path)
        assert report.ok, report.errors
    return Company(users=users, employees=employees, clients=clients)


@pytest.fixture
def committee(company: Company) -> Company:
    """The company with its credit committee: kate (the chair), leo and mia; the policy needs
    two approvals of the three."""
    users, employees = staff_create(COMMITTEE)
    company.users.update(users)
    company.employees.update(employees)
    Department.objects.filter(kind="credit_committee").update(head=employees["kate"])
    return company


MakeClient = Callable[[str], HttpClient]


@pytest.fixture
def bearer(company: Company) -> MakeClient:
    """An HTTP client authenticated with a fresh API token of the named user."""

    def make(login: str) -> HttpClient:
        _token, secret = api_token_create(user=company.users[login], name="tests")
        return HttpClient(headers={"Authorization": f"Bearer {secret}"})

    return make


@pytest.fixture
def session(company: Company) -> MakeClient:
    """An HTTP client signed in to the web app as the named user (CSRF checks on)."""

    def make(login: str) -> HttpClient:
        client = HttpClient(enforce_csrf_checks=True)
        client.force_login(company.users[login])
        return client

    return make
