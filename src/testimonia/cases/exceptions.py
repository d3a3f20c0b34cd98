"""Errors of the cases app. Messages name witnesses by pseudonym only, never by identity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

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


class CaseNotFound(CasesError):
    """No such case (or record of a case) in the workspace; answered like one that does not
    exist, whatever the reason."""


class CaseConflict(CasesError):
    """The case's state does not allow the change (a closed case, a suspect still charged)."""


class Refusal(NamedTuple):
    """One item a disclosure cannot include, and why (naming the witness by pseudonym)."""

    item: int
    reason: str


class DisclosureRefused(CasesError):
    """Items of the case may not go to the mechanism: nothing was written. `refusals` names
    every one of them with its reason."""

    def __init__(self, mechanism: str, refusals: Sequence[Refusal]) -> None:
        self.mechanism = mechanism
        self.refusals = tuple(refusals)
        super().__init__(
            _("%(count)d item(s) may not go to %(mechanism)s: %(items)s; nothing was written")
            % {
                "count": len(self.refusals),
                "mechanism": mechanism,
                "items": "; ".join(f"item {r.item}: {r.reason}" for r in self.refusals),
            }
        )


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
