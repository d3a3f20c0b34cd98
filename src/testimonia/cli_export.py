"""CLI command `testimonia export bag`: evidence items as a BagIt bag with custody proofs.

The documentation formats (`export incidents`, `export workspace`) are in
cli_export_records.py."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from testimonia import cli_export_records
from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_FAILURE, EXIT_OK, UsageError, accounts_call, acting_member

_DIGEST_NAMES = {"sha256": "SHA-256", "sha512": "SHA-512"}


def add_parsers(sub: Any) -> None:
    export = sub.add_parser(
        "export",
        help="export evidence with its chain-of-custody proofs, or the documentation database",
    )
    export_sub = export.add_subparsers(dest="action", metavar="FORMAT", required=True)
    bag = export_sub.add_parser(
        "bag",
        help="write items as a BagIt 1.0 bag (RFC 8493) that a court's expert can verify",
        description="Write the items as a BagIt 1.0 bag (RFC 8493) at OUT: the originals under "
        "data/, SHA-256 and SHA-512 manifests, the items' metadata (JSON and CSV), their "
        "custody events with inclusion proofs against a checkpoint signed for this export, "
        "consistency proofs from every earlier checkpoint, and the public key. Each original "
        "is re-verified as it is copied; a damaged one stops the export (exit code 1) and "
        "nothing is written. The export is recorded in the custody log. Check the bag with "
        "tools/verify_bundle.py (see docs/verify-bundle.md).",
        epilog="OUT must not exist, or be an empty folder. It may come last: "
        "`testimonia export bag --workspace W --items 3 4 OUT`.",
    )
    bag.add_argument("out", metavar="OUT", nargs="?", help="the folder to create")
    bag.add_argument("--workspace", required=True, help="workspace identifier")
    which = bag.add_mutually_exclusive_group(required=True)
    which.add_argument("--items", nargs="+", metavar="ID", help="the ids of the items to export")
    which.add_argument(
        "--case", metavar="C", help="export the evidence linked to the incidents of case C (id)"
    )
    bag.add_argument(
        "--as",
        dest="actor",
        metavar="USER",
        help="username recorded as the one who exports (default: the system)",
    )
    bag.add_argument(
        "--source-organization",
        default="",
        metavar="TEXT",
        help="Source-Organization in bag-info.txt (default: the workspace's name)",
    )
    bag.add_argument("--json", action="store_true", help="print the result as JSON")
    cli_export_records.add_parsers(export_sub)


def cmd_export(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.evidence.exceptions import DigestMismatch
    from testimonia.evidence.export import (
        CustodyDamaged,
        ExportRefused,
        StoredObjectMissing,
        export_bag,
        read_bag_info,
    )

    if args.action == "incidents":
        return cli_export_records.cmd_export_incidents(args)
    if args.action == "workspace":
        return cli_export_records.cmd_export_workspace(args)
    if args.action != "bag":  # pragma: no cover (argparse allows only the formats above)
        raise UsageError(f"unknown export format {args.action!r}")
    out, item_refs = _out_and_items(args)
    workspace = accounts_call(get_workspace, args.workspace)
    actor = acting_member(args.actor, workspace, Capability.EXPORT_EVIDENCE)
    item_ids = _item_ids(item_refs) if args.case is None else _case_item_ids(workspace, args.case)
    bar = tqdm(
        unit="B",
        unit_scale=True,
        disable=args.json or not sys.stderr.isatty(),
        file=sys.stderr,
        desc="copying and re-verifying",
    )

    def advance(n: int) -> None:
        bar.update(n)

    try:
        bag = export_bag(
            actor,
            workspace,
            item_ids,
            out,
            source_organization=args.source_organization,
            progress=advance,
        )
    except ExportRefused as exc:
        raise UsageError(str(exc)) from None
    except DigestMismatch as exc:
        return _stopped(
            f"{exc.item} is damaged: its stored bytes no longer match the "
            f"{_DIGEST_NAMES.get(exc.algorithm, exc.algorithm)} "
            f"recorded when it was collected (recorded {exc.expected}, found {exc.found})",
            workspace.slug,
        )
    except StoredObjectMissing as exc:
        return _stopped(
            f"{exc.item}: its stored original ({exc.digest}) is missing", workspace.slug
        )
    except CustodyDamaged as exc:
        return _stopped(str(exc), workspace.slug)
    except OSError as exc:
        raise UsageError(
            f"the bag could not be written: {exc.strerror or exc} "
            f"({exc.filename or out}); nothing was exported"
        ) from None
    finally:
        bar.close()
    info = read_bag_info(bag)
    size, _, root = info.get("Testimonia-Checkpoint", "").partition(" ")
    if args.json:
        print(
            json.dumps(
                {
                    "bag": str(bag),
                    "export_id": info.get("Testimonia-Export-Id"),
                    "items": sorted(item_ids),
                    "payload_oxum": info.get("Payload-Oxum"),
                    "checkpoint": {"tree_size": int(size), "root_hash": root},
                    "key_id": info.get("Testimonia-Key-Id"),
                },
                ensure_ascii=False,
            )
        )
    else:
        print(f"exported {len(set(item_ids))} item(s) ({info.get('Bag-Size')}) to {bag}")
        print(f"export id {info.get('Testimonia-Export-Id')}")
        print(
            f"custody checkpoint: {size} event(s), root {root}, "
            f"signed with key {info.get('Testimonia-Key-Id')}"
        )
        print(f"check it with: python3 tools/verify_bundle.py {bag}")
    return EXIT_OK


def _out_and_items(args: argparse.Namespace) -> tuple[Path, list[str]]:
    """OUT may follow `--items ID...`, where argparse takes it for one more id."""
    items = list(args.items or [])
    out = args.out
    if out is None and len(items) > 1:
        out = items.pop()
    if out is None:
        raise UsageError("give the folder to write the bag to (OUT)")
    return Path(out), items


def _item_ids(refs: list[str]) -> list[int]:
    bad = [ref for ref in refs if not ref.isascii() or not ref.isdigit()]
    if bad:
        raise UsageError(f"item ids are numbers, not {', '.join(repr(b) for b in bad)}")
    return [int(ref) for ref in refs]


def _case_item_ids(workspace: Any, case_ref: str) -> list[int]:
    """The items linked to the incidents of a case of the workspace. Cases have no evidence
    links of their own yet (the cases issue adds them); until then a case's evidence is the
    evidence of its incidents."""
    from testimonia.cases.models import Case
    from testimonia.evidence.models import Item

    if not case_ref.isascii() or not case_ref.isdigit():
        raise UsageError(f"a case is given by its id (a number), not {case_ref!r}")
    case = Case.objects.filter(pk=int(case_ref), workspace=workspace).first()
    if case is None:
        raise UsageError(f"no case {case_ref} in workspace {workspace.slug}")
    ids = list(
        Item.objects.filter(workspace=workspace, incidents__cases=case)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    if not ids:
        raise UsageError(
            f"case {case.pk} ({case.title}) has no evidence linked to its incidents: "
            "nothing to export"
        )
    return ids


def _stopped(reason: str, workspace_slug: str) -> int:
    print(
        f"testimonia: export stopped: {reason}. Nothing was exported. Run "
        f"`testimonia verify --workspace {workspace_slug}` for a full report.",
        file=sys.stderr,
    )
    return EXIT_FAILURE
