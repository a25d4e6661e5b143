"""kam assess: a re-evaluation cycle over every client, or a back-test of the model."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.assessment import scoring
from kam.assessment.backtest import backtest
from kam.assessment.services import active_model, cycle_run


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("not a date (YYYY-MM-DD): %(value)s") % {"value": value}) from exc


class Command(BaseCommand):
    help = (
        "Run a re-evaluation cycle over all clients (metrics, scores, proposals), or with "
        "--backtest check how well the model picks the clients that buy next."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="date of the assessment, YYYY-MM-DD (default today)")
        parser.add_argument(
            "--backtest", action="store_true", help="back-test the active model; writes nothing"
        )
        parser.add_argument(
            "--horizon-months", type=int, default=12, help="back-test: months that follow"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else timezone.localdate()
        if options["backtest"]:
            if not 1 <= options["horizon_months"] <= 24:
                raise CommandError(_("--horizon-months must be between 1 and 24"))
            figures = backtest(
                as_of=as_of,
                horizon_months=options["horizon_months"],
                definition=scoring.parse(active_model().definition),
            )
            if options["json"]:
                self.stdout.write(json.dumps(figures))
                return
            self.stdout.write(
                _(
                    "Back-test as of %(as_of)s (data to %(data_to)s), next %(horizon_months)s "
                    "months, K = %(k)s: the model's top K bought %(model)s of the revenue, the "
                    "top K by trailing revenue %(baseline)s. Median growth: potential group "
                    "(%(group)s clients) %(group_growth)s, the rest %(rest_growth)s."
                )
                % {
                    **figures,
                    "model": _percent(figures["model_next_revenue_share"]),
                    "baseline": _percent(figures["baseline_next_revenue_share"]),
                    "group": figures["potential_group"],
                    "group_growth": _percent(figures["potential_group_median_growth"]),
                    "rest_growth": _percent(figures["rest_median_growth"]),
                }
            )
            return
        if as_of > timezone.localdate():
            raise CommandError(_("--as-of cannot be in the future"))
        cycle = cycle_run(as_of=as_of)
        figures = {
            "cycle": cycle.pk,
            "as_of": cycle.as_of.isoformat(),
            "data_to": cycle.period_end.isoformat(),
            "model_version": cycle.model.version,
            "clients": cycle.clients,
            "proposals": {"promote": cycle.promote, "demote": cycle.demote, "keep": cycle.keep},
            "seconds": cycle.seconds,
        }
        if options["json"]:
            self.stdout.write(json.dumps(figures))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Cycle #%(cycle)s as of %(as_of)s (data to %(data_to)s, model "
                        "v%(model_version)s): %(clients)s clients; proposals: %(promote)s to "
                        "promote, %(demote)s to demote, %(keep)s unchanged; %(seconds).1f s"
                    )
                    % {**figures, **figures["proposals"]}  # type: ignore[dict-item]
                )
            )
        sys.stdout.flush()


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"
