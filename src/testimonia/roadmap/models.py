"""The roadmap for justice: who was asked to do what, on whose authority, and what they did.

An :class:`Actor` (a state, an international body, an armed group, a company) is the addressee
of a :class:`Recommendation` (or an obligation) that comes from a :class:`Source` (a court
order, an ICC arrest warrant, a UN resolution, a commission of inquiry, a treaty body, an NGO
report) and falls under one or more :class:`Theme` (data: roadmap/data/themes.json, plus the
workspace's own). An actor may answer with a :class:`Commitment`; what it actually did is
recorded as dated :class:`StatusChange` rows, each with its evidence, and never edited or
deleted: the current status is the latest dated change (roadmap/status.py), the rows are the
history.

Publication: a recommendation is shown on the public portal only when `published` is set, and
then only its public fields (:data:`PUBLIC_RECOMMENDATION_FIELDS`, roadmap/records.py); the
internal notes, the evidence items of the vault and who recorded what never leave the
workspace.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from testimonia.roadmap import status as status_rules

# What the public portal may show of a published recommendation (roadmap/records.py builds
# the record from exactly these; notes, evidence items and authors are never among them).
PUBLIC_RECOMMENDATION_FIELDS = (
    "id",
    "kind",
    "text",
    "paragraph",
    "addressees",
    "themes",
    "source",
    "issued_on",
    "deadline",
    "status",
    "status_date",
    "overdue",
    "statuses",
    "commitments",
)

country_code_validator = RegexValidator(
    r"^[A-Z]{2}$", _("an ISO 3166-1 alpha-2 code: two capital letters, such as PS, IL or ZA")
)


class Actor(models.Model):
    """Whoever a recommendation or an obligation is addressed to."""

    class Kind(models.TextChoices):
        STATE = "state", _("state")
        INTERNATIONAL_BODY = "international_body", _("international body")
        ARMED_GROUP = "armed_group", _("armed group")
        COMPANY = "company", _("company")
        OTHER = "other", _("other")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="roadmap_actors"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default=Kind.OTHER)
    # ISO 3166-1 alpha-2, for states only (the scorecard and the portal show it).
    country_code = models.CharField(
        _("country code"), max_length=2, blank=True, validators=[country_code_validator]
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "workspace", name="roadmap_actor_unique_name"),
            models.UniqueConstraint(
                fields=["workspace", "country_code"],
                condition=~Q(country_code=""),
                name="roadmap_actor_unique_country",
            ),
            models.CheckConstraint(
                condition=Q(country_code="") | Q(kind="state"),
                name="roadmap_actor_code_for_states",
            ),
        ]
        verbose_name = _("actor")
        verbose_name_plural = _("actors")

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    """Where an obligation or a recommendation comes from, or what a status rests on."""

    class Kind(models.TextChoices):
        COURT_DECISION = "court_decision", _("court order or judgment")
        ARREST_WARRANT = "arrest_warrant", _("arrest warrant")
        UN_RESOLUTION = "un_resolution", _("UN resolution")
        COMMISSION = "commission", _("UN commission of inquiry or fact-finding mission")
        TREATY_BODY = "treaty_body", _("UN treaty body")
        SPECIAL_PROCEDURE = "special_procedure", _("UN special procedure")
        NGO_REPORT = "ngo_report", _("NGO report")
        OFFICIAL_STATEMENT = "official_statement", _("official statement or record")
        PRESS = "press", _("press report")
        OTHER = "other", _("other")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="roadmap_sources"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=500)
    # The document's symbol or number: "A/RES/ES-10/24", "ICC-01/18", "CAT/C/ISR/CO/6".
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    issued_on = models.DateField(_("date"), null=True, blank=True)
    url = models.URLField(_("address"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("reference"),
                "workspace",
                condition=~Q(reference=""),
                name="roadmap_source_unique_reference",
            ),
        ]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip() if self.reference else self.title


class Theme(models.Model):
    """A theme of the roadmap: shipped with Testimonia (no workspace, from themes.json) or
    added by a workspace."""

    workspace = models.ForeignKey(
        "accounts.Workspace",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="roadmap_themes",
    )
    code = models.SlugField(_("code"), max_length=64, allow_unicode=True)
    labels = models.JSONField(_("labels"), default=dict)  # {"en": ..., "ar": ..., "he": ...}
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(workspace__isnull=True), name="roadmap_theme_shipped"
            ),
            models.UniqueConstraint(fields=["workspace", "code"], name="roadmap_theme_unique"),
        ]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_in((get_language() or "en").split("-")[0])

    def label_in(self, language: str) -> str:
        """The label in this language, else in English, else in any language it has."""
        labels = self.labels or {}
        fallback = next((str(v) for v in labels.values() if v), self.code)
        return str(labels.get(language) or labels.get("en") or fallback)


class Recommendation(models.Model):
    """An obligation (binding: a court order, a treaty, a Security Council decision) or a
    recommendation addressed to one or more actors."""

    class Kind(models.TextChoices):
        OBLIGATION = "obligation", _("obligation")
        RECOMMENDATION = "recommendation", _("recommendation")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="recommendations"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.RECOMMENDATION
    )
    text = models.TextField(_("text"))
    # Where in the source: "para. 12(b)", "operative para. 3".
    paragraph = models.CharField(_("paragraph"), max_length=100, blank=True)
    addressees = models.ManyToManyField(
        Actor, related_name="recommendations", verbose_name=_("addressees")
    )
    themes = models.ManyToManyField(
        Theme, related_name="recommendations", blank=True, verbose_name=_("themes")
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("source"),
    )
    issued_on = models.DateField(_("date"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    # Shown on the public portal (its public fields only) when set.
    published = models.BooleanField(_("published"), default=False)
    notes = models.TextField(_("internal notes"), blank=True)  # never published
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-issued_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(deadline__gte=models.F("issued_on")),
                name="roadmap_deadline_after_date",
            ),
        ]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:79] + "…"


class Status(models.TextChoices):
    NOT_STARTED = status_rules.NOT_STARTED, _("not started")
    PARTIAL = status_rules.PARTIAL, _("partially implemented")
    IMPLEMENTED = status_rules.IMPLEMENTED, _("implemented")
    REGRESSED = status_rules.REGRESSED, _("regressed")


class Commitment(models.Model):
    """What an addressee said it would do in response."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="commitments"
    )
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="commitments")
    text = models.TextField(_("commitment"))
    made_on = models.DateField(_("date"))
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="commitments"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["made_on", "pk"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self) -> str:
        return f"{self.actor}: {self.text[:60]}"


class StatusChange(models.Model):
    """The implementation status of a recommendation from a date on, with what shows it.

    `actor` names the addressee it is about; empty, it applies to every addressee. The rows
    are append-only: a mistake is corrected by a later change, so the history stays whole.
    """

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="status_changes"
    )
    actor = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        verbose_name=_("addressee"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    date = models.DateField(_("date"))  # when it happened, not when it was recorded
    note = models.TextField(_("note"), blank=True)
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        verbose_name=_("source"),
    )
    items = models.ManyToManyField(
        "evidence.Item", blank=True, related_name="roadmap_status_changes"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["recommendation", "date"])]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.status}"
