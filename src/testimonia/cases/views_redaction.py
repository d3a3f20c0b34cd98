"""Redaction pages: review the suggestions for a text item (accept, reject, add passages) and
apply them, or mark boxes on an image; each makes a new item derived from the original.

The page of suggestions shows identifying text to the reviewer. It is computed for the
request and never cached (no-store); the form sends back positions and categories
(`start:end:category`), never the passages, and the passages the reviewer types travel in the
form only. Nothing of it reaches the session, the messages or a log line.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.models import User
from testimonia.accounts.roles import Capability, grants
from testimonia.cases import redaction
from testimonia.cases.consent import testimony_of
from testimonia.cases.exceptions import CasesError
from testimonia.cases.redaction_image import ImageRedactionError, parse_boxes
from testimonia.cases.redaction_text import MASK, Category, SpanError, parse_span
from testimonia.evidence.models import Item
from testimonia.evidence.services import items_of

logger = logging.getLogger("testimonia.cases")

CATEGORY_LABELS = {
    Category.IDENTITY: gettext_lazy("the witness's identity"),
    Category.NAME: gettext_lazy("name"),
    Category.ID_NUMBER: gettext_lazy("ID number"),
    Category.PHONE: gettext_lazy("phone number"),
    Category.EMAIL: gettext_lazy("e-mail address"),
    Category.ADDRESS: gettext_lazy("address"),
    Category.MANUAL: gettext_lazy("added by the reviewer"),
}
PREVIEW_LIMIT = 200_000  # characters of the text shown with its suggestions marked
CONTEXT = 40  # characters shown on each side of a suggestion


def _actor(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _witness_link(request: HttpRequest, item: Item) -> Any:
    if not grants(request.workspace_roles, Capability.VIEW_WITNESSES):  # type: ignore[attr-defined]
        return None
    testimony, _chain = testimony_of(item)
    return testimony.witness if testimony is not None else None


@access.workspace_member(Capability.REDACT)
@never_cache
@require_http_methods(["GET", "POST"])
def item_redact(request: HttpRequest, workspace: str, item: int) -> HttpResponse:
    ws = current_workspace(request)
    record = get_object_or_404(items_of(ws), pk=item)
    kind = redaction.redaction_kind(record)
    context = {"item": record, "witness": _witness_link(request, record), "mask": MASK}
    if kind == redaction.Kind.TEXT:
        return _text(request, record, context)
    if kind == redaction.Kind.IMAGE:
        return _image(request, record, context)
    return render(request, "cases/redact_unsupported.html", context)


# ---------------------------------------------------------------------------------------------
# Text


def _phrases(request: HttpRequest) -> list[str]:
    return [line.strip() for line in request.POST.get("phrases", "").splitlines() if line.strip()]


def _text(request: HttpRequest, item: Item, context: dict[str, Any]) -> HttpResponse:
    phrases = _phrases(request) if request.method == "POST" else []
    accepted = set(request.POST.getlist("span"))
    offered = set(request.POST.getlist("offered"))
    error = None
    if request.method == "POST" and request.POST.get("action") == "apply":
        try:
            spans = [parse_span(key) for key in accepted]
            result = redaction.redact_text(_actor(request), item, spans, phrases=phrases)
        except SpanError:
            error = _("The form was altered: reload the page and review again.")
        except CasesError as exc:
            error = str(exc)
        else:
            messages.success(request, redaction.describe(result))
            return redirect("web:item", workspace=item.workspace.slug, item=result.item.pk)
    try:
        review = redaction.review_text(_actor(request), item, phrases=phrases)
    except CasesError as exc:
        return render(
            request, "cases/redact_unsupported.html", {**context, "error": str(exc)}, status=400
        )
    rows = []
    for suggestion in review.suggestions:
        span = suggestion.span
        key = span.key()
        rows.append(
            {
                "number": suggestion.number,
                "key": key,
                # Checked unless the reviewer had it on the page and left it unchecked.
                "checked": key in accepted or key not in offered,
                "category": span.category,
                "label": CATEGORY_LABELS.get(span.category, span.category),
                "passage": suggestion.text,
                "before": review.text[max(0, span.start - CONTEXT) : span.start],
                "after": review.text[span.end : span.end + CONTEXT],
                "start": span.start,
                "end": span.end,
            }
        )
    return render(
        request,
        "cases/redact_text.html",
        {
            **context,
            "review": review,
            "rows": rows,
            "preview": _preview(review),
            "direction": text_direction(review.text),
            "truncated": len(review.text) > PREVIEW_LIMIT,
            "phrases": "\n".join(phrases),
            "error": error,
        },
        status=400 if error else 200,
    )


def text_direction(text: str) -> str:
    """The direction of a text from its letters: right to left when Arabic or Hebrew letters
    outnumber the others (a transcript opening with "W-0001:" is still an Arabic text)."""
    sample = text[:20_000]
    rtl = sum(1 for ch in sample if "\u0590" <= ch <= "\u08ff")
    other = sum(1 for ch in sample if ch.isalpha()) - rtl
    return "rtl" if rtl > other else "ltr"


def _preview(review: redaction.TextReview) -> SafeString:
    """The text with each suggestion marked and numbered, escaped piece by piece."""
    text = review.text[:PREVIEW_LIMIT]
    pieces: list[str] = []
    cursor = 0
    for suggestion in review.suggestions:
        span = suggestion.span
        if span.start >= len(text):
            break
        pieces.append(escape(text[cursor : span.start]))
        pieces.append(
            format_html(
                '<mark class="cat-{}" id="passage-{}">{}</mark><sup>{}</sup>',
                span.category,
                suggestion.number,
                text[span.start : span.end],
                suggestion.number,
            )
        )
        cursor = span.end
    pieces.append(escape(text[cursor:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece escaped above)


# ---------------------------------------------------------------------------------------------
# Images


def _image(request: HttpRequest, item: Item, context: dict[str, Any]) -> HttpResponse:
    boxes_text = request.POST.get("boxes", "") if request.method == "POST" else ""
    error = None
    if request.method == "POST":
        try:
            boxes = parse_boxes(boxes_text)
            result = redaction.redact_image_item(_actor(request), item, boxes)
        except ImageRedactionError as exc:
            error = str(exc)
        except CasesError as exc:
            error = str(exc)
        else:
            messages.success(request, redaction.describe(result))
            return redirect("web:item", workspace=item.workspace.slug, item=result.item.pk)
    return render(
        request,
        "cases/redact_image.html",
        {**context, "boxes": boxes_text, "error": error},
        status=400 if error else 200,
    )
