"""Relationship editing on an incident's page: edit or remove an act, remove a victim from an
act, edit or remove an alleged perpetrator's involvement, remove a link between incidents.

Removal asks first (a page with the consequence and a POST button) and goes through
removal.py, which enforces the rules (only from a draft incident; a record others rest on
stays) and says why when it refuses; its message is shown on the incident's page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability
from testimonia.incidents import removal, services
from testimonia.incidents.forms_people import ActEditForm, InvolvementEditForm
from testimonia.incidents.models import (
    Act,
    Incident,
    IncidentLink,
    Involvement,
    Place,
    Victimisation,
)
from testimonia.incidents.services import DocumentationError


def _user(request: HttpRequest) -> User:
    # The access rule admitted a signed-in member of the workspace.
    return cast(User, request.user)


def _incident(request: HttpRequest, incident: int) -> Incident:
    return get_object_or_404(services.incidents_of(current_workspace(request)), pk=incident)


def _act(request: HttpRequest, incident: int, act: int) -> tuple[Incident, Act]:
    record = _incident(request, incident)
    the_act = get_object_or_404(
        Act.objects.select_related("act_type", "place"), pk=act, incident=record
    )
    return record, the_act


def _incident_url(ws: Workspace, record: Incident, anchor: str = "") -> str:
    url = reverse("web:incident", kwargs={"workspace": ws.slug, "incident": record.pk})
    return url + (f"#{anchor}" if anchor else "")


def _title(record: Incident) -> str:
    return record.text_in((get_language() or "en").split("-")[0])["title"]


def _confirm_or_remove(
    request: HttpRequest,
    record: Incident,
    *,
    what: str,
    consequence: str,
    remove: Callable[[], None],
    anchor: str,
) -> HttpResponse:
    """GET: a page that asks; POST: remove, then back to the incident with what happened
    (the service's reason when it refused)."""
    ws = current_workspace(request)
    if request.method == "POST":
        try:
            remove()
        except DocumentationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Removed: %(what)s") % {"what": what})
        return redirect(_incident_url(ws, record, anchor))
    return render(
        request,
        "incidents/relation_remove.html",
        {
            "incident": record,
            "title": _title(record),
            "what": what,
            "consequence": consequence,
            "cancel": _incident_url(ws, record, anchor),
        },
    )


# ---------------------------------------------------------------------------------------------
# Acts


def _act_label(act: Act) -> str:
    date = f" · {act.start_date.isoformat()}" if act.start_date else ""
    return f"{act.act_type.label}{date}"


def _place(request: HttpRequest, workspace: Workspace) -> tuple[Place | None, bool]:
    """The place chosen in the form (shared gazetteer or this workspace's sites), and whether
    what was sent names one that exists."""
    raw = request.POST.get("place", "").strip()
    if not raw:
        return None, True
    if not raw.isdigit():
        return None, False
    place = Place.objects.filter(
        Q(workspace__isnull=True) | Q(workspace=workspace), pk=int(raw)
    ).first()
    return place, place is not None


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def act_edit(request: HttpRequest, workspace: str, incident: int, act: int) -> HttpResponse:
    ws = current_workspace(request)
    record, the_act = _act(request, incident, act)
    form = ActEditForm(
        request.POST or None,
        initial={
            "act_type": the_act.act_type.code,
            "description": the_act.description,
            "start_date": the_act.start_date,
            "start_precision": the_act.start_precision,
            "end_date": the_act.end_date,
            "method": the_act.method,
        },
    )
    place = the_act.place
    if request.method == "POST" and form.is_valid():
        place, place_ok = _place(request, ws)
        if not place_ok:
            form.add_error(None, _("The chosen place does not exist: search for it again."))
        else:
            data = form.cleaned_data
            try:
                services.save(
                    _user(request),
                    the_act,
                    act_type=services.act_type(data["act_type"]),
                    description=data["description"],
                    start_date=data["start_date"],
                    start_precision=data["start_precision"],
                    end_date=data["end_date"],
                    place=place,
                    method=data["method"],
                )
            except DocumentationError as exc:
                form.add_error(None, str(exc))
                the_act.refresh_from_db()
            else:
                messages.success(request, _("Act saved."))
                return redirect(_incident_url(ws, record, f"act-{the_act.pk}"))
    return render(
        request,
        "incidents/act_edit.html",
        {"form": form, "incident": record, "title": _title(record), "act": the_act, "place": place},
    )


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def act_remove(request: HttpRequest, workspace: str, incident: int, act: int) -> HttpResponse:
    record, the_act = _act(request, incident, act)
    return _confirm_or_remove(
        request,
        record,
        what=_("the act %(act)s") % {"act": _act_label(the_act)},
        consequence=_(
            "Its victims and alleged perpetrators are taken off it, and what it cites is "
            "withdrawn. The persons and units stay in the database."
        ),
        remove=lambda: removal.delete_act(_user(request), the_act),
        anchor="acts",
    )


# ---------------------------------------------------------------------------------------------
# Victims and alleged perpetrators


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def victim_remove(
    request: HttpRequest, workspace: str, incident: int, act: int, victim: int
) -> HttpResponse:
    record, the_act = _act(request, incident, act)
    row = get_object_or_404(
        Victimisation.objects.select_related("person").prefetch_related("person__names"),
        pk=victim,
        act=the_act,
    )
    return _confirm_or_remove(
        request,
        record,
        what=_("%(person)s as a victim of %(act)s")
        % {"person": row.person.display_name, "act": _act_label(the_act)},
        consequence=_("The person stays in the database; only this link to the act goes."),
        remove=lambda: removal.delete_victimisation(_user(request), row),
        anchor=f"act-{the_act.pk}",
    )


def _involvement(request: HttpRequest, incident: int, act: int, involvement: int) -> Any:
    record, the_act = _act(request, incident, act)
    row = get_object_or_404(
        Involvement.objects.select_related("organisation", "person").prefetch_related(
            "person__names"
        ),
        pk=involvement,
        act=the_act,
    )
    return record, the_act, row


def _who(row: Involvement) -> str:
    if row.organisation is not None:
        return row.organisation.name
    return row.person.display_name if row.person is not None else "?"


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def involvement_edit(
    request: HttpRequest, workspace: str, incident: int, act: int, involvement: int
) -> HttpResponse:
    ws = current_workspace(request)
    record, the_act, row = _involvement(request, incident, act, involvement)
    form = InvolvementEditForm(
        request.POST or None,
        initial={"degree": row.degree, "role": row.role, "certainty": row.certainty},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save(
                _user(request),
                row,
                degree=data["degree"],
                role=data["role"].strip(),
                certainty=data["certainty"],
            )
        except DocumentationError as exc:
            form.add_error(None, str(exc))
            row.refresh_from_db()
        else:
            messages.success(request, _("Involvement saved."))
            return redirect(_incident_url(ws, record, f"act-{the_act.pk}"))
    return render(
        request,
        "incidents/involvement_edit.html",
        {
            "form": form,
            "incident": record,
            "title": _title(record),
            "act": the_act,
            "act_label": _act_label(the_act),
            "who": _who(row),
        },
    )


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def involvement_remove(
    request: HttpRequest, workspace: str, incident: int, act: int, involvement: int
) -> HttpResponse:
    record, the_act, row = _involvement(request, incident, act, involvement)
    return _confirm_or_remove(
        request,
        record,
        what=_("%(who)s as an alleged perpetrator of %(act)s")
        % {"who": _who(row), "act": _act_label(the_act)},
        consequence=_("The person or unit stays in the database; only this allegation goes."),
        remove=lambda: removal.delete_involvement(_user(request), row),
        anchor=f"act-{the_act.pk}",
    )


# ---------------------------------------------------------------------------------------------
# Links between incidents


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def link_remove(request: HttpRequest, workspace: str, incident: int, link: int) -> HttpResponse:
    record = _incident(request, incident)
    row = get_object_or_404(
        IncidentLink.objects.select_related("source", "target").filter(
            Q(source=record) | Q(target=record)
        ),
        pk=link,
    )
    other = row.target if row.source_id == record.pk else row.source
    return _confirm_or_remove(
        request,
        record,
        what=_("the link “%(kind)s” with %(other)s")
        % {"kind": row.get_kind_display(), "other": _title(other)},
        consequence=_("Both incidents stay; only the link between them goes."),
        remove=lambda: removal.delete_link(_user(request), row),
        anchor="links",
    )
