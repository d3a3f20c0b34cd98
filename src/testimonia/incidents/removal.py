"""Removing documentation records, with the author in their history.

services.py records and changes; this module takes away, under two rules:
- only a draft incident may be deleted, and nothing may be removed from an incident once it is
  verified or published (the verification covered those facts: return it to draft first);
- a record that others still rest on (a cited source, an incident in a case) stays.

Deleting keeps the history: django-simple-history writes a "deleted" version of each removed
row, with the author. Citations point at their record by type and id (no foreign key), so the
citations of a removed record are removed with it here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from testimonia.accounts.models import User
from testimonia.incidents.models import (
    Act,
    Citation,
    Incident,
    IncidentLink,
    Involvement,
    Source,
    Victimisation,
)
from testimonia.incidents.services import DocumentationError


class RemovalRefused(DocumentationError):
    """The record may not be removed now; the message says why and what to do."""


def _check_draft(incident: Incident) -> None:
    if incident.status != Incident.Status.DRAFT:
        raise RemovalRefused(
            _(
                "incident %(id)s is %(status)s: nothing can be removed from it. "
                "Set it back to draft first."
            )
            % {"id": incident.pk, "status": incident.get_status_display()}
        )


def _delete(actor: User | None, record: models.Model) -> None:
    record._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    try:
        with transaction.atomic():
            record.delete()
    except ProtectedError as exc:
        blocking = sorted({str(type(obj)._meta.verbose_name) for obj in exc.protected_objects})
        raise RemovalRefused(
            _("this record is still referred to by: %(records)s")
            % {"records": ", ".join(str(b) for b in blocking)}
        ) from None


def _remove_citations(actor: User | None, model: type[models.Model], ids: Iterable[int]) -> None:
    wanted = list(ids)
    if not wanted:
        return
    content_type = ContentType.objects.get_for_model(model)
    for citation in Citation.objects.filter(content_type=content_type, object_id__in=wanted):
        _delete(actor, citation)


def _remove_act_citations(actor: User | None, acts: Iterable[Act]) -> None:
    act_ids = [a.pk for a in acts]
    _remove_citations(actor, Act, act_ids)
    _remove_citations(
        actor,
        Victimisation,
        Victimisation.objects.filter(act__in=act_ids).values_list("pk", flat=True),
    )
    _remove_citations(
        actor,
        Involvement,
        Involvement.objects.filter(act__in=act_ids).values_list("pk", flat=True),
    )


def delete_incident(actor: User | None, incident: Incident) -> None:
    """Delete a draft incident with its acts, victims, perpetrators, links and citations."""
    _check_draft(incident)
    if incident.cases.exists():  # the reverse of Case.incidents (cases app)
        raise RemovalRefused(
            _("incident %(id)s is part of a case: remove it from the case first")
            % {"id": incident.pk}
        )
    with transaction.atomic():
        _remove_act_citations(actor, incident.acts.all())
        _remove_citations(actor, Incident, [incident.pk])
        _delete(actor, incident)


def delete_act(actor: User | None, act: Act) -> None:
    _check_draft(act.incident)
    with transaction.atomic():
        _remove_act_citations(actor, [act])
        _delete(actor, act)


def delete_victimisation(actor: User | None, victim: Victimisation) -> None:
    _check_draft(victim.act.incident)
    with transaction.atomic():
        _remove_citations(actor, Victimisation, [victim.pk])
        _delete(actor, victim)


def delete_involvement(actor: User | None, involvement: Involvement) -> None:
    _check_draft(involvement.act.incident)
    with transaction.atomic():
        _remove_citations(actor, Involvement, [involvement.pk])
        _delete(actor, involvement)


def delete_link(actor: User | None, link: IncidentLink) -> None:
    _check_draft(link.source)
    _check_draft(link.target)
    _delete(actor, link)


def delete_citation(actor: User | None, citation: Citation) -> None:
    """Withdraw a citation; not from a verified or published incident (or its acts)."""
    record = citation.record
    incident: Incident | None = None
    if isinstance(record, Incident):
        incident = record
    elif isinstance(record, Act):
        incident = record.incident
    elif isinstance(record, Victimisation | Involvement):
        incident = record.act.incident
    if incident is not None:
        _check_draft(incident)
    _delete(actor, citation)


def delete_source(actor: User | None, source: Source) -> None:
    """Delete a source that nothing cites (a cited source is refused: withdraw the citations
    first, so that no fact silently loses its support)."""
    cited = source.citations.count()
    if cited:
        raise RemovalRefused(
            _("the source is cited %(count)s time(s): withdraw those citations first")
            % {"count": cited}
        )
    _delete(actor, source)
