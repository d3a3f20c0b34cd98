"""Legal qualification: an act or an incident qualified as a crime of the Rome Statute, each
element of that crime assessed against what supports it, and the suspects' modes of liability.

The crimes and modes are the catalogue's (legal/catalogue.py): a qualification stores the
crime's id and the catalogue version it was recorded under. Every change is kept with its
author (django-simple-history), so the history says who proposed, assessed, accepted or
rejected what, and when. Only legal officers and administrators change these records
(legal/services.py checks the QUALIFY capability); every internal role reads them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from testimonia.legal.matrix import Strength, SupportKind

STRENGTHS = [s.value for s in Strength]
STRENGTH_CHOICES = [
    (Strength.NONE.value, _("none")),
    (Strength.WEAK.value, _("weak")),
    (Strength.MODERATE.value, _("moderate")),
    (Strength.STRONG.value, _("strong")),
]

# The kinds of support that point at a record, and the field that holds it.
TARGET_FIELDS: dict[SupportKind, str] = {
    SupportKind.ITEM: "item",
    SupportKind.SOURCE: "source",
    SupportKind.INCIDENT: "incident",
    SupportKind.ACT: "act",
    SupportKind.PERSON: "person",
    SupportKind.ORGANISATION: "organisation",
    SupportKind.INVOLVEMENT: "involvement",
}


def _only(*names: str) -> Q:
    """The named target fields are set and every other one is empty."""
    condition = Q()
    for name in TARGET_FIELDS.values():
        condition &= Q(**{f"{name}__isnull": name not in names})
    return condition


def _one_kind_of_support() -> Q:
    condition = Q(kind=SupportKind.FINDING.value) & _only() & ~Q(finding="")
    condition |= Q(kind=SupportKind.INDICATORS.value) & _only() & Q(query__isnull=False)
    for kind, name in TARGET_FIELDS.items():
        condition |= Q(kind=kind.value) & _only(name)
    return condition


class Qualification(models.Model):
    """An act or an incident qualified as one crime of the catalogue.

    A qualification starts as a candidate, proposed by a legal officer or suggested by the
    system (legal/suggestions.py); a legal officer accepts or rejects it, with reasons. One
    act (or incident) is qualified at most once as each crime.
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("candidate")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    class Origin(models.TextChoices):
        USER = "user", _("proposed by a user")
        SUGGESTION = "suggestion", _("suggested by the system")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="qualifications"
    )
    # What is qualified: an act, or a whole incident (exactly one of the two).
    act = models.ForeignKey(
        "incidents.Act",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="qualifications",
        verbose_name=_("act"),
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="qualifications",
        verbose_name=_("incident"),
    )
    crime_id = models.CharField(_("crime"), max_length=32)  # a catalogue id: RS-7-1-a
    catalogue_version = models.CharField(_("catalogue version"), max_length=16)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CANDIDATE
    )
    origin = models.CharField(_("proposed by"), max_length=12, choices=Origin.choices)
    # For a suggestion: the rule of legal/data/suggestions.json that matched.
    rule = models.CharField(_("suggestion rule"), max_length=64, blank=True)
    # Who proposed it; for a suggestion, who asked the system for suggestions.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reasoning = models.TextField(_("reasoning"), blank=True)  # why it was proposed
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reasoning = models.TextField(_("reasons for the decision"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(act__isnull=False, incident__isnull=True)
                | Q(act__isnull=True, incident__isnull=False),
                name="qualification_of_an_act_or_an_incident",
            ),
            models.UniqueConstraint(
                fields=["act", "crime_id"],
                condition=Q(act__isnull=False),
                name="qualification_unique_act_crime",
            ),
            models.UniqueConstraint(
                fields=["incident", "crime_id"],
                condition=Q(incident__isnull=False),
                name="qualification_unique_incident_crime",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["candidate", "accepted", "rejected"]),
                name="qualification_known_status",
            ),
            models.CheckConstraint(
                condition=Q(origin="user") | (Q(origin="suggestion") & ~Q(rule="")),
                name="qualification_suggestion_names_its_rule",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "crime_id"], name="qualification_ws_crime")]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        target = f"act {self.act_id}" if self.act_id else f"incident {self.incident_id}"
        return f"{target} as {self.crime_id} ({self.status})"


class Liability(models.Model):
    """A named suspect (a person, or a unit) and the mode of liability alleged against them for
    a qualified crime (articles 25(3) and 28)."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="liabilities"
    )
    person = models.ForeignKey(
        "incidents.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liabilities",
    )
    organisation = models.ForeignKey(
        "incidents.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liabilities",
    )
    mode_id = models.CharField(_("mode of liability"), max_length=32)  # RS-25-3-b-ordering
    catalogue_version = models.CharField(_("catalogue version"), max_length=16)
    reasoning = models.TextField(_("reasoning"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, organisation__isnull=True)
                | Q(person__isnull=True, organisation__isnull=False),
                name="liability_names_one_suspect",
            ),
            models.UniqueConstraint(
                fields=["qualification", "person", "mode_id"],
                condition=Q(person__isnull=False),
                name="liability_unique_person_mode",
            ),
            models.UniqueConstraint(
                fields=["qualification", "organisation", "mode_id"],
                condition=Q(organisation__isnull=False),
                name="liability_unique_unit_mode",
            ),
        ]
        verbose_name = _("liability of a suspect")
        verbose_name_plural = _("liabilities of suspects")

    def __str__(self) -> str:
        who = f"person {self.person_id}" if self.person_id else f"unit {self.organisation_id}"
        return f"{who}: {self.mode_id} for qualification {self.qualification_id}"


class ElementAssessment(models.Model):
    """The assessment of one numbered element: of the qualified crime, or of a suspect's mode
    of liability (exactly one of the two)."""

    qualification = models.ForeignKey(
        Qualification,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assessments",
    )
    liability = models.ForeignKey(
        Liability, on_delete=models.CASCADE, null=True, blank=True, related_name="assessments"
    )
    number = models.PositiveSmallIntegerField(_("element"))
    # The legal officer's strength for the element as a whole; "" until assessed.
    strength = models.CharField(_("strength"), max_length=10, choices=STRENGTH_CHOICES, blank=True)
    note = models.TextField(_("note"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(qualification__isnull=False, liability__isnull=True)
                | Q(qualification__isnull=True, liability__isnull=False),
                name="assessment_of_a_crime_or_a_liability",
            ),
            models.UniqueConstraint(
                fields=["qualification", "number"],
                condition=Q(qualification__isnull=False),
                name="assessment_unique_crime_element",
            ),
            models.UniqueConstraint(
                fields=["liability", "number"],
                condition=Q(liability__isnull=False),
                name="assessment_unique_liability_element",
            ),
            models.CheckConstraint(
                condition=Q(strength__in=["", *STRENGTHS]), name="assessment_known_strength"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="assessment_element_number"),
        ]
        verbose_name = _("element assessment")
        verbose_name_plural = _("element assessments")

    def __str__(self) -> str:
        owner = (
            f"qualification {self.qualification_id}"
            if self.qualification_id
            else f"liability {self.liability_id}"
        )
        return f"element {self.number} of {owner}"


class ElementSupport(models.Model):
    """One thing that supports an element, with how strongly: an evidence item or a source, a
    fact of the documentation database (an incident, an act, a person, a unit, an
    involvement), a finding of the legal officer in words, or pattern indicators computed over
    a set of incidents (with the query that selects them)."""

    assessment = models.ForeignKey(
        ElementAssessment, on_delete=models.CASCADE, related_name="supports"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=[(k.value, k.value) for k in SupportKind]
    )
    item = models.ForeignKey(
        "evidence.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.ForeignKey(
        "incidents.Source", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    act = models.ForeignKey(
        "incidents.Act", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        "incidents.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "incidents.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    involvement = models.ForeignKey(
        "incidents.Involvement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    finding = models.TextField(_("finding"), blank=True)
    # Indicators: the query that selects the incidents, and what it gave when linked.
    query = models.JSONField(_("query"), null=True, blank=True)
    snapshot = models.JSONField(_("indicators when linked"), null=True, blank=True)
    strength = models.CharField(_("strength"), max_length=10, choices=STRENGTH_CHOICES)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=_one_kind_of_support(), name="support_names_one_thing_of_its_kind"
            ),
            models.CheckConstraint(
                condition=Q(strength__in=STRENGTHS), name="support_known_strength"
            ),
            *[
                models.UniqueConstraint(
                    fields=["assessment", name],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"support_unique_{name}",
                )
                for name in TARGET_FIELDS.values()
            ],
        ]
        verbose_name = _("support of an element")
        verbose_name_plural = _("supports of elements")

    def __str__(self) -> str:
        return f"{self.kind} for assessment {self.assessment_id} ({self.strength})"

    @property
    def target(self) -> models.Model | None:
        name = TARGET_FIELDS.get(SupportKind(self.kind))
        return None if name is None else getattr(self, name)
