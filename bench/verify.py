"""Re-hashing throughput of `testimonia verify` against OpenSSL (issue 3, Performance).

Bar: `testimonia verify --json` (from process start to exit: every stored object re-hashed,
the custody logs checked) re-hashes the stored bytes at >= 0.8x the throughput of
`openssl dgst -sha256` over the same stored files, both from a warm page cache, measured
alternately in the same run, median of the runs. Both cores may be used.

Verify re-hashes each object with SHA-256 and, once the background job has computed it, with
SHA-512 too: twice the work of the peer, and SHA-512 runs at half SHA-256's speed here. For
context the run also times `openssl dgst -sha512`, the two OpenSSL runs one after the other,
and the two at once (one per core): the best that any tool computing both digests could do.
The first table is measured before the SHA-512 job has run (verify computes SHA-256 only).
Exit code 0 when the bar is met, 1 when not, 2 when the benchmark could not run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import harness

BAR = 0.8
MIB = 1024 * 1024


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="verify.py",
        description="Throughput (bytes re-hashed per second) of `testimonia verify --json` "
        "against `openssl dgst -sha256` over the same stored files, warm page cache, "
        f"alternating, median of the runs. Everything is made under {harness.WORK} and "
        "removed at the end.",
    )
    parser.add_argument("--files", type=int, default=8, help="number of files (default 8)")
    parser.add_argument(
        "--size-mib", type=int, default=512, help="size of each file in MiB (default 512)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    harness.add_cache_options(parser, cold=False)
    harness.add_baseline_option(parser)
    args = parser.parse_args(argv)
    if args.files < 1 or args.size_mib < 1 or args.runs < 1:
        parser.error("--files, --size-mib and --runs must be at least 1")
    return args


def openssl_both_at_once(openssl: str, files: list[Path]) -> float:
    """SHA-256 and SHA-512 of the files by two OpenSSL processes at once (one per core)."""
    started = time.perf_counter()
    # S603: fixed command on files this benchmark made.
    procs = [
        subprocess.Popen(  # noqa: S603
            [openssl, "dgst", algorithm, *map(str, files)], stdout=subprocess.DEVNULL
        )
        for algorithm in ("-sha256", "-sha512")
    ]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise harness.BenchError(f"openssl exited {codes}")
    return time.perf_counter() - started


VERIFY = "testimonia verify --json (SHA-256 + size)"
VERIFY_ALL = "testimonia verify --json --all-digests (+ SHA-512)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = harness.WORK / "verify"
    source = work / "source"
    home_dir = work / "home"
    size = args.size_mib * MIB
    total = args.files * size
    harness.need_space(harness.WORK, 2 * total + 512 * MIB)
    cache = harness.CacheState(cold=False, settle=args.settle)
    harness.header(
        f"verify of {args.files} x {args.size_mib} MiB stored against openssl dgst", cache.note
    )
    openssl = harness.tool("openssl")
    try:
        print(f"writing {args.files} random files of {args.size_mib} MiB ...", flush=True)
        harness.write_random_files(source, args.files, size)
        home = harness.make_home(home_dir)
        _, out = home.testimonia(
            "ingest", source, "--workspace", harness.WORKSPACE, "--json", capture=True
        )
        harness.check_ingested(out, args.files)
        harness.remove(source)
        stored = harness.files_under(home.store / "sha256")
        if len(stored) != args.files or sum(p.stat().st_size for p in stored) != total:
            raise harness.BenchError(f"expected {args.files} stored objects, found {len(stored)}")

        def verify(code: Path | None, *extra: str) -> Callable[[], float]:
            env = dict(home.env)
            if code is not None:
                env["PYTHONPATH"] = str(code.resolve())

            def run() -> float:
                cache.prepare(stored)
                took, report = harness.run(
                    [harness.TESTIMONIA, "verify", "--json", *extra], env=env, capture=True
                )
                result = json.loads(report)
                if not result["intact"] or result["objects_checked"] != args.files:
                    raise harness.BenchError(f"verify did not find everything intact: {report}")
                return took

            return run

        def openssl_dgst(algorithm: str) -> Callable[[], float]:
            def run() -> float:
                cache.prepare(stored)
                return harness.run([openssl, "dgst", algorithm, *stored])[0]

            return run

        def openssl_at_once() -> float:
            cache.prepare(stored)
            return openssl_both_at_once(openssl, stored)

        # The steady state: the background job has recorded every object's SHA-512.
        print("computing the SHA-512 of every object (the background job) ...", flush=True)
        home.testimonia("manage", "db_worker", "--batch", "--no-startup-delay")
        sides: dict[str, Callable[[], float]] = {
            "openssl dgst -sha256": openssl_dgst("-sha256"),
            VERIFY: verify(None),
            VERIFY_ALL: verify(None, "--all-digests"),
            "openssl dgst -sha512": openssl_dgst("-sha512"),
            "openssl -sha256 and -sha512 at once": openssl_at_once,
        }
        if args.baseline_src:
            sides["baseline verify --json"] = verify(args.baseline_src)
        times = harness.alternate(sides, args.runs)
    finally:
        harness.remove(work)

    ratio = report(times, total)
    result = harness.verdict(ratio, BAR)
    print(f"ratio verify / openssl dgst -sha256: {ratio:.2f}x   bar: >= {BAR:.2f}x   {result}")
    print(f"({total / 1e9:.2f} GB stored; MB = 10^6 bytes; verify includes process start-up)")
    return 0 if result == "PASS" else 1


def report(times: dict[str, list[float]], total: int) -> float:
    """Print the table; return the ratio verify (default digests) / openssl -sha256."""
    both = zip(times["openssl dgst -sha256"], times["openssl dgst -sha512"], strict=True)
    times = dict(times)
    times["openssl -sha256 then -sha512 (sum)"] = [a + b for a, b in both]
    medians = {name: harness.median(runs) for name, runs in times.items()}
    peer = medians["openssl dgst -sha256"]
    harness.table(
        ["side", "runs (s)", "median (s)", "MB/s", "vs openssl -sha256"],
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
    return peer / medians[VERIFY]


if __name__ == "__main__":
    sys.exit(harness.main_guard(main))
