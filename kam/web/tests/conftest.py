"""A small company for web tests: one user per role, clients with known owners.

alice director · bob key-account head · charlie and dave key-account managers ·
erin sales rep · frank auditor · grace analyst · heidi credit committee member ·
ivan has a login but no role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from kam.clients.models import Client
from kam.ledger.models import MonthlyRollup, Payment, SalesDocument
from kam.organization.models import Employee
from kam.organization.testing import staff_create

PEOPLE = [
    ("alice", "E1", "Алиса Директорова", "management", "director"),
    ("bob", "E2", "Борис Главный", "key_accounts", "key_account_head"),
    ("charlie", "E3", "Чарли Ключевой", "key_accounts", "key_account_manager"),
    ("dave", "E4", "Давид Ключевой", "key_accounts", "key_account_manager"),
    ("erin", "E5", "Ирина Продажная", "sales", "sales_rep"),
    ("frank", "E6", "Фрэнк Аудитов", "management", "auditor"),
    ("grace", "E7", "Грейс Аналитик", "management", "analyst"),
    ("heidi", "E8", "Хайди Кредитная", "credit_committee", "credit_committee_member"),
]
ROLES = [p[0] for p in PEOPLE] + ["ivan"]


@dataclass
class Company:
    users: dict[str, User]
    employees: dict[str, Employee]
    clients: dict[str, Client]


@pytest.fixture
def company(db: None) -> Company:
    users, employees = staff_create(PEOPLE, without_role=["ivan"])
    clients = {
        "C1": Client.objects.create(
            code="C1",
            name="ООО «Ромашка»",
            tax_id="7707083893",
            region="Москва",
            industry="Розница",
            responsible=employees["charlie"],
        ),
        "C2": Client.objects.create(
            code="C2",
            name="АО «Василёк»",
            region="Казань",
            industry="Строительство",
            responsible=employees["dave"],
        ),
        "C3": Client.objects.create(
            code="C3",
            name='=HYPERLINK("http://evil")',
            region="Москва",
            responsible=employees["erin"],
        ),
        "C4": Client.objects.create(code="C4", name="ИП Никто"),
    }
    today = dt.date.today()
    month = today.replace(day=1)
    MonthlyRollup.objects.create(
        client=clients["C1"],
        month=month,
        product_group="Бумага",
        revenue=Decimal("1000"),
        cost=Decimal("600"),
        margin=Decimal("400"),
        quantity=Decimal("1"),
        documents=1,
        lines=1,
    )
    SalesDocument.objects.create(
        doc_no="S1",
        date=today - dt.timedelta(days=40),
        client=clients["C1"],
        payment_terms_days=10,
        due_date=today - dt.timedelta(days=30),
        amount=Decimal("1000"),
        lines=1,
    )
    Payment.objects.create(
        doc_no="P1",
        date=today - dt.timedelta(days=20),
        client=clients["C1"],
        amount=Decimal("300"),
        invoice_doc_no="S1",
    )
    return Company(users=users, employees=employees, clients=clients)


@pytest.fixture(scope="module")
def demo_company_files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo's generated files for a small company (160 clients, 2 years), once per module
    (each test imports them into its own database)."""
    from kam.web.demo import demo_files

    out = tmp_path_factory.mktemp("demo")
    demo_files(
        out, clients=160, years=2, seed=2026, end=timezone.localdate() - dt.timedelta(days=1)
    )
    return out


@pytest.fixture
def demo_with_plans(demo_company_files: Any, db: None) -> dt.date:
    """The small demo company imported, with its logins, assessment, department and plans (the
    stories before the rulebook's and the committee's); the demo's last day of sales."""
    from kam.web.demo import (
        demo_assessment,
        demo_department,
        demo_import,
        demo_plans,
        demo_users,
    )

    end = timezone.localdate() - dt.timedelta(days=1)
    assert all(report.ok for report in demo_import(demo_company_files))
    demo_users()
    demo_assessment(end)
    demo_department()
    demo_plans()
    return end
