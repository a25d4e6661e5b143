"""What the rulebook's page tests share: a logged-in browser, the editor's POST for a version,
and a small ledger of deferred sales with and without credit-committee decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.test import Client as Browser
from django.utils import timezone

from kam.credit.models import CreditDecision
from kam.ledger.models import SalesDocument
from kam.ledger.months import month_start
from kam.rules.forms import parameters_text
from kam.rules.models import RuleVersion
from kam.web.tests.conftest import Company

DEFERRED_RULE = "deferred_payment_requires_credit_approval"


def logged_in(company: Company, who: str) -> Browser:
    browser = Browser()
    browser.force_login(company.users[who])
    return browser


def version_post(version: RuleVersion, **changes: Any) -> dict[str, Any]:
    """What the editor posts for ``version`` unchanged, with ``changes`` applied."""
    data: dict[str, Any] = {
        "title_ru": version.title_ru,
        "title_en": version.title_en,
        "description_ru": version.description_ru,
        "description_en": version.description_en,
        "message_ru": version.message_ru,
        "message_en": version.message_en,
        "subprocess": version.subprocess,
        "kind": version.kind,
        "severity": version.severity,
        "parameters": parameters_text(version.parameters),
        "condition": version.condition,
        "violator": version.violator,
        "period": version.period,
        "handler_role": version.handler_role,
        "response_days": version.response_days,
        "default_sanction": version.default_sanction_id or "",
        "override_roles": list(version.override_roles),
        "notes": "",
    }
    data.update(changes)
    return data


@dataclass
class DeferredLedger:
    """Six sales documents over the last three months; three break the shipped rule."""

    months: dict[str, str]  # document → "YYYY-MM"
    broken: set[str]


def deferred_ledger(company: Company) -> DeferredLedger:
    """C1 (charlie's) holds a committee decision allowing 30 days; C2 (dave's) holds none.

    D-OK (C1, 30 days) and S1 (C1, 10 days, from the company fixture) are covered; D-CASH (C2)
    is not deferred; D-BAD-1 (C2, 30 days), D-BAD-2 (C2, 15 days) have no decision and D-LONG
    (C1, 45 days) is longer than its decision allows."""
    today = timezone.localdate()
    CreditDecision.objects.create(
        decision_no="CD-1",
        client=company.clients["C1"],
        date=today - dt.timedelta(days=400),
        credit_limit=Decimal("1000000"),
        max_terms_days=30,
    )
    people = company.employees
    rows = [
        ("D-OK", 3, "C1", 30, people["charlie"]),
        ("D-BAD-1", 3, "C2", 30, people["dave"]),
        ("D-BAD-2", 2, "C2", 15, people["dave"]),
        ("D-LONG", 2, "C1", 45, people["charlie"]),
        ("D-CASH", 1, "C2", 0, people["dave"]),
    ]
    months = {}
    for doc_no, back, client, terms, seller in rows:
        date = month_start(today, back) + dt.timedelta(days=4)
        SalesDocument.objects.create(
            doc_no=doc_no,
            date=date,
            client=company.clients[client],
            payment_terms_days=terms,
            due_date=date + dt.timedelta(days=terms),
            employee=seller,
            amount=Decimal("5000"),
            lines=1,
        )
        months[doc_no] = date.strftime("%Y-%m")
    s1 = SalesDocument.objects.get(doc_no="S1")
    months["S1"] = s1.date.strftime("%Y-%m")
    return DeferredLedger(months=months, broken={"D-BAD-1", "D-BAD-2", "D-LONG"})
