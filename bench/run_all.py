"""Run every benchmark here, one after the other, and sum up their verdicts.

Full sizes by default (the figures in bench/README.md: up to 9 GB on disk, about 10 minutes
for the file benchmarks, about 20 more for the custody log of 1,000,000 events, and about
12 for the incident list over 100,000 incidents on both databases).
With --quick, small sizes that check in a minute or two that the benchmarks still run; at those
sizes process start-up dominates, so their PASS/FAIL says nothing about the bars.
Exit code 0 when every bar is met, 1 when one is not, 2 when a benchmark could not run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import harness

FULL: dict[str, list[str]] = {
    "ingest_large.py": [],
    "ingest_small.py": [],
    "verify.py": [],
    "custody_log.py": [],
    "export_bag.py": [],
    "incidents_list.py": [],
}
QUICK: dict[str, list[str]] = {
    "ingest_large.py": ["--files", "2", "--size-mib", "32", "--settle", "0.5"],
    "ingest_small.py": ["--files", "300", "--size-kb", "100", "--settle", "0.5"],
    "verify.py": ["--files", "4", "--size-mib", "32", "--settle", "0.5"],
    "custody_log.py": ["--events", "5000", "--proofs", "50"],
    "export_bag.py": ["--files", "2", "--size-mib", "32", "--settle", "0.5"],
    "incidents_list.py": ["--incidents", "2000", "--persons", "6000", "--requests", "5"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="run_all.py",
        description="Run every benchmark of this folder (full sizes unless --quick) and print "
        "a summary of their verdicts.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: checks that the benchmarks run"
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="keep the page cache warm instead of dropping it (passed to the ingest benchmarks)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    verdicts = {}
    for script, options in plan.items():
        extra = ["--warm"] if args.warm and script.startswith("ingest") else []
        command = [sys.executable, str(harness.BENCH / script), *options, *extra]
        print(f"$ {' '.join(command[1:])}", flush=True)
        # S603: runs this folder's own scripts with this interpreter.
        code = subprocess.run(command, check=False).returncode  # noqa: S603
        verdicts[script] = {0: "PASS", 1: "FAIL"}.get(code, f"ERROR (exit {code})")
        print(flush=True)
    harness.table(["benchmark", "verdict"], [[s, v] for s, v in verdicts.items()])
    if args.quick:
        print("(--quick: small sizes, start-up dominates; the verdicts are not the bars)")
    if any(v.startswith("ERROR") for v in verdicts.values()):
        return 2
    return 1 if "FAIL" in verdicts.values() else 0


if __name__ == "__main__":
    sys.exit(main())
