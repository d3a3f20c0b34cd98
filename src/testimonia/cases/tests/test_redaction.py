"""Redaction: suggestions in English and Arabic, reviewed masking into a new item, images
blacked out without their metadata, the original untouched, and who may do it."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.test import Client
from PIL import Image

from testimonia.accounts.services import create_api_token
from testimonia.cases import redaction
from testimonia.cases.redaction_text import (
    MASK,
    Category,
    Span,
    detect,
    identity_spans,
    mask,
    parse_span,
)
from testimonia.cases.testimonies import add_testimony
from testimonia.cli import EXIT_OK, EXIT_USAGE, main
from testimonia.conftest import client_for
from testimonia.custody.models import LogEntry
from testimonia.evidence.models import Item
from testimonia.evidence.services import add_item, blob_store

from .conftest import CANARY, CANARY_AR, CANARY_CONTACT, leaks
from .test_canary_nowhere import Collector, database_bytes, every_log  # noqa: F401

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workspaces/test-ws/items"
SECRETS = (CANARY, CANARY_AR, CANARY_CONTACT)

ENGLISH = (
    "Interview of W-0001. My name is Leila Haddad and I live at 12 Omar Mukhtar Street.\n"
    "Call me on +970 59-912-3456 or 0599123456, or write to leila.haddad@example.org.\n"
    "My ID number is 912345678 and my passport P1234567. Dr. Samir Khoury treated my "
    "brother Ahmad. The UN was informed on Monday."
)
ARABIC = (
    "اسمي ليلى حداد وأنا من غزة. رقم هويتي 912345678 ورقم جوالي 0599-123-456 و+972 52 123 4567.\n"
    "أخذوا أخي محمد بن علي الحداد إلى شارع عمر المختار. البريد: layla@example.ps\n"
    "رقم الهوية: ٩١٢٣٤٥٦٧٨"
)
TRANSCRIPT = (
    f"W-0001: I am {CANARY}. You can reach me on +44 7700 900917.\n"
    f"Interviewer: thank you. The witness spells it {CANARY}.\n"
    "W-0001: my neighbour's phone is 0599 123 456 and the soldiers came at night."
)


def found(text, spans):
    return {(s.category, text[s.start : s.end]) for s in spans}


def sha256_of(item):
    return hashlib.sha256(blob_store().path_for(item.blob.sha256).read_bytes()).hexdigest()


def blob_bytes(item):
    return blob_store().path_for(item.blob.sha256).read_bytes()


class Api:
    def __init__(self, user):
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(user)[0]}"}

    def post(self, path, body=None):
        return self.client.post(
            path, json.dumps(body or {}), content_type="application/json", **self.auth
        )


@pytest.fixture
def transcript(witness, investigator):
    return add_testimony(
        investigator,
        witness,
        [TRANSCRIPT.encode()],
        original_name="notes.txt",
        kind="statement",
    ).testimony.item


def jpeg_with_gps(size=(120, 80), colour=(200, 150, 100)):
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "CanonCam"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 30.0, 0.0), 3: "E", 4: (34.0, 27.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95, comment=b"taken by Qorvath")
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Suggestions


def test_suggestions_find_names_ids_phones_emails_and_addresses_in_english():
    got = found(ENGLISH, detect(ENGLISH))
    assert (Category.NAME, "Leila Haddad") in got
    assert (Category.NAME, "Samir Khoury") in got
    assert (Category.NAME, "Ahmad") in got
    assert (Category.PHONE, "+970 59-912-3456") in got
    assert (Category.PHONE, "0599123456") in got
    assert (Category.EMAIL, "leila.haddad@example.org") in got
    assert (Category.ID_NUMBER, "912345678") in got
    assert (Category.ID_NUMBER, "P1234567") in got
    assert (Category.ADDRESS, "12 Omar Mukhtar Street") in got
    passages = {text for _category, text in got}
    assert "W-0001" not in passages
    assert not any("Monday" in p or p == "UN" for p in passages)


def test_suggestions_find_names_ids_phones_emails_and_addresses_in_arabic():
    got = found(ARABIC, detect(ARABIC))
    assert (Category.NAME, "ليلى حداد") in got
    assert (Category.NAME, "محمد بن علي الحداد") in got
    assert (Category.ID_NUMBER, "912345678") in got
    assert (Category.ID_NUMBER, "٩١٢٣٤٥٦٧٨") in got  # Arabic-Indic digits
    assert (Category.PHONE, "0599-123-456") in got
    assert (Category.PHONE, "+972 52 123 4567") in got  # with the conjunction و attached
    assert (Category.EMAIL, "layla@example.ps") in got
    assert (Category.ADDRESS, "شارع عمر المختار") in got


def test_a_hebrew_name_after_my_name_is_stops_before_the_next_word():
    text = "שמי דנה כהן ואני גרה ברחוב הרצל 12. הטלפון 052-123-4567."
    got = found(text, detect(text))
    assert (Category.NAME, "דנה כהן") in got
    assert (Category.PHONE, "052-123-4567") in got


def test_the_witness_identity_is_found_in_other_spellings_and_scripts():
    text = "قالت ليلي حداد، ولَيْلى كانت هناك. Call 0599 912 345 or write to L@Example.org"
    spans = identity_spans(
        text, name="ليلى حدّاد", contacts="+970 599 912 345; l@example.org", details=""
    )
    got = {text[s.start : s.end] for s in spans}
    assert got == {"ليلي حداد", "لَيْلى", "0599 912 345", "L@Example.org"}
    assert {s.category for s in spans} == {Category.IDENTITY}


def test_a_name_given_in_the_details_in_another_script_is_found():
    text = f"He is {CANARY_AR}, from the camp."
    spans = identity_spans(text, name=CANARY, details=f"Arabic name: {CANARY_AR}\nborn 1990")
    assert [text[s.start : s.end] for s in spans] == [CANARY_AR]


# ---------------------------------------------------------------------------------------------
# Masking


def test_masking_replaces_exactly_the_accepted_spans_with_the_same_mask():
    text = "Ali met Christopher at 0599123456 today."
    result = mask(text, [Span(0, 3, "name"), Span(8, 19, "name"), Span(23, 33, "phone")])
    assert result.text == f"{MASK} met {MASK} at {MASK} today."
    assert result.passages == 3
    assert result.categories == {"phone": 1, "name": 2}


def test_overlapping_and_touching_spans_become_one_passage():
    text = "Samir Khoury came"
    result = mask(text, [Span(0, 5, "name"), Span(5, 12, "name"), Span(3, 9, "manual")])
    assert result.text == f"{MASK} came"
    assert result.passages == 1
    assert result.spans == 3


def test_a_span_is_parsed_from_its_key():
    assert parse_span("3:9:phone") == Span(3, 9, "phone")
    assert parse_span("3:9") == Span(3, 9, Category.MANUAL)
    with pytest.raises(ValueError, match="not a span"):
        parse_span("a:b")
    with pytest.raises(ValueError, match="unknown category"):
        parse_span("1:2:secret")


# ---------------------------------------------------------------------------------------------
# Text items


def test_a_protection_officer_gets_the_witness_identity_among_the_suggestions(
    transcript, protection_officer, legal_officer
):
    review = redaction.review_text(protection_officer, transcript)
    assert review.identity_checked
    identity = [s for s in review.suggestions if s.span.category == Category.IDENTITY]
    assert {s.text for s in identity} == {CANARY, "+44 7700 900917"}
    assert CANARY not in repr(review)

    other = redaction.review_text(legal_officer, transcript)
    assert not other.identity_checked
    assert Category.IDENTITY not in {s.span.category for s in other.suggestions}


def test_applying_stores_a_new_item_and_leaves_the_original_untouched(
    transcript, protection_officer
):
    before = sha256_of(transcript)
    review = redaction.review_text(protection_officer, transcript)
    chosen = [s.span for s in review.suggestions if s.span.category == Category.IDENTITY]
    result = redaction.redact_text(protection_officer, transcript, chosen)

    derived = Item.objects.get(pk=result.item.pk)
    assert derived.derived_from_id == transcript.pk
    assert derived.derivation == "redaction"
    assert derived.added_by == protection_officer
    assert derived.original_filename == "W-0001-statement-redacted.txt"
    assert "reviewed by protection_officer" in derived.derivation_method
    assert "3 passage(s)" in derived.derivation_method
    assert "identity 3" in derived.derivation_method
    assert leaks(derived.derivation_method, *SECRETS) == []
    redacted = blob_bytes(derived).decode()
    assert redacted == (
        f"W-0001: I am {MASK}. You can reach me on {MASK}.\n"
        f"Interviewer: thank you. The witness spells it {MASK}.\n"
        "W-0001: my neighbour's phone is 0599 123 456 and the soldiers came at night."
    )
    assert sha256_of(transcript) == before
    assert "sha256:" + before == Item.objects.get(pk=transcript.pk).blob.sha256
    derive = json.loads(LogEntry.objects.get(action="derive").payload)
    assert derive["subject"] == f"item:{transcript.pk}"
    assert derive["details"]["derivation"] == "redaction"


def test_the_redacted_copy_follows_its_original_for_consent(transcript, protection_officer):
    from testimonia.cases.consent import consent_covers, testimony_of

    review = redaction.review_text(protection_officer, transcript)
    result = redaction.redact_text(protection_officer, transcript, [review.suggestions[0].span])
    testimony, chain = testimony_of(result.item)
    assert testimony.item_id == transcript.pk
    assert chain == (result.item.pk, transcript.pk)
    assert not consent_covers(result.item, "icc").covered


def test_a_name_in_the_original_file_name_does_not_reach_the_copy(workspace, legal_officer):
    item = add_item(None, workspace, [b"Statement about the night raid."], filename=f"{CANARY}.txt")
    result = redaction.redact_text(legal_officer, item.item, [], phrases=["night raid"])
    assert result.item.original_filename == f"item-{item.item.pk}-redacted.txt"
    assert blob_bytes(result.item) == f"Statement about the {MASK}.".encode()


def test_nothing_to_redact_and_spans_outside_the_text_are_refused(transcript, legal_officer):
    with pytest.raises(redaction.CasesError, match="nothing to redact"):
        redaction.redact_text(legal_officer, transcript, [])
    with pytest.raises(redaction.CasesError, match="outside the text"):
        redaction.redact_text(legal_officer, transcript, [Span(0, 10_000, "name")])
    assert Item.objects.filter(derived_from=transcript).count() == 0


def test_a_word_document_is_redacted_into_plain_text(workspace, legal_officer):
    body = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>My name is Samir Khoury.</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>Phone</w:t><w:tab/><w:t>0599123456</w:t></w:r></w:p></w:body>"
        "</w:document>"
    )
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", body)
    item = add_item(None, workspace, [data.getvalue()], filename="statement.docx").item
    assert redaction.redaction_kind(item) == redaction.Kind.TEXT
    review = redaction.review_text(legal_officer, item)
    assert review.text == "My name is Samir Khoury.\nPhone\t0599123456"
    result = redaction.redact_text(legal_officer, item, [s.span for s in review.suggestions])
    assert blob_bytes(result.item) == f"My name is {MASK}.\nPhone\t{MASK}".encode()
    assert result.item.blob.media_type == "text/plain"
    assert "layout not kept" in result.item.derivation_method


def test_the_canary_is_not_in_the_database_or_the_logs_after_a_text_redaction(
    transcript,
    personas,
    every_log,  # noqa: F811
):
    officer = Api(personas["protection_officer"])
    answer = officer.post(f"{BASE}/{transcript.pk}/redaction/suggestions")
    assert answer.status_code == 200, answer.content
    assert "no-store" in answer["Cache-Control"]
    suggestions = answer.json()["suggestions"]
    assert CANARY in {s["text"] for s in suggestions}
    spans = [{k: s[k] for k in ("start", "end", "category")} for s in suggestions]
    applied = officer.post(f"{BASE}/{transcript.pk}/redaction/text", {"spans": spans})
    assert applied.status_code == 201, applied.content
    assert leaks(applied.content, *SECRETS) == []
    # The same through the web pages, with the session and the messages framework.
    client = client_for(personas["protection_officer"])
    page = client.get(f"/w/test-ws/evidence/{transcript.pk}/redact/")
    assert CANARY in page.content.decode()
    keys = [
        s.span.key()
        for s in redaction.review_text(personas["protection_officer"], transcript).suggestions
    ]
    done = client.post(
        f"/w/test-ws/evidence/{transcript.pk}/redact/",
        {"action": "apply", "span": keys, "offered": keys, "phrases": CANARY_AR},
    )
    assert done.status_code == 302
    derived = Item.objects.filter(derived_from=transcript).order_by("pk")
    assert derived.count() == 2
    for item in derived:
        assert leaks(blob_bytes(item), *SECRETS) == []
    assert leaks(database_bytes(), *SECRETS) == []
    assert leaks("\n".join(every_log.lines), *SECRETS) == []
    assert any("INSERT" in line for line in every_log.lines)  # the SQL was logged, and looked at


# ---------------------------------------------------------------------------------------------
# Images


def test_image_boxes_are_black_in_the_copy_and_its_gps_is_gone(workspace, legal_officer):
    original = add_item(None, workspace, [jpeg_with_gps()], filename="photo.jpg").item
    before = sha256_of(original)
    assert Image.open(io.BytesIO(blob_bytes(original))).getexif().get_ifd(0x8825)
    api = Api(legal_officer)
    answer = api.post(
        f"{BASE}/{original.pk}/redaction/image",
        {"boxes": [{"x": 10, "y": 20, "width": 30, "height": 25}]},
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["derived_from"] == original.pk
    assert body["derivation"] == "redaction"
    assert body["media_type"] == "image/jpeg"
    derived = Item.objects.get(pk=body["item"])
    data = blob_bytes(derived)
    image = Image.open(io.BytesIO(data))
    assert image.size == (120, 80)
    for x, y in ((10, 20), (39, 44), (25, 30)):
        assert max(image.getpixel((x, y))) <= 8  # black (JPEG may be off by a few)
    outside = image.getpixel((60, 60))
    assert all(abs(a - b) <= 8 for a, b in zip(outside, (200, 150, 100), strict=True))
    exif = image.getexif()
    assert len(exif) == 0
    assert exif.get_ifd(0x8825) == {}
    assert b"Exif" not in data
    assert b"Qorvath" not in data  # the JPEG comment
    assert b"CanonCam" not in data
    assert sha256_of(original) == before
    assert "10,20,30,25" in derived.derivation_method


def test_png_boxes_are_exactly_black_and_text_chunks_are_dropped(workspace, protection_officer):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", CANARY)
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (255, 0, 0, 128)).save(out, "PNG", pnginfo=info)
    original = add_item(None, workspace, [out.getvalue()], filename="x.png").item
    from testimonia.cases.redaction_image import Box

    result = redaction.redact_image_item(
        protection_officer, original, [Box(0, 0, 5, 5), Box(35, 25, 100, 100)]
    )
    image = Image.open(io.BytesIO(blob_bytes(result.item)))
    assert image.getpixel((0, 0)) == (0, 0, 0, 255)
    assert image.getpixel((4, 4)) == (0, 0, 0, 255)
    assert image.getpixel((5, 5)) == (255, 0, 0, 128)
    assert image.getpixel((39, 29)) == (0, 0, 0, 255)  # clipped to the image
    assert image.info == {}
    assert leaks(blob_bytes(result.item), CANARY) == []
    assert result.passages == 2


def test_a_box_outside_the_image_or_a_video_is_refused(workspace, legal_officer):
    original = add_item(None, workspace, [jpeg_with_gps()], filename="photo.jpg").item
    api = Api(legal_officer)
    outside = api.post(
        f"{BASE}/{original.pk}/redaction/image",
        {"boxes": [{"x": 500, "y": 0, "width": 5, "height": 5}]},
    )
    assert outside.status_code == 400
    assert "outside the image" in outside.json()["error"]["message"]
    video = add_item(
        None, workspace, [b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64], filename="v.mp4"
    )
    refused = api.post(
        f"{BASE}/{video.item.pk}/redaction/image",
        {"boxes": [{"x": 0, "y": 0, "width": 5, "height": 5}]},
    )
    assert refused.status_code == 400
    text_of_video = api.post(f"{BASE}/{video.item.pk}/redaction/suggestions")
    assert text_of_video.status_code == 400
    assert Item.objects.filter(derivation="redaction").count() == 0


# ---------------------------------------------------------------------------------------------
# Who may redact


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("investigator", 403),
        ("analyst", 403),
        ("reviewer", 403),
        ("outsider", 404),
        ("legal_officer", 201),
        ("administrator", 201),
        ("protection_officer", 201),
    ],
)
def test_only_protection_and_legal_officers_and_administrators_redact(
    role, status, personas, transcript
):
    api = Api(personas[role])
    answer = api.post(f"{BASE}/{transcript.pk}/redaction/text", {"phrases": ["soldiers"]})
    assert answer.status_code == status, answer.content
    suggestions = api.post(f"{BASE}/{transcript.pk}/redaction/suggestions")
    assert suggestions.status_code == (200 if status == 201 else status)
    page = client_for(personas[role]).get(f"/w/test-ws/evidence/{transcript.pk}/redact/")
    assert page.status_code == (200 if status == 201 else status)


def test_an_item_of_another_workspace_is_not_found(other_workspace, personas):
    item = add_item(None, other_workspace, [b"x y z"], filename="x.txt").item
    answer = Api(personas["legal_officer"]).post(f"{BASE}/{item.pk}/redaction/suggestions")
    assert answer.status_code == 404


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_lists_suggestions_then_applies_those_not_rejected(
    capsys, transcript, protection_officer
):
    args = ("redact", transcript.pk, "--workspace", "test-ws", "--as", "protection_officer")
    code, out, err = run(capsys, *args, "--text")
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[0].startswith("1\t")
    assert CANARY in out  # printed for the reviewer at the terminal
    assert Item.objects.filter(derived_from=transcript).count() == 0  # nothing stored yet
    last = len(lines)
    code, out, err = run(capsys, *args, "--text", "--apply", "--reject", str(last), "--json")
    assert code == EXIT_OK, err
    record = json.loads(out)
    assert record["derived_from"] == transcript.pk
    assert record["derivation"] == "redaction"
    assert record["masked"] == last - 1
    redacted = blob_bytes(Item.objects.get(pk=record["id"])).decode()
    assert CANARY not in redacted
    assert "0599 123 456" in redacted  # the rejected suggestion, the last in the text


def test_the_cli_blacks_out_boxes_and_checks_them_first(capsys, workspace, legal_officer):
    item = add_item(None, workspace, [jpeg_with_gps()], filename="photo.jpg").item
    args = ("redact", item.pk, "--workspace", "test-ws", "--as", "legal_officer", "--boxes")
    code, out, _err = run(capsys, *args, "0,0,10,10")
    assert code == EXIT_OK
    assert "120 x 80" in out
    assert Item.objects.filter(derived_from=item).count() == 0
    code, _out, err = run(capsys, *args, "200,0,10,10")
    assert code == EXIT_USAGE
    assert "outside the image" in err
    code, out, err = run(capsys, *args, "0,0,10,10", "5,5,20,20", "--apply")
    assert code == EXIT_OK, err
    derived = Item.objects.get(derived_from=item)
    assert max(Image.open(io.BytesIO(blob_bytes(derived))).getpixel((2, 2))) <= 8


def test_the_cli_refuses_whoever_may_not_redact_and_bad_input(capsys, transcript, personas):
    base = ("redact", transcript.pk, "--workspace", "test-ws")
    code, _out, err = run(capsys, *base, "--as", "investigator", "--text")
    assert code == EXIT_USAGE
    assert "protection_officer" in err
    code, _out, err = run(
        capsys, "redact", 99999, "--workspace", "test-ws", "--as", "legal_officer", "--text"
    )
    assert code == EXIT_USAGE
    assert "no item 99999" in err
    code, _out, err = run(capsys, *base, "--as", "legal_officer", "--boxes", "1,2,3,4")
    assert code == EXIT_USAGE
    assert "JPEG and PNG" in err
    code, _out, err = run(
        capsys, *base, "--as", "legal_officer", "--text", "--apply", "--reject", "99"
    )
    assert code == EXIT_USAGE
    assert "no suggestion 99" in err
    code, _out, err = run(
        capsys, *base, "--as", "legal_officer", "--text", "--apply", "--span", "0:9999"
    )
    assert code == EXIT_USAGE
    assert "outside the text" in err
    assert Item.objects.filter(derived_from=transcript).count() == 0
