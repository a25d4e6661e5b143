"""Planning follows the key-account department: a handover moves the open plans."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kam.keyaccounts.signals import responsibility_changed


@receiver(responsibility_changed, dispatch_uid="planning.owner_follows")
def _owner_follows(sender: Any, *, client: Any, manager: Any, user: Any, **kwargs: Any) -> None:
    from kam.planning.services import owner_follows

    if manager is not None:
        owner_follows(client=client, manager=manager, user=user)
