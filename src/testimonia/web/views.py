"""Web UI views: thin adapters that validate, call one service, and render."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from testimonia.accounts import access
from testimonia.accounts.exceptions import AccountsError
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.accounts.services import create_workspace, workspaces_for
from testimonia.cases.dossiers import visible_cases
from testimonia.evidence.services import items_of
from testimonia.incidents.models import Incident
from testimonia.jobs.models import Job
from testimonia.web.forms import WorkspaceForm
from testimonia.web.sections import Section

logger = logging.getLogger("testimonia.web")


@access.public
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@access.authenticated
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    workspaces = workspaces_for(request.user)
    return render(request, "web/home.html", {"workspaces": workspaces})


@access.staff_only
@require_http_methods(["GET", "POST"])
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = create_workspace(
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["name"],
                slug=form.cleaned_data["slug"] or None,
                description=form.cleaned_data["description"],
            )
        except AccountsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Workspace created."))
            return redirect("web:dashboard", workspace=workspace.slug)
    return render(request, "web/workspace_form.html", {"form": form})


@access.workspace_member(Capability.VIEW_WORKSPACE)
@require_GET
def dashboard(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    roles = request.workspace_roles  # type: ignore[attr-defined]
    counts = {}
    if grants(roles, Capability.VIEW_EVIDENCE):
        counts["items"] = items_of(ws).count()
    if grants(roles, Capability.VIEW_RECORDS):
        counts["incidents"] = Incident.objects.filter(workspace=ws).count()
    if grants(roles, Capability.VIEW_CASES):
        counts["cases"] = visible_cases(request.user, ws).count()  # type: ignore[arg-type]
    return render(request, "web/dashboard.html", {"counts": counts})


@access.workspace_member(Capability.VIEW_CASES)
@require_GET
def cases(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    # A reviewer sees only the cases whose team names them, and no working record (incident
    # titles) of the workspace.
    rows = visible_cases(request.user, ws).select_related("mechanism")  # type: ignore[arg-type]
    records = grants(request.workspace_roles, Capability.VIEW_RECORDS)  # type: ignore[attr-defined]
    if records:
        rows = rows.prefetch_related("incidents")
    return render(request, "web/cases.html", {"cases": rows, "show_incidents": records})


@access.workspace_member(Capability.VIEW_JOBS)
@require_GET
def jobs(request: HttpRequest, workspace: str) -> HttpResponse:
    rows = Job.objects.filter(workspace=current_workspace(request))[:100]
    template = "web/_jobs_table.html" if request.headers.get("HX-Request") else "web/jobs.html"
    return render(request, template, {"jobs": rows})


def not_built_view(section: Section) -> Callable[..., HttpResponse]:
    """A page for a capability that is planned but not built, guarded by its own capability."""

    @access.workspace_member(section.capability)
    @require_GET
    def view(request: HttpRequest, workspace: str) -> HttpResponse:
        return render(request, "web/not_built.html", {"section": section})

    view.__name__ = f"{section.key}_not_built"
    return view


@access.public
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    return render(request, "web/portal.html")


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "not_found", "message": "No such resource."}}, status=404
        )
    return render(request, "web/error.html", {"status": 404}, status=404)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "forbidden", "message": "Your role does not allow this."}},
            status=403,
        )
    return render(request, "web/error.html", {"status": 403}, status=403)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "bad_request", "message": "The request was malformed."}},
            status=400,
        )
    return render(request, "web/error.html", {"status": 400}, status=400)


def error_500(request: HttpRequest) -> HttpResponse:
    # The detail went to the log with this id; the client gets only the id.
    error_id = uuid.uuid4().hex[:12]
    logger.error("server error %s on %s %s", error_id, request.method, request.path)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "server_error", "message": "Internal error.", "error_id": error_id}},
            status=500,
        )
    return render(request, "web/error.html", {"status": 500, "error_id": error_id}, status=500)
