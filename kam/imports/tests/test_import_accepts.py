"""What a valid file does: rows in, derived tables current, re-import idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from kam.audit.models import AuditEntry
from kam.clients.models import Client, HoldingGroup
from kam.credit.models import CreditDecision
from kam.imports.models import ImportBatch
from kam.imports.tests.helpers import (
    BASE,
    CLIENTS,
    EMPLOYEES,
    SALES,
    load,
    load_base,
    snapshot,
)
from kam.ledger.models import MonthlyRollup, Payment, SalesDocument, SalesLine
from kam.organization.models import Department, Employee

pytestmark = pytest.mark.django_db


def test_it_imports_the_five_kinds_in_order(tmp_path: Path) -> None:
    counts = {}
    for kind, text in BASE.items():
        report = load(tmp_path, kind, text)
        assert report.ok, report.errors
        counts[kind] = (report.rows, report.created, report.updated, report.unchanged)
    assert counts == {
        "employees": (4, 4, 0, 0),
        "clients": (3, 3, 0, 0),
        "sales": (4, 4, 0, 0),
        "payments": (2, 2, 0, 0),
        "credit_decisions": (1, 1, 0, 0),
    }
    c1 = Client.objects.get(code="C1")
    assert c1.responsible == Employee.objects.get(code="E3")
    assert c1.annual_revenue == Decimal("1000000.50")
    assert c1.group == HoldingGroup.objects.get(code="G1")
    assert Employee.objects.get(code="E3").manager == Employee.objects.get(code="E2")
    assert Department.objects.get(kind="key_accounts").head == Employee.objects.get(code="E2")
    assert CreditDecision.objects.get(decision_no="D1").valid_until == dt.date(2024, 12, 31)
    assert ImportBatch.objects.count() == 5
    assert AuditEntry.objects.filter(action="import.completed").count() == 5


def test_it_keeps_an_unknown_role_as_the_position(tmp_path: Path) -> None:
    load_base(tmp_path, upto="employees")
    rep = Employee.objects.get(code="E4")
    assert (rep.role, rep.position) == ("", "Менеджер по продажам")
    assert Employee.objects.get(code="E1").role == "director"


def test_it_builds_documents_and_the_monthly_rollup(tmp_path: Path) -> None:
    load_base(tmp_path, upto="sales")
    s1 = SalesDocument.objects.get(doc_no="S1")
    assert (s1.amount, s1.cost, s1.lines, s1.payment_terms_days) == (
        Decimal("1500.00"),
        Decimal("1000.00"),
        2,
        30,
    )
    assert s1.due_date == dt.date(2024, 2, 14)
    rollup = {
        (r.client.code, r.month, r.product_group): (r.revenue, r.cost, r.margin, r.documents)
        for r in MonthlyRollup.objects.select_related("client")
    }
    assert rollup == {
        ("C1", dt.date(2024, 1, 1), "Бумага"): (Decimal("1000"), Decimal("700"), Decimal("300"), 1),
        ("C1", dt.date(2024, 1, 1), "Картон"): (Decimal("500"), Decimal("300"), Decimal("200"), 1),
        ("C2", dt.date(2024, 2, 1), "Бумага"): (
            Decimal("-200"),
            Decimal("-140"),
            Decimal("-60"),
            1,
        ),
        ("C1", dt.date(2024, 2, 1), "Бумага"): (Decimal("100.50"), None, None, 1),
    }


def test_it_accepts_returns_as_negative_lines(tmp_path: Path) -> None:
    load_base(tmp_path, upto="sales")
    line = SalesLine.objects.get(doc_no="S2")
    assert (line.quantity, line.amount) == (Decimal("-2"), Decimal("-200"))


def test_it_stores_formula_looking_names_as_text(tmp_path: Path) -> None:
    load_base(tmp_path, upto="clients")
    assert Client.objects.get(code="C2").name == '=HYPERLINK("http://x")'
    assert Client.objects.get(code="C3").name == "Acme, Inc."


def test_it_accepts_quoted_newlines_and_keeps_line_numbers(tmp_path: Path) -> None:
    load_base(tmp_path, upto="employees")
    text = 'code,name,region\nC1,"ООО ""Север""\nфилиал",Мурманск\nC2,Юг,\nC3,,Сочи\n'
    report = load(tmp_path, "clients", text)
    assert report.errors == [
        {"line": 5, "column": "name", "value": None, "reason": "a required value is empty"}
    ]
    report = load(tmp_path, "clients", text.replace("C3,,Сочи", "C3,Запад,Сочи"))
    assert report.ok and report.created == 3
    assert Client.objects.get(code="C1").name == 'ООО "Север"\nфилиал'


def test_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    load_base(tmp_path)
    before = snapshot(exclude=())
    for kind, text in BASE.items():
        report = load(tmp_path, kind, text)
        assert report.ok
        assert (report.created, report.updated, report.unchanged) == (0, 0, report.rows)
    after = snapshot(exclude=())
    # Only the import history grows: five more batches and their audit rows.
    for label in before:
        if label not in ("imports.ImportBatch", "audit.AuditEntry"):
            assert before[label] == after[label], label


def test_a_changed_line_updates_the_line_document_and_both_months(tmp_path: Path) -> None:
    load_base(tmp_path, upto="sales")
    moved = SALES.replace(
        'S3,1,2024-02-20,C1,P1,Бумага,1,"100,50"', 'S3,1,2024-03-05,C1,P1,Бумага,1,"120,00"'
    )
    report = load(tmp_path, "sales", moved)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert SalesDocument.objects.get(doc_no="S3").amount == Decimal("120")
    months = set(MonthlyRollup.objects.filter(client__code="C1").values_list("month", flat=True))
    assert months == {dt.date(2024, 1, 1), dt.date(2024, 3, 1)}


def test_columns_missing_from_the_file_are_left_alone(tmp_path: Path) -> None:
    load_base(tmp_path, upto="clients")
    report = load(tmp_path, "clients", "code,name\nC1,ООО «Ромашка» (новое)\n")
    assert (report.created, report.updated) == (0, 1)
    c1 = Client.objects.get(code="C1")
    assert c1.name == "ООО «Ромашка» (новое)"
    assert c1.purchase_potential == Decimal("5000000")
    assert c1.responsible is not None


def test_a_1c_export_in_cp1251_with_semicolons_and_russian_headers(tmp_path: Path) -> None:
    load_base(tmp_path, upto="clients")
    text = (
        "Номер;Номер строки;Дата;Контрагент (код);Номенклатура (код);Группа номенклатуры;"
        "Количество;Сумма;Себестоимость;Отсрочка (дней);Менеджер (код);Склад\r\n"
        "РН-001;1;01.03.2024;C1;P1;Бумага;1;1 234,56;1 000,00;30;E3;Основной\r\n"
        "РН-001;2;01.03.2024;C1;P2;Картон;2,5;100,00;80;30;E3;Основной\r\n"
    )
    report = load(tmp_path, "sales", text, encoding="cp1251")
    assert report.ok, report.errors
    assert report.file_format == "CSV (cp1251, semicolon)"
    assert report.notices == ["column “Склад” is not used by sales files and was ignored"]
    line = SalesLine.objects.get(doc_no="РН-001", line_no=2)
    assert (line.quantity, line.amount, line.cost) == (
        Decimal("2.5"),
        Decimal("100"),
        Decimal("80"),
    )
    assert SalesDocument.objects.get(doc_no="РН-001").amount == Decimal("1334.56")


def test_utf8_with_bom_and_tabs(tmp_path: Path) -> None:
    text = "\ufeffКод\tФИО\tПодразделение\tДолжность\nE9\tТест Тестов\tОтдел продаж\tsales_rep\n"
    report = load(tmp_path, "employees", text)
    assert report.ok, report.errors
    assert Employee.objects.get(code="E9").department.kind == "sales"


def test_sales_without_line_numbers_are_numbered_in_file_order(tmp_path: Path) -> None:
    load_base(tmp_path, upto="clients")
    report = load(
        tmp_path,
        "sales",
        "doc_no,date,client_code,amount\nX1,2024-01-01,C1,10\n"
        "X1,2024-01-01,C1,20\nX2,2024-01-02,C1,5\n",
    )
    assert report.ok, report.errors
    assert sorted(SalesLine.objects.values_list("doc_no", "line_no", "amount")) == [
        ("X1", 1, Decimal("10")),
        ("X1", 2, Decimal("20")),
        ("X2", 1, Decimal("5")),
    ]


def test_xlsx_files_import_like_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    load_base(tmp_path, upto="clients")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        [
            "Номер решения",
            "Контрагент (код)",
            "Дата",
            "Кредитный лимит",
            "Макс. отсрочка (дней)",
            "Действует до",
        ]
    )
    sheet.append(["D2", "C1", dt.datetime(2024, 2, 1), 50000.0, 45, dt.date(2025, 1, 31)])
    sheet.append(["D3", "C3", "01.02.2024", 1000, 30.0, None])
    path = tmp_path / "decisions.xlsx"
    workbook.save(path)
    from kam.imports.services import import_file

    report = import_file(kind="credit_decisions", path=path)
    assert report.ok, report.errors
    assert report.file_format == "XLSX"
    d2 = CreditDecision.objects.get(decision_no="D2")
    assert (d2.date, d2.max_terms_days, d2.credit_limit) == (
        dt.date(2024, 2, 1),
        45,
        Decimal("50000"),
    )
    assert CreditDecision.objects.get(decision_no="D3").valid_until is None


def test_a_dry_run_counts_but_writes_nothing(tmp_path: Path) -> None:
    load_base(tmp_path, upto="employees")
    before = snapshot()
    report = load(tmp_path, "clients", CLIENTS, dry_run=True)
    assert report.ok and report.created == 3 and report.batch_id is None
    assert snapshot() == before


def test_payments_are_stored(tmp_path: Path) -> None:
    load_base(tmp_path, upto="payments")
    assert Payment.objects.get(doc_no="P1").invoice_doc_no == "S1"
    assert Payment.objects.get(doc_no="P2").invoice_doc_no == ""


def test_it_links_managers_that_come_later_in_the_file(tmp_path: Path) -> None:
    text = "code,name,department,manager_code\nA2,Второй,sales,A1\nA1,Первый,management,\n"
    report = load(tmp_path, "employees", text)
    assert report.ok, report.errors
    assert Employee.objects.get(code="A2").manager == Employee.objects.get(code="A1")
    assert EMPLOYEES  # the shared fixture stays importable


def test_a_new_document_in_a_month_that_has_sales_adds_to_its_rollup(tmp_path: Path) -> None:
    load_base(tmp_path, upto="sales")
    report = load(
        tmp_path,
        "sales",
        "doc_no,date,client_code,product_group,amount,cost\n"
        "S9,2024-01-31,C1,Бумага,50,20\nS10,2024-05-02,C1,Бумага,7,1\n",
    )
    assert report.ok and report.created == 2
    january = MonthlyRollup.objects.get(
        client__code="C1", month=dt.date(2024, 1, 1), product_group="Бумага"
    )
    assert (january.revenue, january.margin, january.documents, january.lines) == (
        Decimal("1050"),
        Decimal("330"),
        2,
        2,
    )
    may = MonthlyRollup.objects.get(client__code="C1", month=dt.date(2024, 5, 1))
    assert (may.revenue, may.cost, may.documents) == (Decimal("7"), Decimal("1"), 1)
    assert SalesDocument.objects.get(doc_no="S10").due_date == dt.date(2024, 5, 2)


def test_new_and_existing_documents_in_one_file(tmp_path: Path) -> None:
    load_base(tmp_path, upto="sales")
    text = SALES + "S11,1,2024-06-01,C2,P9,Картон,1,10,5,0,E4\n"
    report = load(tmp_path, "sales", text)
    assert (report.created, report.updated, report.unchanged) == (1, 0, 4)
    assert SalesDocument.objects.get(doc_no="S11").amount == Decimal("10")
    assert MonthlyRollup.objects.get(client__code="C2", month=dt.date(2024, 6, 1)).revenue == 10


def test_a_row_with_fewer_cells_than_the_header_is_read(tmp_path: Path) -> None:
    report = load(tmp_path, "clients", "code,name,region\nC7,Седьмой\nC8,Восьмой,Тула\n")
    assert report.ok, report.errors
    assert Client.objects.get(code="C7").region == ""
