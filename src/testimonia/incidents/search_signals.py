"""Signal receivers that keep the search index (incidents/search.py) in line with the records.

They live here, not in evidence, because evidence sits below incidents in the dependency order:
incidents may import evidence, not the reverse. Every write to the index happens in the
transaction of the change that caused it, so a rolled-back change leaves no index entry.
Saves of fixtures (``raw``) are skipped: `testimonia reindex` indexes loaded data.
Changes made with ``QuerySet.update()`` send no signal and need a reindex.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from testimonia.evidence.models import Item, Metadata
from testimonia.incidents import search
from testimonia.incidents.models import Act, Incident, Person, PersonName, Place, Tag, Term

# Term fields that do not appear in an act's index entry: saving only these changes nothing.
_UNINDEXED_TERM_FIELDS = frozenset({"parent", "position", "active", "huridocs"})


def _record_saved(
    sender: type[Model], instance: Model, created: bool = False, raw: bool = False, **_: Any
) -> None:
    if raw or (created and sender is Person):
        return  # a new person has no names yet: its names index it (_name_changed)
    search.index_record(instance)


def _record_deleted(sender: type[Model], instance: Model, **_: Any) -> None:
    search.remove_record(instance)


def _incident_saved(
    sender: type[Model], instance: Incident, created: bool = False, raw: bool = False, **_: Any
) -> None:
    if raw:
        return
    search.index_record(instance)
    if not created:  # an act's title names its incident, and its type in the incident's language
        search.index_ids(search.ACT, instance.acts.values_list("pk", flat=True))


def _name_changed(sender: type[Model], instance: PersonName, raw: bool = False, **_: Any) -> None:
    if not raw:
        search.index_ids(search.PERSON, [instance.person_id])


def _tags_changed(
    sender: type[Model],
    instance: Model,
    action: str,
    reverse: bool,
    pk_set: set[int] | None,
    **_: Any,
) -> None:
    if not reverse:  # incident.tags.add/remove/set/clear
        if action in ("post_add", "post_remove", "post_clear"):
            search.index_record(instance)
        return
    # tag.incidents...: the incidents are pk_set, or for clear() those it had before.
    if action == "pre_clear":
        instance._search_incidents = list(  # type: ignore[attr-defined]
            Incident.objects.filter(tags=instance.pk).values_list("pk", flat=True)
        )
    elif action in ("post_add", "post_remove"):
        search.index_ids(search.INCIDENT, pk_set or ())
    elif action == "post_clear":
        search.index_ids(search.INCIDENT, getattr(instance, "_search_incidents", ()))


def _tag_saved(sender: type[Model], instance: Tag, raw: bool = False, **_: Any) -> None:
    if not raw:
        search.index_ids(search.INCIDENT, instance.incidents.values_list("pk", flat=True))


def _tag_deleting(sender: type[Model], instance: Tag, **_: Any) -> None:
    # After the delete the tag's links are gone: note whose entries name it.
    instance._search_incidents = list(  # type: ignore[attr-defined]
        instance.incidents.values_list("pk", flat=True)
    )


def _tag_deleted(sender: type[Model], instance: Tag, **_: Any) -> None:
    search.index_ids(search.INCIDENT, getattr(instance, "_search_incidents", ()))


def _place_saved(sender: type[Model], instance: Place, raw: bool = False, **_: Any) -> None:
    if not raw and instance.pk is not None:
        search.index_ids(
            search.INCIDENT, Incident.objects.filter(place=instance).values_list("pk", flat=True)
        )


def _term_saved(
    sender: type[Model],
    instance: Term,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **_: Any,
) -> None:
    if raw or instance.vocabulary != "act_type":
        return
    if update_fields is not None and set(update_fields) <= _UNINDEXED_TERM_FIELDS:
        return
    search.index_ids(search.ACT, Act.objects.filter(act_type=instance).values_list("pk", flat=True))


def _metadata_saved(sender: type[Model], instance: Metadata, raw: bool = False, **_: Any) -> None:
    if not raw:
        ids = Item.objects.filter(blob_id=instance.blob_id).values_list("pk", flat=True)
        search.index_ids(search.ITEM, ids)


def connect() -> None:
    """Connect the receivers (from IncidentsConfig.ready); dispatch_uid makes it idempotent."""
    for saved in (Act, Person, Item):
        post_save.connect(_record_saved, sender=saved, dispatch_uid=f"search-save-{saved}")
    for deleted in (Incident, Act, Person, Item):
        post_delete.connect(
            _record_deleted, sender=deleted, dispatch_uid=f"search-delete-{deleted}"
        )
    post_save.connect(_incident_saved, sender=Incident, dispatch_uid="search-save-incident")
    post_save.connect(_name_changed, sender=PersonName, dispatch_uid="search-save-name")
    post_delete.connect(_name_changed, sender=PersonName, dispatch_uid="search-delete-name")
    m2m_changed.connect(_tags_changed, sender=Incident.tags.through, dispatch_uid="search-tags")
    post_save.connect(_tag_saved, sender=Tag, dispatch_uid="search-save-tag")
    pre_delete.connect(_tag_deleting, sender=Tag, dispatch_uid="search-deleting-tag")
    post_delete.connect(_tag_deleted, sender=Tag, dispatch_uid="search-delete-tag")
    post_save.connect(_place_saved, sender=Place, dispatch_uid="search-save-place")
    post_save.connect(_term_saved, sender=Term, dispatch_uid="search-save-term")
    post_save.connect(_metadata_saved, sender=Metadata, dispatch_uid="search-save-metadata")
