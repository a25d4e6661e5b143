"""kam import KIND FILE [--dry-run] [--json]"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kam.imports.formats import FORMATS
from kam.imports.reader import count_lines
from kam.imports.services import ImportReport, import_file

# Files above this size get a progress bar (when not --json).
PROGRESS_BYTES = 5 * 1024 * 1024
SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Validate and import one file (employees, clients, sales, payments, credit_decisions)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(FORMATS), help="what the file holds")
        parser.add_argument("file", type=Path, help="a CSV or XLSX file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object with the figures and errors"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("no such file: %(path)s") % {"path": path})
        progress = None
        bar = None
        if not options["json"] and path.stat().st_size > PROGRESS_BYTES:
            from tqdm import tqdm

            bar = tqdm(
                total=max(count_lines(path) - 1, 0),
                unit=" rows",
                unit_scale=True,
                desc=path.name,
                file=sys.stderr,
            )
            progress = bar.update
        try:
            report = import_file(
                kind=options["kind"], path=path, dry_run=options["dry_run"], progress=progress
            )
        finally:
            if bar is not None:
                bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            self._print(report)
        if not report.ok:
            sys.exit(1)

    def _print(self, report: ImportReport) -> None:
        if report.ok:
            verb = _("Dry run, nothing written") if report.dry_run else _("Imported")
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "%(verb)s: %(file)s (%(format)s) — %(rows)d rows: %(created)d created, "
                        "%(updated)d updated, %(unchanged)d unchanged, in %(seconds).2f s"
                    )
                    % {
                        "verb": verb,
                        "file": report.file_name,
                        "format": report.file_format,
                        "rows": report.rows,
                        "created": report.created,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                        "seconds": report.seconds,
                    }
                )
            )
        else:
            bad_rows = len({e["line"] for e in report.errors})
            self.stderr.write(
                self.style.ERROR(
                    _(
                        "Rejected: %(file)s — %(errors)d error(s) in %(rows)d row(s); nothing was "
                        "written."
                    )
                    % {"file": report.file_name, "errors": len(report.errors), "rows": bad_rows}
                )
            )
            for error in report.errors[:SHOWN_ERRORS]:
                self.stderr.write(
                    _("  line %(line)s, column “%(column)s”, value “%(value)s”: %(reason)s")
                    % {k: ("" if v is None else v) for k, v in error.items()}
                )
            if len(report.errors) > SHOWN_ERRORS:
                self.stderr.write(
                    _("  … and %(n)d more (use --json for all)")
                    % {"n": len(report.errors) - SHOWN_ERRORS}
                )
        for notice in report.notices:
            self.stdout.write(_("Notice: %(text)s") % {"text": notice})
