"""Redaction: reviewed masking of identifying details in texts, and blacking out of marked
regions in images, each producing a new item derived from the original (docs/witnesses.md).

- The original is never altered: the redacted copy is a new item (`add_derivative`, derivation
  "redaction") that names it, with a `derive` event in the original's chain of custody. The
  copy follows its original for consent (cases/consent.py walks `derived_from`).
- Text: the detectors (cases/redaction_text.py) suggest spans; a person reviews them, accepts
  or rejects each and adds what was missed; the accepted spans are replaced by the same mask
  whatever their length. For a protection officer the witness's own name and contacts are
  looked for too: the identity is decrypted in memory for the comparison and never leaves it.
- The suggestions contain identifying text. They exist in memory and in the reviewer's page
  or answer only: never in the database, the custody log or a log line. What is recorded is
  the method, the reviewer, and how many passages of which category were masked.
- Images: JPEG and PNG, boxes filled with opaque black, metadata dropped
  (cases/redaction_image.py). Video is not redacted here.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from defusedxml import ElementTree
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.accounts.services import membership_roles
from testimonia.cases import identity
from testimonia.cases.consent import testimony_of
from testimonia.cases.exceptions import CasesError, IdentityKeyUnavailable
from testimonia.cases.models import Witness
from testimonia.cases.redaction_image import (
    FORMATS,
    Box,
    ImageRedactionError,
    redact_image,
)
from testimonia.cases.redaction_text import (
    MASK,
    Span,
    SpanError,
    detect,
    identity_spans,
    mask,
    merge,
    phrase_spans,
)
from testimonia.custody.services import Action, CustodyDamaged, sign_checkpoint
from testimonia.evidence.exceptions import DigestMismatch, EvidenceError
from testimonia.evidence.models import Derivation, Item
from testimonia.evidence.services import AddedItem, add_derivative, open_original

logger = logging.getLogger("testimonia.cases")

METHOD = "testimonia-redaction/1"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TEXT_BYTES = 20 * 1024 * 1024
MAX_DOCX_XML_BYTES = 64 * 1024 * 1024
MAX_DOCX_BYTES = 50 * 1024 * 1024
MAX_IMAGE_BYTES = 200 * 1024 * 1024
WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_PHRASES = 200
MAX_SPANS = 20_000


class RedactionRefused(CasesError):
    """The actor may not redact in this workspace."""


class Kind:
    TEXT = "text"
    IMAGE = "image"


def redaction_kind(item: Item) -> str | None:
    """What redaction the item's type allows: text, image, or none."""
    media_type = item.blob.media_type
    if media_type in (TEXT, DOCX):
        return Kind.TEXT
    if media_type in FORMATS:
        return Kind.IMAGE
    return None


def may_redact(actor: User | None, workspace: Workspace) -> bool:
    if actor is None or not actor.is_active:
        return False
    return grants(membership_roles(actor, workspace.slug), Capability.REDACT)


def _check_redactor(actor: User | None, item: Item) -> User:
    if actor is None:
        raise RedactionRefused(_("a redaction is reviewed by a person: name who reviews it"))
    if not may_redact(actor, item.workspace):
        raise RedactionRefused(
            _(
                "only protection officers, legal officers and administrators of workspace "
                "%(workspace)s may redact"
            )
            % {"workspace": item.workspace.slug}
        )
    if item.deleted_at is not None:
        raise CasesError(_("item %(item)s was deleted") % {"item": item.pk})
    return actor


def _read(actor: User, item: Item, limit: int, reason: str) -> bytes:
    """The original's bytes, re-verified against its digests first; the reading is a `view`
    event in its chain of custody."""
    if item.blob.size > limit:
        raise CasesError(
            _("item %(item)s is larger than %(limit)s MB: too large to redact here")
            % {"item": item.pk, "limit": limit // (1024 * 1024)}
        )
    try:
        handle: BinaryIO = open_original(actor, item, reason=reason, action=Action.VIEW)
    except DigestMismatch:
        logger.error("redaction refused: stored object of item %s failed its check", item.pk)
        raise CasesError(
            _(
                "the stored bytes of item %(item)s no longer match its fingerprint: run "
                "`testimonia verify` and tell your administrator"
            )
            % {"item": item.pk}
        ) from None
    with handle:
        return handle.read(limit + 1)


# ---------------------------------------------------------------------------------------------
# Text


@dataclass(frozen=True)
class Suggestion:
    number: int  # 1, 2, ... in the order of the text
    span: Span
    text: str = field(repr=False)  # the passage itself: identifying, in memory only


@dataclass(frozen=True)
class TextReview:
    """The text of an item and the suggested spans, for a reviewer. Holds identifying text:
    shown to the reviewer, never stored; `repr` shows none of it."""

    item: Item
    witness: Witness | None
    source: str  # "text" or "docx"
    text: str = field(repr=False)
    suggestions: tuple[Suggestion, ...] = field(repr=False)
    identity_checked: bool  # the witness's own identity was looked for
    identity_unavailable: bool = False  # it should have been, but the key is missing


def _docx_text(data: bytes) -> str:
    """The text of a Word document's body: paragraphs on lines, tabs and breaks kept."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_XML_BYTES:
                raise CasesError(_("the Word document is too large to redact here"))
            with archive.open(info) as part:
                xml = part.read(MAX_DOCX_XML_BYTES + 1)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CasesError(_("the file is not a readable Word document (.docx)")) from exc
    if len(xml) > MAX_DOCX_XML_BYTES:
        raise CasesError(_("the Word document is too large to redact here"))
    try:
        root = ElementTree.fromstring(xml)
    except Exception as exc:  # defusedxml refuses entities and DTDs with its own errors
        raise CasesError(_("the Word document's text cannot be read")) from exc
    paragraphs = []
    for paragraph in root.iter(WORD + "p"):
        pieces = []
        for node in paragraph.iter():
            if node.tag == WORD + "t":
                pieces.append(node.text or "")
            elif node.tag == WORD + "tab":
                pieces.append("\t")
            elif node.tag in (WORD + "br", WORD + "cr"):
                pieces.append("\n")
        paragraphs.append("".join(pieces))
    return "\n".join(paragraphs)


def _text_of(item: Item, data: bytes) -> tuple[str, str]:
    if item.blob.media_type == DOCX:
        return _docx_text(data), "docx"
    try:
        return data.decode("utf-8-sig"), "text"
    except UnicodeDecodeError:
        raise CasesError(
            _("item %(item)s is not UTF-8 text: convert it to UTF-8 and add it as a derivative")
            % {"item": item.pk}
        ) from None


def _load_text(actor: User, item: Item, reason: str) -> tuple[str, str]:
    if redaction_kind(item) != Kind.TEXT:
        raise CasesError(
            _(
                "item %(item)s is %(type)s: text redaction reads plain text (UTF-8) and Word "
                "documents (.docx)"
            )
            % {"item": item.pk, "type": item.blob.media_type}
        )
    limit = MAX_TEXT_BYTES if item.blob.media_type == TEXT else MAX_DOCX_BYTES
    return _text_of(item, _read(actor, item, limit, reason))


def _witness_of(item: Item) -> Witness | None:
    testimony, _chain = testimony_of(item)
    return testimony.witness if testimony is not None else None


def _identity_suggestions(
    actor: User, witness: Witness | None, text: str
) -> tuple[list[Span], bool, bool]:
    """Spans of the witness's own identity, for a protection officer: (spans, checked,
    unavailable). The identity is decrypted here, compared, and dropped."""
    if witness is None or not identity.may_see_identities(actor, witness.workspace):
        return [], False, False
    try:
        person = identity.read_identity(witness)
    except IdentityKeyUnavailable:
        logger.error("identity store unavailable: see `testimonia manage check` (cases.E001)")
        return [], False, True
    spans = identity_spans(text, name=person.name, contacts=person.contacts, details=person.details)
    return spans, True, False


def review_text(actor: User | None, item: Item, *, phrases: Iterable[str] = ()) -> TextReview:
    """The item's text and the suggested spans (with those of the phrases the reviewer added),
    for review. Reading the original is a `view` event in its chain of custody."""
    reviewer = _check_redactor(actor, item)
    text, source = _load_text(reviewer, item, "read to suggest redactions")
    witness = _witness_of(item)
    own, checked, unavailable = _identity_suggestions(reviewer, witness, text)
    spans = merge([*own, *detect(text), *phrase_spans(text, _phrases(phrases))])
    suggestions = tuple(
        Suggestion(number, span, text[span.start : span.end])
        for number, span in enumerate(spans, start=1)
    )
    return TextReview(item, witness, source, text, suggestions, checked, unavailable)


def _phrases(phrases: Iterable[str]) -> list[str]:
    cleaned = [p.strip() for p in phrases if p.strip()]
    if len(cleaned) > MAX_PHRASES:
        raise CasesError(_("at most %(n)s passages can be added at a time") % {"n": MAX_PHRASES})
    return cleaned


@dataclass(frozen=True)
class Redaction:
    added: AddedItem
    method: str  # as recorded on the new item and in the custody log: counts, no content
    passages: int  # passages masked, or boxes filled
    categories: dict[str, int]

    @property
    def item(self) -> Item:
        return self.added.item


def derived_filename(item: Item, extension: str) -> str:
    """A name for the redacted copy that cannot carry a name the original's had: the
    pseudonym and kind of the testimony it comes from, else the item's number."""
    testimony, _chain = testimony_of(item)
    if testimony is not None:
        return f"{testimony.witness.pseudonym}-{testimony.kind}-redacted{extension}"
    return f"item-{item.pk}-redacted{extension}"


def _store(reviewer: User, item: Item, data: bytes, extension: str, method: str) -> AddedItem:
    try:
        added = add_derivative(
            reviewer,
            item,
            [data],
            filename=derived_filename(item, extension),
            derivation=Derivation.REDACTION,
            method=method,
        )
    except EvidenceError as exc:
        raise CasesError(str(exc)) from None
    try:
        sign_checkpoint(item.workspace)
    except DatabaseError:
        pass  # the next checkpoint covers the new item
    except CustodyDamaged as exc:
        logger.error("custody log of %s not signed: %s", item.workspace.slug, exc)
    return added


def redact_text(
    actor: User | None,
    item: Item,
    spans: Sequence[Span],
    *,
    phrases: Iterable[str] = (),
) -> Redaction:
    """Store a copy of the item's text with the accepted spans (and every occurrence of the
    added phrases) replaced by MASK, as a new item derived from it; the original is untouched.
    A Word document's copy is plain text (its layout is not kept)."""
    reviewer = _check_redactor(actor, item)
    if len(spans) > MAX_SPANS:
        raise CasesError(_("too many spans at once (at most %(n)s)") % {"n": MAX_SPANS})
    text, source = _load_text(reviewer, item, "read to redact")
    accepted = [*spans, *phrase_spans(text, _phrases(phrases))]
    if not accepted:
        raise CasesError(
            _("nothing to redact: accept at least one suggestion or add a passage to mask")
        )
    try:
        masked = mask(text, accepted)
    except SpanError as exc:
        raise CasesError(
            _("a span does not fit the text of item %(item)s: %(problem)s")
            % {"item": item.pk, "problem": str(exc)}
        ) from None
    counts = ", ".join(f"{category} {n}" for category, n in masked.categories.items())
    # Stored as written here, in English, like every custody record.
    origin = "a Word document's text, layout not kept" if source == "docx" else "plain text"
    method = (
        f"text redaction ({origin}) reviewed by {reviewer.get_username()}: "
        f"{masked.passages} passage(s) replaced by {MASK} ({counts}); {METHOD}"
    )
    added = _store(reviewer, item, masked.text.encode("utf-8"), ".txt", method)
    logger.info(
        "item %s redacted into item %s: %s passage(s)", item.pk, added.item.pk, masked.passages
    )
    return Redaction(added, method, masked.passages, masked.categories)


# ---------------------------------------------------------------------------------------------
# Images


def redact_image_item(actor: User | None, item: Item, boxes: Sequence[Box]) -> Redaction:
    """Store a copy of the image with each box filled with opaque black and none of its
    metadata (EXIF, GPS, XMP, comments, colour profile), as a new item derived from it."""
    reviewer = _check_redactor(actor, item)
    if redaction_kind(item) != Kind.IMAGE:
        raise CasesError(
            _("item %(item)s is %(type)s: image redaction takes JPEG and PNG images")
            % {"item": item.pk, "type": item.blob.media_type}
        )
    data = _read(reviewer, item, MAX_IMAGE_BYTES, "read to redact")
    try:
        result = redact_image(data, item.blob.media_type, list(boxes))
    except ImageRedactionError as exc:
        raise CasesError(str(exc)) from None
    listed = "; ".join(str(b) for b in result.boxes)
    if len(listed) > 200:
        listed = listed[:200].rsplit(";", 1)[0] + "; ..."
    method = (
        f"image redaction reviewed by {reviewer.get_username()}: {len(result.boxes)} box(es) "
        f"filled with opaque black (x,y,width,height px, as displayed: {listed}); EXIF, GPS, "
        f"XMP, comments and colour profile removed; {METHOD}"
    )
    added = _store(reviewer, item, result.data, result.extension, method)
    logger.info("item %s redacted into item %s: %s box(es)", item.pk, added.item.pk, len(boxes))
    return Redaction(added, method, len(result.boxes), {"box": len(result.boxes)})


def describe(redaction: Redaction) -> str:
    """A one-line confirmation for the reviewer (counts only)."""
    if "box" in redaction.categories:
        return ngettext(
            "Redacted copy stored as item %(item)s: %(n)s region blacked out.",
            "Redacted copy stored as item %(item)s: %(n)s regions blacked out.",
            redaction.passages,
        ) % {"item": redaction.item.pk, "n": redaction.passages}
    return ngettext(
        "Redacted copy stored as item %(item)s: %(n)s passage masked.",
        "Redacted copy stored as item %(item)s: %(n)s passages masked.",
        redaction.passages,
    ) % {"item": redaction.item.pk, "n": redaction.passages}
