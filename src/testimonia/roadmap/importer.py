"""Importing recommendations from a CSV or XLSX file, one recommendation a row.

The file is read by the documentation database's reader (incidents/import_files.py: UTF-8 or
UTF-16 CSV with any delimiter, or XLSX; a wrong encoding is refused with its line and byte) and
its cells by the same value readers (incidents/import_values.py: dates written the ways people
write them). The first row with values is the header. A header that is a field name
(:data:`FIELDS`, in any case, with spaces or underscores) or one of its aliases needs no
mapping; other headers can be sent to a field with a mapping, and are otherwise ignored.

An addressee, a theme or a source is matched with what the workspace has (an actor by name or
ISO country code, a theme by code or label in any language, a source by reference or title;
letter case, Arabic spelling variants and diacritics aside); what is not found is created, once
however many rows name it. Several addressees or themes go in one cell, separated by ``;`` or
``|``.

Every row is checked before anything is written, and nothing is written when any row has an
error or on a dry run; the report lists each problem with its row as the spreadsheet program
numbers it. A row whose text and source are already in the workspace (or earlier in the file)
is skipped, so a file can be imported again after a correction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testimonia.accounts.models import User, Workspace
from testimonia.core.text import normalise
from testimonia.incidents.import_files import FileProblem, Row, Table, read_table
from testimonia.incidents.import_values import MONTH, YEAR, ValueProblem, parse_date
from testimonia.roadmap import services
from testimonia.roadmap import status as rules
from testimonia.roadmap.exceptions import RoadmapError
from testimonia.roadmap.models import Actor, Recommendation, Source, Status, Theme
from testimonia.roadmap.themes import code_for, themes_for

FIELDS: Final = {
    "addressee": gettext_lazy("addressees: names or ISO country codes, separated by ; (required)"),
    "text": gettext_lazy("the text of the recommendation or obligation (required)"),
    "theme": gettext_lazy("themes: codes or labels, separated by ;"),
    "source": gettext_lazy("the source: its reference (A/RES/ES-10/24) or title"),
    "date": gettext_lazy("the date it was issued"),
    "deadline": gettext_lazy("the deadline (a month or a year means its last day)"),
    "status": gettext_lazy("the status: not started, partial, implemented (default: not started)"),
    "status_date": gettext_lazy("the date of the status (default: the day of the import)"),
    "kind": gettext_lazy("recommendation or obligation (default: recommendation)"),
    "paragraph": gettext_lazy("where in the source: para. 12(b)"),
    "published": gettext_lazy("yes to show it on the public portal (default: no)"),
    "notes": gettext_lazy("internal notes"),
}
REQUIRED: Final = ("addressee", "text")
_ALIASES: Final = {
    "addressees": "addressee",
    "actor": "addressee",
    "actors": "addressee",
    "state": "addressee",
    "states": "addressee",
    "recommendation": "text",
    "obligation": "text",
    "themes": "theme",
    "issued_on": "date",
    "issued": "date",
    "due": "deadline",
    "due_date": "deadline",
    "reference": "source",
    "symbol": "source",
    "type": "kind",
    "para": "paragraph",
    "note": "notes",
}
_LIST_SEPARATORS: Final = re.compile(r"\s*[;|\n]\s*")
# A document symbol (A/RES/ES-10/24, CAT/C/ISR/CO/6, ICC-01/18): a source named by one gets
# it as its reference as well as its title.
_SYMBOL: Final = re.compile(r"[A-Z0-9][A-Za-z0-9.()\-]*(?:/[A-Za-z0-9.()\-]+)+")
_YES: Final = frozenset({"yes", "y", "true", "1", "x", "نعم", "כן"})
_NO: Final = frozenset({"no", "n", "false", "0", "لا", "לא"})


class ImportProblem(RoadmapError):
    """The file as a whole cannot be imported (unreadable, no header, a required column
    missing, a bad mapping); the message says what to do."""


@dataclass(frozen=True)
class ImportOptions:
    mapping: dict[str, str] = field(default_factory=dict)  # {"column header": "field"}
    sheet: str | None = None
    encoding: str | None = None
    month_first: bool = False


@dataclass
class Planned:
    """One valid row, with names still to be matched or created."""

    row: int
    text: str
    addressees: list[str]
    themes: list[str]
    source: str
    issued_on: dt.date | None
    deadline: dt.date | None
    status: str
    status_date: dt.date | None
    kind: str
    paragraph: str
    published: bool
    notes: str


@dataclass
class ImportReport:
    filename: str
    table: Table
    columns: dict[str, str]  # header -> field
    ignored_columns: list[str]
    dry_run: bool
    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    skipped: int = 0
    new_actors: list[str] = field(default_factory=list)
    new_themes: list[str] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)
    recommendations: list[int] = field(default_factory=list)
    written: bool = False

    @property
    def invalid(self) -> int:
        return len({row for row, _message in self.errors})

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "format": self.table.kind,
            "encoding": self.table.encoding,
            "sheet": self.table.sheet,
            "rows": self.rows,
            "would_import": len(self.planned),
            "imported": len(self.recommendations),
            "skipped": self.skipped,
            "invalid": self.invalid,
            "dry_run": self.dry_run,
            "written": self.written,
            "columns": dict(self.columns),
            "ignored_columns": list(self.ignored_columns),
            "errors": [{"row": r, "message": m} for r, m in self.errors],
            "warnings": [{"row": r, "message": m} for r, m in self.warnings],
            "new_actors": list(self.new_actors),
            "new_themes": list(self.new_themes),
            "new_sources": list(self.new_sources),
            "recommendations": list(self.recommendations),
        }


# ---------------------------------------------------------------------------------------------
# Reading


def _key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().casefold())


def field_of(header: str, mapping: dict[str, str]) -> str | None:
    if header in mapping:
        return mapping[header]
    key = _key(header)
    if key in FIELDS:
        return key
    return _ALIASES.get(key)


def read(data: bytes, filename: str, options: ImportOptions) -> tuple[Table, Row]:
    try:
        table = read_table(data, filename, sheet=options.sheet, encoding=options.encoding)
    except FileProblem as exc:
        raise ImportProblem(str(exc)) from None
    if not table.rows:
        raise ImportProblem(_("the file has no rows: the first row must name the columns"))
    return table, table.rows[0]


def _columns(
    header: Row, options: ImportOptions
) -> tuple[dict[int, str], dict[str, str], list[str]]:
    unknown = {f for f in options.mapping.values() if f not in FIELDS}
    if unknown:
        raise ImportProblem(
            _("the mapping names unknown fields: %(names)s; the fields are: %(fields)s")
            % {"names": ", ".join(sorted(unknown)), "fields": ", ".join(FIELDS)}
        )
    by_index: dict[int, str] = {}
    named: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header.cells):
        if cell is None:
            continue
        title = str(cell).strip()
        name = field_of(title, options.mapping)
        if name is None or name in by_index.values():
            ignored.append(title)
            continue
        by_index[index] = name
        named[title] = name
    missing = [f for f in REQUIRED if f not in by_index.values()]
    if missing:
        raise ImportProblem(
            _(
                "no column for %(missing)s in the header row (row %(row)d): name the columns "
                "%(fields)s, or map yours to them"
            )
            % {
                "missing": ", ".join(missing),
                "row": header.number,
                "fields": ", ".join(FIELDS),
            }
        )
    return by_index, named, ignored


# ---------------------------------------------------------------------------------------------
# Cells


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _names(value: Any) -> list[str]:
    seen: dict[str, str] = {}
    for part in _LIST_SEPARATORS.split(_text(value)):
        if part and normalise(part) not in seen:
            seen[normalise(part)] = part
    return list(seen.values())


def _end_of_period(date: dt.date, precision: str) -> dt.date:
    if precision == YEAR:
        return dt.date(date.year, 12, 31)
    if precision == MONTH:
        return dt.date(date.year, date.month, calendar.monthrange(date.year, date.month)[1])
    return date


def _date(value: Any, options: ImportOptions, *, deadline: bool = False) -> dt.date | None:
    parsed = parse_date(value, month_first=options.month_first)
    if parsed is None:
        return None
    return _end_of_period(parsed.date, parsed.precision) if deadline else parsed.date


@lru_cache(maxsize=1)
def _status_index() -> dict[str, str]:
    return _choices_index(Status.choices, {"partially": rules.PARTIAL, "done": rules.IMPLEMENTED})


@lru_cache(maxsize=1)
def _kind_index() -> dict[str, str]:
    return _choices_index(Recommendation.Kind.choices, {"binding": "obligation"})


def _choices_index(choices: Any, extra: dict[str, str]) -> dict[str, str]:
    """Codes and labels (in every language of the UI) of these choices -> the code."""
    index = {normalise(k): v for k, v in extra.items()}
    for code, label in choices:
        index[normalise(code)] = code
        index[normalise(code.replace("_", " "))] = code
        for language in ("en", "ar", "he"):
            with translation.override(language):
                index[normalise(str(label))] = code
    return index


def _choice(value: Any, index: dict[str, str], what: str, allowed: str) -> str | None:
    text = _text(value)
    if not text:
        return None
    found = index.get(normalise(text))
    if found is None:
        raise ValueProblem(
            _("%(value)r is not a %(what)s: write one of %(allowed)s")
            % {"value": text, "what": what, "allowed": allowed}
        )
    return found


def _flag(value: Any) -> bool:
    text = _text(value).casefold()
    if not text or text in _NO:
        return False
    if text in _YES:
        return True
    raise ValueProblem(_("%(value)r is not yes or no") % {"value": _text(value)})


def _plan_row(
    row: Row, columns: dict[int, str], options: ImportOptions, today: dt.date
) -> tuple[Planned | None, list[str]]:
    cells = {name: row.value(index) for index, name in columns.items()}
    problems: list[str] = []

    def read_cell(name: str, reader: Any) -> Any:
        try:
            return reader(cells.get(name))
        except ValueProblem as exc:
            problems.append(f"{name}: {exc}")
            return None

    text = _text(cells.get("text"))
    if not text:
        problems.append(_("text: the cell is empty; every row needs the text"))
    elif len(text) > services.MAX_TEXT:
        problems.append(_("text: longer than %(max)d characters") % {"max": services.MAX_TEXT})
    addressees = _names(cells.get("addressee"))
    if not addressees:
        problems.append(_("addressee: the cell is empty; name at least one addressee"))
    too_long = [n for n in addressees if len(n) > 200]
    if too_long:
        problems.append(_("addressee: a name is longer than 200 characters"))
    issued_on = read_cell("date", lambda v: _date(v, options))
    deadline = read_cell("deadline", lambda v: _date(v, options, deadline=True))
    if issued_on and deadline and deadline < issued_on:
        problems.append(
            _("deadline: %(deadline)s is before the date %(date)s")
            % {"deadline": deadline.isoformat(), "date": issued_on.isoformat()}
        )
    status = (
        read_cell(
            "status",
            lambda v: _choice(
                v, _status_index(), _("status"), "not started, partial, implemented, regressed"
            ),
        )
        or rules.NOT_STARTED
    )
    if status == rules.REGRESSED:
        problems.append(
            _(
                "status: a new recommendation cannot start as regressed: a regression "
                "follows progress"
            )
        )
    status_date = read_cell("status_date", lambda v: _date(v, options))
    if status_date and status_date > today:
        problems.append(
            _("status_date: %(date)s is in the future") % {"date": status_date.isoformat()}
        )
    kind = read_cell(
        "kind", lambda v: _choice(v, _kind_index(), _("kind"), "recommendation, obligation")
    )
    published = read_cell("published", _flag)
    notes = _text(cells.get("notes"))
    if len(notes) > services.MAX_TEXT:
        problems.append(_("notes: longer than %(max)d characters") % {"max": services.MAX_TEXT})
    if problems:
        return None, problems
    return (
        Planned(
            row=row.number,
            text=text,
            addressees=addressees,
            themes=_names(cells.get("theme")),
            source=_text(cells.get("source"))[:500],
            issued_on=issued_on,
            deadline=deadline,
            status=status,
            status_date=status_date,
            kind=kind or Recommendation.Kind.RECOMMENDATION,
            paragraph=_text(cells.get("paragraph"))[:100],
            published=bool(published),
            notes=notes,
        ),
        [],
    )


# ---------------------------------------------------------------------------------------------
# Matching names with the workspace's records


class Directory:
    """The workspace's actors, themes and sources by every name they answer to."""

    def __init__(self, workspace: Workspace) -> None:
        self.actors: dict[str, Actor] = {}
        for actor in Actor.objects.filter(workspace=workspace):
            self.actors[normalise(actor.name)] = actor
            if actor.country_code:
                self.actors.setdefault(normalise(actor.country_code), actor)
        self.themes: dict[str, Theme] = {}
        for theme in themes_for(workspace).order_by("workspace_id", "position"):
            for name in (theme.code, theme.code.replace("_", " "), *theme.labels.values()):
                self.themes.setdefault(normalise(str(name)), theme)
        self.sources: dict[str, Source] = {}
        for source in Source.objects.filter(workspace=workspace):
            if source.reference:
                self.sources.setdefault(normalise(source.reference), source)
            self.sources.setdefault(normalise(source.title), source)

    def actor(self, name: str) -> Actor | None:
        return self.actors.get(normalise(name))

    def theme(self, name: str) -> Theme | None:
        return self.themes.get(normalise(name)) or self.themes.get(normalise(code_for(name)))

    def source(self, name: str) -> Source | None:
        return self.sources.get(normalise(name))


def _existing_keys(workspace: Workspace) -> set[tuple[str, str]]:
    keys = set()
    for text, reference, title in Recommendation.objects.filter(workspace=workspace).values_list(
        "text", "source__reference", "source__title"
    ):
        keys.add((normalise(text), normalise(reference or title or "")))
    return keys


def _new(names: dict[str, str], name: str) -> None:
    names.setdefault(normalise(name), name)


def check(workspace: Workspace, data: bytes, filename: str, options: ImportOptions) -> ImportReport:
    """Read and check every row; write nothing. The report is the dry run's."""
    table, header = read(data, filename, options)
    columns, named, ignored = _columns(header, options)
    report = ImportReport(filename, table, named, ignored, dry_run=True)
    for title in ignored:
        report.warnings.append(
            (header.number, _("the column %(title)r is not imported") % {"title": title})
        )
    directory = Directory(workspace)
    seen = _existing_keys(workspace)
    today = timezone.localdate()
    new_actors: dict[str, str] = {}
    new_themes: dict[str, str] = {}
    new_sources: dict[str, str] = {}
    for row in table.rows[1:]:
        report.rows += 1
        planned, problems = _plan_row(row, columns, options, today)
        report.errors.extend((row.number, p) for p in problems)
        if planned is None:
            continue
        key = (normalise(planned.text), normalise(planned.source))
        known = directory.source(planned.source) if planned.source else None
        if known is not None:
            key = (key[0], normalise(known.reference or known.title))
        if key in seen:
            report.skipped += 1
            report.warnings.append(
                (row.number, _("skipped: this text from this source is already in the workspace"))
            )
            continue
        seen.add(key)
        for name in planned.addressees:
            if directory.actor(name) is None:
                _new(new_actors, name)
        for name in planned.themes:
            if directory.theme(name) is None:
                if not code_for(name):
                    report.errors.append(
                        (row.number, _("theme: %(name)r has no letters") % {"name": name})
                    )
                _new(new_themes, name)
        if planned.source and known is None:
            _new(new_sources, planned.source)
        report.planned.append(planned)
    report.new_actors = sorted(new_actors.values(), key=str.casefold)
    report.new_themes = sorted(new_themes.values(), key=str.casefold)
    report.new_sources = sorted(new_sources.values(), key=str.casefold)
    return report


def preview(
    workspace: Workspace, data: bytes, filename: str, options: ImportOptions
) -> ImportReport:
    return check(workspace, data, filename, options)


def run(
    user: User | None, workspace: Workspace, data: bytes, filename: str, options: ImportOptions
) -> ImportReport:
    """Check every row, then import them all in one transaction, or nothing when any row has
    an error."""
    services.require_editor(user, workspace)
    report = check(workspace, data, filename, options)
    report.dry_run = False
    if report.has_errors:
        return report
    with transaction.atomic():
        directory = Directory(workspace)
        for planned in report.planned:
            report.recommendations.append(_write(user, workspace, directory, planned, filename))
    report.written = True
    return report


def _write(
    user: User | None, workspace: Workspace, directory: Directory, planned: Planned, filename: str
) -> int:
    try:
        addressees = [
            directory.actor(name) or _remember_actor(user, workspace, directory, name)
            for name in planned.addressees
        ]
        themes = [
            directory.theme(name) or _remember_theme(user, workspace, directory, name)
            for name in planned.themes
        ]
        source = None
        if planned.source:
            source = directory.source(planned.source) or _remember_source(
                user, workspace, directory, planned.source
            )
        rec = services.create_recommendation(
            user,
            workspace,
            text=planned.text,
            addressees=addressees,
            themes=themes,
            source=source,
            kind=planned.kind,
            paragraph=planned.paragraph,
            issued_on=planned.issued_on,
            deadline=planned.deadline,
            published=planned.published,
            notes=planned.notes,
        )
        if planned.status != rules.NOT_STARTED:
            services.record_status_change(
                user,
                rec,
                status=planned.status,
                date=planned.status_date or timezone.localdate(),
                note=_("Status as given in the imported file %(file)s, row %(row)d")
                % {"file": filename, "row": planned.row},
            )
    except RoadmapError as exc:
        # Checked above; a record created meanwhile by someone else can still get in the way.
        raise ImportProblem(
            _("row %(row)d: %(problem)s") % {"row": planned.row, "problem": exc}
        ) from None
    return rec.pk


def _remember_actor(
    user: User | None, workspace: Workspace, directory: Directory, name: str
) -> Actor:
    actor = services.create_actor(user, workspace, name=name)
    directory.actors[normalise(name)] = actor
    return actor


def _remember_theme(
    user: User | None, workspace: Workspace, directory: Directory, name: str
) -> Theme:
    theme = services.create_theme(user, workspace, name)
    directory.themes[normalise(name)] = theme
    directory.themes[normalise(theme.code)] = theme
    return theme


def _remember_source(
    user: User | None, workspace: Workspace, directory: Directory, name: str
) -> Source:
    reference = name if _SYMBOL.fullmatch(name) else ""
    source = services.create_source(user, workspace, title=name, reference=reference)
    directory.sources[normalise(name)] = source
    return source
