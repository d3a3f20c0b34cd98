"""Ingest of many small files on SQLite (issue 3, Performance).

Bar: `testimonia ingest` of 10,000 files of 100 KB into a fresh home on SQLite, from process
start to exit (every item fsynced and committed with its custody event before its line is
printed, then the batch's checkpoint), at >= 200 files/s. The peer, measured alternately in the
same run: `cp -r` of the same folder followed by `sync`. Median of the runs.
Exit code 0 when the bar is met, 1 when not, 2 when the benchmark could not run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import harness

BAR_FILES_PER_S = 200.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ingest_small.py",
        description="Files per second of `testimonia ingest` of a folder of small random files "
        "on SQLite, against `cp -r` + `sync` of the same folder, alternating, median of the "
        f"runs. Everything is made under {harness.WORK} and removed at the end.",
    )
    parser.add_argument("--files", type=int, default=10_000, help="number of files (10000)")
    parser.add_argument(
        "--size-kb", type=int, default=100, help="size of each file in KB of 1000 bytes (100)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    harness.add_cache_options(parser, cold=True)
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated files for another run"
    )
    harness.add_baseline_option(parser)
    args = parser.parse_args(argv)
    if args.files < 1 or args.size_kb < 1 or args.runs < 1:
        parser.error("--files, --size-kb and --runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = harness.WORK / "ingest_small"
    source = work / "source"
    copy = work / "copy"
    home_dir = work / "home"
    size = args.size_kb * 1000
    total = args.files * size
    harness.need_space(harness.WORK, 2 * total + 512 * 1024 * 1024)
    cache = harness.CacheState(cold=not args.warm, settle=args.settle)
    harness.header(
        f"ingest of {args.files} files of {args.size_kb} KB on SQLite against cp -r + sync",
        cache.note,
    )
    paths = harness.files_under(source)
    if len(paths) != args.files or any(p.stat().st_size != size for p in paths):
        harness.remove(source)
        print(f"writing {args.files} random files of {args.size_kb} KB ...", flush=True)
        paths = harness.write_random_files(source, args.files, size)
    cp, sync = harness.tool("cp"), harness.tool("sync")

    def copy_and_sync() -> float:
        cache.prepare(paths, lambda: harness.run([cp, "--version"]))
        copied, _ = harness.run([cp, "-r", "--", source, copy])
        synced, _ = harness.run([sync])
        harness.remove(copy)
        return copied + synced

    def ingest(code: Path | None) -> float:
        return harness.timed_ingest(home_dir, source, paths, cache, args.files, code=code)

    sides: dict[str, Callable[[], float]] = {
        "cp -r + sync": copy_and_sync,
        "testimonia ingest --json": lambda: ingest(None),
    }
    if args.baseline_src:
        sides[f"baseline ingest ({args.baseline_src})"] = lambda: ingest(args.baseline_src)
    try:
        times = harness.alternate(sides, args.runs)
    finally:
        harness.remove(copy)
        harness.remove(home_dir)
        if not args.keep:
            harness.remove(work)

    medians = {name: harness.median(runs) for name, runs in times.items()}
    harness.table(
        ["side", "runs (s)", "median (s)", "files/s", "MB/s"],
        [
            [
                name,
                harness.spread(runs),
                f"{medians[name]:.2f}",
                f"{args.files / medians[name]:.0f}",
                f"{total / 1e6 / medians[name]:.0f}",
            ]
            for name, runs in times.items()
        ],
    )
    rate = args.files / medians["testimonia ingest --json"]
    ratio = medians["cp -r + sync"] / medians["testimonia ingest --json"]
    result = "PASS" if rate >= BAR_FILES_PER_S else "FAIL"
    print(
        f"ingest: {rate:.0f} files/s   bar: >= {BAR_FILES_PER_S:.0f} files/s   {result}   "
        f"(ingest / (cp -r + sync): {ratio:.2f}x, for context)"
    )
    return 0 if result == "PASS" else 1


if __name__ == "__main__":
    sys.exit(harness.main_guard(main))
