"""GET /api/me: who the caller is to kam."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import Router

from kam.api.auth import request_user
from kam.api.schemas import ErrorOut, MeOut
from kam.web import access
from kam.web.models import UserPreference

router = Router(tags=["me"])


@router.get(
    "",
    response={200: MeOut, 401: ErrorOut},
    operation_id="me",
    summary="The caller: roles, employee record, language",
)
def me_endpoint(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    employee = access.user_employee(user)
    preference = UserPreference.objects.filter(user=user).first()
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "roles": sorted(access.user_roles(user)),
        "employee": None
        if employee is None
        else {
            "id": employee.pk,
            "code": employee.code,
            "name": employee.name,
            "department": employee.department.kind,
        },
        # The user's chosen language, else the one this request is answered in.
        "language": (preference.language if preference else "") or translation.get_language(),
    }
