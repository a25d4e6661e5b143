from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.imports.models import ImportKind

MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    file = forms.FileField(label=_("File (CSV or XLSX)"))

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 GB; use `kam import`."))
        return upload
