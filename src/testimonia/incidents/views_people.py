"""Pages of the people and units in the documentation database: the persons list (found by
name through the search index), a person's record with their names, attributes, the acts they
suffered or are alleged to have taken part in and what supports each fact, their history, the
forms that edit them; an organisation's record with its place in the hierarchy and its form.

Confidential persons follow the rules of the search and the API: the search index never holds
them, so a name search never finds them; the API shows them to every member who may view
records, and so do these pages, marked as confidential.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from testimonia.accounts import access
from testimonia.accounts.middleware import current_workspace
from testimonia.accounts.models import User, Workspace
from testimonia.accounts.roles import Capability, grants
from testimonia.evidence.services import items_of
from testimonia.incidents import removal, search, services
from testimonia.incidents.forms import CitationForm
from testimonia.incidents.forms_people import (
    NAME_LANGUAGES,
    BaseNameFormSet,
    NameFormSet,
    OrganisationEditForm,
    PersonFilterForm,
    PersonForm,
    name_initial,
)
from testimonia.incidents.models import (
    CHILD_AGE,
    DatePrecision,
    Involvement,
    Organisation,
    Person,
    PersonName,
    Sensitivity,
    Source,
    Victimisation,
    citations_for,
)
from testimonia.incidents.services import AgeGroup, DocumentationError

PAGE_SIZE = 50
MEMBERS_SHOWN = 100
# The attributes of a person that can cite evidence, in the order of the page ("age_min"
# stands for the age or age range).
PERSON_FACTS = [
    "names",
    "sex",
    "age_min",
    "date_of_birth",
    "status",
    "occupation",
    "date_of_death",
    "affiliation",
]


def _can_edit(request: HttpRequest) -> bool:
    return grants(request.workspace_roles, Capability.EDIT_RECORDS)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    # The access rule admitted a signed-in member of the workspace.
    return cast(User, request.user)


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def persons_of(workspace: Workspace) -> QuerySet[Person]:
    return Person.objects.filter(workspace=workspace)


def _person(request: HttpRequest, person: int) -> Person:
    ws = current_workspace(request)
    return get_object_or_404(persons_of(ws).prefetch_related("names"), pk=person)


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# ---------------------------------------------------------------------------------------------
# Describing a person


def age_text(person: Person) -> str:
    low, high = person.age_min, person.age_max
    if low is None and high is None:
        return ""
    if low is not None and (high is None or high == low):
        return str(low)
    if low is None:
        return _("up to %(age)s") % {"age": high}
    return f"{low}\u2013{high}"


def _date_text(value: dt.date | None, precision: str = DatePrecision.DAY) -> str:
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value:%Y}"
    if precision == DatePrecision.MONTH:
        return f"{value:%Y-%m}"
    return value.isoformat()


def _fact_label(name: str) -> str:
    if name == "names":
        return _("names")
    if name == "age_min":
        return _("age")
    return str(getattr(Person._meta.get_field(name), "verbose_name", name))


def _known(person: Person, name: str) -> bool:
    """Whether the person's record says something about this attribute ("unknown" says
    nothing, so it needs no support)."""
    if name == "names":
        return bool(person.names.all())
    if name == "age_min":
        return person.age_min is not None or person.age_max is not None
    value = getattr(person, name)
    return value not in (None, "", "unknown")


def _fact_value(person: Person, name: str) -> str:
    if name == "sex":
        return str(person.get_sex_display())
    if name == "status":
        return str(person.get_status_display())
    if name == "age_min":
        return age_text(person)
    if name == "date_of_birth":
        return _date_text(person.date_of_birth, person.date_of_birth_precision)
    if name == "date_of_death":
        return _date_text(person.date_of_death)
    if name == "affiliation":
        return person.affiliation.name if person.affiliation else ""
    if name == "names":
        return ""
    return str(getattr(person, name) or "")


def _fact_rows(person: Person, citations: list[Any]) -> list[dict[str, Any]]:
    """Each attribute with its value, the citations that support it and whether nothing
    does (an attribute with no value is not a fact and needs no support)."""
    known = [name for name in PERSON_FACTS if _known(person, name)]
    unsupported = set(services.unsupported_facts(person, known))
    # unsupported_facts skips an empty field, but "up to 17" (no lower bound) is a fact too.
    if (
        "age_min" in known
        and person.age_min is None
        and not any(c.field in ("", "age_min") for c in citations)
    ):
        unsupported.add("age_min")
    rows = []
    for name in PERSON_FACTS:
        rows.append(
            {
                "name": name,
                "label": _fact_label(name),
                "value": _fact_value(person, name),
                "known": name in known,
                "citations": [c for c in citations if c.field == name],
                "unsupported": name in unsupported,
            }
        )
    return rows


def _citation_form(workspace: Workspace, data: Any = None) -> CitationForm:
    fields = [(name, _fact_label(name)) for name in PERSON_FACTS]
    return CitationForm(data, workspace=workspace, fields=fields)


# ---------------------------------------------------------------------------------------------
# The persons list


def _filtered_persons(workspace: Workspace, wanted: dict[str, str]) -> tuple[Any, str]:
    persons = persons_of(workspace)
    problem = ""
    query = wanted.get("q", "")
    if query:
        try:
            ids = search.search_ids(workspace, query, search.PERSON)
        except search.SearchError as exc:
            ids, problem = [], str(exc)
        persons = persons.filter(pk__in=ids)
    if wanted.get("sex"):
        persons = persons.filter(sex=wanted["sex"])
    if wanted.get("status"):
        persons = persons.filter(status=wanted["status"])
    age = wanted.get("age")
    child = Q(age_max__lt=CHILD_AGE)
    adult = Q(age_min__gte=CHILD_AGE)
    if age == AgeGroup.CHILD:
        persons = persons.filter(child)
    elif age == AgeGroup.ADULT:
        persons = persons.filter(adult)
    elif age == AgeGroup.UNKNOWN:
        persons = persons.exclude(child).exclude(adult)
    return persons, problem


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def person_list(request: HttpRequest, workspace: str) -> HttpResponse:
    ws = current_workspace(request)
    form = PersonFilterForm(request.GET or None)
    wanted = form.values()
    persons, problem = _filtered_persons(ws, wanted)
    page = Paginator(persons.order_by("pk").prefetch_related("names"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    shown = [p.pk for p in page]
    # Counted for the page's persons only: an annotation would join every person's acts.
    suffered = Counter(
        Victimisation.objects.filter(person__in=shown).values_list("person_id", flat=True)
    )
    involved = Counter(
        Involvement.objects.filter(person__in=shown).values_list("person_id", flat=True)
    )
    rows = [
        {
            "person": p,
            "age": age_text(p),
            "suffered": suffered.get(p.pk, 0),
            "involved": involved.get(p.pk, 0),
            "confidential": p.sensitivity == Sensitivity.CONFIDENTIAL,
        }
        for p in page
    ]
    return render(
        request,
        "incidents/person_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "total": page.paginator.count,
            "searched": bool(wanted.get("q")),
            "problem": problem,
            "querystring": _querystring(request),
            "can_edit": _can_edit(request),
        },
    )


# ---------------------------------------------------------------------------------------------
# One person


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def person_detail(request: HttpRequest, workspace: str, person: int) -> HttpResponse:
    ws = current_workspace(request)
    record = _person(request, person)
    language = _language()
    labels = dict(NAME_LANGUAGES)
    names = [
        {"name": n, "language": str(labels.get(n.language, n.language))} for n in record.names.all()
    ]
    citations = list(citations_for(record).select_related("item", "source").order_by("pk"))
    suffered = [
        {
            "victim": v,
            "title": v.act.incident.text_in(language)["title"],
        }
        for v in Victimisation.objects.filter(person=record)
        .select_related("act__act_type", "act__incident")
        .order_by("act__incident__start_date", "act__pk")
    ]
    involved = [
        {"involvement": i, "title": i.act.incident.text_in(language)["title"]}
        for i in Involvement.objects.filter(person=record)
        .select_related("act__act_type", "act__incident")
        .order_by("act__incident__start_date", "act__pk")
    ]
    can_edit = _can_edit(request)
    facts = _fact_rows(record, citations)
    return render(
        request,
        "incidents/person_detail.html",
        {
            "person": record,
            "names": names,
            "facts": facts,
            "names_fact": facts[0],  # PERSON_FACTS starts with the names
            "unsupported": [f["label"] for f in facts if f["unsupported"]],
            "record_citations": [c for c in citations if c.field == ""],
            "age": age_text(record),
            "confidential": record.sensitivity == Sensitivity.CONFIDENTIAL,
            "suffered": suffered,
            "involved": involved,
            "can_edit": can_edit,
            "citation_form": _citation_form(ws) if can_edit else None,
        },
    )


def _apply_names(actor: User, person: Person, names: BaseNameFormSet) -> None:
    """Make the person's names those of the form: rows with an id are kept (changed where
    edited), rows without are added, rows marked for removal are removed (with the author in
    their history)."""
    kept, removed = names.names()
    existing = {n.pk: n for n in person.names.all()}
    unknown = [pk for pk in [*removed, *(n["id"] for n in kept if n["id"])] if pk not in existing]
    if unknown:
        raise DocumentationError(_("a name of another record was submitted: reload the page"))
    for pk in removed:
        name = existing[pk]
        name._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
        name.delete()
    for entry in kept:
        pk = entry.pop("id")
        if pk is None:
            services.save(actor, PersonName(person=person), **entry)
            continue
        name = existing[pk]
        if any(getattr(name, key) != value for key, value in entry.items()):
            services.save(actor, name, **entry)


def _person_changes(form: PersonForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in PersonForm.Meta.fields}


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, workspace: str, person: int | None = None) -> HttpResponse:
    """The form of a new person (no `person`) or of an existing one, with their names."""
    ws = current_workspace(request)
    record = _person(request, person) if person is not None else Person(workspace=ws)
    data = request.POST if request.method == "POST" else None
    form = PersonForm(data, instance=record, workspace=ws)
    initial = name_initial(list(record.names.all())) if record.pk else []
    names = NameFormSet(data, initial=initial, prefix="names")
    if request.method == "POST":
        # Both validated, so that every mistake is shown at once.
        form_ok, names_ok = form.is_valid(), names.is_valid()
        if form_ok and names_ok:
            actor = _user(request)
            try:
                with transaction.atomic():
                    if record.pk is None:
                        record = services.create_person(actor, ws, **_person_changes(form))
                    else:
                        services.save(actor, record, **_person_changes(form))
                    _apply_names(actor, record, names)
            except DocumentationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Person saved."))
                return redirect("web:person", workspace=ws.slug, person=record.pk)
    return render(
        request, "incidents/person_edit.html", {"form": form, "names": names, "person": record}
    )


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def person_citation_add(request: HttpRequest, workspace: str, person: int) -> HttpResponse:
    ws = current_workspace(request)
    record = _person(request, person)
    back = reverse("web:person", kwargs={"workspace": ws.slug, "person": record.pk})
    form = _citation_form(ws, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back + "#citations")
    data = form.cleaned_data
    item = items_of(ws).filter(pk=data["item"]).first() if data["item"] else None
    if data["item"] and item is None:
        messages.error(
            request, _("no evidence item %(id)s in this workspace") % {"id": data["item"]}
        )
        return redirect(back + "#citations")
    source = (
        Source.objects.filter(workspace=ws, pk=data["source"]).first() if data["source"] else None
    )
    try:
        services.cite(
            _user(request), record, item=item, source=source, field=data["field"], note=data["note"]
        )
    except DocumentationError as exc:
        messages.error(request, str(exc))
    return redirect(back + "#citations")


@access.workspace_member(Capability.EDIT_RECORDS)
@require_POST
def person_citation_delete(
    request: HttpRequest, workspace: str, person: int, citation: int
) -> HttpResponse:
    ws = current_workspace(request)
    record = _person(request, person)
    row = get_object_or_404(citations_for(record), pk=citation)
    try:
        removal.delete_citation(_user(request), row)
    except DocumentationError as exc:
        messages.error(request, str(exc))
    url = reverse("web:person", kwargs={"workspace": ws.slug, "person": record.pk})
    return redirect(url + "#citations")


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def person_history(request: HttpRequest, workspace: str, person: int) -> HttpResponse:
    """Every version of the person and of their names, newest first, with what changed."""
    record = _person(request, person)
    rows: list[dict[str, Any]] = []
    versions = list(
        record.history.select_related("history_user").order_by("history_date", "history_id")
    )
    for older, newer in zip([None, *versions[:-1]], versions, strict=True):
        if older is None:
            rows.append({**_history_row(newer, "", "", ""), "created": True})
            continue
        for change in newer.diff_against(older).changes:
            rows.append(_history_row(newer, _person_field(change.field), change.old, change.new))
    named = PersonName.history.filter(person_id=record.pk).select_related("history_user")
    for version in named.order_by("history_date", "history_id"):
        label = _("name")
        if version.history_type == "+":
            rows.append(_history_row(version, label, "", version.text))
        elif version.history_type == "-":
            rows.append(_history_row(version, label, version.text, ""))
        elif version.prev_record is not None:
            for change in version.diff_against(version.prev_record).changes:
                field = f"{label} · {_name_field(change.field)}"
                rows.append(_history_row(version, field, change.old, change.new))
    rows.sort(key=lambda r: (r["when"], r["order"]), reverse=True)
    return render(request, "incidents/person_history.html", {"person": record, "rows": rows})


def _history_row(version: Any, field: str, old: Any, new: Any) -> dict[str, Any]:
    return {
        "when": version.history_date,
        "order": version.history_id,
        "who": version.history_user.get_username() if version.history_user else "",
        "field": field,
        "old": _display(old),
        "new": _display(new),
    }


def _person_field(name: str) -> str:
    if name == "affiliation":
        return _("member of")
    return str(getattr(Person._meta.get_field(name), "verbose_name", name))


def _name_field(name: str) -> str:
    return str(getattr(PersonName._meta.get_field(name), "verbose_name", name))


def _display(value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


# ---------------------------------------------------------------------------------------------
# Organisations


def _unit(request: HttpRequest, organisation: int) -> Organisation:
    ws = current_workspace(request)
    return get_object_or_404(
        Organisation.objects.filter(workspace=ws).select_related("parent"), pk=organisation
    )


def _below(unit: Organisation) -> list[tuple[int, Organisation]]:
    """The units under this one, in hierarchy order with their depth below it (1 = directly
    under it)."""
    children: dict[int | None, list[Organisation]] = {}
    for other in Organisation.objects.filter(workspace=unit.workspace_id).order_by("name", "pk"):
        children.setdefault(other.parent_id, []).append(other)
    rows: list[tuple[int, Organisation]] = []
    seen = {unit.pk}

    def walk(parent: int, depth: int) -> None:
        for child in children.get(parent, []):
            if child.pk not in seen:
                seen.add(child.pk)
                rows.append((depth, child))
                walk(child.pk, depth + 1)

    walk(unit.pk, 1)
    return rows


@access.workspace_member(Capability.VIEW_RECORDS)
@require_GET
def organisation_detail(request: HttpRequest, workspace: str, organisation: int) -> HttpResponse:
    unit = _unit(request, organisation)
    language = _language()
    involvements = [
        {"involvement": i, "title": i.act.incident.text_in(language)["title"]}
        for i in Involvement.objects.filter(organisation=unit)
        .select_related("act__act_type", "act__incident")
        .order_by("act__incident__start_date", "act__pk")
    ]
    members = list(
        Person.objects.filter(affiliation=unit)
        .prefetch_related("names")
        .order_by("pk")[: MEMBERS_SHOWN + 1]
    )
    return render(
        request,
        "incidents/organisation_detail.html",
        {
            "unit": unit,
            # From the top of the chain down to the unit directly above this one.
            "above": list(reversed(unit.chain_of_command()[1:])),
            "below": [(depth, child, "\u2003" * (depth - 1)) for depth, child in _below(unit)],
            "involvements": involvements,
            "members": members[:MEMBERS_SHOWN],
            "more_members": len(members) > MEMBERS_SHOWN,
            "can_edit": _can_edit(request),
        },
    )


@access.workspace_member(Capability.EDIT_RECORDS)
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, workspace: str, organisation: int) -> HttpResponse:
    ws = current_workspace(request)
    unit = _unit(request, organisation)
    form = OrganisationEditForm(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = (
            Organisation.objects.filter(workspace=ws, pk=data["parent"]).first()
            if data["parent"]
            else None
        )
        actor = _user(request)
        failed_on: str | None = None
        try:
            with transaction.atomic():
                if parent != unit.parent:
                    failed_on = "parent"  # a cycle, refused by set_parent with the reason
                    services.set_parent(actor, unit, parent)
                failed_on = None
                services.save(
                    actor,
                    unit,
                    name=data["name"].strip(),
                    other_names=form.other_name_list(),
                    kind=data["kind"],
                    description=data["description"],
                )
        except DocumentationError as exc:
            form.add_error(failed_on, str(exc))
            unit.refresh_from_db()
        else:
            messages.success(request, _("Organisation saved."))
            return redirect("web:organisation", workspace=ws.slug, organisation=unit.pk)
    return render(request, "incidents/organisation_edit.html", {"form": form, "unit": unit})
