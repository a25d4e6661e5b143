"""What the API accepts and returns: explicit types, so the OpenAPI document is a contract.

Money is a JSON number in the company currency (net of VAT), as the client card shows it.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from kam.clients.choices import ClientStatus
from kam.imports.models import ImportKind
from kam.organization.choices import DepartmentKind, Role

# Ids are 64-bit integers: the bound tells clients so (and keeps huge numbers out of SQL).
MAX_ID = 2**63 - 1
MAX_OFFSET = 1_000_000_000
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Text parameters must not carry NUL: PostgreSQL cannot store or compare it.
NO_NUL = r"^[^\x00]*$"


class ErrorOut(Schema):
    """Every error but request validation: a readable message."""

    detail: str


class ValidationErrorItem(Schema):
    """One invalid request value, as django-ninja reports it (``loc`` names the value)."""

    model_config = ConfigDict(extra="allow")

    type: str
    loc: list[str | int]
    msg: str


class ValidationErrorOut(Schema):
    """422: the request's parameters or body do not match this document."""

    detail: list[ValidationErrorItem]


class ClientOrdering(enum.StrEnum):
    """Sort keys of the client list (ClientFilterSet's ``ordering``); ``-`` reverses."""

    NAME = "name"
    NAME_DESC = "-name"
    CODE = "code"
    CODE_DESC = "-code"
    STATUS = "status"
    STATUS_DESC = "-status"
    REGION = "region"
    REGION_DESC = "-region"
    INDUSTRY = "industry"
    INDUSTRY_DESC = "-industry"
    RESPONSIBLE = "responsible"
    RESPONSIBLE_DESC = "-responsible"


def _absent_not_null(schema: dict[str, Any]) -> None:
    """``X | None`` fields become plain ``X``: a query parameter is left out, never null."""
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [])
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and len(options) == 2:
            own = {k: v for k, v in prop.items() if k != "anyOf"}
            schema["properties"][name] = {**kept[0], **own}


class QueryParams(Schema):
    """Optional query parameters (None when absent), documented without null."""

    model_config = ConfigDict(json_schema_extra=_absent_not_null)


class ClientFilters(QueryParams):
    """The client list's filters, those of ClientFilterSet; absent means "any"."""

    q: str | None = Field(
        None,
        max_length=200,
        pattern=NO_NUL,
        description="Name (contains), code or tax id (starts with), any letter case.",
    )
    status: ClientStatus | None = Field(None, description="The client's status.")
    responsible: int | None = Field(
        None, ge=1, le=MAX_ID, description="The responsible employee's id."
    )
    department: DepartmentKind | None = Field(
        None, description="The responsible employee's department."
    )
    region: str | None = Field(None, max_length=255, pattern=NO_NUL)
    industry: str | None = Field(None, max_length=255, pattern=NO_NUL)
    ordering: ClientOrdering | None = Field(None, description="Sort key; `-` sorts descending.")

    def as_params(self) -> dict[str, str]:
        """The filter set's parameters, as a query string would give them."""
        return {name: str(value) for name, value in self.model_dump(exclude_none=True).items()}


class ImportFilters(QueryParams):
    kind: ImportKind | None = Field(None, description="Only imports of this kind.")


class EmployeeRefOut(Schema):
    id: int
    code: str
    name: str


class ClientOut(Schema):
    """A row of the client list."""

    id: int
    code: str
    name: str
    tax_id: str
    status: ClientStatus
    industry: str
    region: str
    group_code: str | None
    responsible: EmployeeRefOut | None
    revenue_12m: float = Field(description="Revenue of the last 12 months, this month included.")


class ClientListOut(Schema):
    count: int = Field(description="Clients matching the filters (all pages).")
    items: list[ClientOut]


class MonthOut(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2024-05"])
    revenue: float
    margin: float


class ReceivablesOut(Schema):
    unpaid: float
    overdue: float
    max_overdue_days: int = Field(ge=0)
    overdue_documents: int = Field(ge=0)


class SalesDocumentOut(Schema):
    doc_no: str
    date: dt.date
    due_date: dt.date
    amount: float
    cost: float | None
    payment_terms_days: int = Field(ge=0)
    lines: int = Field(ge=0)


class PaymentOut(Schema):
    doc_no: str
    date: dt.date
    amount: float
    invoice_doc_no: str


class CreditDecisionOut(Schema):
    decision_no: str
    date: dt.date
    credit_limit: float
    max_terms_days: int = Field(ge=0)
    valid_until: dt.date | None


class ClientDetailOut(Schema):
    """The client card: profile facts, sales, receivables and the credit decision in force."""

    id: int
    code: str
    name: str
    tax_id: str
    status: ClientStatus
    industry: str
    region: str
    group_code: str | None
    group_name: str | None
    employees: int | None
    annual_revenue: float | None
    purchase_potential: float | None
    responsible: EmployeeRefOut | None
    revenue_12m: float
    margin_12m: float
    monthly: list[MonthOut] = Field(description="The last 36 months, oldest first.")
    receivables: ReceivablesOut
    recent_documents: list[SalesDocumentOut] = Field(description="The latest 10, newest first.")
    recent_payments: list[PaymentOut] = Field(description="The latest 10, newest first.")
    credit_decision: CreditDecisionOut | None = Field(description="The decision valid today.")


class ImportBatchOut(Schema):
    id: int
    kind: ImportKind
    file_name: str
    file_format: str
    file_size: int
    file_sha256: str
    imported_by: str
    started_at: dt.datetime
    finished_at: dt.datetime
    rows: int
    created: int
    updated: int
    unchanged: int
    notices: list[str]


class ImportBatchListOut(Schema):
    count: int
    items: list[ImportBatchOut]


class ImportErrorOut(Schema):
    """One bad cell or row: the file's line number, the column, the value, the reason."""

    line: int
    column: str | None
    value: str | None
    reason: str


class ImportReportOut(Schema):
    """What an import found and did. With errors, nothing was written."""

    kind: ImportKind
    file: str
    format: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportErrorOut] = Field(description="The first 1000 errors, in file order.")
    errors_total: int
    notices: list[str]
    dry_run: bool
    import_id: int | None = Field(description="The import's id; null for a dry run or a rejection.")
    seconds: float


class ApiTokenIn(Schema):
    # At least one visible character, no NUL.
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiTokenCreatedOut(Schema):
    id: int
    name: str
    prefix: str
    token: str = Field(description="The secret: shown only now, keep it safe.")
    created_at: dt.datetime


class EmployeeOut(Schema):
    id: int
    code: str
    name: str
    department: DepartmentKind


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[Role]
    employee: EmployeeOut | None
    language: str
