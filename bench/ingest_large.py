"""Ingest of large files against `cp` + `sync` of the same files (issue 3, Performance).

Bar: `testimonia ingest` (hash + store + fsync, from process start to exit) moves the bytes at
>= 0.6x the throughput of `cp` of the same files to a fresh folder followed by `sync`, the
disk's limit on this machine, both measured in the same run. The two sides alternate (which goes
first swaps every run) and each gets the same cache state; the median of the runs is compared.
Exit code 0 when the bar is met, 1 when not, 2 when the benchmark could not run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import harness

BAR = 0.6
MIB = 1024 * 1024


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ingest_large.py",
        description="Throughput of `testimonia ingest` on large random files against `cp` + "
        "`sync` of the same files, alternating, median of the runs. The files and the homes "
        f"are made under {harness.WORK} (same file system as the repository) and removed "
        "at the end.",
    )
    parser.add_argument("--files", type=int, default=4, help="number of files (default 4)")
    parser.add_argument(
        "--size-mib", type=int, default=512, help="size of each file in MiB (default 512)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    harness.add_cache_options(parser, cold=True)
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated files for another run"
    )
    harness.add_baseline_option(parser)
    args = parser.parse_args(argv)
    if args.files < 1 or args.size_mib < 1 or args.runs < 1:
        parser.error("--files, --size-mib and --runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = harness.WORK / "ingest_large"
    source = work / "source"
    copy = work / "copy"
    home_dir = work / "home"
    size = args.size_mib * MIB
    total = args.files * size
    harness.need_space(harness.WORK, 2 * total + 512 * MIB)  # the files + one copy of them
    cache = harness.CacheState(cold=not args.warm, settle=args.settle)
    harness.header(f"ingest of {args.files} x {args.size_mib} MiB against cp + sync", cache.note)
    paths = harness.files_under(source)
    if len(paths) != args.files or any(p.stat().st_size != size for p in paths):
        harness.remove(source)
        print(f"writing {args.files} random files of {args.size_mib} MiB ...", flush=True)
        paths = harness.write_random_files(source, args.files, size)
    cp, sync = harness.tool("cp"), harness.tool("sync")
    sync_times: list[float] = []

    def copy_and_sync() -> float:
        copy.mkdir(parents=True)
        cache.prepare(paths, lambda: harness.run([cp, "--version"]))
        copied, _ = harness.run([cp, "--", *paths, copy])
        synced, _ = harness.run([sync])
        sync_times.append(synced)
        harness.remove(copy)
        return copied + synced

    def ingest(code: Path | None) -> float:
        return harness.timed_ingest(home_dir, source, paths, cache, args.files, code=code)

    sides: dict[str, Callable[[], float]] = {
        "cp + sync": copy_and_sync,
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

    megabytes = total / 1e6
    medians = {name: harness.median(runs) for name, runs in times.items()}
    rows = []
    for name, runs in times.items():
        label = name
        if name == "cp + sync":
            label = f"cp + sync (of which sync: median {harness.median(sync_times):.2f} s)"
        rows.append(
            [
                label,
                harness.spread(runs),
                f"{medians[name]:.2f}",
                f"{megabytes / medians[name]:.0f}",
                f"{medians['cp + sync'] / medians[name]:.2f}x",
            ]
        )
    harness.table(["side", "runs (s)", "median (s)", "MB/s", "vs cp + sync"], rows)
    ratio = medians["cp + sync"] / medians["testimonia ingest --json"]
    result = harness.verdict(ratio, BAR)
    print(f"ratio ingest / (cp + sync): {ratio:.2f}x   bar: >= {BAR:.2f}x   {result}")
    print(f"({total / 1e9:.2f} GB per run; MB = 10^6 bytes)")
    return 0 if result == "PASS" else 1


if __name__ == "__main__":
    sys.exit(harness.main_guard(main))
