"""Dossier services: a case, its suspects, charges, items, incidents and team, each change by
a named actor who may build cases, kept in the history; a closed case no longer changes."""

from __future__ import annotations

import pytest

from testimonia.accounts.exceptions import WorkspaceAccessDenied
from testimonia.cases import dossiers
from testimonia.cases.exceptions import CaseConflict, CasesError, UnknownMechanism
from testimonia.cases.models import Case, CaseMember
from testimonia.evidence.services import add_item
from testimonia.incidents import services as documentation
from testimonia.legal import services as legal

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(workspace, legal_officer):
    return dossiers.create_case(
        legal_officer,
        workspace,
        "Attacks on health care",
        mechanism_slug="un-coi",
        situation="The situation in the region",
        language="ar",
    )


@pytest.fixture
def unit(workspace, investigator):
    return documentation.create_organisation(investigator, workspace, "Brigade 7", "armed_forces")


@pytest.fixture
def person(workspace, investigator):
    return documentation.create_person(investigator, workspace, [("Commander X", "en")])


def test_a_case_names_a_mechanism_of_the_registry_and_its_opener_leads_it(case, legal_officer):
    assert case.mechanism.slug == "un-coi"
    assert case.status == Case.Status.OPEN
    assert case.language == "ar"
    assert case.created_by == legal_officer
    lead = case.team.get()
    assert (lead.user, lead.role) == (legal_officer, CaseMember.Role.LEAD)
    assert case.history.get().history_user == legal_officer


def test_an_unknown_mechanism_or_language_is_refused(workspace, legal_officer):
    with pytest.raises(UnknownMechanism, match="icc"):
        dossiers.create_case(legal_officer, workspace, "x", mechanism_slug="hague")
    with pytest.raises(CasesError, match="language"):
        dossiers.create_case(legal_officer, workspace, "x", language="Arabic!")
    with pytest.raises(CasesError, match="title"):
        dossiers.create_case(legal_officer, workspace, "  ")


@pytest.mark.parametrize("role", ["investigator", "analyst", "protection_officer", "reviewer"])
def test_only_who_may_build_cases_changes_them(personas, workspace, case, role):
    with pytest.raises(WorkspaceAccessDenied):
        dossiers.create_case(personas[role], workspace, "x")
    with pytest.raises(WorkspaceAccessDenied):
        dossiers.update_case(personas[role], case, title="y")


def test_an_outsider_builds_nothing_here(outsider, workspace):
    with pytest.raises(WorkspaceAccessDenied):
        dossiers.create_case(outsider, workspace, "x")


def test_changes_and_status_are_kept_in_the_history(case, administrator, legal_officer):
    dossiers.update_case(administrator, case, title="Renamed", mechanism="icc")
    dossiers.set_status(legal_officer, case, "in_preparation")
    case.refresh_from_db()
    assert (case.title, case.mechanism.slug, case.status) == ("Renamed", "icc", "in_preparation")
    users = [h.history_user for h in case.history.order_by("history_date")]
    assert users == [legal_officer, administrator, legal_officer]
    with pytest.raises(CasesError, match="status"):
        dossiers.set_status(legal_officer, case, "archived")
    with pytest.raises(CasesError, match="cannot be changed"):
        dossiers.update_case(legal_officer, case, workspace=None)


def test_a_closed_case_changes_only_to_be_reopened(case, legal_officer, unit):
    dossiers.set_status(legal_officer, case, "closed")
    with pytest.raises(CaseConflict, match="closed"):
        dossiers.update_case(legal_officer, case, title="x")
    with pytest.raises(CaseConflict, match="closed"):
        dossiers.add_suspect(legal_officer, case, organisation=unit)
    dossiers.set_status(legal_officer, case, "open")
    assert dossiers.add_suspect(legal_officer, case, organisation=unit).organisation == unit


def test_suspects_are_persons_or_units_of_the_workspace_named_once(
    case, legal_officer, person, unit, other_workspace
):
    first = dossiers.add_suspect(legal_officer, case, person=person, note="commander")
    dossiers.add_suspect(legal_officer, case, organisation=unit)
    assert [s.pk for s in case.suspects.all()] == [first.pk, first.pk + 1]
    with pytest.raises(CaseConflict, match="already"):
        dossiers.add_suspect(legal_officer, case, person=person)
    with pytest.raises(CasesError, match="one of the two"):
        dossiers.add_suspect(legal_officer, case, person=person, organisation=unit)
    with pytest.raises(CasesError, match="one of the two"):
        dossiers.add_suspect(legal_officer, case)
    theirs = documentation.create_organisation(None, other_workspace, "Theirs", "armed_forces")
    with pytest.raises(CasesError, match="no unit"):
        dossiers.add_suspect(legal_officer, case, organisation=theirs)


def test_charges_name_a_crime_and_a_mode_of_the_catalogue(case, legal_officer, unit):
    suspect = dossiers.add_suspect(legal_officer, case, organisation=unit)
    charge = dossiers.add_charge(legal_officer, case, "7(1)(a)", "RS-28-a", suspect=suspect)
    assert (charge.crime_id, charge.mode_id, charge.suspect) == ("RS-7-1-a", "RS-28-a", suspect)
    assert charge.catalogue_version
    assert charge.qualification is None  # nothing qualified yet
    with pytest.raises(CasesError, match="no crime"):
        dossiers.add_charge(legal_officer, case, "RS-99", "RS-28-a")
    with pytest.raises(CasesError, match="mode of liability"):
        dossiers.add_charge(legal_officer, case, "RS-7-1-a", "RS-25-9")
    with pytest.raises(CaseConflict, match="already charges"):
        dossiers.add_charge(legal_officer, case, "RS-7-1-a", "RS-28-a", suspect=suspect)
    with pytest.raises(CaseConflict, match="charges"):
        dossiers.remove_suspect(legal_officer, suspect)
    dossiers.remove_charge(legal_officer, charge)
    dossiers.remove_suspect(legal_officer, suspect)
    assert not case.suspects.exists()


def test_a_charge_links_the_legal_analysis_where_it_fits(
    case, legal_officer, investigator, workspace, unit
):
    incident = documentation.create_incident(investigator, workspace, title="Strike")
    act = documentation.add_act(investigator, incident, "killing")
    qualification = legal.qualify(legal_officer, act, "RS-7-1-a", "x")
    liability = legal.add_suspect_liability(legal_officer, qualification, unit, "RS-28-a")
    other = legal.qualify(legal_officer, incident, "RS-8-2-b-i", "x")
    # The liability given names its qualification and suspect (who must be in the case).
    with pytest.raises(CasesError, match="add the suspect"):
        dossiers.add_charge(legal_officer, case, "RS-7-1-a", "RS-28-a", liability=liability)
    suspect = dossiers.add_suspect(legal_officer, case, organisation=unit)
    charge = dossiers.add_charge(legal_officer, case, "RS-7-1-a", "RS-28-a", liability=liability)
    assert (charge.qualification, charge.suspect) == (qualification, suspect)
    with pytest.raises(CasesError, match="alleges"):
        dossiers.add_charge(legal_officer, case, "RS-7-1-a", "RS-28-b", liability=liability)
    with pytest.raises(CasesError, match="is of RS-8-2-b-i"):
        dossiers.add_charge(legal_officer, case, "RS-7-1-a", "RS-28-b", qualification=other)
    # The liability is removed in the legal app: the charge stays, unlinked.
    legal.remove_suspect_liability(legal_officer, liability)
    charge.refresh_from_db()
    assert charge.liability is None
    assert charge.qualification == qualification


def test_items_are_added_once_with_a_note_and_removed(case, legal_officer, workspace, investigator):
    photo = add_item(investigator, workspace, [b"photo"], filename="a.jpg").item
    video = add_item(investigator, workspace, [b"video"], filename="b.mp4").item
    rows = dossiers.add_items(legal_officer, case, [photo, video], note="the strike")
    assert [r.item for r in rows] == [photo, video]
    again = dossiers.add_items(legal_officer, case, [photo], note="the crater")
    assert again[0].pk == rows[0].pk
    assert case.case_items.count() == 2
    assert case.case_items.get(item=photo).note == "the crater"
    dossiers.remove_item(legal_officer, case, video.pk)
    assert [r.item for r in dossiers.case_items(case)] == [photo]
    removed = case.case_items.model.history.filter(item_id=video.pk, history_type="-").get()
    assert removed.history_user == legal_officer


def test_items_of_another_workspace_or_deleted_ones_are_refused(
    case, legal_officer, other_workspace, workspace
):
    theirs = add_item(None, other_workspace, [b"x"], filename="x.jpg").item
    with pytest.raises(CasesError, match="no item"):
        dossiers.add_items(legal_officer, case, [theirs])
    gone = add_item(None, workspace, [b"y"], filename="y.jpg").item
    gone.deleted_at = gone.added_at
    gone.save()
    with pytest.raises(CasesError, match="deleted"):
        dossiers.add_items(legal_officer, case, [gone])
    assert not case.case_items.exists()


def test_incidents_support_the_case(case, legal_officer, workspace, other_workspace):
    mine = documentation.create_incident(None, workspace, title="Mine")
    dossiers.add_incidents(legal_officer, case, [mine])
    assert list(case.incidents.all()) == [mine]
    theirs = documentation.create_incident(None, other_workspace, title="Theirs")
    with pytest.raises(CasesError, match="no incident"):
        dossiers.add_incidents(legal_officer, case, [theirs])
    dossiers.remove_incident(legal_officer, case, mine.pk)
    assert not case.incidents.exists()


def test_the_team_has_members_and_reviewers_for_a_mechanism(
    case, legal_officer, analyst, reviewer, outsider
):
    member = dossiers.add_member(legal_officer, case, analyst, "member")
    assert member.mechanism is None
    with pytest.raises(CasesError, match="external reviewer"):
        dossiers.add_member(legal_officer, case, reviewer, "member")
    with pytest.raises(CasesError, match="name it"):
        dossiers.add_member(legal_officer, case, reviewer, "reviewer")
    review = dossiers.add_member(legal_officer, case, reviewer, "reviewer", mechanism_slug="icc")
    assert review.mechanism.slug == "icc"
    with pytest.raises(CasesError, match="not a member"):
        dossiers.add_member(legal_officer, case, outsider, "member")
    with pytest.raises(CaseConflict, match="already"):
        dossiers.add_member(legal_officer, case, analyst, "lead")


def test_a_reviewer_sees_only_the_cases_whose_team_names_them(
    workspace, case, legal_officer, reviewer, analyst
):
    other = dossiers.create_case(legal_officer, workspace, "Another")
    assert set(dossiers.visible_cases(analyst, workspace)) == {case, other}
    assert list(dossiers.visible_cases(reviewer, workspace)) == []
    dossiers.add_member(legal_officer, case, reviewer, "reviewer", mechanism_slug="national")
    assert list(dossiers.visible_cases(reviewer, workspace)) == [case]
    seen = dossiers.reviewer_mechanisms(reviewer, case)
    from testimonia.cases.models import Mechanism

    slugs = set(Mechanism.objects.filter(pk__in=seen).values_list("slug", flat=True))
    assert "national-de" in slugs
    assert "national" in slugs
    assert "icc" not in slugs
