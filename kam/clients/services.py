"""Writes to clients: the profile facts and contacts staff collect (the ledger says the rest)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kam.audit.services import audit_record
from kam.clients.filters import filter_choices_reset
from kam.clients.models import Client, Contact
from kam.clients.profile import PROFILE_FACTS
from kam.web import access

# The facts a person collects about a client; code and name come from the accounting system.
PROFILE_FIELDS = tuple(name for name, _label in PROFILE_FACTS)


@transaction.atomic
def client_profile_update(
    *, client: Client, user: AbstractBaseUser | AnonymousUser, **facts: Any
) -> Client:
    """Change collected profile facts; refuses who may not edit; records before → after."""
    if not access.can_edit_client(user, client):
        raise PermissionDenied(_("You may not change this client."))
    unknown = set(facts) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile facts: {sorted(unknown)}")
    client = Client.objects.select_for_update().get(pk=client.pk)
    changes = {}
    for name, value in facts.items():
        before = getattr(client, name)
        if before != value:
            changes[name] = {
                "before": None if before is None else str(before),
                "after": None if value is None else str(value),
            }
            setattr(client, name, value)
    if not changes:
        return client
    client.full_clean()
    client.save(update_fields=[*changes, "updated_at"])
    audit_record(
        actor=user,
        action="client.profile_updated",
        obj=client,
        summary=f"{client.code}: {', '.join(changes)}",
        data=changes,
    )
    filter_choices_reset()
    return client


# The facts of a contact person a user enters on the client card.
CONTACT_FIELDS = ("name", "position", "phone", "email", "is_decision_maker")


@transaction.atomic
def contact_add(*, client: Client, user: AbstractBaseUser | AnonymousUser, **facts: Any) -> Contact:
    """Add a person at the client (a decision maker counts for the data collection)."""
    if not access.can_edit_client(user, client):
        raise PermissionDenied(_("You may not change this client."))
    unknown = set(facts) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not contact facts: {sorted(unknown)}")
    contact = Contact(client=client, **facts)
    contact.full_clean()
    contact.save()
    audit_record(
        actor=user,
        action="client.contact_added",
        obj=client,
        summary=f"{client.code}: {contact.name}"
        + (" (decision maker)" if contact.is_decision_maker else ""),
        data={"contact_id": contact.pk, **{name: getattr(contact, name) for name in facts}},
    )
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, user: AbstractBaseUser | AnonymousUser) -> None:
    """Remove a person from the client's contacts; the audit row keeps who it was."""
    client = contact.client
    if not access.can_edit_client(user, client):
        raise PermissionDenied(_("You may not change this client."))
    facts = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    contact_id = contact.pk
    contact.delete()
    audit_record(
        actor=user,
        action="client.contact_deleted",
        obj=client,
        summary=f"{client.code}: {facts['name']}",
        data={"contact_id": contact_id, **facts},
    )
