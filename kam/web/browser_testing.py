"""What every browser test does first: give the test users a password and log one in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User

PASSWORD = "correct-horse-42"


def passwords_set(users: Iterable[User]) -> None:
    """Real password hashes for users the fixtures made (the browser logs in through the form)."""
    for user in users:
        user.set_password(PASSWORD)
        user.save()


def log_in(page: Any, live_server: object, login: str) -> None:
    page.goto(f"{live_server}/login/")
    page.fill("#id_username", login)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
