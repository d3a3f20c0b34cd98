"""Read qualifications from the database into the case matrix (legal/matrix.py).

Three scopes: an incident (every qualification of it and of its acts), a crime (every act or
incident qualified as it) and a suspect (every mode of liability alleged against a person or
a unit, beside the crime it is alleged for). Rejected qualifications are left out unless asked
for. Records are read in a fixed number of queries, whatever the size of the matrix.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.accounts.models import Workspace
from testimonia.incidents.models import Act, Incident, Organisation, Person
from testimonia.legal import catalogue
from testimonia.legal.indicators import person_label
from testimonia.legal.matrix import (
    Assessment,
    Matrix,
    Section,
    Strength,
    Support,
    SupportKind,
    build_rows,
)
from testimonia.legal.models import ElementAssessment, ElementSupport, Liability, Qualification


class Scope(StrEnum):
    INCIDENT = "incident"
    CRIME = "crime"
    SUSPECT = "suspect"


class Rejected(StrEnum):
    """Whether rejected qualifications appear in the matrix."""

    LEAVE_OUT = "leave_out"
    INCLUDE = "include"


# ---------------------------------------------------------------------------------------------
# Labels


def act_label(act: Act) -> str:
    return _("act %(id)s: %(type)s in incident %(incident)s (%(title)s)") % {
        "id": act.pk,
        "type": act.act_type.label,
        "incident": act.incident_id,
        "title": act.incident.title,
    }


def incident_label(incident: Incident) -> str:
    return _("incident %(id)s: %(title)s") % {"id": incident.pk, "title": incident.title}


def unit_label(unit: Organisation) -> str:
    return _("unit %(id)s: %(name)s") % {"id": unit.pk, "name": unit.name}


def suspect_label(suspect: Person | Organisation) -> str:
    return person_label(suspect) if isinstance(suspect, Person) else unit_label(suspect)


def _indicators_label(snapshot: dict[str, object] | None, query: dict[str, object]) -> str:
    data = snapshot or {}
    share = data.get("civilian_share")
    share_text = "?" if share is None else f"{round(float(str(share)) * 100)}%"
    return _(
        "%(incidents)s incidents over %(days)s days in %(areas)s areas, %(victims)s victims "
        "(%(share)s civilians); query: %(query)s"
    ) % {
        "incidents": data.get("incidents", 0),
        "days": data.get("span_days") if data.get("span_days") is not None else "?",
        "areas": data.get("areas", 0),
        "victims": data.get("victims", 0),
        "share": share_text,
        "query": query.get("description", ""),
    }


def support_value(row: ElementSupport) -> Support:
    kind = SupportKind(row.kind)
    label: str
    ref: int | None = None
    if kind is SupportKind.ITEM and row.item is not None:
        ref = row.item.pk
        label = _("item %(id)s: %(name)s (%(digest)s)") % {
            "id": ref,
            "name": row.item.original_filename,
            "digest": row.item.blob.sha256,
        }
        if row.item.deleted_at is not None:
            label += " " + _("(deleted since it was linked)")
    elif kind is SupportKind.SOURCE and row.source is not None:
        ref = row.source.pk
        label = _("source %(id)s: %(title)s") % {"id": ref, "title": row.source.title}
    elif kind is SupportKind.INCIDENT and row.incident is not None:
        ref = row.incident.pk
        label = incident_label(row.incident)
    elif kind is SupportKind.ACT and row.act is not None:
        ref = row.act.pk
        label = act_label(row.act)
    elif kind is SupportKind.PERSON and row.person is not None:
        ref = row.person.pk
        label = person_label(row.person)
    elif kind is SupportKind.ORGANISATION and row.organisation is not None:
        ref = row.organisation.pk
        label = unit_label(row.organisation)
    elif kind is SupportKind.INVOLVEMENT and row.involvement is not None:
        inv = row.involvement
        ref = inv.pk
        who = (
            unit_label(inv.organisation)
            if inv.organisation is not None
            else person_label(inv.person)
        )
        label = _("involvement %(id)s: %(who)s in act %(act)s (%(degree)s, %(certainty)s)") % {
            "id": ref,
            "who": who,
            "act": inv.act_id,
            "degree": inv.get_degree_display(),
            "certainty": inv.get_certainty_display(),
        }
    elif kind is SupportKind.INDICATORS:
        label = _indicators_label(row.snapshot, row.query or {})
    else:
        label = row.finding
    return Support(
        id=row.pk,
        kind=kind,
        label=label,
        strength=Strength(row.strength),
        note=row.note,
        ref=ref,
        indicators=row.snapshot if kind is SupportKind.INDICATORS else None,
        created_by=row.created_by.get_username() if row.created_by else None,
    )


# ---------------------------------------------------------------------------------------------
# Loading


def supports_query() -> QuerySet[ElementSupport]:
    return ElementSupport.objects.select_related(
        "item__blob",
        "source",
        "incident",
        "act__act_type",
        "act__incident",
        "person",
        "organisation",
        "involvement__organisation",
        "involvement__person",
        "created_by",
    ).prefetch_related("person__names", "involvement__person__names")


def _assessments() -> QuerySet[ElementAssessment]:
    return ElementAssessment.objects.select_related("assessed_by").prefetch_related(
        Prefetch("supports", queryset=supports_query())
    )


def _assessed(rows: Iterable[ElementAssessment]) -> dict[int, Assessment]:
    return {
        row.number: Assessment(
            number=row.number,
            strength=Strength(row.strength) if row.strength else None,
            note=row.note,
            supports=tuple(support_value(s) for s in row.supports.all()),
            assessed_by=row.assessed_by.get_username() if row.assessed_by else None,
        )
        for row in rows
    }


def qualifications_of(workspace: Workspace) -> QuerySet[Qualification]:
    return (
        Qualification.objects.filter(workspace=workspace)
        .select_related("act__act_type", "act__incident", "incident")
        .prefetch_related(
            Prefetch("assessments", queryset=_assessments()),
            Prefetch(
                "liabilities",
                queryset=Liability.objects.select_related("person", "organisation")
                .prefetch_related("person__names", Prefetch("assessments", queryset=_assessments()))
                .order_by("pk"),
            ),
        )
        .order_by("pk")
    )


def _target(q: Qualification) -> str:
    if q.act is not None:
        return act_label(q.act)
    if q.incident is not None:
        return incident_label(q.incident)
    return "?"  # pragma: no cover - the check constraint names one of the two


def _version_note(recorded: str) -> list[str]:
    if recorded == catalogue.CATALOGUE_VERSION:
        return []
    return [
        _(
            "Recorded under catalogue version %(then)s; the elements shown are those of "
            "version %(now)s."
        )
        % {"then": recorded, "now": catalogue.CATALOGUE_VERSION}
    ]


def crime_section(q: Qualification) -> Section:
    notes = _version_note(q.catalogue_version)
    try:
        crime = catalogue.crime(q.crime_id)
        elements = crime.elements
        article, name = crime.article, crime.name
        if not crime.verified:
            notes.append(
                _("The catalogue marks this crime UNVERIFIED: %(why)s")
                % {"why": crime.verification_note or ""}
            )
    except catalogue.UnknownEntry:
        elements, article, name = (), "?", q.crime_id
        notes.append(_("The catalogue no longer has this crime."))
    return Section(
        subject="crime",
        qualification=q.pk,
        crime_id=q.crime_id,
        article=article,
        name=name,
        target=_target(q),
        status=q.status,
        rows=build_rows(elements, _assessed(q.assessments.all())),
        catalogue_version=q.catalogue_version,
        notes=tuple(notes),
    )


def liability_section(q: Qualification, liability: Liability, crime: Section) -> Section:
    notes = _version_note(liability.catalogue_version)
    try:
        mode = catalogue.mode(liability.mode_id)
        elements, mode_article, mode_name = mode.elements, mode.article, mode.name
    except catalogue.UnknownEntry:
        elements, mode_article, mode_name = (), "?", liability.mode_id
        notes.append(_("The catalogue no longer has this mode of liability."))
    suspect: Person | Organisation | None = liability.person or liability.organisation
    return Section(
        subject="liability",
        qualification=q.pk,
        crime_id=crime.crime_id,
        article=crime.article,
        name=crime.name,
        target=crime.target,
        status=q.status,
        rows=build_rows(elements, _assessed(liability.assessments.all())),
        catalogue_version=liability.catalogue_version,
        liability=liability.pk,
        suspect=suspect_label(suspect) if suspect is not None else "?",
        mode_id=liability.mode_id,
        mode_article=mode_article,
        mode_name=mode_name,
        notes=tuple(notes),
    )


def _sections(
    qualifications: Iterable[Qualification], suspect: Person | Organisation | None = None
) -> tuple[Section, ...]:
    sections: list[Section] = []
    for q in qualifications:
        crime = crime_section(q)
        liabilities = [
            liability
            for liability in q.liabilities.all()
            if suspect is None
            or (isinstance(suspect, Person) and liability.person_id == suspect.pk)
            or (isinstance(suspect, Organisation) and liability.organisation_id == suspect.pk)
        ]
        sections.append(crime)
        sections.extend(liability_section(q, liability, crime) for liability in liabilities)
    return tuple(sections)


def _matrix(
    workspace: Workspace, scope: Scope, scope_id: str, title: str, sections: tuple[Section, ...]
) -> Matrix:
    return Matrix(
        scope=str(scope),
        scope_id=scope_id,
        title=title,
        workspace=workspace.slug,
        generated_at=timezone.now().isoformat(timespec="seconds"),
        catalogue_version=catalogue.CATALOGUE_VERSION,
        sections=sections,
    )


def _decided(rows: QuerySet[Qualification], rejected: Rejected) -> QuerySet[Qualification]:
    if rejected is Rejected.LEAVE_OUT:
        return rows.exclude(status=Qualification.Status.REJECTED)
    return rows


def incident_matrix(
    workspace: Workspace, incident: Incident, *, rejected: Rejected = Rejected.LEAVE_OUT
) -> Matrix:
    """Every crime the incident, or one of its acts, is qualified as, with the suspects."""
    rows = qualifications_of(workspace).filter(Q(incident=incident) | Q(act__incident=incident))
    return _matrix(
        workspace,
        Scope.INCIDENT,
        str(incident.pk),
        _("Case matrix: %(what)s") % {"what": incident_label(incident)},
        _sections(_decided(rows, rejected)),
    )


def crime_matrix(
    workspace: Workspace, crime: catalogue.Crime, *, rejected: Rejected = Rejected.LEAVE_OUT
) -> Matrix:
    """Every act and incident of the workspace qualified as this crime, with the suspects."""
    rows = qualifications_of(workspace).filter(crime_id=crime.id)
    return _matrix(
        workspace,
        Scope.CRIME,
        crime.id,
        _("Case matrix: %(article)s %(name)s") % {"article": crime.article, "name": crime.name},
        _sections(_decided(rows, rejected)),
    )


def suspect_matrix(
    workspace: Workspace,
    suspect: Person | Organisation,
    *,
    rejected: Rejected = Rejected.LEAVE_OUT,
) -> Matrix:
    """Every mode of liability alleged against the suspect, each after the crime it is
    alleged for."""
    field = "liabilities__person" if isinstance(suspect, Person) else "liabilities__organisation"
    ids = Qualification.objects.filter(workspace=workspace, **{field: suspect}).values("pk")
    rows = qualifications_of(workspace).filter(pk__in=ids)
    kind = "person" if isinstance(suspect, Person) else "unit"
    return _matrix(
        workspace,
        Scope.SUSPECT,
        f"{kind}:{suspect.pk}",
        _("Case matrix: %(who)s") % {"who": suspect_label(suspect)},
        _sections(_decided(rows, rejected), suspect),
    )
