from __future__ import annotations

from django import forms

from kam.clients.models import Client
from kam.clients.services import PROFILE_FIELDS


class ClientProfileForm(forms.ModelForm):
    """Collected facts; the model's validators (non-negative amounts…) apply."""

    class Meta:
        model = Client
        fields = list(PROFILE_FIELDS)
