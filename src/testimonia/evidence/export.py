"""Export evidence items as a BagIt 1.0 bag (RFC 8493) that carries its own custody proofs.

The layout of the bag is in the README written into it (`_README` below) and in
docs/verify-bundle.md.

Each original is re-verified on its way out: read once from the store while SHA-256 and
SHA-512 are computed (on two threads, see `_copy_item`) and the copy is written; a SHA-256
that differs from the record stops the export (DigestMismatch) and nothing is left behind.
The copies are fsynced before anything is recorded. The export appends an `export` custody
event per item and then signs a checkpoint, so the export itself is on record and covered by
the proofs in the bag. The bag is built in a hidden sibling folder and renamed into place at
the end, inside the transaction that records it: a failed export leaves neither a half-written
bag nor custody events for an export that did not happen.

Why not `bagit.make_bag`: it turns a folder of files into a bag in place (moving them under
data/), and hashes each file in a separate pass per run after the copy; here the bytes are read
once from the store and hashed with both algorithms while they are written. The tests validate
every bag with bagit-python, the reference implementation.

`tools/verify_bundle.py` checks such a bag with nothing but Python and `cryptography`; keep the
file names and JSON fields here in step with it (and with docs/verify-bundle.md).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import os
import queue
import re
import shutil
import tempfile
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from testimonia.accounts.models import User, Workspace
from testimonia.custody import keys
from testimonia.custody import services as custody_services
from testimonia.custody.merkle import leaf_hash
from testimonia.custody.models import Checkpoint, LogEntry
from testimonia.custody.services import Action, actor_label, append_event, sign_checkpoint, tree_of
from testimonia.evidence import blobstore
from testimonia.evidence.blobstore import fsync_dir
from testimonia.evidence.exceptions import DigestMismatch, EvidenceError
from testimonia.evidence.models import Item
from testimonia.evidence.services import blob_store, items_of

logger = logging.getLogger("testimonia.evidence")

ALGORITHMS = ("sha256", "sha512")
FORMAT = "testimonia-bag/1"
ITEMS_DIR = "data/items"
TAG_DIR = "testimonia"
CUSTODY_DIR = f"{TAG_DIR}/custody"
ITEM_FIELDS = (
    "id",
    "filename",
    "original_path",
    "bag_path",
    "sha256",
    "sha512",
    "size",
    "media_type",
    "source",
    "collected_by",
    "added_by",
    "added_at",
    "found_modified_at",
    "duplicate_of",
    "container",
)
_BATCH = 200  # ids per query: well under every database's limit on bound parameters
_SAFE_PUNCTUATION = frozenset("._-+()[]@,= ")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
)
_MAX_NAME_BYTES = 150
# While an original is copied, at most _QUEUED_CHUNKS chunks (of the store's 1 MiB) wait for the
# thread that computes its SHA-512, and the write-back of the copy is started every
# _WRITEBACK_BYTES.
_QUEUED_CHUNKS = 8
_WRITEBACK_BYTES = 8 * 1024 * 1024
_SPREADSHEET_FORMULA = re.compile(r"\A[=+\-@\t\r]")


class ExportRefused(EvidenceError):
    """The export cannot start as asked (destination, items); the message is safe to show."""


class StoredObjectMissing(SuspiciousOperation):
    """An item's stored original is gone from the store."""

    def __init__(self, item: str, digest: str) -> None:
        super().__init__(f"{item}: stored object {digest} is missing")
        self.item = item
        self.digest = digest


class CustodyDamaged(SuspiciousOperation):
    """The custody log no longer agrees with itself; `testimonia verify` names the damage."""


@dataclass(frozen=True)
class _Copied:
    item: Item
    bag_path: str
    sha256: str  # hex
    sha512: str  # hex
    size: int


# What the hooks of export_bag receive: each item copied into the bag, with its path there.
CopiedItem = _Copied
# Extra tag files for the bag (a disclosure's index and memorandum), made once the items are
# copied: {path in the bag: bytes}. The paths must not be the export's own nor under data/.
TagFilesHook = Callable[[str, Sequence[CopiedItem]], Mapping[str, bytes]]
# Called with the complete bag (in its staging folder) and the export id, inside the
# transaction that records the export, before the bag is renamed into place: what it records
# commits with the export, and an exception it raises undoes the export and leaves no bag.
WrittenHook = Callable[[Path, str], None]


def export_bag(
    actor: User | None,
    workspace: Workspace,
    item_ids: Iterable[int],
    out_dir: Path,
    *,
    source_organization: str = "",
    progress: Callable[[int], None] | None = None,
    tag_files: TagFilesHook | None = None,
    on_written: WrittenHook | None = None,
) -> Path:
    """Write the items of `workspace` named by `item_ids` as a bag at `out_dir`; return it.

    `out_dir` must not exist, or be an empty folder, and its parent must exist. Raises
    ExportRefused for a bad destination or unknown items, DigestMismatch when an original's
    bytes changed, StoredObjectMissing when one is gone, CustodyDamaged when the log is damaged.
    Call it outside any transaction: the bag is renamed into place just before its custody
    events commit, and an enclosing transaction that rolled back later would orphan it.
    `tag_files` adds tag files of the caller's, `on_written` records what the caller needs in
    the export's transaction (TagFilesHook, WrittenHook; the cases app's disclosures use them).
    """
    out = _destination(out_dir)
    items = _items_to_export(workspace, item_ids)
    export_id = str(uuid.uuid4())
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    was_empty_folder = out.is_dir()
    published = False
    try:
        store = blob_store()
        copied = [_copy_item(staging, item, store, progress) for item in items]
        _fsync_files(_inside(staging, c.bag_path) for c in copied)
        extra = _extra_tag_files(tag_files(export_id, copied)) if tag_files else {}
        with transaction.atomic():
            for copy in copied:
                append_event(
                    workspace,
                    actor=actor,
                    action=Action.EXPORT,
                    object_digest=copy.item.blob.sha256,
                    subject=f"item:{copy.item.pk}",
                    details={
                        "export_id": export_id,
                        "destination": out.name,
                        "format": FORMAT,
                        "items": len(copied),  # signed: an item removed from the bag shows
                    },
                )
            checkpoint = _sign(workspace)
            events, earlier = _custody_records(workspace, checkpoint, copied)
            _write_tag_files(
                staging,
                workspace=workspace,
                export_id=export_id,
                copied=copied,
                checkpoint=checkpoint,
                events=events,
                earlier=earlier,
                extra=extra,
                info=_bag_info(
                    workspace,
                    actor,
                    export_id,
                    checkpoint,
                    copied,
                    source_organization or workspace.name,
                ),
            )
            _fsync_tree(staging)
            if on_written is not None:
                on_written(staging, export_id)
            # Replaces an empty folder atomically; fails if anything appeared in it meanwhile.
            os.rename(staging, out)
            published = True
            fsync_dir(out.parent)
    except BaseException as exc:
        if published:  # the database refused the commit: the bag must not outlive its record
            shutil.rmtree(out, ignore_errors=True)
            if was_empty_folder:
                out.mkdir(exist_ok=True)
        if isinstance(exc, SuspiciousOperation):
            logger.error("export %s from workspace %s stopped: %s", export_id, workspace.slug, exc)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info(
        "export %s: %d item(s) of workspace %s as a bag", export_id, len(copied), workspace.slug
    )
    return out


def read_bag_info(bag: Path) -> dict[str, str]:
    """The labels of a bag's bag-info.txt (the first value of each), for summaries."""
    info: dict[str, str] = {}
    for line in (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines():
        label, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            info.setdefault(label.strip(), value.strip())
    return info


def safe_filename(name: str) -> str:
    """A file name that is safe on every common file system and in a BagIt manifest.

    Letters and digits in any script, combining marks, and a few punctuation marks are kept;
    anything else (separators, control characters, `%`, characters Windows forbids) becomes
    `_`. No leading dot (hidden files), no trailing dot or space, no Windows device name, at
    most 150 UTF-8 bytes with the extension kept. The original name stays in items.json.
    """
    name = unicodedata.normalize("NFC", name)
    kept = "".join(
        ch
        if ch.isalnum() or ch in _SAFE_PUNCTUATION or unicodedata.category(ch) in ("Mn", "Mc")
        else "_"
        for ch in name
    )
    kept = re.sub(r"\s+", " ", kept).strip(" .")
    stem, dot, suffix = kept.rpartition(".")
    if not dot or not stem or len(suffix) > 16:
        stem, suffix = kept, ""
    extension = f".{suffix}" if suffix else ""
    if len((stem + extension).encode("utf-8")) > _MAX_NAME_BYTES:
        while len((stem + extension).encode("utf-8")) > _MAX_NAME_BYTES:
            stem = stem[:-1]
        stem = stem.rstrip(" .")
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return (stem or "unnamed") + extension


def _destination(out_dir: Path) -> Path:
    out = Path(os.path.abspath(out_dir))
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ExportRefused(f"{out} exists and is not a folder: choose a new folder for the bag")
    if out.is_dir() and any(out.iterdir()):
        raise ExportRefused(f"{out} is not empty: choose a new folder for the bag")
    if not out.parent.is_dir():
        raise ExportRefused(f"the folder {out.parent} does not exist: create it first")
    return out


def _items_to_export(workspace: Workspace, item_ids: Iterable[int]) -> list[Item]:
    wanted = list(dict.fromkeys(int(i) for i in item_ids))  # once each, in the order given
    if not wanted:
        raise ExportRefused("no items to export")
    found: dict[int, Item] = {}
    for batch in _batches(wanted):
        found.update((item.pk, item) for item in items_of(workspace).filter(pk__in=batch))
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ExportRefused(
            f"no item {', '.join(missing)} in workspace {workspace.slug}: "
            "check the ids with the web UI or the API"
        )
    return sorted(found.values(), key=lambda item: item.pk)


def _copy_item(
    staging: Path,
    item: Item,
    store: blobstore.BlobStore,
    progress: Callable[[int], None] | None,
) -> _Copied:
    """Copy one original into the bag, re-verifying it with both digests in the same pass.

    SHA-512, which takes about as long as all the rest (reading, SHA-256, writing), is computed
    on a second thread (`_InOrder`; hashlib releases the GIL, so the two threads use two
    cores). The copy is not fsynced here: `export_bag` does that for all the copies at once
    (`_fsync_files`), after their write-back, started as they were written, has run during the
    later copies.
    """
    bag_path = f"{ITEMS_DIR}/{item.pk}/{safe_filename(item.original_filename)}"
    target = _inside(staging, bag_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sha256, sha512, size = hashlib.sha256(), hashlib.sha512(), 0
    blob = item.blob
    try:
        with (
            target.open("xb", buffering=0) as out,
            _InOrder(sha512.update, "export-sha512") as hash512,
        ):
            writer = _Writer(out.fileno())
            for chunk in store.iter_chunks(blob.sha256):
                hash512(chunk)
                sha256.update(chunk)
                writer.write(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(len(chunk))
    except blobstore.BlobMissing as exc:
        raise StoredObjectMissing(f"item {item.pk}", blob.sha256) from exc
    label = f"item {item.pk} ({item.original_filename})"
    found256 = "sha256:" + sha256.hexdigest()
    if found256 != blob.sha256:
        raise DigestMismatch(label, "sha256", blob.sha256, found256)
    found512 = "sha512:" + sha512.hexdigest()
    if blob.sha512 and found512 != blob.sha512:
        raise DigestMismatch(label, "sha512", blob.sha512, found512)
    if size != blob.size:
        raise DigestMismatch(label, "size", str(blob.size), str(size))
    return _Copied(item, bag_path, sha256.hexdigest(), sha512.hexdigest(), size)


class _InOrder:
    """Calls `work` on each chunk given to it, in the order given, on a thread of its own.

    The first chunk is handled on the caller's thread, so that a file of one chunk (most
    evidence) starts no thread. At most _QUEUED_CHUNKS chunks wait: a slow worker holds the
    caller back instead of filling the memory. An error of `work` stops the work; it is raised
    on the caller's thread by the next call or when the `with` block ends, which always waits
    for the thread, so that every chunk given has been handled when the block is left.
    """

    def __init__(self, work: Callable[[bytes], None], name: str) -> None:
        self._work = work
        self._name = name
        self._first = True
        self._error: Exception | None = None
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _InOrder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None
        if exc_type is None:
            self._raise_error()

    def __call__(self, chunk: bytes) -> None:
        self._raise_error()
        if self._first:
            self._first = False
            self._work(chunk)
            return
        if self._queue is None:
            self._queue = queue.Queue(maxsize=_QUEUED_CHUNKS)
            self._thread = threading.Thread(
                target=self._run, args=(self._queue,), name=self._name, daemon=True
            )
            self._thread.start()
        self._queue.put(chunk)  # bytes are immutable: the thread reads them as we go on

    def _run(self, chunks: queue.Queue[bytes | None]) -> None:
        while (chunk := chunks.get()) is not None:
            if self._error is None:  # after an error, drain so that the caller never blocks
                try:
                    self._work(chunk)
                except Exception as exc:  # raised again on the caller's thread
                    self._error = exc

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error


class _Writer:
    """Writes a copy chunk by chunk, asking the kernel every _WRITEBACK_BYTES to start writing
    what was written to the disk: the disk works during the copy instead of in the fsync."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._written = 0
        self._flushed = 0

    def write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:  # one write may take only part of it
            view = view[os.write(self._fd, view) :]
        self._written += len(chunk)
        if self._written - self._flushed >= _WRITEBACK_BYTES:
            # The store's hint (see there): start the write-back without waiting for it.
            blobstore._start_writeback(self._fd, self._flushed, self._written - self._flushed)
            self._flushed = self._written


def _sign(workspace: Workspace) -> Checkpoint:
    try:
        return sign_checkpoint(workspace)
    except (ValueError, custody_services.CustodyDamaged) as exc:  # entries are missing
        raise CustodyDamaged(
            f"the custody log of {workspace.slug} is damaged ({exc}): "
            "run `testimonia verify` for details"
        ) from exc


def _custody_records(
    workspace: Workspace, checkpoint: Checkpoint, copied: Sequence[_Copied]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The items' custody events with inclusion proofs, and the earlier checkpoints with
    consistency proofs, all against `checkpoint`."""
    size = checkpoint.tree_size
    tree = tree_of(workspace, size)
    if tree.size < size or tree.root(size).hex() != checkpoint.root_hash:
        raise CustodyDamaged(
            f"the custody log of {workspace.slug} does not match the checkpoint just signed: "
            "run `testimonia verify` for details"
        )
    events = [
        {
            "seq": seq,
            "leaf_hash": leaf,
            "inclusion_proof": [h.hex() for h in tree.inclusion_proof(seq, size)],
            "payload": payload,
        }
        for seq, payload, leaf in _events_about(workspace, size, copied)
    ]
    earlier = []
    for cp in (
        Checkpoint.objects.filter(workspace=workspace)
        .exclude(pk=checkpoint.pk)
        .order_by("tree_size", "signed_at", "pk")
    ):
        if cp.tree_size > size or tree.root(cp.tree_size).hex() != cp.root_hash:
            raise CustodyDamaged(
                f"the custody log of {workspace.slug} no longer has the root it signed at "
                f"size {cp.tree_size}: run `testimonia verify` for details"
            )
        earlier.append(
            {
                **_checkpoint_json(cp),
                "consistency_proof": [h.hex() for h in tree.consistency_proof(cp.tree_size, size)],
            }
        )
    return events, earlier


def _events_about(
    workspace: Workspace, size: int, copied: Sequence[_Copied]
) -> list[tuple[int, str, str]]:
    """(seq, payload, leaf hash) of every event whose subject is an exported item or whose
    object is one of their digests, in log order; each entry's hash re-checked."""
    subjects = {f"item:{c.item.pk}" for c in copied}
    digests = {c.item.blob.sha256 for c in copied}
    base = LogEntry.objects.filter(workspace=workspace, seq__lt=size)
    rows: dict[int, tuple[str, str, str]] = {}
    for batch in _batches(sorted(subjects)):
        # Canonical JSON has no spaces: this finds the subject without parsing every entry.
        query = Q()
        for subject in batch:
            query |= Q(payload__contains=f'"subject":"{subject}"')
        for seq, payload, leaf, digest in base.filter(query).values_list(
            "seq", "payload", "leaf_hash", "object_digest"
        ):
            rows[seq] = (payload, leaf, digest)
    for batch in _batches(sorted(digests)):
        for seq, payload, leaf, digest in base.filter(object_digest__in=batch).values_list(
            "seq", "payload", "leaf_hash", "object_digest"
        ):
            rows[seq] = (payload, leaf, digest)
    selected = []
    for seq in sorted(rows):
        payload, leaf, digest = rows[seq]
        if leaf_hash(payload.encode("utf-8")).hex() != leaf:
            raise CustodyDamaged(
                f"custody event {seq} of {workspace.slug} does not match its recorded hash "
                "(edited): run `testimonia verify` for details"
            )
        if digest in digests or _subject(payload) in subjects:
            selected.append((seq, payload, leaf))
    return selected


def _subject(payload: str) -> str:
    try:
        event = json.loads(payload)
    except ValueError:
        return ""
    return str(event.get("subject", "")) if isinstance(event, dict) else ""


def _checkpoint_json(cp: Checkpoint) -> dict[str, Any]:
    token = bytes(cp.tsa_response or b"")
    return {
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash,
        "signed_at": _iso(cp.signed_at),
        "note": cp.note,
        "key_id": cp.key_id,
        "signature": cp.signature,
        # The RFC 3161 timestamp of the note (DER TimeStampResp, base64), if a TSA gave one.
        "timestamp": {
            "tsa_response": base64.b64encode(token).decode("ascii"),
            "timestamped_at": _iso(cp.timestamped_at) if cp.timestamped_at else None,
        }
        if token
        else None,
    }


def _bag_info(
    workspace: Workspace,
    actor: User | None,
    export_id: str,
    checkpoint: Checkpoint,
    copied: Sequence[_Copied],
    organization: str,
) -> list[tuple[str, str]]:
    total = sum(c.size for c in copied)
    return [
        ("Source-Organization", organization),
        ("Bagging-Date", timezone.now().date().isoformat()),
        ("Bag-Software-Agent", f"Testimonia {_version()}"),
        ("Bag-Count", "1 of 1"),
        ("Bag-Size", _human_size(total)),
        ("Payload-Oxum", f"{total}.{len(copied)}"),
        ("External-Identifier", workspace.slug),
        (
            "External-Description",
            f"{len(copied)} evidence item(s) of workspace {workspace.slug} with their "
            "chain-of-custody records and proofs; check with verify_bundle.py",
        ),
        ("Testimonia-Export-Id", export_id),
        ("Testimonia-Exported-By", actor_label(actor)),
        ("Testimonia-Checkpoint", f"{checkpoint.tree_size} {checkpoint.root_hash}"),
        ("Testimonia-Key-Id", checkpoint.key_id),
    ]


def _write_tag_files(
    staging: Path,
    *,
    workspace: Workspace,
    export_id: str,
    copied: Sequence[_Copied],
    checkpoint: Checkpoint,
    events: Sequence[dict[str, Any]],
    earlier: Sequence[dict[str, Any]],
    info: Sequence[tuple[str, str]],
    extra: Mapping[str, bytes] | None = None,
) -> None:
    rows = [_item_row(c) for c in copied]
    key = keys.load_or_create_signing_key(settings.TESTIMONIA_HOME).public_key()
    files: dict[str, str] = {
        f"{TAG_DIR}/README.txt": _README,
        f"{TAG_DIR}/items.json": _json(
            {"format": FORMAT, "workspace": workspace.slug, "export_id": export_id, "items": rows}
        ),
        f"{TAG_DIR}/items.csv": _csv(rows),
        f"{CUSTODY_DIR}/events.jsonl": "".join(
            json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n" for event in events
        ),
        f"{CUSTODY_DIR}/checkpoint.json": _json(_checkpoint_json(checkpoint)),
        f"{CUSTODY_DIR}/consistency.json": _json(
            {
                "checkpoint": {
                    "tree_size": checkpoint.tree_size,
                    "root_hash": checkpoint.root_hash,
                },
                "earlier_checkpoints": list(earlier),
            }
        ),
        f"{CUSTODY_DIR}/public-key.pem": keys.public_pem(key),
    }
    for algorithm in ALGORITHMS:
        files[f"manifest-{algorithm}.txt"] = "".join(
            f"{getattr(c, algorithm)}  {c.bag_path}\n" for c in sorted(copied, key=_bag_path)
        )
    files["bag-info.txt"] = "".join(f"{label}: {' '.join(text.split())}\n" for label, text in info)
    files["bagit.txt"] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    # The signed text and its RFC 3161 timestamp as files, for `openssl ts -verify -data`.
    files[f"{CUSTODY_DIR}/checkpoint-note.txt"] = checkpoint.note
    contents = {name: text.encode("utf-8") for name, text in files.items()}
    for name, data in (extra or {}).items():
        if name in contents:
            raise ValueError(f"an extra tag file would replace the bag's own {name}")
        contents[name] = data
    token = bytes(checkpoint.tsa_response or b"")
    if token:
        contents[f"{CUSTODY_DIR}/checkpoint.tsr"] = token
    for name, data in contents.items():
        _write_file(_inside(staging, name), data)
    # The tag manifests list every tag file (all but the payload and themselves).
    digests = {name: _digests(data) for name, data in contents.items()}
    for index, algorithm in enumerate(ALGORITHMS):
        lines = "".join(f"{digests[name][index]}  {name}\n" for name in sorted(digests))
        _write_file(_inside(staging, f"tagmanifest-{algorithm}.txt"), lines.encode("utf-8"))


_OWN_NAMES = re.compile(r"\A(data/|bagit\.txt\Z|bag-info\.txt\Z|(tag)?manifest-)")


def _extra_tag_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The extra tag files of a hook, checked: relative paths outside the payload and apart
    from the bag's declaration, info and manifests."""
    checked: dict[str, bytes] = {}
    for name, data in files.items():
        parts = name.split("/")
        if (
            not name
            or name.startswith("/")
            or any(part in ("", ".", "..") for part in parts)
            or _OWN_NAMES.match(name)
        ):
            raise ValueError(f"not a tag file name an export may add: {name!r}")
        checked[name] = bytes(data)
    return checked


def _item_row(copy: _Copied) -> dict[str, Any]:
    item = copy.item
    return {
        "id": item.pk,
        "filename": item.original_filename,
        "original_path": item.original_path,
        "bag_path": copy.bag_path,
        "sha256": "sha256:" + copy.sha256,
        "sha512": "sha512:" + copy.sha512,
        "size": copy.size,
        "media_type": item.blob.media_type,
        "source": item.source,
        "collected_by": item.collected_by.get_username() if item.collected_by else None,
        "added_by": item.added_by.get_username() if item.added_by else None,
        "added_at": _iso(item.added_at),
        "found_modified_at": _iso(item.found_modified_at) if item.found_modified_at else None,
        "duplicate_of": item.duplicate_of_id,
        "container": item.container_id,
    }


def _csv(rows: Sequence[dict[str, Any]]) -> str:
    """items.json as a table. A cell that a spreadsheet would run as a formula (starting with
    = + - @) gets a leading apostrophe; items.json keeps every value exactly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ITEM_FIELDS)
    for row in rows:
        cells = ["" if row[field] is None else str(row[field]) for field in ITEM_FIELDS]
        writer.writerow("'" + c if _SPREADSHEET_FORMULA.match(c) else c for c in cells)
    return buffer.getvalue()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _bag_path(copy: _Copied) -> str:
    return copy.bag_path


def _digests(data: bytes) -> tuple[str, ...]:
    return tuple(hashlib.new(algorithm, data).hexdigest() for algorithm in ALGORITHMS)


def _inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing any path that would land outside `root`."""
    path = root / relative
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"bag path escapes the bag: {relative!r}")
    return path


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_files(paths: Iterable[Path]) -> None:
    """Make the copied originals durable. Done once all are copied, so that each copy's
    write-back, started while it was written, goes on while the next ones are copied."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Make the bag's directory entries durable before it is renamed into place."""
    for folder, _dirs, _files in os.walk(root, topdown=False):
        fsync_dir(Path(folder))


def _batches(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    value = size / 1000
    for unit in ("KB", "MB", "GB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _version() -> str:
    try:
        return metadata.version("testimonia")
    except metadata.PackageNotFoundError:  # pragma: no cover (running from a bare checkout)
        return "unknown"


_README = """\
This folder is an evidence bag exported by Testimonia: a BagIt 1.0 bag (RFC 8493).

data/items/<item id>/        the evidence files, exactly as they were collected
manifest-sha256.txt,
manifest-sha512.txt          the fingerprint of every evidence file (two algorithms)
bag-info.txt                 who exported what, when, and the export's identifier
testimonia/items.json, .csv  what each item is and how it came in (.csv: spreadsheet copy)
testimonia/custody/          the chain-of-custody events of these items, the signed
                             checkpoint of the custody log they are proven against, the
                             proofs that the log was only ever appended to, and the public
                             key that signed the checkpoints (and, where the organisation
                             uses a time-stamping authority, its RFC 3161 timestamp:
                             checkpoint.tsr over checkpoint-note.txt)
tagmanifest-*.txt            the fingerprint of every file above that is not evidence

To check it, run verify_bundle.py (Python 3 and the `cryptography` package):

    python3 verify_bundle.py THIS-FOLDER

and compare the key fingerprint it prints with the one the organisation published.
"""
