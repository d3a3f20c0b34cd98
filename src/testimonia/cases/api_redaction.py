"""API of redaction (docs/witnesses.md): suggestions for a text item, and redacted copies of
texts and images, each a new item derived from its original.

Every operation needs REDACT (protection officers, legal officers, administrators). The
suggestions answer carries the passages found, which identify people: it is computed for the
request and kept nowhere (no database row, no log line); the client sends back positions, not
text. An item of another workspace answers 404, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from testimonia.accounts.api_auth import workspace_auth
from testimonia.accounts.roles import Capability
from testimonia.cases import redaction
from testimonia.cases.exceptions import CasesError
from testimonia.cases.redaction_image import Box
from testimonia.cases.redaction_text import MASK, Category, Span
from testimonia.evidence.models import Item
from testimonia.evidence.services import items_of
from testimonia.incidents.api_base import actor_of, workspace_of

router = Router(tags=["redaction"])

REDACT = workspace_auth(Capability.REDACT)
ITEM = "/workspaces/{workspace}/items/{item_id}/redaction"


class SuggestionsIn(Schema):
    phrases: list[str] = Field(
        [], description="passages to mask wherever they occur, added by the reviewer"
    )


class SpanOut(Schema):
    number: int
    start: int = Field(..., description="position of the first character (Unicode code points)")
    end: int = Field(..., description="position after the last character")
    category: str = Field(..., description=", ".join(Category.ALL))
    text: str = Field(..., description="the passage: identifying; not stored anywhere")


class SuggestionsOut(Schema):
    item: int
    sha256: str
    media_type: str
    length: int  # characters of the text the positions refer to
    identity_checked: bool  # the witness's own name and contacts were looked for
    suggestions: list[SpanOut]


class SpanIn(Schema):
    start: int = Field(..., ge=0)
    end: int = Field(..., ge=0)
    category: str = Category.MANUAL


class TextRedactionIn(Schema):
    spans: list[SpanIn] = Field([], description="the accepted spans")
    phrases: list[str] = Field([], description="passages masked wherever they occur")


class BoxIn(Schema):
    x: int = Field(..., ge=0)
    y: int = Field(..., ge=0)
    width: int = Field(..., gt=0)
    height: int = Field(..., gt=0)


class ImageRedactionIn(Schema):
    boxes: list[BoxIn] = Field(
        ..., description="regions in pixels of the image as displayed, from the top left"
    )


class RedactedOut(Schema):
    item: int  # the new item
    derived_from: int
    derivation: str
    filename: str
    sha256: str
    size: int
    media_type: str
    method: str  # the method, the reviewer and the counts; no redacted text
    masked: int  # passages masked, or regions blacked out
    categories: dict[str, int]
    mask: str


@contextmanager
def handled() -> Iterator[None]:
    try:
        yield
    except redaction.RedactionRefused as exc:
        raise HttpError(403, str(exc)) from None
    except CasesError as exc:
        raise HttpError(400, str(exc)) from None


def _item(request: HttpRequest, item_id: int) -> Item:
    found = items_of(workspace_of(request)).filter(pk=item_id).first()
    if found is None:
        raise Http404
    return found


def _out(result: redaction.Redaction) -> RedactedOut:
    item = result.item
    return RedactedOut(
        item=item.pk,
        derived_from=item.derived_from_id or 0,
        derivation=item.derivation,
        filename=item.original_filename,
        sha256=item.blob.sha256,
        size=item.blob.size,
        media_type=item.blob.media_type,
        method=item.derivation_method,
        masked=result.passages,
        categories=result.categories,
        mask=MASK,
    )


@router.post(
    ITEM + "/suggestions",
    response=SuggestionsOut,
    summary="Suggest identifying passages of a text item to mask (not stored)",
    auth=REDACT,
)
def suggestions(
    request: HttpRequest,
    response: HttpResponse,
    workspace: str,
    item_id: int,
    payload: SuggestionsIn | None = None,
) -> SuggestionsOut:
    item = _item(request, item_id)
    with handled():
        review = redaction.review_text(
            actor_of(request), item, phrases=payload.phrases if payload else ()
        )
    # The answer identifies people: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return SuggestionsOut(
        item=item.pk,
        sha256=item.blob.sha256,
        media_type=item.blob.media_type,
        length=len(review.text),
        identity_checked=review.identity_checked,
        suggestions=[
            SpanOut(
                number=s.number,
                start=s.span.start,
                end=s.span.end,
                category=s.span.category,
                text=s.text,
            )
            for s in review.suggestions
        ],
    )


@router.post(
    ITEM + "/text",
    response={201: RedactedOut},
    summary="Store a copy of a text item with the accepted spans masked",
    auth=REDACT,
)
def redact_text(
    request: HttpRequest, workspace: str, item_id: int, payload: TextRedactionIn
) -> Status[RedactedOut]:
    item = _item(request, item_id)
    spans = [Span(s.start, s.end, s.category) for s in payload.spans]
    with handled():
        result = redaction.redact_text(actor_of(request), item, spans, phrases=payload.phrases)
    return Status(201, _out(result))


@router.post(
    ITEM + "/image",
    response={201: RedactedOut},
    summary="Store a copy of an image with the marked regions blacked out and no metadata",
    auth=REDACT,
)
def redact_image(
    request: HttpRequest, workspace: str, item_id: int, payload: ImageRedactionIn
) -> Status[RedactedOut]:
    item = _item(request, item_id)
    if not payload.boxes:
        raise HttpError(400, _("mark at least one region to black out"))
    boxes = [Box(b.x, b.y, b.width, b.height) for b in payload.boxes]
    with handled():
        result = redaction.redact_image_item(actor_of(request), item, boxes)
    return Status(201, _out(result))
