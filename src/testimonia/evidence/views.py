"""Evidence vault pages: the list, upload, an item's record, and download of its original."""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.custody.services import Action, events_about
from testimonia.evidence.exceptions import DigestMismatch, EvidenceError
from testimonia.evidence.forms import DerivativeForm, UploadForm
from testimonia.evidence.ingest import CUSTODY_LOG_PATH, ingest_uploads
from testimonia.evidence.mediatype import viewable
from testimonia.evidence.models import LegalHold
from testimonia.evidence.preservation import (
    PreservationError,
    active_holds,
    approve_deletion,
    deletion_requests,
    place_hold,
    refuse_deletion,
    release_hold,
    request_deletion,
)
from testimonia.evidence.services import (
    add_derivative,
    items_of,
    latest_metadata,
    open_original,
)

logger = logging.getLogger("testimonia.evidence")


@access.workspace_member(Capability.VIEW_EVIDENCE)
@require_GET
def evidence(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    can_add = grants(request.workspace_roles, Capability.ADD_EVIDENCE)  # type: ignore[attr-defined]
    return render(
        request,
        "web/evidence.html",
        {"items": items_of(ws)[:500], "form": UploadForm() if can_add else None},
    )


@access.workspace_member(Capability.ADD_EVIDENCE)
@require_POST
def evidence_upload(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("uploads", []):
            messages.error(request, str(error))
        return redirect("web:evidence", workspace=ws.slug)
    added = duplicates = 0
    # Uploaded archives are opened like those given to `testimonia ingest`; the batch ends
    # with a signed checkpoint.
    for outcome in ingest_uploads(
        request.user,  # type: ignore[arg-type]
        ws,
        form.cleaned_data["uploads"],
        source=form.cleaned_data["source"],
    ):
        if outcome.path == CUSTODY_LOG_PATH:
            logger.error("custody log of %s not signed after an upload", ws.slug)
            messages.error(
                request,
                _(
                    "The files were stored, but the chain of custody needs attention: ask "
                    "your administrator to run `testimonia verify`."
                ),
            )
        elif outcome.errors:
            messages.error(request, f"{outcome.path}: {'; '.join(outcome.errors)}")
        elif outcome.duplicate_of is not None:
            duplicates += 1
        else:
            added += 1
    if added:
        messages.success(
            request,
            ngettext("%(count)d file stored.", "%(count)d files stored.", added) % {"count": added},
        )
    if duplicates:
        messages.info(
            request,
            ngettext(
                "%(count)d file was already in this workspace.",
                "%(count)d files were already in this workspace.",
                duplicates,
            )
            % {"count": duplicates},
        )
    return redirect("web:evidence", workspace=ws.slug)


@access.workspace_member(Capability.VIEW_EVIDENCE)
@require_GET
def item_detail(request: HttpRequest, workspace: str, item: int) -> HttpResponse:
    ws = current_workspace(request)
    record = get_object_or_404(
        items_of(ws, with_deleted=True).select_related("duplicate_of", "container"), pk=item
    )
    roles = request.workspace_roles  # type: ignore[attr-defined]
    return render(
        request,
        "evidence/item_detail.html",
        {
            "item": record,
            "holds": record.legal_holds.select_related("placed_by", "released_by").order_by("pk"),
            "active_holds": active_holds(record).exists(),
            "deletion_requests": record.deletion_requests.select_related(
                "requested_by", "decided_by"
            ).order_by("pk"),
            "viewable": viewable(record.blob.media_type) and record.deleted_at is None,
            "derivatives": items_of(ws).filter(derived_from=record).order_by("pk"),
            "derivative_form": (
                DerivativeForm()
                if grants(roles, Capability.ADD_EVIDENCE) and record.deleted_at is None
                else None
            ),
            "can_hold": grants(roles, Capability.PLACE_LEGAL_HOLD),
            "can_request_deletion": grants(roles, Capability.REQUEST_DELETION),
            "metadata": latest_metadata(record.blob),
            "members": items_of(ws).filter(container=record).order_by("pk")[:500],
            "acquisitions": items_of(ws).filter(blob=record.blob).order_by("pk"),
            "events": [
                {"entry": entry, "event": json.loads(entry.payload)}
                for entry in events_about(ws, record.blob.sha256)
            ],
        },
    )


@access.workspace_member(Capability.VIEW_EVIDENCE)
@require_POST
def item_download(request: HttpRequest, workspace: str, item: int) -> HttpResponseBase:
    """POST, not GET: a download is a recorded custody event, never a prefetch or a crawl."""
    ws = current_workspace(request)
    record = get_object_or_404(items_of(ws), pk=item)
    try:
        handle = open_original(
            request.user,  # type: ignore[arg-type]
            record,
            reason=request.POST.get("reason", ""),
        )
    except DigestMismatch:
        logger.error("download refused: stored object of item %s failed its check", record.pk)
        messages.error(
            request,
            _(
                "The stored bytes of this item no longer match its fingerprint; the download was "
                "refused. Run `testimonia verify` and tell your administrator."
            ),
        )
        return redirect("web:item", workspace=ws.slug, item=record.pk)
    # Always an attachment of an opaque type: an uploaded HTML or SVG file must never run in
    # the application's origin.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=record.original_filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@access.workspace_member(Capability.PLACE_LEGAL_HOLD)
@require_POST
def item_hold(request: HttpRequest, workspace: str, item: int) -> HttpResponse:
    ws = current_workspace(request)
    record = get_object_or_404(items_of(ws), pk=item)
    try:
        hold = place_hold(request.user, record, request.POST.get("reason", ""))  # type: ignore[arg-type]
    except PreservationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Legal hold %(id)s placed.") % {"id": hold.pk})
    return redirect("web:item", workspace=ws.slug, item=record.pk)


@access.workspace_member(Capability.PLACE_LEGAL_HOLD)
@require_POST
def item_hold_release(request: HttpRequest, workspace: str, item: int, hold: int) -> HttpResponse:
    ws = current_workspace(request)
    record = get_object_or_404(LegalHold, workspace=ws, item_id=item, pk=hold)
    try:
        release_hold(request.user, record, request.POST.get("reason", ""))  # type: ignore[arg-type]
    except PreservationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Legal hold %(id)s released.") % {"id": record.pk})
    return redirect("web:item", workspace=ws.slug, item=item)


@access.workspace_member(Capability.REQUEST_DELETION)
@require_POST
def item_deletion_request(request: HttpRequest, workspace: str, item: int) -> HttpResponse:
    ws = current_workspace(request)
    record = get_object_or_404(items_of(ws), pk=item)
    try:
        made = request_deletion(request.user, record, request.POST.get("reason", ""))  # type: ignore[arg-type]
    except PreservationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Deletion request %(id)s made; an administrator other than you will decide it.")
            % {"id": made.pk},
        )
    return redirect("web:item", workspace=ws.slug, item=record.pk)


@access.workspace_member(Capability.VIEW_EVIDENCE)
@require_GET
def deletions(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    roles = request.workspace_roles  # type: ignore[attr-defined]
    return render(
        request,
        "evidence/deletions.html",
        {
            "requests": deletion_requests(ws)[:500],
            "can_decide": grants(roles, Capability.DECIDE_DELETION),
        },
    )


@access.workspace_member(Capability.DECIDE_DELETION)
@require_POST
def deletion_decide(request: HttpRequest, workspace: str, deletion: int) -> HttpResponse:
    ws = current_workspace(request)
    pending = get_object_or_404(deletion_requests(ws), pk=deletion)
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")
    user = request.user
    try:
        if decision == "approve":
            done = approve_deletion(user, pending, reason)  # type: ignore[arg-type]
            messages.success(request, _("Item %(item)s deleted.") % {"item": pending.item_id})
            if done.kept_for:
                messages.info(
                    request,
                    _("Its bytes stay in the store: other items still hold them (%(items)s).")
                    % {"items": ", ".join(str(pk) for pk in done.kept_for)},
                )
            if done.container is not None:
                messages.info(
                    request,
                    _("Archive item %(item)s, which it came from, still contains it.")
                    % {"item": done.container},
                )
        elif decision == "refuse":
            refuse_deletion(user, pending, reason)  # type: ignore[arg-type]
            messages.success(request, _("Deletion request %(id)s refused.") % {"id": pending.pk})
        else:
            messages.error(request, _("Choose to approve or to refuse the request."))
    except PreservationError as exc:
        messages.error(request, str(exc))
    return redirect("web:deletions", workspace=ws.slug)


@access.workspace_member(Capability.VIEW_EVIDENCE)
@require_GET
def item_view(request: HttpRequest, workspace: str, item: int) -> HttpResponse:
    """A page that shows an image, a video or a sound inline; loading it is a custody event."""
    ws = current_workspace(request)
    record = get_object_or_404(items_of(ws), pk=item)
    if not viewable(record.blob.media_type):
        raise Http404
    return render(request, "evidence/item_view.html", {"item": record})


@access.workspace_member(Capability.VIEW_EVIDENCE)
@require_GET
def item_content(request: HttpRequest, workspace: str, item: int) -> HttpResponseBase:
    """The original's bytes for inline display, re-verified first and recorded as a view."""
    ws = current_workspace(request)
    record = get_object_or_404(items_of(ws), pk=item)
    if not viewable(record.blob.media_type):
        raise Http404
    try:
        handle = open_original(
            request.user,  # type: ignore[arg-type]
            record,
            reason="displayed in the browser",
            action=Action.VIEW,
        )
    except DigestMismatch:
        logger.error("view refused: stored object of item %s failed its check", record.pk)
        return HttpResponse(status=409)
    response = FileResponse(handle, content_type=record.blob.media_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    # No copy of the evidence is kept in the browser's cache: each display is a fetch, and a
    # recorded view.
    response["Cache-Control"] = "no-store"
    return response


@access.workspace_member(Capability.ADD_EVIDENCE)
@require_POST
def item_derive(request: HttpRequest, workspace: str, item: int) -> HttpResponse:
    ws = current_workspace(request)
    record = get_object_or_404(items_of(ws), pk=item)
    form = DerivativeForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("web:item", workspace=ws.slug, item=record.pk)
    upload = form.cleaned_data["upload"]
    try:
        added = add_derivative(
            request.user,  # type: ignore[arg-type]
            record,
            upload.chunks(),
            filename=upload.name or "derived",
            derivation=form.cleaned_data["derivation"],
            method=form.cleaned_data["method"],
        )
    except EvidenceError as exc:
        messages.error(request, str(exc))
        return redirect("web:item", workspace=ws.slug, item=record.pk)
    messages.success(request, _("Derived file stored as item %(item)s.") % {"item": added.item.pk})
    return redirect("web:item", workspace=ws.slug, item=added.item.pk)
