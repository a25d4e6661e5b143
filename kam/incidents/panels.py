"""The incidents panel of the client card: the client's incidents the reader may see (active
first, the last ten) and the recent notices of recommendations about the client."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils.http import urlencode

from kam.clients.models import Client
from kam.incidents import selectors
from kam.incidents.choices import ACTIVE_STATES
from kam.rules.models import RuleNotice
from kam.web import access

SHOWN = 10


def client_incidents_panel(*, client: Client, user: Any) -> dict[str, Any]:
    scope = access.incident_scope(user, selectors.incidents_base().filter(client=client))
    ordered = scope.annotate(
        waiting=Case(
            When(state__in=ACTIVE_STATES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("waiting", "-opened_at", "-id")
    incidents = list(ordered[:SHOWN])
    notices = list(
        RuleNotice.objects.filter(client=client)
        .select_related("rule", "rule_version", "employee")
        .order_by("-found_at", "-id")[:SHOWN]
    )
    return {
        "incidents": incidents,
        "total": scope.count() if len(incidents) == SHOWN else len(incidents),
        "active": sum(1 for i in incidents if i.state in ACTIVE_STATES),
        "inbox_url": reverse("incidents:inbox")
        + "?"
        + urlencode({"tab": "all", "client": str(client.pk)}),
        "notices": notices,
    }
