"""Forms of the roadmap pages: the filters of the recommendation list and of the timeline, and
the form that records a status change with its evidence."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from testimonia.accounts.models import Workspace
from testimonia.evidence.models import Item
from testimonia.roadmap.models import Actor, Recommendation, Source, Status
from testimonia.roadmap.themes import themes_for

EVERY_ADDRESSEE = ""


def _theme_choices(workspace: Workspace) -> list[tuple[str, str]]:
    return [("", _("every theme"))] + [
        (t.code, t.label) for t in themes_for(workspace).filter(active=True).order_by("position")
    ]


class RecommendationFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        queryset=Actor.objects.none(),
        required=False,
        label=_("Addressee"),
        empty_label=_("every addressee"),
    )
    theme = forms.ChoiceField(required=False, label=_("Theme"))
    status = forms.ChoiceField(
        required=False,
        label=_("Status"),
        choices=[("", _("every status")), *Status.choices],
    )
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))
    q = forms.CharField(required=False, max_length=200, label=_("Words in the text"))

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor_field = cast("forms.ModelChoiceField[Any]", self.fields["actor"])
        actor_field.queryset = Actor.objects.filter(workspace=workspace).order_by("name")
        theme_field = cast(forms.ChoiceField, self.fields["theme"])
        theme_field.choices = _theme_choices(workspace)


class TimelineFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        queryset=Actor.objects.none(),
        required=False,
        label=_("Addressee"),
        empty_label=_("every addressee"),
    )
    theme = forms.ChoiceField(required=False, label=_("Theme"))

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor_field = cast("forms.ModelChoiceField[Any]", self.fields["actor"])
        actor_field.queryset = Actor.objects.filter(workspace=workspace).order_by("name")
        theme_field = cast(forms.ChoiceField, self.fields["theme"])
        theme_field.choices = _theme_choices(workspace)


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    date = forms.DateField(
        label=_("Date"),
        help_text=_("When it happened, not today's date unless it happened today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    actor = forms.ChoiceField(label=_("Addressee"), required=False)
    source = forms.ModelChoiceField(
        queryset=Source.objects.none(),
        required=False,
        label=_("Source"),
        empty_label=_("none"),
    )
    items = forms.CharField(
        required=False,
        max_length=500,
        label=_("Evidence items of the vault"),
        help_text=_("Their numbers, separated by commas or spaces."),
    )
    note = forms.CharField(
        required=False,
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What shows this status. Progress and regression need evidence: a source, "
            "items of the vault, or this note."
        ),
    )

    def __init__(self, recommendation: Recommendation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recommendation = recommendation
        actor_field = cast(forms.ChoiceField, self.fields["actor"])
        actor_field.choices = [(EVERY_ADDRESSEE, _("every addressee"))] + [
            (str(a.pk), a.name) for a in recommendation.addressees.order_by("name")
        ]
        source_field = cast("forms.ModelChoiceField[Any]", self.fields["source"])
        source_field.queryset = Source.objects.filter(workspace=recommendation.workspace)
        self.fields["date"].initial = timezone.localdate()

    def clean_actor(self) -> Actor | None:
        value = self.cleaned_data.get("actor") or EVERY_ADDRESSEE
        if value == EVERY_ADDRESSEE:
            return None
        return self.recommendation.addressees.get(pk=int(value))

    def clean_items(self) -> list[Item]:
        text = self.cleaned_data.get("items") or ""
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        if re.sub(r"[\d,;\s]", "", text):
            raise forms.ValidationError(_("Write the items' numbers, separated by commas."))
        found = {
            i.pk: i
            for i in Item.objects.filter(workspace=self.recommendation.workspace, pk__in=numbers)
        }
        missing = [str(n) for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(
                _("No evidence item %(numbers)s in this workspace.")
                % {"numbers": ", ".join(missing)}
            )
        return [found[n] for n in dict.fromkeys(numbers)]
