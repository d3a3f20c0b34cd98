"""The readers, one per family of formats: images (Pillow), video and audio (ffprobe), PDF
(pypdf), Office Open XML (zip + defusedxml). Each returns an `Extraction` and never raises
for a bad file."""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import shutil
import subprocess
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from testimonia.evidence.metadata.common import (
    AV_DEMUXERS,
    FFPROBE_OUTPUT_LIMIT,
    FFPROBE_TIMEOUT_S,
    IMAGE_FORMATS,
    MAX_ITEMS,
    OFFICE_PART_LIMIT,
    Extraction,
    _dms,
    _Findings,
    _iso,
    _text,
    exif_time,
    gps_point,
    iso_time,
    parse_iso6709,
    pdf_time,
    set_captured,
)

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
