"""CLI commands `testimonia roadmap ...`: the scorecard of the roadmap for justice, the import of
recommendations from a CSV or XLSX file, and their export (docs/roadmap.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_FAILURE, EXIT_OK, UsageError, accounts_call, acting_member


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a date is written YYYY-MM-DD, not {value!r}") from None


def add_parsers(sub: Any) -> None:
    command = sub.add_parser(
        "roadmap",
        help="the roadmap for justice: scorecard, import and export of recommendations",
        description="Recommendations and obligations addressed to states and other actors, and "
        "their implementation over time (docs/roadmap.md).",
    )
    action = command.add_subparsers(dest="action", metavar="ACTION", required=True)

    scorecard = action.add_parser(
        "scorecard",
        help="figures per actor and per theme: counts by status, share implemented, overdue",
        description="Print the scorecard of a workspace: for each actor, and for each theme "
        "within it, how many recommendations addressed to it stand at each status (not "
        "started, partial, implemented, regressed), the share implemented, how many are "
        "overdue (deadline passed, not implemented) and the date of the last change. A "
        "recommendation to several actors counts once for each.",
        epilog="With --json the output is one object: {workspace, as_of, scope, unit, "
        "statuses, themes: [{code, label}], actors: [{id, name, kind, country_code, count, "
        "by_status, implemented, share_implemented, overdue, last_change, themes: [{theme, "
        "count, by_status, ...}]}], theme_totals: [...], totals: {...}} (docs/roadmap.md).",
    )
    scorecard.add_argument("--workspace", required=True, help="workspace identifier")
    scorecard.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the figures as they stood on this day (default: today)",
    )
    scorecard.add_argument(
        "--scope",
        choices=("all", "published"),
        default="all",
        help="count every recommendation (default) or only the published ones (the portal's)",
    )
    scorecard.add_argument("--json", action="store_true", help="print the scorecard as JSON")

    importer = action.add_parser(
        "import",
        help="import recommendations from a CSV or XLSX file",
        description="Import recommendations from a CSV (UTF-8 or UTF-16) or XLSX file, one a "
        "row. Columns named after the fields (addressee, text, theme, source, date, deadline, "
        "status, status_date, kind, paragraph, published, notes) need no mapping; others can "
        "be mapped with --map. Addressees, themes and sources the workspace does not have are "
        "created. A file with any row in error writes nothing; rows already imported are "
        "skipped.",
        epilog="Exit codes: 0 every row imported (or importable, with --dry-run); 1 some rows "
        "had errors and nothing was written; 2 the file, the mapping or an option is wrong. "
        "Problems are listed as 'row N: message', N being the row in the spreadsheet.",
    )
    importer.add_argument("file", metavar="FILE", help="the .csv or .xlsx file")
    importer.add_argument("--workspace", required=True, help="workspace identifier")
    importer.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="HEADER=FIELD",
        help="send a column to a field, e.g. --map 'Recipient State=addressee' (repeatable)",
    )
    importer.add_argument("--sheet", metavar="NAME", help="the XLSX sheet (default: the first)")
    importer.add_argument(
        "--encoding",
        metavar="NAME",
        help="the CSV file's encoding when it is not UTF-8 or UTF-16 (e.g. windows-1256)",
    )
    importer.add_argument(
        "--month-first",
        action="store_true",
        help="read 03/14/2024 as month/day/year (default: day first, 14/03/2024)",
    )
    importer.add_argument(
        "--dry-run", action="store_true", help="check every row and report; write nothing"
    )
    importer.add_argument(
        "--as",
        dest="actor",
        metavar="USER",
        help="username recorded as the author (must hold edit_roadmap; default: the system)",
    )
    importer.add_argument("--json", action="store_true", help="print the report as JSON")

    export = action.add_parser(
        "export",
        help="export the recommendations with their current status (CSV or JSON)",
        description="Write the workspace's recommendations with their current status, per "
        "addressee and as a whole. The CSV's first columns are the import's field names, so "
        "an export imports again as it is.",
    )
    export.add_argument("--workspace", required=True, help="workspace identifier")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    export.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="status as of this day (default: today)",
    )
    export.add_argument(
        "--output", "-o", metavar="FILE", help="write to this new file (default: standard output)"
    )


def dispatch(args: argparse.Namespace) -> int:
    handlers = {"scorecard": cmd_scorecard, "import": cmd_import, "export": cmd_export}
    return handlers[args.action](args)


def cmd_scorecard(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.roadmap.scorecard import Scope, compute_scorecard

    workspace = accounts_call(get_workspace, args.workspace)
    card = compute_scorecard(workspace, as_of=args.as_of, scope=Scope(args.scope))
    if args.json:
        print(json.dumps(card.as_dict(), ensure_ascii=False, indent=1))
        return EXIT_OK
    body = card.as_dict()
    labels = {t["code"]: t["label"] for t in body["themes"]}
    print(
        f"Roadmap scorecard of {workspace.slug} as of {body['as_of']} ({body['scope']}; "
        f"each recommendation counted once per addressee)"
    )
    if not body["actors"]:
        print("no recommendation yet: import some with `testimonia roadmap import`")
        return EXIT_OK
    print(_line("", {**body["totals"], "label": "all actors"}))
    for actor in body["actors"]:
        print(_line("", {**actor, "label": _actor_label(actor)}))
        for cell in actor["themes"]:
            label = labels.get(cell["theme"], "(no theme)") if cell["theme"] else "(no theme)"
            print(_line("    ", {**cell, "label": label}))
    return EXIT_OK


def _actor_label(actor: dict[str, Any]) -> str:
    return f"{actor['name']} ({actor['country_code']})" if actor["country_code"] else actor["name"]


def _line(indent: str, figures: dict[str, Any]) -> str:
    counts = figures["by_status"]
    share = figures["share_implemented"]
    percent = f"{share * 100:.0f}%" if share is not None else "-"
    return (
        f"{indent}{figures['label']}: {figures['count']} | not started {counts['not_started']}, "
        f"partial {counts['partial']}, implemented {counts['implemented']} ({percent}), "
        f"regressed {counts['regressed']} | overdue {figures['overdue']} | last change "
        f"{figures['last_change'] or '-'}"
    )


def _mapping(options: list[str]) -> dict[str, str]:
    mapping = {}
    for option in options:
        header, sep, field = option.rpartition("=")
        if not sep or not header.strip() or not field.strip():
            raise UsageError(f"--map takes HEADER=FIELD, not {option!r}")
        mapping[header.strip()] = field.strip()
    return mapping


def cmd_import(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.roadmap.importer import ImportOptions, ImportProblem, preview, run

    workspace = accounts_call(get_workspace, args.workspace)
    user = acting_member(args.actor, workspace, Capability.EDIT_ROADMAP)
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{args.file}: no such file")
    options = ImportOptions(
        mapping=_mapping(args.map),
        sheet=args.sheet,
        encoding=args.encoding,
        month_first=args.month_first,
    )
    try:
        data = path.read_bytes()
        if args.dry_run:
            report = preview(workspace, data, path.name, options)
        else:
            report = run(user, workspace, data, path.name, options)
    except ImportProblem as exc:
        raise UsageError(f"{path.name}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{path.name}: cannot be read ({exc.strerror})") from None
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        _print_report(report)
    return EXIT_FAILURE if report.has_errors else EXIT_OK


def _print_report(report: Any) -> None:
    summary = report.as_dict()
    print(f"{report.filename} ({report.table.kind.upper()}): {summary['rows']} row(s)")
    for header, field in summary["columns"].items():
        print(f"  column {header!r} -> {field}")
    for row, message in sorted(report.errors + report.warnings, key=lambda p: p[0]):
        kind = "" if (row, message) in report.errors else "warning: "
        print(f"row {row}: {kind}{message}")
    for what, names in (
        ("addressees", report.new_actors),
        ("themes", report.new_themes),
        ("sources", report.new_sources),
    ):
        if names:
            verb = "created" if report.written else "to create"
            print(f"new {what} ({verb}): " + ", ".join(names))
    counts = (
        f"{summary['would_import']} to import, {summary['skipped']} already imported, "
        f"{summary['invalid']} with errors"
    )
    if report.has_errors:
        print(f"{counts}; nothing was imported: correct the rows above and import the file again")
    elif report.dry_run:
        print(f"{counts}; dry run: nothing was written")
    else:
        print(f"{counts}; imported {summary['imported']} recommendation(s)")


def cmd_export(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.roadmap.exports import iter_export

    workspace = accounts_call(get_workspace, args.workspace)
    pieces = iter_export(workspace, args.format, as_of=args.as_of)
    if not args.output:
        for piece in pieces:
            sys.stdout.write(piece.removeprefix("\ufeff"))
        if args.format == "json":
            sys.stdout.write("\n")
        return EXIT_OK
    target = Path(args.output)
    try:
        with target.open("x", encoding="utf-8", newline="") as out:
            for piece in pieces:
                out.write(piece)
    except FileExistsError:
        raise UsageError(f"{target} already exists: choose another --output") from None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    print(f"wrote {target}")
    return EXIT_OK
