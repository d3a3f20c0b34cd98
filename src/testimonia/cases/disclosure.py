"""Disclosure packages and the disclosure log (docs/cases.md).

`export_case` writes a case's evidence for one mechanism as a BagIt bag made by the vault's
exporter (evidence/export.py), with the disclosure's own tag files under `disclosure/` (an
index in the mechanism's metadata fields, CSV and JSON, and a PDF memorandum:
cases/disclosure_files.py), and the custody proofs the exporter puts in every bag.

Consent is enforced before anything is written (`plan_disclosure`): every item of the case
must be covered by its witness's consent to share with the mechanism (cases/consent.py); where
the witness may not be identified to it, the item's redacted derivative goes instead of it,
and an item without one is refused. One refused item refuses the whole export, with every
refused item and its reason. The check runs again inside the transaction that records the
disclosure, so that a withdrawal recorded while the files were copied still stops it.

Each disclosure is recorded (Disclosure, DisclosureItem: the consent decision each item relied
on) and is a custody event `disclosure`; a recipient's receipt can be recorded later
(`disclosure_receipt`). Custody events name items, cases and mechanisms, never a witness.
`disclosures_affected_by(withdrawal)` lists the disclosures that a withdrawal of consent
concerns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.accounts.models import User, Workspace
from testimonia.cases import consent
from testimonia.cases.dossiers import (
    reads_working_records,
    require_builder,
    reviewer_mechanisms,
    save_as,
)
from testimonia.cases.exceptions import (
    CaseConflict,
    CaseNotFound,
    CasesError,
    DisclosureRefused,
    Refusal,
)
from testimonia.cases.mechanisms import lineage, mechanism
from testimonia.cases.models import (
    Case,
    CaseMember,
    Consent,
    Disclosure,
    DisclosureItem,
    Mechanism,
    Witness,
)
from testimonia.custody.services import append_event
from testimonia.evidence.export import CopiedItem, ExportRefused, export_bag, read_bag_info
from testimonia.evidence.models import Derivation, Item

logger = logging.getLogger("testimonia.cases")

DISCLOSURE_ACTION = "disclosure"
RECEIPT_ACTION = "disclosure_receipt"
STORE = "disclosures"  # the folder under TESTIMONIA_HOME of the bags exported through the API
MAX_RECIPIENT = 300
CLOCK_SKEW = dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# What may go: consent enforcement


@dataclass(frozen=True)
class Planned:
    """One item of the case as it will go: itself, or its redacted derivative."""

    case_item: Item
    send: Item
    witness: Witness | None
    sharing: Consent | None  # the decision the sharing relies on (None: no witness)
    identification: Consent | None  # the decision to be identified, where granted
    redacted: bool
    reason: str


@dataclass(frozen=True)
class Plan:
    case: Case
    mechanism: Mechanism
    at: dt.datetime
    items: tuple[Planned, ...]
    refusals: tuple[Refusal, ...]


def redaction_of(item: Item) -> Item | None:
    """The latest redacted derivative of the item (a new object made from it; the original
    is never altered), if one was made."""
    return (
        Item.objects.filter(
            workspace_id=item.workspace_id,
            derived_from=item,
            derivation=Derivation.REDACTION,
            deleted_at__isnull=True,
        )
        .select_related("blob")
        .order_by("-added_at", "-pk")
        .first()
    )


def _planned(item: Item, entry: Mechanism, at: dt.datetime) -> Planned | Refusal:
    slug = entry.slug
    if item.deleted_at is not None:
        return Refusal(item.pk, _("the item was deleted from the vault"))
    sharing = consent.consent_covers(item, slug, at)
    if not sharing.covered:
        return Refusal(item.pk, sharing.reason)
    subject = consent.subject_of(item)
    send, redacted, identification = item, item.derivation == Derivation.REDACTION, None
    if subject.witness is not None:
        identified = consent.identification_allowed(item, slug, at)
        if identified.covered:
            identification = consent.latest(subject, Consent.Scope.IDENTIFY, entry, at)
        elif not redacted:
            derivative = redaction_of(item)
            if derivative is None:
                return Refusal(
                    item.pk,
                    _(
                        "%(reason)s, and the item has no redacted version: make one (a "
                        "redaction of item %(item)s) and export again"
                    )
                    % {"reason": identified.reason, "item": item.pk},
                )
            again = consent.consent_covers(derivative, slug, at)
            if not again.covered:
                return Refusal(item.pk, again.reason)
            send, redacted = derivative, True
            subject = consent.subject_of(derivative)
    decision = (
        consent.latest(subject, Consent.Scope.SHARE, entry, at)
        if subject.witness is not None
        else None
    )
    return Planned(
        case_item=item,
        send=send,
        witness=subject.witness,
        sharing=decision,
        identification=identification,
        redacted=redacted,
        reason=sharing.reason,
    )


def plan_disclosure(case: Case, mechanism_slug: str, at: dt.datetime | None = None) -> Plan:
    """What of the case may go to the mechanism at `at` (default now), and what may not and
    why. Raises UnknownMechanism for a slug not in the registry."""
    entry = mechanism(mechanism_slug)
    moment = at or timezone.now()
    items: list[Planned] = []
    refusals: list[Refusal] = []
    sent: set[int] = set()
    rows = case.case_items.select_related("item__blob").order_by("item_id")
    for row in rows:
        outcome = _planned(row.item, entry, moment)
        if isinstance(outcome, Refusal):
            refusals.append(outcome)
        elif outcome.send.pk not in sent:  # an original and its redaction both in the case
            sent.add(outcome.send.pk)
            items.append(outcome)
    return Plan(case, entry, moment, tuple(items), tuple(refusals))


# ---------------------------------------------------------------------------------------------
# The export


def _text(value: str, what: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise CasesError(
            _("the %(what)s is longer than %(max)s characters") % {"what": what, "max": limit}
        )
    return text


def _digest_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def export_case(
    actor: User | None,
    case: Case,
    mechanism_slug: str,
    out_dir: Path,
    *,
    recipient: str = "",
    language: str | None = None,
    progress: Callable[[int], None] | None = None,
    stored_at: str = "",
) -> Disclosure:
    """Write the disclosure package of the case for the mechanism at `out_dir` (which must
    not exist, or be an empty folder), record it in the disclosure log and the custody log,
    and return the record.

    Raises DisclosureRefused, naming every item the witnesses' consent keeps from the
    mechanism, before anything is written; CasesError for a closed case, a case without
    items or a bad destination; and the exporter's integrity errors (DigestMismatch,
    StoredObjectMissing, CustodyDamaged), after which nothing is left behind either.
    """
    from testimonia.cases.disclosure_files import disclosure_files

    require_builder(actor, case.workspace)
    if case.status == Case.Status.CLOSED:
        raise CaseConflict(
            _("case %(id)s is closed: reopen it before disclosing from it") % {"id": case.pk}
        )
    who = _text(recipient, _("recipient"), MAX_RECIPIENT)
    plan = plan_disclosure(case, mechanism_slug)
    if plan.refusals:
        raise DisclosureRefused(plan.mechanism.slug, plan.refusals)
    if not plan.items:
        raise CasesError(
            _("case %(id)s has no evidence items: add them first (testimonia case add)")
            % {"id": case.pk}
        )
    memo_language = (language or case.language or "en").strip()
    copied: dict[int, CopiedItem] = {}
    recorded: list[Disclosure] = []

    def tag_files(export_id: str, items: Sequence[CopiedItem]) -> dict[str, bytes]:
        copied.update((c.item.pk, c) for c in items)
        return disclosure_files(
            plan, items, export_id=export_id, language=memo_language, recipient=who, actor=actor
        )

    def on_written(staging: Path, export_id: str) -> None:
        # Race: consent withdrawn, or an item deleted, while the files were copied.
        again = plan_disclosure(case, plan.mechanism.slug)
        if again.refusals:
            raise DisclosureRefused(plan.mechanism.slug, again.refusals)
        if [p.send.pk for p in again.items] != [p.send.pk for p in plan.items]:
            raise CaseConflict(_("the case's items changed during the export: export again"))
        recorded.append(
            _record(
                actor,
                plan,
                copied,
                export_id=export_id,
                manifest_digest=_digest_of(staging / "tagmanifest-sha256.txt"),
                payload_oxum=read_bag_info(staging).get("Payload-Oxum", ""),
                bag_name=Path(os.path.abspath(out_dir)).name,
                stored_at=stored_at,
                recipient=who,
                language=memo_language,
            )
        )

    try:
        export_bag(
            actor,
            case.workspace,
            [p.send.pk for p in plan.items],
            Path(out_dir),
            source_organization=case.workspace.name,
            progress=progress,
            tag_files=tag_files,
            on_written=on_written,
        )
    except ExportRefused as exc:
        raise CasesError(str(exc)) from None
    disclosure = recorded[0]
    logger.info(
        "disclosure %s: case %s to %s, %d item(s)",
        disclosure.pk,
        case.pk,
        plan.mechanism.slug,
        len(plan.items),
    )
    return disclosure


def _record(
    actor: User | None,
    plan: Plan,
    copied: dict[int, CopiedItem],
    *,
    export_id: str,
    manifest_digest: str,
    payload_oxum: str,
    bag_name: str,
    stored_at: str,
    recipient: str,
    language: str,
) -> Disclosure:
    case = plan.case
    disclosure = save_as(
        actor,
        Disclosure(
            workspace=case.workspace,
            case=case,
            mechanism=plan.mechanism,
            recipient=recipient,
            disclosed_at=timezone.now(),
            disclosed_by=actor,
            export_id=export_id,
            manifest_digest=manifest_digest,
            payload_oxum=payload_oxum,
            bag_name=bag_name,
            stored_at=stored_at,
            language=language,
        ),
    )
    rows = DisclosureItem.objects.bulk_create(
        DisclosureItem(
            disclosure=disclosure,
            item=p.send,
            case_item=p.case_item,
            bag_path=copied[p.send.pk].bag_path,
            witness=p.witness,
            consent=p.sharing,
            consent_effective_at=p.sharing.effective_at if p.sharing else None,
            identification=p.identification,
            redacted=p.redacted,
            reason=p.reason,
        )
        for p in plan.items
    )
    append_event(
        case.workspace,
        actor=actor,
        action=DISCLOSURE_ACTION,
        subject=f"case:{case.pk}",
        details={
            "disclosure": disclosure.pk,
            "export_id": export_id,
            "mechanism": plan.mechanism.slug,
            "recipient": recipient,
            "manifest_digest": manifest_digest,
            "items": [
                {
                    "item": row.item_id,
                    "case_item": row.case_item_id,
                    "consent": row.consent_id,
                    "redacted": row.redacted,
                }
                for row in rows
            ],
        },
    )
    return disclosure


def store_folder(case: Case) -> tuple[Path, str]:
    """A new folder under TESTIMONIA_HOME for a bag exported through the API (its parent is
    created): the absolute path and the path relative to the home, as recorded."""
    home = Path(settings.TESTIMONIA_HOME).resolve()
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    relative = f"{STORE}/case-{case.pk}/{stamp}-{uuid.uuid4().hex[:8]}"
    folder = home / relative
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder, relative


def stored_bag(disclosure: Disclosure) -> Path | None:
    """The bag the server keeps for a disclosure exported through the API, if still there."""
    if not disclosure.stored_at:
        return None
    home = Path(settings.TESTIMONIA_HOME).resolve()
    path = (home / disclosure.stored_at).resolve()
    if not path.is_relative_to(home / STORE) or not (path / "bagit.txt").is_file():
        return None
    return path


# ---------------------------------------------------------------------------------------------
# The log


def disclosures_of(workspace: Workspace) -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(workspace=workspace).select_related(
        "case", "mechanism", "disclosed_by", "receipt_recorded_by"
    )


def visible_disclosures(user: User, workspace: Workspace) -> QuerySet[Disclosure]:
    """Every disclosure for an internal role; for a reviewer, those of the cases whose team
    names them, to their mechanism."""
    rows = disclosures_of(workspace)
    if reads_working_records(user, workspace):
        return rows
    allowed: set[int] = set()
    teams = CaseMember.objects.filter(
        case__workspace=workspace, user=user, role=CaseMember.Role.REVIEWER
    ).select_related("case")
    for member in teams:
        mechanisms = reviewer_mechanisms(user, member.case)
        allowed.update(
            rows.filter(case=member.case, mechanism_id__in=mechanisms).values_list("pk", flat=True)
        )
    return rows.filter(pk__in=allowed)


def disclosure_of(rows: QuerySet[Disclosure], pk: int) -> Disclosure:
    found = rows.filter(pk=pk).first()
    if found is None:
        raise CaseNotFound(_("no disclosure %(id)s in this workspace") % {"id": pk})
    return found


def record_receipt(
    actor: User | None,
    disclosure: Disclosure,
    *,
    received_on: dt.date,
    reference: str,
    note: str = "",
) -> Disclosure:
    """Record the recipient's acknowledgement of receipt (a later one replaces it; the
    history keeps both), in the custody log too."""
    require_builder(actor, disclosure.workspace)
    reference = _text(reference, _("reference"), MAX_RECIPIENT)
    if not reference:
        raise CasesError(_("give the recipient's reference for the receipt"))
    if received_on < timezone.localdate(disclosure.disclosed_at) - CLOCK_SKEW:
        raise CasesError(_("a receipt cannot be dated before the disclosure"))
    if received_on > timezone.localdate() + CLOCK_SKEW:
        raise CasesError(_("a receipt cannot be dated in the future"))
    disclosure.received_on = received_on
    disclosure.receipt_reference = reference
    disclosure.receipt_note = (note or "").strip()
    disclosure.receipt_recorded_by = actor
    disclosure.receipt_recorded_at = timezone.now()
    with transaction.atomic():
        save_as(actor, disclosure)
        append_event(
            disclosure.workspace,
            actor=actor,
            action=RECEIPT_ACTION,
            subject=f"case:{disclosure.case_id}",
            details={
                "disclosure": disclosure.pk,
                "export_id": disclosure.export_id,
                "received_on": received_on.isoformat(),
                "reference": reference,
            },
        )
    return disclosure


def disclosures_affected_by(withdrawal: Consent) -> list[Disclosure]:
    """The disclosures that included what a withdrawal of consent covers: the witness's items
    (or the one item, and what was made from it) sent to the mechanism withdrawn, or to a
    narrower entry under it; for a withdrawal of consent to be recorded, to any mechanism;
    for a withdrawal of consent to be identified, only the items that went unredacted. A
    grant, or a withdrawal of consent to analysis, affects none."""
    if withdrawal.decision != Consent.Decision.WITHDRAWN:
        return []
    if withdrawal.scope == Consent.Scope.ANALYSIS:
        return []
    rows = DisclosureItem.objects.filter(witness_id=withdrawal.witness_id).select_related(
        "item", "disclosure"
    )
    if withdrawal.scope in consent.MECHANISM_SCOPES and withdrawal.mechanism is not None:
        wanted = withdrawal.mechanism_id
        narrower = [m.pk for m in Mechanism.objects.all() if wanted in {e.pk for e in lineage(m)}]
        rows = rows.filter(disclosure__mechanism_id__in=narrower)
    if withdrawal.scope == Consent.Scope.IDENTIFY:
        rows = rows.filter(redacted=False)
    found: dict[int, Disclosure] = {}
    for row in rows:
        if withdrawal.item_id is not None:
            _testimony, chain = consent.testimony_of(row.item)
            if withdrawal.item_id not in chain:
                continue
        found[row.disclosure_id] = row.disclosure
    return sorted(found.values(), key=lambda d: (d.disclosed_at, d.pk))


def affected_record(disclosure: Disclosure) -> dict[str, Any]:
    """A disclosure as a withdrawal reports it."""
    return {
        "id": disclosure.pk,
        "case": disclosure.case_id,
        "mechanism": disclosure.mechanism.slug,
        "recipient": disclosure.recipient,
        "disclosed_at": disclosure.disclosed_at.isoformat(),
    }


def disclosure_record(disclosure: Disclosure, *, with_items: bool = True) -> dict[str, Any]:
    """A disclosure as the API and the command line give it."""
    record: dict[str, Any] = {
        "id": disclosure.pk,
        "case": disclosure.case_id,
        "mechanism": disclosure.mechanism.slug,
        "recipient": disclosure.recipient,
        "disclosed_at": disclosure.disclosed_at,
        "disclosed_by": disclosure.disclosed_by.get_username() if disclosure.disclosed_by else None,
        "export_id": disclosure.export_id,
        "manifest_digest": disclosure.manifest_digest,
        "payload_oxum": disclosure.payload_oxum,
        "bag_name": disclosure.bag_name,
        "stored": bool(disclosure.stored_at),
        "language": disclosure.language,
        "receipt": None
        if disclosure.received_on is None
        else {
            "received_on": disclosure.received_on,
            "reference": disclosure.receipt_reference,
            "note": disclosure.receipt_note,
            "recorded_by": disclosure.receipt_recorded_by.get_username()
            if disclosure.receipt_recorded_by
            else None,
            "recorded_at": disclosure.receipt_recorded_at,
        },
    }
    if with_items:
        record["items"] = [
            {
                "item": row.item_id,
                "case_item": row.case_item_id,
                "bag_path": row.bag_path,
                "witness": row.witness.pseudonym if row.witness else None,
                "consent": row.consent_id,
                "consent_effective_at": row.consent_effective_at,
                "identification": row.identification_id,
                "redacted": row.redacted,
                "reason": row.reason,
            }
            for row in disclosure.items.select_related("witness").order_by("item_id")
        ]
    return record


def export_to_store(
    actor: User | None,
    case: Case,
    mechanism_slug: str,
    *,
    recipient: str = "",
    language: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Disclosure:
    """`export_case` into a new folder under TESTIMONIA_HOME/disclosures, which the server
    keeps so that the package can be downloaded (the API's exports)."""
    folder, relative = store_folder(case)
    return export_case(
        actor,
        case,
        mechanism_slug,
        folder,
        recipient=recipient,
        language=language,
        progress=progress,
        stored_at=relative,
    )


def package_size(plan: Plan) -> int:
    """The bytes of evidence a plan sends (what the copy reads)."""
    return sum(p.send.blob.size for p in plan.items)
