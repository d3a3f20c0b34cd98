"""Shared pieces of metadata extraction: limits, the `Extraction` value, JSON-safe bounded
raw values, times and places (see the package docstring)."""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

EXTRACTOR = "testimonia.metadata/1"

MAX_TEXT = 4096  # characters of one raw string
MAX_BYTES = 2048  # bytes of one raw binary value (shown as 4096 hex digits)
MAX_ITEMS = 1000  # entries of one raw list or mapping
MAX_DEPTH = 12
MAX_RAW_CHARS = 2_000_000  # the whole raw record, roughly
MAX_ERRORS = 100
MAX_ERROR_CHARS = 500

OFFICE_PART_LIMIT = 2 * 1024 * 1024  # docProps/core.xml and app.xml: larger is refused
FFPROBE_TIMEOUT_S = 60
FFPROBE_OUTPUT_LIMIT = 8 * 1024 * 1024
# Demuxers ffprobe may use: the containers of camera, phone and messenger video and audio.
# Playlists, concat scripts and image sequences (which open other files) are not among them.
AV_DEMUXERS = "mov,matroska,avi,asf,mpegts,mpeg,flv,mp3,wav,ogg,flac,aac,aiff,amr,caf,w64"

ISOLATED_TIMEOUT_S = 120
ISOLATED_MEMORY_BYTES = 2 * 1024**3  # address space of the child (ffprobe inherits it)
ISOLATED_CPU_S = 90
ISOLATED_FILE_BYTES = 64 * 1024**2  # largest file the child (or ffprobe) may write

IMAGE_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "GIF", "BMP")  # JPEG includes MPO
OOXML_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)
ZIP = "application/zip"
PDF = "application/pdf"

NORMALISED_KEYS = (
    "kind",
    "captured_at",
    "captured_at_zone",
    "gps",
    "device",
    "duration_s",
    "width",
    "height",
    "codecs",
    "title",
    "author",
    "created_at",
    "modified_at",
    "page_count",
    "producer",
)
NAIVE = "naive"
ZERO_PLACEHOLDER = "zero: 0,0 is the usual placeholder for 'no fix'"


@dataclass(frozen=True)
class Extraction:
    """What one extractor version found in one file."""

    raw: dict[str, Any]
    normalised: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)
    extractor: str = EXTRACTOR
    # True when the environment, not the file, prevented extraction (ffprobe not installed,
    # the child process could not start): such a result is not recorded, so a later run with
    # the tool present can extract and record it.
    unavailable: bool = False

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Extraction:
        """Read back what the child printed, checking the shape of every field."""
        if not isinstance(data, dict):
            raise ValueError("an extraction is a JSON object")
        raw, normalised, errors, tools = (
            data.get(k) for k in ("raw", "normalised", "errors", "tools")
        )
        if not (isinstance(raw, dict) and isinstance(normalised, dict)):
            raise ValueError("raw and normalised must be objects")
        if not (isinstance(errors, list) and all(isinstance(e, str) for e in errors)):
            raise ValueError("errors must be a list of strings")
        if not (isinstance(tools, dict) and all(isinstance(v, str) for v in tools.values())):
            raise ValueError("tools must map names to versions")
        extractor, unavailable = str(data.get("extractor")), bool(data.get("unavailable"))
        return cls(raw, normalised, errors, tools, extractor, unavailable)


def empty_normalised(kind: str) -> dict[str, Any]:
    """Every normalised key, unknown (None) until an extractor fills it."""
    values: dict[str, Any] = dict.fromkeys(NORMALISED_KEYS)
    values["kind"] = kind
    values["codecs"] = []
    return values


class _Findings:
    """Collects one extraction: raw values, normalised values, errors (capped)."""

    def __init__(self, kind: str) -> None:
        self.raw: dict[str, Any] = {}
        self.normalised = empty_normalised(kind)
        self.errors: list[str] = []
        self.tools: dict[str, str] = {}
        self.unavailable = False

    def error(self, text: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text[:MAX_ERROR_CHARS])

    def failure(self, what: str, exc: BaseException) -> None:
        detail = str(exc).strip()
        self.error(f"{what}: {type(exc).__name__}" + (f": {detail}" if detail else ""))

    def done(self) -> Extraction:
        return Extraction(
            raw=json_safe(self.raw),
            normalised=self.normalised,
            errors=self.errors,
            tools=self.tools,
            unavailable=self.unavailable,
        )


# --- JSON-safe, bounded raw values -------------------------------------------------------


class _Budget:
    def __init__(self, chars: int) -> None:
        self.left = chars

    def take(self, n: int) -> bool:
        self.left -= n
        return self.left >= 0


def json_safe(value: Any, budget: int = MAX_RAW_CHARS) -> Any:
    """A copy of `value` that JSON (and PostgreSQL's jsonb) can hold, within the caps.

    Markers say what was changed: binary values become {"$bytes": hex, "length": n}; a long
    string {"$text": first 4096 characters, "length": n, "truncated": true}; a long list
    {"$list": first 1000 items, "length": n, "truncated": true}; a long mapping keeps its first
    1000 keys and "$truncated_keys": how many more. Rationals become floats (or "n/0"), non-
    finite floats strings, anything else its text. Past the overall budget, "$omitted".
    """
    return _safe(value, _Budget(budget), 0)


def _safe(value: Any, budget: _Budget, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if depth > MAX_DEPTH:
        return "$too_deep"
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, numbers.Rational):  # Pillow's IFDRational, Fraction
        if value.denominator == 0:
            return f"{value.numerator}/0"
        return float(value)
    if isinstance(value, str):
        return _safe_text(value, budget)
    if isinstance(value, bytes | bytearray | memoryview):
        return _safe_bytes(bytes(value[: MAX_BYTES + 1]), len(value), budget)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= MAX_ITEMS:
                out["$truncated_keys"] = len(value) - MAX_ITEMS
                break
            name = _key(key)
            if not budget.take(len(name)):
                out["$omitted"] = True
                break
            out[name] = _safe(item, budget, depth + 1)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value) if not isinstance(value, list | tuple) else value
        kept = [_safe(item, budget, depth + 1) for item in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            return {"$list": kept, "length": len(items), "truncated": True}
        return kept
    return _safe_text(str(value)[: MAX_TEXT + 1], budget)


def _key(key: Any) -> str:
    text = key if isinstance(key, str) else str(key)
    text = text.replace("\x00", "")[:256]
    return text.encode("utf-8", "replace").decode("utf-8")


def _safe_text(text: str, budget: _Budget) -> Any:
    if "\x00" in text:
        text = text.rstrip("\x00")  # C strings padded with NULs
    try:
        text.encode("utf-8")
        storable = "\x00" not in text  # jsonb refuses NUL
    except UnicodeEncodeError:  # lone surrogates: not text any JSON store accepts
        storable = False
    if not storable:  # keep the exact code units as bytes instead
        data = text.encode("utf-8", "surrogatepass")
        return _safe_bytes(data[: MAX_BYTES + 1], len(data), budget)
    if not budget.take(min(len(text), MAX_TEXT)):
        return "$omitted"
    if len(text) > MAX_TEXT:
        return {"$text": text[:MAX_TEXT], "length": len(text), "truncated": True}
    return text


def _safe_bytes(head: bytes, length: int, budget: _Budget) -> Any:
    kept = head[:MAX_BYTES]
    if not budget.take(2 * len(kept)):
        return "$omitted"
    out: dict[str, Any] = {"$bytes": kept.hex(), "length": length}
    if length > len(kept):
        out["truncated"] = True
    return out


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A short display string for a normalised field, or None when empty or not text."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = "".join(ch for ch in value.replace("\x00", "") if ch.isprintable() or ch in "\n\t")
    text = text.strip()
    return text[:limit] or None


# --- times -------------------------------------------------------------------------------

_EXIF_TIME = re.compile(r"\A(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})\Z")
_OFFSET = re.compile(r"\A([+-])(\d{2}):?(\d{2})\Z")
_PDF_TIME = re.compile(
    r"\A(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
    r"(?:(Z)|([+-])(\d{2})'?(?:(\d{2})'?)?)?\Z"
)


def _zone_of(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:
        return NAIVE
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _parse_offset(text: str) -> timezone:
    if text.strip().upper() == "Z":
        return UTC
    match = _OFFSET.match(text.strip())
    if not match:
        raise ValueError(f"not a UTC offset: {text!r}")
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        raise ValueError(f"UTC offset out of range: {text!r}")
    return timezone(-delta if sign == "-" else delta)


def exif_time(
    value: Any, offset: Any, subsec: Any, name: str, findings: _Findings
) -> datetime | None:
    """An EXIF "YYYY:MM:DD HH:MM:SS" with its optional OffsetTime* and SubSecTime*.

    Blank or all-zero values (how EXIF says "unknown") are absent, not errors.
    """
    text = _text(value, 64)
    if text is None or set(text) <= set("0: "):
        return None
    match = _EXIF_TIME.match(text)
    try:
        if not match:
            raise ValueError("not in the EXIF form YYYY:MM:DD HH:MM:SS")
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        findings.error(f"{name} {text!r} is not a valid date and time ({exc})")
        return None
    digits = _text(subsec, 16)
    if digits and digits.isdigit():
        moment = moment.replace(microsecond=int((digits + "000000")[:6]))
    zone = _text(offset, 16)
    if zone:
        try:
            moment = moment.replace(tzinfo=_parse_offset(zone))
        except ValueError as exc:
            findings.error(f"offset of {name}: {exc}; the time is kept without a zone")
    return moment


def iso_time(value: Any, name: str, findings: _Findings) -> datetime | None:
    """An ISO 8601 / W3CDTF time as containers and Office files write it."""
    text = _text(value, 64)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        findings.error(f"{name} {text!r} is not an ISO 8601 date and time")
        return None


def pdf_time(value: Any, name: str, findings: _Findings) -> datetime | None:
    """A PDF date, D:YYYYMMDDHHmmSS with an optional Z or +HH'mm' (PDF 32000 §7.9.4)."""
    text = _text(value, 64)
    if text is None:
        return None
    match = _PDF_TIME.match(text.replace(" ", ""))
    try:
        if not match:
            raise ValueError("not in the PDF form D:YYYYMMDDHHmmSS+HH'mm'")
        year, month, day, hour, minute, second, z, sign, oh, om = match.groups()
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
        if z:
            moment = moment.replace(tzinfo=UTC)
        elif sign:
            moment = moment.replace(tzinfo=_parse_offset(f"{sign}{oh}:{om or '00'}"))
    except ValueError as exc:
        findings.error(f"{name} {text!r} is not a valid PDF date ({exc})")
        return None
    return moment


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def set_captured(findings: _Findings, moment: datetime | None) -> None:
    if moment is not None:
        findings.normalised["captured_at"] = moment.isoformat()
        findings.normalised["captured_at_zone"] = _zone_of(moment)


# --- places ------------------------------------------------------------------------------

_ISO6709 = re.compile(
    r"\A([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?(?:CRS[A-Za-z0-9_:]*)?/?\Z"
)


def _iso6709_angle(token: str, degree_digits: int) -> float:
    sign = -1.0 if token[0] == "-" else 1.0
    whole, _, fraction = token[1:].partition(".")
    frac = float("0." + fraction) if fraction else 0.0
    if len(whole) == degree_digits:  # ±DD.DD
        return sign * (int(whole) + frac)
    if len(whole) == degree_digits + 2:  # ±DDMM.MM
        minutes = int(whole[-2:]) + frac
        return sign * _dms(int(whole[:-2]), minutes, 0.0)
    if len(whole) == degree_digits + 4:  # ±DDMMSS.SS
        seconds = int(whole[-2:]) + frac
        return sign * _dms(int(whole[:-4]), int(whole[-4:-2]), seconds)
    raise ValueError(f"{token!r} has {len(whole)} integer digits")


def parse_iso6709(text: str) -> tuple[float, float, float | None]:
    """Latitude, longitude (decimal degrees) and altitude (metres) of an ISO 6709 string
    such as "+31.5017+034.4668/" or "+48.8577+002.295+035.000/"."""
    match = _ISO6709.match(text.strip())
    if not match:
        raise ValueError(f"{text[:80]!r} is not an ISO 6709 position")
    lat_token, lon_token, alt_token = match.groups()
    altitude = float(alt_token) if alt_token else None
    return _iso6709_angle(lat_token, 2), _iso6709_angle(lon_token, 3), altitude


def _dms(degrees: float, minutes: float, seconds: float) -> float:
    if not all(math.isfinite(v) for v in (degrees, minutes, seconds)):
        raise ValueError("not a finite number")
    if degrees < 0 or not 0 <= minutes < 60 or not 0 <= seconds < 60:
        raise ValueError(f"{degrees}° {minutes}' {seconds}\" is not a valid angle")
    return degrees + minutes / 60 + seconds / 3600


def gps_point(
    lat: float, lon: float, alt: float | None, findings: _Findings, *, when: str | None = None
) -> dict[str, Any] | None:
    """A validated position: None (and an error) when out of range; 0,0 kept but flagged."""
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        findings.error(f"GPS latitude {lat} is outside -90..90; position not used")
        return None
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        findings.error(f"GPS longitude {lon} is outside -180..180; position not used")
        return None
    if alt is not None and not (math.isfinite(alt) and -12_000 <= alt <= 100_000):
        findings.error(f"GPS altitude {alt} m is not plausible; altitude not used")
        alt = None
    flags = [ZERO_PLACEHOLDER] if lat == 0 and lon == 0 else []
    return {
        "lat": round(lat, 8),
        "lon": round(lon, 8),
        "alt": round(alt, 3) if alt is not None else None,
        "time": when,
        "flags": flags,
    }
