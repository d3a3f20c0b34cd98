"""API routes for legal holds and deletion requests (see evidence/preservation.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.roles import Capability
from testimonia.evidence.models import DeletionRequest, LegalHold
from testimonia.evidence.preservation import (
    REASON_MAX,
    PreservationError,
    approve_deletion,
    deletion_requests,
    place_hold,
    refuse_deletion,
    release_hold,
    request_deletion,
)
from testimonia.evidence.services import items_of

router = Router(tags=["preservation"])


class ReasonIn(Schema):
    reason: str


class DecisionIn(Schema):
    decision: Literal["approve", "refuse"]
    reason: str


class HoldOut(Schema):
    id: int
    item: int
    reason: str
    placed_by: str | None
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_reason: str | None


class DeletionRequestOut(Schema):
    id: int
    item: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: str  # pending, deleted, refused
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class DecisionOut(DeletionRequestOut):
    bytes_removed: bool | None = None  # approved: whether the original left the store
    kept_for: list[int] = []  # approved: the live items that still hold the same bytes


def _name(user: object) -> str | None:
    return user.get_username() if user is not None else None  # type: ignore[attr-defined]


def hold_out(hold: LegalHold) -> HoldOut:
    return HoldOut(
        id=hold.pk,
        item=hold.item_id,
        reason=hold.reason,
        placed_by=_name(hold.placed_by),
        placed_at=hold.placed_at,
        released_by=_name(hold.released_by),
        released_at=hold.released_at,
        release_reason=hold.release_reason or None,
    )


def request_out(request: DeletionRequest) -> DeletionRequestOut:
    return DeletionRequestOut(
        id=request.pk,
        item=request.item_id,
        reason=request.reason,
        requested_by=request.requested_by.get_username(),
        requested_at=request.requested_at,
        status=request.status,
        decided_by=_name(request.decided_by),
        decided_at=request.decided_at,
        decision_reason=request.decision_reason or None,
    )


def _refused(exc: PreservationError) -> HttpError:
    return HttpError(409, str(exc))


def _check_reason(body: ReasonIn | DecisionIn) -> None:
    if len(body.reason) > REASON_MAX:
        raise HttpError(400, f"reason: at most {REASON_MAX} characters")


@router.get(
    "/workspaces/{workspace}/items/{item_id}/holds",
    response=list[HoldOut],
    summary="Legal holds of an item, active and released",
    auth=workspace_auth(Capability.VIEW_EVIDENCE),
)
def list_holds(request: HttpRequest, workspace: str, item_id: int) -> list[HoldOut]:
    ws = request.workspace  # type: ignore[attr-defined]
    item = get_object_or_404(items_of(ws, with_deleted=True), pk=item_id)
    return [hold_out(h) for h in item.legal_holds.order_by("pk")]


@router.post(
    "/workspaces/{workspace}/items/{item_id}/holds",
    response={201: HoldOut},
    summary="Place a legal hold on an item (it cannot be deleted while held)",
    auth=workspace_auth(Capability.PLACE_LEGAL_HOLD),
)
def create_hold(
    request: HttpRequest, workspace: str, item_id: int, body: ReasonIn
) -> Status[HoldOut]:
    _check_reason(body)
    item = get_object_or_404(items_of(request.workspace), pk=item_id)  # type: ignore[attr-defined]
    try:
        hold = place_hold(request.user, item, body.reason)  # type: ignore[arg-type]
    except PreservationError as exc:
        raise _refused(exc) from None
    return Status(201, hold_out(hold))


@router.post(
    "/workspaces/{workspace}/holds/{hold_id}/release",
    response=HoldOut,
    summary="Release a legal hold",
    auth=workspace_auth(Capability.PLACE_LEGAL_HOLD),
)
def release(request: HttpRequest, workspace: str, hold_id: int, body: ReasonIn) -> HoldOut:
    _check_reason(body)
    hold = get_object_or_404(LegalHold, workspace=request.workspace, pk=hold_id)  # type: ignore[attr-defined]
    try:
        return hold_out(release_hold(request.user, hold, body.reason))  # type: ignore[arg-type]
    except PreservationError as exc:
        raise _refused(exc) from None


@router.get(
    "/workspaces/{workspace}/deletion-requests",
    response=list[DeletionRequestOut],
    summary="Deletion requests of the workspace",
    auth=workspace_auth(Capability.VIEW_EVIDENCE),
)
def list_deletion_requests(
    request: HttpRequest, workspace: str, status: str | None = None
) -> list[DeletionRequestOut]:
    rows = deletion_requests(request.workspace).order_by("pk")  # type: ignore[attr-defined]
    if status is not None:
        if status not in DeletionRequest.Status.values:
            raise HttpError(400, "status must be one of: " + ", ".join(DeletionRequest.Status))
        rows = rows.filter(status=status)
    return [request_out(r) for r in rows[:1000]]


@router.post(
    "/workspaces/{workspace}/items/{item_id}/deletion-requests",
    response={201: DeletionRequestOut},
    summary="Ask for an item to be deleted (an administrator other than you decides)",
    auth=workspace_auth(Capability.REQUEST_DELETION),
)
def create_deletion_request(
    request: HttpRequest, workspace: str, item_id: int, body: ReasonIn
) -> Status[DeletionRequestOut]:
    _check_reason(body)
    item = get_object_or_404(items_of(request.workspace), pk=item_id)  # type: ignore[attr-defined]
    try:
        made = request_deletion(request.user, item, body.reason)  # type: ignore[arg-type]
    except PreservationError as exc:
        raise _refused(exc) from None
    return Status(201, request_out(made))


@router.post(
    "/workspaces/{workspace}/deletion-requests/{request_id}/decision",
    response=DecisionOut,
    summary="Approve (the item is deleted) or refuse a deletion request",
    auth=workspace_auth(Capability.DECIDE_DELETION),
)
def decide(request: HttpRequest, workspace: str, request_id: int, body: DecisionIn) -> DecisionOut:
    _check_reason(body)
    pending = get_object_or_404(deletion_requests(request.workspace), pk=request_id)  # type: ignore[attr-defined]
    user = request.user
    try:
        if body.decision == "approve":
            done = approve_deletion(user, pending, body.reason)  # type: ignore[arg-type]
            return DecisionOut(
                **request_out(done.request).dict(),
                bytes_removed=done.bytes_removed,
                kept_for=done.kept_for,
            )
        refused = refuse_deletion(user, pending, body.reason)  # type: ignore[arg-type]
        return DecisionOut(**request_out(refused).dict())
    except PreservationError as exc:
        raise _refused(exc) from None
