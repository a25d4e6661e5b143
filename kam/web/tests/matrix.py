"""Shorthands of the pages' permission matrix: the expected status code per role."""

from __future__ import annotations

from kam.web.tests.conftest import ROLES


def answers(default: int, anonymous: int = 302, **per_role: int) -> dict[str, int]:
    table = {role: default for role in ROLES}
    table["anonymous"] = anonymous
    table.update(per_role)
    return table


def only(allowed: list[str], yes: int, no: int = 403, anonymous: int = 302) -> dict[str, int]:
    return {"anonymous": anonymous, **{r: yes if r in allowed else no for r in ROLES}}
