"""Creating, using and revoking API tokens; every change leaves an audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.api.models import ApiToken
from kam.audit.services import audit_record

PREFIX_LENGTH = 8
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
_MAX_SECRET_LENGTH = 128


def api_token_hash(secret: str) -> str:
    """The stored form of a secret (SHA-256, hex): a leaked table reveals no usable token."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; the secret is returned once here and never stored."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=secret[:PREFIX_LENGTH],
        key_hash=api_token_hash(secret),
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=user,
        action="api_token.created",
        obj=token,
        summary=f"API token “{token.name}” ({token.prefix}…) created",
        data={"name": token.name, "prefix": token.prefix},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke ``token`` (its owner, or an administrator); revoking twice changes nothing."""
    if token.user_id != by.pk and not by.has_perm("api.change_apitoken"):
        raise PermissionDenied(_("Only the token's owner may revoke it."))
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=by,
        action="api_token.revoked",
        obj=token,
        summary=f"API token “{token.name}” ({token.prefix}…) revoked",
        data={"name": token.name, "prefix": token.prefix, "owner": token.user_id},
    )
    return token


def api_token_use(*, secret: str) -> ApiToken | None:
    """The live token whose secret this is (its user active), marking it used; else None."""
    if not secret or len(secret) > _MAX_SECRET_LENGTH or not secret.isascii():
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=api_token_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
