"""Multiple systems estimation against published outputs and independent computations.

References (the data files and their sources: tests/data/SOURCES.md):
- Rcapture 1.4-4, tests/Examples/Rcapture-Ex.Rout.save (the output of its documented
  examples): HIV in Rome, four lists, `closedpCI.t(HIV, dfreq=TRUE, mX=~(c1+c2+c3+c4)^2)` and
  `mX=~.+c1:c2`; hares, six occasions, `closedp.t(hare)` model Mt.
- dga (HRDAG), tests/testthat/test-BMAfunctions.R, "3 lists example against Madigan and
  York": the published results of Madigan & York (1997) for their three-list example.
Printed reference values are matched to 0.1% (rel=1e-3) unless their printed precision is
coarser, which is said where it applies.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, special, stats

from testimonia.casualties import estimation
from testimonia.casualties.capture import CaptureTable, capture_table, read_capture_csv
from testimonia.casualties.estimation import (
    Method,
    default_models,
    estimate,
    fit_loglinear,
    parse_model,
)
from testimonia.casualties.estimation_bma import bma, decomposable_graphs
from testimonia.casualties.exceptions import EstimationInputError

DATA = Path(__file__).parent / "data"
REL = 1e-3


@pytest.fixture(scope="module")
def hiv():
    return read_capture_csv(DATA / "hiv_rome.csv")


@pytest.fixture(scope="module")
def spina_bifida():
    return read_capture_csv(DATA / "spina_bifida.csv")


def fit(table, model):
    return fit_loglinear(table, parse_model(model, table.lists))


# --- Rcapture's documented examples ---------------------------------------------------------


def test_hiv_pairwise_model_matches_rcapture(hiv):
    # Rcapture: "Mt double interaction  23443.5  9594.9  3.037  4  92.073" and
    # "multinomial 23269.8, 95% profile likelihood interval 10027.6 to 50046.3".
    result = fit(hiv, "pairwise")
    assert hiv.n_observed == 1896
    assert result.estimate == pytest.approx(23443.5, rel=REL)
    assert result.stderr == pytest.approx(9594.9, rel=REL)
    assert result.deviance == pytest.approx(3.037, rel=REL)
    assert result.df == 4
    assert result.aic == pytest.approx(92.073, rel=REL)
    assert result.profile_estimate == pytest.approx(23269.8, rel=REL)
    assert result.ci95[0] == pytest.approx(10027.6, rel=REL)
    assert result.ci95[1] == pytest.approx(50046.3, rel=REL)


def test_hiv_pairwise_intercept_matches_rcapture_coefficients(hiv):
    # summary(cp.m1$fit)$coefficients: (Intercept) 9.9780167, so the missing cell is e^9.978.
    result = fit(hiv, "pairwise")
    assert np.log(result.missing) == pytest.approx(9.9780167, rel=1e-6)


def test_hiv_one_interaction_model_matches_rcapture(hiv):
    # Rcapture: "Mt interaction 1,2  12318.5  1188.7  7.614  9  86.65" and
    # "12308  10266  14992.3".
    result = fit(hiv, "c1:c2")
    assert result.estimate == pytest.approx(12318.5, rel=REL)
    assert result.stderr == pytest.approx(1188.7, rel=REL)
    assert result.deviance == pytest.approx(7.614, rel=REL)
    assert result.df == 9
    assert result.aic == pytest.approx(86.65, rel=REL)
    assert result.profile_estimate == pytest.approx(12308, rel=REL)
    assert result.ci95[0] == pytest.approx(10266, rel=REL)
    assert result.ci95[1] == pytest.approx(14992.3, rel=REL)


def test_hiv_selection_by_aic_picks_the_interaction_rcapture_settles_on(hiv):
    # Rcapture's HIV example: "only the [1,2] interaction is important".
    report = estimate(hiv)
    assert len(report.models) == 64
    assert report.selected == "c1:c2"


def test_hare_model_mt_matches_rcapture():
    # Rcapture closedp.t(hare): "Mt  75.1  3.4  58.314  56  154.505". The abundance and its
    # standard error are printed to one decimal: 75.1 is matched to 0.1%, the standard error
    # to its printed rounding (+-0.05).
    hare = read_capture_csv(DATA / "hare.csv")
    result = fit(hare, "independence")
    assert hare.n_observed == 68
    assert result.estimate == pytest.approx(75.1, rel=REL)
    assert result.stderr == pytest.approx(3.4, abs=0.05)
    assert result.deviance == pytest.approx(58.314, rel=REL)
    assert result.df == 56
    assert result.aic == pytest.approx(154.505, rel=REL)


def test_bic_uses_the_number_observed_as_rcapture_does(hiv):
    result = fit(hiv, "c1:c2")
    assert result.bic - result.aic == pytest.approx((np.log(1896) - 2) * 6, rel=1e-9)


# --- dga / Madigan & York ---------------------------------------------------------------------


def madigan_york_prior(n_grid):
    # The prior on N of Madigan & York's example, as in dga's test (a = 13.14, b = 55.17).
    a, b = 13.14, 55.17
    return (
        n_grid * np.log(b)
        - (n_grid + a) * np.log(1 + b)
        + special.gammaln(n_grid + a)
        - special.gammaln(n_grid + 1)
        - special.gammaln(a)
    )


def test_spina_bifida_bma_matches_madigan_and_york(spina_bifida):
    # dga's test: top model posterior 0.37, its Bayes estimator 731 and mode 729; the model
    # average's Bayes estimator 731 and mode 728 (all as rounded there).
    grid = np.arange(1, 301)
    result = bma(
        spina_bifida,
        delta=1.0,
        n_missing=grid,
        log_prior_n=madigan_york_prior(spina_bifida.n_observed + grid),
    )
    top = result.top[0]
    assert round(top.posterior, 2) == 0.37
    assert round(top.bayes_estimator) == 731
    assert top.mode == 729
    assert round(result.bayes_estimator) == 731
    assert result.mode == 728
    assert float(result.graph_posterior.sum()) == pytest.approx(1.0)


def test_decomposable_graphs_are_counted_as_chordal_graphs_are():
    # Labelled chordal graphs on 3, 4, 5 vertices (OEIS A058862): 8, 61, 822, as dga's
    # graphs3, graphs4 and graphs5.
    assert [len(decomposable_graphs(k)) for k in (3, 4, 5)] == [8, 61, 822]


def test_a_star_graph_has_its_centre_as_separator_twice():
    star = next(g for g in decomposable_graphs(4) if g.edges == ((0, 1), (0, 2), (0, 3)))
    assert star.cliques == ((0, 1), (0, 2), (0, 3))
    assert star.separators == ((0,), (0,))


def test_no_four_cycle_is_decomposable():
    cycle = ((0, 1), (0, 2), (1, 3), (2, 3))
    assert all(g.edges != cycle for g in decomposable_graphs(4))


def _dirichlet_multinomial(counts, alpha):
    counts = np.asarray(counts, dtype=float)
    return float(
        special.gammaln(alpha * len(counts))
        - special.gammaln(counts.sum() + alpha * len(counts))
        + np.sum(special.gammaln(counts + alpha) - special.gammaln(alpha))
    )


def _direct_log_posterior(table, graph, m, delta):
    """Independent derivation for three graph shapes on three lists: the hyper-Dirichlet
    marginal likelihood written as Dirichlet-multinomials of a margin and of conditionals."""
    cells = np.array(table.cells, dtype=float)
    cells[0] = m
    total = cells.sum()
    bits = [[(i >> j) & 1 for j in range(3)] for i in range(8)]
    if graph == "saturated":
        log_ml = _dirichlet_multinomial(cells, delta)
    elif graph == "independence":
        log_ml = 0.0
        for j in range(3):
            on = sum(c for c, b in zip(cells, bits, strict=True) if b[j])
            log_ml += _dirichlet_multinomial([total - on, on], 4 * delta)
    else:  # chain L1 - L2 - L3: p(L2) p(L1 | L2) p(L3 | L2)
        margin = [sum(c for c, b in zip(cells, bits, strict=True) if b[1] == v) for v in (0, 1)]
        log_ml = _dirichlet_multinomial(margin, 4 * delta)
        for v in (0, 1):
            for other in (0, 2):
                given = [
                    sum(c for c, b in zip(cells, bits, strict=True) if b[1] == v and b[other] == w)
                    for w in (0, 1)
                ]
                log_ml += _dirichlet_multinomial(given, 2 * delta)
    coefficient = special.gammaln(total + 1) - np.sum(special.gammaln(cells + 1))
    return log_ml + coefficient - np.log(total)


def test_bma_posterior_equals_a_direct_dirichlet_computation(spina_bifida):
    graphs = decomposable_graphs(3)
    shapes = {(): "independence", ((0, 1), (1, 2)): "chain", ((0, 1), (0, 2), (1, 2)): "saturated"}
    keep = [i for i, g in enumerate(graphs) if g.edges in shapes]
    prior = np.full(len(graphs), -np.inf)
    prior[keep] = 0.0
    grid = np.arange(0, 400)
    result = bma(spina_bifida, delta=0.25, n_missing=grid, log_prior_graphs=prior)
    direct = np.array(
        [
            [_direct_log_posterior(spina_bifida, shapes[graphs[i].edges], m, 0.25) for m in grid]
            for i in keep
        ]
    )
    weights = np.exp(direct - direct.max())
    weights /= weights.sum()
    assert result.graph_posterior[keep] == pytest.approx(weights.sum(axis=1), rel=1e-9)
    assert result.posterior_n == pytest.approx(weights.sum(axis=0), rel=1e-9, abs=1e-15)


def test_bma_default_prior_is_dgas(spina_bifida):
    result = bma(spina_bifida)
    assert result.delta == 2.0**-3
    assert result.as_dict()["prior_n"] == "1/N"
    assert result.n_grid[0] == spina_bifida.n_observed
    assert result.n_grid[-1] == 31 * spina_bifida.n_observed


def test_bma_summaries_hang_together():
    table = read_capture_csv(DATA / "madigan_york_5.csv")
    result = bma(table, delta=0.5, n_missing=np.arange(1, 301))
    lower, upper = result.ci95
    assert lower <= result.median <= upper
    assert lower <= result.mean <= upper
    assert len(result.top) == 5
    assert result.top[0].posterior == pytest.approx(float(result.graph_posterior.max()))
    assert result.warnings == []


def test_bma_warns_when_the_grid_cuts_the_posterior(spina_bifida):
    result = bma(spina_bifida, n_missing=np.arange(0, 40))
    assert [code for code, _ in result.warnings] == ["bma_grid_truncated"]


@pytest.mark.parametrize("lists", [2, 6])
def test_bma_refuses_other_than_three_to_five_lists(lists):
    cells = [0] + [5] * (2**lists - 1)
    table = CaptureTable(tuple(f"L{j}" for j in range(lists)), tuple(cells))
    with pytest.raises(EstimationInputError, match="3 to 5 lists"):
        bma(table)


def test_estimate_with_bma_reports_the_average_and_the_loglinear_models(spina_bifida):
    report = estimate(spina_bifida, method=Method.BMA).as_dict()
    assert report["bma"]["graphs"] == 8
    assert report["bma"]["ci95"][0] <= report["bma"]["estimate"] <= report["bma"]["ci95"][1]
    assert report["selected"] is not None


# --- independent computations -----------------------------------------------------------------


def test_two_list_independence_is_lincoln_petersen():
    table = capture_table(["A", "B"], {(1, 0): 70, (0, 1): 130, (1, 1): 30})
    result = fit(table, "independence")
    n1, n2, both = 100, 160, 30
    assert result.estimate == pytest.approx(n1 * n2 / both, rel=1e-9)


def _poisson_fit_by_scipy(x, y):
    def negative_loglik(beta):
        eta = x @ beta
        return float(np.sum(np.exp(eta) - y * eta))

    def gradient(beta):
        return x.T @ (np.exp(x @ beta) - y)

    start = np.zeros(x.shape[1])
    start[0] = np.log(y.mean())
    found = optimize.minimize(negative_loglik, start, jac=gradient, method="BFGS", tol=1e-12)
    return found.x


def test_loglinear_fit_agrees_with_a_direct_poisson_maximisation(hiv):
    spec = parse_model("c1:c2,c3:c4", hiv.lists)
    x = spec.design(hiv.k)[1:]
    y = np.array(hiv.cells[1:], dtype=float)
    beta = _poisson_fit_by_scipy(x, y)
    result = fit_loglinear(hiv, spec)
    assert result.missing == pytest.approx(np.exp(beta[0]), rel=1e-5)
    mu = np.exp(x @ beta)
    deviance = 2 * np.sum(special.xlogy(y, y / mu) - (y - mu))
    assert result.deviance == pytest.approx(deviance, rel=1e-5)


def _multinomial_profile(table, spec, total):
    """Cormack's profile log-likelihood written directly as a multinomial, maximised over
    the cell probabilities of the model by scipy (no Poisson deviance involved)."""
    x = spec.design(table.k)
    y = np.array(table.cells, dtype=float)
    y[0] = total - table.n_observed

    def negative(beta):
        eta = x[:, 1:] @ beta
        return -float(np.sum(y * (eta - special.logsumexp(eta))))

    best = optimize.minimize(negative, np.zeros(x.shape[1] - 1), method="BFGS", tol=1e-12)
    return float(special.gammaln(total + 1) - special.gammaln(y[0] + 1) - best.fun)


def test_profile_interval_bounds_sit_on_the_chi_square_cut(hiv):
    spec = parse_model("c1:c2", hiv.lists)
    result = fit_loglinear(hiv, spec)
    peak = _multinomial_profile(hiv, spec, result.profile_estimate)
    cut = stats.chi2.ppf(0.95, 1) / 2
    for bound in result.ci95:
        assert peak - _multinomial_profile(hiv, spec, bound) == pytest.approx(cut, abs=2e-3)
    for nearby in (result.profile_estimate - 5, result.profile_estimate + 5):
        assert _multinomial_profile(hiv, spec, nearby) < peak


# --- warnings instead of silent numbers -------------------------------------------------------


@pytest.fixture
def three_lists():
    counts = {(1, 0, 0): 60, (0, 1, 0): 49, (1, 1, 0): 4, (0, 0, 1): 247}
    counts |= {(1, 0, 1): 112, (0, 1, 1): 142, (1, 1, 1): 12}
    return capture_table(["A", "B", "C"], counts)


def test_the_three_way_term_with_three_lists_is_not_identifiable(three_lists):
    result = fit(three_lists, "A:B:C")
    assert result.estimate is None
    assert result.ci95 is None
    assert [w.code for w in result.warnings] == ["not_identifiable"]
    assert "confounded with the unobserved cell" in result.warnings[0].message


def test_pairwise_with_two_lists_is_not_identifiable():
    table = capture_table(["A", "B"], {(1, 0): 70, (0, 1): 130, (1, 1): 30})
    report = estimate(table, models=["pairwise", "independence"])
    codes = [w.code for w in report.warnings]
    assert "not_identifiable" in codes
    assert "two_lists" in codes
    assert report.selected == "independence"


def test_pairwise_with_three_lists_is_estimated_with_a_caveat(three_lists):
    result = fit(three_lists, "pairwise")
    assert result.estimate is not None
    assert result.df == 0
    assert [w.code for w in result.warnings] == ["exact_fit"]


def test_an_interaction_without_overlap_is_not_estimated():
    counts = {(1, 0, 0): 50, (0, 1, 0): 40, (0, 0, 1): 30, (1, 0, 1): 10, (0, 1, 1): 8}
    table = capture_table(["A", "B", "C"], counts)
    result = fit(table, "A:B")
    assert result.estimate is None
    assert [w.code for w in result.warnings] == ["mle_does_not_exist"]
    assert "no record is on all of A, B" in result.warnings[0].message
    report = estimate(table, models=["A:B", "independence"])
    assert "no_overlap" in [w.code for w in report.warnings]


def test_a_zero_cell_that_a_saturated_fit_would_need_is_caught(three_lists):
    cells = list(three_lists.cells)
    cells[1] = 0  # nobody on A alone
    table = CaptureTable(three_lists.lists, tuple(cells))
    result = fit(table, "pairwise")
    assert result.estimate is None
    assert [w.code for w in result.warnings] == ["mle_does_not_exist"]
    assert "the empty cells A would be fitted with 0" in result.warnings[0].message


def test_zero_cells_that_leave_the_estimate_finite_are_fine(hiv):
    # HIV has empty cells (1111, 1011) and Rcapture fits the pairwise model regardless.
    assert fit(hiv, "pairwise").warnings == []


def test_an_upper_limit_beyond_the_search_is_said_not_hidden(monkeypatch):
    # Little overlap: the upper limit is far above the estimate. With the search capped below
    # it, the interval is reported open-ended, with a warning.
    counts = {(1, 0, 0): 100, (0, 1, 0): 100, (0, 0, 1): 100, (1, 1, 1): 1}
    counts |= {(1, 1, 0): 1, (1, 0, 1): 1, (0, 1, 1): 1}
    table = capture_table(["A", "B", "C"], counts)
    monkeypatch.setattr(estimation, "UPPER_SEARCH_LIMIT", 10.0)
    result = fit(table, "pairwise")
    assert result.ci95[1] is None
    assert "interval_upper_unbounded" in [w.code for w in result.warnings]
    monkeypatch.undo()
    uncapped = fit(table, "pairwise")
    assert uncapped.ci95[1] > 12 * uncapped.estimate


def test_a_failed_interval_is_said_not_hidden(monkeypatch, hiv):
    def broken(self, total):
        raise FloatingPointError

    monkeypatch.setattr(estimation._ProfileLikelihood, "loglik", broken)
    result = fit(hiv, "independence")
    assert result.estimate is not None
    assert result.ci95 is None
    assert [w.code for w in result.warnings] == ["interval_failed"]


def test_no_estimable_model_is_a_warning():
    table = capture_table(["A", "B"], {(1, 0): 4, (0, 1): 3})
    report = estimate(table)
    assert report.selected is None
    assert "no_model_estimable" in [w.code for w in report.warnings]


# --- models and their names -------------------------------------------------------------------


def test_explicit_terms_are_closed_under_hierarchy(three_lists):
    spec = parse_model("A:B:C", three_lists.lists)
    assert spec.interactions == ((0, 1), (0, 2), (1, 2), (0, 1, 2))
    assert spec.term_names(three_lists.lists)[-1] == "A:B:C"


def test_model_names_are_canonical(three_lists):
    assert parse_model("C:B", three_lists.lists).name == "B:C"
    assert parse_model("A:B,B:C,A:C", three_lists.lists).name == "pairwise"
    assert [m.name for m in default_models(three_lists.lists)][:2] == ["independence", "A:B"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A:Z", "'Z', which is not a list"),
        ("A", "is not of the form A:B"),
        ("A:A", "repeats a list"),
        ("A:B,", "is not of the form A:B"),
    ],
)
def test_bad_model_terms_are_refused(three_lists, text, message):
    with pytest.raises(EstimationInputError, match=message):
        parse_model(text, three_lists.lists)


def test_default_candidates_grow_with_the_lists():
    counts = {k: len(default_models([f"L{j}" for j in range(k)])) for k in (2, 3, 4, 5, 6)}
    assert counts == {2: 1, 3: 8, 4: 64, 5: 12, 6: 17}


def test_every_observed_cell_enters_the_fit_including_zeros(hiv):
    assert sum(1 for c in hiv.cells[1:] if c == 0) == 2
    assert fit(hiv, "independence").df == 15 - 5


def test_permuting_lists_keeps_each_models_estimate(hiv):
    for order in itertools.islice(itertools.permutations(range(4)), 0, 24, 5):
        permuted = hiv.permuted(order)
        for model in ("independence", "pairwise"):
            assert fit(permuted, model).estimate == pytest.approx(
                fit(hiv, model).estimate, rel=1e-8
            )
