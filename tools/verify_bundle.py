#!/usr/bin/env python3
"""Check a Testimonia evidence bag, with nothing but Python 3 and the `cryptography` package.

    python3 verify_bundle.py BAG [--json] [--public-key FILE] [--expect-key FINGERPRINT]

A Testimonia export is a BagIt 1.0 bag (RFC 8493) that carries the chain-of-custody events of
its items, each with a Merkle inclusion proof (RFC 9162) against a checkpoint of the custody log
signed with the organisation's Ed25519 key, and consistency proofs from every earlier signed
checkpoint. This tool checks all of it, never stopping at the first problem, and says what each
problem means in plain words. Exit code: 0 when every check passes, 1 when anything does not,
2 when it cannot check at all (no such folder, not a bag, `cryptography` missing).

It deliberately shares no code with Testimonia: the Merkle proof checks below are written again
from RFC 9162 (sections 2.1.3.2 and 2.1.4.2), so an expert can read this one file and rely on
nothing else. See docs/verify-bundle.md.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import os
import re
import stat
import sys
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CHUNK = 1024 * 1024
NOTE_ORIGIN = "testimonia.custody/"
TESTIMONIA_ALGORITHMS = ("sha256", "sha512")
TESTIMONIA_TAG_FILES = (
    "bag-info.txt",
    "testimonia/items.json",
    "testimonia/items.csv",
    "testimonia/custody/events.jsonl",
    "testimonia/custody/checkpoint.json",
    "testimonia/custody/checkpoint-note.txt",
    "testimonia/custody/consistency.json",
    "testimonia/custody/public-key.pem",
)
_EOL = re.compile(r"\r\n|\n|\r")
_MANIFEST_LINE = re.compile(r"\A([0-9A-Fa-f]+)[ \t]+(.+)\Z")
_PERCENT = re.compile(r"%(0[AaDd]|25)")
_HEX = re.compile(r"\A[0-9a-f]+\Z")


class UsageProblem(Exception):
    """The tool cannot check this at all (exit code 2)."""


# --------------------------------------------------------------------------------------------
# Findings


@dataclass
class Check:
    id: str
    title: str
    problems: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        self.problems.append(text)


@dataclass
class Bag:
    root: Path
    info: dict[str, list[str]] = field(default_factory=dict)
    manifests: dict[str, dict[str, str]] = field(default_factory=dict)  # alg -> path -> hex
    payload: dict[str, int] = field(default_factory=dict)  # path on disk -> size

    def label(self, name: str) -> str:
        values = self.info.get(name) or [""]
        return values[0]


def _lines(text: str) -> list[str]:
    parts = _EOL.split(text)
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _algorithm_name(algorithm: str) -> str:
    return {"sha256": "SHA-256", "sha512": "SHA-512", "sha1": "SHA-1", "md5": "MD5"}.get(
        algorithm, algorithm.upper()
    )


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _hash_file(path: Path, algorithms: list[str]) -> dict[str, str]:
    """Every digest of one file in a single read; OSError when it cannot be read."""
    hashers = {a: hashlib.new(a) for a in algorithms}
    buffer = bytearray(CHUNK)  # read into one buffer: no new 1 MiB object per chunk
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            for hasher in hashers.values():
                hasher.update(view[:size])
    return {a: h.hexdigest() for a, h in hashers.items()}


def _hash_files(
    root: Path, wanted: dict[str, list[str]], sizes: dict[str, int]
) -> dict[str, dict[str, str] | OSError]:
    """`_hash_file` of each file (path in the bag -> its algorithms), several files at once.

    hashlib releases the GIL while it hashes a large buffer, so one thread per core hashes one
    file each, side by side. The largest files go first, so that no core is left hashing a large
    one alone at the end. An unreadable file's entry is its OSError: the caller reports it in
    its own order, so the findings read the same however the threads finished.
    """
    results: dict[str, dict[str, str] | OSError] = {}
    workers = max(1, min(len(wanted), _cores()))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hash") as pool:
        futures = {
            rel: pool.submit(_hash_file, root / rel, wanted[rel])
            for rel in sorted(wanted, key=lambda rel: sizes.get(rel, 0), reverse=True)
        }
        for rel, future in futures.items():
            try:
                results[rel] = future.result()
            except OSError as exc:
                results[rel] = exc
    return results


def _digests_or_problem(
    found: dict[str, str] | OSError, algorithms: list[str], check: Check, rel: str
) -> dict[str, str]:
    """The digests of a file; for an unreadable one, a problem and no digests ("")."""
    if isinstance(found, OSError):
        check.problem(f"The file {rel} could not be read ({found.strerror}).")
        return {a: "" for a in algorithms}
    return found


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


# --------------------------------------------------------------------------------------------
# BagIt: the declaration, bag-info, the manifests and the files (RFC 8493)


def check_declaration(bag: Bag, versions: tuple[str, ...]) -> Check:
    check = Check("declaration", "The bag declaration (bagit.txt)")
    raw = (bag.root / "bagit.txt").read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        check.problem("bagit.txt begins with a byte-order mark, which the BagIt standard forbids.")
        raw = raw[3:]
    try:
        lines = _lines(raw.decode("utf-8"))
    except UnicodeDecodeError:
        check.problem("bagit.txt is not readable text (UTF-8).")
        return check
    version = re.fullmatch(r"BagIt-Version: ([0-9]+\.[0-9]+)", lines[0]) if lines else None
    encoding = (
        re.fullmatch(r"Tag-File-Character-Encoding: (\S+)", lines[1]) if len(lines) > 1 else None
    )
    if version is None or encoding is None or len(lines) != 2:
        check.problem(
            "bagit.txt is not a valid BagIt declaration: it must be exactly the two lines "
            "'BagIt-Version: M.N' and 'Tag-File-Character-Encoding: ENCODING'."
        )
        return check
    if version.group(1) not in versions:
        check.problem(
            f"bagit.txt declares BagIt version {version.group(1)}; this tool checks "
            f"version {_and(list(versions))} bags."
        )
    if encoding.group(1).upper() not in ("UTF-8", "UTF8"):
        check.problem(
            f"The bag's records are declared in the {encoding.group(1)} encoding; this tool "
            "reads only UTF-8 (which every Testimonia bag uses)."
        )
    check.summary = f"bagit.txt declares a BagIt {version.group(1)} bag with UTF-8 records."
    return check


def check_bag_info(bag: Bag, *, testimonia: bool) -> Check:
    check = Check("bag-info", "The bag's description (bag-info.txt)")
    path = bag.root / "bag-info.txt"
    if not path.is_file():
        if testimonia:
            check.problem("bag-info.txt is missing: the bag does not say who exported it or when.")
        else:
            check.summary = "There is no bag-info.txt (it is optional in BagIt)."
        return check
    try:
        lines = _lines(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        check.problem("bag-info.txt is not readable text (UTF-8).")
        return check
    label = ""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if line[0] in " \t" and label:
            bag.info[label][-1] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            check.problem(f"Line {number} of bag-info.txt is not of the form 'Label: value'.")
            continue
        label = name.strip()
        bag.info.setdefault(label, []).append(value.strip())
    if testimonia:
        for required in ("Bagging-Date", "Payload-Oxum", "External-Identifier"):
            if required not in bag.info:
                check.problem(f"bag-info.txt has no {required} line.")
        if "Testimonia-Export-Id" not in bag.info:
            check.problem("bag-info.txt has no Testimonia-Export-Id: this is not a Testimonia bag.")
    oxum = bag.info.get("Payload-Oxum")
    if oxum:
        found = re.fullmatch(r"([0-9]+)\.([0-9]+)", oxum[0])
        count, octets = len(bag.payload), sum(bag.payload.values())
        if found is None:
            check.problem(f"bag-info.txt's Payload-Oxum ({oxum[0]!r}) is not 'bytes.files'.")
        elif (int(found.group(1)), int(found.group(2))) != (octets, count):
            check.problem(
                f"bag-info.txt says the data folder holds {found.group(2)} file(s) totalling "
                f"{found.group(1)} bytes (Payload-Oxum), but it holds {count} file(s) totalling "
                f"{octets} bytes: files were added, removed or changed in size since export."
            )
    check.summary = (
        f"Exported from {bag.label('External-Identifier') or 'an unnamed source'} "
        f"on {bag.label('Bagging-Date') or 'an unrecorded date'}; "
        f"the file count and total size (Payload-Oxum) agree with the data folder."
        if oxum
        else "bag-info.txt is readable."
    )
    return check


def _parse_manifest(
    bag: Bag, name: str, algorithm: str, check: Check, *, payload: bool
) -> dict[str, str]:
    """path -> hex of one manifest; every malformed, unsafe or repeated line is a problem."""
    entries: dict[str, str] = {}
    try:
        length = hashlib.new(algorithm).digest_size * 2
    except ValueError:
        check.problem(f"{name} uses the {algorithm} algorithm, which this computer cannot check.")
        return entries
    try:
        lines = _lines((bag.root / name).read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        check.problem(f"{name} is not readable text (UTF-8).")
        return entries
    for number, line in enumerate(lines, 1):
        match = _MANIFEST_LINE.match(line)
        if match is None:
            check.problem(
                f"Line {number} of {name} is not a manifest line (a fingerprint, a space, "
                "and a file name)."
            )
            continue
        digest, raw_path = match.group(1).lower(), match.group(2)
        rel = _PERCENT.sub(lambda m: bytes.fromhex(m.group(1)).decode("ascii"), raw_path)
        rel = rel.removeprefix("./")
        if len(digest) != length:
            check.problem(f"Line {number} of {name}: the fingerprint is not a {algorithm} value.")
            continue
        parts = PurePosixPath(rel).parts
        unsafe = (
            rel.startswith("/")
            or any(part in ("", ".", "..") for part in rel.split("/"))
            or not (bag.root / rel).resolve().is_relative_to(bag.root.resolve())
        )
        if unsafe or (payload and (len(parts) < 2 or parts[0] != "data")):
            check.problem(
                f"{name} names a file outside the bag's data folder ({raw_path!r}); a valid bag "
                "never does this, and the entry was not followed."
                if payload
                else f"{name} names a file outside the bag ({raw_path!r}); it was not followed."
            )
            continue
        if rel in entries:
            check.problem(f"{name} lists the file {rel} more than once.")
            continue
        entries[rel] = digest
    return entries


def _files_on_disk(bag: Bag, top: Path, check: Check, *, skip_data: bool) -> dict[str, int]:
    found: dict[str, int] = {}
    for folder, dirs, files in os.walk(top):
        here = Path(folder)
        if skip_data and here == bag.root:
            dirs[:] = [d for d in dirs if d != "data"]
        for name in sorted(dirs):
            if (here / name).is_symlink():
                rel = (here / name).relative_to(bag.root).as_posix()
                check.problem(f"{rel} is a link to somewhere else, not a folder of the bag.")
        for name in files:
            path = here / name
            rel = path.relative_to(bag.root).as_posix()
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                check.problem(f"{rel} is a link or a special file, not an ordinary file.")
                continue
            found[rel] = info.st_size
    return found


def check_payload(bag: Bag, *, testimonia: bool) -> Check:
    check = Check("payload", "The evidence files (data/ against the manifests)")
    names = sorted(p.name for p in bag.root.glob("manifest-*.txt") if p.is_file())
    algorithms = [n[len("manifest-") : -len(".txt")] for n in names]
    if not names:
        check.problem("The bag has no manifest: nothing records what its files should be.")
    if testimonia:
        for algorithm in TESTIMONIA_ALGORITHMS:
            if algorithm not in algorithms:
                check.problem(f"The {_algorithm_name(algorithm)} manifest is missing.")
    for name, algorithm in zip(names, algorithms, strict=True):
        bag.manifests[algorithm] = _parse_manifest(bag, name, algorithm, check, payload=True)
    if not (bag.root / "data").is_dir():
        check.problem("The bag has no data folder: the evidence files are missing.")
    else:
        bag.payload = _files_on_disk(bag, bag.root / "data", check, skip_data=False)
    on_disk = {_nfc(p): p for p in bag.payload}

    def actual(listed: str) -> str | None:
        return listed if listed in bag.payload else on_disk.get(_nfc(listed))

    listed_by: dict[str, dict[str, str]] = {}  # path on disk -> algorithm -> hex
    absent: set[str] = set()
    for algorithm, entries in bag.manifests.items():
        for listed, digest in entries.items():
            path = actual(listed)
            if path is None:
                absent.add(listed)
            else:
                listed_by.setdefault(path, {})[algorithm] = digest
    for path in sorted(absent):
        check.problem(
            f"The file {path} is listed in the bag's manifest but is not in the bag. It has "
            "been deleted or moved since export."
        )
    hashed = _hash_files(
        bag.root, {p: list(listed_by[p]) for p in bag.payload if p in listed_by}, bag.payload
    )
    checked = 0
    for path in sorted(bag.payload):
        expected = listed_by.get(path, {})
        if not expected:
            check.problem(
                f"The file {path} is in the bag but is not listed in its manifests. It was "
                "added after export (or the manifests were altered)."
            )
            continue
        missing_from = [a for a in bag.manifests if a not in expected]
        if missing_from:
            check.problem(
                f"The file {path} is not listed in the "
                f"{_and([_algorithm_name(a) for a in missing_from])} manifest."
            )
        computed = _digests_or_problem(hashed[path], list(expected), check, path)
        wrong = [_algorithm_name(a) for a in expected if computed[a] not in ("", expected[a])]
        if wrong:
            check.problem(
                f"The file {path} is not the file that was exported: its fingerprint "
                f"({_and(wrong)}) differs from the one recorded in the bag's manifest. It has "
                "been changed or damaged since export."
            )
        checked += 1
    check.summary = (
        f"{checked} evidence file(s), {sum(bag.payload.values())} bytes: each one present, "
        f"listed, and matching its {_and([_algorithm_name(a) for a in algorithms]) or 'no'} "
        "fingerprint(s); no file missing, none added."
    )
    return check


def check_tag_files(bag: Bag, *, testimonia: bool) -> Check:
    check = Check("tag-files", "The bag's own records (tag files against the tag manifests)")
    names = sorted(p.name for p in bag.root.glob("tagmanifest-*.txt") if p.is_file())
    algorithms = [n[len("tagmanifest-") : -len(".txt")] for n in names]
    if testimonia:
        for algorithm in TESTIMONIA_ALGORITHMS:
            if algorithm not in algorithms:
                check.problem(f"The {_algorithm_name(algorithm)} tag manifest is missing.")
        for required in TESTIMONIA_TAG_FILES:
            if not (bag.root / required).is_file():
                check.problem(f"The record file {required} is missing from the bag.")
    manifests = {
        a: _parse_manifest(bag, n, a, check, payload=False)
        for n, a in zip(names, algorithms, strict=True)
    }
    on_disk = _files_on_disk(bag, bag.root, check, skip_data=True)
    tag_files = {p for p in on_disk if not p.startswith("tagmanifest-")}
    listed: dict[str, dict[str, str]] = {}
    for algorithm, entries in manifests.items():
        for path, digest in entries.items():
            if testimonia and path.startswith("data/"):
                check.problem(f"The tag manifest lists the evidence file {path}.")
            listed.setdefault(path, {})[algorithm] = digest
    present = {p: list(listed[p]) for p in listed if (bag.root / p).is_file()}
    hashed = _hash_files(bag.root, present, on_disk)
    for path in sorted(listed):
        if path not in present:
            check.problem(f"The record file {path} is listed in the tag manifest but is missing.")
            continue
        computed = _digests_or_problem(hashed[path], present[path], check, path)
        wrong = [_algorithm_name(a) for a, h in listed[path].items() if computed[a] not in ("", h)]
        if wrong:
            check.problem(
                f"The record file {path} has been changed since export: its fingerprint "
                f"({_and(wrong)}) differs from the one in the bag's tag manifest."
            )
    if testimonia:
        for path in sorted(tag_files):
            absent = [_algorithm_name(a) for a in manifests if path not in manifests[a]]
            if absent:
                check.problem(
                    f"The file {path} is in the bag but not listed in its "
                    f"{_and(absent)} tag manifest: it was added or altered after export."
                )
    check.summary = (
        f"{len(listed)} record file(s) match their "
        f"{_and([_algorithm_name(a) for a in algorithms]) or 'no'} fingerprint(s)."
    )
    return check


def check_bagit(
    bag_root: Path, *, testimonia: bool, versions: tuple[str, ...] = ("1.0",)
) -> tuple[list[Check], Bag]:
    """The BagIt part: declaration, payload fixity and completeness, tag files, bag-info."""
    bag = Bag(bag_root)
    declaration = check_declaration(bag, versions)
    payload = check_payload(bag, testimonia=testimonia)
    tags = check_tag_files(bag, testimonia=testimonia)
    info = check_bag_info(bag, testimonia=testimonia)
    return [declaration, payload, tags, info], bag


# --------------------------------------------------------------------------------------------
# Merkle proofs, RFC 9162 section 2.1, written again here so that this file stands alone


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does `path` prove that `leaf` is entry `index` of the tree of
    `size` entries whose root is `root`?"""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: does `proof` show that the tree (`second`, `second_root`)
    extends the tree (`first`, `first_root`), i.e. that the log was only appended to?"""
    if not 0 <= first <= second:
        return False
    if first == 0:  # every tree extends the empty one, whose root is SHA-256("")
        return not proof and first_root == EMPTY_ROOT
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# --------------------------------------------------------------------------------------------
# The custody records: signing key, checkpoint, events, log history, items


@dataclass(frozen=True)
class Key:
    raw: bytes  # the 32 bytes of the Ed25519 public key
    source: str

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def key_id(self) -> str:
        return self.fingerprint[:16]

    def verifies(self, signature: Any, message: str) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            decoded = base64.b64decode(str(signature), validate=True)
            Ed25519PublicKey.from_public_bytes(self.raw).verify(decoded, message.encode("utf-8"))
        except (InvalidSignature, ValueError):
            return False
        return True


def load_key(pem: bytes, source: str) -> Key:
    """The Ed25519 public key in a PEM file; ValueError if it holds anything else."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Key(raw, source)


@dataclass(frozen=True)
class Note:
    origin: str
    size: int
    root: bytes
    time: str


def parse_note(note: Any) -> Note | None:
    """The signed checkpoint text: origin, tree size, base64 root hash, time, one per line."""
    if not isinstance(note, str):
        return None
    lines = note.split("\n")
    if len(lines) != 5 or lines[4] != "" or not re.fullmatch(r"[0-9]+", lines[1]):
        return None
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        return None
    if len(root) != 32:
        return None
    return Note(lines[0], int(lines[1]), root, lines[3])


def _load_json(bag: Bag, rel: str, check: Check) -> Any:
    path = bag.root / rel
    if not path.is_file():
        check.problem(f"The record file {rel} is missing, so this could not be checked.")
        return None
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except ValueError:
        check.problem(f"The record file {rel} is not readable (not valid JSON).")
        return None


def _hashes(value: Any) -> list[bytes] | None:
    if not isinstance(value, list) or not all(
        isinstance(h, str) and len(h) == 64 and _HEX.match(h) for h in value
    ):
        return None
    return [bytes.fromhex(h) for h in value]


def check_signing_key(
    bag: Bag, supplied: Key | None, expected: str | None
) -> tuple[Check, Key | None]:
    check = Check("signing-key", "The key that signed the custody checkpoints")
    rel = "testimonia/custody/public-key.pem"
    in_bag: Key | None = None
    if not (bag.root / rel).is_file():
        check.problem(f"The public key ({rel}) is missing from the bag.")
    else:
        try:
            in_bag = load_key((bag.root / rel).read_bytes(), "the key inside the bag")
        except ValueError:
            check.problem(f"{rel} does not hold an Ed25519 public key.")
    if supplied is not None and in_bag is not None and supplied.raw != in_bag.raw:
        check.problem(
            f"The public key inside the bag (key id {in_bag.key_id}) is not the key you supplied "
            f"(key id {supplied.key_id}): the signatures are checked with the key you supplied."
        )
    key = supplied or in_bag
    if expected is not None and key is not None and expected != key.fingerprint:
        check.problem(
            f"The signing key has key id {key.key_id} (fingerprint {key.fingerprint}), not the "
            f"{expected} you expected: this bag was not signed with the key you trust."
        )
    if key is not None:
        check.summary = (
            f"Signatures are checked with {key.source}: key id {key.key_id}, fingerprint "
            f"{key.fingerprint}."
        )
    return check, key


def check_checkpoint(bag: Bag, key: Key | None) -> tuple[Check, Note | None, bool]:
    """The signed checkpoint, and whether its signature holds (only then does it prove)."""
    check = Check("checkpoint", "The signed checkpoint of the custody log")
    rel = "testimonia/custody/checkpoint.json"
    cp = _load_json(bag, rel, check)
    if not isinstance(cp, dict):
        if cp is not None:
            check.problem(f"The record file {rel} is not a checkpoint.")
        return check, None, False
    note = parse_note(cp.get("note"))
    signed = key is not None and key.verifies(cp.get("signature"), str(cp.get("note")))
    if key is None:
        check.problem("The checkpoint's signature could not be checked: there is no usable key.")
    elif not signed:
        check.problem(
            "The signature on the custody checkpoint is not valid for the signing key: the "
            "checkpoint was changed after it was signed, or it was signed with another key. "
            "Nothing in the bag can be proven against it."
        )
    if note is None:
        check.problem("The checkpoint's signed text is not in the expected form (it was altered).")
        return check, None, False
    if cp.get("tree_size") != note.size or cp.get("root_hash") != note.root.hex():
        check.problem(
            "The checkpoint's size or root hash differs from its signed text: the checkpoint "
            "file was altered; the signed text is what counts."
        )
    if key is not None and cp.get("key_id") != key.key_id:
        check.problem(
            f"The checkpoint says it was signed by key {cp.get('key_id')}, but the signing key "
            f"is {key.key_id}."
        )
    slug = bag.label("External-Identifier")
    if note.origin != NOTE_ORIGIN + slug:
        check.problem(
            f"The checkpoint is for the custody log {note.origin!r}, but the bag says it comes "
            f"from workspace {slug!r}."
        )
    stated = bag.label("Testimonia-Checkpoint")
    if stated and stated != f"{note.size} {note.root.hex()}":
        check.problem("bag-info.txt names a different checkpoint from the signed one.")
    note_file = bag.root / "testimonia/custody/checkpoint-note.txt"
    if note_file.is_file() and note_file.read_bytes() != str(cp["note"]).encode("utf-8"):
        check.problem("checkpoint-note.txt is not the checkpoint's signed text.")
    stamp = _check_timestamp(cp, "the custody checkpoint", check)
    tsr = bag.root / "testimonia/custody/checkpoint.tsr"
    if tsr.is_file() and (stamp is None or tsr.read_bytes() != stamp):
        check.problem("checkpoint.tsr is not the timestamp recorded with the checkpoint.")
    check.summary = (
        f"The custody log {note.origin!r} had {note.size} event(s) at {note.time}, with root "
        f"hash {note.root.hex()}; the signature on this statement is valid."
        + (
            " It carries an RFC 3161 timestamp from a time-stamping authority, about this very "
            "text; check the authority's signature on it with openssl (see the guide)."
            if stamp
            else ""
        )
    )
    return check, note, signed


def _check_timestamp(cp: dict[str, Any], what: str, check: Check) -> bytes | None:
    """The RFC 3161 token attached to a checkpoint, if any. Without an ASN.1 library this
    checks only that the token is about the checkpoint's signed text (its SHA-256 is the
    token's message imprint); `openssl ts -verify` checks the authority's signature."""
    stamp = cp.get("timestamp")
    if not stamp:
        return None
    try:
        token = base64.b64decode(str(stamp.get("tsa_response")), validate=True)
    except (ValueError, AttributeError):
        check.problem(f"The timestamp of {what} is not readable.")
        return None
    if hashlib.sha256(str(cp.get("note")).encode("utf-8")).digest() not in token:
        check.problem(f"The timestamp attached to {what} is for other content.")
    return token


def check_events(
    bag: Bag, note: Note | None, signed: bool
) -> tuple[Check, dict[int, dict[str, Any]]]:
    """Each event's hash and inclusion proof; returns the events proven against a validly
    signed checkpoint (seq -> event)."""
    check = Check("custody-events", "The chain-of-custody events of the exported items")
    rel = "testimonia/custody/events.jsonl"
    proven: dict[int, dict[str, Any]] = {}
    if not (bag.root / rel).is_file():
        check.problem(f"The record file {rel} is missing: the items' custody is not in the bag.")
        return check, proven
    if note is None:
        check.problem("The events cannot be proven: there is no readable signed checkpoint.")
    try:
        lines = (bag.root / rel).read_bytes().decode("utf-8").split("\n")
    except UnicodeDecodeError:
        check.problem(f"{rel} is not readable text (UTF-8).")
        return check, proven
    leaves: dict[int, bytes] = {}
    events: dict[int, dict[str, Any]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            seq, payload = record["seq"], record["payload"]
            if type(seq) is not int or seq < 0 or not isinstance(payload, str):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            check.problem(f"Line {number} of {rel} is not a readable custody record.")
            continue
        if seq in leaves:
            check.problem(f"Custody event {seq} appears more than once.")
            continue
        computed = leaf_hash(payload.encode("utf-8"))
        leaves[seq] = computed
        good = True
        if record.get("leaf_hash") != computed.hex():
            good = False
            check.problem(
                f"Custody event {seq}: its text does not match its recorded hash. The event "
                "was changed after export."
            )
        proof = _hashes(record.get("inclusion_proof"))
        if note is not None and (
            proof is None or not verify_inclusion(computed, seq, note.size, proof, note.root)
        ):
            good = False
            check.problem(
                f"Custody event {seq} cannot be shown to be part of the signed custody log: "
                "its inclusion proof does not lead to the signed root hash. The event or its "
                "proof was changed after export."
            )
        try:
            event = json.loads(payload)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            check.problem(f"Custody event {seq}: its text is not a readable event.")
            continue
        if event.get("seq") != seq:
            good = False
            check.problem(f"Custody event {seq}: its text says it is event {event.get('seq')}.")
        if note is not None and NOTE_ORIGIN + str(event.get("log")) != note.origin:
            good = False
            check.problem(f"Custody event {seq} belongs to another log ({event.get('log')!r}).")
        events[seq] = event
        if good and note is not None and signed:
            proven[seq] = event
    for seq, event in sorted(events.items()):
        if seq - 1 in leaves and event.get("prev") != leaves[seq - 1].hex():
            check.problem(f"Custody event {seq} does not follow event {seq - 1} (chain broken).")
    check.summary = (
        f"{len(proven)} custody event(s): each unchanged and proven to be in the signed log."
    )
    return check, proven


def check_history(bag: Bag, key: Key | None, note: Note | None) -> Check:
    check = Check("log-history", "The custody log was only ever appended to")
    rel = "testimonia/custody/consistency.json"
    data = _load_json(bag, rel, check)
    if data is None:
        return check
    if not isinstance(data, dict) or not isinstance(data.get("earlier_checkpoints"), list):
        check.problem(f"The record file {rel} is not in the expected form.")
        return check
    if note is None:
        check.problem("The log's history cannot be checked: there is no readable checkpoint.")
        return check
    target = data.get("checkpoint") or {}
    if target.get("tree_size") != note.size or target.get("root_hash") != note.root.hex():
        check.problem(f"{rel} refers to a different checkpoint from the signed one.")
    count = 0
    for cp in data["earlier_checkpoints"]:
        earlier = parse_note(cp.get("note")) if isinstance(cp, dict) else None
        if earlier is None:
            check.problem(f"An earlier checkpoint in {rel} is not readable.")
            continue
        count += 1
        when = f"the checkpoint of {earlier.size} event(s) signed at {earlier.time}"
        if key is None or not key.verifies(cp.get("signature"), cp["note"]):
            check.problem(f"The signature on {when} is not valid for the signing key.")
        if cp.get("tree_size") != earlier.size or cp.get("root_hash") != earlier.root.hex():
            check.problem(f"The size or root hash of {when} differs from its signed text.")
        _check_timestamp(cp, when, check)
        if earlier.origin != note.origin:
            check.problem(f"{when[0].upper()}{when[1:]} is for another log ({earlier.origin!r}).")
        proof = _hashes(cp.get("consistency_proof"))
        if proof is None or not verify_consistency(
            earlier.size, note.size, earlier.root, note.root, proof
        ):
            check.problem(
                f"The custody log at export is not a continuation of the log as it stood in "
                f"{when}: events recorded before then were changed or removed, or the proof "
                "was altered."
            )
    check.summary = (
        f"The log at export extends each of the {count} earlier signed checkpoint(s): nothing "
        "recorded before them was changed or removed."
        if count
        else "There were no earlier signed checkpoints to compare with."
    )
    return check


def check_items(bag: Bag, proven: dict[int, dict[str, Any]]) -> Check:
    check = Check("items", "Each exported item is the file that was collected")
    data = _load_json(bag, "testimonia/items.json", check)
    if data is None:
        return check
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        check.problem("testimonia/items.json does not list the items in the expected form.")
        return check
    export_id = bag.label("Testimonia-Export-Id")
    ingested: dict[str, set[str]] = {}
    exported: set[str] = set()  # the subjects of this export's events
    stated: set[Any] = set()  # how many items this export's events say it held
    for event in proven.values():
        details = event.get("details") if isinstance(event.get("details"), dict) else {}
        subject = str(event.get("subject", ""))
        if event.get("action") == "ingest":
            ingested.setdefault(subject, set()).add(str(event.get("object")))
        elif event.get("action") == "export" and details.get("export_id") == export_id:
            exported.add(subject)
            stated.add(details.get("items"))
    sha256 = bag.manifests.get("sha256", {})
    sha512 = bag.manifests.get("sha512", {})
    described: set[str] = set()
    for item in items:
        ident, path = item.get("id"), str(item.get("bag_path"))
        described.add(path)
        name = f"Item {ident} ({path})"
        if path not in sha256:
            check.problem(f"{name}: its file is not listed in the SHA-256 manifest.")
            continue
        if item.get("sha256") != "sha256:" + sha256[path] or (
            path in sha512 and item.get("sha512") != "sha512:" + sha512[path]
        ):
            check.problem(f"{name}: its description (items.json) gives other fingerprints.")
        recorded = ingested.get(f"item:{ident}")
        if not recorded:
            check.problem(
                f"{name} has no proven ingest event in the bag: there is no proof of how it "
                "came into custody."
            )
        elif "sha256:" + sha256[path] not in recorded:
            check.problem(
                f"{name}: the file in the bag is not the one that was collected: its SHA-256 "
                f"({sha256[path]}) differs from the one recorded at ingest "
                f"({', '.join(sorted(recorded))})."
            )
        if f"item:{ident}" not in exported:
            check.problem(f"{name}: the custody events in the bag do not record this export.")
    for subject in sorted(exported - {f"item:{item.get('id')}" for item in items}):
        check.problem(
            f"The custody log records that this export included {subject}, but the bag does "
            "not describe it: it was removed from the bag after export."
        )
    if stated and stated != {len(items)}:
        check.problem(
            f"The custody log records that this export held {_and(sorted(map(str, stated)))} "
            f"item(s), but the bag describes {len(items)}: items were removed from the bag "
            "after export."
        )
    for path in sorted(set(bag.payload) | set(sha256)):
        if path not in described:
            check.problem(f"The file {path} is not one of the items described in items.json.")
    _check_items_csv(bag, items, check)
    check.summary = (
        f"{len(items)} item(s): each file has the SHA-256 recorded when it was collected "
        "(its ingest event, proven in the log), and the log records this export."
    )
    return check


def _check_items_csv(bag: Bag, items: list[dict[str, Any]], check: Check) -> None:
    path = bag.root / "testimonia/items.csv"
    if not path.is_file():
        return  # reported with the tag files
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error):
        check.problem("testimonia/items.csv is not a readable table.")
        return
    by_id = {row.get("id"): row for row in rows}
    for item in items:
        row = by_id.get(str(item.get("id")))
        if row is None or any(
            row.get(f) != str(item.get(f)) for f in ("bag_path", "sha256", "sha512")
        ):
            check.problem(f"Item {item.get('id')}: items.csv does not agree with items.json.")
    if len(rows) != len(items):
        check.problem("items.csv and items.json do not list the same number of items.")


# --------------------------------------------------------------------------------------------
# The report


@dataclass
class Report:
    bag: Path
    checks: list[Check]
    key: Key | None

    @property
    def problems(self) -> int:
        return sum(len(c.problems) for c in self.checks)


def _guarded(check_id: str, title: str, run: Any, *args: Any) -> Any:
    """Run one check; a malformed record it did not foresee is a finding, not a crash."""
    try:
        return run(*args)
    except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
        check = Check(check_id, title)
        check.problem(f"This could not be checked: a record is malformed ({type(exc).__name__}).")
        return check


def verify(bag_root: Path, *, supplied: Key | None = None, expected: str | None = None) -> Report:
    checks, bag = check_bagit(bag_root, testimonia=True)
    key_check, key = check_signing_key(bag, supplied, expected)
    cp_check, note, signed = check_checkpoint(bag, key)
    events_check, proven = check_events(bag, note, signed)
    checks += [key_check, cp_check, events_check]
    checks.append(_guarded("log-history", "The log history", check_history, bag, key, note))
    checks.append(_guarded("items", "The exported items", check_items, bag, proven))
    return Report(bag_root, checks, key)


def render_text(report: Report) -> str:
    out = [f"Checking the evidence bag {report.bag}", ""]
    if report.key is not None:
        out += [
            f"  Signing key id:  {report.key.key_id}",
            f"  Key fingerprint: {report.key.fingerprint}",
            "  Compare this fingerprint with the one the organisation published. If they differ,",
            "  the signatures below prove nothing about that organisation.",
            "",
        ]
    for check in report.checks:
        out.append(f"{'PASSED' if check.passed else 'FAILED'}  {check.title}")
        if check.passed:
            out.append(f"        {check.summary}")
        out += [f"        - {problem}" for problem in check.problems]
    out.append("")
    if report.problems:
        out.append(
            f"VERDICT: FAILED. {report.problems} problem(s) found: this bag is not exactly as "
            "it was exported, or its custody records cannot be proven. See the findings above."
        )
    else:
        key = report.key.key_id if report.key else "?"
        out.append(
            f"VERDICT: PASSED. Every check passed: the files are exactly as exported and their "
            f"custody records are proven against a checkpoint signed with key {key}."
        )
    return "\n".join(out)


def render_json(report: Report) -> str:
    return json.dumps(
        {
            "bag": str(report.bag),
            "verdict": "failed" if report.problems else "passed",
            "problems": report.problems,
            "key": (
                {"key_id": report.key.key_id, "fingerprint": report.key.fingerprint}
                if report.key
                else None
            ),
            "checks": [
                {
                    "id": c.id,
                    "title": c.title,
                    "passed": c.passed,
                    "summary": c.summary if c.passed else "",
                    "problems": c.problems,
                }
                for c in report.checks
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def _fingerprint(text: str) -> str:
    """The full fingerprint only: a 16-character key id is a label, too short to trust."""
    cleaned = re.sub(r"[\s:]", "", text).lower().removeprefix("sha256")
    if len(cleaned) != 64 or not _HEX.match(cleaned):
        raise UsageProblem(
            "--expect-key takes the key's full fingerprint: 64 hexadecimal characters"
        )
    return cleaned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify_bundle.py",
        description="Check a Testimonia evidence bag: every file against its fingerprints, the "
        "signed custody checkpoint, every custody event's proof, and the log's history. Exit "
        "code 0 when everything checks, 1 when anything does not, 2 when it cannot check.",
    )
    parser.add_argument("bag", metavar="BAG", type=Path, help="the bag's folder")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--public-key",
        metavar="FILE",
        type=Path,
        help="the organisation's published public key (PEM), to check the signatures with "
        "instead of the copy inside the bag",
    )
    parser.add_argument(
        "--expect-key",
        metavar="FINGERPRINT",
        help="the organisation's published key fingerprint (64 hexadecimal characters): "
        "any other signing key is a failure",
    )
    args = parser.parse_args(argv)
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return _usage("this tool needs the cryptography package: pip install cryptography")
    try:
        expected = _fingerprint(args.expect_key) if args.expect_key else None
        supplied = None
        if args.public_key is not None:
            try:
                supplied = load_key(args.public_key.read_bytes(), f"the key in {args.public_key}")
            except (OSError, ValueError):
                problem = f"{args.public_key} is not a readable Ed25519 public key"
                raise UsageProblem(problem) from None
        bag = args.bag.absolute()
        if not bag.is_dir():
            raise UsageProblem(f"there is no folder at {args.bag}")
        if not (bag / "bagit.txt").is_file():
            raise UsageProblem(f"{args.bag} is not a BagIt bag: it has no bagit.txt")
    except UsageProblem as exc:
        return _usage(str(exc))
    try:
        report = verify(bag, supplied=supplied, expected=expected)
    except OSError as exc:
        return _usage(f"cannot read the bag: {exc.strerror} ({exc.filename})")
    print(render_json(report) if args.json else render_text(report))
    return EXIT_FAILED if report.problems else EXIT_OK


def _usage(message: str) -> int:
    print(f"verify_bundle.py: error: {message}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
