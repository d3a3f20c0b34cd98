from __future__ import annotations

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
