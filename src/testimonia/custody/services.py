"""Custody actions: append an event, sign a checkpoint, verify a workspace's log.

The log knows digests, actors and subjects as plain values ("item:12"), never vault or case
models (DESIGN.md: custody sits below evidence).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from testimonia.accounts.models import User, Workspace
from testimonia.custody import keys, timestamping
from testimonia.custody.merkle import MerkleTree, leaf_hash
from testimonia.custody.models import Checkpoint, LogEntry, LogHead

logger = logging.getLogger("testimonia.custody")

PAYLOAD_VERSION = 1
NOTE_ORIGIN = "testimonia.custody/"


class CustodyDamaged(Exception):
    """The log is not as recorded; nothing more is signed over it until it is looked at."""


class Action:
    INGEST = "ingest"
    EXTRACT_METADATA = "extract_metadata"
    VIEW = "view"
    DOWNLOAD = "download"
    DERIVE = "derive"
    EXPORT = "export"
    TRANSFER = "transfer"
    DELETION_REQUEST = "deletion_request"
    DELETION_REFUSED = "deletion_refused"
    DELETE = "delete"
    LEGAL_HOLD = "legal_hold"
    LEGAL_HOLD_RELEASE = "legal_hold_release"
    VERIFY = "verify"


ACTION_LABELS = {
    Action.INGEST: _("ingest"),
    Action.EXTRACT_METADATA: _("metadata extraction"),
    Action.VIEW: _("view"),
    Action.DOWNLOAD: _("download"),
    Action.DERIVE: _("derivative made"),
    Action.EXPORT: _("export"),
    Action.TRANSFER: _("transfer"),
    Action.DELETION_REQUEST: _("deletion request"),
    Action.DELETION_REFUSED: _("deletion refused"),
    Action.DELETE: _("deletion"),
    Action.LEGAL_HOLD: _("legal hold placed"),
    Action.LEGAL_HOLD_RELEASE: _("legal hold released"),
    Action.VERIFY: _("verification"),
}


_OTHER_LABELS: dict[str, Any] = {}


def register_action_label(action: str, label: Any) -> None:
    """A label for an action recorded by an app above custody (which knows no such app): the
    cases app's identity reveals and consent decisions. `label` is a lazy translation."""
    _OTHER_LABELS[action] = label


def action_label(action: str) -> str:
    """The action in the reader's language; unknown actions are shown as recorded."""
    return str(ACTION_LABELS.get(action) or _OTHER_LABELS.get(action, action))


def canonical_json(value: Mapping[str, Any]) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 as is: the same event, the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def actor_label(actor: User | None) -> str:
    return f"{actor.get_username()}#{actor.pk}" if actor is not None else "system"


def append_event(
    workspace: Workspace,
    *,
    actor: User | None,
    action: str,
    object_digest: str = "",
    subject: str = "",
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> LogEntry:
    """Append one event to the workspace's log, in the caller's transaction if any."""
    with transaction.atomic():
        # Race: two appends to one log. The row lock gives them distinct, gap-free sequence
        # numbers in commit order; the unique (workspace, seq) constraint backs it up. (A log's
        # first two appends race to create the head: the unique workspace key lets one create
        # it, and the other gets it, locked, after the first commits.)
        head, _ = LogHead.objects.select_for_update().get_or_create(workspace=workspace)
        now = timezone.now()
        payload = canonical_json(
            {
                "v": PAYLOAD_VERSION,
                "log": workspace.slug,
                "seq": head.size,
                "prev": head.last_leaf_hash,
                "time": now.isoformat().replace("+00:00", "Z"),
                "actor": actor_label(actor),
                "action": action,
                "object": object_digest,
                "subject": subject,
                "reason": reason,
                "details": dict(details or {}),
            }
        )
        digest = leaf_hash(payload.encode("utf-8")).hex()
        entry = LogEntry.objects.create(
            workspace=workspace,
            seq=head.size,
            action=action,
            object_digest=object_digest,
            payload=payload,
            leaf_hash=digest,
            recorded_at=now,
        )
        head.size += 1
        head.last_leaf_hash = digest
        head.save(update_fields=["size", "last_leaf_hash"])
    return entry


def events_about(workspace: Workspace, object_digest: str) -> list[LogEntry]:
    """Every event of the workspace's log that concerns these bytes, oldest first."""
    return list(
        LogEntry.objects.filter(workspace=workspace, object_digest=object_digest).order_by("seq")
    )


# Each process keeps each log's Merkle tree and grows it as the log grows, so that signing a
# checkpoint or making a proof reads only the new entries and costs O(log n) hashes instead of
# re-reading the whole log. Logs are append-only; a cached tree whose last leaf no longer
# matches the database (a rolled-back transaction, a damaged log) is rebuilt from the rows.
# `verify_log` never uses it: verification always starts from the rows.
_trees: dict[int, MerkleTree] = {}
_trees_lock = threading.Lock()


def tree_of(workspace: Workspace, size: int | None = None) -> MerkleTree:
    """The log's tree holding at least its first `size` entries (all when None), or fewer when
    the log has fewer or a gap. It may hold more: pass sizes explicitly to its root and proofs."""
    with _trees_lock:
        tree = _trees.get(workspace.pk)
        if tree is not None and tree.size:
            last = (
                LogEntry.objects.filter(workspace=workspace, seq=tree.size - 1)
                .values_list("leaf_hash", flat=True)
                .first()
            )
            if last is None or bytes.fromhex(last) != tree.leaf(tree.size - 1):
                tree = None
        if tree is None:
            tree = MerkleTree()
        if size is None or tree.size < size:
            entries = LogEntry.objects.filter(workspace=workspace, seq__gte=tree.size)
            if size is not None:
                entries = entries.filter(seq__lt=size)
            rows = entries.order_by("seq").values_list("seq", "leaf_hash")
            for seq, leaf in rows.iterator(chunk_size=10_000):
                if seq != tree.size:
                    break  # a gap: the caller sees a tree shorter than it asked for
                tree.append(bytes.fromhex(leaf))
        _trees[workspace.pk] = tree
        return tree


def forget_trees() -> None:
    """Drop the cached trees (tests; a process that restored its database)."""
    with _trees_lock:
        _trees.clear()


def tsa_roots() -> list[Any] | None:
    path = settings.TESTIMONIA_TSA_ROOTS
    return timestamping.load_roots(Path(path)) if path else None


def checkpoint_note(workspace_slug: str, size: int, root: bytes, when: datetime) -> str:
    """The signed text, after the C2SP checkpoint format: origin, size, base64 root, time."""
    return (
        f"{NOTE_ORIGIN}{workspace_slug}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"
        f"{when.isoformat().replace('+00:00', 'Z')}\n"
    )


def sign_checkpoint(workspace: Workspace) -> Checkpoint:
    """Sign the log's current size and root with the installation key, then have it
    timestamped by the configured TSA (RFC 3161), outside the transaction."""
    checkpoint = _sign(workspace)
    url = settings.TESTIMONIA_TSA_URL
    if url:
        try:
            stamp = timestamping.request_timestamp(checkpoint.note.encode("utf-8"), url)
        except timestamping.TimestampError as exc:
            # The checkpoint stands on its own signature; the missing timestamp is visible
            # (timestamped_at stays empty) and the next checkpoint tries again.
            logger.warning(
                "checkpoint %s of %s not timestamped: %s", checkpoint.pk, workspace.slug, exc
            )
        else:
            checkpoint.tsa_response = stamp.response
            checkpoint.timestamped_at = stamp.gen_time
            checkpoint.save(update_fields=["tsa_response", "timestamped_at"])
    return checkpoint


def _sign(workspace: Workspace) -> Checkpoint:
    with transaction.atomic():
        head, _ = LogHead.objects.get_or_create(workspace=workspace)
        head = LogHead.objects.select_for_update().get(pk=head.pk)
        tree = tree_of(workspace, head.size)
        if tree.size < head.size:
            raise CustodyDamaged(
                f"the custody log of {workspace.slug} has {tree.size} entries where "
                f"{head.size} were recorded: run `testimonia verify` before signing"
            )
        root = tree.root(head.size)
        key = keys.load_or_create_signing_key(settings.TESTIMONIA_HOME)
        when = timezone.now()
        note = checkpoint_note(workspace.slug, head.size, root, when)
        return Checkpoint.objects.create(
            workspace=workspace,
            tree_size=head.size,
            root_hash=root.hex(),
            signed_at=when,
            note=note,
            key_id=keys.key_id(key.public_key()),
            signature=keys.sign(key, note.encode("utf-8")),
        )


@dataclass(frozen=True)
class LogProblem:
    workspace: str
    where: str  # "entry 12", "checkpoint 3 (size 40)", "log head"
    problem: str

    def __str__(self) -> str:
        return f"custody log {self.workspace}, {self.where}: {self.problem}"


def verify_log(workspace: Workspace) -> tuple[int, list[LogProblem]]:
    """Check every entry, the chain, the tree and every checkpoint; report all problems."""
    problems: list[LogProblem] = []

    def problem(where: str, text: str) -> None:
        problems.append(LogProblem(workspace.slug, where, text))

    rows = list(
        LogEntry.objects.filter(workspace=workspace)
        .order_by("seq", "pk")
        .values_list("pk", "seq", "payload", "leaf_hash")
    )
    leaves: list[bytes] = []
    prev = ""
    for position, (_pk, seq, payload, stored_leaf) in enumerate(rows):
        where = f"entry {seq}"
        if seq != position:
            problem(
                where,
                f"out of sequence: expected entry {position} here "
                "(an entry was deleted, inserted or renumbered)",
            )
        computed = leaf_hash(payload.encode("utf-8")).hex()
        if computed != stored_leaf:
            problem(where, "its content does not match its recorded hash (edited)")
        try:
            event = json.loads(payload)
        except ValueError:
            problem(where, "its content is not valid JSON (edited)")
            event = {}
        if event and event.get("seq") != seq:
            problem(where, f"its content says it is entry {event.get('seq')} (moved)")
        if event and event.get("prev") != prev:
            problem(where, "it does not follow the entry before it (chain broken)")
        if event and event.get("log") != workspace.slug:
            problem(where, "it belongs to another log")
        prev = computed
        leaves.append(bytes.fromhex(computed))

    head = LogHead.objects.filter(workspace=workspace).first()
    if head is not None and head.size != len(rows):
        problem("log head", f"records {head.size} entries but {len(rows)} are present")

    tree = MerkleTree.from_leaf_hashes(leaves)
    public = keys.load_public_key(settings.TESTIMONIA_HOME)
    if public is None and Checkpoint.objects.filter(workspace=workspace).exists():
        problem(
            "signing key",
            "the installation's signing key is missing from TESTIMONIA_HOME "
            "(custody/signing-key.pem): checkpoints cannot be checked; restore it from backup",
        )
    roots = tsa_roots()
    for cp in Checkpoint.objects.filter(workspace=workspace).order_by("signed_at", "pk"):
        where = f"checkpoint of size {cp.tree_size} signed {cp.signed_at:%Y-%m-%d %H:%M:%S}"
        expected_note = checkpoint_note(
            workspace.slug, cp.tree_size, bytes.fromhex(cp.root_hash), cp.signed_at
        )
        if cp.note != expected_note:
            problem(where, "its signed text does not match its fields (edited)")
        if public is not None:
            try:
                public.verify(base64.b64decode(cp.signature), cp.note.encode("utf-8"))
            except (InvalidSignature, ValueError):
                problem(where, "its signature is not valid for this installation's key")
        if cp.tree_size > len(leaves):
            problem(
                where,
                f"covers {cp.tree_size} entries but the log has only {len(leaves)} "
                "(entries were removed)",
            )
        elif tree.root(cp.tree_size).hex() != cp.root_hash:
            problem(where, "the log no longer has the root it signed (history rewritten)")
        if cp.tsa_response:
            _when, stamp_problem = timestamping.check_timestamp(
                bytes(cp.tsa_response), cp.note.encode("utf-8"), roots
            )
            if stamp_problem:
                problem(where, stamp_problem)
    return len(rows), problems
