"""The Arabic and Hebrew catalogues: complete, compiled from the current .po, and used by pages.

The .po files are parsed by a small reader below (no polib); the compiled .mo is read with the
standard library's gettext, so a .mo left behind by an edit of the .po is caught.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

LANGUAGES = [pytest.param("ar", id="arabic"), pytest.param("he", id="hebrew")]
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[diouxXeEfFgGcrsa%]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included, obsolete (#~) entries left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # the keyword a continuation line extends

    def put(keyword: str, index: int, text: str, *, append: bool) -> None:
        assert entry is not None
        if keyword == "msgstr":
            entry.msgstr[index] = (entry.msgstr.get(index, "") if append else "") + text
        else:
            current = (getattr(entry, keyword) or "") if append else ""
            setattr(entry, keyword, current + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if entry is None or entry.msgstr:
                entry = Entry()
                entries.append(entry)
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation without a keyword"
            put(*target, ast.literal_eval(line), append=True)
            continue
        keyword, _, quoted = line.partition(" ")
        match = re.fullmatch(r"(msgctxt|msgid|msgid_plural|msgstr)(?:\[(\d+)\])?", keyword)
        assert match, f"{path}:{number}: unexpected line {raw!r}"
        name, index = match.group(1), int(match.group(2) or 0)
        if name in ("msgctxt", "msgid") and (entry is None or entry.msgstr):
            entry = Entry()  # flags, msgctxt and msgid open an entry; msgstr closes it
            entries.append(entry)
        target = (name, index)
        put(name, index, ast.literal_eval(quoted), append=False)
    return entries


def locale_file(language: str, suffix: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / f"django.{suffix}"


def messages_of(language: str) -> list[Entry]:
    return [entry for entry in read_po(locale_file(language, "po")) if not entry.is_header]


def translation_of(language: str, msgid: str) -> str:
    [entry] = [entry for entry in messages_of(language) if entry.msgid == msgid]
    return entry.msgstr[0]


def test_the_po_reader_sees_a_missing_translation_and_a_fuzzy_flag(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n\n'
        'msgid "Done"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "%(count)d file"\nmsgid_plural "%(count)d files"\n'
        'msgstr[0] "x"\nmsgstr[1] ""\n"y"\n',
        encoding="utf-8",
    )
    header, done, files = read_po(po)
    assert header.is_header
    assert header.msgstr[0] == "Language: ar\n"
    assert (done.msgid, done.msgstr) == ("Done", {0: ""})
    assert files.flags == {"fuzzy", "python-format"}
    assert files.msgid_plural == "%(count)d files"
    assert files.msgstr == {0: "x", 1: "y"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_has_a_translation(language: str) -> None:
    entries = messages_of(language)
    assert len(entries) > 100, "the catalogue lost most of its strings"
    untranslated = [
        entry.msgid for entry in entries if not entry.msgstr or not all(entry.msgstr.values())
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_entry_is_marked_fuzzy(language: str) -> None:
    fuzzy = [
        entry.msgid for entry in read_po(locale_file(language, "po")) if "fuzzy" in entry.flags
    ]
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_header_names_the_language_and_its_plural_forms(language: str) -> None:
    [header] = [entry for entry in read_po(locale_file(language, "po")) if entry.is_header]
    assert f"Language: {language}\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=" in header.msgstr[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    broken = []
    for entry in messages_of(language):
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) != expected:
                broken.append((entry.msgid, text))
    assert broken == []


def compiled_forms(compiled: gettext.GNUTranslations, entry: Entry) -> dict[int, str]:
    """What the .mo gives for the entry, by msgstr index (one n per plural form)."""
    if entry.msgid_plural is None:
        if entry.msgctxt is None:
            return {0: compiled.gettext(entry.msgid)}
        return {0: compiled.pgettext(entry.msgctxt, entry.msgid)}
    plural = compiled.plural  # type: ignore[attr-defined]
    forms: dict[int, str] = {}
    for n in range(200):
        if entry.msgctxt is None:
            text = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
        else:
            text = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
        forms.setdefault(plural(n), text)
    return forms


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language: str) -> None:
    with locale_file(language, "mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [
        (entry.msgid, compiled_forms(compiled, entry), entry.msgstr)
        for entry in messages_of(language)
        if compiled_forms(compiled, entry) != entry.msgstr
    ]
    assert stale == [], "run compilemessages: the .mo does not match the .po"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_login_page_is_right_to_left_and_translated(client: Client, language: str) -> None:
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}" dir="rtl">' in html
    skip = translation_of(language, "Skip to content")
    assert skip not in ("", "Skip to content")
    assert skip in html
    assert "Skip to content" not in html


@pytest.mark.django_db
def test_the_login_page_stays_left_to_right_in_english(client: Client) -> None:
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "Skip to content" in html
