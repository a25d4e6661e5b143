"""The five import files of DESIGN.md: columns, types, Russian 1C header names, natural keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["code", "text", "email", "int", "money", "quantity", "date", "choice"]


@dataclass(frozen=True)
class Column:
    """One column of an import file."""

    name: str
    type: ColumnType
    headers_ru: tuple[str, ...]
    required: bool = False
    max_length: int = 255
    # For numbers: the smallest allowed value (None: any), and whether it is excluded.
    minimum: float | None = None
    exclusive_minimum: bool = False
    headers_en: tuple[str, ...] = ()

    def header_names(self) -> tuple[str, ...]:
        return (self.name, *self.headers_en, *self.headers_ru)


@dataclass(frozen=True)
class FileFormat:
    """An import kind: its columns and natural key."""

    kind: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    requires: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _code(name: str, *ru: str, required: bool = False) -> Column:
    return Column(name, "code", ru, required=required, max_length=64)


EMPLOYEES = FileFormat(
    kind="employees",
    key=("code",),
    columns=(
        _code("code", "Код", "Табельный номер", required=True),
        Column("name", "text", ("ФИО", "Сотрудник", "Наименование"), required=True),
        Column("email", "email", ("Email", "Электронная почта", "E-mail")),
        Column("department", "choice", ("Подразделение", "Отдел"), required=True),
        Column("role", "text", ("Должность", "Роль")),
        _code("manager_code", "Руководитель (код)", "Код руководителя"),
    ),
)

CLIENTS = FileFormat(
    kind="clients",
    key=("code",),
    columns=(
        _code("code", "Код", required=True),
        Column("name", "text", ("Наименование", "Контрагент", "Клиент"), required=True),
        Column("tax_id", "code", ("ИНН",), max_length=20),
        Column("industry", "text", ("Отрасль",)),
        Column("region", "text", ("Регион",)),
        _code("group_code", "Группа (код)", "Холдинг (код)", "Группа компаний (код)"),
        Column("employees", "int", ("Численность", "Численность сотрудников"), minimum=0),
        Column("annual_revenue", "money", ("Выручка", "Годовая выручка"), minimum=0),
        Column("purchase_potential", "money", ("Потенциал закупок",), minimum=0),
        _code("responsible_code", "Ответственный (код)", "Менеджер (код)"),
    ),
    requires=("employees",),
)

SALES = FileFormat(
    kind="sales",
    key=("doc_no", "line_no"),
    columns=(
        _code("doc_no", "Номер", "Номер документа", required=True),
        Column("line_no", "int", ("Номер строки", "№ строки"), minimum=1),
        Column("date", "date", ("Дата", "Дата документа"), required=True),
        _code("client_code", "Контрагент (код)", "Код контрагента", "Клиент (код)", required=True),
        _code("product_code", "Номенклатура (код)", "Код номенклатуры"),
        Column("product_group", "text", ("Группа номенклатуры", "Товарная группа")),
        Column("quantity", "quantity", ("Количество",)),
        Column("amount", "money", ("Сумма", "Сумма без НДС"), required=True),
        Column("cost", "money", ("Себестоимость",)),
        Column("payment_terms_days", "int", ("Отсрочка (дней)", "Отсрочка"), minimum=0),
        _code("employee_code", "Менеджер (код)", "Ответственный (код)"),
    ),
    requires=("clients", "employees"),
)

PAYMENTS = FileFormat(
    kind="payments",
    key=("doc_no",),
    columns=(
        _code("doc_no", "Номер", "Номер документа", required=True),
        Column("date", "date", ("Дата", "Дата документа"), required=True),
        _code(
            "client_code", "Контрагент (код)", "Код контрагента", "Плательщик (код)", required=True
        ),
        Column("amount", "money", ("Сумма",), required=True, minimum=0, exclusive_minimum=True),
        _code("invoice_doc_no", "Документ продажи", "Документ расчетов", "Счет"),
    ),
    requires=("clients", "sales"),
)

CREDIT_DECISIONS = FileFormat(
    kind="credit_decisions",
    key=("decision_no",),
    columns=(
        _code("decision_no", "Номер решения", "Номер", required=True),
        _code("client_code", "Контрагент (код)", "Код контрагента", required=True),
        Column("date", "date", ("Дата", "Дата решения"), required=True),
        Column("credit_limit", "money", ("Кредитный лимит", "Лимит"), required=True, minimum=0),
        Column(
            "max_terms_days",
            "int",
            ("Макс. отсрочка (дней)", "Максимальная отсрочка (дней)", "Макс. отсрочка"),
            required=True,
            minimum=0,
        ),
        Column("valid_until", "date", ("Действует до", "Срок действия")),
    ),
    requires=("clients",),
)

FORMATS: dict[str, FileFormat] = {
    f.kind: f for f in (EMPLOYEES, CLIENTS, SALES, PAYMENTS, CREDIT_DECISIONS)
}


def normalise_header(text: str) -> str:
    """Headers match case-insensitively, ignoring surrounding/repeated spaces, BOM and ё/е."""
    return " ".join(text.replace("\ufeff", "").replace("ё", "е").replace("Ё", "Е").split()).lower()


# Russian names a 1C/HR export uses for departments and roles, besides the codes and the
# app's own labels (which follow the translation catalogue).
DEPARTMENT_ALIASES = {
    "отдел по работе с ключевыми клиентами": "key_accounts",
    "отдел ключевых клиентов": "key_accounts",
    "ключевые клиенты": "key_accounts",
    "отдел привлечения клиентов": "acquisition",
    "привлечение клиентов": "acquisition",
    "привлечение": "acquisition",
    "отдел продаж": "sales",
    "продажи": "sales",
    "кредитный комитет": "credit_committee",
    "руководство": "management",
    "дирекция": "management",
}
ROLE_ALIASES = {
    "директор по продажам": "director",
    "коммерческий директор": "director",
    "руководитель отдела по работе с ключевыми клиентами": "key_account_head",
    "руководитель отдела ключевых клиентов": "key_account_head",
    "менеджер по работе с ключевыми клиентами": "key_account_manager",
    "менеджер по ключевым клиентам": "key_account_manager",
    "торговый представитель": "sales_rep",
    "член кредитного комитета": "credit_committee_member",
    "аналитик": "analyst",
    "аудитор": "auditor",
    "внутренний аудитор": "auditor",
}
