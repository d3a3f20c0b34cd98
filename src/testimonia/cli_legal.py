"""CLI commands of legal analysis.

`testimonia crimes ...`: the Rome Statute crime catalogue (legal/catalogue.py), data shipped
with the code: these commands need no database and no Django.

`testimonia qualify`, `testimonia suggest` and `testimonia matrix`: qualify acts as crimes,
ask for suggested candidates, and print or export the case matrix (legal/services.py,
legal/suggestions.py, legal/matrix_loader.py, legal/exports.py).
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
    _add_qualification_parsers(sub)


def _record_id(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"ids are positive numbers, not {value!r}")
    return int(value)


def _add_qualification_parsers(sub: Any) -> None:
    qualify = sub.add_parser(
        "qualify",
        help="qualify an act as a candidate crime of the Rome Statute",
        description="Record that an act may be the crime CRIME_ID (a candidate qualification, "
        "with the reasoning). A legal officer then assesses each element of the crime and "
        "accepts or rejects it (API or web). An act is qualified at most once as each crime.",
        epilog="Output: the qualification's id, crime and status, or with --json "
        '{"id", "act", "crime_id", "article", "name", "status", "origin", "reasoning"}.',
    )
    qualify.add_argument("act", metavar="ACT_ID", type=_record_id, help="the act's id")
    qualify.add_argument(
        "crime", metavar="CRIME_ID", help="crime id (RS-7-1-a) or article (7(1)(a))"
    )
    qualify.add_argument("--reasoning", default="", help="why the act may be this crime")
    suggest = sub.add_parser(
        "suggest",
        help="propose candidate crimes for an act from its type and context",
        description="Apply the suggestion rules (legal/data/suggestions.json) to an act: its "
        "type, its victims (civilian, child) and its incident's conflict: tags. Each candidate "
        "crime is stored as a candidate qualification with the rule and reasons that matched; "
        "it decides nothing until a legal officer accepts or rejects it. Running it again adds "
        "nothing already proposed and never revives a rejected candidate.",
        epilog="Output: one line per candidate (new or existing, id, article, name, status), "
        'or with --json {"created": [...], "existing": [...]}.',
    )
    suggest.add_argument("act", metavar="ACT_ID", type=_record_id, help="the act's id")
    for command in (qualify, suggest):
        command.add_argument("--workspace", required=True, help="workspace identifier")
        command.add_argument(
            "--as",
            dest="actor",
            metavar="USER",
            required=True,
            help="username of the legal officer (or administrator) who acts",
        )
        command.add_argument("--json", action="store_true", help="print the result as JSON")
    matrix = sub.add_parser(
        "matrix",
        help="print or export the case matrix of an incident, a crime or a suspect",
        description="The case matrix: for each qualified crime (and each suspect's mode of "
        "liability), every element with what supports it and how strongly; gaps (elements "
        "with no support, or only weak support) come first. Rejected qualifications are left "
        "out unless --include-rejected.",
        epilog="Formats: text (default, for reading), csv (one row per element and link, "
        "UTF-8 with BOM), json (the API's shape), pdf (needs --output; Arabic and Hebrew "
        "are set right to left). See docs/legal.md.",
    )
    matrix.add_argument("--workspace", required=True, help="workspace identifier")
    scope = matrix.add_mutually_exclusive_group(required=True)
    scope.add_argument("--incident", type=_record_id, metavar="ID", help="an incident's id")
    scope.add_argument("--crime", metavar="ID", help="a crime id (RS-7-1-a) or article")
    scope.add_argument(
        "--suspect", type=_record_id, metavar="PERSON_ID", help="a suspect: a person's id"
    )
    scope.add_argument(
        "--unit", type=_record_id, metavar="ORG_ID", help="a suspect: an organisation's id"
    )
    matrix.add_argument(
        "--format", choices=("text", "csv", "json", "pdf"), default="text", help="default: text"
    )
    matrix.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")
    matrix.add_argument(
        "--language", choices=("en", "ar", "he"), help="language of the PDF (default: en)"
    )
    matrix.add_argument(
        "--include-rejected", action="store_true", help="also show rejected qualifications"
    )


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


# ---------------------------------------------------------------------------------------------
# Qualification (needs Django and the database: cli.dispatch sets them up)


def _qualification_json(q: Any) -> dict[str, Any]:
    crime = catalogue.crime(q.crime_id)
    return {
        "id": q.pk,
        "act": q.act_id,
        "incident": q.incident_id,
        "crime_id": q.crime_id,
        "article": crime.article,
        "name": crime.name,
        "status": q.status,
        "origin": q.origin,
        "rule": q.rule,
        "reasoning": q.reasoning,
    }


def _act_in(workspace: Any, act_id: int) -> Any:
    from testimonia.incidents.models import Act

    act = (
        Act.objects.filter(incident__workspace=workspace, pk=act_id)
        .select_related("act_type__parent", "incident__workspace")
        .first()
    )
    if act is None:
        raise UsageError(f"no act {act_id} in workspace {workspace.slug}")
    return act


def cmd_qualification(args: argparse.Namespace) -> int:
    """`qualify`, `suggest` and `matrix`."""
    from testimonia.accounts.roles import Capability
    from testimonia.accounts.services import get_workspace
    from testimonia.cli import accounts_call, acting_member

    workspace = accounts_call(get_workspace, args.workspace)
    if args.command == "matrix":
        return _cmd_matrix(args, workspace)
    actor = acting_member(args.actor, workspace, Capability.QUALIFY)
    act = _act_in(workspace, args.act)
    if args.command == "qualify":
        return _cmd_qualify(args, actor, act)
    return _cmd_suggest(args, actor, act)


def _cmd_qualify(args: argparse.Namespace, actor: Any, act: Any) -> int:
    from testimonia.legal.services import QualificationError, qualify

    try:
        q = qualify(actor, act, args.crime, args.reasoning)
    except QualificationError as exc:
        raise UsageError(str(exc)) from None
    row = _qualification_json(q)
    if args.json:
        print(json.dumps(row, ensure_ascii=False))
    else:
        print(
            f"qualification {row['id']}: act {act.pk} as {row['article']} {row['name']} "
            f"({row['crime_id']}), {row['status']}"
        )
    return EXIT_OK


def _cmd_suggest(args: argparse.Namespace, actor: Any, act: Any) -> int:
    from testimonia.legal.suggestions import suggest

    result = suggest(actor, act)
    if args.json:
        print(
            json.dumps(
                {
                    "act": act.pk,
                    "created": [_qualification_json(q) for q in result.created],
                    "existing": [_qualification_json(q) for q in result.existing],
                },
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    for label, rows in (("new", result.created), ("existing", result.existing)):
        for q in rows:
            row = _qualification_json(q)
            print(f"{label}\t{row['id']}\t{row['article']}\t{row['name']}\t{row['status']}")
    if not result.created and not result.existing:
        print(f"no rule proposes a crime for act {act.pk} ({act.act_type.code})")
    return EXIT_OK


def _cmd_matrix(args: argparse.Namespace, workspace: Any) -> int:
    from testimonia.incidents.models import Incident, Organisation, Person
    from testimonia.legal import exports
    from testimonia.legal.matrix_loader import (
        Rejected,
        crime_matrix,
        incident_matrix,
        suspect_matrix,
    )

    rejected = Rejected.INCLUDE if args.include_rejected else Rejected.LEAVE_OUT
    if args.format == "pdf" and not args.output:
        raise UsageError("a PDF needs --output FILE")
    if args.incident is not None:
        incident = Incident.objects.filter(workspace=workspace, pk=args.incident).first()
        if incident is None:
            raise UsageError(f"no incident {args.incident} in workspace {workspace.slug}")
        matrix = incident_matrix(workspace, incident, rejected=rejected)
    elif args.crime is not None:
        try:
            crime = catalogue.crime(args.crime)
        except catalogue.UnknownEntry as exc:
            raise UsageError(f"{exc} (testimonia crimes list shows them all)") from None
        matrix = crime_matrix(workspace, crime, rejected=rejected)
    else:
        model, pk, what = (
            (Person, args.suspect, "person")
            if args.suspect is not None
            else (Organisation, args.unit, "organisation")
        )
        suspect = model.objects.filter(workspace=workspace, pk=pk).first()
        if suspect is None:
            raise UsageError(f"no {what} {pk} in workspace {workspace.slug}")
        matrix = suspect_matrix(workspace, suspect, rejected=rejected)
    if args.format == "text":
        data = _matrix_text(matrix).encode("utf-8")
    else:
        data = exports.render(matrix, args.format, args.language)
    if args.output:
        try:
            with open(args.output, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
        print(
            f"wrote the {args.format} matrix of {matrix.scope} {matrix.scope_id} to "
            f"{args.output} ({len(matrix.sections)} section(s), {matrix.gaps} gap(s))",
            file=sys.stderr,
        )
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return EXIT_OK


def _matrix_text(matrix: Any) -> str:
    lines = [matrix.title, f"{matrix.gaps} gap(s); catalogue version {matrix.catalogue_version}"]
    if not matrix.sections:
        lines.append("nothing is qualified in this scope")
    for section in matrix.sections:
        lines.append("")
        if section.subject == "crime":
            lines.append(
                f"qualification {section.qualification}: {section.article} {section.name} "
                f"({section.crime_id}), {section.status}"
            )
        else:
            lines.append(
                f"liability {section.liability}: {section.suspect}, {section.mode_article} "
                f"{section.mode_name} ({section.mode_id}) for qualification "
                f"{section.qualification} {section.article}"
            )
        lines.append(f"  {section.target}")
        lines.extend(_wrap(note, "  ", "! ") for note in section.notes)
        for row in section.rows:
            mark = f"GAP {row.state}" if row.is_gap else str(row.state)
            block = f", {row.block}" if row.block else ""
            assessed = f"; assessed {row.assessed}" if row.assessed else ""
            head = f"[{mark}] {row.number}. ({row.kind}{block}{assessed}) "
            lines.append(_wrap(row.text or "(no longer in the catalogue)", "  ", head))
            if row.note:
                lines.append(_wrap(row.note, "      ", "note: "))
            for support in row.supports:
                text = f"{support.strength} {support.kind}: {support.label}"
                if support.note:
                    text += f" ({support.note})"
                lines.append(_wrap(text, "      ", "- "))
            if row.shows_indicators and not row.indicators:
                lines.append("      (no pattern indicators linked)")
    return "\n".join(lines) + "\n"
