"""CLI formats `testimonia export incidents` and `testimonia export workspace`: the
documentation database as CSV, JSON or GeoJSON, or the whole workspace as one zip archive.
Wired into `testimonia export` by cli_export.py."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_OK, UsageError, accounts_call, acting_member


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"dates are YYYY-MM-DD, not {value!r}") from None


def add_parsers(export_sub: Any) -> None:
    incidents = export_sub.add_parser(
        "incidents",
        help="write the incidents as CSV, JSON or GeoJSON",
        description="Write the workspace's incidents (those matching the filters) as CSV (one "
        "row per incident, UTF-8 with a byte order mark for Excel, formula-like cells "
        "neutralised), JSON (complete nested records: acts, victims, alleged perpetrators, "
        "links, citations) or GeoJSON (the incidents that can be placed on a map). See "
        "docs/export.md. Not a custody event: documentation records are not evidence.",
        epilog="Several values of a filter: repeat it (--status draft --status verified).",
    )
    incidents.add_argument(
        "out",
        metavar="OUT",
        nargs="?",
        default="-",
        help="the file to create (it must not exist); '-' or nothing: standard output",
    )
    incidents.add_argument("--workspace", required=True, help="workspace identifier")
    incidents.add_argument(
        "--format", required=True, choices=("csv", "json", "geojson"), help="the file format"
    )
    incidents.add_argument(
        "--status", action="append", metavar="STATUS", help="draft, verified or published"
    )
    incidents.add_argument(
        "--act-type",
        action="append",
        metavar="CODE",
        help="a type of act (its code; the types below it are included)",
    )
    incidents.add_argument("--tag", action="append", metavar="NAME", help="a tag")
    incidents.add_argument(
        "--place", default="", metavar="PCODE", help="a P-code: the area and the places in it"
    )
    incidents.add_argument(
        "--from", dest="date_from", type=iso_date, metavar="DATE", help="from this date"
    )
    incidents.add_argument(
        "--to", dest="date_to", type=iso_date, metavar="DATE", help="up to this date"
    )
    incidents.add_argument(
        "--as", dest="actor", metavar="USER", help="who exports (must be allowed to read records)"
    )

    workspace = export_sub.add_parser(
        "workspace",
        help="write the whole documentation database of a workspace as one zip archive",
        description="Write OUT.zip with documentation.json (every incident, act, person, "
        "organisation, victim, perpetrator, source, citation, link, tag and import mapping), "
        "incidents.csv, incidents.geojson and manifest.json (counts, time, version, the "
        "SHA-256 of each file). Evidence originals are not included: use `testimonia export "
        "bag`. Persons marked confidential are left out unless --include-confidential. The "
        "archive appears only once complete; an existing file is never replaced.",
    )
    workspace.add_argument("out", metavar="OUT", help="the .zip file to create")
    workspace.add_argument("--workspace", required=True, help="workspace identifier")
    workspace.add_argument(
        "--include-confidential",
        action="store_true",
        help="also export the persons marked confidential",
    )
    workspace.add_argument(
        "--as", dest="actor", metavar="USER", help="who exports (must be allowed to read records)"
    )
    workspace.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_export_incidents(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.incidents.exporting import INCIDENT_FORMATS, ExportRefused, write_text_file
    from testimonia.incidents.facets import filtered_incidents, incident_filter
    from testimonia.incidents.services import DocumentationError

    workspace = accounts_call(get_workspace, args.workspace)
    # Reading records is enough: documentation records are not evidence, so nothing is
    # recorded in the custody log (evidence leaves only through `export bag`).
    acting_member(args.actor, workspace, Capability.VIEW_RECORDS)
    try:
        facets = incident_filter(
            date_from=args.date_from,
            date_to=args.date_to,
            place=args.place,
            act_types=args.act_type,
            status=args.status,
            tags=args.tag,
        )
    except DocumentationError as exc:
        raise UsageError(str(exc)) from None
    incidents = filtered_incidents(workspace, facets)
    pieces = INCIDENT_FORMATS[args.format](workspace, incidents)
    if args.out in (None, "-"):
        sys.stdout.flush()
        for piece in pieces:
            sys.stdout.buffer.write(piece.encode("utf-8"))
        sys.stdout.buffer.flush()
        return EXIT_OK
    out = Path(args.out)
    try:
        write_text_file(out, pieces)
    except ExportRefused as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{out} could not be written: {exc.strerror or exc}") from None
    print(f"exported {incidents.count()} incident(s) as {args.format} to {out}")
    return EXIT_OK


def cmd_export_workspace(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.incidents.exporting import ExportRefused, export_workspace

    workspace = accounts_call(get_workspace, args.workspace)
    # As above: not a custody event, and no evidence original leaves in this archive.
    acting_member(args.actor, workspace, Capability.VIEW_RECORDS)
    out = Path(args.out)
    try:
        result = export_workspace(workspace, out, include_confidential=args.include_confidential)
    except ExportRefused as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(
            f"{out} could not be written: {exc.strerror or exc}; nothing was exported"
        ) from None
    if args.json:
        print(
            json.dumps(
                {
                    "archive": str(result.path),
                    "counts": result.counts,
                    "files": result.files,
                    "include_confidential": result.include_confidential,
                    "confidential_persons_withheld": result.persons_withheld,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(
            f"exported workspace {workspace.slug} to {result.path}: "
            f"{result.counts.get('incidents', 0)} incident(s), "
            f"{result.counts.get('persons', 0)} person(s)"
        )
        if result.persons_withheld:
            print(
                f"{result.persons_withheld} confidential person(s) left out "
                "(--include-confidential exports them)"
            )
    return EXIT_OK
