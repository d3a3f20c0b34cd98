"""The case matrix of a dossier, from the legal app (legal/matrix.py, legal/matrix_loader.py).

For each charge: the qualifications that support its crime (the one the charge links, and
every qualification as that crime of the case's incidents and their acts), each followed by
the liabilities that allege the charge's mode against a suspect of the case. A charge that no
qualification supports yet, or whose suspect has no liability recorded, still gets its
section, every element a gap: the matrix shows what is missing, not only what is there.
Rejected qualifications are left out.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from testimonia.cases.models import Case, Charge
from testimonia.incidents.models import Organisation, Person
from testimonia.legal import catalogue
from testimonia.legal.matrix import Matrix, Section, build_rows
from testimonia.legal.matrix_loader import (
    crime_section,
    liability_section,
    qualifications_of,
    suspect_label,
)
from testimonia.legal.models import Qualification

SCOPE = "case"
UNQUALIFIED = "unqualified"  # the status of a section that no qualification supports


def _charge_label(charge: Charge) -> str:
    return _("charge %(id)s of case %(case)s") % {"id": charge.pk, "case": charge.case_id}


def _unsupported_crime(charge: Charge) -> Section:
    try:
        crime = catalogue.crime(charge.crime_id)
        elements, article, name = crime.elements, crime.article, crime.name
        notes = [_("No qualification of the case's incidents supports this charge yet.")]
    except catalogue.UnknownEntry:
        elements, article, name = (), "?", charge.crime_id
        notes = [_("The catalogue no longer has this crime.")]
    return Section(
        subject="crime",
        qualification=0,
        crime_id=charge.crime_id,
        article=article,
        name=name,
        target=_charge_label(charge),
        status=UNQUALIFIED,
        rows=build_rows(elements, {}),
        catalogue_version=charge.catalogue_version,
        notes=tuple(notes),
    )


def _unsupported_liability(charge: Charge, crime: Section) -> Section:
    suspect: Person | Organisation | None = None
    if charge.suspect is not None:
        suspect = charge.suspect.person or charge.suspect.organisation
    try:
        mode = catalogue.mode(charge.mode_id)
        elements, article, name = mode.elements, mode.article, mode.name
        notes = [_("No liability of the legal analysis alleges this mode against the suspect.")]
    except catalogue.UnknownEntry:
        elements, article, name = (), "?", charge.mode_id
        notes = [_("The catalogue no longer has this mode of liability.")]
    return Section(
        subject="liability",
        qualification=crime.qualification,
        crime_id=crime.crime_id,
        article=crime.article,
        name=crime.name,
        target=crime.target,
        status=crime.status,
        rows=build_rows(elements, {}),
        catalogue_version=charge.catalogue_version,
        suspect=suspect_label(suspect) if suspect is not None else _("no suspect named"),
        mode_id=charge.mode_id,
        mode_article=article,
        mode_name=name,
        notes=tuple(notes),
    )


def _suspect_of(charge: Charge) -> tuple[int | None, int | None]:
    if charge.suspect is None:
        return None, None
    return charge.suspect.person_id, charge.suspect.organisation_id


def case_matrix(case: Case) -> Matrix:
    """The matrix of the case's charges: elements, what supports them, and the gaps."""
    charges = list(
        case.charges.select_related(
            "suspect__person", "suspect__organisation", "qualification", "liability"
        ).order_by("pk")
    )
    incident_ids = list(case.incidents.values_list("pk", flat=True))
    crime_ids = {c.crime_id for c in charges}
    linked = {c.qualification_id for c in charges if c.qualification_id}
    rows = (
        qualifications_of(case.workspace)
        .exclude(status=Qualification.Status.REJECTED)
        .filter(
            Q(pk__in=linked)
            | (
                Q(crime_id__in=crime_ids)
                & (Q(incident_id__in=incident_ids) | Q(act__incident_id__in=incident_ids))
            )
        )
    )
    by_crime: dict[str, list[Qualification]] = {}
    for q in rows:
        by_crime.setdefault(q.crime_id, []).append(q)
    sections: list[Section] = []
    shown: set[tuple[str, int]] = set()  # a qualification or liability is shown once
    for charge in charges:
        person_id, unit_id = _suspect_of(charge)
        found = by_crime.get(charge.crime_id, [])
        if not found:
            crime = _unsupported_crime(charge)
            sections.append(crime)
            if charge.suspect is not None:
                sections.append(_unsupported_liability(charge, crime))
            continue
        alleged = False
        for q in found:
            crime = crime_section(q)
            if ("q", q.pk) not in shown:
                sections.append(crime)
                shown.add(("q", q.pk))
            for liability in q.liabilities.all():
                fits = liability.mode_id == charge.mode_id and (
                    liability.pk == charge.liability_id
                    or (
                        charge.suspect is not None
                        and liability.person_id == person_id
                        and liability.organisation_id == unit_id
                    )
                )
                if not fits:
                    continue
                alleged = True
                if ("l", liability.pk) not in shown:
                    sections.append(liability_section(q, liability, crime))
                    shown.add(("l", liability.pk))
        if charge.suspect is not None and not alleged:
            sections.append(_unsupported_liability(charge, crime_section(found[0])))
    return Matrix(
        scope=SCOPE,
        scope_id=str(case.pk),
        title=_("Case matrix: case %(id)s: %(title)s") % {"id": case.pk, "title": case.title},
        workspace=case.workspace.slug,
        generated_at=timezone.now().isoformat(timespec="seconds"),
        catalogue_version=catalogue.CATALOGUE_VERSION,
        sections=tuple(sections),
    )
