"""Signal receivers that keep the facet index (facet_index.py) in line with the records, in
the transaction of the change. Saves of fixtures (``raw``) are skipped, and so are changes
made with ``QuerySet.update()`` or ``bulk_create()``, which send no signals: `testimonia
reindex` rebuilds the index after them.

Deletions: when an incident is deleted, its acts, victims and involvements go with it and
their receivers must not write rows for it again (the rows would point to a deleted incident
and fail the commit); when an act is deleted, its own receiver refreshes the incident once,
after its victims and involvements are gone. ``origin`` (the object or queryset whose delete
started the cascade) tells the receivers which case they are in.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

from testimonia.incidents import facet_index
from testimonia.incidents.models import (
    Act,
    FacetValue,
    Incident,
    Involvement,
    Organisation,
    Person,
    Place,
    Term,
    Victimisation,
)


def _origin_model(origin: Any) -> type[Model] | None:
    if isinstance(origin, QuerySet):
        return origin.model
    if isinstance(origin, Model):
        return type(origin)
    return None


def _incident_saved(sender: type[Model], instance: Incident, raw: bool = False, **_: Any) -> None:
    if not raw:
        facet_index.refresh([instance.pk])


def _act_changed(sender: type[Model], instance: Act, raw: bool = False, **kw: Any) -> None:
    if raw or _origin_model(kw.get("origin")) is Incident:
        return
    facet_index.refresh([instance.incident_id])


def _part_changed(
    sender: type[Model], instance: Victimisation | Involvement, raw: bool = False, **kw: Any
) -> None:
    """A victim or an involvement saved or deleted: refresh the act's incident."""
    if raw or _origin_model(kw.get("origin")) in (Incident, Act):
        return
    incident = Act.objects.filter(pk=instance.act_id).values_list("incident_id", flat=True)
    facet_index.refresh(incident)


def _person_saved(sender: type[Model], instance: Person, raw: bool = False, **_: Any) -> None:
    """Sex and age count for every incident in which the person is a victim."""
    if raw or instance.pk is None:
        return
    facet_index.refresh(
        Victimisation.objects.filter(person=instance).values_list("act__incident_id", flat=True)
    )


def _unit_saved(
    sender: type[Model], instance: Organisation, raw: bool = False, created: bool = False, **_: Any
) -> None:
    """A unit that moves in the hierarchy moves its incidents' perpetrator rows with it."""
    if raw or created:
        return
    facet_index.refresh(facet_index.incidents_under(instance.pk))


def _place_saved(
    sender: type[Model], instance: Place, raw: bool = False, created: bool = False, **_: Any
) -> None:
    if raw or created:
        return
    ids = set(Incident.objects.filter(place=instance).values_list("pk", flat=True))
    if instance.pcode:  # an area: the incidents whose rows name it
        ids.update(
            FacetValue.objects.filter(facet=facet_index.AREA, value=instance.pcode).values_list(
                "incident_id", flat=True
            )
        )
    facet_index.refresh(ids)


def _term_saved(
    sender: type[Model], instance: Term, raw: bool = False, created: bool = False, **_: Any
) -> None:
    if raw or created or instance.vocabulary != "act_type":
        return
    facet_index.refresh(
        FacetValue.objects.filter(facet=facet_index.ACT_TYPE, value=instance.code).values_list(
            "incident_id", flat=True
        )
    )


def connect() -> None:
    """Connect the receivers (from IncidentsConfig.ready); dispatch_uid makes it idempotent."""
    post_save.connect(_incident_saved, sender=Incident, dispatch_uid="facets-save-incident")
    post_save.connect(_act_changed, sender=Act, dispatch_uid="facets-save-act")
    post_delete.connect(_act_changed, sender=Act, dispatch_uid="facets-delete-act")
    for part in (Victimisation, Involvement):
        post_save.connect(_part_changed, sender=part, dispatch_uid=f"facets-save-{part}")
        post_delete.connect(_part_changed, sender=part, dispatch_uid=f"facets-delete-{part}")
    post_save.connect(_person_saved, sender=Person, dispatch_uid="facets-save-person")
    post_save.connect(_unit_saved, sender=Organisation, dispatch_uid="facets-save-unit")
    post_save.connect(_place_saved, sender=Place, dispatch_uid="facets-save-place")
    post_save.connect(_term_saved, sender=Term, dispatch_uid="facets-save-term")
