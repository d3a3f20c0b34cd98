"""Informed consent: dated decisions per witness and per item, and what they allow now.

A decision grants or withdraws one scope: to be recorded, to be used in analysis, to be shared
with a named mechanism, to be identified to a named mechanism. Decisions are never changed or
deleted; the state at a moment is computed from them:

- The decisions that apply to an item are the witness's general ones and those recorded for
  the item or for the testimony item it was made from (a transcript follows its recording);
  for a mechanism, those for it and for the broader entries it belongs to (a decision for
  `national` applies to `national-de`).
- Of those, the latest (by the date it was given or withdrawn) decides; on the same date a
  withdrawal prevails. So a withdrawal is honoured from its date on, and the history stays.
- Sharing is allowed when the latest sharing decision is a grant and consent to be recorded
  was not withdrawn since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.accounts.models import User
from testimonia.cases.exceptions import CasesError
from testimonia.cases.mechanisms import lineage, mechanism
from testimonia.cases.models import Consent, Mechanism, Testimony, Witness
from testimonia.custody.services import append_event
from testimonia.evidence.models import Item

CONSENT_ACTION = "consent"
MECHANISM_SCOPES = frozenset({Consent.Scope.SHARE, Consent.Scope.IDENTIFY})
MAX_CHAIN = 64  # derivatives of derivatives, members of archives: far more than real chains
CLOCK_SKEW = dt.timedelta(minutes=5)


class Coverage(NamedTuple):
    """Whether a use is allowed, and why (naming the witness by pseudonym and the decision)."""

    covered: bool
    reason: str


@dataclass(frozen=True)
class Subject:
    """What a question about consent is about: a witness, or an item and the witness who gave
    it (through the item, or the testimony item it was made from)."""

    witness: Witness | None
    items: tuple[int, ...]  # the item and those up its derivation chain to the testimony


def testimony_of(item: Item) -> tuple[Testimony | None, tuple[int, ...]]:
    """The testimony record of the item, or else of the nearest original it was made from or
    archive it came in; with the ids of the item and of every item above it (a decision on
    a recording applies to its transcript, and to that transcript's translation)."""
    chain: list[int] = []
    found: Testimony | None = None
    current: Item | None = item
    while current is not None and current.pk not in chain and len(chain) < MAX_CHAIN:
        chain.append(current.pk)
        if found is None:
            found = Testimony.objects.filter(item_id=current.pk).select_related("witness").first()
        parent_id = current.derived_from_id or current.container_id
        current = Item.objects.filter(pk=parent_id).first() if parent_id else None
    return found, tuple(chain)


def subject_of(target: Witness | Item) -> Subject:
    if isinstance(target, Witness):
        return Subject(witness=target, items=())
    testimony, chain = testimony_of(target)
    return Subject(testimony.witness if testimony else None, chain)


def _as_of(at: dt.datetime | None) -> dt.datetime:
    return at if at is not None else timezone.now()


def applicable(
    subject: Subject, scope: str, entry: Mechanism | None, at: dt.datetime | None = None
) -> list[Consent]:
    """The decisions that apply to the subject for this scope (and mechanism), oldest first."""
    if subject.witness is None:
        return []
    rows = Consent.objects.filter(
        witness=subject.witness, scope=scope, effective_at__lte=_as_of(at)
    )
    rows = rows.filter(Q(item__isnull=True) | Q(item_id__in=subject.items))
    if entry is not None:
        rows = rows.filter(mechanism__in=[m.pk for m in lineage(entry)])
    decisions = list(rows.select_related("mechanism"))
    decisions.sort(key=lambda c: (c.effective_at, c.decision == Consent.Decision.WITHDRAWN, c.pk))
    return decisions


def latest(
    subject: Subject, scope: str, entry: Mechanism | None, at: dt.datetime | None = None
) -> Consent | None:
    decisions = applicable(subject, scope, entry, at)
    return decisions[-1] if decisions else None


def _describe(decision: Consent, pseudonym: str) -> str:
    values = {
        "pseudonym": pseudonym,
        "date": decision.effective_at.date().isoformat(),
        "scope": Consent.Scope(decision.scope).label,
        "mechanism": decision.mechanism.slug if decision.mechanism else "",
        "form": Consent.Form(decision.form).label,
        "item": decision.item_id,
    }
    if decision.decision == Consent.Decision.GRANTED:
        text = (
            _("%(pseudonym)s consented on %(date)s (%(form)s) %(scope)s: %(mechanism)s")
            if decision.mechanism
            else _("%(pseudonym)s consented on %(date)s (%(form)s) %(scope)s")
        )
    else:
        text = (
            _("%(pseudonym)s withdrew consent on %(date)s %(scope)s: %(mechanism)s")
            if decision.mechanism
            else _("%(pseudonym)s withdrew consent on %(date)s %(scope)s")
        )
    if decision.item_id is not None:
        text += _(" (for item %(item)s)")
    return text % values


def consent_allows(
    target: Witness | Item,
    scope: str,
    mechanism_slug: str | None = None,
    at: dt.datetime | None = None,
) -> Coverage:
    """Whether the latest applicable decision for this scope (and mechanism) is a grant."""
    subject = subject_of(target)
    entry = mechanism(mechanism_slug) if mechanism_slug else None
    if subject.witness is None:
        return Coverage(
            True,
            _("item %(item)s was not given by a witness: no witness consent applies")
            % {"item": subject.items[0] if subject.items else ""},
        )
    pseudonym = subject.witness.pseudonym
    decision = latest(subject, scope, entry, at)
    if decision is None:
        label = Consent.Scope(scope).label
        text = (
            _("%(pseudonym)s has not consented %(scope)s: %(mechanism)s")
            if entry
            else _("%(pseudonym)s has not consented %(scope)s")
        )
        values = {"pseudonym": pseudonym, "scope": label, "mechanism": entry.slug if entry else ""}
        return Coverage(False, text % values)
    return Coverage(decision.decision == Consent.Decision.GRANTED, _describe(decision, pseudonym))


def consent_covers(
    target: Witness | Item, mechanism_slug: str, at: dt.datetime | None = None
) -> Coverage:
    """Whether what the witness gave (or this item of it) may be shared with the mechanism
    at `at` (default: now), and why. An item no witness gave is covered (no consent applies).
    Raises UnknownMechanism for a slug not in the registry."""
    sharing = consent_allows(target, Consent.Scope.SHARE, mechanism_slug, at)
    if not sharing.covered:
        return sharing
    subject = subject_of(target)
    recording = latest(subject, Consent.Scope.RECORD, None, at)
    if (
        subject.witness is not None
        and recording is not None
        and recording.decision == Consent.Decision.WITHDRAWN
    ):
        return Coverage(False, _describe(recording, subject.witness.pseudonym))
    return sharing


def identification_allowed(
    target: Witness | Item, mechanism_slug: str, at: dt.datetime | None = None
) -> Coverage:
    """Whether the witness may be identified to the mechanism: else what goes to it must be
    redacted (the disclosure export uses redacted derivatives)."""
    return consent_allows(target, Consent.Scope.IDENTIFY, mechanism_slug, at)


# ---------------------------------------------------------------------------------------------
# Recording decisions


def record_consent(
    actor: User | None,
    witness: Witness,
    scope: str,
    decision: str,
    *,
    form: str,
    mechanism_slug: str | None = None,
    item: Item | None = None,
    form_item: Item | None = None,
    effective_at: dt.datetime | None = None,
) -> Consent:
    """Record one decision of the witness (a grant or a withdrawal), dated when it was given,
    in the chain of custody too (an event that names the pseudonym, never the person)."""
    if scope not in Consent.Scope.values:
        raise CasesError(
            _("unknown consent scope %(scope)r: use one of %(scopes)s")
            % {"scope": scope, "scopes": ", ".join(Consent.Scope.values)}
        )
    if decision not in Consent.Decision.values:
        raise CasesError(_("a consent decision is granted or withdrawn"))
    if form not in Consent.Form.values:
        raise CasesError(
            _("unknown form of consent %(form)r: use one of %(forms)s")
            % {"form": form, "forms": ", ".join(Consent.Form.values)}
        )
    entry = mechanism(mechanism_slug) if mechanism_slug else None
    if (scope in MECHANISM_SCOPES) != (entry is not None):
        raise CasesError(
            _("consent to be shared or identified names a mechanism; the other scopes do not")
        )
    if entry is not None and not entry.active and decision == Consent.Decision.GRANTED:
        raise CasesError(
            _("mechanism %(slug)s is no longer in the registry") % {"slug": entry.slug}
        )
    now = timezone.now()
    when = effective_at or now
    if timezone.is_naive(when):
        raise CasesError(_("give the date of the decision with its time zone"))
    if when > now + CLOCK_SKEW:
        raise CasesError(_("a decision cannot be dated in the future"))
    if item is not None:
        _check_item_of(witness, item)
    if form_item is not None and (
        form_item.workspace_id != witness.workspace_id or form_item.deleted_at is not None
    ):
        raise CasesError(
            _("no item %(item)s in workspace %(workspace)s")
            % {"item": form_item.pk, "workspace": witness.workspace.slug}
        )
    with transaction.atomic():
        row = Consent.objects.create(
            workspace_id=witness.workspace_id,
            witness=witness,
            item=item,
            scope=scope,
            mechanism=entry,
            decision=decision,
            form=form,
            form_item=form_item,
            effective_at=when,
            recorded_by=actor,
        )
        append_event(
            witness.workspace,
            actor=actor,
            action=CONSENT_ACTION,
            subject=f"witness:{witness.pk}",
            details=consent_record(row),
        )
    return row


def _check_item_of(witness: Witness, item: Item) -> None:
    testimony, _chain = (
        testimony_of(item) if item.workspace_id == witness.workspace_id else (None, ())
    )
    if testimony is None or testimony.witness_id != witness.pk:
        raise CasesError(
            _("item %(item)s is not a testimony of %(pseudonym)s")
            % {"item": item.pk, "pseudonym": witness.pseudonym}
        )


def consent_record(row: Consent) -> dict[str, Any]:
    return {
        "id": row.pk,
        "witness": row.witness.pseudonym,
        "item": row.item_id,
        "scope": row.scope,
        "mechanism": row.mechanism.slug if row.mechanism else None,
        "decision": row.decision,
        "form": row.form,
        "form_item": row.form_item_id,
        "effective_at": row.effective_at.isoformat(),
        "recorded_by": row.recorded_by.get_username() if row.recorded_by else None,
    }


def history(witness: Witness) -> list[Consent]:
    """Every decision of the witness, oldest first."""
    rows = list(Consent.objects.filter(witness=witness).select_related("mechanism", "recorded_by"))
    rows.sort(key=lambda c: (c.effective_at, c.decision == Consent.Decision.WITHDRAWN, c.pk))
    return rows


def current_state(witness: Witness, at: dt.datetime | None = None) -> list[Consent]:
    """The deciding decision for each scope, mechanism and item the witness decided on: the
    latest of each (later decisions for a broader mechanism or for all items still apply on
    top, as `consent_allows` computes)."""
    deciding: dict[tuple[str, int | None, int | None], Consent] = {}
    moment = _as_of(at)
    for row in history(witness):
        if row.effective_at <= moment:
            deciding[(row.scope, row.mechanism_id, row.item_id)] = row
    return list(deciding.values())


def grant_all(
    actor: User | None,
    witness: Witness,
    mechanism_slugs: Iterable[str],
    *,
    form: str,
    effective_at: dt.datetime | None = None,
) -> list[Consent]:
    """Consent to sharing with each mechanism, as given at intake."""
    return [
        record_consent(
            actor,
            witness,
            Consent.Scope.SHARE,
            Consent.Decision.GRANTED,
            form=form,
            mechanism_slug=slug,
            effective_at=effective_at,
        )
        for slug in mechanism_slugs
    ]
