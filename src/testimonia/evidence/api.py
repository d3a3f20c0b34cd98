import logging
from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.roles import Capability
from testimonia.evidence.ingest import CUSTODY_LOG_PATH, ingest_uploads
from testimonia.evidence.models import Item
from testimonia.evidence.services import items_of, latest_metadata, with_metadata

logger = logging.getLogger("testimonia.evidence")

router = Router(tags=["evidence"])


class GpsOut(Schema):
    lat: float
    lon: float
    alt: float | None = None
    time: str | None = None  # the GPS receiver's own UTC time stamp, where recorded
    flags: list[str] = []  # e.g. a 0,0 position, kept but flagged as a likely placeholder


class DeviceOut(Schema):
    make: str | None = None
    model: str | None = None
    software: str | None = None


class MetadataOut(Schema):
    """The normalised fields of the latest metadata record (docs/metadata.md)."""

    extractor: str
    extracted_at: datetime
    kind: str | None = None
    captured_at: str | None = None  # ISO 8601, with the offset when the file recorded one
    captured_at_zone: str | None = None  # "+02:00", or "naive" when the file had no zone
    gps: GpsOut | None = None
    device: DeviceOut | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    codecs: list[str] = []
    title: str | None = None
    author: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    page_count: int | None = None
    producer: str | None = None
    errors: list[str] = []


class ItemOut(Schema):
    id: int
    filename: str
    sha256: str
    sha512: str | None
    size: int
    media_type: str
    source: str
    added_by: str | None
    added_at: datetime
    duplicate_of: int | None
    container: int | None
    original_path: str
    metadata: MetadataOut | None  # null until extracted (in the background), or when unread


def metadata_out(item: Item) -> MetadataOut | None:
    record = latest_metadata(item.blob)
    if record is None:
        return None
    return MetadataOut(
        **record.normalised,
        extractor=record.extractor,
        extracted_at=record.extracted_at,
        errors=record.errors,
    )


def item_out(item: Item) -> ItemOut:
    return ItemOut(
        id=item.pk,
        filename=item.original_filename,
        sha256=item.blob.sha256,
        sha512=item.blob.sha512 or None,
        size=item.blob.size,
        media_type=item.blob.media_type,
        source=item.source,
        added_by=item.added_by.get_username() if item.added_by else None,
        added_at=item.added_at,
        duplicate_of=item.duplicate_of_id,
        container=item.container_id,
        original_path=item.original_path,
        metadata=metadata_out(item),
    )


@router.get(
    "/workspaces/{workspace}/items",
    response=list[ItemOut],
    summary="Evidence items of the workspace",
    auth=workspace_auth(Capability.VIEW_EVIDENCE),
)
def list_items(
    request: HttpRequest, workspace: str, limit: int = 100, offset: int = 0
) -> list[ItemOut]:
    if not 1 <= limit <= 1000 or offset < 0:
        raise HttpError(400, "limit must be 1..1000 and offset >= 0")
    items = with_metadata(items_of(request.workspace))  # type: ignore[attr-defined]
    rows = items[offset : offset + limit]
    return [item_out(item) for item in rows]


@router.get(
    "/workspaces/{workspace}/items/{item_id}",
    response=ItemOut,
    summary="One evidence item",
    auth=workspace_auth(Capability.VIEW_EVIDENCE),
)
def get_item(request: HttpRequest, workspace: str, item_id: int) -> ItemOut:
    item = get_object_or_404(items_of(request.workspace), pk=item_id)  # type: ignore[attr-defined]
    return item_out(item)


@router.post(
    "/workspaces/{workspace}/items",
    response={201: ItemOut},
    summary="Upload one file (an archive is stored, then each of its members)",
    auth=workspace_auth(Capability.ADD_EVIDENCE),
)
def upload_item(
    request: HttpRequest,
    workspace: str,
    file: File[UploadedFile],
    source: Form[str] = "",
) -> Status[ItemOut]:
    outcomes = list(
        ingest_uploads(
            request.user,  # type: ignore[arg-type]
            request.workspace,  # type: ignore[attr-defined]
            [file],
            source=source,
        )
    )
    first = outcomes[0]
    if first.item is None:
        raise HttpError(413 if first.too_large else 400, "; ".join(first.errors))
    if any(o.path == CUSTODY_LOG_PATH for o in outcomes):
        logger.error("custody log not signed after an API upload")
    return Status(201, item_out(first.item))
