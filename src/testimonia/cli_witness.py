"""CLI commands for witnesses and testimonies: `testimonia witness ...`, `testimonia testimony
add`. Witnesses are named by pseudonym in everything printed; the identity is printed only by
`witness reveal`, to a protection officer, with the reason kept in the chain of custody."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_FAILURE, EXIT_OK, UsageError, accounts_call, acting_member

SCOPE_HELP = (
    "record, analysis, share:MECHANISM, identify:MECHANISM, or a mechanism slug alone "
    "(= share:MECHANISM)"
)
TESTIMONY_KINDS = (
    "recording",
    "notes",
    "statement",
    "transcript",
    "translation",
    "document",
    "other",
)
CONSENT_FORMS = ("written", "oral", "recorded")


def add_parsers(sub: Any) -> None:
    witness = sub.add_parser(
        "witness",
        help="witnesses: intake under a pseudonym, consent, identity (protection officers)",
        description="Witnesses are named by pseudonym (W-0001, ...). The identity is typed "
        "once, at intake, stored encrypted with the key in TESTIMONIA_IDENTITY_KEY_FILE, and "
        "shown only to a protection officer of the workspace (witness reveal). See "
        "docs/witnesses.md.",
    )
    w_sub = witness.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = w_sub.add_parser(
        "add",
        help="take in a witness and print the pseudonym",
        description="Take in a witness: the identity is encrypted at once and the pseudonym "
        "printed; nothing identifying is printed, logged or stored in clear. A name given "
        "with --name can be seen by other users of this machine (process list) and may stay "
        "in your shell history: prefer --name-stdin.",
    )
    add.add_argument("--workspace", required=True, help="workspace identifier")
    name = add.add_mutually_exclusive_group(required=True)
    name.add_argument("--name", help="the witness's name")
    name.add_argument(
        "--name-stdin", action="store_true", help="read the name from the first line of stdin"
    )
    add.add_argument("--contacts", default="", help="how to reach the witness (encrypted)")
    add.add_argument("--details", default="", help="other identifying details (encrypted)")
    add.add_argument(
        "--consent",
        action="extend",
        nargs="+",
        default=[],
        metavar="MECHANISM",
        help="mechanism slugs the witness consents to share with (icc, un-coi, national, "
        "national-de, domestic-court, publication, ...)",
    )
    add.add_argument(
        "--consent-form",
        choices=CONSENT_FORMS,
        default="oral",
        help="the form of that consent (default oral)",
    )
    _as(add, "who takes the witness in (an investigator or a protection officer)")
    add.add_argument("--json", action="store_true", help="print the result as JSON")

    listing = w_sub.add_parser("list", help="list the witnesses of a workspace (pseudonyms)")
    listing.add_argument("--workspace", required=True, help="workspace identifier")
    listing.add_argument("--json", action="store_true", help="print the result as JSON")

    consent = w_sub.add_parser(
        "consent",
        help="record a consent given or withdrawn, or show the consent of a witness",
        description="Record the witness's decision, dated, in the chain of custody too: "
        "--grant or --withdraw one or more scopes. Without either, print the current "
        f"consent and its history. SCOPE: {SCOPE_HELP}. A withdrawal is honoured from its "
        "date on; earlier decisions stay on record.",
    )
    consent.add_argument("pseudonym", metavar="PSEUDONYM")
    consent.add_argument("--workspace", required=True, help="workspace identifier")
    decision = consent.add_mutually_exclusive_group()
    decision.add_argument("--grant", nargs="+", metavar="SCOPE", help="scopes consented to")
    decision.add_argument("--withdraw", nargs="+", metavar="SCOPE", help="scopes withdrawn")
    consent.add_argument(
        "--form", choices=CONSENT_FORMS, default="written", help="form (default written)"
    )
    consent.add_argument("--item", type=int, metavar="ID", help="only this testimony item")
    consent.add_argument(
        "--form-item", type=int, metavar="ID", help="the evidence item holding the signed form"
    )
    consent.add_argument(
        "--date",
        metavar="DATE",
        help="when the decision was given, ISO 8601 (default now; a date alone is 00:00 UTC)",
    )
    _as(consent, "who records it (an investigator or a protection officer)")
    consent.add_argument("--json", action="store_true", help="print the result as JSON")

    reveal = w_sub.add_parser(
        "reveal",
        help="print a witness's identity (protection officers only)",
        description="Print the identity of a witness, for a protection officer of the "
        "workspace; the reveal is recorded in the chain of custody with the reason (which "
        "must not contain the name).",
    )
    reveal.add_argument("pseudonym", metavar="PSEUDONYM")
    reveal.add_argument("--workspace", required=True, help="workspace identifier")
    reveal.add_argument(
        "--as", dest="actor", metavar="USER", required=True, help="the protection officer"
    )
    reveal.add_argument("--reason", required=True, help="why it is needed (no names)")
    reveal.add_argument("--json", action="store_true", help="print the result as JSON")

    w_sub.add_parser(
        "init-key",
        help="create the identity key file (once, before the first witness)",
        description="Create the key file that encrypts witness identities, at "
        "TESTIMONIA_IDENTITY_KEY_FILE (default TESTIMONIA_HOME/keys/identity.key), mode 0600. "
        "Refuses to replace an existing one. Back the file up apart from the database: "
        "without it no identity can be read.",
    )
    w_sub.add_parser(
        "rotate-key",
        help="add a new identity key, re-encrypt every identity, retire the old key",
        description="Add a fresh key to the key file, re-encrypt every stored identity under "
        "it, then remove the keys nothing uses any more. Back up the key file before and "
        "after. Exit 1, naming each witness, if an identity could not be re-encrypted (its "
        "key is then kept).",
    )

    testimony = sub.add_parser("testimony", help="testimony items given by witnesses")
    t_sub = testimony.add_subparsers(dest="action", metavar="ACTION", required=True)
    t_add = t_sub.add_parser(
        "add",
        help="store a recording, statement or transcript given by a witness",
        description="Store FILE in the vault as evidence given by the witness, under a name "
        "made from the pseudonym and the kind (W-0001-recording.mp3): the file's own name is "
        "not kept, since it may name the witness. A transcript or translation names its "
        "original with --derived-from and is stored as a derivative of it.",
    )
    t_add.add_argument("file", metavar="FILE", type=Path)
    t_add.add_argument("--workspace", required=True, help="workspace identifier")
    t_add.add_argument("--witness", required=True, metavar="PSEUDONYM")
    t_add.add_argument(
        "--kind",
        choices=TESTIMONY_KINDS,
        help="default: recording for audio and video, transcript with --derived-from, "
        "else statement",
    )
    t_add.add_argument("--derived-from", type=int, metavar="ID", help="the original item")
    t_add.add_argument("--method", default="", help="how a transcript or translation was made")
    t_add.add_argument("--interview", type=int, metavar="ID", help="the interview it is from")
    t_add.add_argument("--language", default="", help="language code (ar, en, ...)")
    _as(t_add, "who adds it (an investigator or a protection officer)")
    t_add.add_argument("--json", action="store_true", help="print the result as JSON")


def _as(parser: argparse.ArgumentParser, who: str) -> None:
    parser.add_argument(
        "--as", dest="actor", metavar="USER", help=f"username recorded as {who}; default: system"
    )


# ---------------------------------------------------------------------------------------------


def dispatch(args: argparse.Namespace) -> int:
    from testimonia.cases.exceptions import CasesError, IdentityTampered
    from testimonia.cli import check_database

    if (args.command, args.action) == ("witness", "init-key"):
        return cmd_init_key(args)
    check_database()
    handler = {
        ("witness", "add"): cmd_add,
        ("witness", "list"): cmd_list,
        ("witness", "consent"): cmd_consent,
        ("witness", "reveal"): cmd_reveal,
        ("witness", "rotate-key"): cmd_rotate_key,
        ("testimony", "add"): cmd_testimony_add,
    }[(args.command, args.action)]
    try:
        return handler(args)
    except IdentityTampered as exc:
        print(f"testimonia: integrity failure: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except CasesError as exc:
        raise UsageError(str(exc)) from None


def _workspace(slug: str) -> Any:
    from testimonia.accounts.services import get_workspace

    return accounts_call(get_workspace, slug)


def _witness(workspace: Any, pseudonym: str) -> Any:
    from testimonia.cases.witnesses import witness_of

    return witness_of(workspace, pseudonym)


def _print(args: argparse.Namespace, record: Any, text: str) -> None:
    print(json.dumps(record, ensure_ascii=False) if args.json else text)


def cmd_init_key(args: argparse.Namespace) -> int:
    from testimonia.cases.exceptions import CasesError
    from testimonia.cases.identity import init_key_file

    try:
        path, kid = init_key_file()
    except CasesError as exc:
        raise UsageError(str(exc)) from None
    print(f"created the identity key file {path} (key {kid}, mode 0600)")
    print("back it up now, apart from the database: without it no witness identity can be read")
    return EXIT_OK


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from testimonia.cases.identity import rotate_key

    result = rotate_key()
    print(
        f"new key {result.new_key}: {result.reencrypted} identities re-encrypted; "
        f"retired: {', '.join(result.retired) or 'none'}"
    )
    for failure in result.failures:
        print(f"error\t{failure}", file=sys.stderr)
    if result.kept:
        print(f"kept for the identities above: {', '.join(result.kept)}", file=sys.stderr)
    print("back up the key file now", file=sys.stderr)
    return EXIT_FAILURE if result.failures else EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    from testimonia.cases.identity import Identity
    from testimonia.cases.witnesses import create_witness

    workspace = _workspace(args.workspace)
    actor = acting_member(args.actor, workspace, Capability.RECORD_TESTIMONY)
    if args.name_stdin:
        name = sys.stdin.readline().rstrip("\r\n")
        if not name.strip():
            raise UsageError("--name-stdin was given but standard input held no name")
    else:
        name = args.name
    witness = create_witness(
        actor,
        workspace,
        Identity(name=name, contacts=args.contacts, details=args.details),
        consent_to=args.consent,
        consent_form=args.consent_form,
    )
    record = {"pseudonym": witness.pseudonym, "consent": sorted(set(args.consent))}
    _print(args, record, witness.pseudonym)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from testimonia.cases.witnesses import witnesses_of

    workspace = _workspace(args.workspace)
    rows = [
        {
            "pseudonym": w.pseudonym,
            "risk_level": w.risk_level,
            "protection_measures": w.protection_measures,
            "created_at": w.created_at.isoformat(),
        }
        for w in witnesses_of(workspace)
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['pseudonym']}\trisk {row['risk_level']}")
    return EXIT_OK


def parse_scope(text: str) -> tuple[str, str | None]:
    """`record`, `analysis`, `share:icc`, `identify:icc`, or `icc` (= share:icc)."""
    scope, _sep, slug = text.strip().lower().partition(":")
    if scope in ("record", "analysis"):
        if slug:
            raise UsageError(f"the scope {scope} names no mechanism: give {scope} alone")
        return scope, None
    if scope in ("share", "identify"):
        if not slug:
            raise UsageError(f"name the mechanism: {scope}:MECHANISM (e.g. {scope}:icc)")
        return scope, slug
    if slug:
        raise UsageError(f"unknown consent scope {scope!r}: use {SCOPE_HELP}")
    return "share", scope


def parse_moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r} is not an ISO 8601 date or date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def cmd_consent(args: argparse.Namespace) -> int:
    from django.db import transaction

    from testimonia.cases import consent
    from testimonia.evidence.services import items_of

    workspace = _workspace(args.workspace)
    witness = _witness(workspace, args.pseudonym)
    scopes = args.grant or args.withdraw
    if not scopes:
        return _show_consent(args, witness)
    actor = acting_member(args.actor, workspace, Capability.RECORD_TESTIMONY)
    decision = "granted" if args.grant else "withdrawn"
    parsed = [parse_scope(s) for s in scopes]
    when = parse_moment(args.date)

    def item_of(pk: int | None) -> Any:
        if pk is None:
            return None
        found = items_of(workspace).filter(pk=pk).first()
        if found is None:
            raise UsageError(f"no item {pk} in workspace {workspace.slug}")
        return found

    item, form_item = item_of(args.item), item_of(args.form_item)
    with transaction.atomic():  # all the scopes, or none
        rows = [
            consent.record_consent(
                actor,
                witness,
                scope,
                decision,
                form=args.form,
                mechanism_slug=slug,
                item=item,
                form_item=form_item,
                effective_at=when,
            )
            for scope, slug in parsed
        ]
    from testimonia.cases.disclosure import affected_record, disclosures_affected_by

    records = []
    text = []
    for row in rows:
        record = consent.consent_record(row)
        # A withdrawal lists the earlier disclosures that included what it covers.
        record["affected_disclosures"] = [affected_record(d) for d in disclosures_affected_by(row)]
        records.append(record)
        text.append(_consent_line(record))
        text.extend(
            f"  affects disclosure {d['id']}: case {d['case']} to {d['mechanism']}"
            f"{' (' + d['recipient'] + ')' if d['recipient'] else ''} on {d['disclosed_at']}"
            for d in record["affected_disclosures"]
        )
    _print(args, records, "\n".join(text))
    return EXIT_OK


def _consent_line(record: dict[str, Any]) -> str:
    scope = record["scope"] + (f":{record['mechanism']}" if record["mechanism"] else "")
    item = f"\titem {record['item']}" if record["item"] else ""
    return f"{record['witness']}\t{scope}\t{record['decision']}\t{record['effective_at']}{item}"


def _show_consent(args: argparse.Namespace, witness: Any) -> int:
    from testimonia.cases import consent

    current = [consent.consent_record(r) for r in consent.current_state(witness)]
    history = [consent.consent_record(r) for r in consent.history(witness)]
    if args.json:
        print(json.dumps({"current": current, "history": history}, ensure_ascii=False))
        return EXIT_OK
    print(f"{witness.pseudonym}: current consent")
    for record in current:
        print(_consent_line(record))
    print("history")
    for record in history:
        print(_consent_line(record))
    return EXIT_OK


def cmd_reveal(args: argparse.Namespace) -> int:
    from testimonia.accounts.roles import grants, roles_with
    from testimonia.accounts.services import get_user, membership_roles
    from testimonia.cases.identity import reveal_identity

    workspace = _workspace(args.workspace)
    user = accounts_call(get_user, args.actor)
    if not grants(membership_roles(user, workspace.slug), Capability.REVEAL_IDENTITY):
        needed = ", ".join(sorted(r.value for r in roles_with(Capability.REVEAL_IDENTITY)))
        raise UsageError(
            f"{args.actor!r} may not see witness identities in workspace {workspace.slug!r}: "
            f"that needs the role {needed} there"
        )
    witness = _witness(workspace, args.pseudonym)
    person = reveal_identity(user, witness, args.reason)
    record = {"pseudonym": witness.pseudonym, **person.as_dict()}
    text = "\n".join(f"{key}: {value}" for key, value in record.items() if value)
    _print(args, record, text)
    return EXIT_OK


def cmd_testimony_add(args: argparse.Namespace) -> int:
    import mimetypes

    from testimonia.cases.testimonies import add_testimony, interview_of
    from testimonia.evidence.services import items_of

    workspace = _workspace(args.workspace)
    actor = acting_member(args.actor, workspace, Capability.RECORD_TESTIMONY)
    witness = _witness(workspace, args.witness)
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"{path}: not a readable file")
    original = None
    if args.derived_from is not None:
        original = items_of(workspace).filter(pk=args.derived_from).first()
        if original is None:
            raise UsageError(f"no item {args.derived_from} in workspace {workspace.slug}")
    kind = args.kind
    if kind is None:
        guessed = mimetypes.guess_type(path.name)[0] or ""
        if original is not None:
            kind = "transcript"
        elif guessed.startswith(("audio/", "video/")):
            kind = "recording"
        else:
            kind = "statement"
    interview = interview_of(witness, args.interview) if args.interview else None
    try:
        with path.open("rb") as handle:
            added = add_testimony(
                actor,
                witness,
                iter(lambda: handle.read(1 << 20), b""),
                original_name=path.name,
                kind=kind,
                interview=interview,
                language=args.language,
                derived_from=original,
                method=args.method,
            )
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    item = added.added.item
    record = {
        "id": item.pk,
        "witness": witness.pseudonym,
        "kind": added.testimony.kind,
        "filename": item.original_filename,
        "sha256": item.blob.sha256,
        "size": item.blob.size,
        "media_type": item.blob.media_type,
        "derived_from": item.derived_from_id,
        "interview": added.testimony.interview_id,
        "duplicate_of": added.added.duplicate_of.pk if added.added.duplicate_of else None,
    }
    text = f"{item.pk}\t{item.blob.sha256}\t{added.testimony.kind} of {witness.pseudonym}"
    _print(args, record, text)
    return EXIT_OK
