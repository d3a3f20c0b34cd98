"""The scorecard's figures on a roadmap whose answer is worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from testimonia.roadmap import services
from testimonia.roadmap.scorecard import Scope, compute_scorecard

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def history(roadmap, analyst):
    r = roadmap
    services.record_status_change(
        analyst, r.arrests, status="implemented", date=D(2025, 2, 1), actor=r.alpha, note="x"
    )
    services.record_status_change(
        analyst, r.arrests, status="partial", date=D(2025, 1, 10), actor=r.beta, note="x"
    )
    services.record_status_change(
        analyst, r.cooperation, status="partial", date=D(2025, 4, 1), note="x"
    )
    services.record_status_change(
        analyst, r.cooperation, status="regressed", date=D(2025, 7, 1), note="x"
    )
    services.record_status_change(
        analyst, r.hostages, status="partial", date=D(2025, 1, 20), note="x"
    )
    return r


def by_name(card):
    return {a["name"]: a for a in card["actors"]}


def themes_of(actor):
    return {t["theme"]: t for t in actor["themes"]}


def test_figures_per_actor(workspace, history):
    card = compute_scorecard(workspace, as_of=D(2025, 12, 31)).as_dict()
    actors = by_name(card)
    assert list(actors) == ["Alphaland", "Armed Group X", "Betaland"]
    alpha = actors["Alphaland"]
    assert alpha["count"] == 2
    assert alpha["by_status"] == {"not_started": 0, "partial": 0, "implemented": 1, "regressed": 1}
    assert alpha["share_implemented"] == 0.5
    assert alpha["overdue"] == 1  # cooperation: deadline 2025-09-18 passed, regressed
    assert alpha["last_change"] == "2025-07-01"
    beta = actors["Betaland"]
    assert beta["by_status"]["partial"] == 1
    assert beta["share_implemented"] == 0.0
    assert beta["overdue"] == 1
    assert beta["last_change"] == "2025-01-10"


def test_figures_per_actor_and_theme(workspace, history):
    card = compute_scorecard(workspace, as_of=D(2025, 12, 31)).as_dict()
    alpha = themes_of(by_name(card)["Alphaland"])
    assert set(alpha) == {"arrest_warrants", "icc_cooperation"}
    assert alpha["arrest_warrants"]["count"] == 2
    assert alpha["arrest_warrants"]["implemented"] == 1
    assert alpha["arrest_warrants"]["overdue"] == 1
    assert alpha["icc_cooperation"]["by_status"]["regressed"] == 1
    assert alpha["icc_cooperation"]["share_implemented"] == 0.0
    group = themes_of(by_name(card)["Armed Group X"])
    assert set(group) == {None}  # the hostages recommendation has no theme
    assert group[None]["overdue"] == 0  # and no deadline


def test_theme_indicators_and_totals(workspace, history):
    card = compute_scorecard(workspace, as_of=D(2025, 12, 31)).as_dict()
    totals = {t["theme"]: t for t in card["theme_totals"]}
    warrants = totals["arrest_warrants"]
    assert warrants["count"] == 3  # alpha x arrests, beta x arrests, alpha x cooperation
    assert warrants["by_status"] == {
        "not_started": 0,
        "partial": 1,
        "implemented": 1,
        "regressed": 1,
    }
    assert warrants["share_implemented"] == 0.333
    assert warrants["overdue"] == 2
    assert totals[None]["count"] == 1
    assert card["totals"]["count"] == 4
    assert card["totals"]["overdue"] == 2
    assert card["totals"]["last_change"] == "2025-07-01"
    assert [t["code"] for t in card["themes"]] == ["icc_cooperation", "arrest_warrants"]


def test_figures_as_of_an_earlier_day(workspace, history):
    card = compute_scorecard(workspace, as_of=D(2025, 2, 15)).as_dict()
    assert card["totals"]["by_status"] == {
        "not_started": 1,
        "partial": 2,
        "implemented": 1,
        "regressed": 0,
    }
    assert card["totals"]["overdue"] == 0  # no deadline had passed


def test_recommendations_issued_after_the_day_are_left_out(workspace, history):
    card = compute_scorecard(workspace, as_of=D(2024, 10, 15)).as_dict()
    actors = by_name(card)
    assert set(actors) == {"Alphaland", "Armed Group X"}  # the warrants came later
    assert actors["Alphaland"]["count"] == 1


def test_the_published_scope_counts_published_recommendations_only(workspace, history, analyst):
    services.update_recommendation(analyst, history.hostages, published=True)
    card = compute_scorecard(workspace, as_of=D(2025, 12, 31), scope=Scope.PUBLISHED).as_dict()
    assert [a["name"] for a in card["actors"]] == ["Armed Group X"]
    assert card["totals"]["count"] == 1
    assert card["scope"] == "published"


def test_an_empty_roadmap_has_no_share(workspace):
    card = compute_scorecard(workspace, as_of=D(2025, 1, 1)).as_dict()
    assert card["actors"] == []
    assert card["totals"]["count"] == 0
    assert card["totals"]["share_implemented"] is None


def test_another_workspace_sees_none_of_it(other_workspace, history):
    assert compute_scorecard(other_workspace, as_of=D(2025, 12, 31)).as_dict()["actors"] == []
