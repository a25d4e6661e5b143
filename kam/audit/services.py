"""Writing audit rows. Every service that changes something that matters calls this."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import models

from kam.audit.models import AuditEntry


def actor_label_for(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """A readable name for whoever acts: the user name, or the OS user for the CLI."""
    if user is not None and user.is_authenticated:
        return str(user.get_username())
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row for ``action`` done by ``actor`` on ``obj``."""
    user = actor if isinstance(actor, User) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=actor_label_for(actor),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary,
        data=data or {},
    )
