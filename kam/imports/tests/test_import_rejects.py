"""A bad file is rejected whole, every bad row named (line, column, value, reason);
nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.imports.services import import_file
from kam.imports.tests.helpers import load, load_base, reasons, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(tmp_path: Path) -> Path:
    load_base(tmp_path)
    return tmp_path


def _rejected(tmp_path: Path, kind: str, text: str) -> list[tuple[int, str, str]]:
    before = snapshot(exclude=())
    report = load(tmp_path, kind, text)
    assert not report.ok
    assert report.batch_id is None
    assert snapshot(exclude=()) == before, "a rejected file must write nothing"
    return reasons(report)


def test_it_rejects_a_missing_required_column(base: Path) -> None:
    assert _rejected(base, "sales", "doc_no,date,client_code\nS9,2024-01-01,C1\n") == [
        (1, "amount", "required column is missing")
    ]


def test_it_rejects_an_empty_required_value(base: Path) -> None:
    assert _rejected(base, "clients", "code,name\nC7,\n,Без кода\n") == [
        (2, "name", "a required value is empty"),
        (3, "code", "a required value is empty"),
    ]


def test_it_rejects_impossible_and_malformed_dates(base: Path) -> None:
    text = (
        "doc_no,date,client_code,amount\nS9,2024-02-30,C1,1\nS10,31.04.2024,C1,1\n"
        "S11,вчера,C1,1\nS12,2024/01/01,C1,1\n"
    )
    assert _rejected(base, "sales", text) == [
        (2, "date", "impossible date"),
        (3, "date", "impossible date"),
        (4, "date", "not a date (expected YYYY-MM-DD or DD.MM.YYYY)"),
        (5, "date", "not a date (expected YYYY-MM-DD or DD.MM.YYYY)"),
    ]


@pytest.mark.parametrize("value", ["abc", "NaN", "nan", "inf", "-Infinity", "1e999", "12,34,5.6"])
def test_it_rejects_text_nan_and_infinite_numbers(base: Path, value: str) -> None:
    text = f'doc_no,date,client_code,amount\nS9,2024-01-01,C1,"{value}"\n'
    assert _rejected(base, "sales", text) == [(2, "amount", "not a number")]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("-5", "must not be negative"),
        ("1.5", "must be a whole number"),
        ("30,5", "must be a whole number"),
    ],
)
def test_it_rejects_negative_or_fractional_payment_terms(
    base: Path, value: str, reason: str
) -> None:
    text = f'doc_no,date,client_code,amount,payment_terms_days\nS9,2024-01-01,C1,1,"{value}"\n'
    assert _rejected(base, "sales", text) == [(2, "payment_terms_days", reason)]


def test_it_rejects_a_key_repeated_in_one_file(base: Path) -> None:
    text = "doc_no,date,client_code,amount\nP7,2024-01-01,C1,1\nP8,2024-01-01,C1,1\nP7,2024-01-02,C1,2\n"
    errors = _rejected(base, "payments", text)
    assert errors == [(4, "doc_no", "the same key appears earlier in the file, on line 2")]


def test_it_rejects_references_to_nothing(base: Path) -> None:
    assert _rejected(
        base, "sales", "doc_no,date,client_code,amount,employee_code\nS9,2024-01-01,C404,1,E404\n"
    ) == [
        (2, "client_code", "no client with this code has been imported"),
        (2, "employee_code", "no employee with this code has been imported"),
    ]
    assert _rejected(base, "clients", "code,name,responsible_code\nC9,Новый,E404\n") == [
        (2, "responsible_code", "no employee with this code has been imported")
    ]
    assert _rejected(
        base, "payments", "doc_no,date,client_code,amount,invoice_doc_no\nP9,2024-01-01,C1,1,S404\n"
    ) == [(2, "invoice_doc_no", "no sales document with this number has been imported")]
    assert _rejected(
        base, "employees", "code,name,department,manager_code\nE9,Кто-то,sales,E404\n"
    ) == [(2, "manager_code", "no employee with this code in the file or imported earlier")]


def test_it_rejects_a_payment_for_another_clients_invoice(base: Path) -> None:
    errors = _rejected(
        base, "payments", "doc_no,date,client_code,amount,invoice_doc_no\nP9,2024-01-01,C2,1,S1\n"
    )
    assert errors == [(2, "invoice_doc_no", "the sales document belongs to another client: C1")]


def test_it_rejects_a_row_with_more_cells_than_the_header(base: Path) -> None:
    text = "code,name\nC8,Восьмой\nC9,Девятый,лишнее\n"
    assert _rejected(base, "clients", text) == [
        (3, "", "the row has 1 more cell(s) than the header")
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"%PDF-1.4\n%\xe2\xe3",
        b"\x00\x01\x02binary",
        b"PK\x03\x04not really a workbook",
        b"\n\n",
    ],
)
def test_it_rejects_a_file_that_is_not_a_text_table(base: Path, content: bytes) -> None:
    before = snapshot(exclude=())
    path = base / "weird.csv"
    path.write_bytes(content)
    report = import_file(kind="clients", path=path)
    assert not report.ok
    assert report.errors[0]["reason"].startswith("not a CSV table or an XLSX workbook")
    assert snapshot(exclude=()) == before


def test_it_rejects_valid_until_before_the_decision_date(base: Path) -> None:
    text = (
        "decision_no,client_code,date,credit_limit,max_terms_days,valid_until\n"
        "D9,C1,2024-05-01,1000,30,2024-04-30\n"
    )
    assert _rejected(base, "credit_decisions", text) == [
        (2, "valid_until", "valid until is before the decision date")
    ]


def test_it_rejects_a_non_positive_payment(base: Path) -> None:
    text = "doc_no,date,client_code,amount\nP9,2024-01-01,C1,0\nP10,2024-01-01,C1,-5\n"
    assert _rejected(base, "payments", text) == [
        (2, "amount", "must be greater than 0"),
        (3, "amount", "must be greater than 0"),
    ]


def test_it_rejects_lines_of_one_document_that_disagree(base: Path) -> None:
    text = "doc_no,date,client_code,amount\nS9,2024-01-01,C1,1\nS9,2024-01-01,C2,1\n"
    assert _rejected(base, "sales", text) == [
        (
            3,
            "client_code",
            "lines of one document must share client, date and payment terms; "
            "this differs from line 2",
        )
    ]


def test_it_rejects_moving_a_document_to_another_client(base: Path) -> None:
    text = "doc_no,line_no,date,client_code,amount\nS1,3,2024-01-15,C2,1\n"
    assert _rejected(base, "sales", text) == [
        (2, "doc_no", "this document was imported earlier for another client: C1")
    ]


def test_it_rejects_an_unknown_department(base: Path) -> None:
    errors = _rejected(base, "employees", "code,name,department\nE9,Кто-то,Бухгалтерия\n")
    assert errors[0][:2] == (2, "department")
    assert errors[0][2].startswith("unknown department; expected one of: acquisition")


def test_it_lists_every_bad_row_of_a_large_file(base: Path) -> None:
    rows = ["doc_no,date,client_code,amount"] + [
        f"B{i},2024-01-01,C1,{'x' if i % 1000 == 0 else i}" for i in range(1, 20001)
    ]
    errors = _rejected(base, "sales", "\n".join(rows) + "\n")
    assert [e[0] for e in errors] == [i + 1 for i in range(1000, 20001, 1000)]


def test_errors_name_the_files_own_headers(base: Path) -> None:
    text = "Номер;Дата;Контрагент (код);Сумма\nS9;01.01.2024;C1;много\n"
    assert _rejected(base, "sales", text) == [(2, "Сумма", "not a number")]
