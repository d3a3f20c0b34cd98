"""Which column of an import file fills which incident field, and saved column mappings.

A column is matched, in this order, by the mapping the user gave ({"column header": "field"}),
by KoBoToolbox/ODK's own column names (``_uuid``, ``_geolocation``, ``_<question>_latitude``,
metadata such as ``start``, ``end``, ``_submission_time``, which are ignored), by the field's
name (``start_date``, ``Start date``, ``group_incident/start_date``, ``incident-start_date``),
or by a common alias (``date``, ``lat``, ``lon``, ``violation``, ``التاريخ``). A lower rank wins
when several columns fill one field: on each row the first non-empty one is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testimonia.accounts.models import User, Workspace
from testimonia.core.text import tokens
from testimonia.incidents.import_files import Table
from testimonia.incidents.models import ImportMapping

# The fields a column can fill, with what they hold (docs/import.md says more).
FIELDS: Final = {
    "title": gettext_lazy("title of the incident (required)"),
    "description": gettext_lazy("description"),
    "language": gettext_lazy("language of the title and description (ar, he, en, ...)"),
    "start_date": gettext_lazy("start date (a day, a month or a year)"),
    "start_time": gettext_lazy("start time"),
    "end_date": gettext_lazy("end date"),
    "end_time": gettext_lazy("end time"),
    "start_precision": gettext_lazy("precision of the start date (exact, day, month, year)"),
    "end_precision": gettext_lazy("precision of the end date"),
    "place": gettext_lazy("place name, P-code or geonames:ID"),
    "latitude": gettext_lazy("latitude (decimal or degrees, minutes, seconds)"),
    "longitude": gettext_lazy("longitude (decimal or degrees, minutes, seconds)"),
    "coordinates": gettext_lazy("latitude and longitude in one cell, or a KoBo/ODK geopoint"),
    "accuracy": gettext_lazy("GPS accuracy in metres"),
    "location_precision": gettext_lazy("location precision"),
    "act_type": gettext_lazy("types of act: codes or labels, separated by ; or |"),
    "status": gettext_lazy("status (draft, verified, published)"),
    "sensitivity": gettext_lazy("sensitivity (public, restricted, confidential)"),
    "tags": gettext_lazy("tags, separated by ; or |"),
    "external_id": gettext_lazy("the row's id in the source system (for re-imports)"),
}
HEADER_SEARCH_ROWS: Final = 20
MAPPING_NAME_MAX: Final = 100

_ALIASES: Final = {
    "title": ("incident_title", "headline", "العنوان", "عنوان", "כותרת"),
    "description": ("summary", "details", "narrative", "الوصف", "وصف", "תיאור"),
    "language": ("lang", "اللغة", "שפה"),
    "start_date": (
        "date",
        "incident_date",
        "date_of_incident",
        "event_date",
        "from_date",
        "date_from",
        "التاريخ",
        "تاريخ",
        "תאריך",
    ),
    "end_date": ("to_date", "date_to", "until"),
    "start_time": ("time", "الوقت", "שעה"),
    "place": (
        "place_name",
        "location_name",
        "locality",
        "town",
        "village",
        "city",
        "المكان",
        "مكان",
        "מקום",
    ),
    "latitude": ("lat", "خط العرض", "קו רוחב"),
    "longitude": ("lon", "lng", "long", "خط الطول", "קו אורך"),
    "coordinates": ("coords", "geopoint", "gps", "latlon", "lat_lon", "latlng", "geolocation"),
    "act_type": ("act_types", "acts", "violation", "violations", "violation_type", "نوع الانتهاك"),
    "tags": ("tag", "keywords"),
    "external_id": ("id", "record_id", "instanceid"),
}

# KoBoToolbox and ODK metadata columns: never incident fields (the lowercase name, or the last
# part of a group path). ODK Central's "Status" is handled apart: "status" is a field.
_METADATA: Final = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "audit",
        "instancename",
        "deprecatedid",
        "formhub/uuid",
        "_submission_time",
        "_index",
        "_parent_index",
        "_parent_table_name",
        "_status",
        "_submitted_by",
        "_version_",
        "__version__",
        "_validation_status",
        "_notes",
        "_tags",
        "_xform_id_string",
        "_attachments",
        "_media_count",
        "_total_media",
        "_media_all_received",
        "submissiondate",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "reviewstate",
        "edits",
        "formversion",
    }
)
_GEOPOINT_PART: Final = re.compile(r"_(.+)_(latitude|longitude|altitude|precision)")


class ImportProblem(Exception):
    """The import cannot start: the file, the mapping or an option is wrong (exit code 2)."""


@dataclass
class Column:
    index: int  # 0-based
    header: str
    field: str | None  # None: not imported
    rank: int = 0  # 0 mapping or field name, 1 group path or KoBo id, 2 alias, 3-4 derived
    metadata: bool = False  # a KoBo/ODK metadata column, ignored without a note


def _key(text: str) -> str:
    return "_".join(tokens(text))


_BY_KEY: Final = {
    **{_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases},
    **{name: name for name in FIELDS},
}


def check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """The mapping with its headers trimmed; an unknown field is an ImportProblem."""
    checked: dict[str, str] = {}
    for header, name in mapping.items():
        target = str(name).strip()
        if target not in FIELDS:
            raise ImportProblem(
                _(
                    "the mapping sends column %(header)r to %(field)r, which is not a field; the "
                    "fields are: %(fields)s"
                )
                % {"header": header, "field": target, "fields": ", ".join(FIELDS)}
            )
        checked[str(header).strip()] = target
    return checked


def parse_map_options(pairs: list[str]) -> dict[str, str]:
    """``["Header=field", ...]`` (the CLI's --map) as a mapping."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, name = pair.rpartition("=")
        if not sep or not header.strip():
            raise ImportProblem(
                _("--map takes 'Column header=field', not %(value)r") % {"value": pair}
            )
        mapping[header.strip()] = name.strip()
    return check_mapping(mapping)


def resolve(headers: list[Any], mapping: dict[str, str]) -> list[Column]:
    """The field each column fills (see the module docstring for the order of the rules)."""
    texts = ["" if h is None else str(h).strip() for h in headers]
    lowered = {t.lower() for t in texts}
    odk_central = {"key", "submissiondate"} <= lowered
    geopoints: set[str] = set()
    for t in texts:
        if m := _GEOPOINT_PART.fullmatch(t.lower()):
            # KoBo names a grouped geopoint's parts _group/question_latitude.
            geopoints |= {m.group(1), m.group(1).rsplit("/", 1)[-1]}
    by_mapping_key = {_key(h): f for h, f in mapping.items()}
    columns = []
    for index, text in enumerate(texts):
        columns.append(_resolve_one(index, text, mapping, by_mapping_key, odk_central, geopoints))
    return columns


def _resolve_one(
    index: int,
    text: str,
    mapping: dict[str, str],
    by_mapping_key: dict[str, str],
    odk_central: bool,
    geopoints: set[str],
) -> Column:
    if not text:
        return Column(index, text, None)
    if text in mapping:
        return Column(index, text, mapping[text])
    if (key := _key(text)) in by_mapping_key:
        return Column(index, text, by_mapping_key[key])
    lower = text.lower()
    last = lower.rsplit("/", 1)[-1]
    if odk_central and text in ("Status", "DeviceID", "KEY"):
        if text == "KEY":
            return Column(index, text, "external_id", 1)
        return Column(index, text, None, metadata=True)
    if lower == "_uuid":
        return Column(index, text, "external_id", 1)
    if lower == "_id":
        return Column(index, text, "external_id", 3)
    if last == "instanceid":
        return Column(index, text, "external_id", 2)
    if lower == "_geolocation":  # KoBo's copy of the form's first geopoint: the last resort
        return Column(index, text, "coordinates", 4)
    if m := _GEOPOINT_PART.fullmatch(lower):
        part = m.group(2)
        if part in ("latitude", "longitude"):
            return Column(index, text, part, 2)
        if part == "precision":
            return Column(index, text, "accuracy", 2)
        return Column(index, text, None, metadata=True)
    if lower in _METADATA or last in _METADATA:
        return Column(index, text, None, metadata=True)
    if lower in geopoints or last in geopoints:
        # The geopoint question itself; its _<name>_latitude/_longitude columns are preferred.
        return Column(index, text, "coordinates", 3)
    whole = _key(text)
    if whole in FIELDS:
        return Column(index, text, whole, 0)
    for part in (text.rsplit("/", 1)[-1], text.rsplit("-", 1)[-1]):
        if (key := _key(part)) in FIELDS:
            return Column(index, text, key, 1)
    for part in (text, text.rsplit("/", 1)[-1], text.rsplit("-", 1)[-1]):
        if (key := _key(part)) in _BY_KEY:
            return Column(index, text, _BY_KEY[key], 2)
    return Column(index, text, None)


def find_header(table: Table, mapping: dict[str, str]) -> tuple[int, list[Column], list[str]]:
    """The header row (its number in the file), its columns, and notes for the user.

    The header is the first of the first rows that names at least two fields (a title or a
    note may sit above it); failing that, the first that names one.
    """
    best: tuple[int, list[Column]] | None = None
    for row in table.rows[:HEADER_SEARCH_ROWS]:
        columns = resolve(row.cells, mapping)
        known = {c.field for c in columns if c.field}
        if len(known) >= 2:
            best = (row.number, columns)
            break
        if known and best is None:
            best = (row.number, columns)
    if best is None:
        if not table.rows:
            raise ImportProblem(_("the file holds no rows"))
        raise ImportProblem(
            _(
                "no header row found: none of the first %(count)d rows names a field "
                "(%(fields)s); map the columns (for example --map 'Headline=title')"
            )
            % {"count": HEADER_SEARCH_ROWS, "fields": ", ".join(FIELDS)}
        )
    number, columns = best
    if not any(c.field == "title" for c in columns):
        raise ImportProblem(
            _(
                "no column fills 'title', which every incident needs; the header (row "
                "%(row)d) has: %(headers)s. Map one (for example --map 'Headline=title')"
            )
            % {"row": number, "headers": ", ".join(repr(c.header) for c in columns if c.header)}
        )
    notes = []
    missing = [h for h in mapping if h not in {c.header for c in columns}]
    missing = [h for h in missing if _key(h) not in {_key(c.header) for c in columns}]
    if missing:
        notes.append(
            _("the mapping names columns that are not in this file: %(headers)s")
            % {"headers": ", ".join(repr(h) for h in missing)}
        )
    fills: dict[tuple[str, int], list[str]] = {}
    for c in columns:
        if c.field:
            fills.setdefault((c.field, c.rank), []).append(c.header)
    for (name, rank), headers in fills.items():
        # KoBo/ODK exports repeat a geopoint on purpose (ranks 2-4): no note for those.
        if len(headers) > 1 and rank <= 1:
            notes.append(
                _(
                    "columns %(headers)s all fill %(field)s: on each row the first non-empty "
                    "one is used"
                )
                % {"headers": ", ".join(repr(h) for h in headers), "field": name}
            )
    return number, columns, notes


# ---------------------------------------------------------------------------------------------
# Saved mappings


def mappings_of(workspace: Workspace) -> QuerySet[ImportMapping]:
    return ImportMapping.objects.filter(workspace=workspace).order_by("name")


def get_mapping(workspace: Workspace, name: str) -> ImportMapping:
    found = mappings_of(workspace).filter(name=name).first()
    if found is None:
        names = list(mappings_of(workspace).values_list("name", flat=True))
        raise ImportProblem(
            _("workspace %(workspace)s has no import mapping %(name)r; it has: %(names)s")
            % {
                "workspace": workspace.slug,
                "name": name,
                "names": ", ".join(repr(n) for n in names) or _("none"),
            }
        )
    return found


def save_mapping(
    actor: User | None, workspace: Workspace, name: str, columns: dict[str, str]
) -> ImportMapping:
    """Save (or replace) a named mapping of the workspace."""
    name = name.strip()
    if not name or len(name) > MAPPING_NAME_MAX:
        raise ImportProblem(
            _("a mapping needs a name of 1 to %(max)d characters") % {"max": MAPPING_NAME_MAX}
        )
    checked = check_mapping(columns)
    if not checked:
        raise ImportProblem(_("the mapping names no column"))
    try:
        with transaction.atomic():
            mapping, _created = ImportMapping.objects.update_or_create(
                workspace=workspace,
                name=name,
                defaults={"columns": checked},
                create_defaults={"columns": checked, "created_by": actor},
            )
    except IntegrityError:  # the same name saved at the same moment by someone else
        mapping = ImportMapping.objects.get(workspace=workspace, name=name)
        mapping.columns = checked
        mapping.save(update_fields=["columns"])
    return mapping


def used_mapping(columns: list[Column]) -> dict[str, str]:
    """The mapping an import used: for each field, the header of the column(s) that fill it
    first. The fallbacks are left out: saved, they would rank as high as the column they
    stand in for (KoBo's ``_id`` beside its ``_uuid``)."""
    best: dict[str, int] = {}
    for c in columns:
        if c.field and c.header:
            best[c.field] = min(best.get(c.field, c.rank), c.rank)
    return {c.header: c.field for c in columns if c.field and c.header and c.rank == best[c.field]}
