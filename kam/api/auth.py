"""Who is calling: a bearer token (scripts) or the browser session (the docs page, HTMX)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth

from kam.api.services import api_token_use


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a live token of an active user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_use(secret=token)
        if api_token is None:
            # A wrong token is refused outright rather than falling back to the session:
            # a script should learn that its token is bad, not act as someone else.
            raise AuthenticationError
        # Code that reads request.user (audit, language) sees the token's owner.
        request.user = api_token.user
        return api_token.user


# Session auth checks CSRF on unsafe methods (ninja.security.SessionAuth).
AUTH = [BearerTokenAuth(), django_auth]


def request_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by one of AUTH)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


def require_role(request: HttpRequest) -> None:
    """The API is for users with a role, as the pages are (a user without one sees nothing)."""
    from kam.web import access

    if not access.can_use_app(request_user(request)):
        raise PermissionDenied(_("Your account has no role in kam yet."))
