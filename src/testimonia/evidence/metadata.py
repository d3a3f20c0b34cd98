"""Metadata of a stored original: read it, keep it raw, and normalise it beside the raw copy.

Pure module (no Django import): functions take a path and a media type and return an
`Extraction`, a plain value that the vault stores as a separate, versioned record. Nothing here
writes to the file it reads.

Why hand-written glue rather than one library: no single library reads EXIF, video/audio
containers, PDF and Office files, and none normalises what they find into one shape (decimal
degrees with validated ranges, ISO 8601 times that say whether the file had a zone). So each
format goes to the well-tested reader for it (Pillow for EXIF, ffprobe for audio and video,
pypdf for PDF, the zip module with defusedxml for Office Open XML), and this module does the
part none of them does: it makes every raw value JSON-safe and bounded, checks and converts
the values that matter in court, and turns every failure into an entry in `errors`.

The files are untrusted. Every extractor catches what its parser raises (an error entry,
never an exception out of it); raw values are capped (strings 4 KB, lists 1000 entries, the
whole raw record about 2 MB); Office parts are read with a size limit (zip bombs) and parsed
with defusedxml with DTDs refused (entity expansion); ffprobe runs with a fixed argument
list, a timeout, and only the file protocol and the container formats listed below.
`extract_isolated` runs all of this in a child process with memory, CPU and file-size limits
and a wall-clock timeout, so a parser that loops or balloons on a crafted file costs one
error entry, not the worker.

Run as a module (`python -m testimonia.evidence.metadata MEDIA_TYPE PATH`) it is that child:
it limits itself, extracts, and prints the extraction as JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import numbers
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
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


# --- images (Pillow) ---------------------------------------------------------------------


def _number(value: Any) -> float:
    if isinstance(value, numbers.Rational) and value.denominator == 0:
        raise ValueError(f"{value.numerator}/0 is not a number")
    return float(value)


def _exif_angle(value: Any, ref: Any, positive: str, negative: str, name: str) -> float:
    parts = list(value) if isinstance(value, tuple | list) else [value]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"{name} has {len(parts)} parts, expected degrees, minutes, seconds")
    numbers_ = [_number(p) for p in parts] + [0.0] * (3 - len(parts))
    angle = _dms(*numbers_)
    hemisphere = (_text(ref, 8) or "").upper()
    if hemisphere == negative:
        return -angle
    if hemisphere == positive:
        return angle
    raise ValueError(f"{name}Ref is {hemisphere or 'missing'}: hemisphere unknown")


def _exif_gps(gps: Mapping[int, Any], findings: _Findings) -> None:
    from PIL import ExifTags

    tags = ExifTags.GPS
    if tags.GPSLatitude not in gps and tags.GPSLongitude not in gps:
        return
    try:
        lat = _exif_angle(
            gps.get(tags.GPSLatitude), gps.get(tags.GPSLatitudeRef), "N", "S", "GPSLatitude"
        )
        lon = _exif_angle(
            gps.get(tags.GPSLongitude), gps.get(tags.GPSLongitudeRef), "E", "W", "GPSLongitude"
        )
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        findings.error(f"GPS position not used: {exc}")
        return
    alt: float | None = None
    if tags.GPSAltitude in gps:
        try:
            alt = _number(gps[tags.GPSAltitude])
            ref = gps.get(tags.GPSAltitudeRef)
            below = ref in (1, b"\x01") or (isinstance(ref, bytes) and ref[:1] == b"\x01")
            alt = -alt if below else alt
        except (ValueError, TypeError, ZeroDivisionError) as exc:
            findings.error(f"GPS altitude not used: {exc}")
    when = None
    if tags.GPSDateStamp in gps and tags.GPSTimeStamp in gps:
        try:
            day = datetime.strptime(_text(gps[tags.GPSDateStamp], 16) or "", "%Y:%m:%d")
            hours, minutes, seconds = (_number(p) for p in gps[tags.GPSTimeStamp])
            moment = day.replace(tzinfo=UTC) + timedelta(
                hours=hours, minutes=minutes, seconds=seconds
            )
            when = moment.isoformat()
        except (ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
            findings.error(f"GPS date/time stamp not used: {exc}")
    findings.normalised["gps"] = gps_point(lat, lon, alt, findings, when=when)


def _named(tags: Mapping[int, Any], names: Mapping[int, str]) -> dict[str, Any]:
    return {names.get(tag, f"0x{tag:04x}"): value for tag, value in tags.items()}


def extract_image(path: Path) -> Extraction:
    """EXIF of a JPEG, PNG, TIFF, WebP, GIF or BMP: the base IFD, the Exif IFD, the GPS IFD."""
    import PIL
    from PIL import ExifTags, Image, UnidentifiedImageError

    findings = _Findings("image")
    findings.tools["pillow"] = PIL.__version__
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with Image.open(path, formats=IMAGE_FORMATS) as image:
                findings.raw["format"] = image.format
                findings.raw["size"] = list(image.size)
                findings.raw["info"] = {
                    k: v for k, v in image.info.items() if k not in ("exif", "icc_profile")
                }
                findings.normalised["width"], findings.normalised["height"] = image.size
                exif = image.getexif()
                base = dict(exif.items())
                exif_ifd = _ifd(exif, ExifTags.IFD.Exif, findings, "Exif IFD")
                gps_ifd = _ifd(exif, ExifTags.IFD.GPSInfo, findings, "GPS IFD")
        except UnidentifiedImageError:
            known = ", ".join(IMAGE_FORMATS)
            findings.error(f"not readable as {known}: damaged, or another image format")
            return findings.done()
        except Exception as exc:  # a hostile file may make Pillow raise anything
            findings.failure("the image could not be read", exc)
            return findings.done()
    for warning in caught:
        findings.error(f"image reader warning: {warning.message}")
    findings.raw["exif"] = _named(base, ExifTags.TAGS)
    findings.raw["exif_ifd"] = _named(exif_ifd, ExifTags.TAGS)
    findings.raw["gps"] = _named(gps_ifd, ExifTags.GPSTAGS)
    _normalise_exif(base, exif_ifd, gps_ifd, findings)
    return findings.done()


def _ifd(exif: Any, tag: int, findings: _Findings, name: str) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception as exc:  # a corrupt sub-IFD must not lose the rest
        findings.failure(f"the {name} could not be read", exc)
        return {}


def _normalise_exif(
    base: Mapping[int, Any],
    exif_ifd: Mapping[int, Any],
    gps_ifd: Mapping[int, Any],
    findings: _Findings,
) -> None:
    from PIL import ExifTags

    t = ExifTags.Base
    n = findings.normalised
    set_captured(
        findings,
        exif_time(
            exif_ifd.get(t.DateTimeOriginal),
            exif_ifd.get(t.OffsetTimeOriginal),
            exif_ifd.get(t.SubsecTimeOriginal),
            "DateTimeOriginal",
            findings,
        ),
    )
    n["created_at"] = _iso(
        exif_time(
            exif_ifd.get(t.DateTimeDigitized),
            exif_ifd.get(t.OffsetTimeDigitized),
            exif_ifd.get(t.SubsecTimeDigitized),
            "DateTimeDigitized",
            findings,
        )
    )
    n["modified_at"] = _iso(
        exif_time(
            base.get(t.DateTime),
            exif_ifd.get(t.OffsetTime),
            exif_ifd.get(t.SubsecTime),
            "DateTime",
            findings,
        )
    )
    n["device"] = _device(base.get(t.Make), base.get(t.Model), base.get(t.Software))
    n["author"] = _text(base.get(t.Artist), 500)
    n["title"] = _text(base.get(t.ImageDescription), 500)
    _exif_gps(gps_ifd, findings)


def _device(make: Any, model: Any, software: Any) -> dict[str, str | None] | None:
    device = {
        "make": _text(make, 200),
        "model": _text(model, 200),
        "software": _text(software, 200),
    }
    return device if any(device.values()) else None


# --- video and audio (ffprobe) -----------------------------------------------------------


def ffprobe_argv(executable: str, path: Path) -> list[str]:
    """The fixed argument list: only the file protocol, only the listed demuxers."""
    if not path.is_absolute():
        raise ValueError("ffprobe is given absolute paths only")
    options = ["-v", "error", "-protocol_whitelist", "file", "-format_whitelist", AV_DEMUXERS]
    report = ["-print_format", "json", "-show_format", "-show_streams"]
    return [executable, *options, *report, f"file:{path}"]


def _ffprobe_version(executable: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [executable, "-version"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    first = done.stdout.decode("utf-8", "replace").split("\n", 1)[0]
    match = re.match(r"ffprobe version (\S+)", first)
    return match.group(1) if match else "unknown"


def extract_av(path: Path, *, ffprobe: str = "ffprobe") -> Extraction:
    """Container and stream metadata of a video or audio file, read by ffprobe."""
    findings = _Findings("video")
    executable = shutil.which(ffprobe)
    if executable is None:
        findings.error(
            "ffprobe was not found: install FFmpeg (the Debian package ffmpeg) to read "
            "video and audio metadata"
        )
        findings.unavailable = True
        return findings.done()
    findings.tools["ffprobe"] = _ffprobe_version(executable)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv, no shell, absolute path
                ffprobe_argv(executable, path),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                timeout=FFPROBE_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            findings.error(f"ffprobe did not finish within {FFPROBE_TIMEOUT_S} s")
            return findings.done()
        except OSError as exc:
            findings.failure("ffprobe could not be run", exc)
            findings.unavailable = True
            return findings.done()
        size = out.seek(0, os.SEEK_END)
        err.seek(max(0, err.seek(0, os.SEEK_END) - 1000))
        message = err.read().decode("utf-8", "replace").replace(str(path), "<file>").strip()
        if done.returncode != 0:
            findings.error(f"ffprobe could not read the file: {message or done.returncode}")
            return findings.done()
        if size > FFPROBE_OUTPUT_LIMIT:
            findings.error(f"ffprobe's report is {size} bytes, over the limit; not read")
            return findings.done()
        out.seek(0)
        try:
            report = json.loads(out.read())
        except ValueError as exc:
            findings.failure("ffprobe's report is not JSON", exc)
            return findings.done()
    if not isinstance(report, dict):
        findings.error("ffprobe's report is not a JSON object")
        return findings.done()
    fmt: dict[str, Any] = report["format"] if isinstance(report.get("format"), dict) else {}
    fmt.pop("filename", None)  # the store's path: not metadata of the file
    findings.raw["ffprobe"] = report
    _normalise_av(fmt, [s for s in report.get("streams") or [] if isinstance(s, dict)], findings)
    return findings.done()


def _tags(obj: Mapping[str, Any]) -> dict[str, Any]:
    tags = obj.get("tags")
    return {str(k).lower(): v for k, v in tags.items()} if isinstance(tags, dict) else {}


def _normalise_av(
    fmt: Mapping[str, Any], streams: list[dict[str, Any]], findings: _Findings
) -> None:
    n = findings.normalised
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video"
        and not (s.get("disposition") or {}).get("attached_pic")  # cover art is not video
    ]
    n["kind"] = "video" if videos else "audio"
    try:
        duration = float(fmt.get("duration", "nan"))
        n["duration_s"] = duration if math.isfinite(duration) and duration >= 0 else None
    except (TypeError, ValueError):
        findings.error(f"duration {str(fmt.get('duration'))[:40]!r} is not a number")
    codecs: list[str] = []
    for stream in streams:
        name = _text(stream.get("codec_name"), 64)
        if name and name not in codecs:
            codecs.append(name)
    n["codecs"] = codecs
    if videos:
        width, height = videos[0].get("width"), videos[0].get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            n["width"], n["height"] = width, height
    tags = _tags(fmt)
    for stream in streams:
        for key, value in _tags(stream).items():
            tags.setdefault(key, value)
    created = iso_time(tags.get("creation_time"), "creation_time", findings)
    n["created_at"] = _iso(created)
    # QuickTime's creationdate carries the device's local offset; creation_time is UTC.
    local = iso_time(
        tags.get("com.apple.quicktime.creationdate"), "com.apple.quicktime.creationdate", findings
    )
    set_captured(findings, local or created)
    location = next(
        (
            tags[key]
            for key in ("com.apple.quicktime.location.iso6709", "location", "location-eng")
            if isinstance(tags.get(key), str)
        ),
        None,
    )
    if location is not None:
        try:
            lat, lon, alt = parse_iso6709(location)
        except ValueError as exc:
            findings.error(f"location not used: {exc}")
        else:
            n["gps"] = gps_point(lat, lon, alt, findings)
    android = _text(tags.get("com.android.version"), 40)
    n["device"] = _device(
        tags.get("com.apple.quicktime.make") or tags.get("make"),
        tags.get("com.apple.quicktime.model") or tags.get("model"),
        tags.get("com.apple.quicktime.software")
        or (f"Android {android}" if android else None)
        or tags.get("encoder"),
    )
    n["title"] = _text(tags.get("title"), 500)
    n["author"] = _text(tags.get("artist") or tags.get("author"), 500)


# --- PDF (pypdf) -------------------------------------------------------------------------


def extract_pdf(path: Path) -> Extraction:
    """The document information dictionary and the page count of a PDF."""
    import pypdf

    findings = _Findings("pdf")
    findings.tools["pypdf"] = pypdf.__version__
    # pypdf reads a whole file into memory when given a path; given a handle it seeks.
    with path.open("rb") as handle:
        try:
            reader = pypdf.PdfReader(handle, strict=False)
            findings.raw["pdf_header"] = reader.pdf_header
            if reader.is_encrypted and not reader.decrypt(""):
                findings.error("encrypted: its document information needs the password")
                return findings.done()
        except Exception as exc:  # a hostile file may make pypdf raise anything
            findings.failure("the PDF could not be read", exc)
            return findings.done()
        info: dict[str, Any] = {}
        try:
            meta = reader.metadata
            if meta is not None:
                for index, key in enumerate(meta):
                    if index >= MAX_ITEMS:
                        break
                    info[str(key)] = meta[key]
        except Exception as exc:
            findings.failure("the document information could not be read", exc)
        findings.raw["info"] = info
        try:
            pages = len(reader.pages)
            findings.raw["page_count"] = pages
            findings.normalised["page_count"] = pages
        except Exception as exc:
            findings.failure("the pages could not be counted", exc)
    n = findings.normalised
    n["title"] = _text(info.get("/Title"), 500)
    n["author"] = _text(info.get("/Author"), 500)
    n["producer"] = _text(info.get("/Producer"), 200)
    n["device"] = _device(None, None, info.get("/Creator"))
    n["created_at"] = _iso(pdf_time(info.get("/CreationDate"), "CreationDate", findings))
    n["modified_at"] = _iso(pdf_time(info.get("/ModDate"), "ModDate", findings))
    return findings.done()


# --- Office Open XML (zip + defusedxml) --------------------------------------------------

_NS = {
    "http://schemas.openxmlformats.org/package/2006/metadata/core-properties": "cp",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/dc/dcmitype/": "dcmitype",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi",
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties": "ep",
    "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes": "vt",
}
CORE_PART = "docProps/core.xml"
APP_PART = "docProps/app.xml"


def _qname(tag: str) -> str:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        prefix = _NS.get(uri)
        return f"{prefix}:{local}" if prefix else tag
    return tag


def _read_part(archive: zipfile.ZipFile, name: str, findings: _Findings) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > OFFICE_PART_LIMIT:
        findings.error(f"{name} declares {info.file_size} bytes, over the limit; not read")
        return None
    try:
        with archive.open(info) as part:
            data = part.read(OFFICE_PART_LIMIT + 1)  # the declared size may lie
    except Exception as exc:  # bad compression, encryption, CRC: the file's fault
        findings.failure(f"{name} could not be read", exc)
        return None
    if len(data) > OFFICE_PART_LIMIT:
        findings.error(f"{name} expands past {OFFICE_PART_LIMIT} bytes (zip bomb?); not read")
        return None
    return data


def _parse_part(data: bytes, name: str, findings: _Findings) -> dict[str, Any] | None:
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except Exception as exc:  # defusedxml refusals and parse errors alike
        findings.failure(f"{name} was refused by the XML parser", exc)
        return None
    values: dict[str, Any] = {}
    for child in list(root)[:MAX_ITEMS]:
        key = _qname(child.tag)
        if len(child):
            values[key] = [
                (leaf.text or "") for leaf in list(child.iter())[:MAX_ITEMS] if not len(leaf)
            ]
        else:
            values[key] = child.text or ""
    return values


def has_office_properties(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            archive.getinfo(CORE_PART)
    except (KeyError, OSError, zipfile.BadZipFile, ValueError, EOFError):
        return False
    return True


def extract_office(path: Path) -> Extraction:
    """Document properties of a .docx, .xlsx or .pptx: docProps/core.xml and app.xml."""
    from importlib.metadata import version

    findings = _Findings("office")
    findings.tools["defusedxml"] = version("defusedxml")
    try:
        with zipfile.ZipFile(path) as archive:
            core_data = _read_part(archive, CORE_PART, findings)
            app_data = _read_part(archive, APP_PART, findings)
    except Exception as exc:  # a hostile zip may make zipfile raise anything
        findings.failure("not a readable Office file", exc)
        return findings.done()
    core = _parse_part(core_data, CORE_PART, findings) if core_data is not None else None
    app = _parse_part(app_data, APP_PART, findings) if app_data is not None else None
    findings.raw["core"] = core
    findings.raw["app"] = app
    n = findings.normalised
    core = core or {}
    app = app or {}
    n["title"] = _text(core.get("dc:title"), 500)
    n["author"] = _text(core.get("dc:creator"), 500)
    n["created_at"] = _iso(iso_time(core.get("dcterms:created"), "dcterms:created", findings))
    n["modified_at"] = _iso(iso_time(core.get("dcterms:modified"), "dcterms:modified", findings))
    application = " ".join(
        filter(None, (_text(app.get("ep:Application"), 100), _text(app.get("ep:AppVersion"), 20)))
    )
    n["producer"] = application or None
    for key in ("ep:Pages", "ep:Slides"):
        count = _text(app.get(key), 12)
        if count and count.isdigit():
            n["page_count"] = int(count)
            break
    return findings.done()


# --- dispatch ----------------------------------------------------------------------------


def may_have_metadata(media_type: str) -> bool:
    """Whether some extractor reads this media type (a zip only if it is an Office file)."""
    return (
        media_type.startswith(("image/", "video/", "audio/"))
        or media_type in (PDF, ZIP)
        or media_type in OOXML_TYPES
    )


def extractor_for(media_type: str, path: Path) -> Callable[[Path], Extraction] | None:
    if media_type.startswith("image/"):
        return extract_image
    if media_type.startswith(("video/", "audio/")):
        return extract_av
    if media_type == PDF:
        return extract_pdf
    if media_type in OOXML_TYPES or (media_type == ZIP and has_office_properties(path)):
        return extract_office
    return None


def extract_file(path: Path, media_type: str) -> Extraction | None:
    """Extract in this process; None when no extractor reads this media type."""
    extractor = extractor_for(media_type, path)
    if extractor is None:
        return None
    try:
        extraction = extractor(path)
    except ImportError as exc:  # a reader is not installed: the environment's fault
        return _unavailable(f"a metadata reader is missing: {exc}")
    except Exception as exc:  # the last line of defence: an entry, not a crash
        findings = _Findings("unknown")
        findings.failure("extraction failed", exc)
        return findings.done()
    tools = {"python": sys.version.split()[0], **extraction.tools}
    return Extraction(
        raw=extraction.raw,
        normalised=extraction.normalised,
        errors=extraction.errors,
        tools=tools,
        extractor=extraction.extractor,
        unavailable=extraction.unavailable,
    )


# --- isolation -----------------------------------------------------------------------------


def extract_isolated(
    path: Path, media_type: str, *, timeout: float = ISOLATED_TIMEOUT_S
) -> Extraction | None:
    """`extract_file` in a child process with memory, CPU and file-size limits.

    A child killed by its limits or the timeout yields an extraction with one error (the file
    is what stalled or ballooned it). A child that fails to start or crashes with a Python
    error yields an `unavailable` extraction (the environment, not the file).
    """
    if not may_have_metadata(media_type):
        return None
    argv = [sys.executable, "-I", "-m", "testimonia.evidence.metadata", media_type, str(path)]
    try:
        child = subprocess.Popen(  # noqa: S603 - fixed argv of our own interpreter, no shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: ffprobe is stopped with it
        )
    except OSError as exc:
        return _unavailable(f"the extractor process could not start: {exc.strerror or exc}")
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return _stopped(f"extraction stopped after {timeout:g} s")
    if child.returncode < 0:
        known = {sig.value: sig.name for sig in signal.Signals}
        name = known.get(-child.returncode, f"signal {-child.returncode}")
        return _stopped(f"the extractor process was stopped by {name} (a limit was exceeded)")
    try:
        payload = json.loads(out)
        if payload is None:
            return None
        return Extraction.from_json(payload)
    except ValueError:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return _unavailable(f"the extractor process failed: {tail[0][:300]}")


def _stopped(message: str) -> Extraction:
    findings = _Findings("unknown")
    findings.error(message)
    return findings.done()


def _unavailable(message: str) -> Extraction:
    findings = _Findings("unknown")
    findings.error(message)
    findings.unavailable = True
    return findings.done()


def _limit_self() -> None:
    import resource

    for limit, value in (
        (resource.RLIMIT_AS, ISOLATED_MEMORY_BYTES),
        (resource.RLIMIT_CPU, ISOLATED_CPU_S),
        (resource.RLIMIT_FSIZE, ISOLATED_FILE_BYTES),
        (resource.RLIMIT_CORE, 0),
    ):
        _soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, hard))


def main(argv: Iterable[str] | None = None) -> int:
    """The child of `extract_isolated`: limit this process, extract, print JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m testimonia.evidence.metadata MEDIA_TYPE PATH", file=sys.stderr)
        return 2
    media_type, path = args[0], Path(args[1])
    _limit_self()
    try:
        extraction = extract_file(path, media_type)
    except MemoryError:
        extraction = _stopped("the extractor ran out of its memory limit")
    payload = None if extraction is None else extraction.as_json()
    sys.stdout.write(json.dumps(payload, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
