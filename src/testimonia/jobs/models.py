from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A background task as users see it: what it does, for whom, and how far it has got.

    The task backend keeps the queue state (ready, running, failed); this row adds the
    workspace, a readable label and progress, which the tasks API has no place for.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    # Set once the task is enqueued (after the transaction that created the job commits).
    # NULL, not "", so that many not-yet-enqueued jobs fit the unique constraint.
    task_id = models.CharField(max_length=64, unique=True, null=True)  # noqa: DJ001
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="jobs", null=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Label and message are stored untranslated (msgids marked with gettext_noop) and
    # translated when shown, in the reader's language; message_args fill their placeholders.
    label = models.CharField(_("label"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), null=True)
    unit = models.CharField(_("unit"), max_length=16, default="items")
    # A short, user-safe message (never exception text, which may carry paths or personal data).
    message = models.CharField(_("message"), max_length=200, blank=True)
    message_args = models.JSONField(_("message arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__isnull=True) | models.Q(done__lte=models.F("total")),
                name="job_done_within_total",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))

    @property
    def display_label(self) -> str:
        return str(gettext(self.label))

    @property
    def display_message(self) -> str:
        try:
            return str(gettext(self.message) % self.message_args)
        except (KeyError, TypeError, ValueError):
            return gettext(self.message)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
