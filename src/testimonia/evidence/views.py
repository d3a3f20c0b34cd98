"""Evidence vault pages: the list, upload, an item's record, and download of its original."""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.custody.services import events_about
from testimonia.evidence.exceptions import DigestMismatch
from testimonia.evidence.forms import UploadForm
from testimonia.evidence.ingest import CUSTODY_LOG_PATH, ingest_uploads
from testimonia.evidence.services import items_of, latest_metadata, open_original

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
    record = get_object_or_404(items_of(ws).select_related("duplicate_of", "container"), pk=item)
    return render(
        request,
        "evidence/item_detail.html",
        {
            "item": record,
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
