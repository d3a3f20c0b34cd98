"""CLI commands `testimonia crimes ...`: the Rome Statute crime catalogue (legal/catalogue.py).

The catalogue is data shipped with the code: these commands need no database and no Django.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from typing import Any

from testimonia.cli import EXIT_FAILURE, EXIT_OK, UsageError
from testimonia.legal import catalogue
from testimonia.legal.catalogue import Catalogue, CatalogueError, Category, Element, Note

WIDTH = 100
UNVERIFIED = "UNVERIFIED"


def add_parsers(sub: Any) -> None:
    crimes = sub.add_parser(
        "crimes",
        help="the Rome Statute crimes, their elements and the modes of liability",
        description="Read the crime catalogue: every crime of articles 6, 7, 8 and 8 bis of the "
        "Rome Statute as numbered in the ICC Elements of Crimes, with its numbered elements "
        "(material, mental or contextual), the amendment that added it, and whether its "
        "wording was checked against the official text. Needs no database.",
    )
    crimes_sub = crimes.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = crimes_sub.add_parser(
        "list",
        help="list the crimes",
        description="List the crimes in the order of the Statute.",
        epilog="Output: one crime per line (id, article, category, number of elements, name, "
        f"then the amendment and {UNVERIFIED} where they apply), or with --json a list of "
        "crimes as `crimes show --json` prints them.",
    )
    listing.add_argument(
        "--category",
        choices=[c.value for c in Category],
        help="only this category (GEN genocide, CAH crimes against humanity, WC-GB grave "
        "breaches, WC-IAC and WC-NIAC other war crimes in international and "
        "non-international armed conflict, WC-CA3 common article 3, AGG aggression)",
    )
    listing.add_argument("--json", action="store_true", help="print the crimes as JSON")
    show = crimes_sub.add_parser(
        "show",
        help="show one crime and its elements",
        description="Show a crime with its numbered elements, their kind and source, the "
        "Elements' footnotes and notes, the Statute's wording and the verification status.",
    )
    show.add_argument("crime", metavar="ID", help="crime id (RS-7-1-a) or article (7(1)(a))")
    show.add_argument("--json", action="store_true", help="print the crime as JSON")
    modes = crimes_sub.add_parser(
        "modes",
        help="list the modes of liability (articles 25(3) and 28) and their elements",
        description="Show every mode of liability of articles 25(3) and 28 with its elements "
        "and the decisions its tests come from.",
    )
    modes.add_argument("--json", action="store_true", help="print the modes as JSON")
    rules = crimes_sub.add_parser(
        "rules",
        help="show the rules for every crime (article 30 mental element, general introduction)",
        description="Show the default mental element of article 30 and the general "
        "introduction of the Elements of Crimes.",
    )
    rules.add_argument("--json", action="store_true", help="print the rules as JSON")


def cmd_crimes(args: argparse.Namespace) -> int:
    try:
        data = catalogue.catalogue()
    except CatalogueError as exc:
        print(f"testimonia: error: the crime catalogue is damaged: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    handler = {
        "list": cmd_list,
        "show": cmd_show,
        "modes": cmd_modes,
        "rules": cmd_rules,
    }[args.action]
    try:
        return handler(data, args)
    except BrokenPipeError:
        # The reader closed the pipe (`testimonia crimes list | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _dump(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def cmd_list(data: Catalogue, args: argparse.Namespace) -> int:
    rows = [c for c in data.crimes if args.category is None or c.category == args.category]
    if args.json:
        _dump([c.as_dict(data) for c in rows])
        return EXIT_OK
    for c in rows:
        flags = [c.amendment.label] if c.amendment else []
        if not c.verified:
            flags.append(UNVERIFIED)
        print("\t".join([c.id, c.article, c.category, str(len(c.elements)), c.name, *flags]))
    unverified = sum(not c.verified for c in rows)
    if unverified:
        print(
            f"{unverified} crime(s) marked {UNVERIFIED}: their elements were not checked "
            "against the official text (testimonia crimes show ID says why).",
            file=sys.stderr,
        )
    return EXIT_OK


def _wrap(text: str, indent: str, first: str = "") -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=indent + first, subsequent_indent=indent + " " * len(first)
    )


def _print_elements(elements: tuple[Element, ...]) -> None:
    for e in elements:
        block = f" ({e.block})" if e.block else ""
        print(_wrap(e.text, "  ", f"{e.number}. [{e.kind}]{block} "))
        for f in e.footnotes:
            print(_wrap(f.text, "       ", f"footnote {f.number}: "))


def _print_notes(notes: tuple[Note, ...]) -> None:
    for n in notes:
        label = f"footnote {n.footnote}: " if n.footnote else "- "
        print(_wrap(n.text, "  ", label))


def cmd_show(data: Catalogue, args: argparse.Namespace) -> int:
    try:
        found = data.crime(args.crime)
    except catalogue.UnknownEntry as exc:
        raise UsageError(f"{exc} (testimonia crimes list shows them all)") from None
    if args.json:
        _dump(found.as_dict(data))
        return EXIT_OK
    category = next(c.name for c in data.categories if c.code is found.category)
    print(f"{found.id}  article {found.article}  {found.title}")
    print(f"Category: {found.category} ({category})")
    if found.amendment:
        print(f"Amendment: {found.amendment.label} ({found.amendment.title})")
    if found.verified:
        print("Verified: yes, against the Elements of Crimes (see Sources)")
    else:
        print(f"Verified: NO ({UNVERIFIED})")
        print(_wrap(found.verification_note or "", "  "))
    if found.statute_text:
        for i, paragraph in enumerate(found.statute_text.splitlines()):
            print(_wrap(paragraph, "         " if i else "", "" if i else "Statute: "))
    print("Elements:")
    if not found.elements:
        print("  (none)")
    _print_elements(found.elements)
    if any(e.kind == "material" for e in found.elements):
        print(
            _wrap(
                "where an element names no mental element, article 30 applies: intent and "
                "knowledge (testimonia crimes rules).",
                "  ",
                "Mental element: ",
            )
        )
    if found.notes:
        print("Notes:")
        _print_notes(found.notes)
    shown: set[str] = set()  # the two context elements share an introduction: print it once
    for block_id in dict.fromkeys(e.block for e in found.elements if e.block):
        block = data.blocks[block_id]
        notes = tuple(n for n in block.notes if n.text not in shown)
        shown.update(n.text for n in notes)
        if notes:
            print(f"Shared element {block.id} ({block.name}):")
            _print_notes(notes)
    print("Sources:")
    for source_id in found.sources:
        source = data.sources[source_id]
        print(_wrap(f"{source.title}, {source.reference}", "  ", f"{source_id}: "))
    print(f"Catalogue version {data.version}")
    return EXIT_OK


def cmd_modes(data: Catalogue, args: argparse.Namespace) -> int:
    if args.json:
        _dump([m.as_dict(data) for m in data.modes])
        return EXIT_OK
    for m in data.modes:
        print(f"{m.id}  article {m.article}  {m.name}")
        _print_elements(m.elements)
        for a in m.authorities:
            source = data.sources[a.source]
            where = ""
            if a.paragraphs:
                where = f", {'paras' if '-' in a.paragraphs else 'para.'} {a.paragraphs}"
            about = f" ({a.about})" if a.about else ""
            text = f"{source.title}, {source.reference}, {source.date}{where}{about}"
            print(_wrap(text, "  ", "Authority: "))
        _print_notes(m.notes)
        print()
    print(_wrap(data.modes_method, ""))
    print(f"Catalogue version {data.version}")
    return EXIT_OK


def cmd_rules(data: Catalogue, args: argparse.Namespace) -> int:
    if args.json:
        _dump([r.as_dict(data) for r in data.general_rules])
        return EXIT_OK
    for rule in data.general_rules:
        print(f"{rule.id}  {rule.name}")
        if rule.statute_text:
            for paragraph in rule.statute_text.splitlines():
                print(_wrap(paragraph, "  "))
        _print_elements(rule.elements)
        _print_notes(rule.notes)
        print()
    print(f"Catalogue version {data.version}")
    return EXIT_OK
