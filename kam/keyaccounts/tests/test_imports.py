"""Imports keep the history and cannot give a key account to someone else."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from kam.clients.models import Client
from kam.imports.services import import_file
from kam.keyaccounts.choices import Source
from kam.keyaccounts.models import Assignment
from kam.keyaccounts.testing import Department_, department_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def dept() -> Department_:
    return department_create()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_cannot_change_a_key_accounts_manager(dept: Department_, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "clients.csv",
        "Код;Наименование;Ответственный (код)\n"
        "S1;ИП Обычный;E6\n"  # a standard client may move
        "K1;ООО «Ключ»;E6\n"  # a key account to an acquisition rep: refused
        "K2;АО «Второй ключ»;E4\n"  # unchanged: fine
        "G1;ЗАО «Без хозяина»;E3\n",  # even filling a gap goes through a handover
    )
    report = import_file(kind="clients", path=path)
    assert [(e["line"], e["column"], e["value"]) for e in report.errors] == [
        (3, "Ответственный (код)", "E6"),
        (5, "Ответственный (код)", "E3"),
    ]
    assert "only by a handover in kam (now: E3)" in report.errors[0]["reason"]
    assert "(now: —)" in report.errors[1]["reason"]
    # Nothing was written, not even the standard client's row.
    assert Client.objects.get(code="S1").responsible == dept.employees["sam"]
    assert Assignment.objects.filter(source=Source.IMPORT).count() == 0


def test_an_import_records_responsibility_changes_in_the_history(
    dept: Department_, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "clients.csv",
        "code,name,responsible_code\nS1,ИП Обычный,E6\nN1,ООО «Новый»,E5\nK2,АО «Второй ключ»,E4\n",
    )
    report = import_file(kind="clients", path=path)
    assert report.ok, report.errors
    assert "2 responsibility change(s) recorded in the history" in report.notices
    today = timezone.localdate()
    s1 = list(Assignment.objects.filter(client__code="S1").order_by("start", "pk"))
    assert [(a.manager.code, a.end, a.source) for a in s1] == [
        ("E5", today, Source.INITIAL),
        ("E6", None, Source.IMPORT),
    ]
    assert Assignment.objects.get(client__code="N1").manager.code == "E5"
    # Re-importing the same file changes nothing.
    report = import_file(kind="clients", path=path)
    assert report.ok and not any("responsibility" in n for n in report.notices)
    assert Assignment.objects.filter(source=Source.IMPORT).count() == 2


def test_an_import_cannot_move_a_manager_with_key_accounts_out(
    dept: Department_, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "employees.csv",
        "code,name,department\nE3,Катя Ключевая,acquisition\nE2,Елена Руководитель,key_accounts\n",
    )
    report = import_file(kind="employees", path=path)
    assert [(e["line"], e["column"], e["value"]) for e in report.errors] == [
        (2, "department", "acquisition")
    ]
    assert "keeps 1 key account(s)" in report.errors[0]["reason"]
    assert dept.employees["kate"].department.kind == "key_accounts"
