from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Blob(models.Model):
    """One stored original, addressed by its content; shared by every item with these bytes."""

    sha256 = models.CharField(_("SHA-256"), max_length=71, unique=True)  # "sha256:<hex>"
    sha512 = models.CharField(_("SHA-512"), max_length=135, blank=True)  # filled by a task
    size = models.PositiveBigIntegerField(_("size"))
    media_type = models.CharField(_("media type"), max_length=127)
    stored_at = models.DateTimeField(_("stored at"), auto_now_add=True)
    # Set when the last live item of these bytes was deleted on an approved request: the bytes
    # are removed from the store, the row (and every custody event naming the digest) stays.
    purged_at = models.DateTimeField(_("removed from the store at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sha256__startswith="sha256:"), name="blob_sha256_labelled"
            ),
        ]
        verbose_name = _("stored original")
        verbose_name_plural = _("stored originals")

    def __str__(self) -> str:
        return self.sha256


class Derivation(models.TextChoices):
    REDACTION = "redaction", _("redaction")
    TRANSCRIPT = "transcript", _("transcript")
    TRANSLATION = "translation", _("translation")
    EXCERPT = "excerpt", _("excerpt")
    CONVERSION = "conversion", _("format conversion")
    ENHANCEMENT = "enhancement", _("enhancement")
    OTHER = "other", _("other")


class Item(models.Model):
    """One acquisition of an original by a workspace: the bytes (a Blob) and how they came in.

    The same bytes acquired again (another upload, another archive) are a new item that points
    to the same Blob, with `duplicate_of` naming the workspace's first item of those bytes:
    every acquisition is on record, the bytes are stored once.
    """

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="items"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="items")
    original_filename = models.CharField(_("original file name"), max_length=255)
    # Where it was found: the path given on the command line or inside a folder or archive,
    # as found (undecodable bytes shown as \xNN escapes).
    original_path = models.CharField(_("original path"), max_length=1024, blank=True)
    # The file's modification time as found (file system or archive entry), if it had one.
    found_modified_at = models.DateTimeField(_("modified (as found)"), null=True, blank=True)
    container = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("from archive"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("duplicate of"),
    )
    source = models.CharField(_("source"), max_length=500, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("collected by"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    # A derived file (a redaction, a transcript, a translation, an excerpt, a conversion) is
    # an item of its own bytes that names the original it was made from; the original is
    # never touched (DESIGN.md: derived files are new objects that point to their original).
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derivatives",
        verbose_name=_("derived from"),
    )
    derivation = models.CharField(
        _("kind of derivative"), max_length=16, choices=Derivation.choices, blank=True
    )
    derivation_method = models.CharField(_("how it was made"), max_length=500, blank=True)
    # Set by an approved deletion request (evidence/preservation.py). The row stays as a
    # tombstone: other items, custody events and exports may name it.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        indexes = [models.Index(fields=["workspace", "blob"], name="item_workspace_blob")]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")

    def __str__(self) -> str:
        return self.original_filename


class Metadata(models.Model):
    """Metadata extracted from a stored original by one extractor version.

    A separate record: the original is never touched. A record is never rewritten either:
    a new extractor version adds a row beside the old one (unique per blob and extractor),
    so what each version read stays on file. `raw` holds every value as extracted (made
    JSON-safe and capped, see `evidence/metadata/`), `normalised` the fields described in
    docs/metadata.md, `errors` what could not be read.
    """

    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="metadata_records")
    extractor = models.CharField(_("extractor"), max_length=64)  # "testimonia.metadata/1"
    extracted_at = models.DateTimeField(_("extracted at"), auto_now_add=True)
    tools = models.JSONField(_("tool versions"), default=dict)
    raw = models.JSONField(_("raw metadata"), default=dict)
    normalised = models.JSONField(_("normalised metadata"), default=dict)
    errors = models.JSONField(_("errors"), default=list)

    class Meta:
        ordering = ["-extracted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["blob", "extractor"], name="metadata_one_per_blob_and_extractor"
            ),
        ]
        verbose_name = _("extracted metadata")
        verbose_name_plural = _("extracted metadata")

    def __str__(self) -> str:
        return f"{self.extractor} of blob {self.blob_id}"


class LegalHold(models.Model):
    """An order to preserve an item: while a hold is active, the item cannot be deleted.

    Holds are placed and released with a reason, each a custody event; a released hold stays
    on record. An item may be under several holds (one per matter); all must be released.
    """

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="legal_holds"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField(_("reason"), max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("placed by"),
    )
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return f"hold {self.pk} on item {self.item_id}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class DeletionRequest(models.Model):
    """A request to delete an item, decided by a second person (two-person rule)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELETED = "deleted", _("approved and carried out")
        REFUSED = "refused", _("refused")

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="deletion_requests"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="deletion_requests")
    reason = models.TextField(_("reason"), max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status="pending"),
                name="one_pending_deletion_request_per_item",
            ),
        ]
        verbose_name = _("deletion request")
        verbose_name_plural = _("deletion requests")

    def __str__(self) -> str:
        return f"deletion request {self.pk} for item {self.item_id}"
