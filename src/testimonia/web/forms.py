from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Identifier"),
        max_length=64,
        required=False,
        help_text=_(
            "Latin letters, digits and hyphens, used in addresses. Leave empty to derive "
            "it from the name."
        ),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
