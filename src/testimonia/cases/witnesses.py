"""Witnesses: intake under a pseudonym, lookup, risk assessment and protection measures.

The person behind a pseudonym is typed once, at intake, and sealed in the identity store
(cases/identity.py); from then on every screen, export, log line and error names the witness
by pseudonym (W-0042), sequential in each workspace.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.accounts.models import User, Workspace
from testimonia.cases import consent, identity
from testimonia.cases.exceptions import CasesError, WitnessNotFound
from testimonia.cases.identity import Identity
from testimonia.cases.mechanisms import mechanism
from testimonia.cases.models import Consent, ProtectionMeasure, Witness

logger = logging.getLogger("testimonia.cases")

PSEUDONYM = re.compile(r"^W-?0*([1-9][0-9]{0,8})$", re.IGNORECASE)


def pseudonym_for(number: int) -> str:
    return f"W-{number:04d}"


def parse_pseudonym(text: str) -> int | None:
    match = PSEUDONYM.match(text.strip())
    return int(match.group(1)) if match else None


def witnesses_of(workspace: Workspace) -> QuerySet[Witness]:
    return Witness.objects.filter(workspace=workspace).select_related("created_by")


def witness_of(workspace: Workspace, pseudonym: str) -> Witness:
    """The workspace's witness with this pseudonym (W-0042, w-42, W42). What was typed is not
    repeated in the error unless it reads as a pseudonym: it might be a name."""
    number = parse_pseudonym(pseudonym)
    if number is None:
        raise WitnessNotFound(_("that is not a pseudonym: witnesses are named W-0001, W-0002, ..."))
    found = witnesses_of(workspace).filter(number=number).first()
    if found is None:
        raise WitnessNotFound(
            _("no witness %(pseudonym)s in workspace %(workspace)s")
            % {"pseudonym": pseudonym_for(number), "workspace": workspace.slug}
        )
    return found


def create_witness(
    actor: User | None,
    workspace: Workspace,
    person: Identity,
    *,
    consent_to: Iterable[str] = (),
    consent_form: str = Consent.Form.ORAL,
    consent_at: dt.datetime | None = None,
) -> Witness:
    """Take in a witness: seal the identity, give the next pseudonym, and record the consent
    to sharing given at intake (mechanism slugs). Nothing is written if any of it fails."""
    person = identity.clean_identity(person)
    if consent_form not in Consent.Form.values:
        raise CasesError(
            _("unknown form of consent %(form)r: use one of %(forms)s")
            % {"form": consent_form, "forms": ", ".join(Consent.Form.values)}
        )
    slugs = list(dict.fromkeys(s.strip().lower() for s in consent_to))
    for slug in slugs:
        mechanism(slug)  # an unknown slug is refused before anything is written
    with transaction.atomic():
        # Race: two intakes in one workspace must not take the same number. The workspace row
        # lock serialises them (the unique constraints back it up); identity writes hold it
        # too, so that a key rotation sees every identity (identity.rotate_key).
        Workspace.objects.select_for_update().get(pk=workspace.pk)
        ring = identity.keyring()  # a missing key refuses the intake before any write
        last = Witness.objects.filter(workspace=workspace).aggregate(n=Max("number"))["n"]
        number = (last or 0) + 1
        witness = Witness.objects.create(
            workspace=workspace,
            number=number,
            pseudonym=pseudonym_for(number),
            created_by=actor,
        )
        identity.store_identity(witness, person, ring)
        consent.grant_all(actor, witness, slugs, form=consent_form, effective_at=consent_at)
    logger.info("witness %s taken in, workspace %s", witness.pseudonym, workspace.slug)
    return witness


def assess_risk(
    actor: User | None,
    witness: Witness,
    *,
    level: str,
    measures: Iterable[str] | None = None,
    notes: str | None = None,
) -> Witness:
    """Record a risk assessment: the level and measures (seen by every internal role) and,
    when given, the notes, sealed with the identity since they may identify the witness."""
    if level not in Witness.Risk.values:
        raise CasesError(
            _("unknown risk level %(level)r: use one of %(levels)s")
            % {"level": level, "levels": ", ".join(Witness.Risk.values)}
        )
    chosen = list(dict.fromkeys(measures)) if measures is not None else None
    if chosen is not None:
        unknown = [m for m in chosen if m not in ProtectionMeasure.values]
        if unknown:
            raise CasesError(
                _("unknown protection measures %(unknown)s: use %(known)s")
                % {"unknown": ", ".join(unknown), "known": ", ".join(ProtectionMeasure.values)}
            )
    with transaction.atomic():
        if notes is not None:
            identity.write_risk_notes(witness, notes)
        witness.risk_level = level
        if chosen is not None:
            witness.protection_measures = chosen
        witness.risk_assessed_at = timezone.now()
        witness.risk_assessed_by = actor
        witness.save(
            update_fields=[
                "risk_level",
                "protection_measures",
                "risk_assessed_at",
                "risk_assessed_by",
            ]
        )
    return witness
