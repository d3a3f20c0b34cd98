"""What every benchmark here needs: fresh homes, timed commands, the page cache, tables.

Run the benchmarks with the project's interpreter (`.venv/bin/python bench/<name>.py`); the
`testimonia` command is taken from the same virtual environment. Nothing here imports
Testimonia: each benchmark drives the installed command, as a user or a script would, so the
figures include process start-up and every fsync the command makes.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"  # ignored by git; on the same file system as the repository
TESTIMONIA = Path(sys.executable).parent / "testimonia"
WORKSPACE = "bench"
WRITE_BLOCK = 8 * 1024 * 1024


class BenchError(Exception):
    """A benchmark could not run (a command failed, no space): printed, exit code 2."""


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name} is not installed")
    return found


def run(
    cmd: Sequence[str | Path], *, env: dict[str, str] | None = None, capture: bool = False
) -> tuple[float, str]:
    """Run a command; return its wall time in seconds and (if asked) its stdout.

    Fails with BenchError, showing the end of stderr, when the command fails.
    """
    args = [str(c) for c in cmd]
    started = time.perf_counter()
    # S603: the benchmarks run fixed commands (cp, sync, openssl, testimonia) on paths they made.
    done = subprocess.run(  # noqa: S603
        args,
        env=env,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace")[-2000:]
        raise BenchError(f"{' '.join(args[:3])} ... exited {done.returncode}:\n{tail}")
    return elapsed, done.stdout.decode("utf-8", "replace") if capture else ""


def sync() -> float:
    return run([tool("sync")])[0]


def drop_caches() -> bool:
    """Write back and drop the page cache so the next run reads from the disk; False when not
    allowed (not root, or in a container that hides /proc/sys)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def warm(paths: Sequence[Path]) -> None:
    """Read files once so that the next run reads them from the page cache."""
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(WRITE_BLOCK):
                pass


class CacheState:
    """Put every measured run in the same state: page cache cold where it can be dropped,
    otherwise warm (the inputs read once just before); then the same pause before every run.

    The pause matters on a virtual machine that hands memory freed in the guest back to the
    host after a few seconds (virtio-balloon free page reporting, as on this one): right after
    a cache drop or a large delete, a command that starts at once gets memory that is still
    backed and runs up to twice as fast as one that starts a second later. Every run starts
    `settle` seconds after its preparation, so both sides meet the same memory.
    """

    def __init__(self, *, cold: bool, settle: float) -> None:
        self.cold = cold and drop_caches()
        self.settle = settle
        self.note = (
            "page cache dropped before each run, then the program loaded: cold data reads"
            if self.cold
            else (
                "page cache kept warm before each run (inputs read just before)"
                + (" - dropping it was not allowed" if cold else "")
            )
        ) + f"; each run starts {settle:g} s after its preparation"

    def prepare(self, inputs: Sequence[Path], program: Callable[[], object] | None = None) -> None:
        """Get ready for one measured run. `program` runs a cheap command of the side about to
        be measured after the drop, so that its code (Python, Django) is read from the cache
        like cp's: the data stays cold, the program does not."""
        os.sync()
        if self.cold:
            drop_caches()
        else:
            warm(inputs)
        if program is not None:
            program()
        time.sleep(self.settle)


def add_cache_options(parser: argparse.ArgumentParser, *, cold: bool) -> None:
    if cold:
        parser.add_argument(
            "--warm",
            action="store_true",
            help="keep the page cache warm before each run instead of dropping it (dropping "
            "needs root)",
        )
    parser.add_argument(
        "--settle",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="pause between preparing a run and starting it, the same for every side "
        "(default 3; see bench/README.md)",
    )


def write_random_files(folder: Path, count: int, size: int, *, prefix: str = "f") -> list[Path]:
    """`count` files of `size` random bytes (incompressible, all different), durable on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    width = len(str(max(count - 1, 1)))
    paths = []
    for n in range(count):
        path = folder / f"{prefix}{n:0{width}d}.bin"
        with path.open("wb") as out:
            left = size
            while left:
                block = os.urandom(min(left, WRITE_BLOCK))
                out.write(block)
                left -= len(block)
        paths.append(path)
    os.sync()
    return paths


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def remove(path: Path) -> None:
    """Remove a tree (stored objects are read-only files in writable folders)."""
    if path.exists():
        shutil.rmtree(path)
    os.sync()


def need_space(folder: Path, nbytes: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < nbytes:
        raise BenchError(
            f"needs {nbytes / 1e9:.1f} GB free under {folder}, has {free / 1e9:.1f} GB: "
            "use smaller sizes"
        )


@dataclass(frozen=True)
class Home:
    """A fresh TESTIMONIA_HOME with one empty workspace, made outside any timed part."""

    path: Path
    env: dict[str, str]

    @property
    def store(self) -> Path:
        return self.path / "blobs"

    def testimonia(self, *args: str | Path, capture: bool = False) -> tuple[float, str]:
        return run([TESTIMONIA, *args], env=self.env, capture=capture)


def make_home(path: Path, *, code: Path | None = None) -> Home:
    """`code`: a `src/` folder of another version of Testimonia (e.g. `git worktree add` of an
    earlier commit) to run instead of the installed one, for before/after figures."""
    remove(path)
    path.mkdir(parents=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TESTIMONIA_") and key != "DJANGO_SETTINGS_MODULE"
    }
    if code is not None:
        env["PYTHONPATH"] = str(code.resolve())
    env["TESTIMONIA_HOME"] = str(path)
    env["TESTIMONIA_SECRET_KEY"] = secrets.token_urlsafe(50)
    home = Home(path, env)
    home.testimonia("manage", "migrate", "--verbosity", "0")
    home.testimonia("workspace", "create", "Benchmark", "--slug", WORKSPACE)
    return home


def check_ingested(output: str, expected: int) -> None:
    """Every item of the ingest's JSON lines stored, none failed."""
    import json

    outcomes = [json.loads(line) for line in output.splitlines() if line.strip()]
    failed = [o for o in outcomes if o["errors"] or o["id"] is None]
    if failed or len(outcomes) != expected:
        raise BenchError(
            f"ingest reported {len(outcomes)} item(s), {len(failed)} failed, expected {expected}: "
            f"{failed[:3]}"
        )


def timed_ingest(
    home_dir: Path,
    source: Path,
    paths: Sequence[Path],
    cache: CacheState,
    expected: int,
    *,
    code: Path | None = None,
) -> float:
    """One measured `testimonia ingest` of `source` into a fresh home: the seconds it took."""
    home = make_home(home_dir, code=code)
    cache.prepare(paths, lambda: home.testimonia("workspace", "list"))
    took, out = home.testimonia("ingest", source, "--workspace", WORKSPACE, "--json", capture=True)
    check_ingested(out, expected)
    remove(home_dir)
    return took


def alternate(sides: dict[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """Measure each side `runs` times, alternating: the order is reversed every other run, so
    that no side always follows the same one. Prints each run's figures as it goes."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for run_no in range(runs):
        order = list(sides) if run_no % 2 == 0 else list(reversed(sides))
        for name in order:
            times[name].append(sides[name]())
        figures = ", ".join(f"{name} {times[name][-1]:.2f} s" for name in sides)
        print(f"run {run_no + 1}/{runs}: {figures}", flush=True)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024**2:.0f} GiB RAM"
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores{memory}, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def header(title: str, cache_note: str) -> None:
    print(f"== {title} ==")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}")
    print(f"work folder: {WORK} ({cache_note})")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    print(line)
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print(line)
    for row in rows:
        cells = [
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("| " + " | ".join(cells) + " |")
    print(line)


def add_baseline_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline-src",
        type=Path,
        metavar="DIR",
        help="also measure the `src/` folder of another version of Testimonia (e.g. made with "
        "`git worktree add /tmp/before HEAD~1`: DIR is /tmp/before/src), alternating with the "
        "rest, for before/after figures of a change",
    )


def verdict(ratio: float, bar: float) -> str:
    return "PASS" if ratio >= bar else "FAIL"


def main_guard(func: Callable[[], int]) -> int:
    """Run a benchmark's main, turning BenchError into one line and exit code 2."""
    try:
        return func()
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
