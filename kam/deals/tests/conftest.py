"""The pipeline pages' tests use the web tests' company (one user per role)."""

from kam.web.tests.conftest import company  # noqa: F401
