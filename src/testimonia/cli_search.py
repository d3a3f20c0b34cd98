"""CLI commands `testimonia search` and `testimonia reindex`: full-text search over the
documentation database and the evidence vault (see incidents/search.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from testimonia.cli import EXIT_OK, UsageError, accounts_call

_TYPES = ("incident", "act", "person", "item")  # incidents.search.TYPES, without Django


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--limit must be a number, not {value!r}") from None
    if not 1 <= number <= 1000:
        raise argparse.ArgumentTypeError(f"--limit must be between 1 and 1000, not {number}")
    return number


def add_parsers(sub: Any) -> None:
    search = sub.add_parser(
        "search",
        help="search incidents, acts, persons and evidence items by their words",
        description="Find the records of a workspace in which every word of QUERY begins a "
        "word (so 'Khan Yun' finds 'Khan Yunis'), best matches first. Arabic spelling variants "
        "(hamza and alef forms, taa marbuta, alef maqsura, harakat, tatweel), Hebrew niqqud "
        "and final letters, accents and case are ignored on both sides. Quotes, *, AND, OR, "
        "NEAR and parentheses are not operators: they are ignored or searched as words. "
        "Confidential persons and deleted items are never found.",
        epilog="Output: one hit per line (type, id, score, title), or with --json a list of "
        '{"type", "id", "title", "score"}.',
    )
    search.add_argument("query", metavar="QUERY", help="the words to look for")
    search.add_argument("--workspace", required=True, help="workspace identifier")
    search.add_argument(
        "--type",
        dest="types",
        action="append",
        choices=_TYPES,
        help="only records of this type (repeat for several; default: all)",
    )
    search.add_argument(
        "--limit", type=_limit, default=50, help="the most hits to show (default 50)"
    )
    search.add_argument("--json", action="store_true", help="print the hits as JSON")

    reindex = sub.add_parser(
        "reindex",
        help="rebuild the search and facet indexes",
        description="Rebuild the full-text search index and the incident list's facet index "
        "from the records, for one workspace "
        "or all. Saves keep the index current by themselves; rebuild after loading data with "
        "`testimonia manage loaddata` or after an upgrade that changes the text rules (a "
        "migrate does that one by itself).",
    )
    reindex.add_argument("--workspace", help="only this workspace (default: all)")
    reindex.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_search(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.incidents.search import SearchError, search

    workspace = accounts_call(get_workspace, args.workspace)
    try:
        hits = search(workspace, args.query, types=args.types, limit=args.limit)
    except SearchError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        rows = [{"type": h.type, "id": h.id, "title": h.title, "score": h.score} for h in hits]
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for hit in hits:
            print(f"{hit.type}\t{hit.id}\t{hit.score:.4f}\t{hit.title}")
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.incidents import facet_index
    from testimonia.incidents.search import reindex

    workspace = accounts_call(get_workspace, args.workspace) if args.workspace else None
    count = reindex(workspace)
    facets = facet_index.rebuild(workspace)
    if args.json:
        result = {"workspace": args.workspace, "indexed": count, "facet_values": facets}
        print(json.dumps(result, ensure_ascii=False))
    else:
        where = f"workspace {workspace.slug}" if workspace is not None else "all workspaces"
        print(f"indexed {count} record(s) of {where}; {facets} facet value(s)")
    return EXIT_OK
