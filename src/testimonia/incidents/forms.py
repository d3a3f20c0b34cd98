"""Forms of the documentation database pages. Validation beyond field types happens in the
models (full_clean in services.save), so a form and the API refuse the same things."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from testimonia.incidents.models import (
    DatePrecision,
    Incident,
    IncidentLink,
    Involvement,
    Organisation,
    Person,
    Place,
    Term,
    Victimisation,
)
from testimonia.incidents.services import AgeGroup, IncidentFilter

LANGUAGES = (("en", "English"), ("ar", "العربية"), ("he", "עברית"))


def act_type_choices() -> list[tuple[str, Any]]:
    """Act types grouped under their top-level term, in the reader's language."""
    terms = list(Term.objects.filter(vocabulary="act_type", active=True).order_by("position"))
    top = [t for t in terms if t.parent_id is None]
    groups: list[tuple[str, Any]] = []
    for parent in top:
        children = [(t.code, t.label) for t in terms if t.parent_id == parent.pk]
        if children:
            groups.append((parent.label, [(parent.code, parent.label), *children]))
        else:
            groups.append((parent.code, parent.label))
    return groups


def area_choices() -> list[tuple[str, str]]:
    areas = Place.objects.filter(workspace=None, kind__in=["adm1", "adm2"], country_code="PS")
    ordered = sorted(areas, key=lambda p: (p.pcode[:4], len(p.pcode), p.name))
    return [("", "—")] + [
        (p.pcode, ("— " if p.kind == "adm2" else "") + p.name) for p in ordered if p.pcode
    ]


class FilterForm(forms.Form):
    """The facets, read from the query string; invalid values are ignored, not fatal."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.ChoiceField(label=_("Area"), required=False)
    act_type = forms.MultipleChoiceField(label=_("Type of act"), required=False)
    perpetrator = forms.TypedChoiceField(
        label=_("Alleged perpetrator"), required=False, coerce=int, empty_value=None
    )
    victim_sex = forms.ChoiceField(
        label=_("Victims' sex"), required=False, choices=[("", "—"), *Person.Sex.choices]
    )
    victim_age = forms.ChoiceField(
        label=_("Victims' age"),
        required=False,
        choices=[
            ("", "—"),
            (AgeGroup.CHILD, _("children (under 18)")),
            (AgeGroup.ADULT, _("adults")),
            (AgeGroup.UNKNOWN, _("age unknown")),
        ],
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        choices=Incident.Status.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=100)

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = area_choices()  # type: ignore[attr-defined]
        self.fields["act_type"].choices = act_type_choices()  # type: ignore[attr-defined]
        self.fields["perpetrator"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (o.pk, o.name) for o in Organisation.objects.filter(workspace=workspace)
        ]

    def to_filter(self) -> IncidentFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return IncidentFilter(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            place=data.get("place") or "",
            act_types=list(data.get("act_type") or []),
            perpetrator=data.get("perpetrator"),
            victim_sex=data.get("victim_sex") or "",
            victim_age=data.get("victim_age") or "",
            status=list(data.get("status") or []),
            tags=[data["tag"]] if data.get("tag") else [],
        )


class IncidentForm(forms.ModelForm):  # type: ignore[type-arg]
    title_ar = forms.CharField(label=_("Title in Arabic"), required=False, max_length=300)
    description_ar = forms.CharField(
        label=_("Description in Arabic"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "rtl"}),
    )
    title_he = forms.CharField(label=_("Title in Hebrew"), required=False, max_length=300)
    description_he = forms.CharField(
        label=_("Description in Hebrew"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "rtl"}),
    )
    title_en = forms.CharField(label=_("Title in English"), required=False, max_length=300)
    description_en = forms.CharField(
        label=_("Description in English"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))

    class Meta:
        model = Incident
        fields = [
            "title",
            "description",
            "language",
            "start_date",
            "start_time",
            "start_precision",
            "end_date",
            "end_time",
            "end_precision",
            "place",
            "place_name",
            "latitude",
            "longitude",
            "location_precision",
            "status",
            "sensitivity",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
            "title": forms.TextInput(attrs={"dir": "auto"}),
            "language": forms.Select(choices=LANGUAGES),
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].required = False
        instance = self.instance
        for lang in ("ar", "he", "en"):
            text = instance.translations.get(lang, {}) if instance.pk else {}
            self.fields[f"title_{lang}"].initial = text.get("title", "")
            self.fields[f"description_{lang}"].initial = text.get("description", "")
        if instance.pk:
            self.fields["tags"].initial = ", ".join(instance.tags.values_list("name", flat=True))

    def translations(self) -> dict[str, dict[str, str]]:
        result = {}
        for lang in ("ar", "he", "en"):
            title = self.cleaned_data.get(f"title_{lang}", "").strip()
            description = self.cleaned_data.get(f"description_{lang}", "").strip()
            if (title or description) and lang != self.cleaned_data.get("language"):
                result[lang] = {"title": title, "description": description}
        return result

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class ActForm(forms.Form):
    act_type = forms.ChoiceField(label=_("Type of act"))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
    )
    start_date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    start_precision = forms.ChoiceField(
        label=_("Precision"), choices=DatePrecision.choices, initial="day"
    )
    method = forms.CharField(label=_("Method of violence"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].choices = act_type_choices()  # type: ignore[attr-defined]


class VictimForm(forms.Form):
    """A victim of an act: an existing person by id, or a new one described here."""

    person = forms.IntegerField(label=_("Existing person (number)"), required=False, min_value=1)
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    name_language = forms.ChoiceField(
        label=_("Language of the name"), choices=LANGUAGES, initial="ar"
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Person.Sex.choices, initial="unknown")
    age_min = forms.IntegerField(label=_("Age (from)"), required=False, min_value=0, max_value=130)
    age_max = forms.IntegerField(label=_("Age (to)"), required=False, min_value=0, max_value=130)
    status = forms.ChoiceField(
        label=_("Civilian or combatant"), choices=Person.Status.choices, initial="unknown"
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Victimisation.Outcome.choices, initial="unknown"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("person") and not (data.get("name") or "").strip():
            raise forms.ValidationError(
                _("Give an existing person's number or a new person's name.")
            )
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and high < low:
            raise forms.ValidationError(_("The age range ends before it starts."))
        return data


class InvolvementForm(forms.Form):
    organisation = forms.TypedChoiceField(
        label=_("Unit or organisation"), required=False, coerce=int, empty_value=None
    )
    person = forms.IntegerField(label=_("Or a person (number)"), required=False, min_value=1)
    degree = forms.ChoiceField(
        label=_("Degree of involvement"), choices=Involvement.Degree.choices, initial="unknown"
    )
    certainty = forms.ChoiceField(
        label=_("Certainty"), choices=Involvement.Certainty.choices, initial="unknown"
    )
    role = forms.CharField(label=_("Role"), required=False, max_length=200)

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (o.pk, o.name) for o in Organisation.objects.filter(workspace=workspace)
        ]


class CitationForm(forms.Form):
    item = forms.IntegerField(label=_("Evidence item (number)"), required=False, min_value=1)
    source = forms.TypedChoiceField(
        label=_("Or a source"), required=False, coerce=int, empty_value=None
    )
    field = forms.ChoiceField(label=_("Supports"), required=False)
    note = forms.CharField(
        label=_("Where in it"),
        required=False,
        max_length=500,
        help_text=_("e.g. minute 03:12, page 4"),
    )

    def __init__(
        self, *args: Any, workspace: Any, fields: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        from testimonia.incidents.models import Source

        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (s.pk, s.title) for s in Source.objects.filter(workspace=workspace)
        ]
        self.fields["field"].choices = [("", _("the whole record")), *fields]  # type: ignore[attr-defined]


class LinkForm(forms.Form):
    target = forms.IntegerField(label=_("Incident (number)"), min_value=1)
    kind = forms.ChoiceField(label=_("Kind of link"), choices=IncidentLink.Kind.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class OrganisationForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=300, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)
    parent = forms.TypedChoiceField(
        label=_("Part of"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (o.pk, o.name) for o in Organisation.objects.filter(workspace=workspace)
        ]


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int)
    status = forms.ChoiceField(
        label=_("Set status"), required=False, choices=[("", "—"), *Incident.Status.choices]
    )
    add_tags = forms.CharField(label=_("Add tags"), required=False)
    remove_tags = forms.CharField(label=_("Remove tags"), required=False)

    def __init__(self, *args: Any, ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(i, i) for i in ids]  # type: ignore[attr-defined]
