"""Per-kind set-level checks and merges, from the staging table into the real tables.

Each writer describes its target columns once (``targets``); counting created / updated /
unchanged rows and the upsert are generated from that description, so they cannot disagree.
Only the columns present in the file are compared and updated: a clients file without a
``purchase_potential`` column leaves the collected potential alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.clients.choices import ClientStatus
from kam.clients.models import Client, HoldingGroup
from kam.credit.models import CreditDecision
from kam.imports.formats import (
    CLIENTS,
    CREDIT_DECISIONS,
    EMPLOYEES,
    PAYMENTS,
    Column,
    FileFormat,
)
from kam.imports.staging import (
    STAGE,
    Stage,
    duplicate_key_errors,
    execute,
    fetch,
    fetch_errors,
    missing_reference_errors,
)
from kam.imports.validate import (
    HeaderMap,
    department_lookup,
    normalised_text,
    role_lookup,
    validate_choice,
)
from kam.ledger.models import Payment, SalesDocument
from kam.organization.choices import DepartmentKind
from kam.organization.models import Department, Employee


def table(model: type) -> str:
    return str(model._meta.db_table)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Target:
    """A target column: its value from the stage (``source``), used when ``field`` is present."""

    column: str
    source: str
    field: str | None = None  # None: always written
    default: str = "NULL"  # inserted when the field is absent from the file
    compare: bool = True  # counts towards "updated" and triggers the update


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class Writer:
    """Checks and merge for one import kind."""

    fmt: FileFormat
    model: type
    key: tuple[str, ...]  # target key columns, equal to the stage columns of the same name
    pk = "id"
    timestamps = False

    def __init__(self, headers: HeaderMap, stage: Stage):
        self.headers = headers
        self.stage = stage
        self.notices: list[str] = []

    @property
    def present(self) -> set[str]:
        """The fields this file carries (and those derived from them)."""
        return set(self.stage.names)

    @property
    def table(self) -> str:
        return table(self.model)

    def header(self, name: str) -> str:
        return self.headers.header_of(name)

    def joins(self) -> str:
        return ""

    def targets(self) -> list[Target]:
        raise NotImplementedError

    def active_targets(self) -> list[Target]:
        return [t for t in self.targets() if t.field is None or t.field in self.present]

    def extra_stage_columns(self) -> list[Column]:
        return []

    def prepare(self, typed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        """Per-batch derived columns and checks that need more than one cell of a row."""
        return typed, None

    def accept(self, typed: pl.DataFrame, bad_lines: pl.Series | None) -> None:
        """Take one validated batch."""
        self.stage.insert(typed, bad_lines)

    def finish_reading(self) -> None:
        """All batches are in: prepare for the checks."""
        self.index_stage()
        self.stage.analyze()

    def index_stage(self) -> None:
        self.stage.index(*self.key)

    def check(self) -> list[pl.DataFrame]:
        return [
            duplicate_key_errors(
                self.stage,
                self.key,
                self.header(self.key[0]),
                _("the same key appears earlier in the file, on line "),
            )
        ]

    def _key_join(self, alias: str = "t") -> str:
        return " AND ".join(f"{alias}.{k} = s.{k}" for k in self.key)

    def _changed_sql(self, alias: str = "t") -> str:
        parts = [
            f"{alias}.{t.column} IS DISTINCT FROM {t.source}"
            for t in self.active_targets()
            if t.compare
        ]
        parts += self.extra_changed(alias)
        return " OR ".join(parts) if parts else "FALSE"

    def extra_changed(self, alias: str) -> list[str]:
        return []

    def count(self) -> Counts:
        row = fetch(
            f"""
            SELECT COUNT(*),
                   SUM(CASE WHEN t.{self.pk} IS NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN t.{self.pk} IS NOT NULL AND ({self._changed_sql()})
                       THEN 1 ELSE 0 END)
            FROM {STAGE} s {self.joins()}
            LEFT JOIN {self.table} t ON {self._key_join()}
            """
        )[0]
        total, created, updated = (int(v or 0) for v in row)
        return Counts(created=created, updated=updated, unchanged=total - created - updated)

    def merge(self, *, batch_id: int, now: dt.datetime) -> None:
        targets = self.active_targets()
        columns = [t.column for t in targets]
        values = [t.source for t in targets]
        for t in self.targets():
            if t not in targets:
                columns.append(t.column)
                values.append(t.default)
        params: list[object] = []
        if self.timestamps:
            stamp = connection.ops.adapt_datetimefield_value(now)
            columns += ["created_at", "updated_at"]
            values += ["%s", "%s"]
            params += [stamp, stamp]
        columns_extra, values_extra = self.insert_only()
        columns += columns_extra
        values += values_extra
        if "import_batch_id" in self.model_columns():
            columns.append("import_batch_id")
            values.append("%s")
            params.append(batch_id)
        updates = [f"{t.column} = excluded.{t.column}" for t in targets]
        if self.timestamps:
            updates.append("updated_at = excluded.updated_at")
        if "import_batch_id" in columns:
            updates.append("import_batch_id = excluded.import_batch_id")
        changed = (
            " OR ".join(
                f"{self.table}.{t.column} IS DISTINCT FROM excluded.{t.column}"
                for t in targets
                if t.compare
            )
            or "FALSE"
        )
        execute(
            f"""
            INSERT INTO {self.table} ({", ".join(columns)})
            SELECT {", ".join(values)} FROM {STAGE} s {self.joins()} WHERE TRUE
            ON CONFLICT ({", ".join(self.key)}) DO UPDATE SET {", ".join(updates)}
            WHERE {changed}
            """,
            params,
        )

    def insert_only(self) -> tuple[list[str], list[str]]:
        """Columns set only when a row is created (defaults the file does not carry)."""
        return [], []

    def model_columns(self) -> set[str]:
        return {f.column for f in self.model._meta.concrete_fields}  # type: ignore[attr-defined]

    def after_merge(self, *, now: dt.datetime) -> None:
        """Derived data to rebuild once the rows are in."""


class EmployeesWriter(Writer):
    fmt = EMPLOYEES
    model = Employee
    key = ("code",)
    timestamps = True

    def joins(self) -> str:
        return f"LEFT JOIN {table(Department)} d ON d.kind = s.department"

    def targets(self) -> list[Target]:
        return [
            Target("code", "s.code"),
            Target("name", "s.name", "name"),
            Target("email", "COALESCE(s.email, '')", "email", "''"),
            Target("department_id", "d.id", "department"),
            Target("role", "COALESCE(s.role, '')", "role", "''"),
            Target("position", "COALESCE(s.position, '')", "position", "''"),
        ]

    def extra_stage_columns(self) -> list[Column]:
        return [Column("position", "text", ())] if "role" in self.headers.fields else []

    def insert_only(self) -> tuple[list[str], list[str]]:
        return ["is_active"], ["TRUE"]

    def prepare(self, typed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        errors = None
        if "role" in typed.columns:
            code = normalised_text(pl.col("role")).replace_strict(
                role_lookup(), default=None, return_dtype=pl.String
            )
            # An unrecognised role is a job title from the HR system: kept as the position.
            typed = typed.with_columns(
                pl.when(code.is_null()).then(pl.col("role")).alias("position"),
                code.alias("role"),
            )
        if "department" in typed.columns:
            lookup = department_lookup()
            codes = ", ".join(sorted(set(lookup.values())))
            typed, errors = validate_choice(
                typed,
                "department",
                self.header("department"),
                lookup,
                _("unknown department; expected one of: %(codes)s") % {"codes": codes},
            )
            # The departments are fixed kinds, made by a migration; one deleted since comes
            # back rather than leaving its employees without a department.
            for kind in typed["department"].drop_nulls().unique().to_list():
                Department.objects.get_or_create(kind=kind)
        return typed, errors

    def check(self) -> list[pl.DataFrame]:
        errors = super().check()
        if "manager_code" in self.present:
            errors.append(
                missing_reference_errors(
                    "manager_code",
                    self.header("manager_code"),
                    self.table,
                    "code",
                    _("no employee with this code in the file or imported earlier"),
                    also_in_stage="code",
                )
            )
        if "department" in self.present:
            errors.append(self.key_accounts_leaving_department())
        return errors

    def key_accounts_leaving_department(self) -> pl.DataFrame:
        """Rows that move a key-account manager out of the department while they keep key
        accounts: that would give key accounts to someone outside it (hand them over first)."""
        return fetch_errors(
            f"""
            SELECT s._line, %s, s.department, REPLACE(%s, '{{n}}', CAST(COUNT(c.id) AS TEXT))
            FROM {STAGE} s
            JOIN {self.table} emp ON emp.code = s.code
            JOIN {table(Department)} old ON old.id = emp.department_id
            JOIN {table(Client)} c ON c.responsible_id = emp.id AND c.status = %s
            WHERE old.kind = %s AND s.department <> %s
            GROUP BY s._line, s.department
            """,
            [
                self.header("department"),
                _(
                    "keeps {n} key account(s) in the key-account department: hand them over "
                    "before moving the employee to another department"
                ),
                ClientStatus.KEY,
                DepartmentKind.KEY_ACCOUNTS,
                DepartmentKind.KEY_ACCOUNTS,
            ],
        )

    def extra_changed(self, alias: str) -> list[str]:
        if "manager_code" not in self.present:
            return []
        return [
            f"(SELECT m.code FROM {self.table} m WHERE m.id = {alias}.manager_id) "
            "IS DISTINCT FROM s.manager_code"
        ]

    def merge(self, *, batch_id: int, now: dt.datetime) -> None:
        super().merge(batch_id=batch_id, now=now)
        if "manager_code" in self.present:
            # Managers may be further down the same file: linked once everyone is in.
            stamp = connection.ops.adapt_datetimefield_value(now)
            execute(
                f"""
                UPDATE {self.table} SET
                    manager_id = (SELECT m.id FROM {self.table} m JOIN {STAGE} s
                                  ON m.code = s.manager_code
                                  WHERE s.code = {self.table}.code),
                    updated_at = %s
                WHERE code IN (SELECT s.code FROM {STAGE} s)
                  AND manager_id IS DISTINCT FROM (
                      SELECT m.id FROM {self.table} m JOIN {STAGE} s ON m.code = s.manager_code
                      WHERE s.code = {self.table}.code)
                """,
                [stamp],
            )

    def after_merge(self, *, now: dt.datetime) -> None:
        from kam.clients.filters import filter_choices_reset
        from kam.organization.services import employees_sync_after_import

        codes = [row[0] for row in fetch(f"SELECT code FROM {STAGE}")]
        employees_sync_after_import(codes=codes)
        filter_choices_reset()


class ClientsWriter(Writer):
    fmt = CLIENTS
    model = Client
    key = ("code",)
    timestamps = True

    def joins(self) -> str:
        joins = ""
        if "group_code" in self.present:
            joins += f" LEFT JOIN {table(HoldingGroup)} g ON g.code = s.group_code"
        if "responsible_code" in self.present:
            joins += f" LEFT JOIN {table(Employee)} e ON e.code = s.responsible_code"
        return joins

    def targets(self) -> list[Target]:
        return [
            Target("code", "s.code"),
            Target("name", "s.name", "name"),
            Target("tax_id", "COALESCE(s.tax_id, '')", "tax_id", "''"),
            Target("industry", "COALESCE(s.industry, '')", "industry", "''"),
            Target("region", "COALESCE(s.region, '')", "region", "''"),
            Target("group_id", "g.id", "group_code"),
            Target("employees", "s.employees", "employees"),
            Target("annual_revenue", "s.annual_revenue", "annual_revenue"),
            Target("purchase_potential", "s.purchase_potential", "purchase_potential"),
            Target("responsible_id", "e.id", "responsible_code"),
        ]

    def insert_only(self) -> tuple[list[str], list[str]]:
        return ["status"], ["'standard'"]

    def check(self) -> list[pl.DataFrame]:
        errors = super().check()
        if "responsible_code" in self.present:
            errors.append(
                missing_reference_errors(
                    "responsible_code",
                    self.header("responsible_code"),
                    table(Employee),
                    "code",
                    _("no employee with this code has been imported"),
                )
            )
            errors.append(self.key_account_responsible_changes())
        return errors

    def key_account_responsible_changes(self) -> pl.DataFrame:
        """Rows that would change a key account's responsible manager: only a handover in kam
        does that (with its history, notes and the department's rules)."""
        employees = table(Employee)
        return fetch_errors(
            f"""
            SELECT s._line, %s, s.responsible_code, REPLACE(%s, '{{now}}', COALESCE(old.code, '—'))
            FROM {STAGE} s
            JOIN {table(Client)} c ON c.code = s.code
            LEFT JOIN {employees} e ON e.code = s.responsible_code
            LEFT JOIN {employees} old ON old.id = c.responsible_id
            WHERE c.status = %s AND e.id IS DISTINCT FROM c.responsible_id
            """,
            [
                self.header("responsible_code"),
                _(
                    "the client is a key account: its responsible manager changes only by a "
                    "handover in kam (now: {now})"
                ),
                ClientStatus.KEY,
            ],
        )

    def merge(self, *, batch_id: int, now: dt.datetime) -> None:
        if "group_code" in self.present:
            created = execute(
                f"""
                INSERT INTO {table(HoldingGroup)} (code, name)
                SELECT DISTINCT s.group_code, '' FROM {STAGE} s
                WHERE s.group_code IS NOT NULL
                ON CONFLICT (code) DO NOTHING
                """
            )
            if created > 0:
                self.notices.append(_("%(n)d new holding group(s) created") % {"n": created})
        super().merge(batch_id=batch_id, now=now)

    def after_merge(self, *, now: dt.datetime) -> None:
        from kam.clients.filters import filter_choices_reset
        from kam.keyaccounts.choices import Source
        from kam.keyaccounts.services import assignments_sync

        if "responsible_code" in self.present:
            opened = assignments_sync(
                client_filter_sql=f"c.code IN (SELECT code FROM {STAGE})",
                params=[],
                on=timezone.localtime(now).date(),
                source=Source.IMPORT,
            )
            if opened:
                self.notices.append(
                    _("%(n)d responsibility change(s) recorded in the history") % {"n": opened}
                )
        filter_choices_reset()


class ClientRowsWriter(Writer):
    """Rows that belong to a client named by ``client_code``, which must exist."""

    def joins(self) -> str:
        return f" JOIN {table(Client)} c ON c.code = s.client_code"

    def check(self) -> list[pl.DataFrame]:
        return [
            *super().check(),
            missing_reference_errors(
                "client_code",
                self.header("client_code"),
                table(Client),
                "code",
                _("no client with this code has been imported"),
            ),
        ]


class PaymentsWriter(ClientRowsWriter):
    fmt = PAYMENTS
    model = Payment
    key = ("doc_no",)

    def targets(self) -> list[Target]:
        return [
            Target("doc_no", "s.doc_no"),
            Target("date", "s.date"),
            Target("client_id", "c.id"),
            Target("amount", "s.amount"),
            Target("invoice_doc_no", "COALESCE(s.invoice_doc_no, '')", "invoice_doc_no", "''"),
        ]

    def check(self) -> list[pl.DataFrame]:
        errors = super().check()
        if "invoice_doc_no" in self.present:
            errors.append(
                missing_reference_errors(
                    "invoice_doc_no",
                    self.header("invoice_doc_no"),
                    table(SalesDocument),
                    "doc_no",
                    _("no sales document with this number has been imported"),
                )
            )
            errors.append(
                fetch_errors(
                    f"""
                SELECT s._line, %s, s.invoice_doc_no, %s || c.code
                FROM {STAGE} s
                JOIN {table(SalesDocument)} d ON d.doc_no = s.invoice_doc_no
                JOIN {table(Client)} c ON c.id = d.client_id
                WHERE c.code <> s.client_code
                """,
                    [
                        self.header("invoice_doc_no"),
                        _("the sales document belongs to another client: "),
                    ],
                )
            )
        return errors


class CreditDecisionsWriter(ClientRowsWriter):
    fmt = CREDIT_DECISIONS
    model = CreditDecision
    key = ("decision_no",)

    def targets(self) -> list[Target]:
        return [
            Target("decision_no", "s.decision_no"),
            Target("client_id", "c.id"),
            Target("date", "s.date"),
            Target("credit_limit", "s.credit_limit"),
            Target("max_terms_days", "s.max_terms_days"),
            Target("valid_until", "s.valid_until", "valid_until"),
        ]

    def insert_only(self) -> tuple[list[str], list[str]]:
        return ["source", "revoke_reason"], ["'imported'", "''"]

    def prepare(self, typed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        if "valid_until" not in typed.columns:
            return typed, None
        return typed, typed.filter(pl.col("valid_until") < pl.col("date")).select(
            pl.col("_line").alias("line"),
            pl.lit(self.header("valid_until")).alias("column"),
            pl.col("valid_until").dt.to_string("%Y-%m-%d").alias("value"),
            pl.lit(_("valid until is before the decision date")).alias("reason"),
        )

    def check(self) -> list[pl.DataFrame]:
        errors = super().check()
        errors.append(
            fetch_errors(
                f"""
            SELECT s._line, %s, s.decision_no, %s FROM {STAGE} s
            JOIN {self.table} t ON t.decision_no = s.decision_no
            WHERE t.source <> 'imported'
            """,
                [
                    self.header("decision_no"),
                    _(
                        "this decision was made by the credit committee in kam and cannot be "
                        "changed by an import"
                    ),
                ],
            )
        )
        return errors
