"""Reading CSV and XLSX files as batches of text cells, streaming, with exact line numbers.

Every batch is a Polars frame of String columns ``c0 … cN`` (the header's positions) plus
``_line``, the line of the file the row starts on (for XLSX: the worksheet row). Nothing
interprets values here: that is validation's job.

CSV is read by Polars (fast path). Two things it cannot report precisely, rows with more
cells than the header and quoted values that span lines (which shift line numbers), make the
reader fall back to Python's csv module, which is slower but knows every row's line.
"""

from __future__ import annotations

import codecs
import csv
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

BATCH_ROWS = 250_000
_SNIFF_BYTES = 64 * 1024


class NotATable(Exception):
    """The file is neither a text table (CSV) nor an XLSX workbook."""


class RaggedRows(Exception):
    """The fast reader met a row it cannot place exactly; use the exact reader."""


@dataclass
class TableSource:
    """What sniffing found out about a file."""

    path: Path
    format: str  # "csv" or "xlsx"
    encoding: str = "utf-8"
    delimiter: str = ","
    headers: list[str] = field(default_factory=list)
    header_line: int = 1

    @property
    def description(self) -> str:
        if self.format == "xlsx":
            return "XLSX"
        names = {",": "comma", ";": "semicolon", "\t": "tab"}
        return f"CSV ({self.encoding}, {names.get(self.delimiter, self.delimiter)})"


def sniff(path: Path) -> TableSource:
    """Detect the format, encoding, delimiter and header of ``path``."""
    size = path.stat().st_size
    if size == 0:
        raise NotATable("the file is empty")
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return _sniff_xlsx(path)
    if head.startswith(
        (b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\x1f\x8b", b"GIF8", b"\xff\xd8")
    ):
        raise NotATable("the file is a binary document, not a CSV table or an XLSX workbook")
    if b"\x00" in head:
        raise NotATable("the file contains binary data, not text")
    encoding = _detect_encoding(path, head)
    text = head.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line.strip():
        raise NotATable("the first line (the header) is empty")
    delimiter = _detect_delimiter(first_line)
    headers = next(csv.reader([first_line], delimiter=delimiter))
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise NotATable("the header line has no column names")
    return TableSource(
        path=path, format="csv", encoding=encoding, delimiter=delimiter, headers=headers
    )


def _detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # A 1C export is Windows-1251; anything that is not valid UTF-8 throughout is taken as such.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(4 * 1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8"


def _detect_delimiter(line: str) -> str:
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _sniff_xlsx(path: Path) -> TableSource:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise NotATable(
            f"the file is a ZIP archive but not a readable XLSX workbook ({exc})"
        ) from exc
    except Exception as exc:  # openpyxl raises its own InvalidFileException and others
        raise NotATable(f"the XLSX workbook cannot be read ({exc})") from exc
    try:
        sheet = workbook.active
        if sheet is None:
            raise NotATable("the workbook has no worksheet")
        for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_xlsx_text(v) for v in row]
            if any(c for c in cells):
                while cells and not cells[-1]:
                    cells.pop()
                headers = [(c or "").strip() for c in cells]
                return TableSource(
                    path=path, format="xlsx", headers=headers, header_line=row_number
                )
        raise NotATable("the worksheet is empty")
    finally:
        workbook.close()


def _xlsx_text(value: Any) -> str | None:
    """A cell as the text a CSV export would hold: ISO dates, whole numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "date") and hasattr(value, "hour"):  # datetime
        return value.date().isoformat()
    if hasattr(value, "isoformat"):  # date, time
        return str(value.isoformat())
    text = str(value)
    return text if text.strip() else None


def count_lines(path: Path) -> int:
    """Physical lines in the file: a progress bar's total, cheap even for gigabytes."""
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            count += chunk.count(b"\n")
    return count


def iter_batches(
    source: TableSource, *, exact: bool = False, batch_rows: int = BATCH_ROWS
) -> Iterator[pl.DataFrame]:
    """Yield the data rows of ``source`` as frames of text; blank rows are skipped.

    Raises RaggedRows from the fast path when only the exact reader can place a row.
    """
    if source.format == "xlsx":
        yield from _xlsx_batches(source, batch_rows)
    elif exact:
        yield from _csv_exact_batches(source, batch_rows)
    else:
        yield from _csv_fast_batches(source, batch_rows)


def _column_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _blank_to_null(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Cells are stripped; an empty cell is a missing value."""
    return frame.with_columns(
        [pl.col(c).str.strip_chars().replace("", None).alias(c) for c in columns]
    )


def _drop_blank(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return _blank_to_null(frame, columns).filter(
        pl.any_horizontal([pl.col(c).is_not_null() for c in columns])
    )


def _csv_fast_batches(source: TableSource, batch_rows: int) -> Iterator[pl.DataFrame]:
    columns = _column_names(len(source.headers))
    path = source.path
    temp: str | None = None
    if source.encoding == "cp1251":
        # Polars reads UTF-8 only: transcode to a temporary file, streaming.
        fd, temp = tempfile.mkstemp(suffix=".csv", prefix="kam-import-")
        with open(fd, "wb") as out, source.path.open("rb") as raw:
            decoder = codecs.getincrementaldecoder("cp1251")()
            while chunk := raw.read(8 * 1024 * 1024):
                out.write(decoder.decode(chunk).encode("utf-8"))
        path = Path(temp)
    try:
        lazy = pl.scan_csv(
            path,
            has_header=False,
            skip_rows=1,
            separator=source.delimiter,
            quote_char='"',
            schema={name: pl.String for name in columns},
            row_index_name="_row",
            truncate_ragged_lines=False,
            encoding="utf8",
        )
        try:
            for batch in lazy.collect_batches(chunk_size=batch_rows):
                if batch.is_empty():
                    continue
                if batch.select(
                    pl.any_horizontal(
                        [pl.col(c).str.contains("\n", literal=True) for c in columns]
                    ).any()
                ).item():
                    raise RaggedRows("a quoted value spans lines")
                batch = batch.with_columns((pl.col("_row").cast(pl.Int64) + 2).alias("_line")).drop(
                    "_row"
                )
                batch = _drop_blank(batch, columns)
                if not batch.is_empty():
                    yield batch
        except pl.exceptions.PolarsError as exc:
            # Too many cells (ComputeError), too few (SchemaError), anything Polars cannot
            # place: the exact reader reports it by line.
            raise RaggedRows(str(exc)) from exc
    finally:
        if temp:
            os.unlink(temp)


def _csv_exact_batches(source: TableSource, batch_rows: int) -> Iterator[pl.DataFrame]:
    """Python's csv module: slower, but it knows the line every row starts on.

    Rows with more cells than the header are returned with a ``_extra`` count so validation
    can report them; fewer cells are padded (the missing values are then empty).
    """
    columns = _column_names(len(source.headers))
    width = len(columns)
    encoding = "utf-8-sig" if source.encoding == "utf-8-sig" else source.encoding
    with source.path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter, quotechar='"', strict=False)
        next(reader, None)
        rows: list[list[str | None]] = []
        lines: list[int] = []
        extras: list[int] = []
        start = reader.line_num + 1
        for record in reader:
            line = start
            start = reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            extra = max(0, len(record) - width)
            cells: list[str | None] = [c for c in record[:width]]
            cells += [None] * (width - len(cells))
            rows.append(cells)
            lines.append(line)
            extras.append(extra)
            if len(rows) >= batch_rows:
                yield _exact_frame(columns, rows, lines, extras)
                rows, lines, extras = [], [], []
        if rows:
            yield _exact_frame(columns, rows, lines, extras)


def _exact_frame(
    columns: list[str], rows: list[list[str | None]], lines: list[int], extras: list[int]
) -> pl.DataFrame:
    data: dict[str, Any] = {name: [r[i] for r in rows] for i, name in enumerate(columns)}
    schema: dict[str, Any] = {name: pl.String for name in columns}
    frame = pl.DataFrame(
        {**data, "_line": lines, "_extra": extras},
        schema={**schema, "_line": pl.Int64, "_extra": pl.Int64},
    )
    return _blank_to_null(frame, columns)


def _xlsx_batches(source: TableSource, batch_rows: int) -> Iterator[pl.DataFrame]:
    from openpyxl import load_workbook

    columns = _column_names(len(source.headers))
    width = len(columns)
    workbook = load_workbook(source.path, read_only=True, data_only=True)
    try:
        sheet = workbook.active
        assert sheet is not None
        rows: list[list[str | None]] = []
        lines: list[int] = []
        extras: list[int] = []
        for row_number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if row_number <= source.header_line:
                continue
            cells = [_xlsx_text(v) for v in row]
            if not any(c is not None and c.strip() for c in cells):
                continue
            extra_cells = [c for c in cells[width:] if c is not None and c.strip()]
            cells = cells[:width] + [None] * max(0, width - len(cells))
            rows.append(cells)
            lines.append(row_number)
            extras.append(len(extra_cells))
            if len(rows) >= batch_rows:
                yield _exact_frame(columns, rows, lines, extras)
                rows, lines, extras = [], [], []
        if rows:
            yield _exact_frame(columns, rows, lines, extras)
    finally:
        workbook.close()
