"""Multiple systems estimation: how many people no list recorded.

Log-linear Poisson models (Fienberg 1972; Cormack 1989), as Rcapture fits them (Baillargeon &
Rivest 2007), and Bayesian model averaging over decomposable graphical models
(estimation_bma.py; Madigan & York 1997, the dga package). docs/estimation.md explains the
assumptions and how to read the results; this docstring says exactly what is computed.

Log-linear model. The 2^k - 1 observed cells y_i (zeros included) are independent Poisson with
log E[y_i] = x_i' beta, where x_i holds 1 (intercept), the k list indicators of pattern i
(0/1, so the all-zero cell has x = (1, 0, ..., 0)) and, for each interaction term, the product
of its lists' indicators. The model is fitted by maximum likelihood (statsmodels GLM, Poisson
family, log link) on the observed cells only. The unobserved cell is then predicted as
m = exp(intercept) and N = n + m.

- Standard error of N (delta method, Rcapture's `getN`): sqrt(m + m^2 Var(intercept)), the
  Poisson variance of the unobserved count plus the delta-method variance of exp(intercept).
- AIC = -2 loglik + 2p and BIC = -2 loglik + p log(n), with the Poisson log-likelihood of the
  observed cells including the log y! constants (R's glm AIC) and n the number of people
  observed (Rcapture's convention for BIC); p counts the intercept.
- 95% interval: the multinomial profile-likelihood interval of Cormack (1992), as Rcapture's
  closedpCI: for a candidate N the unobserved cell is set to n0 = N - n, the model is fitted
  to all 2^k cells, and the profile log-likelihood is
      l(N) = log N! - log n0! + n0 log n0 - N log N - D(N)/2,
  D(N) being that fit's Poisson deviance (the N-free terms dropped). The interval is
  {N >= n : l(N) >= max l - chi2_1(0.95)/2}. Its maximiser, the multinomial estimate, is
  reported as `profile_estimate`. Rcapture replaces the factorials by Stirling's formula when
  N > 100; we use log-gamma throughout (the two agree to O(1/n0), and Stirling diverges as
  n0 -> 0). When l(n) is above the cut-off, the lower limit is n itself (and said so).
- Identifiability: a model whose design matrix on the observed cells is not of full rank (any
  model with the k-way term; `pairwise` with two lists) has no estimate. A model whose maximum
  likelihood estimate does not exist (zero cells put the counts on the boundary, found exactly
  by a linear program, Fienberg & Rinaldo 2012) has no estimate either. Both are warnings,
  never a silent number.

Pure Python (numpy, scipy, statsmodels): no Django import.
"""

from __future__ import annotations

import enum
import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special, stats

from testimonia.casualties.capture import CaptureTable
from testimonia.casualties.exceptions import EstimationInputError

Float = NDArray[np.float64]

CONFIDENCE = 0.95
# Rcapture searches the upper limit up to fmaxSupCL (3) times the Poisson estimate; past that
# we keep widening the search, up to this factor, before saying the limit is unbounded.
UPPER_SEARCH_START = 3.0
UPPER_SEARCH_LIMIT = 1e6
EXHAUSTIVE_UP_TO_LISTS = 4  # every set of two-way terms is a default candidate up to 4 lists
DELTA_AIC_CLOSE = 2.0


class Method(enum.StrEnum):
    LOGLINEAR = "loglinear"
    BMA = "bma"


@dataclass(frozen=True)
class EstimationWarning:
    """Something the reader of a number must know; `code` is stable, `message` is for people."""

    code: str
    message: str
    model: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "model": self.model, "message": self.message}


@dataclass(frozen=True)
class ModelSpec:
    """A hierarchical log-linear model: all main effects plus `interactions` (each a sorted
    tuple of list indices, two or more), closed under taking subsets."""

    name: str
    interactions: tuple[tuple[int, ...], ...]

    def term_names(self, lists: Sequence[str]) -> list[str]:
        mains = list(lists)
        return mains + [":".join(lists[j] for j in term) for term in self.interactions]

    def design(self, k: int) -> Float:
        """Rows for all 2^k cells (row i = pattern i; row 0 is the unobserved cell)."""
        cells = np.arange(2**k)
        bits = ((cells[:, None] >> np.arange(k)[None, :]) & 1).astype(np.float64)
        columns = [np.ones(2**k), *bits.T]
        columns += [np.prod(bits[:, list(term)], axis=1) for term in self.interactions]
        return np.column_stack(columns)


def hierarchical(name: str, terms: Sequence[Sequence[int]]) -> ModelSpec:
    """The model with `terms` and every lower-order interaction they contain."""
    closed: set[tuple[int, ...]] = set()
    for term in terms:
        members = sorted(set(term))
        for size in range(2, len(members) + 1):
            closed.update(itertools.combinations(members, size))
    ordered = tuple(sorted(closed, key=lambda t: (len(t), t)))
    return ModelSpec(name, ordered)


def parse_model(text: str, lists: Sequence[str]) -> ModelSpec:
    """`independence`, `pairwise`, or terms by list name such as `A:B,B:C` (`A:B:C` brings
    in A:B, A:C and B:C too: models are hierarchical)."""
    k = len(lists)
    wanted = text.strip()
    if wanted == "independence":
        return ModelSpec("independence", ())
    if wanted == "pairwise":
        return hierarchical("pairwise", list(itertools.combinations(range(k), 2)))
    index = {name: j for j, name in enumerate(lists)}
    terms: list[tuple[int, ...]] = []
    for raw in wanted.split(","):
        names = [part.strip() for part in raw.split(":")]
        if len(names) < 2 or any(not part for part in names):
            raise EstimationInputError(
                f"model term {raw.strip()!r} is not of the form A:B (list names joined by ':'); "
                "use independence, pairwise, or terms such as A:B,B:C"
            )
        unknown = [part for part in names if part not in index]
        if unknown:
            raise EstimationInputError(
                f"model term {raw.strip()!r} names {unknown[0]!r}, which is not a list; "
                f"the lists are {', '.join(lists)}"
            )
        members = tuple(sorted(index[part] for part in names))
        if len(set(members)) != len(members):
            raise EstimationInputError(f"model term {raw.strip()!r} repeats a list")
        terms.append(members)
    return named(hierarchical("", terms), lists)


def named(spec: ModelSpec, lists: Sequence[str]) -> ModelSpec:
    """The spec with its canonical name: independence, pairwise, or its top-level terms."""
    k = len(lists)
    inter = set(spec.interactions)
    if not inter:
        return ModelSpec("independence", spec.interactions)
    if inter == set(itertools.combinations(range(k), 2)):
        return ModelSpec("pairwise", spec.interactions)
    top = [t for t in spec.interactions if not any(set(t) < set(u) for u in inter)]
    return ModelSpec(",".join(":".join(lists[j] for j in t) for t in top), spec.interactions)


def default_models(lists: Sequence[str]) -> list[ModelSpec]:
    """The candidates compared when no model is asked for.

    Up to four lists, every hierarchical model with two-way terms only (8 with three lists,
    64 with four); from five lists on, independence, each single two-way term, and pairwise.
    With two lists only independence is identifiable.
    """
    k = len(lists)
    pairs = list(itertools.combinations(range(k), 2))
    if k == 2:
        return [ModelSpec("independence", ())]
    if k <= EXHAUSTIVE_UP_TO_LISTS:
        subsets = [c for size in range(len(pairs) + 1) for c in itertools.combinations(pairs, size)]
    else:
        subsets = [(), *[(p,) for p in pairs], tuple(pairs)]
    return [named(hierarchical("", list(s)), lists) for s in subsets]


@dataclass
class LoglinearFit:
    """One log-linear model's result; `estimate` is None when the data cannot give one."""

    name: str
    terms: list[str]
    parameters: int
    estimate: float | None = None
    missing: float | None = None
    stderr: float | None = None
    ci95: tuple[float, float | None] | None = None
    profile_estimate: float | None = None
    deviance: float | None = None
    df: int | None = None
    aic: float | None = None
    bic: float | None = None
    warnings: list[EstimationWarning] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "terms": self.terms,
            "estimate": self.estimate,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "aic": self.aic,
            "bic": self.bic,
            "stderr": self.stderr,
            "missing": self.missing,
            "profile_estimate": self.profile_estimate,
            "deviance": self.deviance,
            "df": self.df,
            "parameters": self.parameters,
            "warnings": [w.message for w in self.warnings],
        }


def fit_loglinear(table: CaptureTable, spec: ModelSpec) -> LoglinearFit:
    """Fit one model; see the module docstring for every quantity."""
    k, n = table.k, table.n_observed
    x_all = spec.design(k)
    x_obs, y_obs = x_all[1:], np.asarray(table.cells[1:], dtype=np.float64)
    p = x_all.shape[1]
    fit = LoglinearFit(spec.name, spec.term_names(table.lists), parameters=p)

    def warn(code: str, message: str) -> None:
        fit.warnings.append(EstimationWarning(code, message, spec.name))

    rank = int(np.linalg.matrix_rank(x_obs))
    if rank < p:
        full = tuple(range(k)) in spec.interactions
        why = (
            f"the {k}-way term {':'.join(table.lists)} is confounded with the unobserved cell"
            if full
            else f"its {p} parameters exceed what the {2**k - 1} observed cells determine"
        )
        warn(
            "not_identifiable",
            f"model {spec.name} is not identifiable: {why}; no estimate. "
            "Drop the highest-order term.",
        )
        return fit
    problem = _boundary_problem(table, spec, x_obs, y_obs)
    if problem:
        warn(
            "mle_does_not_exist",
            f"model {spec.name} cannot be estimated from these data: {problem}; no estimate.",
        )
        return fit

    beta, cov, llf, deviance, converged = _glm_poisson(x_obs, y_obs)
    if not converged:
        warn("fit_did_not_converge", f"the fit of model {spec.name} did not converge; no estimate.")
        return fit
    missing = math.exp(beta[0])
    fit.missing = missing
    fit.estimate = n + missing
    fit.stderr = math.sqrt(missing + missing**2 * cov[0, 0])
    fit.deviance = deviance
    fit.df = len(y_obs) - p
    fit.aic = -2 * llf + 2 * p
    fit.bic = -2 * llf + math.log(n) * p
    if fit.df == 0:
        warn(
            "exact_fit",
            f"model {spec.name} fits the observed cells exactly (0 degrees of freedom): "
            "its fit to the data cannot be checked",
        )
    profile = _ProfileLikelihood(x_all, y_obs, beta)
    try:
        fit.profile_estimate, fit.ci95 = profile.interval(fit.estimate, warn, spec.name)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):
        warn(
            "interval_failed",
            f"the profile likelihood of model {spec.name} could not be computed: "
            "its estimate has no 95% interval; do not rely on it",
        )
    return fit


def _glm_poisson(x: Float, y: Float) -> tuple[Float, Float, float, float, bool]:
    # statsmodels pulls in pandas: imported here so that `--help` stays fast.
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked below and reported
        result = GLM(y, x, family=Poisson()).fit()
    beta = np.asarray(result.params, dtype=np.float64)
    cov = np.asarray(result.cov_params(), dtype=np.float64)
    # An intercept past e^700 is a fit that ran off to the boundary, whatever it reports.
    converged = bool(result.converged) and bool(np.all(np.isfinite(cov))) and beta[0] < 700
    return beta, cov, float(result.llf), float(result.deviance), converged


def _boundary_problem(table: CaptureTable, spec: ModelSpec, x: Float, y: Float) -> str | None:
    """Why the maximum likelihood estimate does not exist, or None when it does.

    A zero margin of a term sends that term's parameter to minus infinity; in general the MLE
    of a Poisson log-linear model exists if and only if no direction d has x_i'd = 0 on the
    positive cells and x_i'd <= 0 on the zero cells with at least one strict (Haberman 1974):
    a linear program finds such a d and the cells it drives to zero.
    """
    for term in spec.interactions:
        if table.overlap(term) == 0:
            names = [table.lists[j] for j in term]
            return (
                f"no record is on all of {', '.join(names)}, so the {':'.join(names)} term "
                "is minus infinity"
            )
    zero = y == 0
    if not zero.any():
        return None
    p = x.shape[1]
    result = optimize.linprog(
        c=x[zero].sum(axis=0),
        A_ub=np.vstack([x[zero], -x[zero]]),
        b_ub=np.concatenate([np.zeros(zero.sum()), np.ones(zero.sum())]),
        A_eq=x[~zero] if (~zero).any() else None,
        b_eq=np.zeros((~zero).sum()) if (~zero).any() else None,
        bounds=[(None, None)] * p,
        method="highs",
    )
    if result.status != 0 or result.fun > -1e-7:
        return None
    pushed = np.flatnonzero(zero)[(x[zero] @ result.x) < -1e-7] + 1
    cells = ", ".join(table.pattern_name(int(i)) for i in pushed)
    return f"the empty cells {cells} would be fitted with 0 (the estimate runs off to a limit)"


class _ProfileLikelihood:
    """Cormack's multinomial profile likelihood of N (see the module docstring)."""

    def __init__(self, x_all: Float, y_obs: Float, beta: Float) -> None:
        self.x = x_all
        self.y_obs = y_obs
        self.n = float(y_obs.sum())
        self.start = beta.copy()
        self.beta = beta.copy()

    def loglik(self, total: float) -> float:
        n0 = max(total - self.n, 0.0)
        y = np.concatenate([[n0], self.y_obs])
        beta = self._fit(y)
        mu = np.exp(self.x @ beta)
        deviance = 2.0 * float(np.sum(special.xlogy(y, y) - y * np.log(mu) - (y - mu)))
        return _stirling_rest(total) - _stirling_rest(n0) - deviance / 2.0

    def _fit(self, y: Float) -> Float:
        """Newton-Raphson for the Poisson log-linear fit to all cells, warm-started."""
        beta = self.beta if np.all(np.isfinite(self.beta)) else self.start.copy()
        x = self.x

        def objective(b: Float) -> float:
            with np.errstate(over="ignore"):  # an overshooting step scores -inf and is halved
                eta = x @ b
                return float(np.sum(y * eta - np.exp(eta)))

        current = objective(beta)
        for _ in range(200):
            mu = np.exp(x @ beta)
            step = np.linalg.solve(x.T @ (mu[:, None] * x), x.T @ (y - mu))
            scale = 1.0
            while scale > 1e-10:
                candidate = beta + scale * step
                value = objective(candidate)
                if value >= current - 1e-12 * abs(current):
                    break
                scale /= 2.0
            beta, current = candidate, value
            if np.max(np.abs(scale * step)) < 1e-10:
                break
        self.beta = beta
        return beta

    def interval(
        self, poisson_estimate: float, warn: Any, name: str
    ) -> tuple[float, tuple[float, float | None]]:
        n = self.n
        cut = float(stats.chi2.ppf(CONFIDENCE, 1)) / 2.0
        scale = max(poisson_estimate, 1.0)
        best = optimize.minimize_scalar(
            lambda total: -self.loglik(total),
            bounds=(n, max(1.5 * poisson_estimate, n + 1.0)),
            method="bounded",
            options={"xatol": 1e-7 * scale, "maxiter": 500},
        )
        top, lmax = float(best.x), -float(best.fun)
        target = lmax - cut

        def gap(total: float) -> float:
            return self.loglik(total) - target

        if gap(n) >= 0:
            lower = n
            warn(
                "interval_lower_at_observed",
                f"the 95% interval of model {name} reaches the number observed: "
                "its lower limit is set to n",
            )
        else:
            lower = optimize.brentq(gap, n, top, xtol=1e-9 * scale)
        high = UPPER_SEARCH_START * poisson_estimate
        while gap(high) > 0 and high < UPPER_SEARCH_LIMIT * scale:
            high *= 4.0
        if gap(high) > 0:
            warn(
                "interval_upper_unbounded",
                f"the 95% interval of model {name} has no upper limit below {high:.0f}: "
                "the data barely bound the total",
            )
            return top, (lower, None)
        upper = optimize.brentq(gap, top, high, xtol=1e-9 * scale)
        return top, (lower, upper)


def _stirling_rest(x: float) -> float:
    """log x! - x log x + x, computed without cancellation for large x."""
    if x > 1e5:
        return 0.5 * math.log(2 * math.pi * x) + 1 / (12 * x) - 1 / (360 * x**3)
    return float(special.gammaln(x + 1.0) - special.xlogy(x, x) + x)


@dataclass
class EstimationReport:
    """Every number `testimonia estimate` prints, with its warnings."""

    lists: tuple[str, ...]
    n_observed: int
    method: Method
    models: list[LoglinearFit]
    selected: str | None
    bma: dict[str, Any] | None
    warnings: list[EstimationWarning]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lists": list(self.lists),
            "n_observed": self.n_observed,
            "method": str(self.method),
            "models": [m.as_dict() for m in self.models],
            "selected": self.selected,
            "bma": self.bma,
            "warnings": [w.as_dict() for w in self.warnings],
        }


def estimate(
    table: CaptureTable,
    *,
    models: Sequence[str] = (),
    method: Method = Method.LOGLINEAR,
    delta: float | None = None,
) -> EstimationReport:
    """Fit the asked (or default) log-linear models, select by AIC, and with `Method.BMA`
    average over decomposable graphs too."""
    if method is Method.BMA:
        from testimonia.casualties.estimation_bma import check_lists

        check_lists(table)  # refuse before any work is done
    specs = [parse_model(text, table.lists) for text in models] or default_models(table.lists)
    unique = list({spec.interactions: spec for spec in specs}.values())
    report_warnings = _data_warnings(table)
    fits = [fit_loglinear(table, spec) for spec in unique]
    for fit in fits:
        report_warnings.extend(fit.warnings)
    selected = _select(fits, report_warnings)
    bma_result = None
    if method is Method.BMA:
        from testimonia.casualties.estimation_bma import bma

        result = bma(table, delta=delta)
        bma_result = result.as_dict()
        report_warnings.extend(
            EstimationWarning(code, message) for code, message in result.warnings
        )
    return EstimationReport(
        lists=table.lists,
        n_observed=table.n_observed,
        method=method,
        models=fits,
        selected=selected,
        bma=bma_result,
        warnings=report_warnings,
    )


def _data_warnings(table: CaptureTable) -> list[EstimationWarning]:
    found = []
    if table.k == 2:
        found.append(
            EstimationWarning(
                "two_lists",
                "with two lists the only estimable model assumes the lists are independent, "
                "and nothing in the data can test that; a third list is needed to model "
                "dependence",
            )
        )
    for a, b in itertools.combinations(range(table.k), 2):
        if table.overlap((a, b)) == 0:
            found.append(
                EstimationWarning(
                    "no_overlap",
                    f"lists {table.lists[a]} and {table.lists[b]} share no record: estimates "
                    "that rest on their overlap are unreliable (check the record linkage)",
                )
            )
    return found


def _select(fits: list[LoglinearFit], found: list[EstimationWarning]) -> str | None:
    usable = [f for f in fits if f.estimate is not None and f.aic is not None]
    if not usable:
        found.append(
            EstimationWarning(
                "no_model_estimable",
                "no log-linear model could be estimated from these data",
            )
        )
        return None
    best = min(usable, key=lambda f: (f.aic, f.parameters))
    if len(usable) > 1 and best.ci95 is not None:
        lower, upper = best.ci95
        rivals = [
            f
            for f in usable
            if f is not best
            and f.aic is not None
            and best.aic is not None
            and f.aic - best.aic < DELTA_AIC_CLOSE
            and f.estimate is not None
            and (f.estimate < lower or (upper is not None and f.estimate > upper))
        ]
        if rivals:
            names = ", ".join(f"{f.name} ({f.estimate:.0f})" for f in rivals)
            found.append(
                EstimationWarning(
                    "models_disagree",
                    f"models within {DELTA_AIC_CLOSE:g} AIC of the selected {best.name} give "
                    f"estimates outside its 95% interval: {names}; the choice of model is not "
                    "settled by the data (consider --method bma)",
                )
            )
    return best.name
