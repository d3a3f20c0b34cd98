from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _


class EvidenceError(Exception):
    """A user mistake in an evidence operation; the message is safe to show."""


class UploadTooLarge(EvidenceError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            _("the file is larger than the upload limit of %(limit)s bytes")
            % {"limit": f"{limit:,}"}
        )
        self.limit = limit


class DigestMismatch(SuspiciousOperation):
    """Stored bytes no longer match their recorded digest: tampering or media failure."""

    def __init__(self, item: str, algorithm: str, expected: str, found: str) -> None:
        super().__init__(f"{item}: {algorithm} expected {expected}, found {found}")
        self.item = item
        self.algorithm = algorithm
        self.expected = expected
        self.found = found
