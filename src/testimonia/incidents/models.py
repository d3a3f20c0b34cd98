"""The documentation database: who did what to whom, where and when.

After the HURIDOCS Events Standard Formats (shared/reference/documentation-formats.md): an
Incident (ESF "event") holds Acts; each act has its victims (Victimisation) and alleged
perpetrators (Involvement); Persons are individuals or groups, Organisations the units and
forces with their hierarchy. Every fact can cite evidence items or sources (Citation), and
every change is kept (django-simple-history: who, when, the values before and after).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

CHILD_AGE = 18  # Convention on the Rights of the Child, art. 1


class DatePrecision(models.TextChoices):
    EXACT = "exact", _("exact (date and time)")
    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("exact point")
    APPROXIMATE = "approximate", _("approximate (within about 1 km)")
    LOCALITY = "locality", _("town or village")
    DISTRICT = "district", _("district or governorate")
    REGION = "region", _("region")
    UNKNOWN = "unknown", _("unknown")


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("public")
    RESTRICTED = "restricted", _("restricted to the workspace")
    CONFIDENTIAL = "confidential", _("confidential")


class Term(models.Model):
    """One entry of a controlled vocabulary kept as data (incidents/data/*.json), with its
    labels in each language and its HURIDOCS code; terms form a hierarchy."""

    vocabulary = models.CharField(_("vocabulary"), max_length=32)
    code = models.CharField(_("code"), max_length=64)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    labels = models.JSONField(_("labels"), default=dict)  # {"en": ..., "ar": ..., "he": ...}
    huridocs = models.CharField(_("HURIDOCS code"), max_length=12, blank=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["vocabulary", "position"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], name="term_unique_code")
        ]
        verbose_name = _("vocabulary term")
        verbose_name_plural = _("vocabulary terms")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        language = (get_language() or "en").split("-")[0]
        return str(self.labels.get(language) or self.labels.get("en") or self.code)


class Place(models.Model):
    """A named place: from the bundled gazetteer (GeoNames, OCHA COD-AB) or added by users."""

    class Kind(models.TextChoices):
        LOCALITY = "locality", _("locality")
        ADM1 = "adm1", _("first-level administrative area")
        ADM2 = "adm2", _("second-level administrative area")
        SITE = "site", _("site (building, camp, checkpoint)")

    workspace = models.ForeignKey(
        "accounts.Workspace",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="places",
        help_text=_("empty for the shared gazetteer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    names = models.JSONField(_("names"), default=dict)  # {"en","ar","he","alt": [...]}
    country_code = models.CharField(_("country"), max_length=2, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    pcode = models.CharField(_("P-code"), max_length=16, blank=True)  # OCHA COD code
    parent_pcode = models.CharField(_("parent P-code"), max_length=16, blank=True)
    geonames_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    population = models.PositiveBigIntegerField(null=True, blank=True)
    search_text = models.TextField(editable=False, blank=True)  # normalised names

    class Meta:
        ordering = ["-population", "pk"]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "en").split("-")[0]
        return str(self.names.get(language) or self.names.get("en") or "?")


class Tag(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique")]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A state force, unit, armed group, company or institution; units nest in a hierarchy
    (brigade > battalion) so responsibility can be followed up the chain of command."""

    class Kind(models.TextChoices):  # HURIDOCS MT 24, condensed
        ARMED_FORCES = "armed_forces", _("state armed forces")
        POLICE = "police", _("police or security forces")
        INTELLIGENCE = "intelligence", _("intelligence service")
        PRISON = "prison", _("prison or detention authority")
        GOVERNMENT = "government", _("government or officials")
        OCCUPYING = "occupying", _("occupying forces")
        ARMED_GROUP = "armed_group", _("non-state armed group")
        PARAMILITARY = "paramilitary", _("paramilitary or militia")
        SETTLERS = "settlers", _("settlers or civilian mob")
        PRIVATE_SECURITY = "private_security", _("private security company")
        COMPANY = "company", _("company")
        OTHER = "other", _("other")
        UNKNOWN = "unknown", _("unknown")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="organisations"
    )
    name = models.CharField(_("name"), max_length=300)
    other_names = models.JSONField(_("other names"), default=list, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("part of"),
    )
    state = models.CharField(_("state it belongs to"), max_length=2, blank=True)
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("organisation or unit")
        verbose_name_plural = _("organisations and units")

    def __str__(self) -> str:
        return self.name

    def chain_of_command(self) -> list[Organisation]:
        """This unit and those above it, nearest first (cycles are refused on save)."""
        chain: list[Organisation] = []
        unit: Organisation | None = self
        while unit is not None and unit not in chain:
            chain.append(unit)
            unit = unit.parent
        return chain


class Incident(models.Model):
    """An event in which violations are alleged (HURIDOCS ESF "event", fields 01xx)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        VERIFIED = "verified", _("Verified")
        PUBLISHED = "published", _("Published")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="incidents"
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(_("language of the text"), max_length=8, default="en")
    # The title and description in other languages: {"ar": {"title": ..., "description": ...}}
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    start_precision = models.CharField(
        _("start precision"), max_length=8, choices=DatePrecision.choices, default="day"
    )
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    end_precision = models.CharField(
        _("end precision"), max_length=8, choices=DatePrecision.choices, default="day"
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("place"),
    )
    place_name = models.CharField(_("place as reported"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    area = models.JSONField(
        _("area (GeoJSON geometry)"), null=True, blank=True
    )  # a polygon when the location is an area, not a point
    location_precision = models.CharField(
        _("location precision"),
        max_length=12,
        choices=LocationPrecision.choices,
        default=LocationPrecision.UNKNOWN,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default="restricted"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="incidents")
    evidence = models.ManyToManyField(
        "evidence.Item", verbose_name=_("evidence"), blank=True, related_name="incidents"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[tags])

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [
            # With end_date in the index, a period filter (which reads both dates) and its
            # count are answered from the index alone.
            models.Index(fields=["workspace", "start_date", "end_date"], name="incident_ws_period"),
            models.Index(fields=["workspace", "status"], name="incident_ws_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="incident_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="incident_longitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="incident_ends_after_it_starts",
            ),
        ]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the reader's language where a translation exists."""
        return self.text_in((get_language() or "en").split("-")[0])["title"]

    def text_in(self, language: str) -> dict[str, str]:
        """Title and description in `language`, falling back to the original text."""
        if language == self.language:
            return {"title": self.title, "description": self.description}
        other = self.translations.get(language) or {}
        return {
            "title": str(other.get("title") or self.title),
            "description": str(other.get("description") or self.description),
        }


class IncidentLink(models.Model):
    """A typed link between two incidents (ESF "chain of events", MT 22)."""

    class Kind(models.TextChoices):
        SAME_ATTACK = "same_attack", _("same attack")
        FOLLOW_UP = "follow_up", _("follow-up of")
        PART_OF_PATTERN = "pattern", _("part of the same pattern")
        CAUSED = "caused", _("led to")
        RELATED = "related", _("related")

    source = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind of link"), max_length=16, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="link_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Person(models.Model):
    """An individual or a group (ESF Person, 09xx): a victim, a witness or an alleged
    perpetrator, depending on the links that name them."""

    class Kind(models.TextChoices):  # HURIDOCS MT 07, condensed
        INDIVIDUAL = "individual", _("individual")
        FAMILY = "family", _("family")
        GROUP = "group", _("group")
        COMMUNITY = "community", _("community")

    class Sex(models.TextChoices):  # HURIDOCS MT 39
        MALE = "male", _("male")
        FEMALE = "female", _("female")
        NOT_APPLICABLE = "na", _("not applicable")
        UNKNOWN = "unknown", _("unknown")

    class Status(models.TextChoices):
        CIVILIAN = "civilian", _("civilian")
        COMBATANT = "combatant", _("combatant")
        HORS_DE_COMBAT = "hors_de_combat", _("combatant hors de combat")
        UNKNOWN = "unknown", _("unknown")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="persons"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INDIVIDUAL)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    # Age at the time of the incident when that is all that is known, or a range.
    age_min = models.PositiveSmallIntegerField(_("age (from)"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("age (to)"), null=True, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    date_of_birth_precision = models.CharField(
        max_length=8, choices=DatePrecision.choices, default="day"
    )
    status = models.CharField(
        _("civilian or combatant"), max_length=16, choices=Status.choices, default="unknown"
    )
    group_size = models.PositiveIntegerField(
        _("number of persons in the group"), null=True, blank=True
    )
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    deceased = models.BooleanField(_("deceased"), default=False)
    date_of_death = models.DateField(_("date of death"), null=True, blank=True)
    affiliation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("member of"),
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default="restricted"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age_min__isnull=True)
                | models.Q(age_max__isnull=True)
                | models.Q(age_max__gte=models.F("age_min")),
                name="person_age_range_ordered",
            ),
        ]
        verbose_name = _("person or group")
        verbose_name_plural = _("persons and groups")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        names = list(self.names.all())
        primary = [n for n in names if n.primary] or names
        return primary[0].text if primary else f"#{self.pk}"

    @property
    def is_child(self) -> bool | None:
        """True under 18, False from 18, None when the age is unknown or straddles 18."""
        if self.age_max is not None and self.age_max < CHILD_AGE:
            return True
        if self.age_min is not None and self.age_min >= CHILD_AGE:
            return False
        return None


class PersonName(models.Model):
    """A name of a person in one script or language; a person may have several (aliases,
    transliterations, noms de guerre)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="names")
    text = models.CharField(_("name"), max_length=300)
    language = models.CharField(_("language or script"), max_length=8, blank=True)
    primary = models.BooleanField(_("primary name"), default=False)
    kind = models.CharField(_("kind of name"), max_length=32, blank=True)  # alias, kunya, ...
    history = HistoricalRecords()

    class Meta:
        ordering = ["-primary", "pk"]

    def __str__(self) -> str:
        return self.text


class Act(models.Model):
    """A single act within an incident (ESF Act, 21xx), typed from the act-type vocabulary."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="acts")
    act_type = models.ForeignKey(
        Term,
        on_delete=models.PROTECT,
        related_name="acts",
        verbose_name=_("type of act"),
        limit_choices_to={"vocabulary": "act_type"},
    )
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    start_precision = models.CharField(max_length=8, choices=DatePrecision.choices, default="day")
    end_date = models.DateField(_("end date"), null=True, blank=True)
    place = models.ForeignKey(Place, on_delete=models.PROTECT, null=True, blank=True)
    method = models.CharField(_("method of violence"), max_length=200, blank=True)
    victims: models.ManyToManyField[Person, Victimisation] = models.ManyToManyField(
        Person, through="Victimisation", related_name="acts_suffered"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("act")
        verbose_name_plural = _("acts")

    def __str__(self) -> str:
        return f"{self.act_type} ({self.incident})"


class Victimisation(models.Model):
    """A victim of an act, with their state at the end of it (HURIDOCS MT 25)."""

    class Outcome(models.TextChoices):
        KILLED = "killed", _("killed")
        INJURED = "injured", _("injured")
        MISSING = "missing", _("missing")
        DETAINED = "detained", _("detained")
        RELEASED = "released", _("released")
        DISPLACED = "displaced", _("displaced")
        PROPERTY_LOSS = "property_loss", _("lost property or home")
        OTHER = "other", _("other")
        UNKNOWN = "unknown", _("unknown")

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="victimisations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="victimisations")
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.UNKNOWN
    )
    age_at_time = models.PositiveSmallIntegerField(_("age at the time"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["act", "person"], name="victimisation_unique")
        ]

    def __str__(self) -> str:
        return f"person {self.person_id} in act {self.act_id}"


class Involvement(models.Model):
    """An alleged perpetrator of an act (ESF Involvement, 24xx): a person or an organisation,
    with the degree of involvement (HURIDOCS MT 18, not a legal qualification) and how
    certain the attribution is."""

    class Degree(models.TextChoices):
        DIRECT = "direct", _("directly carried out the act")
        ORDERED = "ordered", _("gave orders that led to the act")
        PLANNED = "planned", _("planned the act")
        ACCOMPLICE = "accomplice", _("passive accomplice")
        PRESENT = "present", _("confirmed present")
        FAILED_TO_PREVENT = "failed_to_prevent", _("failed to prevent or punish (superior)")
        SUSPECTED = "suspected", _("suspected")
        OTHER = "other", _("other")
        UNKNOWN = "unknown", _("unknown")

    class Certainty(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        LIKELY = "likely", _("likely")
        POSSIBLE = "possible", _("possible")
        UNKNOWN = "unknown", _("unknown")

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="involvements")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="involvements"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="involvements",
    )
    degree = models.CharField(
        _("degree of involvement"), max_length=20, choices=Degree.choices, default="unknown"
    )
    role = models.CharField(_("role"), max_length=200, blank=True)
    certainty = models.CharField(
        _("certainty"), max_length=12, choices=Certainty.choices, default="unknown"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(organisation__isnull=False),
                name="involvement_names_someone",
            ),
        ]
        verbose_name = _("involvement")
        verbose_name_plural = _("involvements")

    def __str__(self) -> str:
        who = f"person {self.person_id}" if self.person_id else f"unit {self.organisation_id}"
        return f"{who} in act {self.act_id}"


class Source(models.Model):
    """Information outside the vault that a fact rests on (ESF Information, 25xx): a report,
    an article, a broadcast, a statement."""

    class Kind(models.TextChoices):  # HURIDOCS MT 16, condensed
        WITNESS = "witness", _("witness testimony")
        VICTIM = "victim", _("victim testimony")
        REPORT = "report", _("report (NGO, UN, government)")
        PRESS = "press", _("press article or broadcast")
        OFFICIAL = "official", _("official record (court, medical, death certificate)")
        SOCIAL_MEDIA = "social_media", _("social media post")
        PHOTO_VIDEO = "photo_video", _("photograph or video")
        OTHER = "other", _("other")

    class Reliability(models.TextChoices):  # HURIDOCS MT 42
        HIGH = "high", _("highly reliable")
        LIKELY = "likely", _("likely reliable")
        UNSURE = "unsure", _("unsure")
        UNLIKELY = "unlikely", _("likely unreliable")
        LOW = "low", _("highly unreliable")
        UNKNOWN = "unknown", _("unknown")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="sources"
    )
    title = models.CharField(_("title"), max_length=500)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reliability = models.CharField(
        _("reliability"), max_length=10, choices=Reliability.choices, default="unknown"
    )
    url = models.URLField(_("address"), max_length=2000, blank=True)
    published_on = models.DateField(_("date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.title


class Citation(models.Model):
    """What supports a fact: an evidence item or a source, cited for a record (an incident, an
    act, a person, an involvement) or for one of its fields ("date_of_birth")."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.PROTECT)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    field = models.CharField(_("field"), max_length=64, blank=True)  # "" = the whole record
    item = models.ForeignKey(
        "evidence.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="citations"
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="citations"
    )
    note = models.TextField(_("note"), blank=True)  # e.g. "minute 03:12", "page 4"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"], name="citation_record")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(item__isnull=False) | models.Q(source__isnull=False),
                name="citation_cites_something",
            ),
        ]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")

    def __str__(self) -> str:
        cited = f"item {self.item_id}" if self.item_id else f"source {self.source_id}"
        return f"{cited} for {self.content_type_id}:{self.object_id} {self.field}".strip()


def citations_for(record: models.Model, field: str | None = None) -> models.QuerySet[Citation]:
    """The citations of a record (all of them, or those of one field)."""
    rows = Citation.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    )
    return rows if field is None else rows.filter(field=field)


def is_supported(record: models.Model, field: str = "") -> bool:
    """A fact is supported when it (or its whole record) cites at least one item or source."""
    return citations_for(record).filter(field__in={"", field}).exists()


class FacetValue(models.Model):
    """One value of one facet of an incident, kept beside the records so that the incident
    list filters and counts its facets in one indexed table instead of joining acts, victims,
    persons, involvements and places for every request (incidents/facet_index.py keeps it in
    line with the records; `testimonia reindex` rebuilds it).

    facet: act_type (the act's type and every term above it), perpetrator (the organisation
    and every unit above it), victim_sex, victim_age (child, adult, unknown; the age at the
    time of the act where recorded), area (the place's P-code and every P-code above it),
    adm2 (the second-level area alone, for the area counts)."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="facet_values", db_index=False
    )
    facet = models.CharField(max_length=16)
    value = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "facet", "value"], name="facet_value_unique"
            )
        ]
        # Filtering (facet = value -> incidents) and counting (GROUP BY value) read only
        # this index.
        indexes = [
            models.Index(fields=["workspace", "facet", "value", "incident"], name="facet_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.facet}={self.value} ({self.incident_id})"


class FacetBit(models.Model):
    """The bit that stands for one counted facet value in a workspace's FacetMask rows
    (facet_masks.py). Bits are handed out in order as values appear and never reused."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    facet = models.CharField(max_length=16)
    value = models.CharField(max_length=64)
    bit = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "facet", "value"], name="facet_bit_value"),
            models.UniqueConstraint(fields=["workspace", "bit"], name="facet_bit_position"),
        ]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}: bit {self.bit}"


class FacetMask(models.Model):
    """The counted facet values of one incident as bits (FacetBit) in four 64-bit words: the
    facet counts of a list become one pass over one narrow row per incident."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    w0 = models.BigIntegerField(default=0)
    w1 = models.BigIntegerField(default=0)
    w2 = models.BigIntegerField(default=0)
    w3 = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"facet mask of incident {self.incident_id}"


class FacetIndexState(models.Model):
    """One row: the version of the rules the facet index was last built with
    (facet_index.INDEX_VERSION); a migrate rebuilds the index when they differ."""

    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"facet index version {self.version}"


class ImportMapping(models.Model):
    """A saved column mapping for imports: which column of a spreadsheet fills which field,
    kept per workspace so the same field form can be imported again without redoing it."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="import_mappings"
    )
    name = models.CharField(_("name"), max_length=100)
    # {"column header as in the file": "field name"}; see incidents/importer.py for fields
    columns = models.JSONField(_("columns"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="import_mapping_unique")
        ]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self) -> str:
        return self.name


class ImportedRecord(models.Model):
    """A row imported with an id of the system it came from (a spreadsheet's id column, a
    KoBoToolbox or ODK submission's UUID), and the incident it became.

    The importer skips a row whose id is recorded here, so a file imported again doubles
    nothing; the unique constraint keeps two imports running at once from both writing it.
    A row without an id has no record: it is matched by title, start date and place.
    """

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="imported_records"
    )
    # The system the id is unique in: the import's source, else its mapping's name, else the
    # file's name; "" for ids unique the world over (UUIDs).
    scope = models.CharField(_("source"), max_length=200, blank=True)
    external_id = models.CharField(_("id in the source"), max_length=200)
    # Deleting the incident deletes the record, so that importing the row again restores it.
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="imported_records"
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    filename = models.CharField(_("file"), max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "scope", "external_id"], name="imported_record_unique"
            )
        ]
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")

    def __str__(self) -> str:
        return f"{self.scope}:{self.external_id}" if self.scope else self.external_id
