"""Errors are JSON ``{"detail": "..."}`` with the status that says what went wrong.

django-ninja already answers 401 (no or bad credentials), 422 (parameters not matching the
document, ``detail`` a list) and its own HttpError; these handlers add what services and
Django raise, so bad input never turns into a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI

security_logger = logging.getLogger("django.security")


def validation_message(error: ValidationError) -> str:
    """One line from a Django ValidationError: ``field: message; other: message``."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            " ".join(messages) if field == "__all__" else f"{field}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def error_item(loc: list[str | int], message: str, code: str | None = None) -> dict[str, Any]:
    """One entry of a 422's ``detail``: where (``loc``), what, and its kind."""
    return {"type": code or "value_error", "loc": loc, "msg": message}


def install_error_handlers(api: NinjaAPI) -> None:
    def bad_input(request: HttpRequest, exc: Any) -> HttpResponse:
        assert isinstance(exc, ValidationError)
        return api.create_response(request, {"detail": validation_message(exc)}, status=400)

    def malformed(request: HttpRequest, exc: Any) -> HttpResponse:
        if isinstance(exc, SuspiciousOperation):
            security_logger.warning("API request refused: %s", exc)
        message = _("The request could not be read: %(why)s") % {"why": exc}
        return api.create_response(request, {"detail": message}, status=400)

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        message = str(exc) or _("You do not have permission to do this.")
        return api.create_response(request, {"detail": message}, status=403)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    api.add_exception_handler(ValidationError, bad_input)
    for malformed_request in (BadRequest, SuspiciousOperation, MultiPartParserError):
        api.add_exception_handler(malformed_request, malformed)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(Http404, not_found)
