"""Legal holds and deletion: the only way evidence leaves the vault, and what stops it.

- A legal hold (placed with a reason, by a legal officer or an administrator) blocks the
  deletion of an item until every hold on it is released.
- A deletion is requested with a reason and decided by a second person, an administrator who
  did not request it (the two-person rule); a refusal is recorded like an approval.
- An approved deletion makes the item a tombstone (`Item.deleted_at`): the row, its custody
  history and the digests stay; only the bytes go, and only when no live item of any
  workspace still holds them (`Blob.purged_at`).

Every step is a custody event in the same transaction as the change it records, so
`testimonia verify` can tell a deletion done here from a record edited behind its back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.accounts.models import User, Workspace
from testimonia.custody.services import Action, actor_label, append_event
from testimonia.evidence.exceptions import EvidenceError
from testimonia.evidence.models import Blob, DeletionRequest, Item, LegalHold
from testimonia.evidence.services import blob_store

logger = logging.getLogger("testimonia.evidence")

REASON_MAX = 2000


class PreservationError(EvidenceError):
    """A hold or deletion step that cannot be done as asked; the message says why."""


class UnderLegalHold(PreservationError):
    pass


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise PreservationError(_("a reason is required: it is recorded in the chain of custody"))
    if len(text) > REASON_MAX:
        raise PreservationError(
            _("the reason is too long (at most %(max)d characters)") % {"max": REASON_MAX}
        )
    return text


def _locked_item(item: Item) -> Item:
    # Race: a hold placed while a deletion is approved. Both lock the item's row first, so
    # one sees the other's result.
    return Item.objects.select_for_update().select_related("blob").get(pk=item.pk)


def _event(actor: User | None, item: Item, action: str, reason: str, **details: object) -> None:
    append_event(
        item.workspace,
        actor=actor,
        action=action,
        object_digest=item.blob.sha256,
        subject=f"item:{item.pk}",
        reason=reason,
        details=details,
    )


def active_holds(item: Item) -> QuerySet[LegalHold]:
    return item.legal_holds.filter(released_at__isnull=True).order_by("pk")


def _hold_message(holds: list[LegalHold]) -> str:
    return _(
        "item %(item)s is under legal hold (%(holds)s): it cannot be deleted until every hold "
        "is released"
    ) % {
        "item": holds[0].item_id,
        "holds": ", ".join(
            _("hold %(id)s placed %(date)s") % {"id": h.pk, "date": h.placed_at.date()}
            for h in holds
        ),
    }


def place_hold(actor: User | None, item: Item, reason: str) -> LegalHold:
    text = _reason(reason)
    with transaction.atomic():
        locked = _locked_item(item)
        if locked.deleted_at is not None:
            raise PreservationError(
                _("item %(item)s was deleted on %(date)s: there is nothing left to hold")
                % {"item": locked.pk, "date": locked.deleted_at.date()}
            )
        hold = LegalHold.objects.create(
            workspace=locked.workspace, item=locked, reason=text, placed_by=actor
        )
        _event(actor, locked, Action.LEGAL_HOLD, text, hold=hold.pk)
    return hold


def release_hold(actor: User | None, hold: LegalHold, reason: str) -> LegalHold:
    text = _reason(reason)
    with transaction.atomic():
        locked = _locked_item(hold.item)
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            raise PreservationError(
                _("hold %(id)s was already released on %(date)s")
                % {"id": hold.pk, "date": hold.released_at.date()}
            )
        hold.released_by = actor
        hold.released_at = timezone.now()
        hold.release_reason = text
        hold.save(update_fields=["released_by", "released_at", "release_reason"])
        _event(actor, locked, Action.LEGAL_HOLD_RELEASE, text, hold=hold.pk)
    return hold


def request_deletion(actor: User, item: Item, reason: str) -> DeletionRequest:
    text = _reason(reason)
    with transaction.atomic():
        locked = _locked_item(item)
        if locked.deleted_at is not None:
            raise PreservationError(
                _("item %(item)s was already deleted on %(date)s")
                % {"item": locked.pk, "date": locked.deleted_at.date()}
            )
        holds = list(active_holds(locked))
        if holds:
            raise UnderLegalHold(_hold_message(holds))
        pending = locked.deletion_requests.filter(status=DeletionRequest.Status.PENDING).first()
        if pending is not None:
            raise PreservationError(
                _("item %(item)s already has a pending deletion request (%(id)s)")
                % {"item": locked.pk, "id": pending.pk}
            )
        request = DeletionRequest.objects.create(
            workspace=locked.workspace, item=locked, reason=text, requested_by=actor
        )
        _event(actor, locked, Action.DELETION_REQUEST, text, request=request.pk)
    return request


def _pending(request: DeletionRequest, decider: User) -> DeletionRequest:
    request = DeletionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != DeletionRequest.Status.PENDING:
        raise PreservationError(
            _("deletion request %(id)s was already decided (%(status)s)")
            % {"id": request.pk, "status": request.get_status_display()}
        )
    if request.requested_by_id == decider.pk:
        raise PreservationError(
            _(
                "deletion request %(id)s must be decided by someone other than the person who "
                "made it (two-person rule)"
            )
            % {"id": request.pk}
        )
    return request


def refuse_deletion(decider: User, request: DeletionRequest, reason: str) -> DeletionRequest:
    text = _reason(reason)
    with transaction.atomic():
        locked = _locked_item(request.item)
        request = _pending(request, decider)
        request.status = DeletionRequest.Status.REFUSED
        request.decided_by = decider
        request.decided_at = timezone.now()
        request.decision_reason = text
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        _event(decider, locked, Action.DELETION_REFUSED, text, request=request.pk)
    return request


@dataclass
class Deletion:
    request: DeletionRequest
    bytes_removed: bool
    # Why the bytes stay, when they do: other live items (of any workspace) hold them.
    kept_for: list[int] = field(default_factory=list)
    # An archive item the deleted file came from still holds a copy inside it.
    container: int | None = None


def approve_deletion(decider: User, request: DeletionRequest, reason: str) -> Deletion:
    """Carry out a pending request: re-checks holds, tombstones the item, and removes the
    bytes when no live item still holds them. Raises UnderLegalHold when a hold was placed
    after the request (the request stays pending)."""
    text = _reason(reason)
    with transaction.atomic():
        item = _locked_item(request.item)
        request = _pending(request, decider)
        holds = list(active_holds(item))
        if holds:
            raise UnderLegalHold(_hold_message(holds))
        now = timezone.now()
        request.status = DeletionRequest.Status.DELETED
        request.decided_by = decider
        request.decided_at = now
        request.decision_reason = text
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        item.deleted_at = now
        item.save(update_fields=["deleted_at"])
        # Race: two items of the same bytes deleted at once. The blob row lock serialises the
        # "is anyone left?" question, as it serialises acquisitions of the same bytes.
        blob = Blob.objects.select_for_update().get(pk=item.blob_id)
        kept_for = list(
            Item.objects.filter(blob=blob, deleted_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not kept_for:
            blob.purged_at = now
            blob.save(update_fields=["purged_at"])
        _event(
            decider,
            item,
            Action.DELETE,
            text,
            request=request.pk,
            requested_by=actor_label(request.requested_by),
            bytes_removed=not kept_for,
        )
        if not kept_for:
            # The bytes go only once the tombstone and its custody event are committed: a
            # crash in between leaves bytes nobody needs (removed by the next deletion's
            # sweep), never a live item without its bytes.
            transaction.on_commit(remove_purged_objects)
    logger.info("item %s deleted on request %s", item.pk, request.pk)
    return Deletion(
        request=request,
        bytes_removed=not kept_for,
        kept_for=kept_for,
        container=item.container_id,
    )


def remove_purged_objects() -> int:
    """Remove from the store the bytes of every purged blob still there; the count removed."""
    store = blob_store()
    removed = 0
    for pk in Blob.objects.filter(purged_at__isnull=False).values_list("pk", flat=True):
        with transaction.atomic():
            # Race: the same bytes ingested again meanwhile. The ingest clears `purged_at`
            # under this row lock; we remove only what is still purged while we hold it.
            blob = Blob.objects.select_for_update().get(pk=pk)
            if blob.purged_at is not None and store.remove(blob.sha256):
                removed += 1
    return removed


def deletion_requests(workspace: Workspace) -> QuerySet[DeletionRequest]:
    return DeletionRequest.objects.filter(workspace=workspace).select_related(
        "item", "item__blob", "requested_by", "decided_by"
    )
