from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Case(models.Model):
    """A dossier prepared for a justice mechanism. The cases issue adds suspects, charges,
    the case matrix, disclosure and exports."""

    class Mechanism(models.TextChoices):
        ICC = "icc", _("International Criminal Court")
        UN_INQUIRY = "un_inquiry", _("UN commission of inquiry")
        NATIONAL = "national", _("National prosecutor (universal jurisdiction)")
        OTHER = "other", _("Other mechanism")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Submitted")
        CLOSED = "closed", _("Closed")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=300)
    mechanism = models.CharField(_("mechanism"), max_length=16, choices=Mechanism.choices)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    incidents = models.ManyToManyField(
        "incidents.Incident", verbose_name=_("incidents"), blank=True, related_name="cases"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.title


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
