"""Inclusion and consistency proofs as documents a reviewer can check on their own: every value
they need (leaf, proof, signed root, signature, key id) in one JSON-ready mapping."""

from __future__ import annotations

from typing import Any

from testimonia.accounts.models import Workspace
from testimonia.custody.models import Checkpoint, LogEntry
from testimonia.custody.services import tree_of


class ProofError(Exception):
    """A proof that cannot be made for the request; the message says why."""


def _checkpoint_json(cp: Checkpoint) -> dict[str, Any]:
    return {
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash,
        "note": cp.note,
        "key_id": cp.key_id,
        "signature": cp.signature,
    }


def inclusion(workspace: Workspace, seq: int) -> dict[str, Any]:
    """Proof that event `seq` is in the log, against the latest checkpoint that covers it."""
    entry = LogEntry.objects.filter(workspace=workspace, seq=seq).first()
    if entry is None:
        raise ProofError(f"the custody log of {workspace.slug} has no event {seq}")
    checkpoint = (
        Checkpoint.objects.filter(workspace=workspace, tree_size__gt=seq)
        .order_by("-tree_size", "-signed_at")
        .first()
    )
    if checkpoint is None:
        raise ProofError(
            f"no signed checkpoint covers event {seq} yet: sign one with "
            f"`testimonia custody checkpoint --workspace {workspace.slug}`"
        )
    tree = tree_of(workspace, checkpoint.tree_size)
    return {
        "type": "inclusion (RFC 9162 2.1.3)",
        "log": workspace.slug,
        "index": seq,
        "payload": entry.payload,
        "leaf_hash": entry.leaf_hash,
        "proof": [node.hex() for node in tree.inclusion_proof(seq, checkpoint.tree_size)],
        "checkpoint": _checkpoint_json(checkpoint),
    }


def consistency(workspace: Workspace, old_size: int, new_size: int) -> dict[str, Any]:
    """Proof that the log at `new_size` extends the one at `old_size` (signed checkpoints)."""
    if not 0 <= old_size <= new_size:
        raise ProofError("--from must be at least 0 and not larger than --to")
    checkpoints = Checkpoint.objects.filter(workspace=workspace).order_by("-signed_at")
    old_cp = checkpoints.filter(tree_size=old_size).first()
    new_cp = checkpoints.filter(tree_size=new_size).first()
    if old_cp is None or new_cp is None:
        raise ProofError(
            f"both sizes must be sizes of signed checkpoints of {workspace.slug}; "
            "list them in the web UI or sign one with `testimonia custody checkpoint`"
        )
    tree = tree_of(workspace, new_size)
    return {
        "type": "consistency (RFC 9162 2.1.4)",
        "log": workspace.slug,
        "old": _checkpoint_json(old_cp),
        "new": _checkpoint_json(new_cp),
        "proof": [node.hex() for node in tree.consistency_proof(old_size, new_size)],
    }
