"""The demo's rulebook story, on a small generated company: an audit three weeks ago whose
incidents went through every state (explained, decided with sanctions, closed, dismissed,
escalated when not decided in time), today's audit over everything since last month, and an
override of the credit rule by the director — all through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.incidents.choices import IncidentKind, IncidentState
from kam.incidents.models import Incident, Sanction
from kam.rules.audit import audit_run
from kam.web.demo import demo_rulebook

pytestmark = pytest.mark.django_db


def test_the_demo_shows_incidents_in_every_state_and_an_override(demo_with_plans: dt.date) -> None:
    end = demo_with_plans
    story = demo_rulebook(end)
    states = set(Incident.objects.values_list("state", flat=True))
    assert states == set(IncidentState.values)
    assert Incident.objects.filter(escalated_at__isnull=False).exists()
    assert Sanction.objects.filter(kind__code="fine", amount__gt=0).exists()
    override = Incident.objects.get(kind=IncidentKind.OVERRIDE)
    assert override.overridden_by is not None and override.override_reason
    assert story["overridden"] == 1
    # Every `make demo` runs it again: the story is told once.
    again = demo_rulebook(end)
    assert again == {k: story[k] for k in again}
    # The nightly audit finds nothing new after the demo's own.
    assert audit_run(since=end.replace(day=1)).figures["incidents_opened"] == 0
    assert Incident.objects.count() == story["incidents"]
