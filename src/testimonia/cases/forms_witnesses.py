"""Forms of the witness and redaction pages (cases/views_witnesses.py, views_redaction.py).

The intake form is the only one that carries an identity, typed once: its fields ask the
browser not to remember what was typed (autocomplete off, no spell checking sent anywhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from testimonia.cases.identity import LIMITS, MAX_REASON
from testimonia.cases.mechanisms import display_name
from testimonia.cases.models import Consent, Mechanism, ProtectionMeasure, Witness

PRIVATE = {"autocomplete": "off", "spellcheck": "false", "dir": "auto"}


def mechanism_choices() -> list[tuple[str, str]]:
    rows = Mechanism.objects.filter(active=True).order_by("position", "slug")
    return [(m.slug, f"{display_name(m)} ({m.slug})") for m in rows]


class IntakeForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=LIMITS["name"],
        widget=forms.TextInput(attrs=PRIVATE),
        help_text=_("Encrypted at once; afterwards everyone sees only the pseudonym."),
    )
    contacts = forms.CharField(
        label=_("Contacts"),
        max_length=LIMITS["contacts"],
        required=False,
        widget=forms.Textarea(attrs={**PRIVATE, "rows": 2}),
        help_text=_("Phone numbers, e-mail, how to reach the witness safely (encrypted)."),
    )
    details = forms.CharField(
        label=_("Other identifying details"),
        max_length=LIMITS["details"],
        required=False,
        widget=forms.Textarea(attrs={**PRIVATE, "rows": 3}),
        help_text=_("Names in other scripts, ID numbers, family (encrypted)."),
    )
    consent = forms.MultipleChoiceField(
        label=_("Consents to be shared with"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent_form = forms.ChoiceField(
        label=_("Form of that consent"), choices=Consent.Form.choices, initial=Consent.Form.ORAL
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].choices = mechanism_choices()  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=Consent.Decision.choices,
        widget=forms.RadioSelect,
        initial=Consent.Decision.GRANTED,
    )
    scope = forms.ChoiceField(label=_("Consent"), choices=Consent.Scope.choices)
    mechanism = forms.ChoiceField(
        label=_("Mechanism"),
        required=False,
        help_text=_("For sharing and identification only."),
    )
    item = forms.TypedChoiceField(label=_("For"), required=False, coerce=int, empty_value=None)
    form = forms.ChoiceField(label=_("Form"), choices=Consent.Form.choices)
    effective_on = forms.DateField(
        label=_("Given or withdrawn on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: now."),
    )

    def __init__(self, *args: Any, items: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mechanism"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *mechanism_choices(),
        ]
        self.fields["item"].choices = [  # type: ignore[attr-defined]
            ("", _("everything the witness gave")),
            *[(str(pk), label) for pk, label in items],
        ]

    def effective_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("effective_on")
        if day is None:
            return None
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see this identity?"),
        max_length=MAX_REASON,
        widget=forms.TextInput(attrs={"autocomplete": "off", "dir": "auto"}),
        help_text=_(
            "Kept for good in the chain of custody with your name: refer to the witness by "
            "pseudonym, never by name."
        ),
    )


class ProtectionForm(forms.Form):
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=Witness.Risk.choices)
    measures = forms.MultipleChoiceField(
        label=_("Protection measures"),
        choices=ProtectionMeasure.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    risk_notes = forms.CharField(
        label=_("Risk notes"),
        max_length=LIMITS["risk_notes"],
        required=False,
        widget=forms.Textarea(attrs={**PRIVATE, "rows": 3}),
        help_text=_("Encrypted with the identity. Leave empty to keep the current notes."),
    )
