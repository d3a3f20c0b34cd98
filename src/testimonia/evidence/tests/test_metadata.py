"""Metadata extraction: EXIF, ffprobe, PDF and Office properties into a separate, versioned
record; hostile files give error entries, never exceptions; the original is never touched.

Every fixture is made here (Pillow, pypdf, zipfile, ffmpeg); no binary file is committed.
The video tests need ffmpeg: they are skipped without it, unless TESTIMONIA_REQUIRE_FFMPEG=1
(as in CI), where a missing ffmpeg fails them.
"""

import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational
from pypdf import PdfWriter

from testimonia.conftest import require_service
from testimonia.custody.models import Checkpoint, LogEntry
from testimonia.custody.services import canonical_json, verify_log
from testimonia.evidence import metadata
from testimonia.evidence.ingest import ingest_paths
from testimonia.evidence.models import Metadata
from testimonia.evidence.services import (
    MetadataUnavailable,
    add_item,
    blob_store,
    extract_metadata,
    metadata_summary,
)
from testimonia.jobs.models import Job

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CORE_NS = (
    'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


# --- fixtures, made here -------------------------------------------------------------------


def rational(value, denominator=100):
    return IFDRational(round(value * denominator), denominator)


def jpeg_with_exif(
    *,
    image_format="JPEG",
    lat=(33, 52, 12.34),
    lat_ref="S",
    lon=(151, 12, 30.5),
    lon_ref="W",
    original="2024:03:05 10:20:30",
    offset="+02:00",
    make="Canon",
    extra=None,
):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = "EOS R6"
    exif[ExifTags.Base.Software] = "Firmware 1.8.1"
    exif[ExifTags.Base.DateTime] = "2024:03:06 09:00:00"
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    if original is not None:
        ifd[ExifTags.Base.DateTimeOriginal] = original
    if offset is not None:
        ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    ifd[ExifTags.Base.MakerNote] = b"\x00\x01\x02binary maker note"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if lat is not None:
        gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
        gps[ExifTags.GPS.GPSLatitude] = tuple(
            p if isinstance(p, IFDRational) else rational(p) for p in lat
        )
        gps[ExifTags.GPS.GPSLongitudeRef] = lon_ref
        gps[ExifTags.GPS.GPSLongitude] = tuple(
            p if isinstance(p, IFDRational) else rational(p) for p in lon
        )
        gps[ExifTags.GPS.GPSAltitudeRef] = b"\x01"  # below sea level
        gps[ExifTags.GPS.GPSAltitude] = rational(12.5)
        gps[ExifTags.GPS.GPSDateStamp] = "2024:03:05"
        gps[ExifTags.GPS.GPSTimeStamp] = (rational(8), rational(20), rational(30))
    for tag, value in (extra or {}).items():
        exif[tag] = value
    out = io.BytesIO()
    Image.new("RGB", (32, 16), "darkred").save(out, image_format, exif=exif)
    return out.getvalue()


def pdf_with_info():
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_blank_page(200, 200)
    writer.add_metadata(
        {
            "/Title": "Report on the shelling of the market",
            "/Author": "Field team 3",
            "/Producer": "pypdf test",
            "/Creator": "Writer 7.4",
            "/CreationDate": "D:20240305102030+02'00'",
            "/ModDate": "D:20240306",
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def office_zip(core, app=None, *, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("docProps/core.xml", core)
        if app is not None:
            archive.writestr("docProps/app.xml", app)
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


CORE_XML = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties {CORE_NS}>'
    "<dc:title>Witness list</dc:title><dc:creator>A. Investigator</dc:creator>"
    "<cp:lastModifiedBy>B. Analyst</cp:lastModifiedBy>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2024-03-05T08:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-03-06T09:30:00Z</dcterms:modified>'
    "</cp:coreProperties>"
)
APP_XML = (
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>Microsoft Office Word</Application><AppVersion>16.0000</AppVersion>"
    "<Pages>3</Pages><HeadingPairs><vt:vector size='1'><vt:lpstr>Title</vt:lpstr></vt:vector>"
    "</HeadingPairs></Properties>"
)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def needs_ffmpeg():
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        return
    reason = "ffmpeg/ffprobe not installed (apt-get install ffmpeg)"
    if require_service("TESTIMONIA_REQUIRE_FFMPEG"):
        pytest.fail(f"TESTIMONIA_REQUIRE_FFMPEG=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    needs_ffmpeg()
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=64x64:rate=5",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1",
            "-shortest",
            "-c:v",
            "mpeg4",  # FFmpeg's own encoders: no optional codec library needed
            "-c:a",
            "aac",
            "-metadata",
            "creation_time=2024-03-05T10:20:30.000000Z",
            "-metadata",
            "location=+31.5017+034.4668/",
            "-metadata",
            "title=Evening, eastern district",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    return path


# --- images ------------------------------------------------------------------------------


def test_jpeg_exif_gives_capture_time_with_offset_device_and_decimal_degrees(tmp_path):
    path = write(tmp_path, "photo.jpg", jpeg_with_exif())
    result = metadata.extract_file(path, "image/jpeg")
    n = result.normalised
    assert result.errors == []
    assert n["kind"] == "image"
    assert n["captured_at"] == "2024-03-05T10:20:30+02:00"
    assert n["captured_at_zone"] == "+02:00"
    assert n["modified_at"] == "2024-03-06T09:00:00"  # DateTime had no offset: naive
    assert n["device"] == {"make": "Canon", "model": "EOS R6", "software": "Firmware 1.8.1"}
    assert (n["width"], n["height"]) == (32, 16)
    # 33° 52' 12.34" S, 151° 12' 30.5" W: south and west are negative.
    assert n["gps"]["lat"] == pytest.approx(-(33 + 52 / 60 + 12.34 / 3600), abs=1e-7)
    assert n["gps"]["lon"] == pytest.approx(-(151 + 12 / 60 + 30.5 / 3600), abs=1e-7)
    assert n["gps"]["alt"] == -12.5
    assert n["gps"]["time"] == "2024-03-05T08:20:30+00:00"
    assert n["gps"]["flags"] == []
    assert set(n) == set(metadata.NORMALISED_KEYS)


@pytest.mark.parametrize(
    ("image_format", "media_type"),
    [("PNG", "image/png"), ("WEBP", "image/webp")],  # Pillow writes no Exif IFD to TIFF
)
def test_exif_is_read_from_other_image_formats_too(tmp_path, image_format, media_type):
    path = write(tmp_path, "photo", jpeg_with_exif(image_format=image_format))
    result = metadata.extract_file(path, media_type)
    assert result.errors == []
    assert result.raw["format"] == image_format
    assert result.normalised["captured_at"] == "2024-03-05T10:20:30+02:00"
    assert result.normalised["gps"]["lon"] < 0


def test_raw_exif_keeps_every_tag_with_binary_values_marked(tmp_path):
    path = write(tmp_path, "photo.jpg", jpeg_with_exif())
    raw = metadata.extract_file(path, "image/jpeg").raw
    assert raw["exif"]["Make"] == "Canon"
    assert raw["exif_ifd"]["DateTimeOriginal"] == "2024:03:05 10:20:30"
    assert raw["exif_ifd"]["MakerNote"] == {
        "$bytes": b"\x00\x01\x02binary maker note".hex(),
        "length": 20,
    }
    assert raw["gps"]["GPSLatitudeRef"] == "S"
    assert raw["gps"]["GPSLatitude"] == [33.0, 52.0, 12.34]
    json.dumps(raw, allow_nan=False)


def test_north_and_east_are_positive_and_a_time_without_zone_is_naive(tmp_path):
    data = jpeg_with_exif(lat=(31, 30, 6.12), lat_ref="N", lon=(34, 28, 0.48), lon_ref="E")
    data_naive = jpeg_with_exif(offset=None)
    n = metadata.extract_file(write(tmp_path, "a.jpg", data), "image/jpeg").normalised
    assert n["gps"]["lat"] == pytest.approx(31.5017, abs=1e-6)
    assert n["gps"]["lon"] == pytest.approx(34.4668, abs=1e-6)
    naive = metadata.extract_file(write(tmp_path, "b.jpg", data_naive), "image/jpeg")
    assert naive.normalised["captured_at"] == "2024-03-05T10:20:30"
    assert naive.normalised["captured_at_zone"] == "naive"


def test_a_zero_zero_position_is_kept_but_flagged_as_a_placeholder(tmp_path):
    data = jpeg_with_exif(lat=(0, 0, 0), lat_ref="N", lon=(0, 0, 0), lon_ref="E")
    gps = metadata.extract_file(write(tmp_path, "z.jpg", data), "image/jpeg").normalised["gps"]
    assert (gps["lat"], gps["lon"]) == (0, 0)
    assert gps["flags"] == [metadata.ZERO_PLACEHOLDER]


def test_exif_with_absurd_values_gives_error_entries_not_exceptions(tmp_path):
    data = jpeg_with_exif(
        lat=(200, 75, IFDRational(1, 0)),  # 200 degrees, 75 minutes, seconds over zero
        lon=(10, 0, 0),
        original="9999:99:99 99:99:99",
        offset="+99:00",
        make="M" * 10_000,
    )
    result = metadata.extract_file(write(tmp_path, "absurd.jpg", data), "image/jpeg")
    n = result.normalised
    assert n["gps"] is None
    assert n["captured_at"] is None
    assert any(e.startswith("GPS position not used") for e in result.errors)
    assert any(e.startswith("DateTimeOriginal '9999:99:99 99:99:99'") for e in result.errors)
    assert result.raw["exif"]["Make"]["truncated"] is True
    assert len(result.raw["exif"]["Make"]["$text"]) == metadata.MAX_TEXT
    assert len(n["device"]["make"]) == 200
    json.dumps(result.raw, allow_nan=False)


def test_a_latitude_without_hemisphere_is_not_guessed(tmp_path):
    data = jpeg_with_exif(lat_ref="", lon_ref="W")
    result = metadata.extract_file(write(tmp_path, "nohemi.jpg", data), "image/jpeg")
    assert result.normalised["gps"] is None
    assert any("hemisphere unknown" in e for e in result.errors)


def test_a_truncated_jpeg_gives_an_error_entry(tmp_path):
    data = jpeg_with_exif()
    path = write(tmp_path, "cut.jpg", data[:60])  # cut inside the EXIF segment
    result = metadata.extract_file(path, "image/jpeg")
    assert result.errors
    assert result.normalised["captured_at"] is None


def test_bytes_that_are_no_image_give_an_error_entry(tmp_path):
    path = write(tmp_path, "fake.jpg", b"\xff\xd8\xff" + b"not really a jpeg" * 10)
    result = metadata.extract_file(path, "image/jpeg")
    assert len(result.errors) == 1
    assert result.raw == {}


# --- video and audio -----------------------------------------------------------------------


def test_a_video_gives_duration_codecs_size_creation_time_and_place(video):
    result = metadata.extract_file(video, "video/mp4")
    n = result.normalised
    assert result.errors == []
    assert n["kind"] == "video"
    assert n["duration_s"] == pytest.approx(1.0, abs=0.1)
    assert n["codecs"] == ["mpeg4", "aac"]
    assert (n["width"], n["height"]) == (64, 64)
    assert n["created_at"] == "2024-03-05T10:20:30+00:00"
    assert n["captured_at"] == "2024-03-05T10:20:30+00:00"
    assert n["captured_at_zone"] == "+00:00"
    assert (n["gps"]["lat"], n["gps"]["lon"]) == (31.5017, 34.4668)
    assert n["title"] == "Evening, eastern district"
    assert result.raw["ffprobe"]["format"]["tags"]["location"] == "+31.5017+034.4668/"
    assert "filename" not in result.raw["ffprobe"]["format"]  # the store's path stays out
    assert result.tools["ffprobe"]


def test_a_corrupt_video_gives_an_error_entry(tmp_path):
    needs_ffmpeg()
    path = write(tmp_path, "broken.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\xde\xad" * 500)
    result = metadata.extract_file(path, "video/mp4")
    assert result.errors
    assert not result.unavailable
    assert all(str(path) not in e for e in result.errors)


def test_without_ffprobe_the_error_says_so_and_nothing_crashes(tmp_path):
    path = write(tmp_path, "clip.mp4", b"\x00\x00\x00\x18ftypmp42")
    result = metadata.extract_av(path, ffprobe="ffprobe-that-is-not-installed")
    assert result.unavailable
    assert result.errors == [
        "ffprobe was not found: install FFmpeg (the Debian package ffmpeg) to read video and "
        "audio metadata"
    ]


def test_ffprobe_runs_with_a_fixed_argument_list_limited_to_files_and_known_containers():
    argv = metadata.ffprobe_argv("/usr/bin/ffprobe", Path("/store/sha256/ab/cd/abcd"))
    assert argv[-1] == "file:/store/sha256/ab/cd/abcd"
    assert argv[argv.index("-protocol_whitelist") + 1] == "file"
    assert "hls" not in argv[argv.index("-format_whitelist") + 1]
    with pytest.raises(ValueError, match="absolute"):
        metadata.ffprobe_argv("/usr/bin/ffprobe", Path("relative.mp4"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+31.5017+034.4668/", (31.5017, 34.4668, None)),
        ("-33.8701-151.2085+012.500/", (-33.8701, -151.2085, 12.5)),
        ("+4030.5-07400.5/", (40.508333333, -74.008333333, None)),  # degrees and minutes
        ("+403000-0740030CRSWGS_84/", (40.5, -74.008333333, None)),  # with seconds and a CRS
    ],
)
def test_iso6709_positions_are_read_in_each_of_their_forms(text, expected):
    lat, lon, alt = metadata.parse_iso6709(text)
    assert (lat, lon) == pytest.approx(expected[:2], abs=1e-8)
    assert alt == expected[2]


@pytest.mark.parametrize("text", ["", "31.5,34.4", "+31.5017", "+3x.5+034.4/", "+4075.0+034.0/"])
def test_malformed_iso6709_positions_are_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011 - each malformation has its own message
        metadata.parse_iso6709(text)


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(min_value=-90, max_value=90, allow_nan=False),
    lon=st.floats(min_value=-180, max_value=180, allow_nan=False),
)
def test_iso6709_round_trips_any_position(lat, lon):
    text = f"{lat:+09.5f}{lon:+010.5f}/"
    found_lat, found_lon, _ = metadata.parse_iso6709(text)
    assert found_lat == pytest.approx(round(lat, 5), abs=1e-9)
    assert found_lon == pytest.approx(round(lon, 5), abs=1e-9)


# --- documents -----------------------------------------------------------------------------


def test_pdf_document_information_and_page_count(tmp_path):
    result = metadata.extract_file(write(tmp_path, "r.pdf", pdf_with_info()), "application/pdf")
    n = result.normalised
    assert result.errors == []
    assert n["kind"] == "pdf"
    assert n["title"] == "Report on the shelling of the market"
    assert n["author"] == "Field team 3"
    assert n["producer"] == "pypdf test"
    assert n["device"]["software"] == "Writer 7.4"
    assert n["created_at"] == "2024-03-05T10:20:30+02:00"
    assert n["modified_at"] == "2024-03-06T00:00:00"  # no time and no zone given: naive
    assert n["page_count"] == 2
    assert result.raw["info"]["/Title"] == "Report on the shelling of the market"


def test_a_corrupt_pdf_gives_an_error_entry(tmp_path):
    path = write(tmp_path, "bad.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100)
    result = metadata.extract_file(path, "application/pdf")
    assert result.errors
    assert result.normalised["page_count"] is None


def test_office_core_and_app_properties_are_read(tmp_path):
    path = write(tmp_path, "list.docx", office_zip(CORE_XML, APP_XML))
    result = metadata.extract_file(path, DOCX)
    n = result.normalised
    assert result.errors == []
    assert n["kind"] == "office"
    assert n["title"] == "Witness list"
    assert n["author"] == "A. Investigator"
    assert n["created_at"] == "2024-03-05T08:00:00+00:00"
    assert n["modified_at"] == "2024-03-06T09:30:00+00:00"
    assert n["producer"] == "Microsoft Office Word 16.0000"
    assert n["page_count"] == 3
    assert result.raw["core"]["cp:lastModifiedBy"] == "B. Analyst"


def test_a_plain_zip_with_office_properties_is_read_and_one_without_is_not(tmp_path):
    office = write(tmp_path, "doc.zip", office_zip(CORE_XML))
    assert metadata.extract_file(office, "application/zip").normalised["title"] == "Witness list"
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("photos/readme.txt", "nothing here")
    assert (
        metadata.extract_file(write(tmp_path, "p.zip", plain.getvalue()), "application/zip") is None
    )


def test_a_zip_bomb_core_xml_is_not_expanded(tmp_path):
    bomb = (
        f"<cp:coreProperties {CORE_NS}><dc:title>{' ' * 20_000_000}</dc:title></cp:coreProperties>"
    )
    data = office_zip(bomb)
    assert len(data) < 100_000  # 20 MB that deflate into a few kilobytes
    result = metadata.extract_file(write(tmp_path, "bomb.docx", data), DOCX)
    assert any("docProps/core.xml declares" in e for e in result.errors)
    assert result.normalised["title"] is None


def test_a_core_xml_that_lies_about_its_size_is_not_read_past_it(tmp_path):
    data = bytearray(office_zip(CORE_XML + " " * 3_000_000))
    central = [m.start() for m in re.finditer(rb"PK\x01\x02", data)]
    (entry,) = [at for at in central if data[at + 46 :].startswith(b"docProps/core.xml")]
    data[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")  # declares 1000 bytes
    result = metadata.extract_file(write(tmp_path, "liar.docx", bytes(data)), DOCX)
    assert any(e.startswith("docProps/core.xml could not be read") for e in result.errors)
    assert result.normalised["title"] is None


def test_a_billion_laughs_core_xml_is_refused_by_defusedxml(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    core = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'
        f"<cp:coreProperties {CORE_NS}><dc:title>&lol9;</dc:title></cp:coreProperties>"
    )
    result = metadata.extract_file(write(tmp_path, "laughs.docx", office_zip(core)), DOCX)
    assert len(result.errors) == 1
    assert result.errors[0].startswith(
        "docProps/core.xml was refused by the XML parser: DTDForbidden"
    )
    assert result.normalised["title"] is None


def test_a_damaged_office_zip_gives_an_error_entry(tmp_path):
    data = office_zip(CORE_XML)
    result = metadata.extract_file(write(tmp_path, "cut.docx", data[: len(data) // 2]), DOCX)
    assert result.errors


# --- bounds and isolation --------------------------------------------------------------------


def test_raw_values_are_made_json_safe_with_markers():
    safe = metadata.json_safe(
        {
            "bytes": b"\x00\xff",
            "long": "x" * 5000,
            "many": list(range(1500)),
            "nul": "a\x00b",
            "padded": "Canon\x00\x00",
            "surrogate": "a\udcffb",
            "nan": float("nan"),
            "zero_denominator": IFDRational(3, 0),
            "rational": IFDRational(1, 4),
            "huge": 2**70,
            7: "numeric key",
        }
    )
    assert safe["bytes"] == {"$bytes": "00ff", "length": 2}
    assert safe["long"] == {"$text": "x" * 4096, "length": 5000, "truncated": True}
    assert safe["many"]["length"] == 1500
    assert len(safe["many"]["$list"]) == 1000
    assert safe["nul"] == {"$bytes": b"a\x00b".hex(), "length": 3}
    assert safe["padded"] == "Canon"
    assert safe["surrogate"] == {
        "$bytes": "a\udcffb".encode("utf-8", "surrogatepass").hex(),
        "length": 5,
    }
    assert safe["nan"] == "nan"
    assert safe["zero_denominator"] == "3/0"
    assert safe["rational"] == 0.25
    assert safe["huge"] == str(2**70)
    assert safe["7"] == "numeric key"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6000)
    | st.binary(max_size=3000),
    lambda inner: (
        st.lists(inner, max_size=20)
        | st.dictionaries(st.text(max_size=300) | st.integers(), inner, max_size=20)
    ),
    max_leaves=60,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_raw_value_becomes_bounded_strict_json(value):
    safe = metadata.json_safe(value)
    text = json.dumps(safe, allow_nan=False)  # no NaN, no bytes, nothing JSON cannot hold
    assert "\\u0000" not in text  # PostgreSQL's jsonb refuses NUL
    text.encode("utf-8")  # no lone surrogates


def test_the_whole_raw_record_has_a_budget():
    safe = metadata.json_safe({str(i): "y" * 4000 for i in range(900)})
    assert len(json.dumps(safe)) < metadata.MAX_RAW_CHARS * 1.1
    assert "$omitted" in json.dumps(safe)


@pytest.mark.parametrize("kind", ["jpeg", "pdf", "docx", "video"])
def test_extraction_never_changes_the_original(tmp_path, request, kind):
    path, media_type = {
        "jpeg": lambda: (write(tmp_path, "p.jpg", jpeg_with_exif()), "image/jpeg"),
        "pdf": lambda: (write(tmp_path, "r.pdf", pdf_with_info()), "application/pdf"),
        "docx": lambda: (write(tmp_path, "d.docx", office_zip(CORE_XML, APP_XML)), DOCX),
        "video": lambda: (request.getfixturevalue("video"), "video/mp4"),
    }[kind]()
    before = (sha256_of(path), path.stat().st_mtime_ns)
    assert metadata.extract_file(path, media_type) is not None
    assert metadata.extract_isolated(path, media_type) is not None
    assert (sha256_of(path), path.stat().st_mtime_ns) == before


def test_the_isolated_child_finds_what_the_extractor_finds(tmp_path):
    path = write(tmp_path, "p.jpg", jpeg_with_exif())
    isolated = metadata.extract_isolated(path, "image/jpeg")
    direct = metadata.extract_file(path, "image/jpeg")
    assert isolated.normalised == direct.normalised
    assert isolated.raw == direct.raw
    assert isolated.errors == []


def test_a_child_that_runs_too_long_is_stopped_with_an_error_entry(tmp_path):
    path = write(tmp_path, "p.jpg", jpeg_with_exif())
    result = metadata.extract_isolated(path, "image/jpeg", timeout=0.001)
    assert result.errors == ["extraction stopped after 0.001 s"]
    assert not result.unavailable  # a stall is the file's doing: it is recorded


def test_media_types_no_extractor_reads_are_not_extracted(tmp_path):
    path = write(tmp_path, "notes.txt", b"plain notes")
    assert metadata.extract_isolated(path, "text/plain") is None
    assert metadata.extract_file(path, "application/octet-stream") is None


# --- the record, the custody log, the job ------------------------------------------------------


def stored_blob(workspace, data, name, other_workspace=None):
    item = add_item(None, workspace, [data], filename=name, enqueue_digests=False).item
    items = [item]
    if other_workspace is not None:
        items.append(
            add_item(None, other_workspace, [data], filename=name, enqueue_digests=False).item
        )
        items.append(add_item(None, workspace, [data], filename="again-" + name).item)
    return item.blob, items


@pytest.mark.django_db
def test_the_record_gets_a_custody_event_per_item_in_every_workspace(workspace, other_workspace):
    blob, items = stored_blob(workspace, jpeg_with_exif(), "photo.jpg", other_workspace)
    record = extract_metadata(blob)
    assert record.extractor == metadata.EXTRACTOR
    assert record.normalised["captured_at"] == "2024-03-05T10:20:30+02:00"
    events = LogEntry.objects.filter(action="extract_metadata").order_by("pk")
    assert sorted((e.workspace_id, json.loads(e.payload)["subject"]) for e in events) == sorted(
        (i.workspace_id, f"item:{i.pk}") for i in items
    )
    payload = json.loads(events[0].payload)
    assert payload["object"] == blob.sha256
    assert payload["actor"] == "system"
    assert payload["details"]["extractor"] == "testimonia.metadata/1"
    assert payload["details"]["summary"] == {
        "kind": "image",
        "captured_at": "2024-03-05T10:20:30+02:00",
        "has_gps": True,  # that there is a position, never the position itself
        "errors": 0,
    }
    stored = {
        "blob": blob.sha256,
        "extractor": record.extractor,
        "tools": record.tools,
        "raw": record.raw,
        "normalised": record.normalised,
        "errors": record.errors,
    }
    digest = hashlib.sha256(canonical_json(stored).encode()).hexdigest()
    assert payload["details"]["record_sha256"] == f"sha256:{digest}"
    for ws in (workspace, other_workspace):
        assert verify_log(ws)[1] == []


@pytest.mark.django_db
def test_extraction_reads_the_store_and_leaves_the_original_as_it_was(workspace):
    blob, _ = stored_blob(workspace, pdf_with_info(), "report.pdf")
    path = blob_store().path_for(blob.sha256)
    before = (sha256_of(path), path.stat().st_mode, path.stat().st_mtime_ns)
    record = extract_metadata(blob)
    assert record.normalised["page_count"] == 2
    assert (sha256_of(path), path.stat().st_mode, path.stat().st_mtime_ns) == before
    assert "sha256:" + before[0] == blob.sha256


def fake_version(version, title):
    def extract(path, media_type):
        normalised = metadata.empty_normalised("image")
        normalised["title"] = title
        return metadata.Extraction(raw={}, normalised=normalised, extractor=version)

    return extract


@pytest.mark.django_db
def test_a_new_extractor_version_adds_a_record_and_never_overwrites(workspace):
    blob, _ = stored_blob(workspace, jpeg_with_exif(), "photo.jpg")
    first = extract_metadata(blob, extract=fake_version("testimonia.metadata/1", "first"))
    again = extract_metadata(blob, extract=fake_version("testimonia.metadata/1", "rewritten"))
    second = extract_metadata(blob, extract=fake_version("testimonia.metadata/2", "second"))
    assert again is None
    first.refresh_from_db()
    assert first.normalised["title"] == "first"
    assert second.pk != first.pk
    assert list(Metadata.objects.filter(blob=blob).values_list("extractor", flat=True)) == [
        "testimonia.metadata/2",
        "testimonia.metadata/1",
    ]
    assert metadata_summary(blob)["title"] == "second"  # the latest is shown
    assert LogEntry.objects.filter(action="extract_metadata").count() == 2


@pytest.mark.django_db
def test_a_missing_tool_records_nothing_so_a_later_run_can(workspace):
    blob, _ = stored_blob(workspace, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "clip.mp4")

    def no_ffprobe(path, media_type):
        return metadata.extract_av(path, ffprobe="ffprobe-that-is-not-installed")

    with pytest.raises(MetadataUnavailable, match="ffprobe was not found"):
        extract_metadata(blob, extract=no_ffprobe)
    assert not Metadata.objects.exists()
    assert not LogEntry.objects.filter(action="extract_metadata").exists()


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_followed_by_a_metadata_job_and_a_signed_checkpoint(workspace):
    item = add_item(None, workspace, [jpeg_with_exif()], filename="photo.jpg").item
    job = Job.objects.get(label="Extract metadata of stored originals")
    assert job.status == Job.Status.SUCCEEDED
    assert job.done == job.total == 1
    summary = metadata_summary(item.blob)
    assert summary["gps"]["lat"] < 0
    assert summary["extractor"] == metadata.EXTRACTOR
    size = LogEntry.objects.filter(workspace=workspace).count()
    assert Checkpoint.objects.filter(workspace=workspace, tree_size=size).exists()


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_tool_is_missing_fails_visibly(workspace, monkeypatch):
    def unavailable(path, media_type):
        return metadata.extract_av(path, ffprobe="ffprobe-that-is-not-installed")

    monkeypatch.setattr(metadata, "extract_isolated", unavailable)
    add_item(None, workspace, [b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64], filename="c.mp4")
    job = Job.objects.get(label="Extract metadata of stored originals")
    assert job.status == Job.Status.FAILED
    assert "could not be extracted" in job.display_message
    assert not Metadata.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_files_no_extractor_reads_queue_no_job(workspace):
    add_item(None, workspace, [b"plain notes"], filename="notes.txt")
    assert not Job.objects.filter(label="Extract metadata of stored originals").exists()


@pytest.mark.django_db(transaction=True)
def test_ingest_json_shows_metadata_only_once_it_was_extracted(workspace, tmp_path):
    write(tmp_path, "photo.jpg", jpeg_with_exif())
    # As the CLI does: each outcome is printed when it is yielded, before the batch ends.
    (first,) = [o.as_json() for o in ingest_paths(None, workspace, [tmp_path / "photo.jpg"])]
    assert first["metadata"] is None  # queued when the batch ended, after this was printed
    assert Metadata.objects.count() == 1  # and extracted then
    (again,) = [o.as_json() for o in ingest_paths(None, workspace, [tmp_path / "photo.jpg"])]
    assert again["duplicate_of"] == first["id"]
    assert again["metadata"]["captured_at"] == "2024-03-05T10:20:30+02:00"
    assert again["metadata"]["device"]["make"] == "Canon"
    json.dumps(again)


@pytest.mark.django_db(transaction=True)
def test_the_api_shows_the_latest_normalised_metadata(workspace, investigator, client):
    from testimonia.accounts.services import create_api_token

    token = create_api_token(investigator)[0]
    item = add_item(investigator, workspace, [pdf_with_info()], filename="r.pdf").item
    add_item(investigator, workspace, [b"notes"], filename="n.txt")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/workspaces/{workspace.slug}/items"
    one = client.get(f"{url}/{item.pk}", **headers).json()
    assert one["metadata"]["title"] == "Report on the shelling of the market"
    assert one["metadata"]["page_count"] == 2
    assert one["metadata"]["extractor"] == metadata.EXTRACTOR
    listed = {i["filename"]: i["metadata"] for i in client.get(url, **headers).json()}
    assert listed["r.pdf"] == one["metadata"]
    assert listed["n.txt"] is None
