"""The pipeline: the deals the user may see as a board (a column per stage headed by its count
and amount) or as a table (filters, sorting, pagination, CSV/XLSX export).

One deal's card, the new deal form and the moves are in deal_views; the prospects in
prospect_views. Every permission is asked of kam.web.access; reads go through
kam.deals.selectors and filters.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.deals import selectors
from kam.deals.choices import DealStage
from kam.deals.filters import (
    DEAL_DEFAULT_SORT,
    DEAL_SORTS,
    DealFilterSet,
    DealTableFilterSet,
    sort_deals,
    sort_key,
)
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page
from kam.web.querystring import query_link as link
from kam.web.querystring import sort_links
from kam.web.widgets import FastSelect

PAGE_SIZE = 50
BOARD, TABLE = "board", "table"


def _tune(form: Any) -> None:
    form.fields["owner"].widget = FastSelect(options=selectors.employee_filter_options)


def _filtered(request: HttpRequest, mode: str) -> tuple[Any, Any]:
    """The filter set of the mode over the user's deals, and its deals."""
    filters = DealTableFilterSet if mode == TABLE else DealFilterSet
    filterset = filters(request.GET, queryset=selectors.deals_visible(request.user))
    _tune(filterset.form)
    return filterset, filterset.qs


@login_required
def pipeline_view(request: HttpRequest) -> HttpResponse:
    access.require_role(request)
    mode = TABLE if request.GET.get("view") == TABLE else BOARD
    filterset, deals = _filtered(request, mode)
    base = reverse("deals:pipeline")
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    context: dict[str, Any] = {
        "mode": mode,
        "form": filterset.form,
        "filterset": filterset,
        "today": timezone.localdate(),
        "late_stages": selectors.LATE_STAGES,
        "query_string": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "board_url": link(base, params, view=None, sort=None, stage=None, closed=None),
        "table_url": link(base, params, view=TABLE),
        "current_url": request.get_full_path(),
        "filtered": any(
            v for k, vs in request.GET.lists() if k not in ("view", "sort", "page") for v in vs
        ),
        "can_create": access.can_work_deals(request.user),
        "client": _client_of(request),
        "client_clear_url": link(base, params, client=None),
        "nav": "deals",
    }
    if mode == BOARD:
        columns, totals = selectors.board(deals)
        _board_moves(request, columns)
        context.update(
            columns=columns,
            totals=totals,
            editable=any(d.board_editable for c in columns for d in c.deals),  # type: ignore[attr-defined]
            lost_url=link(base, params, view=TABLE, stage=DealStage.LOST),
        )
        fragment = "deals/_board.html"
    else:
        sort = sort_key(request.GET.get("sort", ""), DEAL_SORTS, DEAL_DEFAULT_SORT)
        page = Paginator(sort_deals(deals, sort), PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            page=page,
            sort=sort,
            sort_links=sort_links(base, params, sort, DEAL_SORTS),
        )
        fragment = "deals/_table.html"
    return render_page(request, "deals/pipeline.html", context, fragment=fragment)


def _client_of(request: HttpRequest) -> Any:
    """The client the list is narrowed to (from the client card's link), if the user sees it."""
    client_id = request.GET.get("client", "")
    if not client_id.isdigit():
        return None
    return access.client_scope(request.user).filter(pk=client_id).only("pk", "name", "code").first()


def _board_moves(request: HttpRequest, columns: list[selectors.Column]) -> None:
    """Mark each card the user may move (draggable) with its next stage (the button under it;
    none at the end of the pipeline, or where a prospect's deal waits for its conversion)."""
    for column in columns:
        for deal in column.deals:
            editable = access.can_edit_deal(request.user, deal)
            step = selectors.deal_moves(deal).next if editable else None
            deal.board_editable = editable  # type: ignore[attr-defined]
            deal.board_next = step  # type: ignore[attr-defined]
            deal.board_next_label = DealStage(step).label if step else ""  # type: ignore[attr-defined]


EXPORT_HEADER = [
    "number",
    "title",
    "client_code",
    "client",
    "prospect",
    "owner_code",
    "owner",
    "amount",
    "payment_terms_days",
    "deferred",
    "product_groups",
    "expected_close",
    "late",
    "stage",
    "stage_since",
    "lost_reason",
    "created",
]


@login_required
def pipeline_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The table's deals as filtered and sorted on the page, every one of them."""
    access.require_role(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _filterset, deals = _filtered(request, TABLE)
    sort = sort_key(request.GET.get("sort", ""), DEAL_SORTS, DEAL_DEFAULT_SORT)
    today = timezone.localdate()

    def rows():  # type: ignore[no-untyped-def]
        for deal in sort_deals(deals, sort).iterator(chunk_size=2000):
            yield [
                deal.number,
                deal.title,
                deal.client.code if deal.client else "",
                deal.client.name if deal.client else "",
                deal.prospect.name if deal.prospect else "",
                deal.owner.code,
                deal.owner.name,
                deal.amount,
                deal.payment_terms_days,
                _("yes") if deal.payment_terms_days > 0 else "",
                ", ".join(deal.product_groups or []),
                deal.expected_close,
                _("yes") if selectors.is_late(deal, today) else "",
                deal.get_stage_display(),
                timezone.localtime(deal.stage_since).replace(tzinfo=None),
                deal.lost_reason,
                timezone.localtime(deal.created_at).replace(tzinfo=None),
            ]

    stamp = today.isoformat()
    if fmt == "csv":
        return csv_response(f"deals-{stamp}.csv", EXPORT_HEADER, rows())
    return xlsx_response(f"deals-{stamp}.xlsx", _("Deals"), EXPORT_HEADER, rows())
