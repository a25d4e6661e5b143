"""Writes to clients: the profile facts staff collect (the ledger says the rest)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kam.audit.services import audit_record
from kam.clients.filters import filter_choices_reset
from kam.clients.models import Client
from kam.web import access

# The facts a person collects about a client; code and name come from the accounting system.
PROFILE_FIELDS = (
    "tax_id",
    "industry",
    "region",
    "employees",
    "annual_revenue",
    "purchase_potential",
)


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
