from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LogHead(models.Model):
    """The current size of one workspace's custody log. Appends lock this row, so two writers
    can never take the same sequence number (the unique constraint on entries backs it up)."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="custody_head"
    )
    size = models.PositiveBigIntegerField(default=0)
    last_leaf_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.size}"


class LogEntry(models.Model):
    """One custody event, append-only. `payload` is the canonical JSON that the Merkle leaf
    hashes (RFC 9162: SHA-256 of 0x00 || payload); every other column is derived from it."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="custody_entries"
    )
    seq = models.PositiveBigIntegerField(_("sequence number"))
    action = models.CharField(_("action"), max_length=32)
    object_digest = models.CharField(_("object"), max_length=135, blank=True, db_index=True)
    payload = models.TextField(_("event"))
    leaf_hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["workspace", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "seq"], name="custody_entry_seq_unique")
        ]
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class Checkpoint(models.Model):
    """A signed statement of the log's size and Merkle root at a moment (a signed tree head)."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="custody_checkpoints"
    )
    tree_size = models.PositiveBigIntegerField(_("tree size"))
    root_hash = models.CharField(_("root hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    note = models.TextField(_("signed text"))
    key_id = models.CharField(_("key id"), max_length=16)
    signature = models.CharField(_("signature"), max_length=128)  # base64 Ed25519
    # RFC 3161 timestamp of the note from the configured TSA (DER TimeStampResp), if any.
    tsa_response = models.BinaryField(_("timestamp response"), blank=True, default=b"")
    timestamped_at = models.DateTimeField(_("timestamped at"), null=True, blank=True)

    class Meta:
        ordering = ["workspace", "tree_size", "signed_at"]
        verbose_name = _("custody checkpoint")
        verbose_name_plural = _("custody checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"
