"""One row of an import file as an incident's fields: every cell read, checked against the
vocabularies, the gazetteer and the model, with each problem noted on the row.

Pure of writes: nothing here saves anything (the importer writes, through the services).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db.models import Max, Min, Q
from django.utils import translation
from django.utils.translation import gettext as _

from testimonia.accounts.models import Workspace
from testimonia.core.text import normalise
from testimonia.incidents import import_values as values
from testimonia.incidents.models import (
    DatePrecision,
    Incident,
    LocationPrecision,
    Place,
    Sensitivity,
    Term,
)

TITLE_MAX: Final = Incident._meta.get_field("title").max_length or 300
PLACE_NAME_MAX: Final = Incident._meta.get_field("place_name").max_length or 200
TAG_MAX: Final = 100
EXTERNAL_ID_MAX: Final = 200
REGION_MARGIN: Final = 0.5  # degrees around the gazetteer's places
# GPS accuracy (metres) below which a point counts as exact, or as approximate (about 1 km).
EXACT_WITHIN_M: Final = 100.0
APPROXIMATE_WITHIN_M: Final = 2000.0
REASON_MAX: Final = 100  # simple-history's history_change_reason column
_UUID: Final = re.compile(
    r"(?:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)
_LANGUAGE: Final = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,4})?")
_LANGUAGE_NAMES: Final = {
    normalise(name): code
    for code, names in {
        "ar": ("arabic", "العربية", "عربي", "ערבית"),
        "he": ("hebrew", "العبرية", "עברית"),
        "en": ("english", "الإنجليزية", "انجليزي", "אנגלית"),
        "fr": ("french", "français", "الفرنسية"),
    }.items()
    for name in names
}
_SPLIT: Final = re.compile(r"\s*[;|]\s*")


class Outcome(StrEnum):
    NEW = "new"  # will be imported (or would be, on a dry run)
    IMPORTED = "imported"
    DUPLICATE = "duplicate"  # already in the workspace, or earlier in the file: skipped
    INVALID = "invalid"  # has errors: not imported


@dataclass
class RowReport:
    row: int
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outcome: Outcome = Outcome.NEW
    incident: int | None = None  # the incident created, or the one it duplicates
    values: dict[str, Any] = field(default_factory=dict)  # parsed fields, for the preview page
    acts: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    key: str = ""  # its id in its source, or its title, date and place (incident_key)
    keyed_by_id: bool = False
    source_id: tuple[str, str] = ("", "")  # (scope, id) of an ImportedRecord when keyed_by_id
    duplicate: str = ""  # why the row is skipped as a duplicate

    def all_warnings(self) -> list[str]:
        return [*self.warnings, self.duplicate] if self.duplicate else list(self.warnings)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


class RowContext:
    """What every row is checked against, loaded once per import."""

    def __init__(self, workspace: Workspace, *, month_first: bool, scope: str) -> None:
        self.workspace = workspace
        self.month_first = month_first
        self.scope = scope
        self.places: dict[str, tuple[Place | None, str | None]] = {}
        self.act_types: dict[str, str] = {}
        for term in Term.objects.filter(vocabulary="act_type", active=True):
            self.act_types[term.code.lower()] = term.code
            for label in term.labels.values():
                self.act_types.setdefault(normalise(str(label)), term.code)
        self.status = _choices(Incident.Status.choices)
        self.sensitivity = _choices(Sensitivity.choices)
        self.location_precision = _choices(LocationPrecision.choices)
        self.date_precision = _choices(DatePrecision.choices)
        bounds = Place.objects.filter(workspace=None).aggregate(
            Min("latitude"), Max("latitude"), Min("longitude"), Max("longitude")
        )
        self.region: values.Box | None = None
        if None not in bounds.values():
            self.region = (
                bounds["latitude__min"] - REGION_MARGIN,
                bounds["longitude__min"] - REGION_MARGIN,
                bounds["latitude__max"] + REGION_MARGIN,
                bounds["longitude__max"] + REGION_MARGIN,
            )


def _choices(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Code or label (English, Arabic, Hebrew) -> code."""
    found: dict[str, str] = {}
    pairs = list(choices)
    for language in ("en", "ar", "he"):
        with translation.override(language):
            for code, label in pairs:
                found.setdefault(normalise(str(code)), str(code))
                found.setdefault(normalise(str(label)), str(code))
    return found


def _choice(raw: Any, table: dict[str, str], name: str) -> str:
    code = table.get(normalise(cell_text(raw)))
    if code is None:
        raise values.ValueProblem(
            _("%(field)s %(value)r is not one of: %(codes)s")
            % {
                "field": name,
                "value": cell_text(raw),
                "codes": ", ".join(sorted(set(table.values()))),
            }
        )
    return code


def parse_row(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    """Fill report.values (the Incident's fields), acts, tags and key, or report.errors."""
    out = report.values
    for names, parse in _FIELD_PARSERS:
        if names[0] != "title" and all(cells.get(name) is None for name in names):
            continue
        try:
            parse(cells, report, context)
        except values.ValueProblem as problem:
            report.errors.append(f"{names[0]}: {problem}")
    if not report.errors:
        _check_dates(out, report)
        _check_model(out, report, context.workspace)
    if report.errors:
        report.outcome = Outcome.INVALID
        return
    if report.key:
        return
    # Without an id, a row is the same incident as another with the same title, start date
    # and place: enough to make importing the same file twice harmless.
    place = out.get("place")
    report.key = incident_key(
        out["title"], out.get("start_date"), place.pk if place else None, out.get("place_name", "")
    )


def _title(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    title = cell_text(cells.get("title"))
    if not title:
        raise values.ValueProblem(_("empty: every incident needs a title"))
    if len(title) > TITLE_MAX:
        raise values.ValueProblem(
            _("%(length)d characters long; at most %(max)d")
            % {"length": len(title), "max": TITLE_MAX}
        )
    report.values["title"] = title
    if cells.get("language") is None:
        report.values["language"] = _script_language(
            title + " " + cell_text(cells.get("description"))
        )


def _script_language(text: str) -> str:
    """The language of a text without a language column, from its script."""
    arabic = sum(1 for c in text if "\u0600" <= c <= "\u06ff")
    hebrew = sum(1 for c in text if "\u0590" <= c <= "\u05ff")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    best = max((arabic, "ar"), (hebrew, "he"), (latin, "en"))
    return best[1] if best[0] else "en"


def _description(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    report.values["description"] = cell_text(cells["description"])


def _language(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    raw = cell_text(cells["language"])
    code = _LANGUAGE_NAMES.get(normalise(raw), raw.lower())
    if not _LANGUAGE.fullmatch(code):
        raise values.ValueProblem(
            _("%(value)r is not a language code (ar, he, en, ...)") % {"value": raw}
        )
    report.values["language"] = code


Parser = Callable[[dict[str, Any], "RowReport", "RowContext"], None]


def _dates(which: str) -> Parser:
    def parse(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
        parsed = values.parse_date(cells[f"{which}_date"], month_first=context.month_first)
        if parsed is None:
            return
        report.values[f"{which}_date"] = parsed.date
        report.values[f"{which}_precision"] = parsed.precision
        if parsed.time is not None:
            report.values[f"{which}_time"] = parsed.time

    return parse


def _times(which: str) -> Parser:
    def parse(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
        time = values.parse_time(cells[f"{which}_time"])
        if time is None:
            return
        precision = report.values.get(f"{which}_precision")
        if precision is None:
            if cells.get(f"{which}_date") is not None:
                return  # the date is wrong, and that error is already on the row
            raise values.ValueProblem(_("a time without a date"))
        if precision not in (values.DAY, values.EXACT):
            raise values.ValueProblem(_("a time with a date that names no day"))
        report.values[f"{which}_time"] = time
        report.values[f"{which}_precision"] = values.EXACT

    return parse


def _precisions(which: str) -> Parser:
    """An explicit precision (as Testimonia's own CSV export writes it) wins over the one the
    date's form implies: 2024-03-01 with precision "month" is March 2024."""

    def parse(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
        name = f"{which}_precision"
        code = _choice(cells[name], context.date_precision, name)
        date = report.values.get(f"{which}_date")
        if date is None:
            return  # exports write the default precision of an empty date
        if code in (values.MONTH, values.YEAR) and report.values.get(f"{which}_time"):
            raise values.ValueProblem(_("a time with a date that names no day"))
        if code == values.MONTH:
            date = date.replace(day=1)
        elif code == values.YEAR:
            date = date.replace(month=1, day=1)
        report.values[f"{which}_date"] = date
        report.values[name] = code

    return parse


def _check_dates(out: dict[str, Any], report: RowReport) -> None:
    start, end = out.get("start_date"), out.get("end_date")
    if start is not None and end is not None and end < start:
        report.errors.append(
            _("the end date %(end)s is before the start date %(start)s")
            % {"end": end.isoformat(), "start": start.isoformat()}
        )


def _place(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    name = cell_text(cells["place"])
    if len(name) > PLACE_NAME_MAX:
        raise values.ValueProblem(
            _("%(length)d characters long; at most %(max)d")
            % {"length": len(name), "max": PLACE_NAME_MAX}
        )
    report.values["place_name"] = name
    if name not in context.places:
        context.places[name] = _find_place(name, context.workspace)
    place, warning = context.places[name]
    if place is not None:
        report.values["place"] = place
    if warning:
        report.warnings.append(warning)


def _find_place(name: str, workspace: Workspace) -> tuple[Place | None, str | None]:
    """The gazetteer place a name means, or a warning saying why none was chosen.

    A P-code (PS0150) or ``geonames:285066`` names one place. A name must match one of a
    place's names exactly (after normalisation); when a town and the district named after it
    both match, the town is meant (write the P-code for the district).
    """
    from testimonia.incidents.gazetteer import find_places

    places = Place.objects.filter(Q(workspace=None) | Q(workspace=workspace))
    text = name.strip()
    if m := re.fullmatch(r"geonames:\s*(\d+)", text, re.IGNORECASE):
        found = places.filter(geonames_id=int(m.group(1))).first()
    elif re.fullmatch(r"[A-Za-z]{2}\d{2,12}", text):
        found = places.filter(pcode__iexact=text).first()
    else:
        key = normalise(text)
        candidates = list(find_places(text, workspace, limit=50))
        exact = [p for p in candidates if key in _names_of(p)]
        towns = [p for p in exact if p.kind in (Place.Kind.LOCALITY, Place.Kind.SITE)]
        if len(exact) == 1 or len(towns) == 1:
            return (exact[0] if len(exact) == 1 else towns[0]), None
        if exact:
            return None, _(
                "place %(name)r matches %(count)d places (%(which)s): kept as text; write a "
                "P-code or geonames:ID to choose"
            ) % {"name": name, "count": len(exact), "which": _describe_places(exact[:4])}
        hint = (
            _(" (did you mean %(which)s?)") % {"which": _describe_places(candidates[:3])}
            if candidates
            else ""
        )
        return None, _("place %(name)r is not in the gazetteer: kept as text%(hint)s") % {
            "name": name,
            "hint": hint,
        }
    if found is None:
        return None, _("place %(name)r is not in the gazetteer: kept as text") % {"name": name}
    return found, None


def _names_of(place: Place) -> set[str]:
    names = place.names or {}
    texts = [names.get("en", ""), names.get("ar", ""), names.get("he", ""), *names.get("alt", [])]
    return {normalise(str(t)) for t in texts if t}


def _describe_places(places: list[Place]) -> str:
    """ "Hebron, locality, geonames:285066; Hebron, district, PS0150": how to name each."""
    return "; ".join(
        f"{p.names.get('en') or p.name}, {p.get_kind_display()}, {_reference(p)}" for p in places
    )


def _reference(place: Place) -> str:
    if place.pcode:
        return place.pcode
    return f"geonames:{place.geonames_id}" if place.geonames_id else f"#{place.pk}"


def _coordinates(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    """latitude and longitude (both or neither), else the coordinates column."""
    point: values.Point | None
    if cells.get("latitude") is not None or cells.get("longitude") is not None:
        lat = values.parse_angle(cells.get("latitude"), values.LATITUDE)
        lon = values.parse_angle(cells.get("longitude"), values.LONGITUDE)
        if lon is None:
            raise values.ValueProblem(
                _("latitude %(value)r has no longitude: give both or neither")
                % {"value": cell_text(cells.get("latitude"))}
            )
        if lat is None:
            raise values.ValueProblem(
                _("longitude %(value)r has no latitude: give both or neither")
                % {"value": cell_text(cells.get("longitude"))}
            )
        point = values.Point(lat, lon)
    else:
        point = values.parse_point(cells.get("coordinates"))
    if point is None:
        return
    if point.latitude == 0 and point.longitude == 0:
        report.warnings.append(
            _("coordinates 0, 0 are a GPS device's empty position, not a place: left empty")
        )
        return
    if values.swapped_hint(context.region, point.latitude, point.longitude):
        report.warnings.append(
            _(
                "coordinates %(lat).5f, %(lon).5f lie outside the region of the gazetteer but "
                "would lie inside with latitude and longitude exchanged: check whether the "
                "columns are swapped"
            )
            % {"lat": point.latitude, "lon": point.longitude}
        )
    report.values["latitude"] = Decimal(f"{point.latitude:.6f}")
    report.values["longitude"] = Decimal(f"{point.longitude:.6f}")
    accuracy = point.accuracy
    if accuracy is None and cells.get("accuracy") is not None:
        try:
            accuracy = float(values.clean(cell_text(cells["accuracy"])).replace(",", "."))
        except ValueError:
            raise values.ValueProblem(
                _("GPS accuracy %(value)r is not a number of metres")
                % {"value": cell_text(cells["accuracy"])}
            ) from None
    if accuracy is not None and cells.get("location_precision") is None:
        report.values["location_precision"] = (
            LocationPrecision.EXACT
            if accuracy <= EXACT_WITHIN_M
            else LocationPrecision.APPROXIMATE
            if accuracy <= APPROXIMATE_WITHIN_M
            else LocationPrecision.UNKNOWN
        )


def _location_precision(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    report.values["location_precision"] = _choice(
        cells["location_precision"], context.location_precision, "location_precision"
    )


def _status(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    report.values["status"] = _choice(cells["status"], context.status, "status")


def _sensitivity(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    report.values["sensitivity"] = _choice(cells["sensitivity"], context.sensitivity, "sensitivity")


def _act_types(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    for part in _SPLIT.split(cell_text(cells["act_type"])):
        if not part:
            continue
        code = context.act_types.get(part.lower()) or context.act_types.get(normalise(part))
        if code is None:
            raise values.ValueProblem(
                _("%(value)r is not a type of act: use a code or a label of the act-type list")
                % {"value": part}
            )
        if code not in report.acts:
            report.acts.append(code)


def _tags(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    for part in _SPLIT.split(cell_text(cells["tags"])):
        if len(part) > TAG_MAX:
            raise values.ValueProblem(
                _("the tag %(tag)r is longer than %(max)d characters")
                % {"tag": part[:40] + "...", "max": TAG_MAX}
            )
        if part and part not in report.tags:
            report.tags.append(part)


def _external_id(cells: dict[str, Any], report: RowReport, context: RowContext) -> None:
    raw = cell_text(cells["external_id"])
    if len(raw) > EXTERNAL_ID_MAX:
        raise values.ValueProblem(_("longer than %(max)d characters") % {"max": EXTERNAL_ID_MAX})
    uuid = _UUID.fullmatch(raw.lower())
    # A UUID is unique the world over (no scope); another id only within the system it comes
    # from (the import's source, mapping or file name).
    scope, external_id = ("", uuid.group(1)) if uuid else (context.scope, raw)
    report.values["external_id"] = raw
    report.source_id = (scope, external_id)
    report.key = id_key(scope, external_id)
    report.keyed_by_id = True


# (the fields a parser reads, the first naming it in messages; the parser), in order: a
# parser may use what an earlier one set (a time needs its date).
_FIELD_PARSERS: Final = [
    (("title",), _title),
    (("description",), _description),
    (("language",), _language),
    (("start_date",), _dates("start")),
    (("start_time",), _times("start")),
    (("start_precision",), _precisions("start")),
    (("end_date",), _dates("end")),
    (("end_time",), _times("end")),
    (("end_precision",), _precisions("end")),
    (("place",), _place),
    (("location_precision",), _location_precision),
    (("coordinates", "latitude", "longitude", "accuracy"), _coordinates),
    (("act_type",), _act_types),
    (("status",), _status),
    (("sensitivity",), _sensitivity),
    (("tags",), _tags),
    (("external_id",), _external_id),
]


def _check_model(out: dict[str, Any], report: RowReport, workspace: Workspace) -> None:
    """The model's own field checks, without a query: what the real run's save would refuse."""
    fields = {k: v for k, v in out.items() if k != "external_id"}
    try:
        Incident(workspace=workspace, **fields).full_clean(
            exclude=["workspace", "place", "created_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            report.errors.append(f"{name}: {' '.join(messages)}")


# ---------------------------------------------------------------------------------------------
# Duplicates and writing


def id_key(scope: str, external_id: str) -> str:
    """What makes two rows with an id the same: the id within its source."""
    return "\x1e".join(("id", scope, external_id))


def incident_key(title: str, start: Any, place: int | None, place_name: str) -> str:
    """What makes two incidents without an id the same: title, start date and place."""
    return "\x1f".join(
        [normalise(title), str(start or ""), str(place or ""), normalise(place_name or "")]
    )
