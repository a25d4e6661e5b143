"""Links of a list page: the same query with some parameters changed (the page number
dropped), and each sortable column's link with its aria-sort. Every list (plans, rules,
incidents, deals, prospects, the committee's applications and decisions) builds them here."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import QueryDict


def query_link(base: str, params: QueryDict, **changes: str | None) -> str:
    """``base`` with the query ``params`` changed: each change replaces its key (None or "" drops
    it); the page number is always dropped."""
    query = params.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query.pop(key, None)
        if value:
            query[key] = value
    encoded = query.urlencode()
    return f"{base}?{encoded}" if encoded else base


def sort_links(
    base: str, params: QueryDict, sort: str, keys: Iterable[str]
) -> dict[str, dict[str, str]]:
    """Each sortable column's link (a second click on the sorted one reverses it) and its
    aria-sort (``sort`` is the current key, "-" first when descending)."""
    links = {}
    for key in keys:
        if sort == key:
            target, state = f"-{key}", "ascending"
        elif sort == f"-{key}":
            target, state = key, "descending"
        else:
            target, state = key, "none"
        links[key] = {"url": query_link(base, params, sort=target), "aria": state}
    return links
