"""The custody log at scale: append N events, then inclusion and consistency proofs and a full
verification, against the bars of issue 3 (proofs under 5 ms, verification of 1,000,000 events
under 60 s) and, for the proofs, against the brute-force peer that rebuilds the tree from every
leaf for each proof (what a log without stored levels has to do).

Unlike the other benchmarks this one runs inside Django (a fresh TESTIMONIA_HOME under
bench/.work), because it times service calls, not a command:

    .venv/bin/python bench/custody_log.py --events 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

PROOF_BAR_MS = 5.0
VERIFY_BAR_S_PER_MILLION = 60.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to append")
    parser.add_argument("--proofs", type=int, default=300, help="proofs of each kind to time")
    parser.add_argument("--brute", type=int, default=5, help="brute-force proofs to time")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = harness.WORK / "custody-log"
    harness.remove(home)
    home.mkdir(parents=True)
    os.environ.update(
        TESTIMONIA_HOME=str(home),
        TESTIMONIA_SECRET_KEY="bench-only-key-0123456789-0123456789-0123456789",  # noqa: S106
        DJANGO_SETTINGS_MODULE="testimonia.settings",
    )
    import django

    django.setup()
    import logging

    logging.getLogger("testimonia").setLevel(logging.WARNING)
    from django.core.management import call_command

    from testimonia.accounts.services import create_workspace
    from testimonia.custody.merkle import MerkleTree, verify_consistency, verify_inclusion
    from testimonia.custody.models import LogEntry
    from testimonia.custody.proofs import consistency, inclusion
    from testimonia.custody.services import append_event, sign_checkpoint, verify_log

    harness.header(f"custody log of {args.events:,} events", "SQLite in WAL, synchronous=FULL")
    try:
        call_command("migrate", verbosity=0)
        workspace = create_workspace(None, "Bench", slug="bench")
        started = time.perf_counter()
        checkpoints = []
        step = max(args.events // 10, 1)
        for n in range(args.events):
            append_event(
                workspace,
                actor=None,
                action="ingest",
                object_digest=f"sha256:{n:064x}",
                subject=f"item:{n}",
            )
            if (n + 1) % step == 0:
                checkpoints.append(sign_checkpoint(workspace).tree_size)
                rate = (n + 1) / (time.perf_counter() - started)
                print(f"  {n + 1:,} events appended ({rate:,.0f}/s)", flush=True)
        append_s = time.perf_counter() - started
        size = checkpoints[-1]

        def timed(call, count):
            times = []
            for _ in range(count):
                t0 = time.perf_counter()
                call()
                times.append((time.perf_counter() - t0) * 1000)
            return statistics.median(times), max(times)

        rng = random.Random(7)  # noqa: S311 (not for security)
        docs = []

        def one_inclusion():
            docs.append(inclusion(workspace, rng.randrange(size)))

        def one_consistency():
            docs.append(consistency(workspace, rng.choice(checkpoints[:-1]), size))

        inc_med, inc_max = timed(one_inclusion, args.proofs)
        con_med, con_max = timed(one_consistency, args.proofs)
        ok = all(
            verify_inclusion(
                bytes.fromhex(d["leaf_hash"]),
                d["index"],
                d["checkpoint"]["tree_size"],
                [bytes.fromhex(p) for p in d["proof"]],
                bytes.fromhex(d["checkpoint"]["root_hash"]),
            )
            if d["type"].startswith("inclusion")
            else verify_consistency(
                d["old"]["tree_size"],
                d["new"]["tree_size"],
                bytes.fromhex(d["old"]["root_hash"]),
                bytes.fromhex(d["new"]["root_hash"]),
                [bytes.fromhex(p) for p in d["proof"]],
            )
            for d in docs
        )

        def brute_inclusion():
            leaves = LogEntry.objects.filter(workspace=workspace).order_by("seq")
            tree = MerkleTree.from_leaf_hashes(
                bytes.fromhex(h) for h in leaves.values_list("leaf_hash", flat=True)
            )
            tree.inclusion_proof(rng.randrange(size), size)

        brute_med, _ = timed(brute_inclusion, args.brute)
        t0 = time.perf_counter()
        count, problems = verify_log(workspace)
        verify_s = time.perf_counter() - t0
    finally:
        harness.remove(home)

    verify_bar = VERIFY_BAR_S_PER_MILLION * args.events / 1_000_000
    verdicts = {
        "inclusion": "PASS" if inc_med < PROOF_BAR_MS else "FAIL",
        "consistency": "PASS" if con_med < PROOF_BAR_MS else "FAIL",
        "verify": "PASS" if verify_s < verify_bar and not problems else "FAIL",
        "proofs": "PASS" if ok else "FAIL",
    }
    harness.table(
        ["measure", "figure", "bar", "verdict"],
        [
            [
                "append (append_event, one transaction each)",
                f"{args.events / append_s:,.0f} events/s ({append_s:.0f} s)",
                "-",
                "-",
            ],
            [
                "inclusion proof, median (max)",
                f"{inc_med:.2f} ms ({inc_max:.2f})",
                f"< {PROOF_BAR_MS} ms",
                verdicts["inclusion"],
            ],
            [
                "consistency proof, median (max)",
                f"{con_med:.2f} ms ({con_max:.2f})",
                f"< {PROOF_BAR_MS} ms",
                verdicts["consistency"],
            ],
            [
                "peer: brute-force inclusion proof, median",
                f"{brute_med:.0f} ms",
                f"{brute_med / inc_med:.0f}x slower",
                "-",
            ],
            [
                f"full verify_log of {count:,} events",
                f"{verify_s:.1f} s",
                f"< {verify_bar:.0f} s",
                verdicts["verify"],
            ],
            ["all proofs verify (RFC 9162)", str(ok), "True", verdicts["proofs"]],
        ],
    )
    return 1 if "FAIL" in verdicts.values() else 0


if __name__ == "__main__":
    sys.exit(harness.main_guard(lambda: main()))
