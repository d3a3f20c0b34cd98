"""Qualifying, assessing and linking through the services: who may, what is refused, what the
database itself refuses, and what the history keeps."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from testimonia.accounts.exceptions import WorkspaceAccessDenied
from testimonia.evidence.services import add_item
from testimonia.incidents import removal
from testimonia.incidents import services as records
from testimonia.legal import services
from testimonia.legal.models import ElementAssessment, ElementSupport, Liability, Qualification
from testimonia.legal.services import Finding, IndicatorQuery

from .conftest import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def murder(facts, legal_officer):
    return services.qualify(legal_officer, facts["act"], "7(1)(a)", "Killed in the market.")


def test_a_legal_officer_qualifies_an_act_as_a_candidate_crime(facts, legal_officer, murder):
    assert murder.crime_id == "RS-7-1-a"  # the article was turned into the crime's id
    assert murder.act == facts["act"]
    assert murder.incident is None
    assert murder.status == "candidate"
    assert murder.origin == "user"
    assert murder.proposed_by == legal_officer
    assert murder.catalogue_version == "2026.1"
    assert murder.history.get().history_user == legal_officer


def test_an_administrator_qualifies_a_whole_incident(facts, administrator):
    q = services.qualify(administrator, facts["incident"], "RS-7-1-b", "")
    assert q.incident == facts["incident"]
    assert q.act is None


@pytest.mark.parametrize("role", ["investigator", "analyst", "protection_officer", "reviewer"])
def test_other_roles_may_not_qualify(facts, personas, role):
    with pytest.raises(WorkspaceAccessDenied):
        services.qualify(personas[role], facts["act"], "7(1)(a)", "x")


def test_a_member_of_another_workspace_may_not_qualify(facts, outsider):
    with pytest.raises(WorkspaceAccessDenied):
        services.qualify(outsider, facts["act"], "7(1)(a)", "x")


def test_the_same_act_is_qualified_once_as_each_crime(facts, legal_officer, murder):
    with pytest.raises(services.QualificationConflict, match=rf"qualification {murder.pk}"):
        services.qualify(legal_officer, facts["act"], "RS-7-1-a", "again")
    services.qualify(legal_officer, facts["act"], "RS-8-2-c-i-1", "also a war crime")
    assert Qualification.objects.count() == 2


def test_an_unknown_crime_names_the_closest(facts, legal_officer):
    with pytest.raises(services.QualificationError, match="did you mean"):
        services.qualify(legal_officer, facts["act"], "7(1)(aa)", "x")


def test_the_database_refuses_a_qualification_of_both_or_neither(facts, workspace):
    both = Qualification(
        workspace=workspace,
        act=facts["act"],
        incident=facts["incident"],
        crime_id="RS-7-1-a",
        catalogue_version="2026.1",
        origin="user",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        both.save()
    suggestion_without_rule = Qualification(
        workspace=workspace,
        act=facts["act"],
        crime_id="RS-7-1-a",
        catalogue_version="2026.1",
        origin="suggestion",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        suggestion_without_rule.save()


def test_the_database_refuses_a_support_that_is_not_what_its_kind_says(murder, facts):
    assessment = ElementAssessment.objects.create(qualification=murder, number=1)
    mismatched = ElementSupport(
        assessment=assessment, kind="finding", item=facts["item"], strength="weak"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        mismatched.save()
    empty_finding = ElementSupport(assessment=assessment, kind="finding", strength="weak")
    with pytest.raises(IntegrityError), transaction.atomic():
        empty_finding.save()


def test_assess_and_link_record_strengths_notes_and_authors(murder, facts, legal_officer):
    services.assess_element(legal_officer, murder, 1, "strong", "Three witnesses and a video.")
    item = services.link_support(legal_officer, murder, 1, facts["item"], "strong", "minute 2")
    finding = services.link_support(
        legal_officer, murder, 1, Finding("The victims were shopping."), "moderate"
    )
    fact = services.link_support(legal_officer, murder, 1, facts["act"], "weak")
    assessment = ElementAssessment.objects.get(qualification=murder, number=1)
    assert assessment.strength == "strong"
    assert assessment.note == "Three witnesses and a video."
    assert assessment.assessed_by == legal_officer
    assert [s.kind for s in assessment.supports.order_by("pk")] == ["item", "finding", "act"]
    assert item.note == "minute 2"
    assert item.target == facts["item"]
    assert finding.finding == "The victims were shopping."
    assert fact.created_by == legal_officer
    services.assess_support(legal_officer, fact, "moderate", "the act record cites the video")
    fact.refresh_from_db()
    assert fact.strength == "moderate"
    fact_id = fact.pk
    services.unlink_support(legal_officer, fact)
    assert not ElementSupport.objects.filter(pk=fact_id).exists()
    removed = ElementSupport.history.filter(id=fact_id, history_type="-").get()
    assert removed.history_user == legal_officer


def test_an_element_number_and_a_strength_must_exist(murder, facts, legal_officer):
    with pytest.raises(services.QualificationError, match=r"has no element 4 \(it has 3\)"):
        services.assess_element(legal_officer, murder, 4, "weak")
    with pytest.raises(services.QualificationError, match="unknown strength 'certain'"):
        services.link_support(legal_officer, murder, 1, facts["item"], "certain")


def test_the_same_record_is_linked_to_an_element_once(murder, facts, legal_officer):
    services.link_support(legal_officer, murder, 1, facts["item"], "strong")
    with pytest.raises(services.QualificationConflict, match="already linked to element 1"):
        services.link_support(legal_officer, murder, 1, facts["item"], "weak")
    services.link_support(legal_officer, murder, 2, facts["item"], "weak")  # another element


def test_records_of_another_workspace_or_deleted_items_are_refused(
    murder, facts, legal_officer, other_workspace, outsider
):
    foreign_item = add_item(outsider, other_workspace, [png_bytes((9, 9, 9))], filename="x.png")
    foreign_person = records.create_person(outsider, other_workspace, [("Z", "en")])
    for foreign in (foreign_item.item, foreign_person):
        with pytest.raises(services.QualificationError, match="another workspace"):
            services.link_support(legal_officer, murder, 1, foreign, "weak")
    with pytest.raises(services.QualificationError, match="another workspace"):
        services.add_suspect_liability(legal_officer, murder, foreign_person, "RS-28-a")
    facts["item"].deleted_at = timezone.now()
    facts["item"].save()
    with pytest.raises(services.QualificationError, match="was deleted"):
        services.link_support(legal_officer, murder, 1, facts["item"], "weak")
    assert not ElementSupport.objects.exists()


def test_indicators_support_only_the_attack_element(murder, facts, legal_officer):
    query = IndicatorQuery({"incident_ids": [facts["incident"].pk]})
    with pytest.raises(services.QualificationError, match="element 1 is not one of them"):
        services.link_support(legal_officer, murder, 1, query, "weak")
    support = services.link_support(legal_officer, murder, 2, query, "weak", "one incident")
    assert support.kind == "indicators"
    assert support.query["incident_ids"] == [facts["incident"].pk]
    assert support.query["description"] == f"the incidents with ids {facts['incident'].pk}"
    assert support.snapshot["incidents"] == 1
    assert support.snapshot["civilians"] == 1


def test_a_rejected_qualification_cannot_change_until_reopened(murder, facts, legal_officer):
    services.reject(legal_officer, murder, "Not widespread.")
    with pytest.raises(services.QualificationConflict, match="was rejected"):
        services.link_support(legal_officer, murder, 1, facts["item"], "strong")
    with pytest.raises(services.QualificationConflict, match="was rejected"):
        services.assess_element(legal_officer, murder, 1, "strong")
    services.reopen(legal_officer, murder, "New witnesses.")
    assert murder.status == "candidate"
    services.link_support(legal_officer, murder, 1, facts["item"], "strong")


def test_suspects_and_their_mode_of_liability(murder, facts, legal_officer, investigator):
    commander = services.add_suspect_liability(
        legal_officer, murder, facts["commander"], "RS-28-a", "Commanded the brigade."
    )
    unit = services.add_suspect_liability(legal_officer, murder, facts["unit"], "25(3)(d)")
    assert commander.person == facts["commander"]
    assert unit.organisation == facts["unit"]
    assert unit.mode_id == "RS-25-3-d"
    with pytest.raises(services.QualificationConflict, match="already named"):
        services.add_suspect_liability(legal_officer, murder, facts["commander"], "RS-28-a")
    with pytest.raises(services.QualificationError, match="no mode of liability"):
        services.add_suspect_liability(legal_officer, murder, facts["commander"], "RS-99")
    with pytest.raises(WorkspaceAccessDenied):
        services.add_suspect_liability(investigator, murder, facts["commander"], "RS-25-3-c")
    services.assess_element(legal_officer, commander, 2, "moderate", "Appointed in 2023.")
    services.link_support(legal_officer, commander, 2, facts["source"], "moderate")
    services.link_support(legal_officer, commander, 1, facts["involvement"], "weak")
    with pytest.raises(services.QualificationError, match="RS-28-a has no element 9"):
        services.assess_element(legal_officer, commander, 9, "weak")
    commander_id = commander.pk
    services.remove_suspect_liability(legal_officer, commander)
    assert list(Liability.objects.all()) == [unit]
    assert not ElementSupport.objects.exists()
    removed = Liability.history.filter(id=commander_id, history_type="-").get()
    assert removed.history_user == legal_officer


def test_a_qualified_act_or_a_linked_record_cannot_be_deleted(
    murder, facts, legal_officer, investigator
):
    services.link_support(legal_officer, murder, 1, facts["victim"], "strong")
    with pytest.raises(removal.RemovalRefused, match="qualification"):
        removal.delete_act(investigator, facts["act"])
    with pytest.raises(removal.RemovalRefused, match="qualification"):
        removal.delete_incident(investigator, facts["incident"])
    assert Qualification.objects.filter(pk=murder.pk).exists()


def test_an_item_deleted_after_it_was_linked_is_marked_in_the_matrix(
    murder, facts, legal_officer, workspace
):
    from testimonia.legal.matrix_loader import incident_matrix

    services.link_support(legal_officer, murder, 1, facts["item"], "strong")
    facts["item"].deleted_at = timezone.now()
    facts["item"].save()
    row = next(
        r for r in incident_matrix(workspace, facts["incident"]).sections[0].rows if r.number == 1
    )
    assert row.supports[0].label.endswith("(deleted since it was linked)")
