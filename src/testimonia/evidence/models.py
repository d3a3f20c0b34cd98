from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Blob(models.Model):
    """One stored original, addressed by its content. Shared by every item with these bytes."""

    sha256 = models.CharField(_("SHA-256"), max_length=71, unique=True)  # "sha256:<hex>"
    sha512 = models.CharField(_("SHA-512"), max_length=135, blank=True)  # filled by a task
    size = models.PositiveBigIntegerField(_("size"))
    media_type = models.CharField(_("media type"), max_length=127)
    stored_at = models.DateTimeField(_("stored at"), auto_now_add=True)

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


class Item(models.Model):
    """An original as a workspace holds it: the bytes (a Blob) and how they came in."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.PROTECT, related_name="items"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="items")
    original_filename = models.CharField(_("original file name"), max_length=255)
    source = models.CharField(_("source"), max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "blob"], name="item_once_per_workspace")
        ]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")

    def __str__(self) -> str:
        return self.original_filename
