"""Full-text search: the same answers on SQLite FTS5 and PostgreSQL, whatever the spelling."""

# Arabic and Hebrew letters that look like Latin ones are the point of these tests.
# ruff: noqa: RUF001

import argparse
import json

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testimonia import cli_search
from testimonia.accounts.roles import POLICY, Capability, Role
from testimonia.cli import UsageError
from testimonia.conftest import client_for
from testimonia.evidence.models import Metadata
from testimonia.evidence.services import add_item
from testimonia.incidents import search as search_module
from testimonia.incidents.models import Incident, Person, PersonName, Place, Tag
from testimonia.incidents.search import (
    SearchError,
    index_version,
    reindex,
    search,
    search_ids,
)
from testimonia.incidents.services import (
    IncidentFilter,
    add_act,
    create_incident,
    create_person,
    save,
    set_tags,
)

pytestmark = pytest.mark.django_db


def found(workspace, query, types=None):
    return [(hit.type, hit.id) for hit in search(workspace, query, types=types)]


def person(workspace, *names, **fields):
    return create_person(None, workspace, [(name, "") for name in names], **fields)


# --- spelling variants ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("أحمد", "احمد"),
        ("احمد", "إحمد"),
        ("إحمد", "أحمد"),
        ("آمنة", "امنه"),
        ("فاطمة", "فاطمه"),
        ("فاطمه", "فاطمة"),
        ("مصطفى", "مصطفي"),
        ("يحيي", "يحيى"),
        ("مُحَمَّد", "محمد"),
        ("محمد", "مُحَمَّد"),
        ("محـــمد", "محمد"),
        ("عبد الله", "عبدالله"),
        ("عبدالله", "عبد الله"),
        ("عبد الرحمن", "عبدالرحمن"),
        ("مؤمن", "مومن"),
    ],
)
def test_arabic_spelling_variants_find_each_other(workspace, written, typed):
    someone = person(workspace, written)
    person(workspace, "Someone Else")
    assert found(workspace, typed) == [("person", someone.pk)]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("שָׁלוֹם", "שלום"),
        ("שלום", "שָׁלוֹם"),
        ("יוֹסֵף כֹּהֵן", "יוסף כהן"),
        ("יוסף", "יוס"),  # a final letter typed mid-word still prefix-matches
        ("מרים", "מרימ"),
    ],
)
def test_hebrew_with_and_without_niqqud_find_each_other(workspace, written, typed):
    someone = person(workspace, written)
    assert found(workspace, typed) == [("person", someone.pk)]


@pytest.mark.parametrize("typed", ["khan yunis", "KHAN YUNIS", "Khān Yūnis", "khan-yunis"])
def test_latin_accents_case_and_hyphens_are_ignored(workspace, typed):
    incident = create_incident(None, workspace, title="Strike in Khān Yūnis")
    assert found(workspace, typed) == [("incident", incident.pk)]


def test_every_word_of_the_query_must_begin_a_word_of_the_record(workspace):
    incident = create_incident(None, workspace, title="Strike in Khan Yunis")
    assert found(workspace, "Khan Yun") == [("incident", incident.pk)]
    assert found(workspace, "yun khan") == [("incident", incident.pk)]
    assert found(workspace, "str") == [("incident", incident.pk)]
    assert found(workspace, "Khan Yunx") == []
    assert found(workspace, "unis") == []  # a prefix, not a substring


# --- ranking ----------------------------------------------------------------------------------


def test_a_title_match_outranks_a_description_match(workspace):
    # The description-only record is the shorter one, so length alone would rank it first.
    in_description = create_incident(None, workspace, title="Raid", description="the market")
    in_title = create_incident(
        None,
        workspace,
        title="Shelling of the market",
        description="Shells fell on the stalls at noon, when the street was crowded with "
        "families buying food before the evening; witnesses counted four impacts.",
    )
    hits = search(workspace, "market")
    assert [(h.type, h.id) for h in hits] == [
        ("incident", in_title.pk),
        ("incident", in_description.pk),
    ]
    assert hits[0].score > hits[1].score
    assert hits[0].title == "Shelling of the market"


def test_limit_and_offset_page_through_the_hits(workspace):
    ids = [create_incident(None, workspace, title=f"Market strike {n}").pk for n in range(5)]
    first = search(workspace, "market", limit=2)
    rest = search(workspace, "market", limit=10, offset=2)
    assert len(first) == 2
    assert sorted(h.id for h in first + rest) == sorted(ids)


# --- what is indexed --------------------------------------------------------------------------


def test_types_narrow_the_search(workspace):
    incident = create_incident(None, workspace, title="Shelling near Rafah")
    someone = person(workspace, "Rafah Ahmad")
    assert sorted(found(workspace, "rafah")) == [("incident", incident.pk), ("person", someone.pk)]
    assert found(workspace, "rafah", types=["person"]) == [("person", someone.pk)]
    assert found(workspace, "rafah", types=["incident", "act"]) == [("incident", incident.pk)]
    with pytest.raises(SearchError, match="unknown record type 'victim'"):
        search(workspace, "rafah", types=["victim"])


def test_incidents_are_found_by_translation_place_and_tag(workspace):
    khan_yunis = Place.objects.get(geonames_id=281124)
    incident = create_incident(
        None,
        workspace,
        title="Strike on the school",
        translations={"ar": {"title": "قصف المدرسة", "description": "قتل ثلاثة أطفال"}},
        place=khan_yunis,
        place_name="near the UNRWA clinic",
        tags=["schools"],
    )
    hit = [("incident", incident.pk)]
    assert found(workspace, "المدرسة") == hit
    assert found(workspace, "اطفال") == hit
    assert found(workspace, "unrwa clinic") == hit
    assert found(workspace, "خان يونس") == hit  # the gazetteer's Arabic name of the place
    assert found(workspace, "schools") == hit


def test_acts_are_found_by_type_in_every_language_description_and_method(workspace):
    incident = create_incident(None, workspace, title="Strike on the school")
    act = add_act(
        None, incident, "indiscriminate_killing", description="A tank shell", method="artillery"
    )
    hit = [("act", act.pk)]
    assert found(workspace, "indiscriminate", types=["act"]) == hit
    assert found(workspace, "قتل عشوائي", types=["act"]) == hit
    assert found(workspace, "הריגה", types=["act"]) == hit
    assert found(workspace, "tank shell") == hit
    assert found(workspace, "artil") == hit
    [result] = search(workspace, "tank")
    assert result.title == "Indiscriminate killing (e.g. bombing) \u2014 Strike on the school"


def test_persons_are_found_by_every_name_and_titled_by_the_primary_one(workspace):
    someone = person(workspace, "سارة أحمد", "Sara Ahmad")
    [hit] = search(workspace, "sara")
    assert (hit.type, hit.id, hit.title) == ("person", someone.pk, "سارة أحمد")
    assert found(workspace, "ساره") == [("person", someone.pk)]


def test_confidential_persons_are_never_found(workspace):
    hidden = person(workspace, "Witness Nadia", sensitivity="confidential")
    assert found(workspace, "nadia") == []
    save(None, hidden, sensitivity="restricted")
    assert found(workspace, "nadia") == [("person", hidden.pk)]
    save(None, hidden, sensitivity="confidential")
    assert found(workspace, "nadia") == []
    reindex()
    assert found(workspace, "nadia") == []


def test_evidence_is_found_by_file_name_source_and_metadata(workspace):
    added = add_item(
        None,
        workspace,
        [b"%PDF-1.4 report"],
        filename="تقرير_المستشفى-2024.pdf",
        source="Nasser hospital",
    )
    item = added.item
    hit = [("item", item.pk)]
    assert found(workspace, "تقرير") == hit
    assert found(workspace, "المستشفي 2024") == hit
    assert found(workspace, "nasser") == hit
    assert found(workspace, "canon") == []
    Metadata.objects.create(
        blob=item.blob,
        extractor="testimonia.metadata/test",
        normalised={
            "title": "Ward after the strike",
            "author": "Dr. Nour",
            "device": {"make": "Canon", "model": "EOS 80D", "software": None},
        },
    )
    assert found(workspace, "canon eos") == hit
    assert found(workspace, "nour") == hit
    assert found(workspace, "ward strike") == hit
    [result] = search(workspace, "ward")
    assert result.title == "تقرير_المستشفى-2024.pdf"


def test_deleted_evidence_is_not_found(workspace):
    item = add_item(None, workspace, [b"photo bytes"], filename="checkpoint.jpg").item
    assert found(workspace, "checkpoint") == [("item", item.pk)]
    item.deleted_at = timezone.now()
    item.save(update_fields=["deleted_at"])
    assert found(workspace, "checkpoint") == []
    reindex(workspace)
    assert found(workspace, "checkpoint") == []


# --- isolation and updates --------------------------------------------------------------------


def test_records_of_another_workspace_never_appear(workspace, other_workspace):
    ours = create_incident(None, workspace, title="Raid on Jenin camp")
    theirs = create_incident(None, other_workspace, title="Raid on Jenin camp")
    person(other_workspace, "Jenin Resident")
    add_item(None, other_workspace, [b"jenin"], filename="jenin.jpg")
    assert found(workspace, "jenin") == [("incident", ours.pk)]
    assert found(other_workspace, "jenin raid") == [("incident", theirs.pk)]
    assert search_ids(workspace, "jenin", "person") == []


def test_editing_a_title_changes_the_hits_and_deleting_removes_them(workspace):
    incident = create_incident(None, workspace, title="Shelling of Beit Hanoun")
    act = add_act(None, incident, "killing")
    assert found(workspace, "hanoun") == [("incident", incident.pk)]
    save(None, incident, title="Shelling of Beit Lahia")
    assert found(workspace, "hanoun") == []
    assert found(workspace, "lahia") == [("incident", incident.pk)]
    [act_hit] = search(workspace, "killing", types=["act"])
    assert act_hit.title == "Killing \u2014 Shelling of Beit Lahia"
    incident.delete()
    assert found(workspace, "lahia") == []
    assert found(workspace, "killing") == []
    assert act.pk is not None


def test_names_and_tags_keep_their_records_current(workspace):
    someone = person(workspace, "Omar")
    PersonName.objects.create(person=someone, text="أبو خالد", kind="kunya")
    assert found(workspace, "ابو خالد") == [("person", someone.pk)]
    someone.names.filter(kind="kunya").delete()
    assert found(workspace, "خالد") == []
    incident = create_incident(None, workspace, title="Arrest at the checkpoint")
    set_tags(None, incident, ["detention"])
    assert found(workspace, "detention") == [("incident", incident.pk)]
    tag = Tag.objects.get(workspace=workspace, name="detention")
    tag.name = "arbitrary detention"
    tag.save()
    assert found(workspace, "arbitrary") == [("incident", incident.pk)]
    tag.delete()
    assert found(workspace, "arbitrary") == []
    incident.tags.add(Tag.objects.create(workspace=workspace, name="night"))
    assert found(workspace, "night") == [("incident", incident.pk)]
    incident.tags.clear()
    assert found(workspace, "night") == []


def test_a_deleted_person_is_removed(workspace):
    someone = person(workspace, "Layla")
    Person.objects.filter(pk=someone.pk).delete()
    assert found(workspace, "layla") == []


def test_search_ids_feed_the_incident_facets(workspace):
    strike = create_incident(None, workspace, title="Strike on the market", status="verified")
    create_incident(None, workspace, title="Strike on the school", status="draft")
    create_incident(None, workspace, title="Detention at the crossing", status="verified")
    ids = search_ids(workspace, "strike", "incident")
    assert len(ids) == 2
    chosen = IncidentFilter(ids=ids, status=["verified"]).apply(workspace)
    assert list(chosen.values_list("pk", flat=True)) == [strike.pk]


# --- queries that look like syntax ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"khan yunis"', True),
        ("khan*", True),
        ("(khan) (yunis)", True),
        ("khan AND yunis", False),  # "and" is a word to find, not an operator
        ("khan OR nothing", False),
        ("NOT khan", False),
        ("NEAR(khan yunis)", False),
        ("khan -yunis", True),
        ("title:khan", False),
        ("^khan", True),
        ('khan"', True),
        ("khan'; DROP TABLE incidents_searchentry; --", False),
        ("khan:* & yunis:*", True),
        ("khan \\ yunis", True),
    ],
)
def test_search_syntax_in_a_query_is_taken_as_words(workspace, query, expected):
    incident = create_incident(None, workspace, title="Strike in Khan Yunis")
    assert found(workspace, query) == ([("incident", incident.pk)] if expected else [])
    assert found(workspace, "khan") == [("incident", incident.pk)]  # the index is intact


@pytest.mark.parametrize("query", ["", "   ", '"', "*", "()", "-- ;", "ـ", "\u064e\u0651", "«»"])
def test_a_query_without_words_is_refused(workspace, query):
    with pytest.raises(SearchError, match="no words"):
        search(workspace, query)


def test_a_pasted_document_is_refused(workspace):
    with pytest.raises(SearchError, match="at most 32"):
        search(workspace, " ".join(f"word{n}" for n in range(40)))


# --- rebuilding -------------------------------------------------------------------------------


def test_reindex_rebuilds_what_the_signals_wrote(workspace, other_workspace):
    incident = create_incident(None, workspace, title="Strike in Rafah")
    add_act(None, incident, "killing", description="in Rafah")
    person(workspace, "Rafah Ahmad")
    person(workspace, "Rafah Witness", sensitivity="confidential")
    add_item(None, workspace, [b"x"], filename="rafah.jpg")
    theirs = create_incident(None, other_workspace, title="Rafah crossing")
    before = search(workspace, "rafah")
    assert len(before) == 4
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM incidents_searchentry")
    assert search(workspace, "rafah") == []
    assert reindex(workspace) == 4
    assert search(workspace, "rafah") == before
    assert search(other_workspace, "rafah") == []  # only the workspace asked for
    assert reindex() == 5
    assert found(other_workspace, "rafah") == [("incident", theirs.pk)]
    assert index_version() == search_module.NORMALISATION_VERSION


def test_a_migrate_rebuilds_an_index_built_by_other_rules(workspace):
    incident = create_incident(None, workspace, title="Strike in Rafah")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM incidents_searchentry")
        cursor.execute("UPDATE incidents_searchstate SET version = 'older rules'")
    search_module.ensure_index()
    assert found(workspace, "rafah") == [("incident", incident.pk)]
    assert index_version() == search_module.NORMALISATION_VERSION


def test_a_migrate_drops_entries_of_workspaces_that_are_gone(workspace):
    create_incident(None, workspace, title="Strike in Rafah")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_searchentry SET workspace_id = 999999")
        search_module.ensure_index()
        cursor.execute("SELECT count(*) FROM incidents_searchentry")
        assert cursor.fetchone()[0] == 0


# --- property: any written variant finds any other --------------------------------------------

# Letter classes whose members the normalisation folds together.
CLASSES = [
    ["ا", "أ", "إ", "آ", "ٱ"],
    ["ي", "ى", "ی", "ئ"],
    ["ه", "ة"],
    ["و", "ؤ"],
    ["ك", "ک"],
    *[[letter] for letter in "بتثجحخدذرزسشصضطظعغفقلمن"],
]
HARAKAT = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b", "\u0670"]
TATWEEL = "\u0640"


@st.composite
def spellings(draw):
    """Two writings of the same random Arabic name of one to three words."""
    words = draw(
        st.lists(
            st.lists(st.integers(0, len(CLASSES) - 1), min_size=2, max_size=6),
            min_size=1,
            max_size=3,
        )
    )

    def write():
        out = []
        for word in words:
            letters = []
            for index in word:
                letters.append(draw(st.sampled_from(CLASSES[index])))
                letters.extend(draw(st.lists(st.sampled_from(HARAKAT), max_size=2)))
                letters.append(draw(st.sampled_from(["", "", TATWEEL])))
            out.append("".join(letters))
        return " ".join(out)

    return write(), write()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spellings())
def test_any_spelling_of_a_name_finds_any_other(workspace, pair):
    written, typed = pair
    with transaction.atomic():
        someone = person(workspace, written)
        assert found(workspace, typed, types=["person"]) == [("person", someone.pk)]
        transaction.set_rollback(True)


# --- command line -----------------------------------------------------------------------------


def run_cli(*argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_search.add_parsers(sub)
    args = parser.parse_args(argv)
    handler = cli_search.cmd_search if args.command == "search" else cli_search.cmd_reindex
    return handler(args)


def test_the_command_prints_hits_as_json(workspace, capsys):
    incident = create_incident(None, workspace, title="غارة على خان يونس")
    someone = person(workspace, "Yunis Ahmad")
    assert run_cli("search", "يونس", "--workspace", "test-ws", "--json") == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits == [
        {
            "type": "incident",
            "id": incident.pk,
            "title": "غارة على خان يونس",
            "score": hits[0]["score"],
        }
    ]
    assert isinstance(hits[0]["score"], float)
    assert run_cli("search", "yun", "--workspace", "test-ws", "--type", "person") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"person\t{someone.pk}\t")
    assert out.endswith("\tYunis Ahmad\n")


def test_the_command_refuses_an_empty_query_and_an_unknown_workspace(workspace):
    with pytest.raises(UsageError, match="no words"):
        run_cli("search", ' "* ', "--workspace", "test-ws")
    with pytest.raises(UsageError, match="nowhere"):
        run_cli("search", "khan", "--workspace", "nowhere")


def test_the_reindex_command_counts_what_it_indexed(workspace, capsys):
    create_incident(None, workspace, title="Strike in Rafah")
    assert run_cli("reindex", "--workspace", "test-ws", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "workspace": "test-ws",
        "indexed": 1,
        "facet_values": 1,
    }
    assert run_cli("reindex") == 0
    assert capsys.readouterr().out == "indexed 1 record(s) of all workspaces; 1 facet value(s)\n"


# --- API --------------------------------------------------------------------------------------

URL = "/api/v1/workspaces/test-ws/search"


def test_the_api_returns_hits_to_members_who_may_view_records(workspace, analyst):
    incident = create_incident(None, workspace, title="Strike in Khan Yunis")
    item = add_item(None, workspace, [b"x"], filename="khan-yunis.jpg").item
    response = client_for(analyst).get(URL, {"q": "khan yun"})
    assert response.status_code == 200
    body = response.json()
    assert sorted((h["type"], h["id"]) for h in body) == [
        ("incident", incident.pk),
        ("item", item.pk),
    ]
    assert set(body[0]) == {"type", "id", "title", "score"}
    only = client_for(analyst).get(URL, {"q": "khan", "type": ["incident", "act"]}).json()
    assert [(h["type"], h["id"]) for h in only] == [("incident", incident.pk)]


def test_the_api_refuses_empty_queries_and_bad_parameters(workspace, analyst):
    client = client_for(analyst)
    empty = client.get(URL, {"q": " ?! "})
    assert empty.status_code == 400
    assert empty.json()["error"]["code"] == "bad_request"
    assert "no words" in empty.json()["error"]["message"]
    assert client.get(URL).status_code == 400
    assert client.get(URL, {"q": "x", "type": "victim"}).status_code == 400
    assert client.get(URL, {"q": "x", "limit": 0}).status_code == 400
    assert client.get(URL, {"q": "x", "offset": -1}).status_code == 400


def test_the_api_answers_403_to_reviewers_and_404_to_outsiders(workspace, reviewer, outsider):
    create_incident(None, workspace, title="Strike in Khan Yunis")
    assert client_for(reviewer).get(URL, {"q": "khan"}).status_code == 403
    assert client_for(outsider).get(URL, {"q": "khan"}).status_code == 404


def test_the_api_hides_evidence_from_roles_that_may_not_see_it(workspace, analyst, monkeypatch):
    incident = create_incident(None, workspace, title="Strike in Khan Yunis")
    add_item(None, workspace, [b"x"], filename="khan-yunis.jpg")
    monkeypatch.setitem(
        POLICY,
        Capability.VIEW_EVIDENCE,
        frozenset(POLICY[Capability.VIEW_EVIDENCE] - {Role.ANALYST}),
    )
    client = client_for(analyst)
    body = client.get(URL, {"q": "khan"}).json()
    assert [(h["type"], h["id"]) for h in body] == [("incident", incident.pk)]
    assert client.get(URL, {"q": "khan", "type": "item"}).status_code == 403


EVERYWHERE = "/api/v1/search"


def test_the_search_of_every_workspace_merges_those_the_caller_may_read(
    workspace, other_workspace, analyst, reviewer
):
    from testimonia.accounts.services import grant_role

    here = create_incident(None, workspace, title="Strike in Khan Yunis")
    there = create_incident(None, other_workspace, title="Khan Yunis shelling")
    elsewhere = create_incident(None, other_workspace, title="Khan Yunis, a third")
    client = client_for(analyst)
    body = client.get(EVERYWHERE, {"q": "khan"}).json()
    assert [(h["workspace"], h["id"]) for h in body] == [("test-ws", here.pk)]
    grant_role(analyst, other_workspace, Role.ANALYST)
    body = client.get(EVERYWHERE, {"q": "khan"}).json()
    assert sorted((h["workspace"], h["id"]) for h in body) == [
        ("other-ws", there.pk),
        ("other-ws", elsewhere.pk),
        ("test-ws", here.pk),
    ]
    assert [h["score"] for h in body] == sorted((h["score"] for h in body), reverse=True)
    only = client.get(EVERYWHERE, {"q": "khan", "workspace": "other-ws", "limit": 1}).json()
    assert len(only) == 1
    assert only[0]["workspace"] == "other-ws"
    # Not a member: 404, as everywhere; a member who may not read records: 403 when named,
    # left out when not.
    assert client.get(EVERYWHERE, {"q": "khan", "workspace": "nowhere"}).status_code == 404
    assert client_for(reviewer).get(EVERYWHERE, {"q": "khan"}).json() == []
    named = client_for(reviewer).get(EVERYWHERE, {"q": "khan", "workspace": "test-ws"})
    assert named.status_code == 403
    assert client.get(EVERYWHERE, {"q": " ?! "}).status_code == 400
    assert client.get(EVERYWHERE, {"q": "khan", "limit": 0}).status_code == 400


def test_the_search_of_every_workspace_needs_a_login(workspace):
    from django.test import Client

    assert Client().get(EVERYWHERE, {"q": "khan"}).status_code == 401


def test_incident_model_is_indexed_on_create_without_services(workspace):
    incident = Incident.objects.create(workspace=workspace, title="Created directly")
    assert found(workspace, "directly") == [("incident", incident.pk)]
