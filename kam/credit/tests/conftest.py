"""The credit pages' tests: the committee's company (cora chairs, mike and nina sit on it;
erin keeps C1, charlie K1, nina N1) and, for the permission matrix, the web tests' company."""

from __future__ import annotations

import pytest

from kam.credit.testing import Committee, committee_create
from kam.web.tests.conftest import company  # noqa: F401


@pytest.fixture
def committee(db: None) -> Committee:
    return committee_create()
