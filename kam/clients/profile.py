"""The facts collected about a client: what the data-collection checklist asks for and how
complete a profile is (the assessment reads the same list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from kam.clients.models import Client

#: Profile fields a complete profile has, in checklist order.
PROFILE_FACTS: tuple[tuple[str, Any], ...] = (
    ("tax_id", _("Tax id (INN)")),
    ("industry", _("Industry")),
    ("region", _("Region")),
    ("employees", _("Number of employees")),
    ("annual_revenue", _("Annual revenue")),
    ("purchase_potential", _("Purchase potential: yearly purchases of our kind of goods")),
)
DECISION_MAKERS_LABEL = _("At least one decision maker among the contacts")
#: Checklist items: the facts plus the decision makers.
CHECKLIST_SIZE = len(PROFILE_FACTS) + 1


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: Any
    done: bool


def checklist(client: Client, decision_makers: int | None = None) -> list[ChecklistItem]:
    """What is known and what is still to collect about ``client``."""
    if decision_makers is None:
        decision_makers = client.contacts.filter(is_decision_maker=True).count()
    items = [
        ChecklistItem(name, label, getattr(client, name) not in (None, ""))
        for name, label in PROFILE_FACTS
    ]
    items.append(ChecklistItem("decision_makers", DECISION_MAKERS_LABEL, decision_makers > 0))
    return items


def completeness(items: list[ChecklistItem]) -> float:
    return sum(item.done for item in items) / len(items) if items else 0.0
