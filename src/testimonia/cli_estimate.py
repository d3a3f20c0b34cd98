"""`testimonia estimate FILE`: multiple systems estimation from a capture-history CSV.

The estimation code is pure (casualties/capture.py, casualties/estimation.py,
casualties/estimation_bma.py): this command needs no configuration and no database.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from testimonia.cli import EXIT_OK, UsageError


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise argparse.ArgumentTypeError(f"expected a positive number, not {value!r}")
    return number


def add_parsers(sub: Any) -> None:
    estimate = sub.add_parser(
        "estimate",
        help="estimate how many people no list recorded (multiple systems estimation)",
        description="Multiple systems estimation from a capture-history table: a CSV with one "
        "0/1 column per list (1 = on that list) and an optional `count` column for "
        "aggregated rows; without it each row is one person. Fits log-linear Poisson models "
        "(estimate, delta-method standard error, Cormack's 95% profile-likelihood interval, "
        "AIC, BIC) and selects the one with the lowest AIC; with --method bma also averages "
        "over decomposable graphical models (Madigan & York; HRDAG's dga). Models that the "
        "data cannot support get a warning, not a number. Needs no database. See "
        "docs/estimation.md for the assumptions and how to read the interval.",
        epilog="Output: a table of models and the selected one, or with --json "
        '{"lists", "n_observed", "method", "models": [{"name", "terms", "estimate", "ci95", '
        '"aic", "bic", "stderr", "missing", "profile_estimate", "deviance", "df", '
        '"parameters", "warnings"}], "selected", "bma": {"estimate", "ci95", "mean", '
        '"median", "mode", "top_graphs", ...} or null, "warnings": [{"code", "model", '
        '"message"}]}. Exit 2 for a file that is not a valid capture-history table.',
    )
    estimate.add_argument("file", metavar="FILE", type=Path, help="capture-history CSV (UTF-8)")
    estimate.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="M",
        help="independence, pairwise (all two-way interactions), or terms by list name such "
        "as A:B,B:C (lower-order terms are added); repeat to compare several. Default: every "
        "model with two-way terms up to four lists; independence, each single two-way term "
        "and pairwise from five",
    )
    estimate.add_argument(
        "--method",
        choices=("loglinear", "bma"),
        default="loglinear",
        help="loglinear (default), or bma to average over decomposable graphs as well "
        "(3 to 5 lists)",
    )
    estimate.add_argument(
        "--delta",
        type=_positive_float,
        metavar="D",
        help="prior counts per cell of the hyper-Dirichlet prior for --method bma "
        "(default 2^-k for k lists)",
    )
    estimate.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_estimate(args: argparse.Namespace) -> int:
    from testimonia.casualties.capture import read_capture_csv
    from testimonia.casualties.estimation import Method, estimate
    from testimonia.casualties.exceptions import EstimationInputError

    if args.delta is not None and args.method != "bma":
        raise UsageError("--delta is the prior of --method bma: add --method bma or drop it")
    try:
        table = read_capture_csv(args.file)
        report = estimate(table, models=args.model, method=Method(args.method), delta=args.delta)
    except EstimationInputError as exc:
        raise UsageError(str(exc)) from None
    try:
        if args.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, allow_nan=False))
        else:
            print(render(args.file, report.as_dict()))
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _interval(ci: list[float | None] | None) -> str:
    if ci is None:
        return "-"
    lower, upper = ci
    return f"{_number(lower)} to {'unbounded' if upper is None else _number(upper)}"


def render(path: Path, report: dict[str, Any]) -> str:
    """The report as text, best-supported models first."""
    lines = [
        f"Multiple systems estimation: {path.name}",
        f"Lists ({len(report['lists'])}): {', '.join(report['lists'])}",
        f"People observed: {report['n_observed']:,}",
        "",
        "Log-linear Poisson models (estimate of the total, 95% profile-likelihood interval):",
    ]
    models = sorted(
        report["models"],
        key=lambda m: (m["aic"] is None, m["aic"] if m["aic"] is not None else 0.0),
    )
    width = max([len("model"), *(len(m["name"]) for m in models)])
    lines.append(
        f"  {'model':<{width}}  {'estimate':>12}  {'95% interval':<28}  {'AIC':>9}  {'BIC':>9}"
    )
    for m in models:
        mark = "*" if m["name"] == report["selected"] else " "
        aic = "-" if m["aic"] is None else f"{m['aic']:.2f}"
        bic = "-" if m["bic"] is None else f"{m['bic']:.2f}"
        estimate = "no estimate" if m["estimate"] is None else _number(m["estimate"])
        lines.append(
            f"{mark} {m['name']:<{width}}  {estimate:>12}  {_interval(m['ci95']):<28}  "
            f"{aic:>9}  {bic:>9}"
        )
    selected = next((m for m in models if m["name"] == report["selected"]), None)
    if selected is not None:
        lines += [
            "",
            f"Selected (lowest AIC): {selected['name']}: {_number(selected['estimate'])} "
            f"(standard error {_number(selected['stderr'])}; 95% interval "
            f"{_interval(selected['ci95'])})",
        ]
    bma = report["bma"]
    if bma is not None:
        lines += [
            "",
            f"Bayesian model averaging over {bma['graphs']} decomposable graphs "
            f"(delta {bma['delta']:g}, prior on N proportional to {bma['prior_n']}):",
            f"  posterior median {_number(bma['estimate'])}; 95% credible interval "
            f"{_interval(bma['ci95'])}; mean {_number(bma['mean'])}",
            "  most probable graphs:",
        ]
        lines += [
            f"    {g['posterior']:6.1%}  {g['graph']}  median {_number(g['estimate'])} "
            f"({_interval(g['ci95'])})"
            for g in bma["top_graphs"]
        ]
    if report["warnings"]:
        lines += ["", "Warnings:"]
        lines += [f"  - {w['message']}" for w in report["warnings"]]
    return "\n".join(lines)
