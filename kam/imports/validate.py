"""Cell-level validation: text cells in, typed columns and row-level errors out.

Pure functions over Polars frames (no database): every check is a vectorised expression, so a
batch of 250 000 rows is validated in milliseconds. Set-level checks (keys repeated in the
file, references to other rows) need the database and live in ``staging``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl
from django.utils.translation import gettext as _

from kam.imports.formats import (
    DEPARTMENT_ALIASES,
    ROLE_ALIASES,
    Column,
    FileFormat,
    normalise_header,
)
from kam.organization.choices import DepartmentKind, Role

ERROR_SCHEMA = {"line": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}

_DATE_SHAPE = (
    r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_NUMBER_SHAPE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_EUROPEAN = r"^[+-]?\d{1,3}(\.\d{3})+,\d+$"
_US_GROUPED = r"^[+-]?\d{1,3}((,\d{3}){2,}(\.\d+)?|(,\d{3})+\.\d+)$"
_MAX_ABS = {"money": 1e15, "quantity": 1e14, "int": 2_000_000_000}


@dataclass
class HeaderMap:
    """Which file column holds which field; what is missing, repeated or unknown."""

    fields: dict[str, int] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def header_of(self, name: str) -> str:
        return self.headers[self.fields[name]] if name in self.fields else name


def map_headers(fmt: FileFormat, headers: Sequence[str]) -> HeaderMap:
    """Match the file's header cells to the format's columns (English or Russian names)."""
    lookup: dict[str, str] = {}
    for column in fmt.columns:
        for name in column.header_names():
            lookup.setdefault(normalise_header(name), column.name)
    result = HeaderMap(headers=list(headers))
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        found = lookup.get(normalise_header(header))
        if found is None:
            result.unknown.append(header)
        elif found in result.fields:
            result.duplicates.append((header, found))
        else:
            result.fields[found] = index
    result.missing = [c for c in fmt.required if c not in result.fields]
    return result


def _number_text(raw: pl.Expr) -> pl.Expr:
    """'1 234,50' / '1.234,50' / '1,234,567.5' / '1234.5' → text Polars can cast.

    A single comma is a decimal comma (1C, Russian Excel); commas are thousands separators
    only in full groups with a decimal point or in two or more groups. Anything else
    stays as it is and fails the cast.
    """
    compact = raw.str.replace_all(r"[\s\u00a0\u202f']", "")
    return (
        pl.when(compact.str.contains(_EUROPEAN))
        .then(compact.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(compact.str.contains(_US_GROUPED))
        .then(compact.str.replace_all(",", "", literal=True))
        .when(compact.str.contains(r"^[+-]?\d*,\d+$"))
        .then(compact.str.replace(",", ".", literal=True))
        .otherwise(compact)
    )


def department_lookup() -> dict[str, str]:
    """Department codes and their labels in both languages → code."""
    from django.utils import translation

    lookup: dict[str, str] = dict(DEPARTMENT_ALIASES)
    for kind in DepartmentKind:
        lookup[kind.value] = kind.value
        for language in ("en", "ru"):
            with translation.override(language):
                lookup[normalise_header(str(kind.label))] = kind.value
    return lookup


def role_lookup() -> dict[str, str]:
    """Role codes and their labels in both languages → code."""
    from django.utils import translation

    lookup: dict[str, str] = dict(ROLE_ALIASES)
    for role in Role:
        lookup[role.value] = role.value
        for language in ("en", "ru"):
            with translation.override(language):
                lookup[normalise_header(str(role.label))] = role.value
    return lookup


def validate_batch(
    fmt: FileFormat, headers: HeaderMap, batch: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed values (one column per field present, plus ``_line``) and the batch's errors.

    One reason per bad cell (the first check it fails). Each column is parsed once; a
    cheap strict parse is tried first and the lenient one (decimal commas, dd.mm.yyyy,
    spaces) only runs on batches that need it.
    """
    parsed: list[pl.Expr] = []
    checks: list[tuple[str, str, pl.Expr]] = []  # (field, header, reason expression)
    for column in fmt.columns:
        if column.name not in headers.fields:
            continue
        raw = pl.col(f"c{headers.fields[column.name]}")
        parse, reason = _column_rules(column, raw, batch)
        parsed.append(parse.alias(f"_v_{column.name}"))
        checks.append((column.name, headers.header_of(column.name), reason))
    frame = batch.with_columns(parsed)
    frame = frame.with_columns([reason.alias(f"_e_{name}") for name, _header, reason in checks])
    errors = []
    if "_extra" in frame.columns:
        errors.append(
            frame.filter(pl.col("_extra") > 0).select(
                pl.col("_line").alias("line"),
                pl.lit("").alias("column"),
                pl.col("_extra").cast(pl.String).alias("value"),
                pl.format(_("the row has {} more cell(s) than the header"), pl.col("_extra")).alias(
                    "reason"
                ),
            )
        )
    for name, header, _reason in checks:
        errors.append(
            frame.filter(pl.col(f"_e_{name}").is_not_null()).select(
                pl.col("_line").alias("line"),
                pl.lit(header).alias("column"),
                pl.col(f"c{headers.fields[name]}").alias("value"),
                pl.col(f"_e_{name}").alias("reason"),
            )
        )
    # Bad cells stage as null: they must never reach a typed database column.
    typed = frame.select(
        pl.col("_line"),
        *[
            _typed(
                fmt.column(name), pl.when(pl.col(f"_e_{name}").is_null()).then(pl.col(f"_v_{name}"))
            ).alias(name)
            for name, _header, _reason in checks
        ],
    )
    all_errors = [e for e in errors if not e.is_empty()]
    return typed, (pl.concat(all_errors) if all_errors else pl.DataFrame(schema=ERROR_SCHEMA))


def _typed(column: Column, value: pl.Expr) -> pl.Expr:
    return value.round(0).cast(pl.Int64) if column.type == "int" else value


def _needs(batch: pl.DataFrame, raw: pl.Expr, strict: pl.Expr) -> bool:
    """Whether any present value fails the strict parse (then the lenient one runs)."""
    return bool(batch.select((raw.is_not_null() & strict.is_null()).any()).item())


def _column_rules(column: Column, raw: pl.Expr, batch: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """The parsed value of a column and the reason a cell is bad (null when it is fine).

    The reason expression reads the parsed value as ``_v_<name>``.
    """
    value = pl.col(f"_v_{column.name}")
    rules: list[tuple[pl.Expr, str]] = []
    if column.required:
        rules.append((raw.is_null(), _("a required value is empty")))
    if column.type in ("code", "text", "email", "choice"):
        rules.append(
            (
                raw.str.len_chars() > column.max_length,
                _("longer than %(n)d characters") % {"n": column.max_length},
            )
        )
        if column.type == "email":
            rules.append(
                (~raw.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), _("not an email address"))
            )
        return raw, _first_reason(rules)
    if column.type == "date":
        strict = raw.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        if _needs(batch, raw, strict):
            text = raw.str.extract(_DATE_SHAPE, 1)
            parse = pl.coalesce(
                text.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
                text.str.strptime(pl.Date, "%d.%m.%Y", strict=False),
            )
            rules.append(
                (
                    raw.is_not_null() & text.is_null(),
                    _("not a date (expected YYYY-MM-DD or DD.MM.YYYY)"),
                )
            )
            rules.append((value.is_null() & raw.is_not_null(), _("impossible date")))
        else:
            parse = strict
        rules.append(
            (
                value.dt.year().is_between(1900, 2199).not_(),
                _("date out of range (years 1900–2199)"),
            )
        )
        return parse, _first_reason(rules)
    strict = raw.cast(pl.Float64, strict=False)
    if _needs(batch, raw, strict):
        text = _number_text(raw)
        parse = pl.when(text.str.contains(_NUMBER_SHAPE)).then(text).cast(pl.Float64, strict=False)
    else:
        parse = strict
    rules.append(
        (
            raw.is_not_null() & (value.is_null() | value.is_infinite() | value.is_nan()),
            _("not a number"),
        )
    )
    limit = _MAX_ABS["int" if column.type == "int" else column.type]
    rules.append((value.abs() > limit, _("the number is too large")))
    if column.minimum is not None:
        minimum = _format_minimum(column.minimum)
        if column.exclusive_minimum:
            rules.append(
                (value <= column.minimum, _("must be greater than %(min)s") % {"min": minimum})
            )
        elif column.minimum == 0:
            rules.append((value < 0, _("must not be negative")))
        else:
            rules.append((value < column.minimum, _("must be at least %(min)s") % {"min": minimum}))
    if column.type == "int":
        rules.append((value != value.floor(), _("must be a whole number")))
        return parse, _first_reason(rules)
    return parse.round(2 if column.type == "money" else 3), _first_reason(rules)


def _first_reason(rules: list[tuple[pl.Expr, str]]) -> pl.Expr:
    if not rules:
        return pl.lit(None, dtype=pl.String)
    result: pl.Expr = pl.lit(None, dtype=pl.String)
    # Built from the last rule back, so the first failing rule gives the reason.
    for condition, reason in reversed(rules):
        result = pl.when(condition.fill_null(False)).then(pl.lit(reason)).otherwise(result)
    return result


def normalised_text(expr: pl.Expr) -> pl.Expr:
    """The expression form of formats.normalise_header, for choice values."""
    return (
        expr.str.replace_all("ё", "е")
        .str.replace_all("Ё", "Е")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def validate_choice(
    typed: pl.DataFrame, column: str, header: str, lookup: dict[str, str], reason: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Map a choice column through ``lookup`` (normalised label → code); unknown → error."""
    mapped = normalised_text(pl.col(column)).replace_strict(
        lookup, default=None, return_dtype=pl.String
    )
    result = typed.with_columns(mapped.alias(f"_{column}_code"))
    errors = result.filter(
        pl.col(column).is_not_null() & pl.col(f"_{column}_code").is_null()
    ).select(
        pl.col("_line").alias("line"),
        pl.lit(header).alias("column"),
        pl.col(column).alias("value"),
        pl.lit(reason).alias("reason"),
    )
    return result.with_columns(pl.col(f"_{column}_code").alias(column)).drop(
        f"_{column}_code"
    ), errors


def _format_minimum(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
