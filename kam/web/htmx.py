"""One helper decides full page or fragment, as in NetBox: an HTMX request that targets a
part of the page gets only that part's template, everything else the whole page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, fragment: str | None = None
) -> HttpResponse:
    """Render ``template``, or only ``fragment`` when HTMX asks for a partial update."""
    htmx = getattr(request, "htmx", None)
    if fragment and htmx and not htmx.boosted:
        return render(request, fragment, context)
    return render(request, template, context)
