"""Recording recommendations and their implementation: history, current status, overdue."""

from __future__ import annotations

import datetime as dt

import pytest

from testimonia.accounts.exceptions import WorkspaceAccessDenied
from testimonia.evidence.services import add_item
from testimonia.roadmap import services
from testimonia.roadmap.exceptions import RoadmapConflict, RoadmapError
from testimonia.roadmap.models import Recommendation, StatusChange, Theme
from testimonia.roadmap.records import RecommendationFilter, select_recommendations, standings
from testimonia.roadmap.themes import load, sync_themes

D = dt.date
pytestmark = pytest.mark.django_db


END_OF_2025 = D(2025, 12, 31)


def standing_of(rec, actor=None, as_of=END_OF_2025):
    return standings([rec], as_of)[rec.pk].of(actor.pk if actor else None)


def test_the_shipped_themes_are_loaded_with_labels_in_three_languages():
    shipped = Theme.objects.filter(workspace=None)
    assert shipped.count() == len(load()["themes"])
    warrants = shipped.get(code="arrest_warrants")
    assert set(warrants.labels) == {"en", "ar", "he"}
    assert warrants.label_in("ar") == "تنفيذ أوامر القبض"


def test_syncing_the_themes_again_writes_nothing_and_keeps_a_theme_gone_from_the_file():
    Theme.objects.create(workspace=None, code="retired", labels={"en": "Retired"})
    assert sync_themes() == 0
    assert Theme.objects.get(code="retired").active is False


def test_the_history_is_kept_and_the_current_status_is_the_latest_dated_change(roadmap, analyst):
    rec = roadmap.cooperation
    services.record_status_change(
        analyst, rec, status="implemented", date=D(2025, 6, 1), note="Surrendered a suspect."
    )
    services.record_status_change(
        analyst, rec, status="partial", date=D(2025, 2, 1), source=roadmap.resolution
    )
    history = list(rec.status_changes.values_list("date", "status"))
    assert history == [(D(2025, 2, 1), "partial"), (D(2025, 6, 1), "implemented")]
    assert standing_of(rec).status == "implemented"
    assert standing_of(rec).since == D(2025, 6, 1)
    assert standing_of(rec, as_of=D(2025, 3, 1)).status == "partial"
    assert standing_of(rec, as_of=D(2025, 1, 1)).status == "not_started"


def test_a_regression_after_progress_becomes_the_current_status(roadmap, analyst):
    rec = roadmap.cooperation
    services.record_status_change(analyst, rec, status="partial", date=D(2025, 2, 1), note="x")
    services.record_status_change(
        analyst, rec, status="regressed", date=D(2025, 4, 1), note="Cooperation withdrawn."
    )
    assert standing_of(rec).status == "regressed"


def test_a_regression_without_progress_before_it_is_refused(roadmap, analyst):
    with pytest.raises(RoadmapError, match="regression follows progress"):
        services.record_status_change(
            analyst, roadmap.cooperation, status="regressed", date=D(2025, 4, 1), note="x"
        )
    assert StatusChange.objects.count() == 0


def test_progress_needs_evidence(roadmap, analyst):
    with pytest.raises(RoadmapError, match="evidence"):
        services.record_status_change(
            analyst, roadmap.cooperation, status="implemented", date=D(2025, 4, 1)
        )


def test_evidence_items_of_the_vault_are_linked(roadmap, analyst, workspace):
    item = add_item(None, workspace, [b"court record"], filename="record.pdf").item
    change = services.record_status_change(
        analyst, roadmap.cooperation, status="partial", date=D(2025, 4, 1), items=[item]
    )
    assert list(change.items.all()) == [item]


def test_evidence_of_another_workspace_is_refused(roadmap, analyst, other_workspace):
    stranger = add_item(None, other_workspace, [b"elsewhere"], filename="x.txt").item
    with pytest.raises(RoadmapError, match="another workspace"):
        services.record_status_change(
            analyst, roadmap.cooperation, status="partial", date=D(2025, 4, 1), items=[stranger]
        )


def test_a_status_in_the_future_is_refused(roadmap, analyst):
    with pytest.raises(RoadmapError, match="future"):
        services.record_status_change(
            analyst, roadmap.cooperation, status="partial", date=D(2999, 1, 1), note="x"
        )


def test_each_addressee_has_its_own_status(roadmap, analyst):
    rec = roadmap.arrests
    services.record_status_change(
        analyst, rec, status="implemented", date=D(2025, 2, 1), actor=roadmap.alpha, note="x"
    )
    assert standing_of(rec, roadmap.alpha).status == "implemented"
    assert standing_of(rec, roadmap.beta).status == "not_started"
    # As a whole: one implemented, one not started.
    assert standing_of(rec).status == "partial"


def test_a_change_for_someone_who_is_not_an_addressee_is_refused(roadmap, analyst):
    with pytest.raises(RoadmapError, match="not an addressee"):
        services.record_status_change(
            analyst,
            roadmap.cooperation,
            status="partial",
            date=D(2025, 2, 1),
            actor=roadmap.beta,
            note="x",
        )


def test_overdue_when_the_deadline_passed_and_not_implemented(roadmap, analyst):
    rec = roadmap.arrests  # deadline 2025-03-01
    services.record_status_change(
        analyst, rec, status="implemented", date=D(2025, 2, 1), actor=roadmap.alpha, note="x"
    )
    assert standing_of(rec, roadmap.alpha, D(2025, 3, 2)).overdue is False
    assert standing_of(rec, roadmap.beta, D(2025, 3, 1)).overdue is False
    assert standing_of(rec, roadmap.beta, D(2025, 3, 2)).overdue is True
    assert standing_of(roadmap.hostages, as_of=D(2030, 1, 1)).overdue is False


def test_the_list_filters_by_actor_status_and_overdue(roadmap, analyst, workspace):
    services.record_status_change(
        analyst,
        roadmap.arrests,
        status="implemented",
        date=D(2025, 2, 1),
        actor=roadmap.alpha,
        note="x",
    )
    as_of = D(2025, 12, 31)

    def ids(**selection):
        recs, _ = select_recommendations(workspace, RecommendationFilter(**selection), as_of)
        return {r.pk for r in recs}

    assert ids(actor=roadmap.alpha.pk, status="implemented") == {roadmap.arrests.pk}
    assert ids(actor=roadmap.beta.pk, overdue=True) == {roadmap.arrests.pk}
    assert ids(actor=roadmap.alpha.pk, overdue=True) == {roadmap.cooperation.pk}
    assert ids(theme="arrest_warrants") == {roadmap.arrests.pk, roadmap.cooperation.pk}
    assert ids(status="partial") == {roadmap.arrests.pk}


def test_commitments_are_recorded_for_addressees_only(roadmap, analyst):
    commitment = services.record_commitment(
        analyst,
        roadmap.arrests,
        actor=roadmap.beta,
        text="We will execute the warrants.",
        made_on=D(2024, 12, 1),
    )
    assert commitment.actor == roadmap.beta
    with pytest.raises(RoadmapError, match="not an addressee"):
        services.record_commitment(
            analyst, roadmap.cooperation, actor=roadmap.group, text="x", made_on=D(2024, 12, 1)
        )


def test_a_recommendation_with_a_history_cannot_be_deleted(roadmap, analyst):
    services.record_status_change(
        analyst, roadmap.hostages, status="partial", date=D(2025, 1, 20), note="Some released."
    )
    with pytest.raises(RoadmapConflict):
        services.delete_recommendation(analyst, roadmap.hostages)
    assert Recommendation.objects.filter(pk=roadmap.hostages.pk).exists()


def test_a_recommendation_without_history_can_be_deleted(roadmap, analyst):
    services.delete_recommendation(analyst, roadmap.hostages)
    assert not Recommendation.objects.filter(pk=roadmap.hostages.pk).exists()


def test_an_actor_or_a_source_in_use_cannot_be_deleted(roadmap, analyst):
    with pytest.raises(RoadmapConflict):
        services.delete_actor(analyst, roadmap.alpha)
    with pytest.raises(RoadmapConflict):
        services.delete_source(analyst, roadmap.warrant)


def test_an_addressee_with_its_own_history_cannot_be_removed(roadmap, analyst):
    services.record_status_change(
        analyst,
        roadmap.arrests,
        status="partial",
        date=D(2025, 1, 5),
        actor=roadmap.beta,
        note="x",
    )
    with pytest.raises(RoadmapConflict):
        services.update_recommendation(analyst, roadmap.arrests, addressees=[roadmap.alpha])
    assert roadmap.arrests.addressees.count() == 2


def test_the_deadline_must_not_precede_the_date(roadmap, analyst):
    with pytest.raises(RoadmapError, match="before the date"):
        services.update_recommendation(analyst, roadmap.arrests, deadline=D(2020, 1, 1))


def test_actor_names_are_unique_whatever_the_case(roadmap, analyst, workspace):
    with pytest.raises(RoadmapConflict):
        services.create_actor(analyst, workspace, name="ALPHALAND")


def test_a_country_code_is_two_capital_letters_and_for_states_only(analyst, workspace):
    with pytest.raises(RoadmapError, match="ISO 3166"):
        services.create_actor(analyst, workspace, name="X", kind="state", country_code="XYZ")
    with pytest.raises(RoadmapError, match="only a state"):
        services.create_actor(analyst, workspace, name="Y", kind="company", country_code="YY")


@pytest.mark.parametrize("role", ["investigator", "protection_officer", "reviewer"])
def test_only_roles_with_edit_roadmap_change_the_roadmap(personas, workspace, role):
    with pytest.raises(WorkspaceAccessDenied):
        services.create_actor(personas[role], workspace, name="Gammaland")


@pytest.mark.parametrize("role", ["analyst", "legal_officer", "administrator"])
def test_analysts_lawyers_and_administrators_edit_the_roadmap(personas, workspace, role):
    assert services.create_actor(personas[role], workspace, name=f"Gammaland {role}").pk


def test_an_outsider_cannot_edit_the_roadmap(outsider, workspace):
    with pytest.raises(WorkspaceAccessDenied):
        services.create_actor(outsider, workspace, name="Gammaland")
