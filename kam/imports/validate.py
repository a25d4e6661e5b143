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

_DATE_SHAPE = r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
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
        name = lookup.get(normalise_header(header))
        if name is None:
            result.unknown.append(header)
        elif name in result.fields:
            result.duplicates.append((header, name))
        else:
            result.fields[name] = index
    result.missing = [c for c in fmt.required if c not in result.fields]
    return result


def _error_frame(frame: pl.DataFrame, condition: pl.Expr, header: str, value: pl.Expr,
                 reason: pl.Expr | str) -> pl.DataFrame:
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return frame.filter(condition).select(
        pl.col("_line").alias("line"),
        pl.lit(header).alias("column"),
        value.cast(pl.String).alias("value"),
        reason_expr.cast(pl.String).alias("reason"),
    )


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


def validate_batch(fmt: FileFormat, headers: HeaderMap, batch: pl.DataFrame
                   ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed values (one column per field present, plus ``_line``) and the batch's errors."""
    errors: list[pl.DataFrame] = []
    out: list[pl.Expr] = [pl.col("_line")]
    if "_extra" in batch.columns:
        errors.append(_error_frame(
            batch, pl.col("_extra") > 0, "",
            pl.col("_extra"),
            pl.format(_("the row has {} more cell(s) than the header"), pl.col("_extra")),
        ))
    for column in fmt.columns:
        if column.name not in headers.fields:
            continue
        raw = pl.col(f"c{headers.fields[column.name]}")
        header = headers.header_of(column.name)
        value, column_errors = _validate_column(column, raw, header, batch)
        out.append(value.alias(column.name))
        errors.extend(column_errors)
    typed = batch.select(out)
    return typed, pl.concat(errors, how="vertical") if errors else pl.DataFrame(schema=ERROR_SCHEMA)


def _validate_column(column: Column, raw: pl.Expr, header: str, batch: pl.DataFrame
                     ) -> tuple[pl.Expr, list[pl.DataFrame]]:
    errors: list[pl.DataFrame] = []
    if column.required:
        errors.append(_error_frame(batch, raw.is_null(), header, raw,
                                   _("a required value is empty")))
    if column.type in ("code", "text", "email", "choice"):
        errors.append(_error_frame(
            batch, raw.str.len_chars() > column.max_length, header, raw,
            _("longer than %(n)d characters") % {"n": column.max_length},
        ))
        if column.type == "email":
            errors.append(_error_frame(
                batch, raw.is_not_null() & ~raw.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
                header, raw, _("not an email address"),
            ))
        return raw, errors
    if column.type == "date":
        return _validate_date(raw, header, batch, errors)
    return _validate_number(column, raw, header, batch, errors)


def _validate_date(raw: pl.Expr, header: str, batch: pl.DataFrame, errors: list[pl.DataFrame]
                   ) -> tuple[pl.Expr, list[pl.DataFrame]]:
    text = raw.str.extract(_DATE_SHAPE, 1)
    iso = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    russian = text.str.strptime(pl.Date, "%d.%m.%Y", strict=False)
    value = pl.coalesce(iso, russian)
    errors.append(_error_frame(
        batch, raw.is_not_null() & text.is_null(), header, raw,
        _("not a date (expected YYYY-MM-DD or DD.MM.YYYY)"),
    ))
    errors.append(_error_frame(
        batch, text.is_not_null() & value.is_null(), header, raw, _("impossible date")
    ))
    errors.append(_error_frame(
        batch, value.dt.year().is_between(1900, 2199).not_(), header, raw,
        _("date out of range (years 1900–2199)"),
    ))
    return value, errors


def _validate_number(column: Column, raw: pl.Expr, header: str, batch: pl.DataFrame,
                     errors: list[pl.DataFrame]) -> tuple[pl.Expr, list[pl.DataFrame]]:
    text = _number_text(raw)
    number = pl.when(text.str.contains(_NUMBER_SHAPE)).then(text).cast(pl.Float64, strict=False)
    bad = raw.is_not_null() & (number.is_null() | number.is_infinite() | number.is_nan())
    errors.append(_error_frame(batch, bad, header, raw, _("not a number")))
    ok = raw.is_not_null() & ~bad
    limit = _MAX_ABS["int" if column.type == "int" else column.type]
    errors.append(_error_frame(batch, ok & (number.abs() > limit), header, raw,
                               _("the number is too large")))
    if column.minimum is not None:
        if column.exclusive_minimum:
            below = number <= column.minimum
            reason = _("must be greater than %(min)s") % {"min": _format_minimum(column.minimum)}
        else:
            below = number < column.minimum
            reason = (_("must not be negative") if column.minimum == 0
                      else _("must be at least %(min)s") % {"min": _format_minimum(column.minimum)})
        errors.append(_error_frame(batch, ok & below, header, raw, reason))
    # Bad cells stage as null: they must not reach a typed database column.
    number = pl.when(ok & (number.abs() <= limit)).then(number)
    if column.type == "int":
        errors.append(_error_frame(batch, ok & (number != number.floor()), header, raw,
                                   _("must be a whole number")))
        return number.round(0).cast(pl.Int64, strict=False), errors
    decimals = 2 if column.type == "money" else 3
    return number.round(decimals), errors


def _format_minimum(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def normalised_text(expr: pl.Expr) -> pl.Expr:
    """The expression form of formats.normalise_header, for choice values."""
    return (
        expr.str.replace_all("ё", "е").str.replace_all("Ё", "Е").str.to_lowercase()
        .str.replace_all(r"\s+", " ").str.strip_chars()
    )


def validate_choice(typed: pl.DataFrame, column: str, header: str, lookup: dict[str, str],
                    reason: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Map a choice column through ``lookup`` (normalised label → code); unknown → error."""
    mapped = normalised_text(pl.col(column)).replace_strict(lookup, default=None, return_dtype=pl.String)
    result = typed.with_columns(mapped.alias(f"_{column}_code"))
    errors = _error_frame(
        result, pl.col(column).is_not_null() & pl.col(f"_{column}_code").is_null(), header,
        pl.col(column), reason,
    )
    return result.with_columns(pl.col(f"_{column}_code").alias(column)).drop(f"_{column}_code"), errors
