"""Documentation database pages: the incident list with facets, its map and timeline (the
same facets), an incident's record with its acts, victims, perpetrators, citations, links and
history, the forms that edit them, and the organisations of the workspace."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.evidence.services import items_of
from testimonia.incidents import search, services
from testimonia.incidents.forms import (
    ActForm,
    BulkForm,
    CitationForm,
    FilterForm,
    IncidentForm,
    InvolvementForm,
    LinkForm,
    OrganisationForm,
    VictimForm,
)
from testimonia.incidents.gazetteer import ATTRIBUTION, boundaries, find_places
from testimonia.incidents.models import (
    Act,
    Incident,
    Involvement,
    Organisation,
    Person,
    Place,
    Victimisation,
    citations_for,
)
from testimonia.incidents.services import DocumentationError

PAGE_SIZE = 50
MAP_LIMIT = 5000  # markers drawn at once; the page says when more match
KEY_FACTS = ["start_date", "end_date", "place", "latitude", "description"]


def _can_edit(request: HttpRequest) -> bool:
    return grants(request.workspace_roles, Capability.EDIT_RECORDS)  # type: ignore[attr-defined]


def _filtered(request: HttpRequest) -> tuple[FilterForm, Any, bool]:
    ws = current_workspace(request)
    form = FilterForm(request.GET or None, workspace=ws)
    facets = form.to_filter()
    query = form.cleaned_data.get("q", "") if form.is_bound and form.is_valid() else ""
    if query:
        facets.ids = _text_hits(ws, query)
    return form, facets.apply(ws), facets.is_empty()


def _text_hits(workspace: Any, query: str) -> list[int]:
    """Incidents matching the text, through the search index; a query with no words (only
    punctuation) matches nothing rather than failing the page."""
    try:
        return search.search_ids(workspace, query, "incident")
    except search.SearchError:
        return []


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def incident_list(request: HttpRequest, workspace: str) -> HttpResponse:
    form, incidents, unfiltered = _filtered(request)
    ws = current_workspace(request)
    counts, total = services.list_facets(ws, None if unfiltered else incidents)
    paginator = Paginator(incidents.prefetch_related("tags"), PAGE_SIZE)
    if total is not None:  # counted with the facets: no second pass over the list
        paginator.count = total
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/list.html",
        {
            "form": form,
            "page": page,
            "total": page.paginator.count,
            "facets": _facet_rows(counts),
            "querystring": _querystring(request),
            "can_edit": _can_edit(request),
            "bulk": BulkForm(ids=[]),
            "view": "list",
        },
    )


def _facet_rows(counts: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    """Facet values as readers see them: labels in their language instead of codes."""
    from testimonia.incidents.models import Term

    labels = {t.code: t.label for t in Term.objects.filter(vocabulary="act_type")}
    status = dict(Incident.Status.choices)
    sexes = dict(Person.Sex.choices)
    areas = {p.pcode: p.name for p in Place.objects.filter(workspace=None).exclude(pcode="")}
    return {
        "status": [(str(status.get(k, k)), n) for k, n in counts["status"]],
        "act_type": [(labels.get(k, k), n) for k, n in counts["act_type"]],
        "victim_sex": [(str(sexes.get(k, k)), n) for k, n in counts["victim_sex"]],
        "area": [(areas.get(k, k), n) for k, n in counts["area"]],
    }


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def incident_map(request: HttpRequest, workspace: str) -> HttpResponse:
    from django.conf import settings

    form, incidents, _ = _filtered(request)
    return render(
        request,
        "incidents/map.html",
        {
            "form": form,
            "total": incidents.count(),
            "querystring": _querystring(request),
            "tiles": settings.TESTIMONIA_MAP_TILES,
            "attribution": ATTRIBUTION,
            "limit": MAP_LIMIT,
            "view": "map",
        },
    )


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def incident_geojson(request: HttpRequest, workspace: str) -> JsonResponse:
    """The filtered incidents that have a position, as GeoJSON points for the map."""
    ws = current_workspace(request)
    _, incidents, _ = _filtered(request)
    language = (get_language() or "en").split("-")[0]
    features = []
    for incident in incidents.select_related("place").order_by("-start_date", "-pk")[:MAP_LIMIT]:
        lat, lon = _position(incident)
        if lat is None or lon is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "id": incident.pk,
                    "title": incident.text_in(language)["title"],
                    "date": incident.start_date.isoformat() if incident.start_date else "",
                    "precision": incident.location_precision,
                    "url": reverse(
                        "web:incident", kwargs={"workspace": ws.slug, "incident": incident.pk}
                    ),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


def _position(incident: Incident) -> tuple[float | None, float | None]:
    if incident.latitude is not None and incident.longitude is not None:
        return float(incident.latitude), float(incident.longitude)
    if incident.place is not None:
        return incident.place.latitude, incident.place.longitude
    return None, None


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def boundaries_geojson(request: HttpRequest, workspace: str, kind: str) -> JsonResponse:
    """The bundled boundaries (offline base map), cached by the browser for a day."""
    if kind not in ("adm1", "adm2", "countries"):
        raise Http404
    response = JsonResponse(boundaries(kind))
    response["Cache-Control"] = "private, max-age=86400"
    return response


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def incident_timeline(request: HttpRequest, workspace: str) -> HttpResponse:
    form, incidents, _ = _filtered(request)
    dated = incidents.exclude(start_date=None)
    months = list(
        dated.order_by()
        .annotate(month=TruncMonth("start_date"))
        .values("month")
        .annotate(n=Count("pk", distinct=True))
        .order_by("month")
    )
    peak = max((m["n"] for m in months), default=0)
    recent = dated.order_by("-start_date", "-pk")[:200]
    return render(
        request,
        "incidents/timeline.html",
        {
            "form": form,
            "months": [{**m, "share": round(100 * m["n"] / peak) if peak else 0} for m in months],
            "incidents": recent,
            "undated": incidents.filter(start_date=None).count(),
            "total": incidents.count(),
            "querystring": _querystring(request),
            "view": "timeline",
        },
    )


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def incident_bulk(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    raw_ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    form = BulkForm(request.POST, ids=raw_ids)
    if not raw_ids or not form.is_valid():
        messages.error(request, _("Select at least one incident."))
    else:
        data = form.cleaned_data
        try:
            changed = services.bulk_update(
                request.user,  # type: ignore[arg-type]
                ws,
                data["ids"],
                status=data["status"] or None,
                add_tags=data["add_tags"].split(","),
                remove_tags=data["remove_tags"].split(","),
            )
        except DocumentationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(n)d incident(s) updated.") % {"n": changed})
    back = request.POST.get("next", "")
    return redirect(reverse("web:incidents", kwargs={"workspace": ws.slug}) + "?" + back)


# ---------------------------------------------------------------------------------------------
# One incident


def _incident(request: HttpRequest, incident: int) -> Incident:
    ws = current_workspace(request)
    return get_object_or_404(services.incidents_of(ws), pk=incident)


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def incident_detail(request: HttpRequest, workspace: str, incident: int) -> HttpResponse:
    ws = current_workspace(request)
    record = _incident(request, incident)
    language = (get_language() or "en").split("-")[0]
    acts = record.acts.select_related("act_type", "place").prefetch_related(
        Prefetch(
            "victimisations",
            queryset=Victimisation.objects.select_related("person").prefetch_related(
                "person__names"
            ),
        ),
        Prefetch(
            "involvements",
            queryset=Involvement.objects.select_related("organisation", "person"),
        ),
    )
    can_edit = _can_edit(request)
    fields = [(name, _field_label(name)) for name in KEY_FACTS]
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": record,
            "text": record.text_in(language),
            "acts": acts,
            "citations": [
                _labelled(c) for c in citations_for(record).select_related("item", "source")
            ],
            "unsupported": [_field_label(f) for f in services.unsupported_facts(record, KEY_FACTS)],
            "links_out": record.links_out.select_related("target"),
            "links_in": record.links_in.select_related("source"),
            "evidence": record.evidence.filter(deleted_at=None),
            "can_edit": can_edit,
            "act_form": ActForm() if can_edit else None,
            "victim_form": VictimForm() if can_edit else None,
            "involvement_form": InvolvementForm(workspace=ws) if can_edit else None,
            "citation_form": CitationForm(workspace=ws, fields=fields) if can_edit else None,
            "link_form": LinkForm() if can_edit else None,
            "position": _position(record),
        },
    )


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def incident_edit(
    request: HttpRequest, workspace: str, incident: int | None = None
) -> HttpResponse:
    ws = current_workspace(request)
    record = _incident(request, incident) if incident is not None else Incident(workspace=ws)
    form = IncidentForm(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        place = _place_from(request, ws)
        try:
            with transaction.atomic():
                changes = {
                    name: form.cleaned_data[name]
                    for name in IncidentForm.Meta.fields
                    if name in form.cleaned_data and name != "place"
                }
                changes["translations"] = form.translations()
                changes["place"] = place
                if record.pk is None:
                    record = services.create_incident(request.user, ws, **changes)
                else:
                    services.save(request.user, record, **changes)  # type: ignore[arg-type]
                services.set_tags(request.user, record, form.tag_names())  # type: ignore[arg-type]
        except DocumentationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Incident saved."))
            return redirect("web:incident", workspace=ws.slug, incident=record.pk)
    return render(request, "incidents/edit.html", {"form": form, "incident": record})


def _place_from(request: HttpRequest, workspace: Any) -> Place | None:
    raw = request.POST.get("place", "")
    if not raw.isdigit():
        return None
    return Place.objects.filter(pk=int(raw), workspace__in=[None, workspace.pk]).first() or (
        Place.objects.filter(pk=int(raw), workspace=None).first()
    )


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def place_search(request: HttpRequest, workspace: str) -> HttpResponse:
    """Places matching what is typed, as the options of the place field (htmx)."""
    ws = current_workspace(request)
    places = find_places(request.GET.get("q", ""), ws, limit=30) if request.GET.get("q") else []
    return render(request, "incidents/_place_options.html", {"places": places})


def _back(ws: Any, record: Incident, anchor: str = "") -> HttpResponse:
    url = reverse("web:incident", kwargs={"workspace": ws.slug, "incident": record.pk})
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def act_add(request: HttpRequest, workspace: str, incident: int) -> HttpResponse:
    ws = current_workspace(request)
    record = _incident(request, incident)
    form = ActForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(ws, record, "acts")
    data = form.cleaned_data
    try:
        services.add_act(
            request.user,  # type: ignore[arg-type]
            record,
            data["act_type"],
            description=data["description"],
            start_date=data["start_date"],
            start_precision=data["start_precision"],
            method=data["method"],
        )
    except DocumentationError as exc:
        messages.error(request, str(exc))
    return _back(ws, record, "acts")


def _act(request: HttpRequest, incident: int, act: int) -> tuple[Incident, Act]:
    record = _incident(request, incident)
    return record, get_object_or_404(Act, pk=act, incident=record)


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def victim_add(request: HttpRequest, workspace: str, incident: int, act: int) -> HttpResponse:
    ws = current_workspace(request)
    record, the_act = _act(request, incident, act)
    form = VictimForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(ws, record, f"act-{the_act.pk}")
    data = form.cleaned_data
    user = request.user
    try:
        with transaction.atomic():
            if data["person"]:
                person = Person.objects.filter(workspace=ws, pk=data["person"]).first()
                if person is None:
                    raise DocumentationError(
                        _("no person %(id)s in this workspace") % {"id": data["person"]}
                    )
            else:
                person = services.create_person(
                    user,  # type: ignore[arg-type]
                    ws,
                    [(data["name"], data["name_language"])],
                    sex=data["sex"],
                    age_min=data["age_min"],
                    age_max=data["age_max"] if data["age_max"] is not None else data["age_min"],
                    status=data["status"],
                )
            services.add_victim(user, the_act, person, data["outcome"])  # type: ignore[arg-type]
    except DocumentationError as exc:
        messages.error(request, str(exc))
    return _back(ws, record, f"act-{the_act.pk}")


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def involvement_add(request: HttpRequest, workspace: str, incident: int, act: int) -> HttpResponse:
    ws = current_workspace(request)
    record, the_act = _act(request, incident, act)
    form = InvolvementForm(request.POST, workspace=ws)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(ws, record, f"act-{the_act.pk}")
    data = form.cleaned_data
    organisation = (
        Organisation.objects.filter(workspace=ws, pk=data["organisation"]).first()
        if data["organisation"]
        else None
    )
    person = (
        Person.objects.filter(workspace=ws, pk=data["person"]).first() if data["person"] else None
    )
    try:
        services.add_involvement(
            request.user,  # type: ignore[arg-type]
            the_act,
            person=person,
            organisation=organisation,
            degree=data["degree"],
            certainty=data["certainty"],
            role=data["role"],
        )
    except DocumentationError as exc:
        messages.error(request, str(exc))
    return _back(ws, record, f"act-{the_act.pk}")


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def citation_add(request: HttpRequest, workspace: str, incident: int) -> HttpResponse:
    ws = current_workspace(request)
    record = _incident(request, incident)
    fields = [(name, _field_label(name)) for name in KEY_FACTS]
    form = CitationForm(request.POST, workspace=ws, fields=fields)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(ws, record, "citations")
    data = form.cleaned_data
    item = items_of(ws).filter(pk=data["item"]).first() if data["item"] else None
    if data["item"] and item is None:
        messages.error(
            request, _("no evidence item %(id)s in this workspace") % {"id": data["item"]}
        )
        return _back(ws, record, "citations")
    from testimonia.incidents.models import Source

    source = (
        Source.objects.filter(workspace=ws, pk=data["source"]).first() if data["source"] else None
    )
    try:
        services.cite(
            request.user,  # type: ignore[arg-type]
            record,
            item=item,
            source=source,
            field=data["field"],
            note=data["note"],
        )
        if item is not None:
            record.evidence.add(item)
    except DocumentationError as exc:
        messages.error(request, str(exc))
    return _back(ws, record, "citations")


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def citation_delete(
    request: HttpRequest, workspace: str, incident: int, citation: int
) -> HttpResponse:
    ws = current_workspace(request)
    record = _incident(request, incident)
    row = get_object_or_404(citations_for(record), pk=citation)
    row._history_user = request.user  # type: ignore[attr-defined]
    row.delete()
    return _back(ws, record, "citations")


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def link_add(request: HttpRequest, workspace: str, incident: int) -> HttpResponse:
    ws = current_workspace(request)
    record = _incident(request, incident)
    form = LinkForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(ws, record, "links")
    target = services.incidents_of(ws).filter(pk=form.cleaned_data["target"]).first()
    if target is None:
        messages.error(
            request, _("no incident %(id)s in this workspace") % {"id": form.cleaned_data["target"]}
        )
        return _back(ws, record, "links")
    try:
        services.link_incidents(
            request.user,  # type: ignore[arg-type]
            record,
            target,
            form.cleaned_data["kind"],
            form.cleaned_data["note"],
        )
    except DocumentationError as exc:
        messages.error(request, str(exc))
    return _back(ws, record, "links")


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def incident_history(request: HttpRequest, workspace: str, incident: int) -> HttpResponse:
    """Every version of the incident, newest first, with what changed from the one before."""
    record = _incident(request, incident)
    versions = list(
        record.history.select_related("history_user").order_by("-history_date", "-history_id")
    )
    rows = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        changes = []
        if older is not None:
            delta = newer.diff_against(older, excluded_fields=["updated_at"])
            changes = [
                {
                    "field": _field_label(c.field),
                    "old": _display(c.old),
                    "new": _display(c.new),
                }
                for c in delta.changes
            ]
        rows.append({"version": newer, "changes": changes, "created": older is None})
    return render(request, "incidents/history.html", {"incident": record, "rows": rows})


def _labelled(citation: Any) -> Any:
    citation.field_label = _field_label(citation.field) if citation.field else ""
    return citation


def _field_label(name: str) -> str:
    if name == "tags":
        return _("tags")
    return str(getattr(Incident._meta.get_field(name), "verbose_name", name))


def _display(value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, list):  # m2m (tags): rows of the through table
        return (
            ", ".join(str(v.get("tag", v)) if isinstance(v, dict) else str(v) for v in value) or "—"
        )
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ---------------------------------------------------------------------------------------------
# Organisations


@access.workspace_member(Capability.VIEW_RECORDS)
@require_http_methods(["GET", "POST"])
def organisations(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    can_edit = _can_edit(request)
    form = OrganisationForm(request.POST or None, workspace=ws)
    if request.method == "POST":
        if not can_edit:
            return HttpResponse(status=403)
        if form.is_valid():
            data = form.cleaned_data
            parent = (
                Organisation.objects.filter(workspace=ws, pk=data["parent"]).first()
                if data["parent"]
                else None
            )
            try:
                services.create_organisation(
                    request.user,  # type: ignore[arg-type]
                    ws,
                    data["name"],
                    data["kind"],
                    parent=parent,
                )
            except DocumentationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Organisation saved."))
                return redirect("web:organisations", workspace=ws.slug)
    units = list(
        Organisation.objects.filter(workspace=ws).annotate(
            acts=Count("involvements", distinct=True)
        )
    )
    return render(
        request,
        "incidents/organisations.html",
        {"tree": _tree(units), "form": form if can_edit else None},
    )


def _tree(units: Sequence[Organisation]) -> list[tuple[int, Organisation]]:
    """Units in hierarchy order with their depth, for an indented list."""
    children: dict[int | None, list[Organisation]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    rows: list[tuple[int, Organisation]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            if unit.pk not in seen:
                seen.add(unit.pk)
                rows.append((depth, unit))
                walk(unit.pk, depth + 1)

    walk(None, 0)
    return rows
