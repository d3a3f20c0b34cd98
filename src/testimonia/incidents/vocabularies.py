"""Controlled vocabularies kept as data (incidents/data/*.json), synchronised into `Term`.

A vocabulary file lists terms with a code, an optional parent, labels per language and the
HURIDOCS code. `sync_vocabularies` runs after every `migrate`: it adds new terms and updates
labels, and never deletes a term (records may use it); a term gone from the file is marked
inactive instead, so it stays readable on old records and is no longer offered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

DATA = Path(__file__).parent / "data"
VOCABULARY_FILES = ("act_types.json",)
LANGUAGES = ("en", "ar", "he")


def load(name: str) -> dict[str, Any]:
    with (DATA / name).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    codes = [t["code"] for t in data["terms"]]
    if len(codes) != len(set(codes)):
        raise ValueError(f"{name}: a code appears twice")
    for term in data["terms"]:
        if term.get("parent") and term["parent"] not in codes:
            raise ValueError(f"{name}: {term['code']} names an unknown parent {term['parent']}")
        if not all(term.get(lang) for lang in LANGUAGES):
            raise ValueError(f"{name}: {term['code']} lacks a label in one of {LANGUAGES}")
    return data


def sync_vocabularies(**_: Any) -> int:
    """Bring the Term table in line with the vocabulary files; returns the terms written."""
    from testimonia.incidents.models import Term

    written = 0
    with transaction.atomic():
        for name in VOCABULARY_FILES:
            data = load(name)
            vocabulary = data["vocabulary"]
            existing = {t.code: t for t in Term.objects.filter(vocabulary=vocabulary)}
            for position, entry in enumerate(data["terms"]):
                labels = {lang: entry[lang] for lang in LANGUAGES}
                term = existing.get(entry["code"])
                if term is None:
                    term = Term(vocabulary=vocabulary, code=entry["code"])
                fields = {
                    "labels": labels,
                    "huridocs": entry.get("huridocs", ""),
                    "position": position,
                    "active": True,
                }
                if term.pk is None or any(getattr(term, k) != v for k, v in fields.items()):
                    for key, value in fields.items():
                        setattr(term, key, value)
                    term.save()
                    written += 1
                existing[entry["code"]] = term
            for entry in data["terms"]:
                parent = existing[entry["parent"]] if entry.get("parent") else None
                term = existing[entry["code"]]
                if term.parent_id != (parent.pk if parent else None):
                    term.parent = parent
                    term.save(update_fields=["parent"])
            listed = {entry["code"] for entry in data["terms"]}
            Term.objects.filter(vocabulary=vocabulary, active=True).exclude(code__in=listed).update(
                active=False
            )
    return written


def descendants(term_codes: list[str], vocabulary: str = "act_type") -> list[int]:
    """The ids of these terms and every term below them (a facet on "killing" includes
    "summary execution")."""
    from testimonia.incidents.models import Term

    children: dict[int | None, list[int]] = {}
    by_code: dict[str, int] = {}
    for pk, code, parent in Term.objects.filter(vocabulary=vocabulary).values_list(
        "pk", "code", "parent_id"
    ):
        children.setdefault(parent, []).append(pk)
        by_code[code] = pk
    found: list[int] = []
    stack = [by_code[c] for c in term_codes if c in by_code]
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.append(pk)
            stack.extend(children.get(pk, []))
    return found
