"""The kam API: one NinjaAPI, mounted at /api/ (OpenAPI at /api/openapi.json, docs at /api/docs).

Every operation accepts a bearer token or the browser session and decides who sees what
through kam.web.access, calling the same selectors and services as the pages.
"""

from __future__ import annotations

from ninja import NinjaAPI

from kam.api import (
    assessment,
    clients,
    credit,
    deals,
    imports,
    incidents,
    keyaccounts,
    me,
    planning,
    rules,
    sales,
    tokens,
)
from kam.api.auth import AUTH
from kam.api.errors import install_error_handlers

api = NinjaAPI(
    title="kam API",
    version="1",
    description=(
        "Key accounts and sales discipline. Authenticate with `Authorization: Bearer <token>` "
        "(create one at POST /api/tokens while signed in) or the signed-in browser session "
        "(unsafe methods then need the CSRF token)."
    ),
    urls_namespace="api",
    docs_url="/docs",
    auth=AUTH,
)
install_error_handlers(api)
api.add_router("/clients", clients.router)
api.add_router("/imports", imports.router)
api.add_router("/tokens", tokens.router)
api.add_router("/me", me.router)
api.add_router("/assessment", assessment.router)
api.add_router("/key-accounts", keyaccounts.router)
api.add_router("/plans", planning.router)
api.add_router("/rules", rules.router)
api.add_router("/incidents", incidents.router)
api.add_router("/sales", sales.router)
api.add_router("/deals", deals.router)
api.add_router("/credit", credit.router)
