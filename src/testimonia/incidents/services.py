"""Documentation database actions: record incidents, acts, persons and who did what, cite
what supports each fact, filter and count them by the facets investigators work with.

Views, the API, the importer and the CLI call these; each change is saved with its author so
that the history (django-simple-history) says who changed what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from testimonia.accounts.models import User, Workspace
from testimonia.incidents.models import (
    Act,
    Citation,
    Incident,
    IncidentLink,
    Involvement,
    Organisation,
    Person,
    PersonName,
    Source,
    Tag,
    Term,
    Victimisation,
)

M = TypeVar("M", bound=models.Model)


class DocumentationError(Exception):
    """A record that cannot be saved as asked; the message names the problem."""


def save(actor: User | None, record: M, **changes: Any) -> M:
    """Apply `changes`, validate, and save `record` with `actor` as the author of this
    version in its history."""
    for name, value in changes.items():
        setattr(record, name, value)
    record._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    try:
        record.full_clean(validate_unique=False, validate_constraints=True)
    except Exception as exc:  # ValidationError: one line naming the fields
        from django.core.exceptions import ValidationError

        if isinstance(exc, ValidationError):
            raise DocumentationError(_describe(exc)) from None
        raise
    record.save()
    return record


def _describe(exc: Any) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            if name != "__all__"
            else " ".join(str(m) for m in messages)
            for name, messages in exc.message_dict.items()
        )
    return " ".join(str(m) for m in exc.messages)


def act_type(code: str) -> Term:
    term = Term.objects.filter(vocabulary="act_type", code=code).first()
    if term is None:
        raise DocumentationError(_("unknown type of act %(code)r") % {"code": code})
    return term


def _same_workspace(workspace: Workspace, *records: models.Model | None) -> None:
    for record in records:
        if record is not None and getattr(record, "workspace_id", workspace.pk) != workspace.pk:
            raise DocumentationError(_("a linked record belongs to another workspace"))


# ---------------------------------------------------------------------------------------------
# Records


def create_incident(actor: User | None, workspace: Workspace, **fields: Any) -> Incident:
    tags = fields.pop("tags", [])
    with transaction.atomic():
        incident = save(actor, Incident(workspace=workspace, created_by=actor), **fields)
        if tags:
            set_tags(actor, incident, tags)
    return incident


def set_tags(actor: User | None, incident: Incident, names: Iterable[str]) -> None:
    wanted = {n.strip()[:100] for n in names if n.strip()}
    tags = [
        Tag.objects.get_or_create(workspace_id=incident.workspace_id, name=n)[0] for n in wanted
    ]
    incident._history_user = actor  # type: ignore[attr-defined]
    incident.tags.set(tags)


def add_act(actor: User | None, incident: Incident, type_code: str, **fields: Any) -> Act:
    return save(actor, Act(incident=incident, act_type=act_type(type_code)), **fields)


def create_person(
    actor: User | None,
    workspace: Workspace,
    names: Sequence[tuple[str, str]] = (),
    **fields: Any,
) -> Person:
    """A person or group with its names as (text, language) pairs, the first one primary."""
    with transaction.atomic():
        person = save(actor, Person(workspace=workspace), **fields)
        for position, (text, language) in enumerate(names):
            if text.strip():
                save(
                    actor,
                    PersonName(
                        person=person,
                        text=text.strip(),
                        language=language,
                        primary=position == 0,
                    ),
                )
    return person


def create_organisation(
    actor: User | None, workspace: Workspace, name: str, kind: str, **fields: Any
) -> Organisation:
    parent = fields.get("parent")
    _same_workspace(workspace, parent)
    return save(actor, Organisation(workspace=workspace, name=name, kind=kind), **fields)


def set_parent(actor: User | None, unit: Organisation, parent: Organisation | None) -> None:
    """Place a unit under another; a unit can never end up above itself."""
    _same_workspace(unit.workspace, parent)
    if parent is not None and unit in parent.chain_of_command():
        raise DocumentationError(
            _("%(unit)s cannot be placed under %(parent)s: it is already above it")
            % {"unit": unit.name, "parent": parent.name}
        )
    save(actor, unit, parent=parent)


def add_victim(
    actor: User | None,
    act: Act,
    person: Person,
    outcome: str = Victimisation.Outcome.UNKNOWN,
    age_at_time: int | None = None,
) -> Victimisation:
    _same_workspace(act.incident.workspace, person)
    return save(
        actor, Victimisation(act=act, person=person, outcome=outcome, age_at_time=age_at_time)
    )


def add_involvement(
    actor: User | None,
    act: Act,
    *,
    person: Person | None = None,
    organisation: Organisation | None = None,
    degree: str = Involvement.Degree.UNKNOWN,
    certainty: str = Involvement.Certainty.UNKNOWN,
    role: str = "",
) -> Involvement:
    if person is None and organisation is None:
        raise DocumentationError(_("name the alleged perpetrator: a person or a unit"))
    _same_workspace(act.incident.workspace, person, organisation)
    return save(
        actor,
        Involvement(
            act=act,
            person=person,
            organisation=organisation,
            degree=degree,
            certainty=certainty,
            role=role,
        ),
    )


def link_incidents(
    actor: User | None, source: Incident, target: Incident, kind: str, note: str = ""
) -> IncidentLink:
    _same_workspace(source.workspace, target)
    if source.pk == target.pk:
        raise DocumentationError(_("an incident cannot be linked to itself"))
    return save(actor, IncidentLink(source=source, target=target, kind=kind, note=note))


def cite(
    actor: User | None,
    record: models.Model,
    *,
    item: Any = None,
    source: Source | None = None,
    field: str = "",
    note: str = "",
) -> Citation:
    """Cite an evidence item or a source for a record, or for one of its fields."""
    from django.contrib.contenttypes.models import ContentType

    workspace = _workspace_of(record)
    if item is None and source is None:
        raise DocumentationError(_("cite an evidence item or a source"))
    if item is not None and (item.workspace_id != workspace.pk or item.deleted_at is not None):
        raise DocumentationError(_("the evidence item is not in this workspace"))
    _same_workspace(workspace, source)
    if field and field not in {f.name for f in type(record)._meta.get_fields()}:
        raise DocumentationError(_("%(field)r is not a field of this record") % {"field": field})
    return save(
        actor,
        Citation(
            workspace=workspace,
            content_type=ContentType.objects.get_for_model(type(record)),
            object_id=record.pk,
            field=field,
            item=item,
            source=source,
            note=note,
            created_by=actor,
        ),
    )


def _workspace_of(record: models.Model) -> Workspace:
    if isinstance(record, Act):
        return record.incident.workspace
    if isinstance(record, Victimisation | Involvement):
        return record.act.incident.workspace
    if isinstance(record, PersonName):
        return record.person.workspace
    workspace = getattr(record, "workspace", None)
    if not isinstance(workspace, Workspace):
        raise DocumentationError(_("this record cannot carry citations"))
    return workspace


def bulk_update(
    actor: User | None,
    workspace: Workspace,
    ids: Iterable[int],
    *,
    status: str | None = None,
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
) -> int:
    """Set the status and add or remove tags on several incidents; each one's history
    records the change. Returns the number of incidents changed."""
    if status is not None and status not in Incident.Status.values:
        raise DocumentationError(_("unknown status %(status)r") % {"status": status})
    adding = [t.strip()[:100] for t in add_tags if t.strip()]
    removing = {t.strip() for t in remove_tags if t.strip()}
    changed = 0
    with transaction.atomic():
        for incident in Incident.objects.filter(workspace=workspace, pk__in=list(ids)):
            if status is not None and incident.status != status:
                save(actor, incident, status=status)
            current = set(incident.tags.values_list("name", flat=True))
            wanted = (current | set(adding)) - removing
            if wanted != current:
                set_tags(actor, incident, wanted)
            changed += 1
    return changed


# ---------------------------------------------------------------------------------------------
# Facets


class AgeGroup:
    CHILD = "child"
    ADULT = "adult"
    UNKNOWN = "unknown"


@dataclass
class IncidentFilter:
    """The facets of the incident list, the map and the timeline (the same for all three)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    place: str = ""  # a P-code (the area and every place in it) or a place id
    act_types: list[str] = field(default_factory=list)  # codes; a term includes those below
    perpetrator: int | None = None  # an organisation: it and every unit below it
    victim_sex: str = ""
    victim_age: str = ""  # AgeGroup
    status: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    ids: list[int] | None = None  # e.g. the hits of a text search

    def is_empty(self) -> bool:
        """True when no facet is set: every incident of the workspace."""
        return self == IncidentFilter()

    def apply(self, workspace: Workspace) -> QuerySet[Incident]:
        """The workspace's incidents under these facets. The facets that reach through acts,
        victims, units and areas are looked up in the facet index (facet_index.py), one
        sub-query each, so no filter multiplies rows or needs DISTINCT."""
        from testimonia.incidents import facet_index as index

        qs = incidents_of(workspace)
        # An incident overlaps the period when it starts before its end and ends (or, with no
        # end, starts) after its beginning.
        if self.date_from is not None:
            qs = qs.filter(
                Q(end_date__gte=self.date_from)
                | Q(end_date__isnull=True, start_date__gte=self.date_from)
            )
        if self.date_to is not None:
            qs = qs.filter(start_date__lte=self.date_to)
        if self.place:
            if self.place.isdigit():
                qs = qs.filter(place_id=int(self.place))
            else:  # an area: every incident at it or at a place inside it
                qs = qs.filter(pk__in=index.matching(workspace.pk, index.AREA, [self.place]))
        if self.act_types:
            qs = qs.filter(pk__in=index.matching(workspace.pk, index.ACT_TYPE, self.act_types))
        if self.perpetrator is not None:
            qs = qs.filter(
                pk__in=index.matching(workspace.pk, index.PERPETRATOR, [str(self.perpetrator)])
            )
        if self.victim_sex:
            qs = qs.filter(pk__in=index.matching(workspace.pk, index.VICTIM_SEX, [self.victim_sex]))
        if self.victim_age:
            qs = qs.filter(pk__in=index.matching(workspace.pk, index.VICTIM_AGE, [self.victim_age]))
        if self.status:
            qs = qs.filter(status__in=self.status)
        if self.tags:
            qs = qs.filter(
                pk__in=Incident.tags.through.objects.filter(
                    tag__workspace=workspace, tag__name__in=self.tags
                ).values("incident_id")
            )
        if self.ids is not None:
            qs = qs.filter(pk__in=self.ids)
        return qs


def incidents_of(workspace: Workspace) -> QuerySet[Incident]:
    return Incident.objects.filter(workspace=workspace).select_related("place")


def facet_counts(
    workspace: Workspace, incidents: QuerySet[Incident] | None = None
) -> dict[str, list[tuple[str, int]]]:
    """How many incidents fall under each value of each facet: of the whole workspace, or of
    these incidents (a filtered list)."""
    return list_facets(workspace, incidents)[0]


def list_facets(
    workspace: Workspace, incidents: QuerySet[Incident] | None = None
) -> tuple[dict[str, list[tuple[str, int]]], int | None]:
    """The facet counts of a list, from the facet index in one query, and the number of its
    incidents when that query gave it too (PostgreSQL; None otherwise)."""
    from testimonia.incidents import facet_index as index

    ids = None if incidents is None else incidents.order_by().values("pk")
    found, total = index.counts_and_total(workspace.pk, index.COUNTED, ids)
    return {
        "status": found[index.STATUS],
        "act_type": found[index.ACT_TYPE],
        "victim_sex": found[index.VICTIM_SEX],
        "area": found[index.ADM2],
    }, total


def unsupported_facts(record: models.Model, fields: Iterable[str]) -> list[str]:
    """Which of these fields (that have a value) cite nothing, directly or through the record."""
    from testimonia.incidents.models import citations_for

    cited = set(citations_for(record).values_list("field", flat=True))
    if "" in cited:
        return []
    return [
        name
        for name in fields
        if getattr(record, name, None) not in (None, "", []) and name not in cited
    ]
