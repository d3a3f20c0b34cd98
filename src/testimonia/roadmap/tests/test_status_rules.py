"""The pure status rules: the latest dated change wins, per addressee, as of a day."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testimonia.roadmap import status as rules
from testimonia.roadmap.status import Change

D = dt.date


def test_no_change_means_not_started_with_no_date():
    found = rules.standing([], 1, None, D(2025, 1, 1))
    assert found.status == "not_started"
    assert found.since is None
    assert found.overdue is False


def test_the_latest_dated_change_wins_whatever_the_order_of_recording():
    changes = [
        Change(D(2025, 5, 1), 1, "implemented", 1),
        Change(D(2025, 2, 1), 2, "partial", 1),  # recorded later, happened earlier
    ]
    assert rules.standing(changes, 1, None, D(2025, 6, 1)).status == "implemented"
    assert rules.standing(changes, 1, None, D(2025, 3, 1)).status == "partial"


def test_changes_on_one_day_are_taken_in_the_order_recorded():
    changes = [Change(D(2025, 5, 1), 7, "partial", 1), Change(D(2025, 5, 1), 9, "regressed", 1)]
    assert rules.standing(changes, 1, None, D(2025, 5, 1)).status == "regressed"


def test_a_change_about_every_addressee_applies_to_each_until_their_own():
    changes = [
        Change(D(2025, 1, 1), 1, "partial", None),
        Change(D(2025, 2, 1), 2, "implemented", 5),
    ]
    assert rules.standing(changes, 5, None, D(2025, 3, 1)).status == "implemented"
    assert rules.standing(changes, 6, None, D(2025, 3, 1)).status == "partial"


def test_a_change_about_another_addressee_does_not_count():
    changes = [Change(D(2025, 1, 1), 1, "implemented", 5)]
    assert rules.standing(changes, 6, None, D(2025, 3, 1)).status == "not_started"


def test_overdue_after_the_deadline_day_unless_implemented():
    assert rules.is_overdue(D(2025, 3, 1), "partial", D(2025, 3, 1)) is False
    assert rules.is_overdue(D(2025, 3, 1), "partial", D(2025, 3, 2)) is True
    assert rules.is_overdue(D(2025, 3, 1), "implemented", D(2025, 3, 2)) is False
    assert rules.is_overdue(None, "not_started", D(2030, 1, 1)) is False


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "not_started"),
        (["implemented", "implemented"], "implemented"),
        (["implemented", "not_started"], "partial"),
        (["regressed", "not_started"], "regressed"),
        (["regressed", "partial"], "partial"),
        (["not_started", "not_started"], "not_started"),
    ],
)
def test_the_summary_of_several_addressees(statuses, expected):
    assert rules.summary(statuses) == expected


def test_the_share_is_none_when_nothing_was_counted():
    assert rules.share(0, 0) is None
    assert rules.share(1, 3) == 0.333


changes_strategy = st.lists(
    st.builds(
        Change,
        date=st.dates(min_value=D(2020, 1, 1), max_value=D(2025, 12, 31)),
        sequence=st.integers(min_value=1, max_value=10_000),
        status=st.sampled_from(rules.STATUSES),
        actor=st.sampled_from([None, 1, 2]),
    ),
    max_size=12,
    unique_by=lambda c: c.sequence,
)


@given(changes_strategy, st.dates(min_value=D(2020, 1, 1), max_value=D(2026, 1, 1)))
def test_the_status_is_that_of_the_latest_applicable_change(changes, as_of):
    applicable = [c for c in changes if c.actor in (None, 1) and c.date <= as_of]
    found = rules.standing(changes, 1, None, as_of)
    if not applicable:
        assert found.status == "not_started"
    else:
        latest = max(applicable, key=lambda c: (c.date, c.sequence))
        assert found.status == latest.status
        assert found.since == latest.date


@given(changes_strategy)
def test_the_order_of_the_list_does_not_matter(changes):
    as_of = D(2026, 1, 1)
    assert rules.standing(changes, 2, None, as_of) == rules.standing(
        list(reversed(changes)), 2, None, as_of
    )
