"""Test set-up shared by every app: English messages, fixed users, data directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Assertions read the English texts; Russian is checked by the translation tests.
os.environ.setdefault("KAM_LANGUAGE", "en")

SHARED = Path(__file__).resolve().parent.parent / "shared"
DATASETS = SHARED / "datasets"


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    # Argon2 is slow on purpose; tests that create users do not need it (one test checks it).
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    with translation.override("en"):
        yield


@pytest.fixture
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"shared datasets not found at {DATASETS}")
    return DATASETS
