"""A select that renders in Python: Django's template-based Select costs ~50 µs per option,
which a list of a thousand sales reps turns into the slowest part of the client list."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

Options = Callable[[], Iterable[tuple[Any, str]]]


class FastSelect(forms.Select):
    """A select whose options come from ``options`` at render time, after an "All" entry
    (empty value); the field behind it may accept values beyond the options."""

    def __init__(self, attrs: dict[str, Any] | None = None, *, options: Options | None = None):
        super().__init__(attrs)
        self.options_source = options

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        selected = "" if value is None else str(value)
        choices = list(self.options_source()) if self.options_source else list(self.choices)
        if self.options_source:
            choices.insert(0, ("", _("All")))
        attributes = "".join(
            f' {escape(str(k))}="{escape(str(v))}"'
            for k, v in final.items()
            if v is not None and v is not False
        )
        options = "".join(
            f'<option value="{escape(str(key))}"'
            f"{' selected' if str(key) == selected else ''}>{escape(str(label))}</option>"
            for key, label in choices
        )
        return mark_safe(f"<select{attributes}>{options}</select>")  # every part escaped above
