"""CLI commands for dossiers and disclosures: `testimonia case ...` (docs/cases.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_FAILURE, EXIT_OK, UsageError, accounts_call, acting_member


def add_parsers(sub: Any) -> None:
    case = sub.add_parser(
        "case",
        help="dossiers for justice mechanisms and their disclosure packages",
        description="Build a case (dossier) from the workspace's evidence and send it to a "
        "mechanism of the registry (icc, un-coi, national, national-de, domestic-court, "
        "publication, ...) as a disclosure package that the witnesses' consent allows. See "
        "docs/cases.md.",
    )
    c_sub = case.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = c_sub.add_parser(
        "create", help="open a case and print its id", description="Open a case (status open)."
    )
    create.add_argument("name", metavar="NAME", help="the case's title, in any script")
    create.add_argument("--workspace", required=True, help="workspace identifier")
    create.add_argument("--mechanism", metavar="SLUG", help="the mechanism it is prepared for")
    create.add_argument("--situation", default="", help="the situation it belongs to")
    create.add_argument("--summary", default="", help="a summary of the case")
    create.add_argument(
        "--language", default="en", help="the memorandum's language: ar, en, fr, he, ..."
    )
    _as(create, "who opens it (leads its team)")
    create.add_argument("--json", action="store_true", help="print the result as JSON")

    add = c_sub.add_parser(
        "add",
        help="add evidence items to a case",
        description="Add evidence items of the workspace to the case, with a note on what "
        "they show. An item already in the case stays once.",
    )
    add.add_argument("case", metavar="CASE", help="the case's id")
    add.add_argument("items", metavar="ITEM_ID", nargs="+", help="the ids of the items")
    add.add_argument("--workspace", required=True, help="workspace identifier")
    add.add_argument("--note", default="", help="what the items show")
    _as(add, "who adds them")
    add.add_argument("--json", action="store_true", help="print the result as JSON")

    export = c_sub.add_parser(
        "export",
        help="write the disclosure package of a case for a mechanism",
        description="Write the case's evidence for the mechanism as a BagIt bag at OUT, with "
        "an index in the mechanism's metadata fields (CSV and JSON), a PDF memorandum in the "
        "case's language (summary, charges, suspects, the case matrix with its gaps) and the "
        "custody proofs, and record it in the disclosure log. Every item must be covered by "
        "its witness's consent to share with the mechanism; where the witness may not be "
        "identified to it, the item's redacted copy goes instead. Items the consent does not "
        "cover make it fail (exit code 1), naming each with the reason, and nothing is "
        "written. Check the bag with tools/verify_bundle.py.",
        epilog="OUT must not exist, or be an empty folder.",
    )
    export.add_argument("case", metavar="CASE", help="the case's id")
    export.add_argument("out", metavar="OUT", type=Path, help="the folder to create")
    export.add_argument("--workspace", required=True, help="workspace identifier")
    export.add_argument("--mechanism", required=True, metavar="SLUG", help="the mechanism")
    export.add_argument("--recipient", default="", help="who receives it (an office, a person)")
    export.add_argument(
        "--language", help="the memorandum's language (default: the case's language)"
    )
    _as(export, "who discloses it")
    export.add_argument("--json", action="store_true", help="print the result as JSON")

    listing = c_sub.add_parser("list", help="list the cases of a workspace")
    listing.add_argument("--workspace", required=True, help="workspace identifier")
    listing.add_argument("--json", action="store_true", help="print the result as JSON")

    log = c_sub.add_parser(
        "disclosures",
        help="list the disclosure log of a workspace",
        description="What went to whom, when, and by whom: one line per disclosure, with the "
        "digest of its bag's tag manifest and the receipt where recorded.",
    )
    log.add_argument("--workspace", required=True, help="workspace identifier")
    log.add_argument("--case", metavar="CASE", help="only the disclosures of this case")
    log.add_argument("--json", action="store_true", help="print the result as JSON")

    receipt = c_sub.add_parser(
        "receipt",
        help="record the recipient's receipt of a disclosure",
        description="Record that the recipient acknowledged a disclosure: the date and their "
        "reference (a later receipt replaces it; the history keeps both).",
    )
    receipt.add_argument("disclosure", metavar="DISCLOSURE_ID", help="the disclosure's id")
    receipt.add_argument("--workspace", required=True, help="workspace identifier")
    receipt.add_argument("--date", required=True, metavar="D", help="date of receipt, YYYY-MM-DD")
    receipt.add_argument("--reference", required=True, metavar="R", help="their reference")
    receipt.add_argument("--note", default="", help="a note")
    _as(receipt, "who records it")
    receipt.add_argument("--json", action="store_true", help="print the result as JSON")


def _as(parser: argparse.ArgumentParser, who: str) -> None:
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="USER",
        help=f"username recorded as {who} (a legal officer or an administrator); "
        "default: the system",
    )


# ---------------------------------------------------------------------------------------------


def dispatch(args: argparse.Namespace) -> int:
    from testimonia.cases.exceptions import CasesError, DisclosureRefused
    from testimonia.cli import check_database
    from testimonia.evidence.exceptions import DigestMismatch
    from testimonia.evidence.export import CustodyDamaged, StoredObjectMissing

    check_database()
    handler = {
        "create": cmd_create,
        "add": cmd_add,
        "export": cmd_export,
        "list": cmd_list,
        "disclosures": cmd_disclosures,
        "receipt": cmd_receipt,
    }[args.action]
    try:
        return handler(args)
    except DisclosureRefused as exc:
        print(
            f"testimonia: refused: {len(exc.refusals)} item(s) of the case may not go to "
            f"{exc.mechanism}; nothing was written:",
            file=sys.stderr,
        )
        for refusal in exc.refusals:
            print(f"  item {refusal.item}: {refusal.reason}", file=sys.stderr)
        return EXIT_FAILURE
    except DigestMismatch as exc:
        return _stopped(f"{exc.item} is damaged (expected {exc.expected}, found {exc.found})")
    except StoredObjectMissing as exc:
        return _stopped(f"{exc.item}: its stored original ({exc.digest}) is missing")
    except CustodyDamaged as exc:
        return _stopped(str(exc))
    except CasesError as exc:
        raise UsageError(str(exc)) from None


def _stopped(reason: str) -> int:
    print(
        f"testimonia: export stopped: {reason}. Nothing was exported. Run `testimonia verify` "
        "for a full report.",
        file=sys.stderr,
    )
    return EXIT_FAILURE


def _workspace(slug: str) -> Any:
    from testimonia.accounts.services import get_workspace

    return accounts_call(get_workspace, slug)


def _number(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise UsageError(f"a {what} is given by its id (a number), not {text!r}")
    return int(text)


def _case(workspace: Any, ref: str) -> Any:
    from testimonia.cases.dossiers import case_of

    return case_of(workspace, _number(ref, "case"))


def _print(args: argparse.Namespace, record: Any, text: str) -> None:
    print(json.dumps(record, ensure_ascii=False, default=str) if args.json else text)


def cmd_create(args: argparse.Namespace) -> int:
    from testimonia.cases.dossiers import create_case

    workspace = _workspace(args.workspace)
    actor = acting_member(args.actor, workspace, Capability.BUILD_CASES)
    case = create_case(
        actor,
        workspace,
        args.name,
        mechanism_slug=args.mechanism,
        situation=args.situation,
        summary=args.summary,
        language=args.language,
    )
    record = {
        "id": case.pk,
        "title": case.title,
        "mechanism": case.mechanism.slug if case.mechanism else None,
        "status": case.status,
    }
    _print(args, record, str(case.pk))
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    from testimonia.cases.dossiers import add_items
    from testimonia.evidence.services import items_of

    workspace = _workspace(args.workspace)
    actor = acting_member(args.actor, workspace, Capability.BUILD_CASES)
    case = _case(workspace, args.case)
    wanted = [_number(ref, "item") for ref in args.items]
    found = {i.pk: i for i in items_of(workspace).filter(pk__in=wanted)}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise UsageError(f"no item {', '.join(missing)} in workspace {workspace.slug}")
    rows = add_items(actor, case, [found[pk] for pk in dict.fromkeys(wanted)], note=args.note)
    record = {"case": case.pk, "items": [r.item_id for r in rows]}
    _print(
        args, record, f"case {case.pk}: {len(rows)} item(s): {' '.join(map(str, record['items']))}"
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from testimonia.cases.disclosure import disclosure_record, export_case

    workspace = _workspace(args.workspace)
    actor = acting_member(args.actor, workspace, Capability.BUILD_CASES)
    case = _case(workspace, args.case)
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
        made = export_case(
            actor,
            case,
            args.mechanism,
            args.out,
            recipient=args.recipient,
            language=args.language,
            progress=advance,
        )
    except OSError as exc:
        raise UsageError(
            f"the package could not be written: {exc.strerror or exc} "
            f"({exc.filename or args.out}); nothing was disclosed"
        ) from None
    finally:
        bar.close()
    record = disclosure_record(made)
    record["bag"] = str(Path(args.out).resolve())
    redacted = sum(1 for i in record["items"] if i["redacted"])
    text = "\n".join(
        [
            f"disclosure {made.pk}: case {case.pk} to {made.mechanism.slug}, "
            f"{len(record['items'])} item(s) ({redacted} redacted) in {record['bag']}",
            f"export id {made.export_id}; tag manifest {made.manifest_digest}",
            f"check it with: python3 tools/verify_bundle.py {record['bag']}",
        ]
    )
    _print(args, record, text)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from testimonia.cases.dossiers import cases_of

    workspace = _workspace(args.workspace)
    rows = [
        {
            "id": c.pk,
            "title": c.title,
            "mechanism": c.mechanism.slug if c.mechanism else None,
            "status": c.status,
            "items": c.case_items.count(),
            "disclosures": c.disclosures.count(),
        }
        for c in cases_of(workspace).order_by("pk")
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(
                f"{row['id']}\t{row['status']}\t{row['mechanism'] or '-'}\t"
                f"{row['items']} item(s)\t{row['disclosures']} disclosure(s)\t{row['title']}"
            )
    return EXIT_OK


def cmd_disclosures(args: argparse.Namespace) -> int:
    from testimonia.cases.disclosure import disclosure_record, disclosures_of

    workspace = _workspace(args.workspace)
    rows = disclosures_of(workspace).order_by("pk")
    if args.case:
        rows = rows.filter(case_id=_number(args.case, "case"))
    records = [disclosure_record(d, with_items=False) for d in rows]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, default=str))
        return EXIT_OK
    for r in records:
        receipt = r["receipt"]
        received = (
            f"received {receipt['received_on']} ({receipt['reference']})"
            if receipt
            else "no receipt"
        )
        print(
            f"{r['id']}\tcase {r['case']}\t{r['mechanism']}\t{r['recipient'] or '-'}\t"
            f"{r['disclosed_at'].isoformat()}\t{r['manifest_digest']}\t{received}"
        )
    return EXIT_OK


def cmd_receipt(args: argparse.Namespace) -> int:
    from testimonia.cases.disclosure import disclosure_of, disclosure_record, disclosures_of
    from testimonia.cases.disclosure import record_receipt as record

    workspace = _workspace(args.workspace)
    actor = acting_member(args.actor, workspace, Capability.BUILD_CASES)
    try:
        received_on = dt.date.fromisoformat(args.date)
    except ValueError:
        raise UsageError(f"--date {args.date!r} is not a date (YYYY-MM-DD)") from None
    found = disclosure_of(disclosures_of(workspace), _number(args.disclosure, "disclosure"))
    record(actor, found, received_on=received_on, reference=args.reference, note=args.note)
    _print(
        args,
        disclosure_record(found, with_items=False),
        f"disclosure {found.pk}: received on {received_on.isoformat()} ({found.receipt_reference})",
    )
    return EXIT_OK
