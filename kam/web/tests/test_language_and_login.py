"""Language follows the browser until the user picks one; logins are throttled."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from kam.web.models import UserPreference
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db


def test_a_russian_browser_gets_russian(db: None) -> None:
    response = Browser().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    assert response.status_code == 200
    assert 'lang="ru"' in response.content.decode()


def test_an_english_browser_gets_english(db: None) -> None:
    response = Browser().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="en"' in response.content.decode()


def test_the_chosen_language_is_kept_for_the_user(company: Company) -> None:
    browser = Browser()
    browser.force_login(company.users["charlie"])
    response = browser.post(
        reverse("language"), {"language": "en", "next": "/clients/"}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 302 and response["Location"] == "/clients/"
    assert UserPreference.objects.get(user=company.users["charlie"]).language == "en"
    page = browser.get(reverse("clients:list"), HTTP_ACCEPT_LANGUAGE="ru")
    assert 'lang="en"' in page.content.decode()


def test_the_language_switch_refuses_foreign_redirects(company: Company) -> None:
    browser = Browser()
    response = browser.post(
        reverse("language"), {"language": "ru", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_login_applies_the_saved_language(company: Company) -> None:
    UserPreference.objects.create(user=company.users["bob"], language="en")
    company.users["bob"].set_password("correct-horse-42")
    company.users["bob"].save()
    browser = Browser()
    response = browser.post(
        reverse("login"),
        {"username": "bob", "password": "correct-horse-42"},
        HTTP_ACCEPT_LANGUAGE="ru",
        follow=True,
    )
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()


def test_repeated_failed_logins_are_locked_out(company: Company) -> None:
    browser = Browser()
    for _attempt in range(5):
        browser.post(reverse("login"), {"username": "bob", "password": "wrong"})
    company.users["bob"].set_password("correct-horse-42")
    company.users["bob"].save()
    response = browser.post(reverse("login"), {"username": "bob", "password": "correct-horse-42"})
    assert response.status_code == 429
    assert "_auth_user_id" not in browser.session


def test_passwords_are_hashed_with_argon2(settings: object) -> None:
    from django.conf import settings as live
    from django.contrib.auth.hashers import make_password

    live.PASSWORD_HASHERS = [h for h in live.PASSWORD_HASHERS if "MD5" not in h]
    assert make_password("correct-horse-42").startswith("argon2")
