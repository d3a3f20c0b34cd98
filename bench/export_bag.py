"""Export of evidence as a verified BagIt bag, against what a user does by hand today.

Testimonia's side: `testimonia export bag` (re-verifies each original while copying it, writes
SHA-256 and SHA-512 manifests and the custody records) then `tools/verify_bundle.py` on the
bag. The peer, same files, same digests, same run: `cp` of the stored originals into a folder,
then bagit-python (the Library of Congress's tool) making a bag of it with SHA-256 and SHA-512
and validating it. Bar: Testimonia's side is faster (ratio > 1).

With `--baseline-src DIR` (the `src/` folder of another version) that version is measured too,
with its own `tools/verify_bundle.py` (DIR/../tools) where it has one; with `--durable-peer`,
the peer with a `sync` after making the bag (the export fsyncs the bag), for context only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import harness

MIB = 1024 * 1024
BAR = 1.0
TESTIMONIA_SIDE = "testimonia export bag + verify_bundle.py"
PEER = "cp + bagit-python make (sha256, sha512) + validate"
DURABLE_PEER = "cp + bagit-python make + sync + validate"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0)
    harness.add_baseline_option(parser)
    parser.add_argument(
        "--durable-peer",
        action="store_true",
        help="also measure the peer with a `sync` after making the bag, for context: the "
        "export fsyncs every file of the bag before it returns, cp and bagit-python do not "
        "(the bar is against the peer without sync)",
    )
    args = parser.parse_args(argv)
    work = harness.WORK / "export_bag"
    source, home_dir, out = work / "source", work / "home", work / "out"
    size = args.size_mib * MIB
    total = args.files * size
    harness.need_space(harness.WORK, 3 * total + 512 * MIB)
    cache = harness.CacheState(cold=False, settle=args.settle)
    harness.header(f"export of {args.files} x {args.size_mib} MiB as a bag", cache.note)
    cp = harness.tool("cp")
    python = sys.executable
    tool = harness.BENCH.parent / "tools" / "verify_bundle.py"
    try:
        harness.write_random_files(source, args.files, size)
        home = harness.make_home(home_dir)
        _, lines = home.testimonia(
            "ingest", source, "--workspace", harness.WORKSPACE, "--json", capture=True
        )
        harness.check_ingested(lines, args.files)
        ids = [str(json.loads(line)["id"]) for line in lines.splitlines() if line.strip()]
        harness.remove(source)
        stored = harness.files_under(home.store / "sha256")

        # Each side's export and verify_bundle.py times, for the table below the main one.
        parts: dict[str, list[tuple[float, float]]] = {}

        def testimonia(name: str, code: Path | None) -> Callable[[], float]:
            env = dict(home.env)
            checker = tool
            if code is not None:
                env["PYTHONPATH"] = str(code.resolve())
                if (code.parent / "tools" / "verify_bundle.py").is_file():
                    checker = code.parent / "tools" / "verify_bundle.py"
            run_home = harness.Home(home.path, env)

            def run() -> float:
                harness.remove(out)
                cache.prepare(stored)
                exported, _ = run_home.testimonia(
                    "export", "bag", "--workspace", harness.WORKSPACE, "--items", *ids, out
                )
                checked, _ = harness.run([python, checker, out], capture=True)
                parts.setdefault(name, []).append((exported, checked))
                return exported + checked

            return run

        def by_hand(*, durable: bool) -> Callable[[], float]:
            def run() -> float:
                harness.remove(out)
                out.mkdir(parents=True)
                cache.prepare(stored)
                copied, _ = harness.run([cp, "--", *stored, out])
                made, _ = harness.run(
                    [python, "-m", "bagit", "--sha256", "--sha512", str(out)], capture=True
                )
                synced = harness.sync() if durable else 0.0
                validated, _ = harness.run(
                    [python, "-m", "bagit", "--validate", str(out)], capture=True
                )
                return copied + made + synced + validated

            return run

        sides: dict[str, Callable[[], float]] = {
            TESTIMONIA_SIDE: testimonia(TESTIMONIA_SIDE, None),
            PEER: by_hand(durable=False),
        }
        if args.baseline_src:
            baseline = f"baseline ({args.baseline_src})"
            sides[baseline] = testimonia(baseline, args.baseline_src)
        if args.durable_peer:
            sides[DURABLE_PEER] = by_hand(durable=True)
        times = harness.alternate(sides, args.runs)
    finally:
        harness.remove(work)
    medians = {name: harness.median(runs) for name, runs in times.items()}
    peer = medians[PEER]
    harness.table(
        ["side", "runs (s)", "median (s)", "MB/s", "vs by hand"],
        [
            [
                name,
                harness.spread(runs),
                f"{medians[name]:.2f}",
                f"{total / 1e6 / medians[name]:.0f}",
                f"{peer / medians[name]:.2f}x",
            ]
            for name, runs in times.items()
        ],
    )
    harness.table(
        ["of which", "export (s)", "verify_bundle.py (s)"],
        [
            [
                name,
                f"{harness.median([e for e, _ in runs]):.2f}",
                f"{harness.median([v for _, v in runs]):.2f}",
            ]
            for name, runs in parts.items()
        ],
    )
    ratio = peer / medians[TESTIMONIA_SIDE]
    result = "PASS" if ratio > BAR else "FAIL"
    print(f"ratio by hand / testimonia: {ratio:.2f}x   bar: > {BAR:.2f}x   {result}")
    return 0 if result == "PASS" else 1


if __name__ == "__main__":
    sys.exit(harness.main_guard(main))
