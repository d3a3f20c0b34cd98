"""The registry of justice mechanisms, kept as data (cases/data/mechanisms.json).

`sync_mechanisms` runs after every migrate: it adds new entries and updates the others, and
never deletes one (consent decisions name them); an entry gone from the file is marked
inactive, so old decisions stay readable and no new consent can be given for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from testimonia.cases.exceptions import UnknownMechanism
from testimonia.cases.models import Mechanism

DATA = Path(__file__).parent / "data" / "mechanisms.json"
LANGUAGES = ("en", "ar", "he")
REQUIREMENT_KEYS = ("package", "formats", "languages", "metadata_fields")


def load() -> list[dict[str, Any]]:
    """The entries of the data file, checked: unique slugs, known kinds and parents, a name
    in every language, and the requirements every disclosure needs."""
    with DATA.open(encoding="utf-8") as handle:
        entries: list[dict[str, Any]] = json.load(handle)["mechanisms"]
    slugs = [e["slug"] for e in entries]
    if len(slugs) != len(set(slugs)):
        raise ValueError("mechanisms.json: a slug appears twice")
    for entry in entries:
        where = f"mechanisms.json: {entry['slug']}"
        if entry["kind"] not in Mechanism.Kind.values:
            raise ValueError(f"{where}: unknown kind {entry['kind']!r}")
        parent = entry.get("parent")
        if parent and (parent not in slugs or parent == entry["slug"]):
            raise ValueError(f"{where}: unknown parent {parent!r}")
        if not all(entry["names"].get(lang) for lang in LANGUAGES):
            raise ValueError(f"{where}: lacks a name in one of {LANGUAGES}")
        missing = [k for k in REQUIREMENT_KEYS if k not in entry["requirements"]]
        if missing:
            raise ValueError(f"{where}: requirements lack {missing}")
        for field in entry["requirements"]["metadata_fields"]:
            if not {"name", "label", "required"} <= set(field):
                raise ValueError(f"{where}: a metadata field lacks name, label or required")
    return entries


def sync_mechanisms(**_: Any) -> int:
    """Bring the Mechanism table in line with the data file; returns the rows written."""
    entries = load()
    written = 0
    with transaction.atomic():
        existing = {m.slug: m for m in Mechanism.objects.all()}
        for position, entry in enumerate(entries):
            row = existing.get(entry["slug"]) or Mechanism(slug=entry["slug"])
            fields = {
                "kind": entry["kind"],
                "country": entry.get("country", ""),
                "names": {lang: entry["names"][lang] for lang in LANGUAGES},
                "requirements": entry["requirements"],
                "position": position,
                "active": True,
            }
            if row.pk is None or any(getattr(row, k) != v for k, v in fields.items()):
                for key, value in fields.items():
                    setattr(row, key, value)
                row.save()
                written += 1
            existing[row.slug] = row
        for entry in entries:
            row = existing[entry["slug"]]
            parent = existing[entry["parent"]] if entry.get("parent") else None
            if row.parent_id != (parent.pk if parent else None):
                row.parent = parent
                row.save(update_fields=["parent"])
        listed = {e["slug"] for e in entries}
        Mechanism.objects.filter(active=True).exclude(slug__in=listed).update(active=False)
    return written


def mechanism(slug: str) -> Mechanism:
    """The registry entry named `slug`, else UnknownMechanism listing the known ones."""
    found = Mechanism.objects.filter(slug=slug.strip().lower()).first()
    if found is None:
        known = ", ".join(Mechanism.objects.filter(active=True).values_list("slug", flat=True))
        raise UnknownMechanism(
            _("unknown mechanism %(slug)r: use one of %(known)s") % {"slug": slug, "known": known}
        )
    return found


def lineage(entry: Mechanism) -> list[Mechanism]:
    """The entry and the broader ones it belongs to (national-de, national): a consent
    given or withdrawn for any of them applies to it."""
    chain = [entry]
    seen = {entry.pk}
    current = entry
    while current.parent_id is not None and current.parent_id not in seen:
        current = Mechanism.objects.get(pk=current.parent_id)
        chain.append(current)
        seen.add(current.pk)
    return chain


def display_name(entry: Mechanism) -> str:
    """The entry's name in the active language, else in English."""
    language = (get_language() or "en").split("-")[0]
    names: dict[str, str] = entry.names
    return names.get(language) or names.get("en") or entry.slug


def mechanism_record(entry: Mechanism) -> dict[str, Any]:
    return {
        "slug": entry.slug,
        "kind": entry.kind,
        "parent": entry.parent.slug if entry.parent else None,
        "country": entry.country,
        "name": display_name(entry),
        "names": entry.names,
        "requirements": entry.requirements,
        "active": entry.active,
    }
