"""Bayesian model averaging over decomposable graphical models (Madigan & York 1997).

The method of HRDAG's R package dga (`bma.cr`; Johndrow, Lum & Ball; Lum, Price & Banks 2013),
with its definitions:

- Models: every decomposable (chordal) graph on the k lists, 3 <= k <= 5 (8, 61 and 822
  graphs). A graph says which lists may depend on each other; its cliques C and separators S
  (the intersections along a junction tree) factorise the cell probabilities.
- Prior on the 2^k cell probabilities: hyper-Dirichlet with `delta` prior counts per cell
  (default 2^-k, one prior observation in all), so the marginal table of a clique C has
  delta * 2^(k-|C|) per cell. Prior over graphs: uniform. Prior on N: proportional to 1/N.
- For each graph g and each number m of unobserved people on a grid, the log posterior is
      sum_C ML_C(m) - sum_S ML_S(m) + (|C| - |S|) [lgamma(2^k delta) - lgamma(n + m + 2^k delta)]
      + log (n + m)! - sum_i log y_i! - log m! + log prior(n + m) + log prior(g),
  where ML_A(m) = lgamma(z_A + m + a) + sum_c lgamma(y_c + a) - 2^|A| lgamma(a) over the
  cells c of the marginal table on A but its all-zero cell z_A (people on none of A's lists),
  a = delta * 2^(k-|A|). The weights are normalised over all (g, m): row sums are the
  posterior probabilities of the graphs, column sums the posterior of N.
- Summaries (dga's `posteriorQuantiles`): a quantile q is the first grid value whose
  cumulative posterior exceeds q. `estimate` is the posterior median, `ci95` the 2.5% and
  97.5% quantiles; the mean, the mode and Madigan & York's estimator E[1/N]/E[1/N^2] (the Bayes
  estimator under squared relative error) are given too.
- Grid: by default m = 0, s, 2s, ... up to 30 n (dga's `maxMissingMult`), with the step s = 1
  while that is at most 20,000 points, else the smallest step that keeps it there. The grid
  is uniform, so each point stands for an equal share of N; with s > 1 the summaries are
  exact to within s. A posterior that has not died out at the end of the grid is a warning.

Pure Python (numpy, scipy): no Django import.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from testimonia.casualties.capture import CaptureTable
from testimonia.casualties.exceptions import EstimationInputError

Float = NDArray[np.float64]

MIN_LISTS, MAX_LISTS = 3, 5
MAX_MISSING_MULTIPLE = 30
MAX_GRID_POINTS = 20_000
CHUNK = 4_096
TOP_GRAPHS = 5
TAIL_SHARE = 0.05  # the last 5% of the grid ...
TAIL_MASS = 1e-3  # ... may hold at most this much posterior before we warn


@dataclass(frozen=True)
class DecomposableGraph:
    """A decomposable graph on lists 0..k-1, with its cliques and junction-tree separators."""

    edges: tuple[tuple[int, int], ...]
    cliques: tuple[tuple[int, ...], ...]
    separators: tuple[tuple[int, ...], ...]

    def describe(self, lists: Sequence[str]) -> str:
        """`[A,B][C]`: the cliques, the usual notation of graphical models."""
        return "".join("[" + ",".join(lists[j] for j in c) + "]" for c in self.cliques)


@functools.cache
def decomposable_graphs(k: int) -> tuple[DecomposableGraph, ...]:
    """Every decomposable graph on k vertices, fewest edges first."""
    pairs = list(itertools.combinations(range(k), 2))
    found = []
    for size in range(len(pairs) + 1):
        for edges in itertools.combinations(pairs, size):
            graph = _decompose(k, edges)
            if graph is not None:
                found.append(graph)
    return tuple(found)


def _decompose(k: int, edges: tuple[tuple[int, int], ...]) -> DecomposableGraph | None:
    adjacent = {v: set() for v in range(k)}  # type: dict[int, set[int]]
    for a, b in edges:
        adjacent[a].add(b)
        adjacent[b].add(a)
    if not _chordal(adjacent):
        return None
    complete = [
        s
        for size in range(1, k + 1)
        for s in itertools.combinations(range(k), size)
        if all(b in adjacent[a] for a, b in itertools.combinations(s, 2))
    ]
    cliques = [c for c in complete if not any(set(c) < set(d) for d in complete)]
    cliques.sort(key=lambda c: (-len(c), c))
    return DecomposableGraph(edges, tuple(cliques), _separators(cliques))


def _chordal(adjacent: dict[int, set[int]]) -> bool:
    """A graph is chordal iff simplicial vertices can be removed one by one to the end."""
    remaining = set(adjacent)
    while remaining:
        for v in sorted(remaining):
            near = adjacent[v] & remaining
            if all(b in adjacent[a] for a, b in itertools.combinations(sorted(near), 2)):
                remaining.remove(v)
                break
        else:
            return False
    return True


def _separators(cliques: list[tuple[int, ...]]) -> tuple[tuple[int, ...], ...]:
    """The separators of a junction tree: a maximum-weight spanning forest of the cliques
    weighted by the sizes of their intersections (empty separators, between connected
    components, are left out: they contribute nothing to the likelihood)."""
    weighted = sorted(
        (
            (len(set(a) & set(b)), i, j)
            for (i, a), (j, b) in itertools.combinations(enumerate(cliques), 2)
            if set(a) & set(b)
        ),
        reverse=True,
    )
    parent = list(range(len(cliques)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    separators = []
    for _weight, i, j in weighted:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[ri] = rj
            separators.append(tuple(sorted(set(cliques[i]) & set(cliques[j]))))
    return tuple(sorted(separators, key=lambda s: (-len(s), s)))


@dataclass
class GraphSummary:
    graph: DecomposableGraph
    posterior: float
    median: float
    ci95: tuple[float, float]
    mean: float
    mode: float
    bayes_estimator: float


@dataclass
class BmaResult:
    lists: tuple[str, ...]
    delta: float
    n_grid: Float  # the values of N the posterior is evaluated at
    posterior_n: Float  # normalised posterior of N on that grid
    graph_posterior: Float  # one per decomposable graph, in decomposable_graphs(k) order
    top: list[GraphSummary]
    grid_step: float | None  # None for a custom grid that is not evenly spaced
    default_prior: bool
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def estimate(self) -> float:
        return self.median

    @property
    def median(self) -> float:
        return _quantile(self.posterior_n, self.n_grid, 0.5)

    @property
    def ci95(self) -> tuple[float, float]:
        return (
            _quantile(self.posterior_n, self.n_grid, 0.025),
            _quantile(self.posterior_n, self.n_grid, 0.975),
        )

    @property
    def mean(self) -> float:
        return float(np.sum(self.posterior_n * self.n_grid))

    @property
    def mode(self) -> float:
        return float(self.n_grid[int(np.argmax(self.posterior_n))])

    @property
    def bayes_estimator(self) -> float:
        return _bayes_estimator(self.posterior_n, self.n_grid)

    def as_dict(self) -> dict[str, Any]:
        lower, upper = self.ci95
        return {
            "estimate": self.estimate,
            "ci95": [lower, upper],
            "mean": self.mean,
            "median": self.median,
            "mode": self.mode,
            "bayes_estimator": self.bayes_estimator,
            "delta": self.delta,
            "prior_n": "1/N" if self.default_prior else "custom",
            "prior_graphs": "uniform",
            "graphs": len(self.graph_posterior),
            "grid": {
                "from": float(self.n_grid[0]),
                "to": float(self.n_grid[-1]),
                "step": self.grid_step,
                "points": len(self.n_grid),
            },
            "top_graphs": [
                {
                    "graph": s.graph.describe(self.lists),
                    "edges": [[self.lists[a], self.lists[b]] for a, b in s.graph.edges],
                    "posterior": s.posterior,
                    "estimate": s.median,
                    "ci95": list(s.ci95),
                    "mean": s.mean,
                }
                for s in self.top
            ],
        }


def check_lists(table: CaptureTable) -> None:
    """dga's graph sets cover 3 to 5 lists; refuse any other number."""
    if not MIN_LISTS <= table.k <= MAX_LISTS:
        raise EstimationInputError(
            f"Bayesian model averaging over decomposable graphs needs {MIN_LISTS} to "
            f"{MAX_LISTS} lists; this table has {table.k} (use --method loglinear)"
        )


def bma(
    table: CaptureTable,
    *,
    delta: float | None = None,
    n_missing: Sequence[float] | Float | None = None,
    log_prior_n: Sequence[float] | Float | None = None,
    log_prior_graphs: Sequence[float] | Float | None = None,
) -> BmaResult:
    """Posterior of N averaged over all decomposable graphs (see the module docstring).

    `n_missing` (the grid of unobserved counts), `log_prior_n` (one value per grid point) and
    `log_prior_graphs` (one per graph of decomposable_graphs(k)) replace the defaults, as
    dga's `Nmissing`, `logprior` and `log.prior.model.weights` do.
    """
    check_lists(table)
    k, n = table.k, table.n_observed
    delta = 2.0**-k if delta is None else float(delta)
    if not (delta > 0 and math.isfinite(delta)):
        raise EstimationInputError(f"delta must be a positive number, not {delta}")
    grid, step = _grid(n, n_missing)
    if log_prior_n is None:
        prior_n = -np.log(n + grid)
    else:
        prior_n = np.asarray(log_prior_n, dtype=np.float64)
        if prior_n.shape != grid.shape:
            raise EstimationInputError("log_prior_n needs one value per grid point")
    graphs = decomposable_graphs(k)
    prior_g = (
        np.zeros(len(graphs))
        if log_prior_graphs is None
        else np.asarray(log_prior_graphs, dtype=np.float64)
    )
    if prior_g.shape != (len(graphs),):
        raise EstimationInputError(f"log_prior_graphs needs one value per graph ({len(graphs)})")

    log_weights = _LogWeights(table, graphs, delta, grid, prior_n, prior_g)
    top_value = max(float(chunk.max()) for _, chunk in log_weights.chunks())
    graph_mass = np.zeros(len(graphs))
    n_mass = np.zeros(len(grid))
    for columns, chunk in log_weights.chunks():
        weights = np.exp(chunk - top_value)
        graph_mass += weights.sum(axis=1)
        n_mass[columns] = weights.sum(axis=0)
    total = graph_mass.sum()
    graph_posterior, posterior_n = graph_mass / total, n_mass / total
    n_grid = n + grid

    top = []
    for g in np.argsort(-graph_posterior, kind="stable")[:TOP_GRAPHS]:
        if graph_posterior[g] <= 0:
            break  # graphs a prior of zero ruled out
        row = np.exp(log_weights.row(int(g)) - top_value)
        row /= row.sum()
        top.append(
            GraphSummary(
                graph=graphs[int(g)],
                posterior=float(graph_posterior[g]),
                median=_quantile(row, n_grid, 0.5),
                ci95=(_quantile(row, n_grid, 0.025), _quantile(row, n_grid, 0.975)),
                mean=float(np.sum(row * n_grid)),
                mode=float(n_grid[int(np.argmax(row))]),
                bayes_estimator=_bayes_estimator(row, n_grid),
            )
        )
    result = BmaResult(
        lists=table.lists,
        delta=delta,
        n_grid=n_grid,
        posterior_n=posterior_n,
        graph_posterior=graph_posterior,
        top=top,
        grid_step=step,
        default_prior=log_prior_n is None,
    )
    tail = posterior_n[n_grid >= n_grid[-1] - TAIL_SHARE * (n_grid[-1] - n_grid[0])].sum()
    if tail > TAIL_MASS:
        result.warnings.append(
            (
                "bma_grid_truncated",
                f"the posterior of N has not died out at the end of the grid (N = "
                f"{n_grid[-1]:.0f}; {tail:.1%} of it in the last {TAIL_SHARE:.0%}): the upper "
                "limit and the mean are understated, as the lists overlap too little to "
                "bound the total",
            )
        )
    return result


class _LogWeights:
    """The log posterior weight of every (graph, grid point), computed a slab at a time."""

    def __init__(
        self,
        table: CaptureTable,
        graphs: Sequence[DecomposableGraph],
        delta: float,
        grid: Float,
        prior_n: Float,
        prior_g: Float,
    ) -> None:
        k, n = table.k, table.n_observed
        self.table, self.delta, self.grid = table, delta, grid
        subsets = 2**k  # subset A as a bit mask; index 0 (the empty set) unused
        coefficients = np.zeros((len(graphs), subsets))
        for g, graph in enumerate(graphs):
            for clique in graph.cliques:
                coefficients[g, _mask(clique)] += 1
            for separator in graph.separators:
                coefficients[g, _mask(separator)] -= 1
        self.coefficients = coefficients[:, 1:]
        self.components = np.array(
            [len(g.cliques) - len(g.separators) for g in graphs], dtype=np.float64
        )
        self.prior_g = prior_g
        cells = np.asarray(table.cells, dtype=np.float64)
        self.common = (
            special.gammaln(n + grid + 1)
            - float(special.gammaln(cells[1:] + 1).sum())
            - special.gammaln(grid + 1)
            + prior_n
        )
        self.total_prior = delta * 2**k
        self.normaliser = special.gammaln(self.total_prior) - special.gammaln(
            n + grid + self.total_prior
        )
        # Per subset A: the constant part of ML_A and (z_A, a) for its grid-dependent part.
        self.constant = np.zeros(subsets - 1)
        self.zero_cell = np.zeros(subsets - 1)
        self.prior_count = np.zeros(subsets - 1)
        patterns = np.arange(2**k)
        for mask in range(1, subsets):
            size = bin(mask).count("1")
            a = delta * 2 ** (k - size)
            margin = np.bincount(patterns & mask, weights=cells, minlength=subsets)
            observed = [margin[c] for c in range(1, subsets) if c & ~mask == 0]
            self.constant[mask - 1] = float(
                special.gammaln(np.asarray(observed) + a).sum() - 2**size * special.gammaln(a)
            )
            self.zero_cell[mask - 1] = margin[0]
            self.prior_count[mask - 1] = a

    def _marginals(self, columns: slice) -> Float:
        grid = self.grid[columns]
        varying = special.gammaln(
            self.zero_cell[:, None] + grid[None, :] + self.prior_count[:, None]
        )
        return np.asarray(self.constant[:, None] + varying, dtype=np.float64)

    def chunks(self) -> Any:
        for start in range(0, len(self.grid), CHUNK):
            columns = slice(start, min(start + CHUNK, len(self.grid)))
            yield columns, self._block(columns, self.coefficients, self.components, self.prior_g)

    def row(self, g: int) -> Float:
        everything = slice(0, len(self.grid))
        block = self._block(
            everything,
            self.coefficients[g : g + 1],
            self.components[g : g + 1],
            self.prior_g[g : g + 1],
        )
        return np.asarray(block[0], dtype=np.float64)

    def _block(
        self, columns: slice, coefficients: Float, components: Float, prior_g: Float
    ) -> Float:
        block = coefficients @ self._marginals(columns)
        block += components[:, None] * self.normaliser[None, columns]
        block += self.common[None, columns]
        block += prior_g[:, None]
        return np.asarray(block, dtype=np.float64)


def _mask(members: Sequence[int]) -> int:
    return sum(1 << j for j in members)


def _grid(n: int, n_missing: Sequence[float] | Float | None) -> tuple[Float, float | None]:
    if n_missing is not None:
        grid = np.asarray(n_missing, dtype=np.float64)
        if grid.ndim != 1 or len(grid) < 2 or np.any(grid < 0) or np.any(np.diff(grid) <= 0):
            raise EstimationInputError("the grid of unobserved counts must increase from >= 0")
        steps = np.diff(grid)
        return grid, float(steps[0]) if np.allclose(steps, steps[0]) else None
    top = MAX_MISSING_MULTIPLE * n
    step = max(1, math.ceil(top / MAX_GRID_POINTS))
    return np.arange(0, top + step, step, dtype=np.float64), float(step)


def _quantile(weights: Float, values: Float, level: float) -> float:
    """dga's posteriorQuantiles: the first value whose cumulative weight exceeds `level`."""
    cumulative = np.cumsum(weights) / np.sum(weights)
    first = int(np.searchsorted(cumulative, level, side="right"))
    return float(values[min(first, len(values) - 1)])


def _bayes_estimator(weights: Float, values: Float) -> float:
    """Madigan & York's estimator under squared relative error: E[1/N] / E[1/N^2]."""
    return float(np.sum(weights / values) / np.sum(weights / values**2))
