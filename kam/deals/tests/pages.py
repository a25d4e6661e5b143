"""Deals and prospects with known people for the page tests (the web tests' company: charlie
and dave key-account managers keeping C1 and C2, erin a sales rep keeping C3, C4 nobody's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client as Browser
from django.utils import timezone

from kam.deals.models import Deal, Prospect
from kam.deals.services import deal_create, deal_move, prospect_create
from kam.web.tests.conftest import Company

TODAY = timezone.localdate()


def browser_for(company: Company, login: str) -> Browser:
    browser = Browser()
    browser.force_login(company.users[login])
    return browser


def a_deal(
    company: Company,
    owner: str,
    client: str | None = None,
    *,
    prospect: Prospect | None = None,
    title: str = "Бумага на квартал",
    amount: str = "100 000",
    terms: int = 0,
    close_in: int = 20,
    stages: tuple[str, ...] = (),
    **values: Any,
) -> Deal:
    """A deal made by the system for ``owner``, moved through ``stages`` (no guard in the way:
    terms 0, or stages before the contract)."""
    deal = deal_create(
        user=None,
        client=company.clients[client] if client else None,
        prospect=prospect,
        owner=company.employees[owner],
        title=title,
        amount=amount,
        payment_terms_days=terms,
        expected_close=TODAY + dt.timedelta(days=close_in),
        **values,
    )
    for stage in stages:
        deal = deal_move(deal=deal, user=None, stage=stage)
    return deal


def a_prospect(
    company: Company, owner: str = "erin", name: str = "ООО «Новый»", **details: Any
) -> Prospect:
    return prospect_create(
        user=None, name=name, source="referral", owner=company.employees[owner], **details
    )
