"""The user's API tokens: make one (the secret is shown once), see them, revoke one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kam.api.models import ApiToken
from kam.api.selectors import api_token_list
from kam.api.services import api_token_create, api_token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("What the token is for"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. nightly export from 1C")}),
    )


@login_required
def token_list_view(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        token, secret = api_token_create(
            user=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
        )
        messages.success(
            request,
            _("Token “%(name)s” created. Copy it now: it is not shown again.")
            % {"name": token.name},
        )
        form = TokenForm()
    tokens = api_token_list(user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "web/tokens.html",
        {"form": form, "tokens": tokens, "secret": secret, "nav": "tokens"},
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, by=request.user)  # type: ignore[arg-type]
    messages.info(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("tokens")
