"""The credit panel of the client card: the limit allowed today, the exposure against it, what
is left, the terms and the expiry; the history of decisions and of the applications the reader
may see; the way to apply (or to the application already awaiting votes)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from kam.clients.models import Client
from kam.credit import selectors
from kam.credit.choices import ApplicationState
from kam.credit.services import credit_position
from kam.web import access

SHOWN = 10


def client_credit_panel(*, client: Client, user: Any) -> dict[str, Any]:
    today = timezone.localdate()
    position = credit_position(client, today)
    decisions = list(selectors.decisions_base(today).filter(client=client)[:SHOWN])
    applications = list(
        access.credit_application_scope(user, selectors.applications_base())
        .filter(client=client)
        .order_by("-created_at", "-id")[:SHOWN]
    )
    pending = next((a for a in applications if a.state == ApplicationState.PENDING), None)
    used_pct = None
    if position.limit:
        used_pct = min(round(float(position.exposure / position.limit) * 100), 100)
    reads_register = access.can_view_credit(user)
    return {
        "position": position,
        "used_pct": used_pct,
        "over_limit": position.available is not None and position.available < 0,
        "decisions": decisions,
        "applications": applications,
        "pending": pending,
        "can_apply": access.can_apply_for_credit(user, client),
        "apply_url": reverse("credit:apply") + "?" + urlencode({"client": client.pk}),
        "register_url": reverse("credit:decisions") + "?" + urlencode({"client": client.pk})
        if reads_register
        else "",
        "applications_url": reverse("credit:inbox") + "?" + urlencode({"client": client.pk}),
    }
