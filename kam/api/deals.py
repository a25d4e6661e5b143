"""/api/deals (being built)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["deals"])
