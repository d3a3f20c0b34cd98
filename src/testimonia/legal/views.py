"""Legal analysis pages: the crime catalogue, the qualifications of the workspace, and the
qualifications of one incident and its acts with the forms that propose, suggest and decide
them and name the suspects.

Every internal role reads these pages (VIEW_RECORDS); the forms and the routes that change
anything need QUALIFY (legal officers and administrators) and go through legal/services.py.
The case matrix pages are in legal/views_matrix.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.incidents.models import Act, Incident, Involvement, Organisation, Person
from testimonia.legal import catalogue, labels, services
from testimonia.legal.forms import DecisionForm, LiabilityForm, QualifyForm, crime_option
from testimonia.legal.indicators import person_label
from testimonia.legal.matrix_loader import (
    act_label,
    crime_section,
    incident_label,
    qualifications_of,
    suspect_label,
    unit_label,
)
from testimonia.legal.models import Liability, Qualification
from testimonia.legal.services import QualificationError
from testimonia.legal.suggestions import suggest

PAGE_SIZE = 50


def can_qualify(request: HttpRequest) -> bool:
    return grants(request.workspace_roles, Capability.QUALIFY)  # type: ignore[attr-defined]


def actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the access rule admits only signed-in members
        raise PermissionDenied
    return user


def incident_of(request: HttpRequest, incident: int) -> Incident:
    return get_object_or_404(
        Incident.objects.filter(workspace=current_workspace(request)), pk=incident
    )


def crime_or_404(reference: str) -> catalogue.Crime:
    try:
        return catalogue.crime(reference)
    except catalogue.UnknownEntry:
        raise Http404 from None


def target_incident(q: Qualification) -> Incident:
    """The incident a qualification belongs to (its own, or its act's)."""
    if q.act is not None:
        return q.act.incident
    if q.incident is None:  # pragma: no cover - the check constraint names one of the two
        raise Http404
    return q.incident


# ---------------------------------------------------------------------------------------------
# The catalogue


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def crime_list(request: HttpRequest, workspace: str) -> HttpResponse:
    everything = catalogue.catalogue()
    groups = [
        {
            "code": str(info.code),
            "label": labels.label(labels.CATEGORIES, info.code),
            "article": info.article,
            "crimes": catalogue.crimes(info.code),
        }
        for info in everything.categories
    ]
    return render(
        request,
        "legal/catalogue.html",
        {
            "groups": groups,
            "total": len(everything.crimes),
            "amended": sum(1 for c in everything.crimes if c.amendment is not None),
            "unverified": sum(1 for c in everything.crimes if not c.verified),
            "modes": everything.modes,
            "version": everything.version,
        },
    )


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def crime_detail(request: HttpRequest, workspace: str, crime: str) -> HttpResponse:
    found = crime_or_404(crime)
    if crime != found.id:
        return redirect("web:crime", workspace=workspace, crime=found.id)
    everything = catalogue.catalogue()
    elements = [
        {
            "element": e,
            "kind": labels.label(labels.KINDS, e.kind),
            "explains": everything.kinds.get(str(e.kind), ""),
            "block": everything.blocks.get(e.block) if e.block else None,
        }
        for e in found.elements
    ]
    counts = dict(
        Qualification.objects.filter(workspace=current_workspace(request), crime_id=found.id)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return render(
        request,
        "legal/crime.html",
        {
            "crime": found,
            "category": labels.label(labels.CATEGORIES, found.category),
            "elements": elements,
            "sources": [everything.sources[s] for s in found.sources],
            "counts": [
                (labels.label(labels.STATUSES, s), counts.get(s, 0)) for s in labels.STATUSES
            ],
            "qualified": sum(counts.values()),
        },
    )


# ---------------------------------------------------------------------------------------------
# The qualifications of the workspace


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def overview(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    rows = Qualification.objects.filter(workspace=ws)
    status = request.GET.get("status", "")
    listed = rows.filter(status=status) if status in labels.STATUSES else rows
    listed = listed.select_related(
        "act__act_type", "act__incident", "incident", "proposed_by", "decided_by"
    ).order_by("-updated_at", "-pk")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    by_status = dict(rows.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    crimes = []
    for crime_id, n in (
        rows.values_list("crime_id")
        .annotate(n=Count("pk"))
        .order_by("crime_id")
        .values_list("crime_id", "n")
    ):
        try:
            crime = catalogue.crime(crime_id)
        except catalogue.UnknownEntry:
            crimes.append({"id": crime_id, "article": "?", "name": crime_id, "n": n})
        else:
            crimes.append({"id": crime.id, "article": crime.article, "name": crime.name, "n": n})
    return render(
        request,
        "legal/overview.html",
        {
            "page": page,
            "rows": [_listed(q) for q in page.object_list],
            "status": status if status in labels.STATUSES else "",
            "statuses": [
                (code, labels.label(labels.STATUSES, code), by_status.get(code, 0))
                for code in labels.STATUSES
            ],
            "total": sum(by_status.values()),
            "crimes": crimes,
            "suspects": _suspects(ws),
            "catalogue_total": len(catalogue.catalogue().crimes),
        },
    )


def _listed(q: Qualification) -> dict[str, Any]:
    try:
        crime = catalogue.crime(q.crime_id)
        article, name = crime.article, crime.name
    except catalogue.UnknownEntry:
        article, name = "?", q.crime_id
    return {
        "q": q,
        "article": article,
        "name": name,
        "target": act_label(q.act) if q.act is not None else incident_label(target_incident(q)),
        "incident": target_incident(q).pk,
        "status": labels.label(labels.STATUSES, q.status),
    }


def _suspects(ws: Workspace) -> list[dict[str, Any]]:
    """Everyone named as a suspect in the workspace, with how many modes are alleged."""
    liabilities = Liability.objects.filter(qualification__workspace=ws)
    people = dict(
        liabilities.exclude(person=None)
        .values_list("person")
        .annotate(n=Count("pk"))
        .values_list("person", "n")
    )
    units = dict(
        liabilities.exclude(organisation=None)
        .values_list("organisation")
        .annotate(n=Count("pk"))
        .values_list("organisation", "n")
    )
    found: list[dict[str, Any]] = []
    for person in Person.objects.filter(pk__in=people).prefetch_related("names"):
        found.append(
            {
                "kind": "person",
                "pk": person.pk,
                "label": person_label(person),
                "n": people[person.pk],
            }
        )
    for unit in Organisation.objects.filter(pk__in=units):
        found.append(
            {"kind": "organisation", "pk": unit.pk, "label": unit_label(unit), "n": units[unit.pk]}
        )
    return found


# ---------------------------------------------------------------------------------------------
# The qualifications of one incident


def _targets(incident: Incident, acts: list[Act]) -> list[tuple[str, str]]:
    return [
        ("incident", _("the whole incident")),
        *((f"act:{act.pk}", act_label(act)) for act in acts),
    ]


def _suspect_choices(ws: Workspace, incident: Incident) -> list[tuple[str, Any]]:
    """The alleged perpetrators of the incident's acts, then every unit of the workspace."""
    involved = (
        Involvement.objects.filter(act__incident=incident)
        .select_related("organisation", "person")
        .prefetch_related("person__names")
    )
    people: dict[int, str] = {}
    unit_ids: list[int] = []
    for inv in involved:
        if inv.person is not None:
            people[inv.person.pk] = person_label(inv.person)
        elif inv.organisation_id is not None:
            unit_ids.append(inv.organisation_id)
    units = list(Organisation.objects.filter(workspace=ws).order_by("name", "pk"))
    alleged = [u for u in units if u.pk in unit_ids]
    choices: list[tuple[str, Any]] = []
    if people or alleged:
        choices.append(
            (
                _("Alleged perpetrators in this incident"),
                [(f"person:{pk}", label) for pk, label in people.items()]
                + [(f"organisation:{u.pk}", unit_label(u)) for u in alleged],
            )
        )
    others = [u for u in units if u.pk not in unit_ids]
    if others:
        choices.append(
            (_("Units of the workspace"), [(f"organisation:{u.pk}", unit_label(u)) for u in others])
        )
    return choices


def _acts(incident: Incident) -> list[Act]:
    return list(incident.acts.select_related("act_type", "incident").order_by("pk"))


def incident_page(
    request: HttpRequest,
    incident: Incident,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The qualifications of an incident and its acts; `bound` replaces the empty forms with
    ones that were posted and refused (their errors are shown in place)."""
    ws = current_workspace(request)
    bound = bound or {}
    editable = can_qualify(request)
    acts = _acts(incident)
    rows = (
        qualifications_of(ws)
        .filter(Q(incident=incident) | Q(act__incident=incident))
        .select_related("proposed_by", "decided_by")
        .prefetch_related(
            Prefetch(
                "liabilities",
                queryset=Liability.objects.select_related("person", "organisation", "created_by")
                .prefetch_related("person__names", "assessments")
                .order_by("pk"),
                to_attr="suspects",
            )
        )
    )
    suspects = _suspect_choices(ws, incident) if editable else []
    cards: dict[int | None, list[dict[str, Any]]] = {None: [], **{a.pk: [] for a in acts}}
    for q in rows:
        cards.setdefault(q.act_id, []).append(_card(q, editable, bound, suspects))
    initial = request.GET.get("target", "")
    qualify_form = bound.get("qualify") or QualifyForm(
        targets=_targets(incident, acts), initial={"target": initial}
    )
    return render(
        request,
        "legal/incident.html",
        {
            "incident": incident,
            "title": incident.display_title,
            "whole": cards[None],
            "acts": [{"act": a, "label": act_label(a), "cards": cards.get(a.pk, [])} for a in acts],
            "can_qualify": editable,
            "qualify_form": qualify_form if editable else None,
            "crime_options": [crime_option(c) for c in catalogue.crimes()] if editable else [],
        },
        status=status,
    )


def _card(
    q: Qualification,
    editable: bool,
    bound: dict[str, forms.Form],
    suspects: list[tuple[str, Any]],
) -> dict[str, Any]:
    section = crime_section(q)
    card: dict[str, Any] = {
        "q": q,
        "section": section,
        "status": labels.label(labels.STATUSES, q.status),
        "suspects": [
            {
                "liability": li,
                "label": suspect_label(li.person or li.organisation),
                "mode": _mode_label(li.mode_id),
            }
            for li in q.suspects  # type: ignore[attr-defined]  # the Prefetch's to_attr
        ],
    }
    if editable:
        card["decide_form"] = bound.get(f"decide-{q.pk}") or DecisionForm(status=q.status)
        if q.status != Qualification.Status.REJECTED:
            card["suspect_form"] = bound.get(f"suspect-{q.pk}") or LiabilityForm(suspects=suspects)
    return card


def _mode_label(mode_id: str) -> str:
    try:
        mode = catalogue.mode(mode_id)
    except catalogue.UnknownEntry:
        return mode_id
    return f"{mode.article} {mode.name}"


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def incident_qualifications(request: HttpRequest, workspace: str, incident: int) -> HttpResponse:
    return incident_page(request, incident_of(request, incident))


def _back_to(q_or_incident: Qualification | Incident, anchor: str = "") -> HttpResponse:
    incident = (
        target_incident(q_or_incident)
        if isinstance(q_or_incident, Qualification)
        else q_or_incident
    )
    url = reverse(
        "web:legal_incident",
        kwargs={"workspace": incident.workspace.slug, "incident": incident.pk},
    )
    return redirect(url + (f"#{anchor}" if anchor else ""))


@access.workspace_member(Capability.QUALIFY)
@require_POST
def qualify(request: HttpRequest, workspace: str, incident: int) -> HttpResponse:
    record = incident_of(request, incident)
    acts = _acts(record)
    form = QualifyForm(request.POST, targets=_targets(record, acts))
    if form.is_valid():
        target: Incident | Act = record
        chosen = form.cleaned_data["target"]
        if chosen != "incident":
            target = next(a for a in acts if f"act:{a.pk}" == chosen)
        try:
            q = services.qualify(
                actor(request),
                target,
                form.cleaned_data["crime"].id,
                form.cleaned_data["reasoning"],
            )
        except QualificationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Qualification recorded as a candidate."))
            return _back_to(q, f"qualification-{q.pk}")
    return incident_page(request, record, {"qualify": form}, status=400)


@access.workspace_member(Capability.QUALIFY)
@require_POST
def suggest_for_act(request: HttpRequest, workspace: str, incident: int, act: int) -> HttpResponse:
    record = incident_of(request, incident)
    the_act = get_object_or_404(
        Act.objects.select_related("act_type__parent", "incident__workspace"),
        pk=act,
        incident=record,
    )
    try:
        result = suggest(actor(request), the_act)
    except QualificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(created)d new candidate crime(s) suggested; %(existing)d already recorded.")
            % {"created": len(result.created), "existing": len(result.existing)},
        )
    return _back_to(record, f"act-{the_act.pk}")


def qualification_of(request: HttpRequest, qualification: int) -> Qualification:
    return get_object_or_404(
        Qualification.objects.filter(workspace=current_workspace(request)).select_related(
            "workspace", "act__incident__workspace", "incident__workspace"
        ),
        pk=qualification,
    )


@access.workspace_member(Capability.QUALIFY)
@require_POST
def decide(request: HttpRequest, workspace: str, qualification: int) -> HttpResponse:
    q = qualification_of(request, qualification)
    form = DecisionForm(request.POST, status=q.status)
    if form.is_valid():
        action = {
            "accept": services.accept,
            "reject": services.reject,
            "reopen": services.reopen,
        }[form.cleaned_data["decision"]]
        try:
            action(actor(request), q, form.cleaned_data["reasoning"])
        except QualificationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Qualification %(id)s is now %(status)s.")
                % {"id": q.pk, "status": labels.label(labels.STATUSES, q.status)},
            )
            return _back_to(q, f"qualification-{q.pk}")
    return incident_page(request, target_incident(q), {f"decide-{q.pk}": form}, status=400)


@access.workspace_member(Capability.QUALIFY)
@require_POST
def liability_add(request: HttpRequest, workspace: str, qualification: int) -> HttpResponse:
    ws = current_workspace(request)
    q = qualification_of(request, qualification)
    incident = target_incident(q)
    form = LiabilityForm(request.POST, suspects=_suspect_choices(ws, incident))
    if form.is_valid():
        kind, pk = form.suspect_key()
        model: type[Person] | type[Organisation] = Person if kind == "person" else Organisation
        suspect = model.objects.filter(workspace=ws, pk=pk).first()
        if suspect is None:
            form.add_error(None, _("No such suspect in this workspace."))
        else:
            try:
                services.add_suspect_liability(
                    actor(request),
                    q,
                    suspect,
                    form.cleaned_data["mode"],
                    form.cleaned_data["reasoning"],
                )
            except QualificationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Suspect named."))
                return _back_to(q, f"qualification-{q.pk}")
    return incident_page(request, incident, {f"suspect-{q.pk}": form}, status=400)


@access.workspace_member(Capability.QUALIFY)
@require_POST
def liability_remove(request: HttpRequest, workspace: str, liability: int) -> HttpResponse:
    found = get_object_or_404(
        Liability.objects.filter(
            qualification__workspace=current_workspace(request)
        ).select_related(
            "qualification__workspace",
            "qualification__act__incident__workspace",
            "qualification__incident__workspace",
        ),
        pk=liability,
    )
    q = found.qualification
    try:
        services.remove_suspect_liability(actor(request), found)
    except QualificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Suspect removed; the history keeps the record."))
    return _back_to(q, f"qualification-{q.pk}")
