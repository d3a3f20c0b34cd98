"""Properties every estimate must have, on tables hypothesis makes up."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testimonia.casualties.capture import CaptureTable
from testimonia.casualties.estimation import fit_loglinear, parse_model
from testimonia.casualties.estimation_bma import bma

LISTS = ("A", "B", "C")
MODELS = ("independence", "A:B", "A:B,B:C", "pairwise")

# Every observed cell at least 1, so that each model's estimate exists.
tables = st.lists(st.integers(min_value=1, max_value=400), min_size=7, max_size=7).map(
    lambda cells: CaptureTable(LISTS, (0, *cells))
)
orders = st.permutations(range(3))
relaxed = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(table=tables, model=st.sampled_from(MODELS))
def test_a_loglinear_estimate_is_at_least_what_was_observed(table, model):
    result = fit_loglinear(table, parse_model(model, LISTS))
    assert result.estimate >= table.n_observed
    assert result.profile_estimate >= table.n_observed
    assert result.ci95[0] >= table.n_observed


@relaxed
@given(table=tables, model=st.sampled_from(MODELS))
def test_the_interval_contains_the_estimates(table, model):
    result = fit_loglinear(table, parse_model(model, LISTS))
    lower, upper = result.ci95
    assert lower <= result.profile_estimate
    assert lower <= result.estimate
    assert upper is None or result.estimate <= upper
    assert upper is None or result.profile_estimate <= upper


@relaxed
@given(table=tables, order=orders, model=st.sampled_from(("independence", "pairwise")))
def test_permuting_the_lists_does_not_change_a_symmetric_models_estimate(table, order, model):
    permuted = table.permuted(order)
    before = fit_loglinear(table, parse_model(model, LISTS))
    after = fit_loglinear(permuted, parse_model(model, permuted.lists))
    assert after.estimate == pytest.approx(before.estimate, rel=1e-7)
    assert after.ci95[0] == pytest.approx(before.ci95[0], rel=1e-6)


@relaxed
@given(table=tables, order=orders)
def test_permuting_the_lists_does_not_change_a_named_models_estimate(table, order):
    permuted = table.permuted(order)
    before = fit_loglinear(table, parse_model("A:B", LISTS))
    after = fit_loglinear(permuted, parse_model("A:B", permuted.lists))
    assert after.estimate == pytest.approx(before.estimate, rel=1e-7)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables, order=orders)
def test_bma_is_at_least_what_was_observed_and_ignores_list_order(table, order):
    result = bma(table)
    permuted = bma(table.permuted(order))
    lower, upper = result.ci95
    assert table.n_observed <= lower <= result.estimate <= upper
    # Sums in another order may move a quantile across a grid point, never further.
    assert abs(permuted.estimate - result.estimate) <= result.grid_step
    assert abs(permuted.ci95[0] - lower) <= result.grid_step
    assert abs(permuted.ci95[1] - upper) <= result.grid_step
    assert permuted.mean == pytest.approx(result.mean, rel=1e-9)
