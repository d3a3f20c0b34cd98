"""The values of an imported cell: dates, times and coordinates, read the ways people write them.

Pure functions (no database, no files): the importer calls them for every cell, and the tests
call them directly. Each raises :class:`ValueProblem` with a message for the user that quotes
the cell's value, never a traceback.

Dates are read with explicit formats in plain code rather than with ``dateparser``: every
accepted form is listed here and in docs/import.md, an ambiguous cell is refused instead of
guessed, and day-first (the region's habit) never silently turns into month-first.

Accepted dates (digits may be Arabic-Indic or Persian):
- ISO 8601: ``2024-03-14``, ``2024-03-14T10:30``, ``2024-03-14 10:30:15+02:00`` (the time is
  kept as written; the offset is dropped), ``2024/03/14``; ``2024-03`` (month), ``2024`` (year);
- day first (or month first when asked): ``14/03/2024``, ``14.03.2024``, ``14-03-2024``,
  ``14/03/24``, with an optional time; ``03/2024`` (month);
- month names in English, Arabic (both the Levantine and the Egyptian series) and Hebrew:
  ``14 March 2024``, ``March 14, 2024``, ``14-Mar-2024``, ``March 2024`` (month),
  ``١٤ آذار ٢٠٢٤``;
- Excel serial numbers (``45365`` = 2024-03-14) and spreadsheet date cells.
"""

# The rules are about look-alike characters (primes, dashes, Arabic digits), written as themselves.
# ruff: noqa: RUF002, RUF003

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testimonia.core.text import normalise

EXACT: Final = "exact"
DAY: Final = "day"
MONTH: Final = "month"
YEAR: Final = "year"

EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)  # Excel's 1900 date system (Lotus bug included)
# Serial numbers from 1927-05-18 to 2099-12-31: well clear of a plain year such as 2024.
EXCEL_SERIAL_MIN: Final = 10_000
EXCEL_SERIAL_MAX: Final = 73_050
YEAR_MIN: Final = 1000
YEAR_MAX: Final = 2999


class ValueProblem(ValueError):
    """A cell that cannot be read; the message says why and quotes the value."""


@dataclass(frozen=True)
class ParsedDate:
    date: dt.date
    precision: str  # exact (with a time), day, month or year: incidents.models.DatePrecision
    time: dt.time | None = None


# ---------------------------------------------------------------------------------------------
# Characters


# Arabic decimal and thousands separators, the Arabic comma and semicolon, typographic minus and
# dashes, and the many ways a degree, minute and second sign is typed.
_PUNCTUATION: Final = str.maketrans(
    {
        "\u066b": ".",  # ٫ Arabic decimal separator
        "\u066c": ",",  # ٬ Arabic thousands separator
        "\u060c": ",",  # ، Arabic comma
        "\u061b": ";",  # ؛ Arabic semicolon
        "\u2212": "-",  # − minus sign
        "\u2013": "-",  # – en dash
        "\u2014": "-",  # — em dash
        "\u2010": "-",  # ‐ hyphen
        "\u00ba": "°",  # º masculine ordinal, often typed for a degree
        "\u02da": "°",  # ˚ ring above
        "\u2032": "'",  # ′ prime
        "\u2019": "'",  # ’
        "\u2018": "'",  # ‘
        "\u00b4": "'",  # ´
        "`": "'",
        "\u02b9": "'",  # ʹ
        "\u2033": '"',  # ″ double prime
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u02ba": '"',  # ʺ
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space
    }
)
_FORMAT_CHARACTERS: Final = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]")


def ascii_digits(text: str) -> str:
    """Every decimal digit (Arabic-Indic ``٠-٩``, Persian ``۰-۹``, ...) as its ASCII digit."""
    return "".join(
        str(unicodedata.decimal(c)) if not c.isascii() and unicodedata.category(c) == "Nd" else c
        for c in text
    )


def clean(text: str) -> str:
    """ASCII digits and separators, no direction marks, single spaces, no spaces at the ends."""
    text = _FORMAT_CHARACTERS.sub("", ascii_digits(text).translate(_PUNCTUATION))
    return " ".join(text.replace("''", '"').split())


# ---------------------------------------------------------------------------------------------
# Dates

_MONTH_NAMES: Final[dict[int, tuple[str, ...]]] = {
    1: ("january", "jan", "يناير", "كانون الثاني", "ינואר"),
    2: ("february", "feb", "فبراير", "شباط", "פברואר"),
    3: ("march", "mar", "مارس", "آذار", "מרץ", "מרס"),
    4: ("april", "apr", "أبريل", "ابريل", "نيسان", "אפריל"),
    5: ("may", "مايو", "أيار", "מאי"),
    6: ("june", "jun", "يونيو", "حزيران", "יוני"),
    7: ("july", "jul", "يوليو", "تموز", "יולי"),
    8: ("august", "aug", "أغسطس", "آب", "אוגוסט"),
    9: ("september", "sep", "sept", "سبتمبر", "أيلول", "ספטמבר"),
    10: ("october", "oct", "أكتوبر", "تشرين الأول", "אוקטובר"),
    11: ("november", "nov", "نوفمبر", "تشرين الثاني", "נובמבר"),
    12: ("december", "dec", "ديسمبر", "كانون الأول", "דצמבר"),
}
# Normalised month name -> month number; two-word names (تشرين الأول) are matched first.
_MONTHS: Final = {
    normalise(name): number for number, names in _MONTH_NAMES.items() for name in names
}
_WEEKDAY_NAMES: Final = (
    "monday tuesday wednesday thursday friday saturday sunday "
    "mon tue tues wed thu thur thurs fri sat sun "
    "الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد "
    "יום ראשון שני שלישי רביעי חמישי שישי שבת"
)
_WEEKDAYS: Final = frozenset(normalise(name) for name in _WEEKDAY_NAMES.split(" "))

_TIME: Final = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
_OFFSET: Final = r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?"
_ISO: Final = re.compile(
    r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})"
    rf"(?:(?:T|\s+)(?:{_TIME}){_OFFSET})?",
    re.IGNORECASE,
)
_YEAR_MONTH: Final = re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})")
_YEAR_ONLY: Final = re.compile(r"(?P<year>\d{4})")
_NUMERIC: Final = re.compile(
    r"(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<year>\d{4}|\d{2})"
    rf"(?:(?:T|,?\s+)(?:{_TIME})\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?)?",
    re.IGNORECASE,
)
_MONTH_YEAR: Final = re.compile(r"(?P<month>\d{1,2})[-/.](?P<year>\d{4})")
_SERIAL: Final = re.compile(r"\d{5}(?:\.\d+)?")
_DAY: Final = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?", re.IGNORECASE)
_TIME_ONLY: Final = re.compile(rf"{_TIME}\s*(?P<ampm>am|pm|a\.m\.|p\.m\.|ص|م)?", re.IGNORECASE)


def parse_date(value: object, *, month_first: bool = False) -> ParsedDate | None:
    """The date in a cell, with its precision; None for an empty cell.

    ``month_first`` reads ``03/14/2024`` as 14 March; the default is day first.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueProblem(_("%(value)r is not a date") % {"value": value})
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=None)
        if moment.time() == dt.time(0, 0):
            return ParsedDate(moment.date(), DAY)
        return ParsedDate(moment.date(), EXACT, moment.time())
    if isinstance(value, dt.date):
        return ParsedDate(value, DAY)
    if isinstance(value, dt.time):
        raise ValueProblem(
            _("%(value)s is a time, not a date: put it in the time column")
            % {"value": value.isoformat()}
        )
    if isinstance(value, int | float):
        return _date_from_number(float(value), str(value))
    text = clean(str(value))
    if not text:
        return None
    try:
        return _date_from_text(text, month_first=month_first)
    except ValueProblem:
        raise
    except ValueError:
        raise _not_a_date(str(value)) from None


def _not_a_date(raw: str) -> ValueProblem:
    return ValueProblem(
        _(
            "%(value)r is not a date that can be read: "
            "write it as 2024-03-14, 14/03/2024 or 14 March 2024"
        )
        % {"value": raw}
    )


def _date_from_number(number: float, raw: str) -> ParsedDate:
    if math.isnan(number) or math.isinf(number):
        raise _not_a_date(raw)
    if number.is_integer() and YEAR_MIN <= number <= YEAR_MAX:
        return ParsedDate(dt.date(int(number), 1, 1), YEAR)
    if EXCEL_SERIAL_MIN <= number <= EXCEL_SERIAL_MAX:
        # A spreadsheet date that lost its date format: days since Excel's epoch.
        moment = EXCEL_EPOCH + dt.timedelta(days=number)
        moment = moment.replace(microsecond=0) + dt.timedelta(
            seconds=round(moment.microsecond / 1_000_000)
        )
        if number.is_integer():
            return ParsedDate(moment.date(), DAY)
        return ParsedDate(moment.date(), EXACT, moment.time())
    raise _not_a_date(raw)


def _real_date(year: int, month: int, day: int, raw: str, *, month_first: bool | None) -> dt.date:
    if not 1 <= month <= 12:
        if month_first is False and 1 <= day <= 12:
            raise ValueProblem(
                _(
                    "%(value)r has no month %(month)d: this file may write the month first "
                    "(use the month-first option)"
                )
                % {"value": raw, "month": month}
            )
        if month_first is True and 1 <= day <= 12:
            raise ValueProblem(
                _(
                    "%(value)r has no month %(month)d: this file may write the day first "
                    "(import it without the month-first option)"
                )
                % {"value": raw, "month": month}
            )
        raise ValueProblem(_("%(value)r has no month %(month)d") % {"value": raw, "month": month})
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValueProblem(
            _("%(value)r: the year %(year)d is not plausible") % {"value": raw, "year": year}
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueProblem(
            _("%(value)r is not a real date (month %(month)d has no day %(day)d)")
            % {"value": raw, "month": month, "day": day}
        ) from None


def _time_of(match: re.Match[str], raw: str) -> dt.time | None:
    if match.group("hour") is None:
        return None
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    second = int(match.group("second") or 0)
    ampm = (match.groupdict().get("ampm") or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueProblem(_("%(value)r is not a time") % {"value": raw})
        hour = hour % 12 + (12 if ampm in ("pm", "م") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueProblem(_("%(value)r is not a time") % {"value": raw})
    return dt.time(hour, minute, second)


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # Two-digit years: the most recent past (or next) year that ends so.
        this_year = dt.date.today().year
        year += 2000 if 2000 + year <= this_year + 1 else 1900
    return year


def _date_from_text(text: str, *, month_first: bool) -> ParsedDate:
    if m := _ISO.fullmatch(text):
        date = _real_date(int(m["year"]), int(m["month"]), int(m["day"]), text, month_first=None)
        time = _time_of(m, text)
        return ParsedDate(date, EXACT if time is not None else DAY, time)
    if m := _YEAR_MONTH.fullmatch(text):
        return ParsedDate(
            _real_date(int(m["year"]), int(m["month"]), 1, text, month_first=None), MONTH
        )
    if m := _YEAR_ONLY.fullmatch(text):
        return _date_from_number(float(m["year"]), text)
    if m := _NUMERIC.fullmatch(text):
        first, second = int(m["a"]), int(m["b"])
        month, day = (first, second) if month_first else (second, first)
        date = _real_date(_full_year(m["year"]), month, day, text, month_first=month_first)
        time = _time_of(m, text)
        return ParsedDate(date, EXACT if time is not None else DAY, time)
    if m := _MONTH_YEAR.fullmatch(text):
        return ParsedDate(
            _real_date(int(m["year"]), int(m["month"]), 1, text, month_first=None), MONTH
        )
    if _SERIAL.fullmatch(text):
        return _date_from_number(float(text), text)
    return _date_from_words(text)


def _date_from_words(text: str) -> ParsedDate:
    """``14 March 2024``, ``March 14, 2024``, ``14-Mar-2024``, ``March 2024``, ``آذار ٢٠٢٤``."""
    time: dt.time | None = None
    words = text
    m = re.search(_TIME_ONLY.pattern + r"\s*$", words, re.IGNORECASE)
    if m and (":" in m.group(0) or m.group("ampm")):
        time = _time_of(m, text)
        words = words[: m.start()]
    # Hyphens, slashes, dots and commas separate the day, the month and the year (14-Mar-2024).
    parts = normalise(re.sub(r"[,/.\-]", " ", words)).split()
    month = year = day = None
    index = 0
    while index < len(parts):
        part = parts[index]
        pair = f"{part} {parts[index + 1]}" if index + 1 < len(parts) else ""
        if pair in _MONTHS and month is None:
            month, index = _MONTHS[pair], index + 2
            continue
        if part in _MONTHS and month is None:
            month = _MONTHS[part]
        elif part[:1] == "\u05d1" and part[1:] in _MONTHS and month is None:
            month = _MONTHS[part[1:]]  # Hebrew "in March": במרץ
        elif part in _WEEKDAYS:
            pass
        elif part.isdigit() and len(part) == 4 and year is None:
            year = int(part)
        elif (number := _DAY.fullmatch(part)) and day is None:
            day = int(number.group(1))
        else:
            raise _not_a_date(text)
        index += 1
    if month is None or year is None:
        raise _not_a_date(text)
    if day is None:
        if time is not None:
            raise _not_a_date(text)
        return ParsedDate(_real_date(year, month, 1, text, month_first=None), MONTH)
    date = _real_date(year, month, day, text, month_first=None)
    return ParsedDate(date, EXACT if time is not None else DAY, time)


def parse_time(value: object) -> dt.time | None:
    """A time of day: ``10:30``, ``10:30:15``, ``10:30 PM``, ``10:30 م``, a spreadsheet time."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.time().replace(tzinfo=None)
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, float | int) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = round(float(value) * 86_400)
        return dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    text = clean(str(value))
    if not text:
        return None
    if m := _TIME_ONLY.fullmatch(text):
        time = _time_of(m, text)
        if time is not None:
            return time
    if m := _ISO.fullmatch(text):
        time = _time_of(m, text)
        if time is not None:
            return time
    raise ValueProblem(_("%(value)r is not a time: write it as 14:30") % {"value": str(value)})


# ---------------------------------------------------------------------------------------------
# Coordinates

LATITUDE: Final = "latitude"
LONGITUDE: Final = "longitude"
_LIMIT: Final = {LATITUDE: 90.0, LONGITUDE: 180.0}
AXIS_NAMES: Final = {LATITUDE: gettext_lazy("latitude"), LONGITUDE: gettext_lazy("longitude")}
_AXIS_OF_LETTER: Final = {"N": LATITUDE, "S": LATITUDE, "E": LONGITUDE, "W": LONGITUDE}
_WORDS: Final = re.compile(r"\b(north|south|east|west)\b", re.IGNORECASE)
# A hemisphere letter stands alone or beside a number, never inside a word ("Gaza", "here").
_LETTER: Final = re.compile(r"(?<![^\W\d_])[NSEWnsew](?![^\W\d_])")
_NUMBER: Final = r"\d+(?:[.,]\d+)?"
_COMPONENT: Final = re.compile(rf"\s*({_NUMBER})\s*([°'\"]?)")
_BODY: Final = re.compile(rf"(?:\s*{_NUMBER}\s*[°'\"]?)+\s*")
_NULLS: Final = re.compile(r"[\s,;]*(?:(?:none|null|nan|n/a)[\s,;]*)*", re.IGNORECASE)
_WKT: Final = re.compile(rf"point\s*\(\s*(-?{_NUMBER})\s+(-?{_NUMBER})\s*\)", re.IGNORECASE)
_UNITS: Final = ("°", "'", '"')


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    accuracy: float | None = None  # metres, from an ODK/KoBo geopoint


def _spell_letters(text: str) -> str:
    return _WORDS.sub(lambda m: m.group(1)[0].upper(), text)


def parse_angle(value: object, axis: str) -> float | None:
    """One latitude or longitude: decimal (``31.5``, ``31,5``, ``-34.45``, ``31.5N``) or
    degrees, minutes and seconds (``31°30'15"N``, ``31 30 15 N``, ``N 31°30.25'``,
    ``31°30′15″``), with the hemisphere letter anywhere. None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueProblem(
            _("%(value)r is not a %(axis)s") % {"value": value, "axis": AXIS_NAMES[axis]}
        )
    if isinstance(value, int | float):
        if math.isnan(value):
            return None
        return _in_range(float(value), axis, str(value))
    text = clean(str(value))
    if not text or _NULLS.fullmatch(text):
        return None
    return _in_range(_angle(text, axis, str(value)), axis, str(value))


def _angle(text: str, axis: str, raw: str) -> float:
    text = _spell_letters(text)
    letters = _LETTER.findall(text)
    if len(letters) > 1:
        raise ValueProblem(
            _("%(value)r has more than one of the letters N, S, E, W") % {"value": raw}
        )
    letter = letters[0].upper() if letters else None
    if letter is not None and _AXIS_OF_LETTER[letter] != axis:
        raise ValueProblem(
            _("%(value)r is marked %(letter)s, which is not a %(axis)s")
            % {"value": raw, "letter": letter, "axis": AXIS_NAMES[axis]}
        )
    body = _LETTER.sub(" ", text).strip()
    sign = ""
    if body and body[0] in "+-":
        sign, body = body[0], body[1:]
    if not body or not _BODY.fullmatch(body):
        raise ValueProblem(
            _("%(value)r is not a %(axis)s") % {"value": raw, "axis": AXIS_NAMES[axis]}
        )
    components = _COMPONENT.findall(body)
    if len(components) > 3:
        raise ValueProblem(_("%(value)r has too many numbers") % {"value": raw})
    for position, (number, unit) in enumerate(components):
        if unit and unit != _UNITS[position]:
            raise ValueProblem(
                _("%(value)r: the signs for degrees, minutes and seconds are out of order")
                % {"value": raw}
            )
        if position < len(components) - 1 and re.search(r"[.,]", number):
            raise ValueProblem(
                _("%(value)r: only the last of degrees, minutes and seconds may have decimals")
                % {"value": raw}
            )
    numbers = [float(n.replace(",", ".")) for n, _unit in components]
    if any(n >= 60 for n in numbers[1:]):
        raise ValueProblem(_("%(value)r: minutes and seconds must be below 60") % {"value": raw})
    degrees = numbers[0] + sum(n / 60.0**i for i, n in enumerate(numbers[1:], start=1))
    if letter in ("S", "W"):
        if sign:
            raise ValueProblem(
                _("%(value)r has both a sign and the letter %(letter)s: write one of them")
                % {"value": raw, "letter": letter}
            )
        return -degrees
    if letter is not None and sign == "-":
        raise ValueProblem(
            _("%(value)r has a minus sign and the letter %(letter)s: write one of them")
            % {"value": raw, "letter": letter}
        )
    return -degrees if sign == "-" else degrees


def _in_range(number: float, axis: str, raw: str) -> float:
    limit = _LIMIT[axis]
    if math.isinf(number) or not -limit <= number <= limit:
        raise ValueProblem(
            _("the %(axis)s %(value)r is outside -%(limit)d..%(limit)d")
            % {"axis": AXIS_NAMES[axis], "value": raw, "limit": limit}
        )
    return number


def parse_point(value: object) -> Point | None:
    """Both coordinates from one cell: ``31.5, 34.45``, ``31.5;34.45``, ``31,5 34,45``,
    ``31°30'15"N 34°27'E``, ``N31 30 15 E34 27 0``, ``34.45E 31.5N``, an ODK/KoBo geopoint
    ``31.5 34.45 12 5`` (latitude, longitude, altitude, accuracy in metres), KoBo's
    ``[31.5, 34.45]``, or ``POINT(34.45 31.5)`` (WKT: longitude first). Latitude comes first
    unless letters or WKT say otherwise. None for an empty cell."""
    if value is None:
        return None
    raw = str(value)
    text = clean(raw)
    if not text or _NULLS.fullmatch(text.strip("[]() ")):
        return None
    text = _spell_letters(text)
    if m := _WKT.fullmatch(text):
        lon, lat = (float(g.replace(",", ".")) for g in m.groups())
        return Point(_in_range(lat, LATITUDE, raw), _in_range(lon, LONGITUDE, raw))
    text = text.strip("[]() ")
    letters = list(_LETTER.finditer(text))
    if len(letters) not in (0, 2):
        raise ValueProblem(
            _("%(value)r: write both coordinates with a letter each (31.5N 34.45E) or none")
            % {"value": raw}
        )
    numbers = text.split()
    if not letters and 3 <= len(numbers) <= 4 and all(_plain(n) for n in numbers):
        # An ODK/KoBo geopoint: latitude longitude altitude accuracy.
        accuracy = float(numbers[3]) if len(numbers) == 4 else None
        return Point(
            _in_range(float(numbers[0]), LATITUDE, raw),
            _in_range(float(numbers[1]), LONGITUDE, raw),
            accuracy,
        )
    if not letters and len(numbers) == 6 and all(re.fullmatch(_NUMBER, n) for n in numbers):
        numbers = [" ".join(numbers[:3]), " ".join(numbers[3:])]
        return Point(
            _in_range(_angle(numbers[0], LATITUDE, raw), LATITUDE, raw),
            _in_range(_angle(numbers[1], LONGITUDE, raw), LONGITUDE, raw),
        )
    first_problem: ValueProblem | None = None
    for first, second in _splits(text, letters):
        try:
            return _pair(first, second, raw)
        except ValueProblem as problem:
            first_problem = first_problem or problem
    raise first_problem or ValueProblem(
        _("%(value)r: cannot tell the latitude from the longitude; separate them with a comma")
        % {"value": raw}
    )


def _plain(text: str) -> bool:
    return re.fullmatch(r"[-+]?\d+(?:\.\d+)?", text) is not None


def _splits(text: str, letters: list[re.Match[str]]) -> list[tuple[str, str]]:
    """The ways to cut a two-coordinate cell in two, most explicit first."""
    cuts: list[tuple[str, str]] = []

    def cut(at: int, skip: int = 0) -> None:
        first, second = text[:at].strip(" ,;"), text[at + skip :].strip(" ,;")
        if first and second and (first, second) not in cuts:
            cuts.append((first, second))

    if text.count(";") == 1:
        cut(text.index(";"), 1)
    if len(commas := list(re.finditer(r",\s+", text))) == 1:
        cut(commas[0].start(), len(commas[0].group(0)))
    if letters:
        cut(letters[0].end())
        cut(letters[1].start())
    if len(degrees := list(re.finditer(rf"{_NUMBER}\s*°", text))) == 2:
        cut(degrees[1].start())
    if text.count(",") == 1 and " " not in text:
        cut(text.index(","), 1)
    if len(words := text.split()) == 2:
        cut(len(words[0]))
    return cuts


def _pair(first: str, second: str, raw: str) -> Point:
    axes = [LATITUDE, LONGITUDE]
    lettered = [_LETTER.search(part) for part in (first, second)]
    if all(lettered):
        axes = [_AXIS_OF_LETTER[m.group(0).upper()] for m in lettered if m is not None]
        if axes[0] == axes[1]:
            raise ValueProblem(
                _("%(value)r has two latitudes (N, S) or two longitudes (E, W)") % {"value": raw}
            )
    elif any(lettered):
        raise ValueProblem(
            _("%(value)r: write both coordinates with a letter each (31.5N 34.45E) or none")
            % {"value": raw}
        )
    values = {
        axis: _in_range(_angle(part, axis, raw), axis, raw)
        for axis, part in zip(axes, (first, second), strict=True)
    }
    return Point(values[LATITUDE], values[LONGITUDE])


Box = tuple[float, float, float, float]  # south, west, north, east


def inside(box: Box, latitude: float, longitude: float) -> bool:
    south, west, north, east = box
    return south <= latitude <= north and west <= longitude <= east


def swapped_hint(box: Box | None, latitude: float, longitude: float) -> bool:
    """True when the point lies outside the region but would lie inside with the latitude and
    longitude exchanged: the columns are probably swapped."""
    if box is None or inside(box, latitude, longitude):
        return False
    return abs(longitude) <= 90 and inside(box, longitude, latitude)
