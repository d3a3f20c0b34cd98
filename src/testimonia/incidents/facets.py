"""Facet values as typed in a query string or on the command line, checked before use.

`IncidentFilter` (services.py) silently matches nothing for a value it does not know; a user
who mistypes a status or an act type deserves to be told, so the API and the CLI build their
filters here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from testimonia.accounts.models import Workspace
from testimonia.incidents.models import Incident, Person, Term
from testimonia.incidents.services import AgeGroup, DocumentationError, IncidentFilter

AGE_GROUPS = (AgeGroup.CHILD, AgeGroup.ADULT, AgeGroup.UNKNOWN)


def _clean(values: Iterable[str] | None) -> list[str]:
    return [v.strip() for v in values or () if v and v.strip()]


def incident_filter(
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    place: str = "",
    act_types: Iterable[str] | None = None,
    perpetrator: int | None = None,
    victim_sex: str = "",
    victim_age: str = "",
    status: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
) -> IncidentFilter:
    """An IncidentFilter from user input; DocumentationError names the first unknown value."""
    codes = _clean(act_types)
    known = set(
        Term.objects.filter(vocabulary="act_type", code__in=codes).values_list("code", flat=True)
    )
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DocumentationError(
            _("unknown type of act %(code)r (see /api/v1/vocabularies/act_type)")
            % {"code": unknown[0]}
        )
    statuses = _clean(status)
    for value in statuses:
        if value not in Incident.Status.values:
            raise DocumentationError(
                _("unknown status %(value)r: use one of %(choices)s")
                % {"value": value, "choices": ", ".join(Incident.Status.values)}
            )
    if victim_sex and victim_sex not in Person.Sex.values:
        raise DocumentationError(
            _("unknown sex %(value)r: use one of %(choices)s")
            % {"value": victim_sex, "choices": ", ".join(Person.Sex.values)}
        )
    if victim_age and victim_age not in AGE_GROUPS:
        raise DocumentationError(
            _("unknown age group %(value)r: use one of %(choices)s")
            % {"value": victim_age, "choices": ", ".join(AGE_GROUPS)}
        )
    if date_from is not None and date_to is not None and date_to < date_from:
        raise DocumentationError(_("the period ends before it starts"))
    return IncidentFilter(
        date_from=date_from,
        date_to=date_to,
        place=place.strip(),
        act_types=codes,
        perpetrator=perpetrator,
        victim_sex=victim_sex,
        victim_age=victim_age,
        status=statuses,
        tags=_clean(tags),
    )


def filtered_incidents(workspace: Workspace, facets: IncidentFilter) -> QuerySet[Incident]:
    """The workspace's incidents under these facets, newest first; incidents without a date
    come last on every database (SQLite and PostgreSQL sort NULLs differently)."""
    return facets.apply(workspace).order_by(F("start_date").desc(nulls_last=True), "-pk")
