"""Forms of the legal pages. They check the shape of what is posted (a known crime, a known
strength, a record of this workspace); legal/services.py decides the rest (who may, what the
qualification's status allows) and its refusals are shown beside the form."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from testimonia.legal import catalogue
from testimonia.legal.models import STRENGTH_CHOICES, Qualification
from testimonia.legal.services import MAX_TEXT

# A record offered as support: "kind:id" (item:12, act:4, person:7).
TARGET_KINDS = ("item", "source", "incident", "act", "person", "organisation", "involvement")
QUERY_KEYS = frozenset({"incident_ids", "filter"})


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "dir": "auto"})


def set_choices(form: forms.Form, name: str, choices: Sequence[tuple[Any, Any]]) -> None:
    """Set the choices of a choice field of the form (built per request: records, crimes)."""
    form.fields[name].choices = list(choices)  # type: ignore[attr-defined]  # a ChoiceField


def find_crime(reference: str) -> catalogue.Crime:
    """The crime a user typed: its id or article (`RS-7-1-a`, `7(1)(a)`), the option text of
    the list (`7(1)(a) Murder`), or a name that only one crime has."""
    text = reference.strip()
    if not text:
        raise ValidationError(_("Choose a crime."))
    try:
        return catalogue.crime(text)
    except catalogue.UnknownEntry as exc:
        unknown = exc
    words = text.split()
    for head in (" ".join(words[:2]), words[0]):  # "8 bis Aggression", "7(1)(a) Murder"
        try:
            return catalogue.crime(head)
        except catalogue.UnknownEntry:
            continue
    named = [c for c in catalogue.crimes() if c.name.casefold() == text.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        raise ValidationError(
            _("Several crimes are named %(name)s: choose one by its article (%(articles)s).")
            % {"name": text, "articles": ", ".join(c.article for c in named)}
        )
    raise ValidationError(str(unknown))


def crime_option(crime: catalogue.Crime) -> str:
    """A crime as the searchable list shows it: the article and the name."""
    return f"{crime.article} {crime.name}"


class QualifyForm(forms.Form):
    """Qualify the incident or one of its acts as a candidate crime."""

    target = forms.ChoiceField(label=_("What is qualified"))
    crime = forms.CharField(
        label=_("Crime"),
        max_length=200,
        help_text=_("Type the article (7(1)(a)) or the name (murder) and choose from the list."),
        widget=forms.TextInput(attrs={"list": "crime-options", "autocomplete": "off"}),
    )
    reasoning = forms.CharField(
        label=_("Reasoning"), required=False, max_length=MAX_TEXT, widget=_textarea(3)
    )

    def __init__(self, *args: Any, targets: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "target", list(targets))

    def clean_crime(self) -> catalogue.Crime:
        return find_crime(self.cleaned_data["crime"])


class DecisionForm(forms.Form):
    """Accept, reject or reopen a qualification; the reasons are required."""

    ACTIONS = {
        "accept": Qualification.Status.ACCEPTED,
        "reject": Qualification.Status.REJECTED,
        "reopen": Qualification.Status.CANDIDATE,
    }

    CHOICES = (
        ("accept", _("accept")),
        ("reject", _("reject")),
        ("reopen", _("reopen as a candidate")),
    )

    decision = forms.ChoiceField(label=_("Decision"), choices=CHOICES)
    reasoning = forms.CharField(
        label=_("Reasons for the decision"), max_length=MAX_TEXT, widget=_textarea(3)
    )

    def __init__(self, *args: Any, status: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the decisions that change something are offered.
        set_choices(
            self, "decision", [(k, v) for k, v in self.CHOICES if self.ACTIONS[k] != status]
        )


class LiabilityForm(forms.Form):
    """Name a suspect (a person or a unit) and the mode of liability alleged."""

    suspect = forms.ChoiceField(label=_("Suspect"), required=False)
    person = forms.IntegerField(
        label=_("or a person's id"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"dir": "ltr"}),
    )
    mode = forms.ChoiceField(label=_("Mode of liability"))
    reasoning = forms.CharField(
        label=_("Reasoning"), required=False, max_length=MAX_TEXT, widget=_textarea(2)
    )

    def __init__(self, *args: Any, suspects: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "suspect", [("", "—"), *suspects])
        set_choices(self, "mode", [(m.id, f"{m.article} {m.name}") for m in catalogue.modes()])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("suspect")) == (data.get("person") is not None):
            raise ValidationError(_("Choose a suspect from the list, or give a person's id."))
        return data

    def suspect_key(self) -> tuple[str, int]:
        """("person" or "organisation", id)."""
        if self.cleaned_data.get("person") is not None:
            return "person", int(self.cleaned_data["person"])
        kind, _sep, pk = str(self.cleaned_data["suspect"]).partition(":")
        return kind, int(pk)


def _strength_field(*, blank: bool) -> forms.ChoiceField:
    """A strength; for a link there is no default (it must be chosen), for an assessment the
    blank choice clears it."""
    empty = _("not assessed") if blank else "—"
    return forms.ChoiceField(
        label=_("Strength"), choices=[("", empty), *STRENGTH_CHOICES], required=not blank
    )


class AssessForm(forms.Form):
    """The legal officer's strength for an element as a whole (blank: not assessed)."""

    strength = _strength_field(blank=True)
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_TEXT, widget=_textarea())


class LinkForm(forms.Form):
    """Link a record that supports an element: chosen from the list, or an evidence item of
    the workspace by its id."""

    target = forms.ChoiceField(label=_("Evidence or fact"), required=False)
    item = forms.IntegerField(
        label=_("or an evidence item's id"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"dir": "ltr"}),
    )
    strength = _strength_field(blank=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_TEXT, widget=_textarea())

    def __init__(self, *args: Any, targets: Iterable[tuple[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "target", [("", "—"), *targets])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("target")) == (data.get("item") is not None):
            raise ValidationError(
                _("Choose one record from the list, or give an evidence item's id.")
            )
        return data

    def target_key(self) -> tuple[str, int]:
        """(kind, id) of the record to link."""
        if self.cleaned_data.get("item") is not None:
            return "item", int(self.cleaned_data["item"])
        kind, _sep, pk = str(self.cleaned_data["target"]).partition(":")
        return kind, int(pk)


class FindingForm(forms.Form):
    """A finding of the legal officer, in words, as support for an element."""

    text = forms.CharField(label=_("Finding"), max_length=MAX_TEXT, widget=_textarea(3))
    strength = _strength_field(blank=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_TEXT, widget=_textarea())


class IndicatorLinkForm(forms.Form):
    """Link the pattern indicators shown beside the element: the query that produced them
    travels with the form and is run again when they are linked."""

    query = forms.CharField(widget=forms.HiddenInput, max_length=MAX_TEXT)
    strength = _strength_field(blank=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_TEXT, widget=_textarea())

    def clean_query(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["query"])
        except json.JSONDecodeError:
            raise ValidationError(_("The query of the indicators is malformed.")) from None
        if not isinstance(value, dict) or len(value) != 1 or not set(value) <= QUERY_KEYS:
            raise ValidationError(_("The query of the indicators is malformed."))
        if "incident_ids" in value and not (
            isinstance(value["incident_ids"], list)
            and all(isinstance(i, int) for i in value["incident_ids"])
        ):
            raise ValidationError(_("The query of the indicators is malformed."))
        if "filter" in value and not isinstance(value["filter"], dict):
            raise ValidationError(_("The query of the indicators is malformed."))
        return value


class PatternForm(forms.Form):
    """The incidents over which the pattern indicators are computed (read from the query
    string): ids, or the facets of the incident list (none: every incident)."""

    ids = forms.CharField(
        label=_("Incident ids"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas or spaces; leave empty to select by the facets."),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    act_type = forms.MultipleChoiceField(label=_("Type of act"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, act_types: Sequence[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "act_type", list(act_types))

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data["ids"].replace(",", " ").split()
        if not all(part.isdigit() for part in raw):
            raise ValidationError(_("Give incident ids as whole numbers."))
        return sorted({int(part) for part in raw})

    def parameters(self) -> dict[str, Any]:
        """The query for legal/indicators.py."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("ids"):
            return {"incident_ids": data["ids"]}
        facets: dict[str, Any] = {}
        if data.get("act_type"):
            facets["act_types"] = list(data["act_type"])
        if data.get("date_from"):
            facets["date_from"] = data["date_from"].isoformat()
        if data.get("date_to"):
            facets["date_to"] = data["date_to"].isoformat()
        return {"filter": facets}


def query_json(parameters: dict[str, Any]) -> str:
    return json.dumps(parameters, sort_keys=True, separators=(",", ":"))
