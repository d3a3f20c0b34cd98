"""CLI command `testimonia import incidents`: incidents from a CSV or XLSX file (spreadsheets,
KoBoToolbox/ODK exports), with a dry run that reports every row's problems first."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_FAILURE, EXIT_OK, UsageError, accounts_call, acting_member


def add_parsers(sub: Any) -> None:
    command = sub.add_parser("import", help="import records from CSV or XLSX files")
    what = command.add_subparsers(dest="action", metavar="WHAT", required=True)
    incidents = what.add_parser(
        "incidents",
        help="import incidents from a CSV or XLSX file (KoBoToolbox/ODK exports too)",
        description="Import incidents from a CSV (UTF-8 or UTF-16; comma, semicolon or tab) or "
        "XLSX file, one incident a row. Columns named after the fields (title, description, "
        "start_date, end_date, place, latitude, longitude, act_type, ...) and KoBoToolbox/ODK "
        "exports of a form whose questions bear those names need no mapping; other columns "
        "are mapped with --map or a saved --mapping. A file with any row in error writes "
        "nothing (unless --skip-invalid); rows already imported are skipped. See "
        "docs/import.md.",
        epilog="Exit codes: 0 every row imported (or importable, with --dry-run); 1 some rows "
        "had errors; 2 the file, the mapping or an option is wrong. Problems are listed as "
        "'row N: message', N being the row in the spreadsheet (the header counted).",
    )
    incidents.add_argument("file", metavar="FILE", help="the .csv or .xlsx file")
    incidents.add_argument("--workspace", required=True, help="workspace identifier")
    incidents.add_argument("--mapping", metavar="NAME", help="use the workspace's saved mapping")
    incidents.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="HEADER=FIELD",
        help="send a column to a field, e.g. --map 'Date of attack=start_date' (repeatable; "
        "overrides the saved mapping for that column)",
    )
    incidents.add_argument(
        "--save-mapping",
        metavar="NAME",
        help="save the columns used under this name for the next import (not on a dry run)",
    )
    incidents.add_argument("--sheet", metavar="NAME", help="the XLSX sheet (default: the first)")
    incidents.add_argument(
        "--dry-run",
        action="store_true",
        help="check every row and report every problem; write nothing",
    )
    incidents.add_argument(
        "--month-first",
        action="store_true",
        help="read 03/14/2024 as month/day/year (default: day first, 14/03/2024)",
    )
    incidents.add_argument(
        "--encoding",
        metavar="NAME",
        help="the CSV file's encoding when it is not UTF-8 or UTF-16 (e.g. windows-1256)",
    )
    incidents.add_argument(
        "--source",
        metavar="NAME",
        help="the system the rows' ids come from (default: the mapping's or the file's name); "
        "an id is matched within its source to skip rows imported before",
    )
    incidents.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows even when others have errors",
    )
    incidents.add_argument(
        "--as",
        dest="actor",
        metavar="USER",
        help="username recorded as the author in the history (default: the system)",
    )
    incidents.add_argument("--json", action="store_true", help="print the report as JSON")


def cmd_import(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.incidents.import_columns import (
        get_mapping,
        parse_map_options,
        save_mapping,
        used_mapping,
    )
    from testimonia.incidents.importer import ImportOptions, ImportProblem, preview, run

    if args.action != "incidents":  # pragma: no cover (argparse allows only "incidents")
        raise UsageError(f"cannot import {args.action!r}")
    workspace = accounts_call(get_workspace, args.workspace)
    actor = acting_member(args.actor, workspace, Capability.EDIT_RECORDS)
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{args.file}: no such file")
    try:
        mapping: dict[str, str] = {}
        if args.mapping:
            mapping.update(get_mapping(workspace, args.mapping).columns)
        mapping.update(parse_map_options(args.map))
        options = ImportOptions(
            mapping=mapping,
            sheet=args.sheet,
            month_first=args.month_first,
            encoding=args.encoding,
            source=args.source or "",
            mapping_name=args.mapping or "",
            skip_invalid=args.skip_invalid,
        )
        if args.dry_run:
            report = preview(workspace, path, path.name, options)
        else:
            report = run(actor, workspace, path, path.name, options)
        saved = None
        if args.save_mapping and not args.dry_run:
            saved = save_mapping(actor, workspace, args.save_mapping, used_mapping(report.columns))
    except ImportProblem as exc:
        raise UsageError(f"{path.name}: {exc}") from None
    if args.json:
        body = report.as_dict()
        body["saved_mapping"] = saved.name if saved is not None else None
        print(json.dumps(body, ensure_ascii=False, default=str))
    else:
        _print_report(report, path.name, args, saved_name=saved.name if saved else None)
    return EXIT_FAILURE if report.has_errors else EXIT_OK


def _print_report(report: Any, name: str, args: argparse.Namespace, saved_name: str | None) -> None:
    table = report.table
    where = f"sheet {table.sheet!r}" if table.kind == "xlsx" else f"{table.encoding}"
    print(f"{name} ({table.kind.upper()}, {where}): header on row {report.header_row}")
    for column in report.columns:
        if column.field:
            print(f"  column {column.header!r} -> {column.field}")
    ignored = [c.header for c in report.columns if c.field is None and c.header and not c.metadata]
    if ignored:
        print("  not imported: " + ", ".join(repr(h) for h in ignored))
    for row, kind, message in report.problems():
        prefix = f"row {row}: " if row else ""
        print(f"{prefix}{'warning: ' if kind == 'warning' else ''}{message}")
    summary = report.as_dict()
    counts = (
        f"{summary['rows']} row(s): {summary['would_import']} to import, "
        f"{summary['skipped']} already imported, {summary['invalid']} with errors"
    )
    if report.dry_run:
        print(f"{counts}; dry run: nothing was written")
        if args.save_mapping:
            print(f"the mapping {args.save_mapping!r} was not saved (dry run)")
    elif report.written:
        print(f"{counts}; imported {summary['imported']} incident(s)")
    else:
        print(
            f"{counts}; nothing was imported: correct the rows above and import the file "
            "again, or import the valid rows with --skip-invalid"
        )
    if saved_name:
        print(f"saved the mapping {saved_name!r}")
