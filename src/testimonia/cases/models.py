from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Case(models.Model):
    """A dossier prepared for a justice mechanism: the situation, the suspects, the charges
    (a crime of the catalogue and a mode of liability), the incidents and evidence items that
    support them, the team, and the disclosures made from it (docs/cases.md). Every change is
    kept with its author (django-simple-history)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PREPARATION = "in_preparation", _("In preparation")
        SUBMITTED = "submitted", _("Submitted")
        CLOSED = "closed", _("Closed")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=300)
    # The mechanism the dossier is prepared for; a disclosure may still go to another one.
    mechanism = models.ForeignKey(
        "cases.Mechanism",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("mechanism"),
    )
    situation = models.TextField(_("situation"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    # The language of the memorandum of its disclosures (BCP 47: ar, en, fr, he, ...).
    language = models.CharField(_("language"), max_length=35, default="en")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    incidents = models.ManyToManyField(
        "incidents.Incident", verbose_name=_("incidents"), blank=True, related_name="cases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[incidents])

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "in_preparation", "submitted", "closed"]),
                name="case_known_status",
            ),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.title

    def get_mechanism_display(self) -> str:
        """The mechanism's name in the active language (templates written for the former
        choice field call this)."""
        if self.mechanism is None:
            return ""
        names: dict[str, str] = self.mechanism.names
        language = (get_language() or "en").split("-")[0]
        return names.get(language) or names.get("en") or self.mechanism.slug


class Mechanism(models.Model):
    """A justice mechanism that may receive disclosures, with its submission requirements.

    Data shipped with the code (cases/data/mechanisms.json), brought in line after every
    migrate by cases/mechanisms.py; never deleted (consent records name them): an entry gone
    from the file is marked inactive.
    """

    class Kind(models.TextChoices):
        ICC = "icc", _("International Criminal Court")
        UN_INQUIRY = "un_inquiry", _("UN commission of inquiry or investigative mechanism")
        NATIONAL_PROSECUTOR = "national_prosecutor", _("National prosecutor")
        DOMESTIC_COURT = "domestic_court", _("Domestic court")
        PUBLICATION = "publication", _("Publication")

    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # The broader entry this one belongs to (national-de -> national): a consent given for
    # the broader entry covers this one too.
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("broader mechanism"),
    )
    country = models.CharField(_("country"), max_length=2, blank=True)  # ISO 3166-1 alpha-2
    names = models.JSONField(_("names"), default=dict)  # {"en": ..., "ar": ..., "he": ...}
    # Formats, languages, metadata fields and notes, as in the data file.
    requirements = models.JSONField(_("submission requirements"), default=dict)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("mechanism")
        verbose_name_plural = _("mechanisms")

    def __str__(self) -> str:
        return self.slug

    @property
    def display_name(self) -> str:
        """The name in the reader's language, else in English, else the slug."""
        from django.utils.translation import get_language

        language = (get_language() or "en").split("-")[0]
        return str(self.names.get(language) or self.names.get("en") or self.slug)


class ProtectionMeasure(models.TextChoices):
    FACE_DISTORTION = "face_distortion", _("face or image distortion")
    VOICE_DISTORTION = "voice_distortion", _("voice distortion")
    CLOSED_SESSION = "closed_session", _("testimony in closed session")
    REDACTION = "redaction", _("redaction of identifying details in disclosures")
    DELAYED_DISCLOSURE = "delayed_disclosure", _("delayed disclosure of identity")
    SECURE_CONTACT = "secure_contact", _("contact through secure channels only")
    NO_DIRECT_CONTACT = "no_direct_contact", _("no contact except through protection staff")
    RELOCATION = "relocation", _("relocation")
    PSYCHOSOCIAL_SUPPORT = "psychosocial_support", _("psychosocial support")


class Witness(models.Model):
    """A witness as everyone but a protection officer sees them: a pseudonym (W-0042), the
    risk level and the protection measures. Nothing here identifies the person: the identity
    (and the risk notes, which may identify) is in WitnessIdentity, encrypted."""

    class Risk(models.TextChoices):
        UNASSESSED = "unassessed", _("not assessed")
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")
        EXTREME = "extreme", _("extreme")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="witnesses"
    )
    number = models.PositiveIntegerField(_("number"))
    pseudonym = models.CharField(_("pseudonym"), max_length=16)
    risk_level = models.CharField(
        _("risk level"), max_length=16, choices=Risk.choices, default=Risk.UNASSESSED
    )
    protection_measures = models.JSONField(_("protection measures"), default=list)
    risk_assessed_at = models.DateTimeField(_("risk assessed at"), null=True, blank=True)
    risk_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("risk assessed by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["workspace", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "number"], name="witness_number_unique_in_workspace"
            ),
            models.UniqueConstraint(
                fields=["workspace", "pseudonym"], name="witness_pseudonym_unique_in_workspace"
            ),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="witness_number_gte_1"),
        ]
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")

    def __str__(self) -> str:
        return self.pseudonym


class WitnessIdentity(models.Model):
    """The identity of one witness, sealed with AES-256-GCM under a key the database does not
    hold (cases/keys.py); the associated data binds the ciphertext to its workspace and
    witness, so a ciphertext moved to another witness's row does not decrypt. No history
    table: an old identity is not kept anywhere in clear or otherwise."""

    witness = models.OneToOneField(
        Witness, on_delete=models.PROTECT, primary_key=True, related_name="identity"
    )
    scheme = models.CharField(_("scheme"), max_length=32)
    key_id = models.CharField(_("key id"), max_length=16)
    nonce = models.BinaryField(_("nonce"), max_length=12)
    ciphertext = models.BinaryField(_("ciphertext"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("witness identity")
        verbose_name_plural = _("witness identities")

    def __str__(self) -> str:
        return f"identity of witness {self.witness_id}"


class Consent(models.Model):
    """One dated decision of a witness: a consent given or withdrawn, for the witness's whole
    testimony or one item of it. Never changed or deleted: the current state is computed from
    the latest decisions (cases/consent.py), the history is every row."""

    class Scope(models.TextChoices):
        RECORD = "record", _("to be recorded")
        ANALYSIS = "analysis", _("to be used in analysis")
        SHARE = "share", _("to be shared with a mechanism")
        IDENTIFY = "identify", _("to be identified to a mechanism")

    class Decision(models.TextChoices):
        GRANTED = "granted", _("granted")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Form(models.TextChoices):
        WRITTEN = "written", _("written")
        ORAL = "oral", _("oral")
        RECORDED = "recorded", _("recorded (audio or video)")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="consents"
    )
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="consents")
    # None: the decision covers everything the witness gave.
    item = models.ForeignKey(
        "evidence.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item"),
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    mechanism = models.ForeignKey(
        Mechanism,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("mechanism"),
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    form = models.CharField(_("form"), max_length=16, choices=Form.choices)
    # The evidence item that holds the signed form or the recording of the consent, if any.
    form_item = models.ForeignKey(
        "evidence.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("form"),
    )
    effective_at = models.DateTimeField(_("given or withdrawn at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["witness", "effective_at", "id"]
        constraints = [
            # Sharing and identification are to a named mechanism; the others are not.
            models.CheckConstraint(
                condition=(
                    models.Q(scope__in=["share", "identify"], mechanism__isnull=False)
                    | (
                        models.Q(mechanism__isnull=True)
                        & ~models.Q(scope__in=["share", "identify"])
                    )
                ),
                name="consent_mechanism_iff_share_or_identify",
            ),
        ]
        verbose_name = _("consent decision")
        verbose_name_plural = _("consent decisions")

    def __str__(self) -> str:
        return f"{self.scope} {self.decision} ({self.witness_id})"


class Interview(models.Model):
    """One interview of a witness: who, when, where, in which language, with which
    interpreter, and the summary of the facts it bears on, linked to incidents and acts. Its
    recordings, notes, transcripts and translations are Testimony items."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="interviews"
    )
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="interviews")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("interviewer"),
    )
    # An interviewer without an account here (a partner's investigator).
    interviewer_name = models.CharField(_("interviewer (no account)"), max_length=200, blank=True)
    conducted_on = models.DateField(_("date"))
    place = models.CharField(_("place of the interview"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=35)
    interpreter = models.CharField(_("interpreter"), max_length=200, blank=True)
    summary = models.TextField(_("summary of facts"), blank=True)
    incidents = models.ManyToManyField(
        "incidents.Incident", verbose_name=_("incidents"), blank=True, related_name="interviews"
    )
    acts = models.ManyToManyField(
        "incidents.Act", verbose_name=_("acts"), blank=True, related_name="interviews"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-conducted_on", "-id"]
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")

    def __str__(self) -> str:
        return f"interview {self.pk}"


class Testimony(models.Model):
    """An evidence item given by a witness (a recording, notes, a statement, a document), or
    made from one (a transcript, a translation), with the interview it belongs to."""

    class Kind(models.TextChoices):
        RECORDING = "recording", _("recording (audio or video)")
        NOTES = "notes", _("interview notes")
        STATEMENT = "statement", _("written statement")
        TRANSCRIPT = "transcript", _("transcript")
        TRANSLATION = "translation", _("translation")
        DOCUMENT = "document", _("document given by the witness")
        OTHER = "other", _("other")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="testimonies"
    )
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="testimonies")
    item = models.OneToOneField(
        "evidence.Item", on_delete=models.PROTECT, related_name="testimony", verbose_name=_("item")
    )
    interview = models.ForeignKey(
        Interview,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="testimonies",
        verbose_name=_("interview"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=35, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["witness", "added_at", "id"]
        verbose_name = _("testimony item")
        verbose_name_plural = _("testimony items")

    def __str__(self) -> str:
        return f"item {self.item_id} of witness {self.witness_id}"


# ---------------------------------------------------------------------------------------------
# Dossiers (cases/dossiers.py)


class CaseSuspect(models.Model):
    """A suspect of a case: a person or a unit of the documentation database."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="suspects")
    person = models.ForeignKey(
        "incidents.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_suspicions",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        "incidents.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_suspicions",
        verbose_name=_("unit"),
    )
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, organisation__isnull=True)
                | models.Q(person__isnull=True, organisation__isnull=False),
                name="case_suspect_is_a_person_or_a_unit",
            ),
            models.UniqueConstraint(
                fields=["case", "person"],
                condition=models.Q(person__isnull=False),
                name="case_suspect_unique_person",
            ),
            models.UniqueConstraint(
                fields=["case", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="case_suspect_unique_unit",
            ),
        ]
        verbose_name = _("suspect")
        verbose_name_plural = _("suspects")

    def __str__(self) -> str:
        who = f"person {self.person_id}" if self.person_id else f"unit {self.organisation_id}"
        return f"{who} in case {self.case_id}"


class Charge(models.Model):
    """A charge of a case: a crime of the legal catalogue and a mode of liability, against
    one of the case's suspects (or none named yet), with the qualification and the liability
    of the legal app that support it where they exist."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="charges")
    crime_id = models.CharField(_("crime"), max_length=32)  # a catalogue id: RS-7-1-a
    mode_id = models.CharField(_("mode of liability"), max_length=32)  # RS-25-3-a
    catalogue_version = models.CharField(_("catalogue version"), max_length=16)
    suspect = models.ForeignKey(
        CaseSuspect,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        verbose_name=_("suspect"),
    )
    # The legal app's records (they may be removed there: the charge then stays, unlinked).
    qualification = models.ForeignKey(
        "legal.Qualification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="charges",
        verbose_name=_("qualification"),
    )
    liability = models.ForeignKey(
        "legal.Liability",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="charges",
        verbose_name=_("liability"),
    )
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "crime_id", "mode_id", "suspect"],
                condition=models.Q(suspect__isnull=False),
                name="charge_unique_per_suspect",
            ),
            models.UniqueConstraint(
                fields=["case", "crime_id", "mode_id"],
                condition=models.Q(suspect__isnull=True),
                name="charge_unique_without_suspect",
            ),
        ]
        verbose_name = _("charge")
        verbose_name_plural = _("charges")

    def __str__(self) -> str:
        return f"{self.crime_id} / {self.mode_id} in case {self.case_id}"


class CaseItem(models.Model):
    """An evidence item that supports a case, with a note on what it shows."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_items")
    item = models.ForeignKey("evidence.Item", on_delete=models.PROTECT, related_name="case_items")
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "item"]
        constraints = [
            models.UniqueConstraint(fields=["case", "item"], name="case_item_unique"),
        ]
        verbose_name = _("item of a case")
        verbose_name_plural = _("items of a case")

    def __str__(self) -> str:
        return f"item {self.item_id} in case {self.case_id}"


class CaseMember(models.Model):
    """A member of the workspace on the case's team, with their role in it. A reviewer (of
    the mechanism named) sees the case's disclosures to that mechanism, nothing else."""

    class Role(models.TextChoices):
        LEAD = "lead", _("lead")
        MEMBER = "member", _("member")
        REVIEWER = "reviewer", _("reviewer for a mechanism")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_memberships"
    )
    role = models.CharField(_("role in the case"), max_length=16, choices=Role.choices)
    mechanism = models.ForeignKey(
        Mechanism,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mechanism"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="case_member_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["lead", "member", "reviewer"]),
                name="case_member_known_role",
            ),
            # A reviewer reviews for one mechanism; the others name none.
            models.CheckConstraint(
                condition=models.Q(role="reviewer", mechanism__isnull=False)
                | (~models.Q(role="reviewer") & models.Q(mechanism__isnull=True)),
                name="case_member_mechanism_iff_reviewer",
            ),
        ]
        verbose_name = _("member of a case team")
        verbose_name_plural = _("members of case teams")

    def __str__(self) -> str:
        return f"user {self.user_id} as {self.role} in case {self.case_id}"


# ---------------------------------------------------------------------------------------------
# The disclosure log (cases/disclosure.py)


class Disclosure(models.Model):
    """One package that went to a mechanism: the bag's identity (export id, the digest of
    its tag manifest), who sent it to whom and when, and the recipient's receipt once
    recorded. Its items, with the consent each relied on, are DisclosureItem rows."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="disclosures"
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="disclosures")
    mechanism = models.ForeignKey(
        Mechanism, on_delete=models.PROTECT, related_name="disclosures", verbose_name=_("mechanism")
    )
    recipient = models.CharField(_("recipient"), max_length=300, blank=True)
    disclosed_at = models.DateTimeField(_("disclosed at"))
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("disclosed by"),
    )
    export_id = models.CharField(_("export id"), max_length=36, unique=True)
    # "sha256:<hex>" of the bag's tagmanifest-sha256.txt, which fixes every file of the bag.
    manifest_digest = models.CharField(_("manifest digest"), max_length=80)
    payload_oxum = models.CharField(_("payload size and count"), max_length=64)
    bag_name = models.CharField(_("bag folder"), max_length=255)
    # Where the server keeps the bag (relative to TESTIMONIA_HOME), for exports made through
    # the API; "" for a bag written to a folder of the operator's choosing.
    stored_at = models.CharField(_("stored at"), max_length=500, blank=True)
    language = models.CharField(_("memorandum language"), max_length=35)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    receipt_reference = models.CharField(_("receipt reference"), max_length=300, blank=True)
    receipt_note = models.TextField(_("receipt note"), blank=True)
    receipt_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    receipt_recorded_at = models.DateTimeField(_("receipt recorded at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")

    def __str__(self) -> str:
        return f"disclosure {self.pk} of case {self.case_id} to {self.mechanism_id}"


class DisclosureItem(models.Model):
    """One file of a disclosure: the item that went (a redacted derivative where the witness
    may not be identified), the case's item it stands for, and the consent decision it
    relied on (None: the item was not given by a witness)."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey("evidence.Item", on_delete=models.PROTECT, related_name="+")
    case_item = models.ForeignKey("evidence.Item", on_delete=models.PROTECT, related_name="+")
    bag_path = models.CharField(_("path in the bag"), max_length=1024)
    witness = models.ForeignKey(
        Witness, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent_effective_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # The identification decision, where the witness consented to be identified.
    identification = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    redacted = models.BooleanField(_("redacted"), default=False)
    reason = models.TextField(_("consent, in words"))

    class Meta:
        ordering = ["disclosure", "item"]
        constraints = [
            models.UniqueConstraint(fields=["disclosure", "item"], name="disclosure_item_unique"),
        ]
        verbose_name = _("disclosed item")
        verbose_name_plural = _("disclosed items")

    def __str__(self) -> str:
        return f"item {self.item_id} in disclosure {self.disclosure_id}"
