"""The case matrix pages: per incident, per crime and per suspect (a person or a unit), each
element against what supports it with the gaps first; the forms that assess an element and
link or unlink its support (evidence, facts, findings, pattern indicators); and the matrix as
CSV, JSON or PDF (legal/exports.py).

Reading needs VIEW_RECORDS; the forms and the routes that change anything need QUALIFY and go
through legal/services.py. A refused form is shown again in place with its errors (status 400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.models import Workspace
from testimonia.accounts.roles import Capability
from testimonia.evidence.models import Item
from testimonia.incidents.forms import act_type_choices
from testimonia.incidents.models import (
    Act,
    Citation,
    Incident,
    Involvement,
    Organisation,
    Person,
    Source,
    Term,
    Victimisation,
)
from testimonia.legal import exports, labels, services
from testimonia.legal.forms import (
    AssessForm,
    FindingForm,
    IndicatorLinkForm,
    LinkForm,
    PatternForm,
    query_json,
)
from testimonia.legal.indicators import Indicators, SelectionError, indicators_for, person_label
from testimonia.legal.matrix import Matrix, Row, Section, SupportKind
from testimonia.legal.matrix_loader import (
    Rejected,
    act_label,
    crime_matrix,
    incident_label,
    incident_matrix,
    suspect_matrix,
    unit_label,
)
from testimonia.legal.models import ElementSupport, Liability, Qualification
from testimonia.legal.services import Finding, IndicatorQuery, QualificationError
from testimonia.legal.views import (
    actor,
    can_qualify,
    crime_or_404,
    incident_of,
    qualification_of,
    target_incident,
)

SCOPES = ("incident", "crime", "person", "organisation")
SCOPE_TOKEN = re.compile(
    r"^(incident|person|organisation):(\d{1,12})$|^crime:([A-Za-z0-9-]{1,32})$"
)
PATTERN_PREFIX = "pattern"
# The records a link can name, and the model (of this workspace) each is read from.
RECORD_MODELS: dict[str, Any] = {
    "item": Item,
    "source": Source,
    "incident": Incident,
    "act": Act,
    "person": Person,
    "organisation": Organisation,
    "involvement": Involvement,
}


@dataclass(frozen=True)
class Scope:
    """Which matrix a page shows: of an incident, a crime, a person or a unit."""

    kind: str
    key: str

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.key}"

    def url(self, workspace: Workspace) -> str:
        return reverse(
            f"web:matrix_{self.kind}", kwargs={"workspace": workspace.slug, self.kind: self.key}
        )


def parse_scope(token: str) -> Scope | None:
    match = SCOPE_TOKEN.match(token)
    if match is None:
        return None
    if match.group(3):
        return Scope("crime", match.group(3))
    return Scope(match.group(1), match.group(2))


# ---------------------------------------------------------------------------------------------
# Reading


def _rejected(params: QueryDict) -> Rejected:
    return Rejected.INCLUDE if params.get("rejected") == "include" else Rejected.LEAVE_OUT


def load_matrix(request: HttpRequest, scope: Scope, rejected: Rejected) -> Matrix:
    """The matrix of the scope; 404 for what is not in this workspace."""
    ws = current_workspace(request)
    if scope.kind == "incident":
        return incident_matrix(ws, incident_of(request, int(scope.key)), rejected=rejected)
    if scope.kind == "crime":
        return crime_matrix(ws, crime_or_404(scope.key), rejected=rejected)
    if scope.kind == "person":
        person = get_object_or_404(Person.objects.filter(workspace=ws), pk=int(scope.key))
        return suspect_matrix(ws, person, rejected=rejected)
    unit = get_object_or_404(Organisation.objects.filter(workspace=ws), pk=int(scope.key))
    return suspect_matrix(ws, unit, rejected=rejected)


def download(request: HttpRequest, matrix: Matrix, file_format: str) -> HttpResponse:
    """The matrix as a file, in the page's language (a PDF in Arabic or Hebrew is set right
    to left by legal/exports.py)."""
    language = (get_language() or "en").split("-")[0]
    response = HttpResponse(
        exports.render(matrix, file_format, language),
        content_type=exports.MEDIA_TYPES[file_format],
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = f"matrix-{matrix.workspace}-{matrix.scope}-{matrix.scope_id}-{stamp}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name.replace(":", "-")}"'
    return response


def _respond(request: HttpRequest, scope: Scope) -> HttpResponse:
    file_format = request.GET.get("download", "")
    if file_format:
        if file_format not in exports.MEDIA_TYPES:
            return HttpResponse(_("Unknown download format."), status=400)
        return download(request, load_matrix(request, scope, _rejected(request.GET)), file_format)
    return matrix_page(request, scope, request.GET)


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def matrix_incident(request: HttpRequest, workspace: str, incident: int) -> HttpResponse:
    return _respond(request, Scope("incident", str(incident)))


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def matrix_crime(request: HttpRequest, workspace: str, crime: str) -> HttpResponse:
    return _respond(request, Scope("crime", crime_or_404(crime).id))


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def matrix_person(request: HttpRequest, workspace: str, person: int) -> HttpResponse:
    return _respond(request, Scope("person", str(person)))


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def matrix_organisation(request: HttpRequest, workspace: str, organisation: int) -> HttpResponse:
    return _respond(request, Scope("organisation", str(organisation)))


# ---------------------------------------------------------------------------------------------
# The page


@dataclass
class Failure:
    """A posted form that was refused: where it sits on the page and what was wrong."""

    anchor: str
    errors: list[str]


def _auto_id(key: str, name: str) -> str:
    return f"{key}-{name}-%s"


def matrix_page(
    request: HttpRequest,
    scope: Scope,
    params: QueryDict,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    failure: Failure | None = None,
) -> HttpResponse:
    ws = current_workspace(request)
    rejected = _rejected(params)
    matrix = load_matrix(request, scope, rejected)
    bound = bound or {}
    editable = can_qualify(request)
    qualifications = {
        q.pk: q
        for q in Qualification.objects.filter(
            workspace=ws, pk__in={s.qualification for s in matrix.sections}
        ).select_related("act__incident", "incident")
    }
    pattern = _pattern(request, ws, params, matrix)
    choices: dict[int, list[tuple[str, Any]]] = {}
    sections = []
    for section in matrix.sections:
        q = qualifications[section.qualification]
        incident = target_incident(q)
        if editable and incident.pk not in choices:
            choices[incident.pk] = link_choices(incident)
        sections.append(
            _section(ws, section, incident, editable, bound, choices.get(incident.pk, []), pattern)
        )
    query = params.copy()
    query.pop("download", None)
    downloads = []
    for file_format in ("csv", "json", "pdf"):
        query["download"] = file_format
        downloads.append((file_format, f"?{query.urlencode()}"))
    back_query = params.copy()
    back_query.pop("download", None)
    return render(
        request,
        "legal/matrix.html",
        {
            "matrix": matrix,
            "scope": scope,
            "sections": sections,
            "editable": editable,
            "downloads": downloads,
            "include_rejected": rejected is Rejected.INCLUDE,
            "pattern": pattern,
            "back": scope.token,
            "back_query": back_query.urlencode(),
            "failure": failure,
            "states": [(code, labels.label(labels.STATES, code)) for code in labels.STATES],
        },
        status=status,
    )


def _pattern(
    request: HttpRequest, ws: Workspace, params: QueryDict, matrix: Matrix
) -> dict[str, Any] | None:
    """The pattern indicators over the chosen incidents, when an element of the matrix is
    one they are shown beside (the attack, genocide's manifest pattern)."""
    if not any(r.shows_indicators for s in matrix.sections for r in s.rows):
        return None
    asked = any(k.startswith(PATTERN_PREFIX + "-") for k in params)
    form = PatternForm(
        params if asked else None, act_types=act_type_choices(), prefix=PATTERN_PREFIX
    )
    result: Indicators | None = None
    if not asked or form.is_valid():
        try:
            result = indicators_for(ws, form.parameters())
        except SelectionError as exc:
            form.add_error(None, str(exc))
    if result is None:
        return {"form": form, "result": None}
    data = result.as_dict()
    act_names = {t.code: t.label for t in Term.objects.filter(vocabulary="act_type")}
    return {
        "form": form,
        "result": data,
        "query_json": query_json(dict(result.query.parameters)),
        "civilian_share": _percent(result.civilian_share),
        "civilian_share_of_known": _percent(result.civilian_share_of_known),
        "act_types": [(act_names.get(c, c), n) for c, n in result.act_types],
        "recurrences": [
            {**r.as_dict(), "act_label": act_names.get(r.act_type, r.act_type)}
            for r in result.recurrences
        ],
    }


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def _section(
    ws: Workspace,
    section: Section,
    incident: Incident,
    editable: bool,
    bound: dict[str, forms.Form],
    choices: list[tuple[str, Any]],
    pattern: dict[str, Any] | None,
) -> dict[str, Any]:
    key = f"l{section.liability}" if section.liability is not None else f"q{section.qualification}"
    open_ = editable and section.status != Qualification.Status.REJECTED
    owner: dict[str, Any] = (
        {"liability": section.liability}
        if section.liability is not None
        else {"qualification": section.qualification}
    )
    return {
        "section": section,
        "key": key,
        "incident": incident,
        "status": labels.label(labels.STATUSES, section.status),
        "editable": open_,
        "rows": [_row(ws, key, row, open_, bound, choices, pattern, owner) for row in section.rows],
    }


def _record_url(ws: Workspace, kind: str, ref: int | None) -> str | None:
    if ref is None:
        return None
    names = {
        SupportKind.ITEM: ("web:item", "item"),
        SupportKind.INCIDENT: ("web:incident", "incident"),
        SupportKind.PERSON: ("web:person", "person"),
        SupportKind.ORGANISATION: ("web:organisation", "organisation"),
    }
    found = names.get(SupportKind(kind))
    if found is None:
        return None
    return reverse(found[0], kwargs={"workspace": ws.slug, found[1]: ref})


def _row(
    ws: Workspace,
    section_key: str,
    row: Row,
    editable: bool,
    bound: dict[str, forms.Form],
    choices: list[tuple[str, Any]],
    pattern: dict[str, Any] | None,
    owner: dict[str, Any],
) -> dict[str, Any]:
    key = f"{section_key}-{row.number}"
    context: dict[str, Any] = {
        "row": row,
        "key": key,
        "state": labels.label(labels.STATES, row.state),
        "kind": labels.label(labels.KINDS, row.kind),
        "assessed": labels.label(labels.STRENGTHS, row.assessed),
        "support": labels.label(labels.STRENGTHS, row.support),
        "supports": [
            {
                "support": s,
                "kind": labels.label(labels.SUPPORT_KINDS, s.kind),
                "strength": labels.label(labels.STRENGTHS, s.strength),
                "url": _record_url(ws, s.kind, s.ref),
            }
            for s in row.supports
        ],
        "editable": editable and row.known,
    }
    if not context["editable"]:
        return context
    prefix = "liability_" if "liability" in owner else ""
    kwargs = {"workspace": ws.slug, "number": row.number, **owner}
    context["assess_url"] = reverse(f"web:{prefix}element_assess", kwargs=kwargs)
    context["support_url"] = reverse(f"web:{prefix}element_support", kwargs=kwargs)
    context["assess_form"] = bound.get(f"assess-{key}") or AssessForm(
        initial={"strength": row.assessed.value if row.assessed else "", "note": row.note},
        auto_id=_auto_id(key, "assess"),
    )
    context["link_form"] = bound.get(f"record-{key}") or LinkForm(
        targets=choices, auto_id=_auto_id(key, "record")
    )
    context["finding_form"] = bound.get(f"finding-{key}") or FindingForm(
        auto_id=_auto_id(key, "finding")
    )
    if row.shows_indicators and pattern is not None and pattern.get("result") is not None:
        context["indicators_form"] = bound.get(f"indicators-{key}") or IndicatorLinkForm(
            initial={"query": pattern["query_json"]},
            auto_id=_auto_id(key, "indicators"),
        )
    return context


def link_choices(incident: Incident) -> list[tuple[str, Any]]:
    """The records of an incident offered as support: its evidence and sources, then its
    facts (the incident, its acts, victims, alleged perpetrators and their involvement)."""
    acts = list(incident.acts.select_related("act_type", "incident").order_by("pk"))
    act_ids = [a.pk for a in acts]
    citations = Citation.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk)
        | Q(content_type=ContentType.objects.get_for_model(Act), object_id__in=act_ids)
    ).select_related("item", "source")
    items: dict[int, Item] = {i.pk: i for i in incident.evidence.filter(deleted_at=None)}
    sources: dict[int, Source] = {}
    for c in citations:
        if c.item is not None and c.item.deleted_at is None:
            items.setdefault(c.item.pk, c.item)
        if c.source is not None:
            sources.setdefault(c.source.pk, c.source)
    persons: dict[int, str] = {}
    for v in (
        Victimisation.objects.filter(act_id__in=act_ids)
        .select_related("person")
        .prefetch_related("person__names")
    ):
        persons.setdefault(v.person.pk, person_label(v.person))
    involvements = list(
        Involvement.objects.filter(act_id__in=act_ids)
        .select_related("organisation", "person")
        .prefetch_related("person__names")
        .order_by("pk")
    )
    units: dict[int, str] = {}
    for inv in involvements:
        if inv.person is not None:
            persons.setdefault(inv.person.pk, person_label(inv.person))
        if inv.organisation is not None:
            units.setdefault(inv.organisation.pk, unit_label(inv.organisation))
    groups: list[tuple[str, Any]] = []
    if items:
        groups.append(
            (
                _("Evidence of the incident"),
                [
                    (
                        f"item:{pk}",
                        _("item %(id)s: %(name)s") % {"id": pk, "name": i.original_filename},
                    )
                    for pk, i in sorted(items.items())
                ],
            )
        )
    if sources:
        groups.append(
            (
                _("Sources cited"),
                [
                    (f"source:{pk}", _("source %(id)s: %(title)s") % {"id": pk, "title": s.title})
                    for pk, s in sorted(sources.items())
                ],
            )
        )
    facts: list[tuple[str, str]] = [(f"incident:{incident.pk}", incident_label(incident))]
    facts += [(f"act:{a.pk}", act_label(a)) for a in acts]
    facts += [(f"person:{pk}", label) for pk, label in sorted(persons.items())]
    facts += [(f"organisation:{pk}", label) for pk, label in sorted(units.items())]
    facts += [
        (
            f"involvement:{inv.pk}",
            _("involvement %(id)s: %(who)s in act %(act)s")
            % {
                "id": inv.pk,
                "who": unit_label(inv.organisation)
                if inv.organisation is not None
                else person_label(inv.person),
                "act": inv.act_id,
            },
        )
        for inv in involvements
    ]
    groups.append((_("Facts"), facts))
    return groups


# ---------------------------------------------------------------------------------------------
# Changing an element


def _subject(
    request: HttpRequest, qualification: int | None, liability: int | None
) -> tuple[services.Subject, Qualification]:
    if liability is not None:
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
        return found, found.qualification
    q = qualification_of(request, qualification or 0)
    return q, q


def _back(request: HttpRequest, q: Qualification) -> tuple[Scope, QueryDict]:
    """The matrix page the form was posted from (its scope and query string); without a
    valid one, the matrix of the qualification's incident."""
    scope = parse_scope(request.POST.get("back", "")) or Scope(
        "incident", str(target_incident(q).pk)
    )
    params = QueryDict(request.POST.get("back_query", ""), mutable=True)
    params.pop("download", None)
    return scope, params


def _done(request: HttpRequest, scope: Scope, params: QueryDict, anchor: str) -> HttpResponse:
    query = params.urlencode()
    url = scope.url(current_workspace(request)) + (f"?{query}" if query else "")
    return redirect(f"{url}#{anchor}")


def _refused(
    request: HttpRequest, scope: Scope, params: QueryDict, name: str, key: str, form: forms.Form
) -> HttpResponse:
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    return matrix_page(
        request,
        scope,
        params,
        {f"{name}-{key}": form},
        status=400,
        failure=Failure(anchor=f"row-{key}", errors=errors),
    )


def _key(subject: services.Subject, number: int) -> str:
    prefix = "q" if isinstance(subject, Qualification) else "l"
    return f"{prefix}{subject.pk}-{number}"


@access.workspace_member(Capability.QUALIFY)
@require_POST
def element_assess(
    request: HttpRequest,
    workspace: str,
    number: int,
    qualification: int | None = None,
    liability: int | None = None,
) -> HttpResponse:
    subject, q = _subject(request, qualification, liability)
    scope, params = _back(request, q)
    key = _key(subject, number)
    form = AssessForm(request.POST, auto_id=_auto_id(key, "assess"))
    if form.is_valid():
        try:
            services.assess_element(
                actor(request),
                subject,
                number,
                form.cleaned_data["strength"] or None,
                form.cleaned_data["note"],
            )
        except QualificationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Element %(n)s assessed.") % {"n": number})
            return _done(request, scope, params, f"row-{key}")
    return _refused(request, scope, params, "assess", key, form)


def _record(ws: Workspace, kind: str, pk: int) -> Any:
    model = RECORD_MODELS[kind]
    rows: QuerySet[Any]
    if model is Act:
        rows = Act.objects.filter(incident__workspace=ws)
    elif model is Involvement:
        rows = Involvement.objects.filter(act__incident__workspace=ws)
    else:
        rows = model.objects.filter(workspace=ws)
    return rows.filter(pk=pk).first()


@access.workspace_member(Capability.QUALIFY)
@require_POST
def element_support(
    request: HttpRequest,
    workspace: str,
    number: int,
    qualification: int | None = None,
    liability: int | None = None,
) -> HttpResponse:
    """Link what supports an element: a record (`form=record`), a finding (`form=finding`) or
    the pattern indicators shown on the page (`form=indicators`)."""
    ws = current_workspace(request)
    subject, q = _subject(request, qualification, liability)
    scope, params = _back(request, q)
    key = _key(subject, number)
    name = request.POST.get("form", "")
    form: forms.Form
    target: services.SupportTarget | None = None
    if name == "finding":
        form = FindingForm(request.POST, auto_id=_auto_id(key, name))
        if form.is_valid():
            target = Finding(form.cleaned_data["text"])
    elif name == "indicators":
        form = IndicatorLinkForm(request.POST, auto_id=_auto_id(key, name))
        if form.is_valid():
            target = IndicatorQuery(form.cleaned_data["query"])
    else:
        name = "record"
        form = LinkForm(
            request.POST, targets=link_choices(target_incident(q)), auto_id=_auto_id(key, name)
        )
        if form.is_valid():
            kind, pk = form.target_key()
            target = _record(ws, kind, pk)
            if target is None:
                form.add_error("item", _("No evidence item %(id)s in this workspace.") % {"id": pk})
    if target is not None:
        try:
            services.link_support(
                actor(request),
                subject,
                number,
                target,
                form.cleaned_data["strength"],
                form.cleaned_data["note"],
            )
        except QualificationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Support linked to element %(n)s.") % {"n": number})
            return _done(request, scope, params, f"row-{key}")
    return _refused(request, scope, params, name, key, form)


@access.workspace_member(Capability.QUALIFY)
@require_POST
def support_unlink(request: HttpRequest, workspace: str, support: int) -> HttpResponse:
    ws = current_workspace(request)
    found = get_object_or_404(
        ElementSupport.objects.filter(
            Q(assessment__qualification__workspace=ws)
            | Q(assessment__liability__qualification__workspace=ws)
        ).select_related(
            "assessment__qualification__workspace",
            "assessment__qualification__act__incident",
            "assessment__qualification__incident",
            "assessment__liability__qualification__workspace",
            "assessment__liability__qualification__act__incident",
            "assessment__liability__qualification__incident",
        ),
        pk=support,
    )
    assessment = found.assessment
    subject: services.Subject | None = assessment.qualification or assessment.liability
    if subject is None:  # pragma: no cover - the check constraint names one of the two
        return HttpResponse(status=404)
    q = subject if isinstance(subject, Qualification) else subject.qualification
    scope, params = _back(request, q)
    try:
        services.unlink_support(actor(request), found)
    except QualificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Link removed; the history keeps it."))
    return _done(request, scope, params, f"row-{_key(subject, assessment.number)}")
