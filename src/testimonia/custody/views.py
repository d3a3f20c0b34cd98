"""The custody log as investigators and reviewers read it: events, checkpoints, the key."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.roles import Capability
from testimonia.custody import keys
from testimonia.custody.models import Checkpoint, LogEntry

PAGE_SIZE = 100


@access.workspace_member(Capability.VIEW_EVIDENCE)
@require_GET
def custody_log(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    entries = LogEntry.objects.filter(workspace=ws).order_by("-seq")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"entry": entry, "event": json.loads(entry.payload)} for entry in page.object_list]
    public = keys.load_or_create_signing_key(settings.TESTIMONIA_HOME).public_key()
    return render(
        request,
        "custody/log.html",
        {
            "page": page,
            "rows": rows,
            "checkpoints": Checkpoint.objects.filter(workspace=ws).order_by("-signed_at")[:20],
            "key_id": keys.key_id(public),
            "public_key": keys.public_pem(public),
        },
    )
