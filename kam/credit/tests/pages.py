"""Helpers of the credit pages' tests: the committee's company (kam.credit.testing), a logged-in
browser per person, applications filed and votes cast through the pages as people do."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from kam.credit.choices import VoteChoice
from kam.credit.models import CreditApplication
from kam.credit.services import application_submit, vote_cast
from kam.credit.testing import Committee
from kam.deals.models import Deal
from kam.deals.services import deal_create

TODAY = timezone.localdate()


def browser_for(committee: Committee, login: str) -> Browser:
    browser = Browser()
    browser.force_login(committee.users[login])
    return browser


def apply_url(client_id: int, deal_id: int | None = None) -> str:
    url = f"{reverse('credit:apply')}?client={client_id}"
    return f"{url}&deal={deal_id}" if deal_id else url


def application_filed(
    c: Committee, client: str = "C1", login: str = "erin", **extra: Any
) -> CreditApplication:
    """An application filed through the service (when the page itself is not under test)."""
    values: dict[str, Any] = {
        "requested_limit": "500 000",
        "requested_terms_days": 45,
        "justification": "Регулярные закупки, платит в срок.",
    }
    values.update(extra)
    return application_submit(client=c.clients[client], user=c.users[login], **values)


def voted(
    c: Committee,
    application: CreditApplication,
    login: str,
    choice: str = VoteChoice.APPROVE,
    **extra: Any,
) -> None:
    vote_cast(application=application, user=c.users[login], choice=choice, **extra)


def vote_posted(
    c: Committee,
    application: CreditApplication,
    login: str,
    choice: str = VoteChoice.APPROVE,
    *,
    confirmed: bool = True,
    **extra: str,
) -> Any:
    """A member's vote through the page (confirmed, as the browser's dialog does)."""
    data = {"vote-choice": choice, "vote-confirmed": "1" if confirmed else ""}
    data.update({f"vote-{k}": v for k, v in extra.items()})
    return browser_for(c, login).post(reverse("credit:vote", args=[application.pk]), data)


def deal_made(c: Committee, client: str = "C1", login: str = "erin", terms: int = 45) -> Deal:
    return deal_create(
        user=c.users[login],
        client=c.clients[client],
        title="Поставка бумаги на квартал",
        amount="300 000",
        payment_terms_days=terms,
        expected_close=TODAY + dt.timedelta(days=20),
    )
