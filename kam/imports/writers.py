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
from django.utils.translation import gettext as _

from kam.clients.models import Client, HoldingGroup
from kam.credit.models import CreditDecision
from kam.imports.formats import (
    CLIENTS,
    CREDIT_DECISIONS,
    EMPLOYEES,
    PAYMENTS,
    SALES,
    Column,
    FileFormat,
)
from kam.imports.staging import (
    STAGE,
    Stage,
    date_plus_days,
    duplicate_key_errors,
    execute,
    fetch,
    fetch_errors,
    is_postgres,
    missing_reference_errors,
)
from kam.imports.validate import (
    HeaderMap,
    department_lookup,
    normalised_text,
    role_lookup,
    validate_choice,
)
from kam.ledger.models import MonthlyRollup, Payment, SalesDocument, SalesLine
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
        return errors

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
        from kam.organization.services import employees_sync_after_import

        codes = [row[0] for row in fetch(f"SELECT code FROM {STAGE}")]
        employees_sync_after_import(codes=codes)


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
        return errors

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


class SalesWriter(Writer):
    fmt = SALES
    model = SalesLine
    key = ("doc_no", "line_no")

    def joins(self) -> str:
        joins = f" JOIN {table(Client)} c ON c.code = s.client_code"
        if "employee_code" in self.present:
            joins += f" LEFT JOIN {table(Employee)} e ON e.code = s.employee_code"
        return joins

    def targets(self) -> list[Target]:
        return [
            Target("doc_no", "s.doc_no"),
            Target("line_no", "s.line_no"),
            Target("date", "s.date"),
            Target("month", "s.month"),
            Target("client_id", "c.id"),
            Target("product_code", "COALESCE(s.product_code, '')", "product_code", "''"),
            Target("product_group", "COALESCE(s.product_group, '')", "product_group", "''"),
            Target("quantity", "s.quantity", "quantity"),
            Target("amount", "s.amount"),
            Target("cost", "s.cost", "cost"),
            Target(
                "payment_terms_days", "COALESCE(s.payment_terms_days, 0)", "payment_terms_days", "0"
            ),
            Target("employee_id", "e.id", "employee_code"),
        ]

    def extra_stage_columns(self) -> list[Column]:
        return [Column("month", "date", ())]

    def prepare(self, typed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        return typed.with_columns(pl.col("date").dt.truncate("1mo").alias("month")), None

    def index_stage(self) -> None:
        if "line_no" not in self.present:
            # Without a line-number column, lines are numbered in file order per document.
            self.stage.add_column(Column("line_no", "int", ()))
            self._number_lines()
            self.notices.append(
                _("No line-number column: lines are numbered in file order within each document.")
            )
        self.stage.index("doc_no", "line_no")
        self.stage.index("client_code")

    def _number_lines(self) -> None:
        self.stage.index("doc_no")
        execute(
            f"""
            UPDATE {STAGE} SET line_no = r.rn FROM (
                SELECT _line, ROW_NUMBER() OVER (PARTITION BY doc_no ORDER BY _line) AS rn
                FROM {STAGE}) r
            WHERE {STAGE}._line = r._line
            """
        )

    def check(self) -> list[pl.DataFrame]:
        errors = super().check()
        errors.append(
            missing_reference_errors(
                "client_code",
                self.header("client_code"),
                table(Client),
                "code",
                _("no client with this code has been imported"),
            )
        )
        if "employee_code" in self.present:
            errors.append(
                missing_reference_errors(
                    "employee_code",
                    self.header("employee_code"),
                    table(Employee),
                    "code",
                    _("no employee with this code has been imported"),
                )
            )
        has_terms = "payment_terms_days" in self.present
        terms = "COALESCE(s.payment_terms_days, 0)" if has_terms else "0"
        first_terms = "COALESCE(f.payment_terms_days, 0)" if has_terms else "0"
        errors.append(
            fetch_errors(
                f"""
            SELECT s._line,
                   CASE WHEN s.client_code <> f.client_code THEN %s
                        WHEN s.date <> f.date THEN %s ELSE %s END,
                   CASE WHEN s.client_code <> f.client_code THEN s.client_code
                        WHEN s.date <> f.date THEN CAST(s.date AS TEXT)
                        ELSE CAST({terms} AS TEXT) END,
                   %s || CAST(f._line AS TEXT)
            FROM {STAGE} s
            JOIN (SELECT doc_no, MIN(_line) AS first_line FROM {STAGE} GROUP BY doc_no) m
              ON m.doc_no = s.doc_no
            JOIN {STAGE} f ON f._line = m.first_line
            WHERE s._line <> f._line AND s._bad = 0 AND f._bad = 0
              AND (s.client_code <> f.client_code OR s.date <> f.date OR {terms} <> {first_terms})
            """,
                [
                    self.header("client_code"),
                    self.header("date"),
                    self.header("payment_terms_days")
                    if "payment_terms_days" in self.present
                    else "",
                    _(
                        "lines of one document must share client, date and payment terms; "
                        "this differs from line "
                    ),
                ],
            )
        )
        errors.append(
            fetch_errors(
                f"""
            SELECT s._line, %s, s.doc_no, %s || c0.code
            FROM {STAGE} s
            JOIN {table(SalesDocument)} d ON d.doc_no = s.doc_no
            JOIN {table(Client)} c0 ON c0.id = d.client_id
            WHERE c0.code <> s.client_code
            """,
                [
                    self.header("doc_no"),
                    _("this document was imported earlier for another client: "),
                ],
            )
        )
        return errors

    def merge(self, *, batch_id: int, now: dt.datetime) -> None:
        # Only what actually changes is rebuilt: the months a changed line leaves and enters,
        # and the documents it belongs to. Re-importing the same file rebuilds nothing.
        for name, columns in (
            ("kam_import_affected", "client_id, month"),
            ("kam_import_affected_docs", "doc_no"),
        ):
            execute(f"DROP TABLE IF EXISTS {name}")
            if is_postgres():
                types = (
                    "client_id bigint, month date" if name.endswith("affected") else "doc_no text"
                )
                execute(
                    f"CREATE TEMP TABLE {name} ({types}, PRIMARY KEY ({columns})) ON COMMIT DROP"
                )
            else:
                execute(f"CREATE TEMP TABLE {name} ({columns}, PRIMARY KEY ({columns}))")
        changed = self._changed_sql()
        source = f"FROM {STAGE} s {self.joins()} LEFT JOIN {self.table} t ON {self._key_join()}"
        execute(
            f"""
            INSERT INTO kam_import_affected (client_id, month)
            SELECT DISTINCT t.client_id, t.month {source}
            WHERE t.id IS NOT NULL AND ({changed}) ON CONFLICT DO NOTHING
            """
        )
        execute(
            f"""
            INSERT INTO kam_import_affected (client_id, month)
            SELECT DISTINCT c.id, s.month {source}
            WHERE t.id IS NULL OR ({changed}) ON CONFLICT DO NOTHING
            """
        )
        execute(
            f"""
            INSERT INTO kam_import_affected_docs (doc_no)
            SELECT DISTINCT s.doc_no {source}
            WHERE t.id IS NULL OR ({changed}) ON CONFLICT DO NOTHING
            """
        )
        # Temporary tables have no statistics until analysed: without them PostgreSQL
        # picks nested loops over a million rows.
        execute("ANALYZE kam_import_affected")
        execute("ANALYZE kam_import_affected_docs")
        super().merge(batch_id=batch_id, now=now)

    def after_merge(self, *, now: dt.datetime) -> None:
        lines = self.table
        documents = table(SalesDocument)
        due = date_plus_days("MIN(l.date)", "MAX(l.payment_terms_days)")
        execute(
            f"""
            INSERT INTO {documents} (doc_no, date, client_id, payment_terms_days, due_date,
                                     employee_id, amount, cost, lines)
            SELECT l.doc_no, MIN(l.date), MIN(l.client_id), MAX(l.payment_terms_days), {due},
                   MIN(l.employee_id), SUM(l.amount), SUM(l.cost), COUNT(*)
            FROM {lines} l JOIN kam_import_affected_docs a ON a.doc_no = l.doc_no
            GROUP BY l.doc_no
            ON CONFLICT (doc_no) DO UPDATE SET
                date = excluded.date, client_id = excluded.client_id,
                payment_terms_days = excluded.payment_terms_days, due_date = excluded.due_date,
                employee_id = excluded.employee_id, amount = excluded.amount,
                cost = excluded.cost, lines = excluded.lines
            """
        )
        rollup = table(MonthlyRollup)
        execute(
            f"""
            DELETE FROM {rollup} WHERE EXISTS (
                SELECT 1 FROM kam_import_affected a
                WHERE a.client_id = {rollup}.client_id AND a.month = {rollup}.month)
            """
        )
        execute(
            f"""
            INSERT INTO {rollup} (client_id, month, product_group, revenue, cost, margin,
                                  quantity, documents, lines)
            SELECT l.client_id, l.month, l.product_group, SUM(l.amount), SUM(l.cost),
                   SUM(l.amount - l.cost), COALESCE(SUM(l.quantity), 0),
                   COUNT(DISTINCT l.doc_no), COUNT(*)
            FROM {lines} l JOIN kam_import_affected a
              ON a.client_id = l.client_id AND a.month = l.month
            GROUP BY l.client_id, l.month, l.product_group
            """
        )
        execute("DROP TABLE IF EXISTS kam_import_affected")
        execute("DROP TABLE IF EXISTS kam_import_affected_docs")


class PaymentsWriter(Writer):
    fmt = PAYMENTS
    model = Payment
    key = ("doc_no",)

    def joins(self) -> str:
        return f" JOIN {table(Client)} c ON c.code = s.client_code"

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
        errors.append(
            missing_reference_errors(
                "client_code",
                self.header("client_code"),
                table(Client),
                "code",
                _("no client with this code has been imported"),
            )
        )
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


class CreditDecisionsWriter(Writer):
    fmt = CREDIT_DECISIONS
    model = CreditDecision
    key = ("decision_no",)

    def joins(self) -> str:
        return f" JOIN {table(Client)} c ON c.code = s.client_code"

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
            missing_reference_errors(
                "client_code",
                self.header("client_code"),
                table(Client),
                "code",
                _("no client with this code has been imported"),
            )
        )
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


WRITERS: dict[str, type[Writer]] = {
    "employees": EmployeesWriter,
    "clients": ClientsWriter,
    "sales": SalesWriter,
    "payments": PaymentsWriter,
    "credit_decisions": CreditDecisionsWriter,
}
