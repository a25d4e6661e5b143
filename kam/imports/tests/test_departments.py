"""Employees always land in a department, even one deleted since the migration made it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.imports.services import import_file
from kam.organization.models import Department, Employee

pytestmark = pytest.mark.django_db


def test_a_deleted_department_comes_back_with_its_employees(tmp_path: Path) -> None:
    Department.objects.filter(kind="sales").delete()
    path = tmp_path / "employees.csv"
    path.write_text("code,name,department\nE1,Иванов Иван,sales\n", encoding="utf-8")
    report = import_file(kind="employees", path=path)
    assert report.ok, report.errors
    assert Employee.objects.get(code="E1").department.kind == "sales"
