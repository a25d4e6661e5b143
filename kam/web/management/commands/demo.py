"""kam demo: the embedded database, a generated demo company, and the web app."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from kam.web.demo import (
    DEMO_PASSWORD,
    demo_assessment,
    demo_credit,
    demo_department,
    demo_files,
    demo_import,
    demo_plans,
    demo_rulebook,
    demo_users,
)


class Command(BaseCommand):
    help = "Create the database, load a generated demo company and serve the web app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=400)
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--end",
            type=dt.date.fromisoformat,
            default=None,
            help="last day of sales (default: yesterday)",
        )
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="prepare only")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        end = options["end"] or dt.date.today() - dt.timedelta(days=1)
        out = Path(settings.VAR_DIR) / "demo"
        say = (lambda text: None) if options["json"] else self.stdout.write
        say(_("Preparing the database …"))
        call_command("migrate", verbosity=0, interactive=False)
        say(
            _("Generating the demo company (%(n)d clients, %(y)d years) …")
            % {"n": options["clients"], "y": options["years"]}
        )
        figures = demo_files(
            out, clients=options["clients"], years=options["years"], seed=options["seed"], end=end
        )
        imports = {}
        for report in demo_import(out):
            say(
                _("  %(kind)s: %(rows)d rows, %(created)d created, %(updated)d updated")
                % {
                    "kind": report.kind,
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                }
            )
            imports[report.kind] = report.as_json()
            if not report.ok:
                raise CommandError(
                    _("the demo file %(kind)s was rejected: %(errors)s")
                    % {"kind": report.kind, "errors": report.errors[:5]}
                )
        with translation.override(settings.LANGUAGE_CODE):
            logins = demo_users()
            say(_("Assessing every client …"))
            assessment = demo_assessment(end)
            say(
                _(
                    "  cycle #%(cycle)s as of %(as_of)s: "
                    "%(promote)s to promote, %(demote)s to demote"
                )
                % assessment
            )
            say(_("Giving every key account its responsible manager …"))
            department = demo_department()
            say(
                _(
                    "  %(key_accounts)s key accounts, %(gaps)s without a manager, "
                    "%(handovers)s handovers"
                )
                % {"key_accounts": department.get("key_accounts", "?"), **department}
            )
            say(_("Making the key accounts' development plans …"))
            plans = demo_plans()
            say(
                _(
                    "  %(plans)s plans this month (%(approved)s approved, %(submitted)s "
                    "submitted, %(draft)s draft, %(missing)s missing), %(closed_last_month)s "
                    "closed last month"
                )
                % plans
            )
            say(_("The credit committee's decisions and the sales pipeline …"))
            credit = demo_credit(end)
            say(
                _(
                    "  %(applications)s credit applications (%(pending)s awaiting votes), "
                    "%(committee_decisions)s committee decisions, %(prospects)s prospects, "
                    "%(deals)s deals"
                )
                % credit
            )
            if credit.get("awaiting_chair"):
                say(
                    _("  %(number)s, filed by %(login)s, awaits the chair's vote (login credit)")
                    % {"number": credit["awaiting_chair"], "login": credit["applicant_login"]}
                )
            say(_("Auditing the rulebook and handling its incidents …"))
            rulebook = demo_rulebook(end)
            say(
                _(
                    "  %(incidents)s incidents (%(open)s open, %(investigating)s under "
                    "investigation, %(decided)s decided, %(closed)s closed, %(dismissed)s "
                    "dismissed, %(escalated)s escalated)"
                )
                % rulebook
            )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "generated": figures,
                        "imports": imports,
                        "assessment": assessment,
                        "department": department,
                        "plans": plans,
                        "credit": credit,
                        "rulebook": rulebook,
                        "logins": [login for login, *_r in logins],
                        "password": DEMO_PASSWORD,
                    },
                    default=str,
                )
            )
        else:
            self.stdout.write("")
            self.stdout.write(
                self.style.SUCCESS(
                    _("kam demo is ready on http://127.0.0.1:%(port)d/") % {"port": options["port"]}
                )
            )
            self.stdout.write(
                _("Log in with the password %(password)s as:") % {"password": DEMO_PASSWORD}
            )
            for login, role, name in logins:
                self.stdout.write(f"  {login:<10} {role} — {name}")
        if not options["no_serve"]:
            call_command("serve", port=options["port"])
