"""The legal pages: the crime catalogue, the qualifications of an incident and the case matrix,
read by every internal role and changed only by legal officers and administrators."""

from __future__ import annotations

import json
import re

import pytest

from testimonia.conftest import client_for
from testimonia.evidence.services import add_item
from testimonia.incidents import services as records
from testimonia.legal import catalogue, exports, services
from testimonia.legal.models import ElementSupport, Liability, Qualification

from .conftest import png_bytes

pytestmark = pytest.mark.django_db

WS = "/w/test-ws/legal"


def rows_of(page: str, key: str) -> list[tuple[int, str]]:
    """(element number, state) of each row of a matrix section, in the page's order."""
    found = re.findall(
        rf'<tr class="element is-(\w+)" id="row-{key}-(\d+)" data-number="\d+" data-state="\w+">',
        page,
    )
    return [(int(number), state) for state, number in found]


@pytest.fixture
def lawyer(client_for_role):
    return client_for_role("legal_officer")


@pytest.fixture
def client_for_role(personas):
    return lambda role: client_for(personas[role])


@pytest.fixture
def murder(facts, legal_officer):
    return services.qualify(legal_officer, facts["act"], "RS-7-1-a", "Killed in the market.")


def matrix_url(facts):
    return f"{WS}/incidents/{facts['incident'].pk}/matrix/"


# ---------------------------------------------------------------------------------------------
# The catalogue


def test_the_catalogue_lists_every_crime_by_category_with_its_marks(analyst):
    page = client_for(analyst).get(f"{WS}/crimes/").content.decode()
    assert page.count("<tr data-crime=") == 103
    expected = {"GEN": 5, "CAH": 16, "WC-GB": 11, "WC-IAC": 38, "WC-CA3": 7, "WC-NIAC": 25}
    for code, count in {**expected, "AGG": 1}.items():
        section = page.split(f'data-category="{code}"')[1].split("</section>")[0]
        assert section.count("<tr data-crime=") == count, code
        assert f'data-count="{count}"' in section
    assert page.count('data-mark="amendment"') == 11
    assert page.count('data-mark="unverified"') == 7
    xix = page.split('<tr data-crime="RS-8-2-e-xix">')[1].split("</tr>")[0]
    assert "2019" in xix
    assert 'data-mark="unverified"' in xix
    assert page.count("data-mode=") == len(catalogue.modes())


def test_a_crime_page_numbers_its_elements_with_their_kinds_and_sources(analyst):
    page = client_for(analyst).get(f"{WS}/crimes/RS-7-1-a/").content.decode()
    kinds = re.findall(r'data-element="(\d+)" data-kind="(\w+)"', page)
    assert kinds == [("1", "material"), ("2", "contextual"), ("3", "contextual")]
    assert 'data-block="CAH-ATTACK"' in page
    assert 'data-block="CAH-KNOWLEDGE"' in page
    assert "Footnote 7" in page
    assert 'data-source="RS"' in page
    assert 'data-source="EOC"' in page
    assert 'data-mark="unverified"' not in page


def test_an_amended_unverified_crime_says_so(analyst):
    page = client_for(analyst).get(f"{WS}/crimes/RS-8-2-e-xix/").content.decode()
    assert 'data-mark="amendment"' in page
    assert 'id="verification-note"' in page
    assert 'id="amendment-note"' in page


def test_a_crime_named_by_its_article_redirects_to_its_id_and_an_unknown_one_is_not_found(
    analyst,
):
    client = client_for(analyst)
    response = client.get(f"{WS}/crimes/7(1)(a)/")
    assert response.status_code == 302
    assert response["Location"] == f"{WS}/crimes/RS-7-1-a/"
    assert client.get(f"{WS}/crimes/RS-99/").status_code == 404


def test_the_legal_section_of_the_navigation_is_built(investigator):
    page = client_for(investigator).get("/w/test-ws/").content.decode()
    link = re.search(
        r'<a href="([^"]+)" data-section="legal">[^<]*</a>( <span class="badge">)?', page
    )
    assert link is not None
    assert link.group(1) == f"{WS}/"
    assert link.group(2) is None  # not marked "not built yet"
    assert client_for(investigator).get(f"{WS}/").status_code == 200


# ---------------------------------------------------------------------------------------------
# Qualifying on the pages


def test_the_incident_page_links_to_the_legal_pages_per_incident_and_act(facts, analyst):
    page = client_for(analyst).get(f"/w/test-ws/incidents/{facts['incident'].pk}/").content.decode()
    assert f'href="{WS}/incidents/{facts["incident"].pk}/"' in page
    assert f'href="{WS}/incidents/{facts["incident"].pk}/#act-{facts["act"].pk}"' in page
    assert f'href="{matrix_url(facts)}"' in page


def test_a_legal_officer_qualifies_an_act_by_typing_the_crime_as_the_list_shows_it(
    facts, lawyer, legal_officer
):
    incident = facts["incident"]
    page = lawyer.get(f"{WS}/incidents/{incident.pk}/").content.decode()
    assert 'id="qualify-form"' in page
    assert '<option value="7(1)(a) Murder">' in page
    response = lawyer.post(
        f"{WS}/incidents/{incident.pk}/qualify/",
        {"target": f"act:{facts['act'].pk}", "crime": "7(1)(a) Murder", "reasoning": "Shelled."},
    )
    assert response.status_code == 302
    q = Qualification.objects.get()
    assert q.act == facts["act"]
    assert q.crime_id == "RS-7-1-a"
    assert q.proposed_by == legal_officer
    assert response["Location"].endswith(f"#qualification-{q.pk}")


def test_a_refused_qualification_is_shown_again_with_its_error(facts, lawyer, murder):
    incident = facts["incident"]
    url = f"{WS}/incidents/{incident.pk}/qualify/"
    unknown = lawyer.post(url, {"target": "incident", "crime": "7(1)(zz)", "reasoning": ""})
    assert unknown.status_code == 400
    assert "did you mean" in unknown.content.decode()
    again = lawyer.post(url, {"target": f"act:{facts['act'].pk}", "crime": "RS-7-1-a"})
    assert again.status_code == 400
    assert f"qualification {murder.pk}" in again.content.decode()
    ambiguous = lawyer.post(url, {"target": "incident", "crime": "Murder"})
    assert ambiguous.status_code == 400
    assert "8(2)(c)(i)-1" in ambiguous.content.decode()
    assert Qualification.objects.count() == 1


def test_suggestions_become_candidates_that_a_legal_officer_decides_with_reasons(
    facts, lawyer, legal_officer
):
    incident, act = facts["incident"], facts["act"]
    response = lawyer.post(f"{WS}/incidents/{incident.pk}/acts/{act.pk}/suggest/")
    assert response.status_code == 302
    suggested = Qualification.objects.filter(act=act, origin="suggestion")
    assert suggested.filter(crime_id="RS-7-1-a").exists()
    page = lawyer.get(f"{WS}/incidents/{incident.pk}/").content.decode()
    q = suggested.get(crime_id="RS-7-1-a")
    card = page.split(f'id="qualification-{q.pk}"')[1].split("</article>")[0]
    assert 'data-status="candidate"' in page
    assert "Rule killing-civilian" in card

    refused = lawyer.post(
        f"{WS}/qualifications/{q.pk}/decide/", {"decision": "accept", "reasoning": " "}
    )
    assert refused.status_code == 400
    assert f'id="decide-{q.pk}"' in refused.content.decode()
    q.refresh_from_db()
    assert q.status == "candidate"

    lawyer.post(
        f"{WS}/qualifications/{q.pk}/decide/",
        {"decision": "accept", "reasoning": "The child was killed in the attack."},
    )
    q.refresh_from_db()
    assert q.status == "accepted"
    assert q.decided_by == legal_officer
    page = lawyer.get(f"{WS}/incidents/{incident.pk}/").content.decode()
    card = page.split(f'id="qualification-{q.pk}"')[1].split("</article>")[0]
    assert "The child was killed in the attack." in card
    assert legal_officer.get_username() in card


def test_a_legal_officer_names_a_suspect_and_sees_the_suspect_matrix(facts, lawyer, murder):
    unit = facts["unit"]
    url = f"{WS}/qualifications/{murder.pk}/suspects/"
    nobody = lawyer.post(url, {"mode": "RS-25-3-a-direct"})
    assert nobody.status_code == 400
    response = lawyer.post(
        url, {"suspect": f"organisation:{unit.pk}", "mode": "RS-28-a", "reasoning": "Commander"}
    )
    assert response.status_code == 302
    liability = Liability.objects.get()
    assert liability.organisation == unit
    page = lawyer.get(f"{WS}/organisations/{unit.pk}/matrix/").content.decode()
    assert f'id="section-l{liability.pk}"' in page
    assert f'id="section-q{murder.pk}"' in page
    assert len(rows_of(page, f"l{liability.pk}")) == len(catalogue.mode("RS-28-a").elements)
    lawyer.post(f"{WS}/liabilities/{liability.pk}/remove/")
    assert not Liability.objects.exists()


# ---------------------------------------------------------------------------------------------
# The case matrix


def test_a_legal_officer_assesses_and_links_and_the_matrix_follows(
    facts, lawyer, legal_officer, murder
):
    records.cite(legal_officer, facts["incident"], item=facts["item"])
    key = f"q{murder.pk}"
    page = lawyer.get(matrix_url(facts)).content.decode()
    assert rows_of(page, key) == [(1, "unsupported"), (2, "unsupported"), (3, "unsupported")]
    assert 'data-gaps="3"' in page
    assert f'<option value="item:{facts["item"].pk}">' in page
    assert f'<option value="act:{facts["act"].pk}">' in page

    element = f"{WS}/qualifications/{murder.pk}/elements"
    back = {"back": f"incident:{facts['incident'].pk}", "back_query": ""}
    linked = lawyer.post(
        f"{element}/1/supports/",
        {**back, "form": "record", "target": f"item:{facts['item'].pk}", "strength": "strong"},
    )
    assert linked.status_code == 302
    assert linked["Location"] == f"{matrix_url(facts)}#row-{key}-1"
    page = lawyer.get(matrix_url(facts)).content.decode()
    assert rows_of(page, key) == [(2, "unsupported"), (3, "unsupported"), (1, "supported")]
    assert 'data-gaps="2"' in page

    lawyer.post(f"{element}/1/assess/", {**back, "strength": "weak", "note": "Blurred."})
    page = lawyer.get(matrix_url(facts)).content.decode()
    assert rows_of(page, key)[-1] == (
        1,
        "weak",
    )  # assessed weak: a gap again, after those unsupported
    assert "Blurred." in page

    lawyer.post(
        f"{element}/3/supports/",
        {**back, "form": "finding", "text": "Orders were given.", "strength": "moderate"},
    )
    lawyer.post(
        f"{element}/2/supports/",
        {**back, "form": "record", "target": f"act:{facts['act'].pk}", "strength": "moderate"},
    )
    page = lawyer.get(matrix_url(facts)).content.decode()
    assert rows_of(page, key) == [(1, "weak"), (2, "supported"), (3, "supported")]
    assert "Orders were given." in page

    finding = ElementSupport.objects.get(kind="finding")
    unlinked = lawyer.post(f"{WS}/supports/{finding.pk}/unlink/", back)
    assert unlinked.status_code == 302
    assert not ElementSupport.objects.filter(pk=finding.pk).exists()
    page = lawyer.get(matrix_url(facts)).content.decode()
    assert rows_of(page, key) == [(3, "unsupported"), (1, "weak"), (2, "supported")]


def test_the_matrix_lists_unsupported_elements_first_with_words_not_colour_alone(
    facts, lawyer, legal_officer, murder
):
    services.link_support(legal_officer, murder, 1, services.Finding("Seen."), "strong")
    services.link_support(legal_officer, murder, 3, services.Finding("Said."), "weak")
    page = lawyer.get(matrix_url(facts)).content.decode()
    assert rows_of(page, f"q{murder.pk}") == [(2, "unsupported"), (3, "weak"), (1, "supported")]
    labels = re.findall(r'<span class="state (\w+)" data-state-label>([^<]+)</span>', page)
    assert labels == [("unsupported", "unsupported"), ("weak", "weak"), ("supported", "supported")]
    assert page.count('<span class="gap-label">gap</span>') == 2


def test_refused_links_are_shown_in_place(facts, lawyer, other_workspace, murder):
    foreign = add_item(None, other_workspace, [png_bytes((9, 9, 9))], filename="x.png").item
    url = f"{WS}/qualifications/{murder.pk}/elements/1/supports/"
    back = {"back": f"incident:{facts['incident'].pk}", "back_query": ""}
    nothing = lawyer.post(url, {**back, "form": "record", "strength": "weak"})
    assert nothing.status_code == 400
    assert 'id="form-error"' in nothing.content.decode()
    no_strength = lawyer.post(url, {**back, "form": "finding", "text": "Seen."})
    assert no_strength.status_code == 400  # a link's strength is chosen, never defaulted
    other = lawyer.post(url, {**back, "form": "record", "item": foreign.pk, "strength": "weak"})
    assert other.status_code == 400
    assert f"No evidence item {foreign.pk} in this workspace" in other.content.decode()
    no_element = lawyer.post(
        f"{WS}/qualifications/{murder.pk}/elements/9/assess/", {**back, "strength": "weak"}
    )
    assert no_element.status_code == 400
    assert "has no element 9" in no_element.content.decode()
    assert not ElementSupport.objects.exists()


def test_pattern_indicators_sit_beside_the_attack_and_can_be_linked(facts, lawyer, murder):
    incident = facts["incident"]
    url = f"{matrix_url(facts)}?pattern-ids={incident.pk}"
    page = lawyer.get(url).content.decode()
    assert 'id="indicators"' in page
    assert f"the incidents with ids {incident.pk}" in page
    assert 'data-indicator="incidents">1' in page
    beside = page.split(f'id="row-q{murder.pk}-2"')[1].split("</tr>")[0]
    assert 'data-indicators-beside="2"' in beside
    assert f"the incidents with ids {incident.pk}" in beside
    attack = page.split(f'id="edit-q{murder.pk}-2"')[1].split("</tr>")[0]
    assert 'data-form="indicators"' in attack
    other_rows = page.split(f'id="edit-q{murder.pk}-1"')[1].split("</tr>")[0]
    assert 'data-form="indicators"' not in other_rows
    query = json.dumps({"incident_ids": [incident.pk]})
    response = lawyer.post(
        f"{WS}/qualifications/{murder.pk}/elements/2/supports/",
        {
            "back": f"incident:{incident.pk}",
            "back_query": f"pattern-ids={incident.pk}",
            "form": "indicators",
            "query": query,
            "strength": "moderate",
        },
    )
    assert response.status_code == 302
    assert f"?pattern-ids={incident.pk}#row-q{murder.pk}-2" in response["Location"]
    support = ElementSupport.objects.get(kind="indicators")
    assert support.query["incident_ids"] == [incident.pk]
    assert support.snapshot["incidents"] == 1
    bad = lawyer.post(
        f"{WS}/qualifications/{murder.pk}/elements/1/supports/",
        {"form": "indicators", "query": query, "strength": "weak"},
    )
    assert bad.status_code == 400  # indicators support only the pattern elements


def test_an_unknown_incident_in_the_indicator_query_is_an_error_on_the_page(facts, lawyer, murder):
    page = lawyer.get(f"{matrix_url(facts)}?pattern-ids=999999").content.decode()
    assert "no incident 999999 in this workspace" in page


def test_the_crime_matrix_gathers_every_act_qualified_as_the_crime(facts, lawyer, legal_officer):
    other = records.create_incident(legal_officer, facts["incident"].workspace, title="Second")
    act = records.add_act(legal_officer, other, "killing")
    first = services.qualify(legal_officer, facts["act"], "RS-7-1-a", "")
    second = services.qualify(legal_officer, act, "RS-7-1-a", "")
    page = lawyer.get(f"{WS}/crimes/RS-7-1-a/matrix/").content.decode()
    assert f'id="section-q{first.pk}"' in page
    assert f'id="section-q{second.pk}"' in page


def test_rejected_qualifications_are_left_out_unless_asked_for(
    facts, lawyer, legal_officer, murder
):
    services.reject(legal_officer, murder, "Not a widespread attack.")
    assert f'id="section-q{murder.pk}"' not in lawyer.get(matrix_url(facts)).content.decode()
    page = lawyer.get(f"{matrix_url(facts)}?rejected=include").content.decode()
    section = page.split(f'id="section-q{murder.pk}"')[1].split("</section>")[0]
    assert 'data-form="assess"' not in section  # a rejected qualification cannot change


@pytest.mark.parametrize(
    ("file_format", "media_type"),
    [("csv", "text/csv; charset=utf-8"), ("json", "application/json"), ("pdf", "application/pdf")],
)
def test_downloads_have_their_content_type(facts, analyst, murder, file_format, media_type):
    response = client_for(analyst).get(f"{matrix_url(facts)}?download={file_format}")
    assert response.status_code == 200
    assert response["Content-Type"] == media_type
    assert response["Content-Disposition"].startswith('attachment; filename="matrix-test-ws-')
    assert response["Content-Disposition"].endswith(f'.{file_format}"')
    if file_format == "json":
        data = json.loads(response.content)
        assert data["format"] == exports.FORMAT
        assert data["sections"][0]["qualification"] == murder.pk
    if file_format == "pdf":
        assert response.content.startswith(b"%PDF")
    if file_format == "csv":
        assert "RS-7-1-a" in response.content.decode("utf-8-sig")


def test_the_pdf_is_made_in_the_language_of_the_page(facts, analyst, murder, monkeypatch):
    made = []
    monkeypatch.setattr(exports, "matrix_pdf", lambda m, language: made.append(language) or b"%")
    client = client_for(analyst)
    client.cookies["django_language"] = "ar"
    response = client.get(f"{matrix_url(facts)}?download=pdf")
    assert response.status_code == 200
    assert made == ["ar"]


def test_an_unknown_download_format_is_refused(facts, analyst):
    assert client_for(analyst).get(f"{matrix_url(facts)}?download=xlsx").status_code == 400


# ---------------------------------------------------------------------------------------------
# Who may


def test_an_analyst_reads_the_pages_without_any_form(facts, analyst, legal_officer, murder):
    services.link_support(legal_officer, murder, 1, services.Finding("Seen."), "strong")
    client = client_for(analyst)
    legal = client.get(f"{WS}/incidents/{facts['incident'].pk}/").content.decode()
    matrix = client.get(matrix_url(facts)).content.decode()
    for page in (legal, matrix):
        assert 'id="read-only"' in page
        assert "data-form=" not in page
        assert 'data-action="' not in page
        assert 'id="qualify-form"' not in page
    assert "Killed in the market." in legal
    assert "Seen." in matrix


def test_an_analyst_cannot_post_anything(facts, analyst, legal_officer, murder):
    support = services.link_support(legal_officer, murder, 1, services.Finding("x"), "weak")
    liability = services.add_suspect_liability(legal_officer, murder, facts["unit"], "RS-28-a")
    client = client_for(analyst)
    incident, act = facts["incident"].pk, facts["act"].pk
    urls = [
        f"{WS}/incidents/{incident}/qualify/",
        f"{WS}/incidents/{incident}/acts/{act}/suggest/",
        f"{WS}/qualifications/{murder.pk}/decide/",
        f"{WS}/qualifications/{murder.pk}/suspects/",
        f"{WS}/qualifications/{murder.pk}/elements/1/assess/",
        f"{WS}/qualifications/{murder.pk}/elements/1/supports/",
        f"{WS}/liabilities/{liability.pk}/elements/1/assess/",
        f"{WS}/liabilities/{liability.pk}/elements/1/supports/",
        f"{WS}/liabilities/{liability.pk}/remove/",
        f"{WS}/supports/{support.pk}/unlink/",
    ]
    for url in urls:
        assert client.post(url, {"decision": "accept", "reasoning": "x"}).status_code == 403, url
    murder.refresh_from_db()
    assert murder.status == "candidate"
    assert ElementSupport.objects.count() == 1


def test_an_outsider_finds_nothing(facts, outsider, murder):
    client = client_for(outsider)
    incident = facts["incident"].pk
    for url in (
        f"{WS}/",
        f"{WS}/crimes/",
        f"{WS}/crimes/RS-7-1-a/",
        f"{WS}/incidents/{incident}/",
        matrix_url(facts),
        f"{WS}/persons/{facts['victim'].pk}/matrix/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{WS}/qualifications/{murder.pk}/decide/").status_code == 404


def test_records_of_another_workspace_are_not_found_through_this_one(
    facts, lawyer, other_workspace
):
    foreign = records.create_incident(None, other_workspace, title="Elsewhere")
    unit = records.create_organisation(None, other_workspace, "Other unit", "armed_forces")
    assert lawyer.get(f"{WS}/incidents/{foreign.pk}/").status_code == 404
    assert lawyer.get(f"{WS}/incidents/{foreign.pk}/matrix/").status_code == 404
    assert lawyer.get(f"{WS}/organisations/{unit.pk}/matrix/").status_code == 404
    assert lawyer.post(f"{WS}/incidents/{foreign.pk}/qualify/", {}).status_code == 404


def test_a_suspect_of_another_workspace_is_refused_and_one_named_by_id_is_accepted(
    facts, lawyer, other_workspace, murder
):
    foreign = records.create_person(None, other_workspace, [("Someone", "en")])
    url = f"{WS}/qualifications/{murder.pk}/suspects/"
    refused = lawyer.post(url, {"person": foreign.pk, "mode": "RS-25-3-b-ordering"})
    assert refused.status_code == 400
    assert "No such suspect in this workspace." in refused.content.decode()
    assert not Liability.objects.exists()
    named = lawyer.post(url, {"person": facts["commander"].pk, "mode": "RS-25-3-b-ordering"})
    assert named.status_code == 302
    assert Liability.objects.get().person == facts["commander"]
    page = lawyer.get(f"{WS}/persons/{facts['commander'].pk}/matrix/").content.decode()
    assert "Colonel X" in page
