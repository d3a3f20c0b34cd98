"""Forms of the person and organisation pages and of the relationship editing on an incident's
page. As in forms.py, what a record may hold is checked by the models (full_clean in
services.save); these forms add what a reader must be told before anything is saved (an age
range that ends before it starts, two primary names)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from testimonia.incidents.forms import LANGUAGES, act_type_choices
from testimonia.incidents.models import (
    DatePrecision,
    Involvement,
    Organisation,
    Person,
    PersonName,
)
from testimonia.incidents.services import AgeGroup

NAME_LANGUAGES = (("", _("other or unknown")), *LANGUAGES)


def unit_choices(workspace: Any, *, exclude: int | None = None) -> list[tuple[Any, str]]:
    units = Organisation.objects.filter(workspace=workspace).order_by("name", "pk")
    if exclude is not None:
        units = units.exclude(pk=exclude)
    return [("", "—")] + [(u.pk, u.name) for u in units]


# ---------------------------------------------------------------------------------------------
# Persons


class PersonFilterForm(forms.Form):
    """The filters of the persons list, read from the query string; invalid values are
    ignored, not fatal."""

    q = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"dir": "auto", "type": "search"}),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), required=False, choices=[("", "—"), *Person.Sex.choices]
    )
    age = forms.ChoiceField(
        label=_("Age"),
        required=False,
        choices=[
            ("", "—"),
            (AgeGroup.CHILD, _("children (under 18)")),
            (AgeGroup.ADULT, _("adults")),
            (AgeGroup.UNKNOWN, _("age unknown")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Civilian or combatant"),
        required=False,
        choices=[("", "—"), *Person.Status.choices],
    )

    def values(self) -> dict[str, str]:
        """The valid filters (an invalid one counts as not given)."""
        if not self.is_bound:
            return {}
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return {k: str(v).strip() for k, v in self.cleaned_data.items() if v}


class PersonForm(forms.ModelForm):  # type: ignore[type-arg]
    """A person's attributes (their names are edited beside it, in NameFormSet)."""

    class Meta:
        model = Person
        fields = [
            "kind",
            "sex",
            "age_min",
            "age_max",
            "date_of_birth",
            "date_of_birth_precision",
            "status",
            "group_size",
            "occupation",
            "deceased",
            "date_of_death",
            "affiliation",
            "sensitivity",
            "notes",
        ]
        labels = {"date_of_birth_precision": _("Precision of the date of birth")}
        help_texts = {
            "age_max": _("Leave empty when the age is known exactly."),
            "sensitivity": _("Confidential persons are never found by a name search."),
        }
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_of_death": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
            "occupation": forms.TextInput(attrs={"dir": "auto"}),
        }

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        affiliation = self.fields["affiliation"]
        affiliation.queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            workspace=workspace
        ).order_by("name", "pk")
        for name in ("age_min", "age_max"):
            self.fields[name].widget.attrs.update({"min": 0, "max": 130})
            self.fields[name].max_value = 130  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and high < low:
            raise forms.ValidationError(_("The age range ends before it starts."))
        if low is not None and high is None and {"age_min", "age_max"} & set(self.changed_data):
            # "to" left empty: the age is known exactly (as the incident page's victim form).
            data["age_max"] = low
        born, died = data.get("date_of_birth"), data.get("date_of_death")
        if born is not None and died is not None and died < born:
            raise forms.ValidationError(_("The date of death is before the date of birth."))
        return data


class NameForm(forms.Form):
    """One name of a person; `id` is empty for a name being added."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(
        label=_("Name"), max_length=300, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    language = forms.ChoiceField(
        label=_("Language or script"), choices=NAME_LANGUAGES, required=False, initial="ar"
    )
    kind = forms.CharField(
        label=_("Kind of name"),
        required=False,
        max_length=32,
        help_text=_("e.g. alias, kunya, transliteration"),
    )
    primary = forms.BooleanField(label=_("Primary name"), required=False)


def _deleted(form: forms.Form) -> bool:
    return bool(form.cleaned_data.get("DELETE"))


class BaseNameFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        primaries = [
            form
            for form in self.forms
            if form.cleaned_data and not _deleted(form) and form.cleaned_data.get("primary")
        ]
        if len(primaries) > 1:
            raise forms.ValidationError(_("Only one name can be the primary name."))

    def names(self) -> tuple[list[dict[str, Any]], list[int]]:
        """The names to keep or add (in order, one primary) and the ids of those to remove."""
        kept: list[dict[str, Any]] = []
        removed: list[int] = []
        for form in self.forms:
            data = form.cleaned_data
            if not data:  # an empty extra row
                continue
            if _deleted(form):
                if data.get("id"):
                    removed.append(int(data["id"]))
                continue
            kept.append(
                {
                    "id": data.get("id"),
                    "text": data["text"].strip(),
                    "language": data.get("language") or "",
                    "kind": (data.get("kind") or "").strip(),
                    "primary": bool(data.get("primary")),
                }
            )
        if kept and not any(n["primary"] for n in kept):
            kept[0]["primary"] = True
        return kept, removed


NameFormSet = cast(
    type[BaseNameFormSet],
    forms.formset_factory(
        NameForm, formset=BaseNameFormSet, extra=2, can_delete=True, max_num=50, validate_max=True
    ),
)


def name_initial(names: list[PersonName]) -> list[dict[str, Any]]:
    return [
        {"id": n.pk, "text": n.text, "language": n.language, "kind": n.kind, "primary": n.primary}
        for n in names
    ]


# ---------------------------------------------------------------------------------------------
# Organisations


class OrganisationEditForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=300, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    other_names = forms.CharField(
        label=_("Other names"),
        required=False,
        help_text=_("One per line."),
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)
    parent = forms.TypedChoiceField(
        label=_("Part of"), required=False, coerce=int, empty_value=None
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )

    def __init__(self, *args: Any, unit: Organisation, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": unit.name,
                "other_names": "\n".join(unit.other_names or []),
                "kind": unit.kind,
                "parent": unit.parent_id,
                "description": unit.description,
            },
        )
        super().__init__(*args, **kwargs)
        # Every other unit, those below this one included: choosing one of them is refused
        # by services.set_parent with the reason, rather than silently hidden.
        self.fields["parent"].choices = unit_choices(  # type: ignore[attr-defined]
            unit.workspace, exclude=unit.pk
        )

    def other_name_list(self) -> list[str]:
        lines = self.cleaned_data.get("other_names", "").splitlines()
        return [line.strip() for line in lines if line.strip()]


# ---------------------------------------------------------------------------------------------
# Acts and alleged perpetrators on an incident's page


class ActEditForm(forms.Form):
    """An act's own fields; the place is chosen from the gazetteer as on the incident form."""

    act_type = forms.ChoiceField(label=_("Type of act"))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )
    start_date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start_precision = forms.ChoiceField(
        label=_("Precision"), choices=DatePrecision.choices, initial="day"
    )
    end_date = forms.DateField(
        label=_("End date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    method = forms.CharField(
        label=_("Method of violence"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].choices = act_type_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start is not None and end is not None and end < start:
            raise forms.ValidationError(_("The act ends before it starts."))
        return data


class InvolvementEditForm(forms.Form):
    degree = forms.ChoiceField(label=_("Degree of involvement"), choices=Involvement.Degree.choices)
    role = forms.CharField(
        label=_("Role"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Involvement.Certainty.choices)
