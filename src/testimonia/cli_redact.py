"""`testimonia redact`: reviewed redaction of a text item, or boxes blacked out in an image,
stored as a new item derived from the original (docs/witnesses.md). The original never
changes. Suggestions are printed for the person at the terminal and stored nowhere."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_FAILURE, EXIT_OK, UsageError, accounts_call


def add_parsers(sub: Any) -> None:
    redact = sub.add_parser(
        "redact",
        help="mask identifying details in a text item, or black out regions of an image",
        description="Without --apply, --text prints the numbered suggestions for the text of "
        "ITEM_ID (names, ID numbers, phone numbers, e-mail addresses, addresses; for a "
        "protection officer, the witness's own name and contacts too) and --boxes checks the "
        "boxes against the image; nothing is stored. With --apply, a redacted copy is stored "
        "as a new item derived from ITEM_ID: for a text, the accepted suggestions (all of "
        "them, or those of --only, less those of --reject) and the --span and --phrase "
        "passages are each replaced by [REDACTED]; for an image (JPEG, PNG), the boxes are "
        "filled with opaque black and the metadata (EXIF, GPS, XMP) removed. The suggestions "
        "contain identifying text: they are printed here and stored nowhere. Run the same "
        "command again to get the same numbers. Video is not redacted here.",
    )
    redact.add_argument("item", type=int, metavar="ITEM_ID", help="the item to redact")
    redact.add_argument("--workspace", required=True, help="workspace identifier")
    redact.add_argument(
        "--as",
        dest="actor",
        metavar="USER",
        required=True,
        help="who reviews the redaction (a protection officer, legal officer or administrator)",
    )
    what = redact.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", action="store_true", help="redact the text of a text item")
    what.add_argument(
        "--boxes",
        nargs="+",
        metavar="X,Y,W,H",
        help="regions of an image to black out, in pixels from the top left of the image as "
        "displayed",
    )
    redact.add_argument(
        "--apply", action="store_true", help="store the redacted copy (default: show only)"
    )
    redact.add_argument(
        "--only", nargs="+", type=int, metavar="N", help="accept only these suggestions"
    )
    redact.add_argument(
        "--reject", nargs="+", type=int, default=[], metavar="N", help="reject these suggestions"
    )
    redact.add_argument(
        "--span",
        nargs="+",
        default=[],
        metavar="START:END",
        help="mask these character positions too (as printed with the suggestions)",
    )
    redact.add_argument(
        "--phrase",
        action="append",
        default=[],
        metavar="TEXT",
        help="mask every occurrence of TEXT too (visible to other users in the process list)",
    )
    redact.add_argument("--json", action="store_true", help="print the result as JSON")


def _item(workspace: Any, pk: int) -> Any:
    from testimonia.evidence.services import items_of

    found = items_of(workspace).filter(pk=pk).first()
    if found is None:
        raise UsageError(f"no item {pk} in workspace {workspace.slug}")
    return found


def _reviewer(username: str, workspace: Any) -> Any:
    from testimonia.accounts.roles import grants, roles_with
    from testimonia.accounts.services import get_user, membership_roles

    user = accounts_call(get_user, username)
    if not grants(membership_roles(user, workspace.slug), Capability.REDACT):
        needed = ", ".join(sorted(r.value for r in roles_with(Capability.REDACT)))
        raise UsageError(
            f"{username!r} may not redact in workspace {workspace.slug!r}: that needs one of "
            f"the roles {needed} there"
        )
    return user


def cmd_redact(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.cases.exceptions import CasesError, IdentityTampered
    from testimonia.cli import check_database

    check_database()
    workspace = accounts_call(get_workspace, args.workspace)
    reviewer = _reviewer(args.actor, workspace)
    item = _item(workspace, args.item)
    text_only = (args.only, args.reject, args.span, args.phrase)
    if args.boxes and any(text_only):
        raise UsageError("--only, --reject, --span and --phrase go with --text, not --boxes")
    try:
        if args.boxes:
            return _boxes(args, reviewer, item)
        return _text(args, reviewer, item)
    except IdentityTampered as exc:
        print(f"testimonia: integrity failure: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except CasesError as exc:
        raise UsageError(str(exc)) from None


def _boxes(args: argparse.Namespace, reviewer: Any, item: Any) -> int:
    from testimonia.cases.redaction import Kind, redact_image_item, redaction_kind
    from testimonia.cases.redaction_image import ImageRedactionError, parse_box

    try:
        boxes = [parse_box(b) for b in args.boxes]
    except ImageRedactionError as exc:
        raise UsageError(str(exc)) from None
    if redaction_kind(item) != Kind.IMAGE:
        raise UsageError(
            f"item {item.pk} is {item.blob.media_type}: --boxes takes JPEG and PNG images "
            "(video is not redacted here)"
        )
    if not args.apply:
        return _check_boxes(args, item, boxes)
    result = redact_image_item(reviewer, item, boxes)
    _print_result(args, result)
    return EXIT_OK


def _check_boxes(args: argparse.Namespace, item: Any, boxes: list[Any]) -> int:
    from testimonia.cases.redaction import MAX_IMAGE_BYTES
    from testimonia.cases.redaction_image import ImageRedactionError, image_size
    from testimonia.evidence.services import blob_store

    # Only the size is read, to check the boxes: nothing is shown or stored.
    with blob_store().open(item.blob.sha256) as handle:
        data = handle.read(MAX_IMAGE_BYTES)
    try:
        width, height = image_size(data)
    except ImageRedactionError as exc:
        raise UsageError(str(exc)) from None
    outside = [str(b) for b in boxes if b.x >= width or b.y >= height]
    if outside:
        raise UsageError(
            f"boxes outside the image ({width} x {height} pixels): {', '.join(outside)}"
        )
    record = {"item": item.pk, "width": width, "height": height, "boxes": [str(b) for b in boxes]}
    text = (
        f"item {item.pk}: {width} x {height} pixels; {len(boxes)} box(es) fit; "
        "add --apply to store the redacted copy"
    )
    print(json.dumps(record) if args.json else text)
    return EXIT_OK


def _text(args: argparse.Namespace, reviewer: Any, item: Any) -> int:
    from testimonia.cases.redaction import redact_text, review_text
    from testimonia.cases.redaction_text import SpanError, parse_span

    try:
        extra = [parse_span(s) for s in args.span]
    except SpanError as exc:
        raise UsageError(str(exc)) from None
    review = review_text(reviewer, item)
    numbers = {s.number for s in review.suggestions}
    unknown = sorted((set(args.only or []) | set(args.reject)) - numbers)
    if unknown:
        raise UsageError(
            f"no suggestion {', '.join(map(str, unknown))}: there are {len(numbers)} "
            "(run without --apply to list them)"
        )
    if not args.apply:
        return _list(args, review)
    chosen = [
        s.span
        for s in review.suggestions
        if (args.only is None or s.number in args.only) and s.number not in args.reject
    ]
    result = redact_text(reviewer, item, [*chosen, *extra], phrases=args.phrase)
    _print_result(args, result)
    return EXIT_OK


def _list(args: argparse.Namespace, review: Any) -> int:
    rows = [
        {
            "number": s.number,
            "start": s.span.start,
            "end": s.span.end,
            "category": s.span.category,
            "text": s.text,
        }
        for s in review.suggestions
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "item": review.item.pk,
                    "length": len(review.text),
                    "identity_checked": review.identity_checked,
                    "suggestions": rows,
                },
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    for row in rows:
        passage = " ".join(str(row["text"]).split())
        print(f"{row['number']}\t{row['start']}:{row['end']}\t{row['category']}\t{passage}")
    if review.identity_unavailable:
        print(
            "the witness's identity could not be looked for: the identity key is not available",
            file=sys.stderr,
        )
    print(
        f"{len(rows)} suggestion(s); add --apply to mask them (--only/--reject N to choose)",
        file=sys.stderr,
    )
    return EXIT_OK


def _print_result(args: argparse.Namespace, result: Any) -> None:
    item = result.item
    record = {
        "id": item.pk,
        "derived_from": item.derived_from_id,
        "derivation": item.derivation,
        "filename": item.original_filename,
        "sha256": item.blob.sha256,
        "media_type": item.blob.media_type,
        "masked": result.passages,
        "categories": result.categories,
    }
    text = f"{item.pk}\t{item.blob.sha256}\tredaction of item {item.derived_from_id}"
    print(json.dumps(record, ensure_ascii=False) if args.json else text)
