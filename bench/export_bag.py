"""Export of evidence as a verified BagIt bag, against what a user does by hand today.

Testimonia's side: `testimonia export bag` (re-verifies each original while copying it, writes
SHA-256 and SHA-512 manifests and the custody records) then `tools/verify_bundle.py` on the
bag. The peer, same files, same digests, same run: `cp` of the stored originals into a folder,
then bagit-python (the Library of Congress's tool) making a bag of it with SHA-256 and SHA-512
and validating it. Bar: Testimonia's side is faster (ratio > 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import harness

MIB = 1024 * 1024
BAR = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0)
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

        def testimonia_side() -> float:
            harness.remove(out)
            cache.prepare(stored)
            exported, _ = home.testimonia(
                "export", "bag", "--workspace", harness.WORKSPACE, "--items", *ids, out
            )
            checked, _ = harness.run([python, tool, out], capture=True)
            return exported + checked

        def by_hand() -> float:
            harness.remove(out)
            out.mkdir(parents=True)
            cache.prepare(stored)
            copied, _ = harness.run([cp, "--", *stored, out])
            made, _ = harness.run(
                [python, "-m", "bagit", "--sha256", "--sha512", str(out)], capture=True
            )
            validated, _ = harness.run(
                [python, "-m", "bagit", "--validate", str(out)], capture=True
            )
            return copied + made + validated

        sides: dict[str, Callable[[], float]] = {
            "testimonia export bag + verify_bundle.py": testimonia_side,
            "cp + bagit-python make (sha256, sha512) + validate": by_hand,
        }
        times = harness.alternate(sides, args.runs)
    finally:
        harness.remove(work)
    medians = {name: harness.median(runs) for name, runs in times.items()}
    peer = medians["cp + bagit-python make (sha256, sha512) + validate"]
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
    ratio = peer / medians["testimonia export bag + verify_bundle.py"]
    result = "PASS" if ratio > BAR else "FAIL"
    print(f"ratio by hand / testimonia: {ratio:.2f}x   bar: > {BAR:.2f}x   {result}")
    return 0 if result == "PASS" else 1


if __name__ == "__main__":
    sys.exit(harness.main_guard(main))
