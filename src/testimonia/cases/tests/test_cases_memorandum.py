"""The case matrix of a dossier and the PDF memorandum of its disclosures, in English and in
Arabic (set right to left)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from testimonia.cases.case_matrix import UNQUALIFIED, case_matrix
from testimonia.cases.disclosure import export_case
from testimonia.cases.dossiers import add_charge, add_incidents, add_suspect
from testimonia.incidents import services as documentation
from testimonia.legal import services as legal

from .casetools import grant, make_dossier, pdf_text

pytestmark = pytest.mark.django_db

TITLE_AR = "الهجوم على سوق المدينة"
SUMMARY_AR = "قصف السوق المركزي في ساعة الذروة وقتل المدنيين."


@pytest.fixture
def qualified(workspace, investigator, legal_officer, witness):
    """A dossier with an incident whose act is qualified as murder (a crime against
    humanity), element 1 supported by the redacted statement, a unit named as a suspect
    under ordering, and a second charge that nothing supports yet."""
    dossier = make_dossier(
        workspace,
        investigator,
        legal_officer,
        witness,
        title=TITLE_AR,
        summary=SUMMARY_AR,
        situation="الوضع في المدينة",
        language="ar",
    )
    incident = documentation.create_incident(
        investigator, workspace, title="Strike on the market", status="verified"
    )
    act = documentation.add_act(investigator, incident, "killing")
    unit = documentation.create_organisation(investigator, workspace, "Brigade 7", "armed_forces")
    documentation.add_involvement(investigator, act, organisation=unit)
    qualification = legal.qualify(legal_officer, act, "RS-7-1-a", "the market was full")
    legal.link_support(legal_officer, qualification, 1, dossier.redacted, "strong", "the witness")
    liability = legal.add_suspect_liability(
        legal_officer, qualification, unit, "RS-25-3-b-ordering"
    )
    add_incidents(legal_officer, dossier.case, [incident])
    suspect = add_suspect(legal_officer, dossier.case, organisation=unit)
    charge = add_charge(
        legal_officer, dossier.case, "RS-7-1-a", "RS-25-3-b-ordering", suspect=suspect
    )
    unsupported = add_charge(legal_officer, dossier.case, "RS-8-2-b-i", "RS-25-3-a-direct")
    return dossier, qualification, liability, charge, unsupported


def test_a_charge_links_the_liability_that_fits_it(qualified):
    _dossier, qualification, liability, charge, unsupported = qualified
    assert charge.qualification == qualification
    assert charge.liability == liability
    assert unsupported.qualification is None


def test_the_case_matrix_shows_the_charges_elements_evidence_and_gaps(qualified):
    dossier, qualification, liability, _charge, _unsupported = qualified
    matrix = case_matrix(dossier.case)
    assert matrix.scope == "case"
    subjects = [(s.subject, s.crime_id, s.status) for s in matrix.sections]
    assert subjects == [
        ("crime", "RS-7-1-a", "candidate"),
        ("liability", "RS-7-1-a", "candidate"),
        ("crime", "RS-8-2-b-i", UNQUALIFIED),
    ]
    crime = matrix.sections[0]
    assert crime.qualification == qualification.pk
    supported = [r for r in crime.rows if r.supports]
    assert [r.number for r in supported] == [1]
    assert str(dossier.redacted.pk) in supported[0].supports[0].label
    assert matrix.sections[1].liability == liability.pk
    unqualified = matrix.sections[2]
    assert unqualified.rows
    assert all(r.is_gap for r in unqualified.rows)
    assert matrix.gaps == sum(len(s.gaps) for s in matrix.sections)


def test_a_rejected_qualification_is_left_out(qualified, legal_officer):
    dossier, qualification, _l, _c, _u = qualified
    legal.reject(legal_officer, qualification, "not a widespread attack")
    statuses = [(s.crime_id, s.status) for s in case_matrix(dossier.case).sections]
    assert ("RS-7-1-a", "candidate") not in statuses
    assert ("RS-7-1-a", UNQUALIFIED) in statuses


def _first_line(pdf):
    """The horizontal extent (x_min, x_max) of the first line of page 1 (the heading), and
    the page's width, from pdftotext -bbox."""
    result = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    html = result.stdout.decode("utf-8")
    width = float(re.search(r'<page width="([0-9.]+)"', html).group(1))
    words = [
        (float(y_min), float(x_min), float(x_max))
        for x_min, y_min, x_max in re.findall(
            r'<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)"', html
        )
    ]
    top = min(y for y, _a, _b in words)
    line = [(a, b) for y, a, b in words if y == top]
    return min(a for a, _b in line), max(b for _a, b in line), width


def test_the_arabic_memorandum_renders_right_to_left(
    tmp_path, qualified, investigator, legal_officer
):
    from testimonia.cases.disclosure import plan_disclosure
    from testimonia.cases.disclosure_files import memorandum_html, memorandum_pdf

    dossier, *_rest = qualified
    grant(investigator, dossier.witness, "share", "icc")
    out = tmp_path / "bag"
    export_case(legal_officer, dossier.case, "icc", out)  # the case's language: Arabic
    memo = out / "disclosure" / "memorandum.pdf"
    assert memo.read_bytes().startswith(b"%PDF-")
    text = pdf_text(memo)
    assert TITLE_AR in text
    assert SUMMARY_AR.rstrip(".") in text
    assert "Brigade 7" in text
    assert "7(1)(a) Murder" in text
    # Right to left: the heading ends at the right margin. In English it starts at the left.
    start, end, width = _first_line(memo)
    assert end > width * 0.85
    assert start > width * 0.3
    english = tmp_path / "memo-en.pdf"
    plan = plan_disclosure(dossier.case, "icc")
    html = memorandum_html(
        plan, case_matrix(dossier.case), language="en", export_id="x", recipient="", actor=None
    )
    english.write_bytes(memorandum_pdf(html))
    start, end, width = _first_line(english)
    assert start < width * 0.15
    assert end < width * 0.7
    # Page 1 as an image, to look at (the Arabic glyphs joined, the tables mirrored).
    if shutil.which("pdftoppm"):
        png = tmp_path / "memo_ar"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(memo), png],
            check=True,
            timeout=60,
        )
        assert (tmp_path / "memo_ar.png").stat().st_size > 10_000


def test_the_memorandum_html_is_set_right_to_left_in_arabic(qualified, investigator):
    from testimonia.cases.disclosure import plan_disclosure
    from testimonia.cases.disclosure_files import memorandum_html

    dossier, *_rest = qualified
    grant(investigator, dossier.witness, "share", "icc")
    plan = plan_disclosure(dossier.case, "icc")
    matrix = case_matrix(dossier.case)
    arabic = memorandum_html(plan, matrix, language="ar", export_id="x", recipient="", actor=None)
    assert '<html lang="ar" dir="rtl">' in arabic
    assert f'<strong dir="rtl">{TITLE_AR}</strong>' in arabic
    english = memorandum_html(plan, matrix, language="en", export_id="x", recipient="", actor=None)
    assert '<html lang="en" dir="ltr">' in english
    assert "Disclosure memorandum" in english
