"""Sales lines: the bulk of every company's data, so they get a path of their own.

The file's rows are kept as Polars frames (Arrow memory, not Python objects) and every
set-level check runs there: repeated keys, lines of one document that disagree, references
to clients and employees, documents imported earlier for another client. Then:

- when none of the file's documents is in the database yet (the usual monthly import), the
  lines, their documents and the roll-up of new months are written straight from the
  frames (COPY on PostgreSQL);
- otherwise the rows go through the staging table and the generic upsert, and the documents
  and months they touch are rebuilt in SQL.

Both paths end with the same tables; the tests import the same data both ways.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils.translation import gettext as _

from kam.clients.models import Client
from kam.imports.formats import SALES, Column
from kam.imports.staging import (
    STAGE,
    bulk_insert,
    date_plus_days,
    execute,
    fetch,
    is_postgres,
)
from kam.imports.writers import Counts, Target, Writer, table
from kam.ledger.models import MonthlyRollup, SalesDocument, SalesLine
from kam.organization.models import Employee

_LOOKUP_CHUNK = 5000


def _error_rows(
    frame: pl.DataFrame, column: str, value: pl.Expr, reason: pl.Expr | str
) -> pl.DataFrame:
    return frame.select(
        pl.col("_line").alias("line"),
        pl.lit(column).alias("column"),
        value.cast(pl.String).alias("value"),
        (pl.lit(reason) if isinstance(reason, str) else reason).cast(pl.String).alias("reason"),
    )


def _temp_table(name: str, columns_sql: str, primary_key: str) -> None:
    execute(f"DROP TABLE IF EXISTS {name}")
    suffix = " ON COMMIT DROP" if is_postgres() else ""
    execute(f"CREATE TEMP TABLE {name} ({columns_sql}, PRIMARY KEY ({primary_key})){suffix}")


class SalesWriter(Writer):
    fmt = SALES
    model = SalesLine
    key = ("doc_no", "line_no")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.frames: list[pl.DataFrame] = []
        self.rows = pl.DataFrame()
        self.existing_docs = pl.DataFrame(schema={"doc_no": pl.String, "db_client": pl.String})
        self.direct = False

    # -- reading and checks (Polars) -------------------------------------------------------

    def extra_stage_columns(self) -> list[Column]:
        extra = [Column("month", "date", ())]
        if "line_no" not in self.headers.fields:
            extra.append(Column("line_no", "int", ()))
        return extra

    def prepare(self, typed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        return typed.with_columns(pl.col("date").dt.truncate("1mo").alias("month")), None

    def accept(self, typed: pl.DataFrame, bad_lines: pl.Series | None) -> None:
        bad = pl.col("_line").is_in(bad_lines.implode()) if bad_lines is not None else pl.lit(False)
        self.frames.append(typed.with_columns(bad.alias("_bad")))

    def finish_reading(self) -> None:
        rows = pl.concat(self.frames, how="vertical") if self.frames else pl.DataFrame()
        self.frames = []
        if rows.is_empty():
            self.rows = rows
            return
        if "line_no" not in self.headers.fields:
            # Without a line-number column, lines are numbered in file order per document.
            rows = rows.sort("_line").with_columns(
                pl.int_range(1, pl.len() + 1).over("doc_no").cast(pl.Int64).alias("line_no")
            )
            self.notices.append(
                _("No line-number column: lines are numbered in file order within each document.")
            )
        self.rows = rows

    def check(self) -> list[pl.DataFrame]:
        rows = self.rows
        if rows.is_empty():
            return []
        errors = [self._repeated_keys(rows), self._disagreeing_lines(rows)]
        clients = self._codes(table(Client), rows["client_code"])
        errors.append(
            _error_rows(
                rows.filter(
                    pl.col("client_code").is_not_null()
                    & ~pl.col("client_code").is_in(clients["code"].implode())
                ),
                self.header("client_code"),
                pl.col("client_code"),
                _("no client with this code has been imported"),
            )
        )
        if "employee_code" in rows.columns:
            employees = self._codes(table(Employee), rows["employee_code"])
            errors.append(
                _error_rows(
                    rows.filter(
                        pl.col("employee_code").is_not_null()
                        & ~pl.col("employee_code").is_in(employees["code"].implode())
                    ),
                    self.header("employee_code"),
                    pl.col("employee_code"),
                    _("no employee with this code has been imported"),
                )
            )
        self.existing_docs = self._existing_documents(rows)
        moved = rows.join(self.existing_docs, on="doc_no").filter(
            pl.col("client_code").is_not_null() & (pl.col("client_code") != pl.col("db_client"))
        )
        errors.append(
            _error_rows(
                moved,
                self.header("doc_no"),
                pl.col("doc_no"),
                pl.lit(_("this document was imported earlier for another client: "))
                + pl.col("db_client"),
            )
        )
        return [e for e in errors if not e.is_empty()]

    def _repeated_keys(self, rows: pl.DataFrame) -> pl.DataFrame:
        keyed = rows.filter(pl.col("doc_no").is_not_null() & pl.col("line_no").is_not_null())
        keyed = keyed.with_columns(pl.col("_line").min().over("doc_no", "line_no").alias("_first"))
        repeated = keyed.filter(pl.col("_line") > pl.col("_first"))
        return _error_rows(
            repeated,
            self.header("doc_no"),
            pl.col("doc_no") + pl.lit("/") + pl.col("line_no").cast(pl.String),
            pl.lit(_("the same key appears earlier in the file, on line "))
            + pl.col("_first").cast(pl.String),
        )

    def _disagreeing_lines(self, rows: pl.DataFrame) -> pl.DataFrame:
        has_terms = "payment_terms_days" in rows.columns
        terms = pl.col("payment_terms_days").fill_null(0) if has_terms else pl.lit(0)
        good = rows.filter(~pl.col("_bad") & pl.col("doc_no").is_not_null()).with_columns(
            terms.alias("_terms")
        )
        first = (
            good.sort("_line")
            .group_by("doc_no")
            .first()
            .select(
                "doc_no",
                pl.col("_line").alias("_f_line"),
                pl.col("client_code").alias("_f_client"),
                pl.col("date").alias("_f_date"),
                pl.col("_terms").alias("_f_terms"),
            )
        )
        joined = good.join(first, on="doc_no").filter(pl.col("_line") != pl.col("_f_line"))
        client_differs = pl.col("client_code") != pl.col("_f_client")
        date_differs = pl.col("date") != pl.col("_f_date")
        differs = joined.filter(
            client_differs | date_differs | (pl.col("_terms") != pl.col("_f_terms"))
        )
        terms_header = self.header("payment_terms_days") if has_terms else ""
        return differs.select(
            pl.col("_line").alias("line"),
            pl.when(client_differs)
            .then(pl.lit(self.header("client_code")))
            .when(date_differs)
            .then(pl.lit(self.header("date")))
            .otherwise(pl.lit(terms_header))
            .alias("column"),
            pl.when(client_differs)
            .then(pl.col("client_code"))
            .when(date_differs)
            .then(pl.col("date").cast(pl.String))
            .otherwise(pl.col("_terms").cast(pl.String))
            .alias("value"),
            (
                pl.lit(
                    _(
                        "lines of one document must share client, date and payment terms; "
                        "this differs from line "
                    )
                )
                + pl.col("_f_line").cast(pl.String)
            ).alias("reason"),
        )

    @staticmethod
    def _codes(table_name: str, codes: pl.Series) -> pl.DataFrame:
        """code → id of the rows of ``table_name`` whose code the file mentions."""
        wanted = codes.drop_nulls().unique().to_list()
        found: list[tuple[str, int]] = []
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            found += [
                (str(c), int(i))
                for c, i in fetch(
                    f"SELECT code, id FROM {table_name} WHERE code IN ({marks})", chunk
                )
            ]
        return pl.DataFrame(found, schema={"code": pl.String, "id": pl.Int64}, orient="row")

    def _existing_documents(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Documents of this file already in the database, with their client's code."""
        _temp_table("kam_import_docs", "doc_no TEXT", "doc_no")
        bulk_insert("kam_import_docs", rows.select(pl.col("doc_no").drop_nulls().unique()))
        found = fetch(
            f"""
            SELECT d.doc_no, c.code FROM {table(SalesDocument)} d
            JOIN kam_import_docs k ON k.doc_no = d.doc_no
            JOIN {table(Client)} c ON c.id = d.client_id
            """
        )
        execute("DROP TABLE IF EXISTS kam_import_docs")
        return pl.DataFrame(
            found, schema={"doc_no": pl.String, "db_client": pl.String}, orient="row"
        )

    # -- counting and writing ----------------------------------------------------------------

    def count(self) -> Counts:
        if self.existing_docs.is_empty():
            # No document of the file exists, so no line does: every row is new.
            self.direct = True
            return Counts(created=self.rows.height)
        self.stage.create()
        self.stage.insert(self.rows.drop("_bad"))
        self.stage.index("doc_no", "line_no")
        self.stage.analyze()
        return super().count()

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

    def merge(self, *, batch_id: int, now: dt.datetime) -> None:
        _temp_table("kam_import_affected", "client_id BIGINT, month DATE", "client_id, month")
        _temp_table("kam_import_affected_docs", "doc_no TEXT", "doc_no")
        if self.direct:
            self._write_directly(batch_id)
            return
        # Only what actually changes is rebuilt: the months a changed line leaves and enters,
        # and the documents it belongs to. Re-importing the same file rebuilds nothing.
        changed = self._changed_sql()
        source = f"FROM {STAGE} s {self.joins()} LEFT JOIN {self.table} t ON {self._key_join()}"
        execute(f"""INSERT INTO kam_import_affected (client_id, month)
                    SELECT DISTINCT t.client_id, t.month {source}
                    WHERE t.id IS NOT NULL AND ({changed}) ON CONFLICT DO NOTHING""")
        execute(f"""INSERT INTO kam_import_affected (client_id, month)
                    SELECT DISTINCT c.id, s.month {source}
                    WHERE t.id IS NULL OR ({changed}) ON CONFLICT DO NOTHING""")
        execute(f"""INSERT INTO kam_import_affected_docs (doc_no)
                    SELECT DISTINCT s.doc_no {source}
                    WHERE t.id IS NULL OR ({changed}) ON CONFLICT DO NOTHING""")
        # Temporary tables have no statistics until analysed: without them PostgreSQL
        # picks nested loops over a million rows.
        execute("ANALYZE kam_import_affected")
        execute("ANALYZE kam_import_affected_docs")
        super().merge(batch_id=batch_id, now=now)
        self._rebuild_documents_sql()

    def _resolved_lines(self, batch_id: int) -> pl.DataFrame:
        rows = self.rows
        clients = self._codes(table(Client), rows["client_code"]).rename(
            {"code": "client_code", "id": "client_id"}
        )
        rows = rows.join(clients, on="client_code", how="left")
        if "employee_code" in rows.columns:
            employees = self._codes(table(Employee), rows["employee_code"]).rename(
                {"code": "employee_code", "id": "employee_id"}
            )
            rows = rows.join(employees, on="employee_code", how="left")
        else:
            rows = rows.with_columns(pl.lit(None, dtype=pl.Int64).alias("employee_id"))
        # The columns a file may leave out, with what an absent column means.
        optional: dict[str, pl.Expr] = {
            "product_code": pl.lit(""),
            "product_group": pl.lit(""),
            "quantity": pl.lit(None, dtype=pl.Float64),
            "cost": pl.lit(None, dtype=pl.Float64),
            "payment_terms_days": pl.lit(0, dtype=pl.Int64),
        }
        filled = {"product_code": "", "product_group": "", "payment_terms_days": 0}
        columns = {
            name: (pl.col(name).fill_null(filled[name]) if name in filled else pl.col(name))
            if name in rows.columns
            else default.alias(name)
            for name, default in optional.items()
        }
        return rows.select(
            "doc_no",
            "line_no",
            "date",
            "month",
            "client_id",
            columns["product_code"],
            columns["product_group"],
            columns["quantity"],
            "amount",
            columns["cost"],
            columns["payment_terms_days"],
            "employee_id",
            pl.lit(batch_id, dtype=pl.Int64).alias("import_batch_id"),
        )

    def _write_directly(self, batch_id: int) -> None:
        lines = self._resolved_lines(batch_id)
        bulk_insert(self.table, lines.sort("doc_no", "line_no"))
        documents = (
            lines.group_by("doc_no")
            .agg(
                pl.col("date").min(),
                pl.col("client_id").first(),
                pl.col("payment_terms_days").max(),
                pl.col("employee_id").min(),
                pl.col("amount").sum().round(2),
                pl.when(pl.col("cost").is_not_null().any())
                .then(pl.col("cost").sum().round(2))
                .alias("cost"),
                pl.len().cast(pl.Int64).alias("lines"),
            )
            .with_columns(
                (pl.col("date") + pl.duration(days=pl.col("payment_terms_days"))).alias("due_date")
            )
        )
        # Rows in key order keep the B-tree inserts local (measured: 4x faster on SQLite).
        bulk_insert(table(SalesDocument), documents.sort("doc_no"))
        # Months that already hold other documents are rebuilt in SQL; new ones from here.
        pairs = lines.select("client_id", "month").unique()
        bulk_insert("kam_import_affected", pairs)
        rollup = table(MonthlyRollup)
        occupied = fetch(f"""SELECT DISTINCT r.client_id, r.month FROM {rollup} r
                             JOIN kam_import_affected a
                               ON a.client_id = r.client_id AND a.month = r.month""")
        execute("DELETE FROM kam_import_affected")
        if occupied:
            occupied_frame = pl.DataFrame(
                occupied, schema={"client_id": pl.Int64, "month": pl.Date}, orient="row"
            )
            bulk_insert("kam_import_affected", occupied_frame)
            lines = lines.join(occupied_frame, on=["client_id", "month"], how="anti")
            self._rebuild_rollup_sql()
        cost_known = pl.col("cost").is_not_null().any()
        new_rollup = lines.group_by("client_id", "month", "product_group").agg(
            pl.col("amount").sum().round(2).alias("revenue"),
            pl.when(cost_known).then(pl.col("cost").sum().round(2)).alias("cost"),
            pl.when(cost_known)
            .then((pl.col("amount") - pl.col("cost")).sum().round(2))
            .alias("margin"),
            pl.col("quantity").sum().fill_null(0).round(3).alias("quantity"),
            pl.col("doc_no").n_unique().cast(pl.Int64).alias("documents"),
            pl.len().cast(pl.Int64).alias("lines"),
        )
        bulk_insert(rollup, new_rollup.sort("client_id", "month", "product_group"))

    def after_merge(self, *, now: dt.datetime) -> None:
        if not self.direct:
            self._rebuild_rollup_sql()
        execute("DROP TABLE IF EXISTS kam_import_affected")
        execute("DROP TABLE IF EXISTS kam_import_affected_docs")

    def _rebuild_documents_sql(self) -> None:
        due = date_plus_days("MIN(l.date)", "MAX(l.payment_terms_days)")
        execute(
            f"""
            INSERT INTO {table(SalesDocument)} (doc_no, date, client_id, payment_terms_days,
                                                due_date, employee_id, amount, cost, lines)
            SELECT l.doc_no, MIN(l.date), MIN(l.client_id), MAX(l.payment_terms_days), {due},
                   MIN(l.employee_id), SUM(l.amount), SUM(l.cost), COUNT(*)
            FROM {self.table} l JOIN kam_import_affected_docs a ON a.doc_no = l.doc_no
            GROUP BY l.doc_no
            ON CONFLICT (doc_no) DO UPDATE SET
                date = excluded.date, client_id = excluded.client_id,
                payment_terms_days = excluded.payment_terms_days, due_date = excluded.due_date,
                employee_id = excluded.employee_id, amount = excluded.amount,
                cost = excluded.cost, lines = excluded.lines
            """
        )

    def _rebuild_rollup_sql(self) -> None:
        """Recompute the roll-up of the (client, month) pairs in kam_import_affected."""
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
            FROM {self.table} l JOIN kam_import_affected a
              ON a.client_id = l.client_id AND a.month = l.month
            GROUP BY l.client_id, l.month, l.product_group
            """
        )
