"""kam generate --clients N --years Y --seed S --out DIR [--end YYYY-MM-DD] [--json]"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.generator.company import generate_company
from kam.generator.names import MAX_CLIENTS

FILES = ("employees", "clients", "sales", "payments", "credit_decisions")


class Command(BaseCommand):
    help = (
        "Write a realistic synthetic company (employees, clients, sales, payments, credit "
        "decisions, plus truth.csv) as the CSV files kam imports. Deterministic per seed."
    )
    # Pure file generation: no database, so no system or migration checks are needed.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, required=True, help="number of clients")
        parser.add_argument("--years", type=int, default=3, help="years of sales (default 3)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--out", type=Path, required=True, help="directory for the files")
        parser.add_argument(
            "--end", type=str, default=None, help="last day of sales, YYYY-MM-DD (default today)"
        )
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object with the figures"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clients, years, seed = options["clients"], options["years"], options["seed"]
        if not 1 <= clients <= MAX_CLIENTS:
            raise CommandError(
                _("--clients must be between 1 and %(max)d, got %(n)d")
                % {"max": MAX_CLIENTS, "n": clients}
            )
        if years < 1:
            raise CommandError(_("--years must be at least 1, got %(n)d") % {"n": years})
        if seed < 0:
            raise CommandError(_("--seed must not be negative, got %(n)d") % {"n": seed})
        end = self._end(options["end"])
        out = Path(options["out"])  # call_command() may pass a plain string
        self._check_writable(out)

        bar = None
        progress = None
        if not options["json"]:
            from tqdm import tqdm

            bar = tqdm(total=clients, unit=" clients", unit_scale=True, file=sys.stderr)

            def progress(done: int) -> None:
                bar.update(done - bar.n)

        try:
            figures = generate_company(
                out, clients=clients, years=years, seed=seed, end=end, progress=progress
            )
        except OSError as exc:
            raise CommandError(
                _("cannot write to %(out)s: %(error)s") % {"out": out, "error": exc}
            ) from exc
        finally:
            if bar is not None:
                bar.close()

        if options["json"]:
            self.stdout.write(json.dumps({**figures, "out": str(out.resolve())}))
        else:
            self._summary(out, end, years, figures)

    @staticmethod
    def _end(value: str | None) -> dt.date:
        if value is None:
            return timezone.localdate()
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                _("--end must be a date YYYY-MM-DD, got %(value)r") % {"value": value}
            ) from None

    @staticmethod
    def _check_writable(out: Path) -> None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(
                _("cannot create the output directory %(out)s: %(error)s")
                % {"out": out, "error": exc.strerror or exc}
            ) from None
        if not os.access(out, os.W_OK | os.X_OK):
            raise CommandError(_("the output directory %(out)s is not writable") % {"out": out})

    def _summary(self, out: Path, end: dt.date, years: int, figures: dict[str, Any]) -> None:
        lines_per_s = figures["sales_lines"] / max(figures["seconds"], 1e-9)
        self.stdout.write(
            self.style.SUCCESS(
                _("Generated a company with %(years)d year(s) of sales up to %(end)s in %(out)s")
                % {"years": years, "end": end.isoformat(), "out": out}
            )
        )
        rows = [
            (_("employees"), figures["employees"]),
            (_("clients"), figures["clients"]),
            (_("sales documents"), figures["documents"]),
            (_("sales lines"), figures["sales_lines"]),
            (_("payments"), figures["payments"]),
            (_("credit decisions"), figures["credit_decisions"]),
        ]
        width = max(len(label) for label, _n in rows)
        for label, number in rows:
            self.stdout.write(f"  {label:<{width}}  {number:>14,}")
        self.stdout.write(
            _("  in %(seconds).1f s (%(rate)s sales lines/s)")
            % {"seconds": figures["seconds"], "rate": f"{lines_per_s:,.0f}"}
        )
        self.stdout.write(
            _("Files: %(files)s; truth.csv holds the ground truth (not for import).")
            % {"files": ", ".join(f"{name}.csv" for name in FILES)}
        )
