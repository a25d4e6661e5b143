"""A small key-account department for tests.

alice director · helen head of the key-account department · kate and ken key-account managers ·
sam sales rep (and head of sales) · ann acquisition rep · frank auditor.
Clients: K1 key account of kate (sam's before), K2 key account of ken, P1 potential key of sam,
S1 standard of sam, G1 key account without anyone (a gap).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils import timezone

from kam.clients.choices import ClientStatus
from kam.clients.models import Client, Contact
from kam.keyaccounts.choices import Source
from kam.keyaccounts.models import Assignment
from kam.organization.models import Department, Employee
from kam.organization.testing import staff_create

PEOPLE = [
    ("alice", "E1", "Алиса Директорова", "management", "director"),
    ("helen", "E2", "Елена Руководитель", "key_accounts", "key_account_head"),
    ("kate", "E3", "Катя Ключевая", "key_accounts", "key_account_manager"),
    ("ken", "E4", "Кен Ключевой", "key_accounts", "key_account_manager"),
    ("sam", "E5", "Сэм Продажин", "sales", "sales_rep"),
    ("ann", "E6", "Анна Поискова", "acquisition", "sales_rep"),
    ("frank", "E7", "Фрэнк Аудитов", "management", "auditor"),
]


@dataclass
class Department_:
    users: dict[str, User]
    employees: dict[str, Employee]
    clients: dict[str, Client]


def department_create(today: dt.date | None = None) -> Department_:
    today = today or timezone.localdate()
    users, employees = staff_create(PEOPLE)
    sales = Department.objects.get(kind="sales")
    sales.head = employees["sam"]
    sales.save()
    year_ago = today - dt.timedelta(days=365)
    specs = [
        ("K1", "ООО «Ключ»", ClientStatus.KEY, "kate"),
        ("K2", "АО «Второй ключ»", ClientStatus.KEY, "ken"),
        ("P1", "ООО «Перспектива»", ClientStatus.POTENTIAL_KEY, "sam"),
        ("S1", "ИП Обычный", ClientStatus.STANDARD, "sam"),
        ("G1", "ЗАО «Без хозяина»", ClientStatus.KEY, None),
    ]
    clients = {}
    for code, name, status, login in specs:
        clients[code] = Client.objects.create(
            code=code,
            name=name,
            status=status,
            responsible=employees[login] if login else None,
        )
    # K1 was sam's for half a year before kate took it.
    half_year = today - dt.timedelta(days=182)
    Assignment.objects.create(
        client=clients["K1"],
        manager=employees["sam"],
        start=year_ago,
        end=half_year,
        source=Source.INITIAL,
    )
    for code, _name, _status, login in specs:
        if login:
            Assignment.objects.create(
                client=clients[code],
                manager=employees[login],
                start=half_year if code == "K1" else year_ago,
                source=Source.INITIAL,
            )
    Contact.objects.create(
        client=clients["K1"], name="Иван Закупкин", position="Закупки", is_decision_maker=True
    )
    return Department_(users, employees, clients)
