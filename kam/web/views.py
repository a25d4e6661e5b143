"""Home, sign-in with the user's language, the language switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kam.web import access
from kam.web.middleware import SESSION_KEY
from kam.web.models import UserPreference


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if access.can_use_app(request.user):
        return redirect("clients:list")
    return render(request, "web/no_role.html", status=403)


class LoginView(auth_views.LoginView):
    """Django's login; afterwards the user's saved language applies."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        preference = UserPreference.objects.filter(user=form.get_user()).first()
        if preference and preference.language:
            _remember_language(self.request, response, preference.language)
        return response


def _remember_language(request: HttpRequest, response: HttpResponse, language: str) -> None:
    request.session[SESSION_KEY] = language
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite="Lax",
        max_age=365 * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
    )


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Set the interface language; signed-in users keep it across devices."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        UserPreference.objects.update_or_create(user=request.user, defaults={"language": language})
    _remember_language(request, response, language)
    return response
