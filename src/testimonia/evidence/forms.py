from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from testimonia.evidence.models import Derivation


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    # Not "files": that name is the bound form's uploaded-files attribute.
    uploads = MultipleFileField(label=_("Files"))
    source = forms.CharField(
        label=_("Source"),
        max_length=500,
        required=False,
        help_text=_("Where the files came from: a person's pseudonym, a channel, an organisation."),
    )


class DerivativeForm(forms.Form):
    upload = forms.FileField(label=_("Derived file"))
    derivation = forms.ChoiceField(label=_("Kind"), choices=Derivation.choices)
    method = forms.CharField(
        label=_("How it was made"),
        max_length=500,
        required=False,
        help_text=_("The tool and what was done, e.g. faces blurred with a named editor."),
    )
