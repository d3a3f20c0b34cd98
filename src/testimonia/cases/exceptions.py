"""Errors of the cases app. Messages name witnesses by pseudonym only, never by identity."""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _


class CasesError(Exception):
    """A request the cases services refuse; the message says why and what to do."""


class UnknownMechanism(CasesError):
    pass


class WitnessNotFound(CasesError):
    pass


class IdentityRefused(CasesError):
    """The actor may not read or change witness identities in this workspace."""


class IdentityKeyUnavailable(CasesError):
    """The identity store's key file is missing, unreadable or lacks the key needed."""


class IdentityTampered(SuspiciousOperation):
    """A stored identity does not decrypt under its key and its witness: its ciphertext was
    altered, or moved from another witness's row. Reaches the django.security logger."""

    def __init__(self, pseudonym: str) -> None:
        self.pseudonym = pseudonym
        super().__init__(
            _(
                "the stored identity of witness %(pseudonym)s does not decrypt: its ciphertext "
                "was altered or belongs to another witness; restore the identity store from a "
                "backup"
            )
            % {"pseudonym": pseudonym}
        )
