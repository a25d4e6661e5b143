"""A small company with a credit committee, for tests.

alice director · bob key-account head · charlie key-account manager · erin sales rep ·
cora chair of the credit committee · mike and nina members · frank auditor.
Clients: C1 standard of erin (owes 100 000, 40 days overdue), K1 key account of charlie,
N1 standard kept by nina (a member: she may not vote on it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from kam.clients.models import Client
from kam.ledger.models import SalesDocument
from kam.organization.models import Department, Employee
from kam.organization.testing import staff_create

PEOPLE = [
    ("alice", "E1", "Алиса Директорова", "management", "director"),
    ("bob", "E2", "Борис Главный", "key_accounts", "key_account_head"),
    ("charlie", "E3", "Чарли Ключевой", "key_accounts", "key_account_manager"),
    ("erin", "E5", "Ирина Продажная", "sales", "sales_rep"),
    ("cora", "E9", "Кора Председатель", "credit_committee", "credit_committee_member"),
    ("mike", "E10", "Михаил Кредитный", "credit_committee", "credit_committee_member"),
    ("nina", "E11", "Нина Кредитная", "credit_committee", "credit_committee_member"),
    ("frank", "E6", "Фрэнк Аудитов", "management", "auditor"),
]


@dataclass
class Committee:
    users: dict[str, User]
    employees: dict[str, Employee]
    clients: dict[str, Client]


def committee_create() -> Committee:
    users, employees = staff_create(PEOPLE)
    for kind, head in (
        ("credit_committee", "cora"),
        ("key_accounts", "bob"),
        ("management", "alice"),
    ):
        department = Department.objects.get(kind=kind)
        department.head = employees[head]
        department.save(update_fields=["head"])
    clients = {
        "C1": Client.objects.create(code="C1", name="ООО «Ромашка»", responsible=employees["erin"]),
        "K1": Client.objects.create(
            code="K1", name="АО «Ключ»", status="key", responsible=employees["charlie"]
        ),
        "N1": Client.objects.create(code="N1", name="ИП Нинин", responsible=employees["nina"]),
    }
    today = timezone.localdate()
    SalesDocument.objects.create(
        doc_no="S-OLD",
        date=today - dt.timedelta(days=70),
        client=clients["C1"],
        payment_terms_days=30,
        due_date=today - dt.timedelta(days=40),
        amount=Decimal("100000"),
        lines=1,
    )
    return Committee(users, employees, clients)
