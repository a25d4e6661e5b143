"""kam audit: every enabled rule over every subject in the data up to a date."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.rules.audit import audit_run, violator_codes
from kam.rules.models import Rule


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("not a date (YYYY-MM-DD): %(value)s") % {"value": value}) from exc


class Command(BaseCommand):
    help = (
        "Check every enabled rule against every subject up to a date: open an incident for "
        "each new breach of a mandatory rule, a notice for each breach of a recommendation."
    )
    # A scheduled batch job: the system checks (which import every URL and the API) are for
    # the server and `kam check`; they would add most of a second to every run.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="judge the data up to this date (default today)")
        parser.add_argument(
            "--since", help="only subjects dated this day or later (documents, plans …)"
        )
        parser.add_argument("--rule", help="only this rule (its code)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--violations-out",
            help="write every breach found to this CSV "
            "(rule_code,subject_type,subject_key,violator_code)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        as_of = _date(options["as_of"]) if options["as_of"] else today
        since = _date(options["since"]) if options["since"] else None
        if as_of > today:
            raise CommandError(_("--as-of cannot be in the future"))
        if since is not None and since > as_of:
            raise CommandError(_("--since must not be after --as-of"))
        code = options["rule"]
        if code:
            rule = Rule.objects.filter(code=code).first()
            if rule is None:
                raise CommandError(_("no rule with the code %(code)s") % {"code": code})
            if not rule.is_enabled:
                raise CommandError(_("the rule %(code)s is switched off") % {"code": code})
        out = Path(options["violations_out"]) if options["violations_out"] else None
        if out is not None and not out.parent.is_dir():
            raise CommandError(_("no such folder: %(path)s") % {"path": out.parent})
        result = audit_run(as_of=as_of, since=since, rule_code=code)
        figures = {
            key: result.figures[key]
            for key in (
                "as_of",
                "rules",
                "subjects",
                "violations",
                "incidents_opened",
                "already_open",
                "notices",
                "by_rule",
                "seconds",
            )
        }
        figures.update(
            {
                "since": result.figures["since"],
                "already_closed": result.figures["already_closed"],
                "cleared": result.figures["cleared"],
                "escalated": result.figures["escalated"],
                "audit_run": result.run.pk,
            }
        )
        if out is not None:
            rows = violator_codes(result.violations).sort(
                "rule_code", "subject_type", "subject_key"
            )
            with out.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["rule_code", "subject_type", "subject_key", "violator_code"])
                writer.writerows(rows.iter_rows())
            figures["violations_out"] = str(out)
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        self.stdout.write(
            _(
                "Audit as of %(as_of)s: %(rules)s rule(s) over %(subjects)s subject(s), "
                "%(violations)s breach(es); %(incidents_opened)s incident(s) opened, "
                "%(already_open)s already open, %(notices)s notice(s), %(cleared)s cleared, "
                "%(escalated)s escalated (%(seconds)s s)."
            )
            % figures
        )
        for rule_code, count in sorted(figures["by_rule"].items()):
            if count:
                self.stdout.write(f"  {rule_code}: {count}")
