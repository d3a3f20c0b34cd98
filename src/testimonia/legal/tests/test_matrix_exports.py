"""The case matrix as CSV, JSON and PDF; the PDF in Arabic is looked at as an image."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader

from testimonia.incidents import services as records
from testimonia.legal import services
from testimonia.legal.exports import (
    CSV_COLUMNS,
    FORMAT,
    direction,
    matrix_csv,
    matrix_html,
    matrix_json,
    matrix_pdf,
)
from testimonia.legal.matrix_loader import (
    Rejected,
    crime_matrix,
    incident_matrix,
    suspect_matrix,
)
from testimonia.legal.services import Finding, IndicatorQuery

pytestmark = pytest.mark.django_db

ARABIC_FINDING = "قُتل الضحايا في السوق أثناء القصف"
ARABIC_TITLE = "قصف سوق خان يونس"
PNG_FOR_REVIEW = "/tmp/matrix_ar.png"  # noqa: S108  # kept for a person to look at


@pytest.fixture
def qualified(facts, legal_officer):
    murder = services.qualify(legal_officer, facts["act"], "7(1)(a)", "Killed in the market.")
    services.link_support(legal_officer, murder, 1, facts["item"], "strong", "crater, minute 2")
    services.link_support(legal_officer, murder, 1, Finding("=HYPERLINK(1)"), "weak")
    services.link_support(
        legal_officer, murder, 2, IndicatorQuery({"incident_ids": [facts["incident"].pk]}), "weak"
    )
    liability = services.add_suspect_liability(
        legal_officer, murder, facts["commander"], "RS-28-a", "Commanded the brigade."
    )
    services.link_support(legal_officer, liability, 1, facts["source"], "moderate")
    return {"murder": murder, "liability": liability}


def read_csv(text):
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_csv_has_one_row_per_element_and_link_gaps_first(facts, workspace, qualified):
    text = matrix_csv(incident_matrix(workspace, facts["incident"]))
    header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(header) == CSV_COLUMNS
    rows = read_csv(text)
    crime = [r for r in rows if r["section"] == "crime"]
    # Element 3 (no link) first, then 2 (weak indicators), then 1 (a strong item and a finding).
    assert [(r["element"], r["state"], r["support_kind"]) for r in crime] == [
        ("3", "unsupported", ""),
        ("2", "weak", "indicators"),
        ("1", "supported", "item"),
        ("1", "supported", "finding"),
    ]
    assert [r["gap"] for r in crime] == ["yes", "yes", "no", "no"]
    item_row = crime[2]
    assert item_row["support_ref"] == str(facts["item"].pk)
    assert item_row["support_strength"] == "strong"
    assert item_row["support_note"] == "crater, minute 2"
    assert facts["item"].blob.sha256 in item_row["support_label"]
    assert crime[3]["support_label"] == "'=HYPERLINK(1)"  # a formula is not run by Excel
    liability = [r for r in rows if r["section"] == "liability"]
    assert len(liability) == 6  # the six elements of article 28(a), one linked
    assert {r["mode_id"] for r in liability} == {"RS-28-a"}
    assert liability[0]["suspect"] == f"Colonel X (person #{facts['commander'].pk})"
    linked = [r for r in liability if r["support_kind"] == "source"]
    assert [(r["element"], r["state"]) for r in linked] == [("1", "supported")]


def test_the_json_has_the_documented_shape(facts, workspace, qualified):
    data = json.loads(json.dumps(matrix_json(incident_matrix(workspace, facts["incident"]))))
    assert data["format"] == FORMAT
    assert data["scope"] == "incident"
    assert data["scope_id"] == str(facts["incident"].pk)
    assert data["gaps"] == 2 + 5
    crime, liability = data["sections"]
    assert set(crime) == {
        "subject",
        "qualification",
        "liability",
        "crime_id",
        "article",
        "name",
        "target",
        "status",
        "suspect",
        "mode_id",
        "mode_article",
        "mode_name",
        "catalogue_version",
        "notes",
        "elements",
        "gaps",
        "rows",
    }
    assert crime["crime_id"] == "RS-7-1-a"
    assert [r["number"] for r in crime["rows"]] == [3, 2, 1]
    attack = crime["rows"][1]
    assert attack["shows_indicators"] is True
    assert attack["supports"][0]["indicators"]["incidents"] == 1
    assert attack["supports"][0]["indicators"]["query"]["incident_ids"] == [facts["incident"].pk]
    assert liability["subject"] == "liability"
    assert liability["mode_id"] == "RS-28-a"
    assert liability["gaps"] == 5


def test_the_crime_and_suspect_scopes_and_rejected_qualifications(
    facts, workspace, legal_officer, qualified
):
    other = services.qualify(legal_officer, facts["incident"], "RS-7-1-a", "the whole strike")
    by_crime = crime_matrix(workspace, services.crime_of("RS-7-1-a"))
    assert [s.qualification for s in by_crime.sections if s.subject == "crime"] == [
        qualified["murder"].pk,
        other.pk,
    ]
    by_suspect = suspect_matrix(workspace, facts["commander"])
    assert [s.subject for s in by_suspect.sections] == ["crime", "liability"]
    assert suspect_matrix(workspace, facts["unit"]).sections == ()
    services.reject(legal_officer, other, "duplicate of the act's")
    assert len(crime_matrix(workspace, services.crime_of("RS-7-1-a")).sections) == 2
    included = crime_matrix(workspace, services.crime_of("RS-7-1-a"), rejected=Rejected.INCLUDE)
    assert len(included.sections) == 3


def test_a_confidential_person_is_named_by_id_only(facts, workspace, legal_officer, qualified):
    facts["commander"].sensitivity = "confidential"
    facts["commander"].save()
    text = matrix_csv(incident_matrix(workspace, facts["incident"]))
    assert "Colonel X" not in text
    assert f"person #{facts['commander'].pk} (confidential)" in text


def test_direction_follows_the_first_strong_letter():
    assert direction("The perpetrator") == "ltr"
    assert direction("  12 قتل") == "rtl"  # digits have no strong direction
    assert direction("שלום") == "rtl"
    assert direction("123") == "ltr"


def _arabic_matrix(facts, workspace, investigator, legal_officer):
    records.save(investigator, facts["incident"], title=ARABIC_TITLE)
    murder = services.qualify(legal_officer, facts["act"], "7(1)(a)", "")
    services.link_support(legal_officer, murder, 1, Finding(ARABIC_FINDING), "strong")
    return incident_matrix(workspace, facts["incident"])


def test_the_html_of_an_arabic_matrix_is_right_to_left(
    facts, workspace, investigator, legal_officer
):
    html = matrix_html(_arabic_matrix(facts, workspace, investigator, legal_officer), "ar")
    assert '<html lang="ar" dir="rtl">' in html
    assert f'<span dir="rtl">{ARABIC_FINDING}</span>' in html
    assert 'dir="ltr">The perpetrator killed one or more persons.' in html
    english = matrix_html(_arabic_matrix_again(facts, workspace), "en")
    assert '<html lang="en" dir="ltr">' in english


def _arabic_matrix_again(facts, workspace):
    return incident_matrix(workspace, facts["incident"])


def test_an_arabic_matrix_pdf_has_the_arabic_text_and_a_page_that_is_not_blank(
    facts, workspace, investigator, legal_officer, tmp_path
):
    pdf = matrix_pdf(_arabic_matrix(facts, workspace, investigator, legal_officer), "ar")
    assert pdf.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # The text layer holds the words as letters (not glyph soup), in logical order; a long
    # text may wrap inside its cell.
    flat = " ".join(text.split())
    assert ARABIC_FINDING in flat
    assert ARABIC_TITLE in flat
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the page was not rasterised")
    path = tmp_path / "matrix.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    image = Image.open(tmp_path / "page.png").convert("L")
    image.save(PNG_FOR_REVIEW)
    dark = sum(image.histogram()[:128])
    assert dark > 2000  # text and rules, not an empty page
    # The page is set right to left: the title's ink lies in the right half of the page.
    width, height = image.size
    ink = image.crop((0, 0, width, height // 8)).point(lambda v: 255 if v < 128 else 0)
    left, _top, right, _bottom = ink.getbbox()
    assert left > width // 2
    assert right > width * 0.9
