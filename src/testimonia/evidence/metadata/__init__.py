"""Metadata of a stored original: read it, keep it raw, and normalise it beside the raw copy.

Pure module (no Django import): functions take a path and a media type and return an
`Extraction`, a plain value that the vault stores as a separate, versioned record. Nothing here
writes to the file it reads.

Why hand-written glue rather than one library: no single library reads EXIF, video/audio
containers, PDF and Office files, and none normalises what they find into one shape (decimal
degrees with validated ranges, ISO 8601 times that say whether the file had a zone). So each
format goes to the well-tested reader for it (Pillow for EXIF, ffprobe for audio and video,
pypdf for PDF, the zip module with defusedxml for Office Open XML), and this module does the
part none of them does: it makes every raw value JSON-safe and bounded, checks and converts
the values that matter in court, and turns every failure into an entry in `errors`.

The files are untrusted. Every extractor catches what its parser raises (an error entry,
never an exception out of it); raw values are capped (strings 4 KB, lists 1000 entries, the
whole raw record about 2 MB); Office parts are read with a size limit (zip bombs) and parsed
with defusedxml with DTDs refused (entity expansion); ffprobe runs with a fixed argument
list, a timeout, and only the file protocol and the container formats listed below.
`extract_isolated` runs all of this in a child process with memory, CPU and file-size limits
and a wall-clock timeout, so a parser that loops or balloons on a crafted file costs one
error entry, not the worker.

Run as a module (`python -m testimonia.evidence.metadata MEDIA_TYPE PATH`) it is that child:
it limits itself, extracts, and prints the extraction as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from testimonia.evidence.metadata.common import (
    EXTRACTOR,
    ISOLATED_CPU_S,
    ISOLATED_FILE_BYTES,
    ISOLATED_MEMORY_BYTES,
    ISOLATED_TIMEOUT_S,
    MAX_RAW_CHARS,
    MAX_TEXT,
    NORMALISED_KEYS,
    OOXML_TYPES,
    PDF,
    ZERO_PLACEHOLDER,
    ZIP,
    Extraction,
    _Findings,
    empty_normalised,
    json_safe,
    parse_iso6709,
)
from testimonia.evidence.metadata.readers import (
    extract_av,
    extract_image,
    extract_office,
    extract_pdf,
    ffprobe_argv,
    has_office_properties,
)

__all__ = [
    "EXTRACTOR",
    "MAX_RAW_CHARS",
    "MAX_TEXT",
    "NORMALISED_KEYS",
    "ZERO_PLACEHOLDER",
    "Extraction",
    "empty_normalised",
    "extract_av",
    "extract_file",
    "extract_isolated",
    "ffprobe_argv",
    "json_safe",
    "main",
    "may_have_metadata",
    "parse_iso6709",
]


# --- dispatch ----------------------------------------------------------------------------


def may_have_metadata(media_type: str) -> bool:
    """Whether some extractor reads this media type (a zip only if it is an Office file)."""
    return (
        media_type.startswith(("image/", "video/", "audio/"))
        or media_type in (PDF, ZIP)
        or media_type in OOXML_TYPES
    )


def extractor_for(media_type: str, path: Path) -> Callable[[Path], Extraction] | None:
    if media_type.startswith("image/"):
        return extract_image
    if media_type.startswith(("video/", "audio/")):
        return extract_av
    if media_type == PDF:
        return extract_pdf
    if media_type in OOXML_TYPES or (media_type == ZIP and has_office_properties(path)):
        return extract_office
    return None


def extract_file(path: Path, media_type: str) -> Extraction | None:
    """Extract in this process; None when no extractor reads this media type."""
    extractor = extractor_for(media_type, path)
    if extractor is None:
        return None
    try:
        extraction = extractor(path)
    except ImportError as exc:  # a reader is not installed: the environment's fault
        return _unavailable(f"a metadata reader is missing: {exc}")
    except Exception as exc:  # the last line of defence: an entry, not a crash
        findings = _Findings("unknown")
        findings.failure("extraction failed", exc)
        return findings.done()
    tools = {"python": sys.version.split()[0], **extraction.tools}
    return Extraction(
        raw=extraction.raw,
        normalised=extraction.normalised,
        errors=extraction.errors,
        tools=tools,
        extractor=extraction.extractor,
        unavailable=extraction.unavailable,
    )


# --- isolation -----------------------------------------------------------------------------


def extract_isolated(
    path: Path, media_type: str, *, timeout: float = ISOLATED_TIMEOUT_S
) -> Extraction | None:
    """`extract_file` in a child process with memory, CPU and file-size limits.

    A child killed by its limits or the timeout yields an extraction with one error (the file
    is what stalled or ballooned it). A child that fails to start or crashes with a Python
    error yields an `unavailable` extraction (the environment, not the file).
    """
    if not may_have_metadata(media_type):
        return None
    argv = [sys.executable, "-I", "-m", "testimonia.evidence.metadata", media_type, str(path)]
    try:
        child = subprocess.Popen(  # noqa: S603 - fixed argv of our own interpreter, no shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: ffprobe is stopped with it
        )
    except OSError as exc:
        return _unavailable(f"the extractor process could not start: {exc.strerror or exc}")
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return _stopped(f"extraction stopped after {timeout:g} s")
    if child.returncode < 0:
        known = {sig.value: sig.name for sig in signal.Signals}
        name = known.get(-child.returncode, f"signal {-child.returncode}")
        return _stopped(f"the extractor process was stopped by {name} (a limit was exceeded)")
    try:
        payload = json.loads(out)
        if payload is None:
            return None
        return Extraction.from_json(payload)
    except ValueError:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return _unavailable(f"the extractor process failed: {tail[0][:300]}")


def _stopped(message: str) -> Extraction:
    findings = _Findings("unknown")
    findings.error(message)
    return findings.done()


def _unavailable(message: str) -> Extraction:
    findings = _Findings("unknown")
    findings.error(message)
    findings.unavailable = True
    return findings.done()


def _limit_self() -> None:
    import resource

    for limit, value in (
        (resource.RLIMIT_AS, ISOLATED_MEMORY_BYTES),
        (resource.RLIMIT_CPU, ISOLATED_CPU_S),
        (resource.RLIMIT_FSIZE, ISOLATED_FILE_BYTES),
        (resource.RLIMIT_CORE, 0),
    ):
        _soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, hard))


def main(argv: Iterable[str] | None = None) -> int:
    """The child of `extract_isolated`: limit this process, extract, print JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m testimonia.evidence.metadata MEDIA_TYPE PATH", file=sys.stderr)
        return 2
    media_type, path = args[0], Path(args[1])
    _limit_self()
    try:
        extraction = extract_file(path, media_type)
    except MemoryError:
        extraction = _stopped("the extractor ran out of its memory limit")
    payload = None if extraction is None else extraction.as_json()
    sys.stdout.write(json.dumps(payload, allow_nan=False))
    return 0
