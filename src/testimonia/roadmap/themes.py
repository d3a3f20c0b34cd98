"""The roadmap themes kept as data (roadmap/data/themes.json), synchronised into `Theme`.

`sync_themes` runs after every `migrate`: it adds new themes and updates labels and order, and
never deletes a theme (recommendations may use it); a theme gone from the file is marked
inactive instead, so it stays readable on old records and is no longer offered. A workspace's
own themes (added by hand or by an import) are left alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.text import slugify

from testimonia.accounts.models import Workspace

DATA: Final = Path(__file__).parent / "data"
THEMES_FILE: Final = "themes.json"
LANGUAGES: Final = ("en", "ar", "he")
_ARABIC: Final = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_HEBREW: Final = re.compile(r"[\u0590-\u05ff\ufb1d-\ufb4f]")
_CODE: Final = re.compile(r"[a-z0-9_]{1,64}")


def load() -> dict[str, Any]:
    with (DATA / THEMES_FILE).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    codes = [t["code"] for t in data["themes"]]
    if len(codes) != len(set(codes)):
        raise ValueError(f"{THEMES_FILE}: a code appears twice")
    for theme in data["themes"]:
        if not all(theme.get(lang) for lang in LANGUAGES):
            raise ValueError(f"{THEMES_FILE}: {theme['code']} lacks a label in one of {LANGUAGES}")
        if not _CODE.fullmatch(theme["code"]):
            raise ValueError(f"{THEMES_FILE}: {theme['code']!r} is not a code (a-z, 0-9, _)")
    return data


def sync_themes(**_: Any) -> int:
    """Bring the shipped themes in line with the file; returns the themes written."""
    from testimonia.roadmap.models import Theme

    written = 0
    data = load()
    with transaction.atomic():
        existing = {t.code: t for t in Theme.objects.filter(workspace=None)}
        for position, entry in enumerate(data["themes"]):
            theme = existing.get(entry["code"]) or Theme(workspace=None, code=entry["code"])
            fields = {
                "labels": {lang: entry[lang] for lang in LANGUAGES},
                "position": position,
                "active": True,
            }
            if theme.pk is None or any(getattr(theme, k) != v for k, v in fields.items()):
                for key, value in fields.items():
                    setattr(theme, key, value)
                theme.save()
                written += 1
        listed = {entry["code"] for entry in data["themes"]}
        Theme.objects.filter(workspace=None, active=True).exclude(code__in=listed).update(
            active=False
        )
    return written


def themes_for(workspace: Workspace) -> QuerySet[Any]:
    """The themes a workspace can use: the shipped ones and its own."""
    from testimonia.roadmap.models import Theme

    return Theme.objects.filter(Q(workspace=None) | Q(workspace=workspace))


def language_of(text: str) -> str:
    """The language a label typed in one script is most likely in (for a theme an import
    creates): Arabic or Hebrew by their letters, else English."""
    if _ARABIC.search(text):
        return "ar"
    if _HEBREW.search(text):
        return "he"
    return "en"


def code_for(label: str) -> str:
    """A code for a new theme: its label as a slug (in any script), with underscores."""
    return slugify(label, allow_unicode=True).replace("-", "_")[:64].strip("_")
