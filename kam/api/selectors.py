"""Reads about API tokens shared by the API and the tokens page."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from kam.api.models import ApiToken


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, revoked ones included (newest first)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
