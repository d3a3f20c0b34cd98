"""CLI commands over the vault and the custody log: ingest, verify, custody."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_FAILURE, EXIT_OK, UsageError, accounts_call, acting_member


def add_parsers(sub: Any) -> None:
    ingest = sub.add_parser(
        "ingest",
        help="store files, folders and .zip/.tar archives in a workspace's vault",
        description="Store each file once, content-addressed (SHA-256), read-only, with a custody "
        "event; folders are read recursively (links inside them are not followed); .zip, .tar "
        "and .tar.gz archives are stored and then each member too, recording the archive it "
        "came from. A bad item gets a clear error and the rest of the batch goes on; the exit "
        "code is 1 if any item failed. Metadata (EXIF, video and audio via ffprobe, PDF and "
        "Office properties) is extracted after the batch by a background job, into a separate "
        "record: with --json, an item's metadata key holds the normalised summary only if "
        "these bytes were read before (else null); the API shows it once extracted "
        "(docs/metadata.md).",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", type=Path)
    ingest.add_argument("--workspace", required=True, help="workspace identifier")
    ingest.add_argument("--source", default="", help="where the material came from")
    ingest.add_argument("--collected-by", metavar="USER", help="username of who collected it")
    ingest.add_argument(
        "--as",
        dest="actor",
        metavar="USER",
        help="username recorded as the one who ingests (default: the system)",
    )
    ingest.add_argument(
        "--json", action="store_true", help="print one JSON object per item (JSON lines)"
    )

    derive = sub.add_parser(
        "derive",
        help="store a file made from an item (a redaction, a transcript, ...) linked to it",
        description="Store FILE as a new item that names the original it was made from, "
        "with the kind of derivative and how it was made; the original is never changed. "
        "The derivation is recorded in the original's chain of custody.",
    )
    derive.add_argument("file", metavar="FILE", type=Path)
    derive.add_argument("--workspace", required=True, help="workspace identifier")
    derive.add_argument("--from", dest="original", required=True, metavar="ID", help="item id")
    derive.add_argument(
        "--kind",
        required=True,
        choices=[
            "redaction",
            "transcript",
            "translation",
            "excerpt",
            "conversion",
            "enhancement",
            "other",
        ],
    )
    derive.add_argument("--method", default="", help="the tool and what was done")
    derive.add_argument(
        "--as",
        dest="actor",
        metavar="USER",
        help="username recorded as the one who adds it (default: the system)",
    )
    derive.add_argument("--json", action="store_true", help="print the result as JSON")

    verify = sub.add_parser(
        "verify",
        help="re-hash every stored object and check the custody logs",
        description="Re-hash every stored object (its SHA-256 and size; with --all-digests also "
        "its SHA-512) and "
        "check every custody log entry, the hash chain, the Merkle tree and every signed "
        "checkpoint. Never stops at the first problem: names every damaged object and log "
        "entry. Exit 0 when all is intact, 1 otherwise.",
    )
    verify.add_argument("--workspace", help="only this workspace (default: all)")
    verify.add_argument(
        "--all-digests",
        action="store_true",
        help="also recompute every SHA-512 (twice the CPU time); by default each object is "
        "checked against its SHA-256, which names it, and its size",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")

    custody = sub.add_parser("custody", help="the chain-of-custody log and its signing key")
    custody_sub = custody.add_subparsers(dest="action", metavar="ACTION", required=True)
    custody_sub.add_parser(
        "public-key", help="print the installation's public key (PEM) that signs checkpoints"
    )
    checkpoint = custody_sub.add_parser(
        "checkpoint", help="sign a checkpoint of a workspace's log now and print it"
    )
    checkpoint.add_argument("--workspace", required=True)
    proof = custody_sub.add_parser(
        "proof",
        help="print an inclusion proof for an event, or a consistency proof between two sizes",
        description="With --event SEQ: the RFC 9162 inclusion proof of that event against the "
        "latest signed checkpoint that covers it. With --from M --to N: the consistency proof "
        "that the log of size N extends the log of size M (both sizes of signed checkpoints). "
        "Prints JSON.",
    )
    transfer = custody_sub.add_parser(
        "transfer",
        help="record the handover of an exported bag to another party",
        description="Record that the bag of an earlier export (its export id, printed by "
        "`testimonia export bag`) was handed over: one transfer event per item of the export, "
        "naming the recipient and the means, then a signed checkpoint.",
    )
    transfer.add_argument("--workspace", required=True)
    transfer.add_argument("--export", required=True, metavar="ID", help="the export id")
    transfer.add_argument(
        "--to", dest="recipient", required=True, help="who received it (an institution)"
    )
    transfer.add_argument("--means", default="", help="how, e.g. encrypted drive in person")
    transfer.add_argument("--reason", default="", help="why (e.g. the request it answers)")
    transfer.add_argument(
        "--as",
        dest="actor",
        metavar="USER",
        help="username recorded as the one who hands it over (default: the system)",
    )
    proof.add_argument("--workspace", required=True)
    proof.add_argument("--event", type=int, metavar="SEQ", help="sequence number of the event")
    proof.add_argument("--from", dest="old_size", type=int, metavar="M")
    proof.add_argument("--to", dest="new_size", type=int, metavar="N")


def _user(username: str | None) -> Any:
    if not username:
        return None
    from testimonia.accounts.services import get_user

    return accounts_call(get_user, username)


def cmd_ingest(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.evidence.ingest import ingest_paths

    workspace = accounts_call(get_workspace, args.workspace)
    collected_by = _user(args.collected_by)
    actor = acting_member(args.actor, workspace, Capability.ADD_EVIDENCE)
    failed = stored = duplicates = 0
    bar = tqdm(unit=" items", disable=args.json or not sys.stderr.isatty(), file=sys.stderr)
    for outcome in ingest_paths(
        actor, workspace, args.paths, source=args.source, collected_by=collected_by
    ):
        bar.update(1)
        if outcome.item is None or outcome.errors:
            failed += 1
        else:
            stored += 1
            duplicates += outcome.duplicate_of is not None
        if args.json:
            print(json.dumps(outcome.as_json(), ensure_ascii=False), flush=True)
        elif outcome.item is not None:
            dup = f" (duplicate of {outcome.duplicate_of})" if outcome.duplicate_of else ""
            bar.write(f"{outcome.item.pk}\t{outcome.item.blob.sha256}\t{outcome.path}{dup}")
        else:
            bar.write(f"error\t{outcome.path}: {'; '.join(outcome.errors)}", file=sys.stderr)
    bar.close()
    if not args.json:
        print(
            f"{stored} item(s) stored ({duplicates} already held), {failed} failed", file=sys.stderr
        )
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_derive(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.evidence.exceptions import EvidenceError
    from testimonia.evidence.services import add_derivative, items_of

    workspace = accounts_call(get_workspace, args.workspace)
    actor = acting_member(args.actor, workspace, Capability.ADD_EVIDENCE)
    if not args.original.isascii() or not args.original.isdigit():
        raise UsageError(f"item ids are numbers, not {args.original!r}")
    original = items_of(workspace).filter(pk=int(args.original)).first()
    if original is None:
        raise UsageError(f"no item {args.original} in workspace {workspace.slug}")
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"{path}: not a readable file")
    try:
        with path.open("rb") as handle:
            added = add_derivative(
                actor,
                original,
                iter(lambda: handle.read(1 << 20), b""),
                filename=path.name,
                derivation=args.kind,
                method=args.method,
            )
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    except EvidenceError as exc:
        raise UsageError(str(exc)) from None
    item = added.item
    if args.json:
        print(
            json.dumps(
                {
                    "id": item.pk,
                    "derived_from": original.pk,
                    "derivation": item.derivation,
                    "sha256": item.blob.sha256,
                    "size": item.blob.size,
                    "media_type": item.blob.media_type,
                    "duplicate_of": added.duplicate_of.pk if added.duplicate_of else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(f"{item.pk}\t{item.blob.sha256}\t{item.derivation} of item {original.pk}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from testimonia.accounts.models import Workspace
    from testimonia.accounts.services import get_workspace
    from testimonia.custody.services import verify_log
    from testimonia.evidence.services import blob_store
    from testimonia.evidence.verification import (
        Digests,
        orphaned_objects,
        verify_metadata,
        verify_objects,
        verify_records,
    )

    workspace = accounts_call(get_workspace, args.workspace) if args.workspace else None
    bar = tqdm(
        unit="B",
        unit_scale=True,
        disable=args.json or not sys.stderr.isatty(),
        file=sys.stderr,
        desc="re-hashing",
    )

    def advance(n: int) -> None:
        bar.update(n)

    digests = Digests.ALL if args.all_digests else Digests.CONTENT_ADDRESS
    objects, object_problems = verify_objects(workspace, advance, digests=digests)
    bar.close()
    workspaces = [workspace] if workspace else list(Workspace.objects.order_by("slug"))
    entries = 0
    log_problems = []
    for ws in workspaces:
        count, problems = verify_log(ws)
        entries += count
        log_problems.extend(problems)
        log_problems.extend(verify_records(ws))  # type: ignore[arg-type]
        log_problems.extend(verify_metadata(ws))  # type: ignore[arg-type]
    orphans = orphaned_objects(blob_store()) if workspace is None else []
    intact = not object_problems and not log_problems
    if args.json:
        print(
            json.dumps(
                {
                    "intact": intact,
                    "objects_checked": objects,
                    "log_entries_checked": entries,
                    "workspaces": [w.slug for w in workspaces],
                    "damaged_objects": [
                        {"digest": p.digest, "items": list(p.items), "problem": p.problem}
                        for p in object_problems
                    ],
                    "log_problems": [
                        {"workspace": p.workspace, "where": p.where, "problem": p.problem}
                        for p in log_problems
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for problem in [*object_problems, *log_problems]:
            print(f"DAMAGED {problem}")
        if orphans:
            print(
                f"NOTE {len(orphans)} stored object(s) without a record, left by an "
                "interrupted ingest: re-run that ingest to record them"
            )
        verdict = (
            "all intact"
            if intact
            else (f"{len(object_problems)} damaged object(s), {len(log_problems)} log problem(s)")
        )
        print(
            f"checked {objects} stored object(s) and {entries} custody event(s) in "
            f"{len(workspaces)} workspace(s): {verdict}"
        )
    return EXIT_OK if intact else EXIT_FAILURE


def cmd_custody(args: argparse.Namespace) -> int:
    from django.conf import settings

    from testimonia.accounts.services import get_workspace
    from testimonia.custody import keys
    from testimonia.custody.services import CustodyDamaged, sign_checkpoint

    if args.action == "public-key":
        key = keys.load_or_create_signing_key(settings.TESTIMONIA_HOME)
        print(keys.public_pem(key.public_key()), end="")
        return EXIT_OK
    if args.action == "checkpoint":
        workspace = accounts_call(get_workspace, args.workspace)
        try:
            checkpoint = sign_checkpoint(workspace)
        except CustodyDamaged as exc:
            print(f"testimonia: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        print(checkpoint.note, end="")
        print(f"— {checkpoint.key_id} {checkpoint.signature}")
        return EXIT_OK
    if args.action == "transfer":
        from testimonia.evidence.exceptions import EvidenceError
        from testimonia.evidence.transfer import record_transfer

        workspace = accounts_call(get_workspace, args.workspace)
        actor = acting_member(args.actor, workspace, Capability.EXPORT_EVIDENCE)
        try:
            done = record_transfer(
                actor,
                workspace,
                args.export,
                recipient=args.recipient,
                means=args.means,
                reason=args.reason,
            )
        except EvidenceError as exc:
            raise UsageError(str(exc)) from None
        except CustodyDamaged as exc:
            print(f"testimonia: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        print(
            f"transfer of export {done.export_id} ({len(done.items)} item(s)) to "
            f"{args.recipient} recorded as events {done.events[0]}-{done.events[-1]}; "
            f"checkpoint {done.checkpoint.tree_size} signed"
        )
        return EXIT_OK
    if args.action == "proof":
        from testimonia.custody.proofs import ProofError, consistency, inclusion

        workspace = accounts_call(get_workspace, args.workspace)
        try:
            if args.event is not None and args.old_size is None and args.new_size is None:
                result = inclusion(workspace, args.event)
            elif args.event is None and args.old_size is not None and args.new_size is not None:
                result = consistency(workspace, args.old_size, args.new_size)
            else:
                raise UsageError("give either --event SEQ, or both --from M and --to N")
        except ProofError as exc:
            raise UsageError(str(exc)) from None
        print(json.dumps(result, indent=2))
        return EXIT_OK
    raise UsageError(f"unknown custody action {args.action!r}")  # pragma: no cover
