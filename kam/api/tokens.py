"""/api/tokens: every signed-in user manages their own API tokens."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import P, PathEx, Router, Status

from kam.api.auth import request_user
from kam.api.models import ApiToken
from kam.api.schemas import (
    MAX_ID,
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    ErrorOut,
    ValidationErrorOut,
)
from kam.api.selectors import api_token_list
from kam.api.services import api_token_create, api_token_revoke

router = Router(tags=["tokens"])


@router.get(
    "",
    response={200: list[ApiTokenOut], 401: ErrorOut},
    operation_id="token_list",
    summary="The caller's tokens, revoked ones included (never their secrets)",
)
def token_list_endpoint(request: HttpRequest) -> list[ApiToken]:
    return list(api_token_list(user=request_user(request)))


@router.post(
    "",
    response={
        201: ApiTokenCreatedOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ValidationErrorOut,
    },
    operation_id="token_create",
    summary="Create a token; its secret is in this response only",
)
def token_create_endpoint(request: HttpRequest, payload: ApiTokenIn) -> Status[dict[str, Any]]:
    token, secret = api_token_create(user=request_user(request), name=payload.name)
    return Status(
        201,
        {
            "id": token.pk,
            "name": token.name,
            "prefix": token.prefix,
            "token": secret,
            "created_at": token.created_at,
        },
    )


@router.delete(
    "/{token_id}",
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    operation_id="token_revoke",
    summary="Revoke one of the caller's tokens (revoking twice is harmless)",
)
def token_revoke_endpoint(
    request: HttpRequest, token_id: PathEx[int, P(ge=1, le=MAX_ID)]
) -> Status[None]:
    user = request_user(request)
    token = api_token_list(user=user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token, by=user)
    return Status(204, None)
