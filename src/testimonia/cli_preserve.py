"""CLI commands `testimonia hold ...` and `testimonia deletion ...`: legal holds on evidence
and deletion under the two-person rule (see evidence/preservation.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from testimonia.accounts.roles import Capability
from testimonia.cli import EXIT_OK, UsageError, accounts_call, acting_member


def add_parsers(sub: Any) -> None:
    hold = sub.add_parser("hold", help="legal holds: keep items from being deleted")
    hold_sub = hold.add_subparsers(dest="action", metavar="ACTION", required=True)
    place = hold_sub.add_parser(
        "place",
        help="place a legal hold on items",
        description="Place a legal hold on each item: it cannot be deleted until the hold is "
        "released. Each hold is a custody event with its reason.",
    )
    release = hold_sub.add_parser(
        "release",
        help="release legal holds",
        description="Release holds by their ids (see `testimonia hold list`), each a custody "
        "event with its reason.",
    )
    listing = hold_sub.add_parser("list", help="list the legal holds of a workspace")
    place.add_argument("--items", nargs="+", required=True, metavar="ID", help="item ids")
    release.add_argument("--holds", nargs="+", required=True, metavar="ID", help="hold ids")
    listing.add_argument("--all", action="store_true", help="include released holds")
    for command in (place, release):
        command.add_argument(
            "--reason", required=True, help="why (recorded in the chain of custody)"
        )
        command.add_argument(
            "--as",
            dest="actor",
            metavar="USER",
            help="username recorded as the one who acts (default: the system)",
        )
    deletion = sub.add_parser(
        "deletion",
        help="request and decide the deletion of items (two-person rule)",
        description="An item is deleted only on a request decided by a second person, an "
        "administrator. Its original leaves the store once no other item holds the same "
        "bytes; its record and chain of custody stay. Items under legal hold cannot be deleted.",
    )
    del_sub = deletion.add_subparsers(dest="action", metavar="ACTION", required=True)
    request = del_sub.add_parser("request", help="ask for an item to be deleted")
    request.add_argument("--item", required=True, metavar="ID", help="the item's id")
    approve = del_sub.add_parser("approve", help="approve a request: the item is deleted")
    refuse = del_sub.add_parser("refuse", help="refuse a request")
    for command in (approve, refuse):
        command.add_argument("request", metavar="REQUEST", help="the request's id")
    for command in (request, approve, refuse):
        command.add_argument(
            "--reason", required=True, help="why (recorded in the chain of custody)"
        )
        command.add_argument(
            "--as",
            dest="actor",
            metavar="USER",
            required=True,
            help="username of the person who acts (a deletion is never anonymous)",
        )
    del_list = del_sub.add_parser("list", help="list the deletion requests of a workspace")
    del_list.add_argument("--pending", action="store_true", help="only those not yet decided")
    for command in (place, release, listing, request, approve, refuse, del_list):
        command.add_argument("--workspace", required=True, help="workspace identifier")
        command.add_argument("--json", action="store_true", help="print the result as JSON")


def _number(value: str, what: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise UsageError(f"{what} ids are numbers, not {value!r}")
    return int(value)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _user(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _hold_json(hold: Any) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "item": hold.item_id,
        "reason": hold.reason,
        "placed_by": _user(hold.placed_by),
        "placed_at": _iso(hold.placed_at),
        "released_by": _user(hold.released_by),
        "released_at": _iso(hold.released_at),
        "release_reason": hold.release_reason or None,
    }


def _request_json(request: Any) -> dict[str, Any]:
    return {
        "id": request.pk,
        "item": request.item_id,
        "reason": request.reason,
        "requested_by": _user(request.requested_by),
        "requested_at": _iso(request.requested_at),
        "status": request.status,
        "decided_by": _user(request.decided_by),
        "decided_at": _iso(request.decided_at),
        "decision_reason": request.decision_reason or None,
    }


def cmd_hold(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.evidence.models import LegalHold
    from testimonia.evidence.preservation import PreservationError, place_hold, release_hold
    from testimonia.evidence.services import items_of

    workspace = accounts_call(get_workspace, args.workspace)
    if args.action == "list":
        holds = LegalHold.objects.filter(workspace=workspace).select_related(
            "placed_by", "released_by"
        )
        if not args.all:
            holds = holds.filter(released_at__isnull=True)
        rows = [_hold_json(h) for h in holds.order_by("pk")]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for row in rows:
                state = f"released {row['released_at']}" if row["released_at"] else "active"
                print(f"hold {row['id']}  item {row['item']}  {state}  {row['reason']}")
            if not rows:
                print("no legal holds")
        return EXIT_OK
    actor = acting_member(args.actor, workspace, Capability.PLACE_LEGAL_HOLD)
    done = []
    try:
        if args.action == "place":
            ids = [_number(v, "item") for v in args.items]
            found = {i.pk: i for i in items_of(workspace).filter(pk__in=ids)}
            missing = [str(pk) for pk in ids if pk not in found]
            if missing:
                raise UsageError(
                    f"no item {', '.join(missing)} in workspace {workspace.slug}; nothing was held"
                )
            for pk in dict.fromkeys(ids):
                done.append(place_hold(actor, found[pk], args.reason))
        else:
            ids = [_number(v, "hold") for v in args.holds]
            held = {h.pk: h for h in LegalHold.objects.filter(workspace=workspace, pk__in=ids)}
            missing = [str(pk) for pk in ids if pk not in held]
            if missing:
                raise UsageError(
                    f"no hold {', '.join(missing)} in workspace {workspace.slug}; "
                    "nothing was released"
                )
            for pk in dict.fromkeys(ids):
                done.append(release_hold(actor, held[pk], args.reason))
    except PreservationError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps([_hold_json(h) for h in done], ensure_ascii=False))
    else:
        verb = "placed" if args.action == "place" else "released"
        for hold in done:
            print(f"hold {hold.pk} on item {hold.item_id} {verb}")
    return EXIT_OK


def cmd_deletion(args: argparse.Namespace) -> int:
    from testimonia.accounts.services import get_workspace
    from testimonia.evidence.preservation import (
        PreservationError,
        approve_deletion,
        deletion_requests,
        refuse_deletion,
        request_deletion,
    )
    from testimonia.evidence.services import items_of

    workspace = accounts_call(get_workspace, args.workspace)
    if args.action == "list":
        requests = deletion_requests(workspace).order_by("pk")
        if args.pending:
            requests = requests.filter(status="pending")
        rows = [_request_json(r) for r in requests]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for row in rows:
                print(
                    f"request {row['id']}  item {row['item']}  {row['status']}  "
                    f"by {row['requested_by']}: {row['reason']}"
                )
            if not rows:
                print("no deletion requests")
        return EXIT_OK
    capability = (
        Capability.REQUEST_DELETION if args.action == "request" else Capability.DECIDE_DELETION
    )
    actor = acting_member(args.actor, workspace, capability)
    result: dict[str, Any]
    try:
        if args.action == "request":
            pk = _number(args.item, "item")
            item = items_of(workspace).filter(pk=pk).first()
            if item is None:
                raise UsageError(f"no item {pk} in workspace {workspace.slug}")
            made = request_deletion(actor, item, args.reason)
            result = _request_json(made)
            text = (
                f"deletion request {made.pk} for item {pk} made; an administrator other than "
                f"{actor.get_username()} decides it"
            )
        else:
            pk = _number(args.request, "request")
            pending = deletion_requests(workspace).filter(pk=pk).first()
            if pending is None:
                raise UsageError(f"no deletion request {pk} in workspace {workspace.slug}")
            if args.action == "approve":
                done = approve_deletion(actor, pending, args.reason)
                result = {
                    **_request_json(done.request),
                    "bytes_removed": done.bytes_removed,
                    "kept_for": done.kept_for,
                    "container": done.container,
                }
                text = f"item {pending.item_id} deleted (request {pk})" + (
                    "; its original was removed from the store"
                    if done.bytes_removed
                    else "; its bytes stay in the store for item(s) "
                    + ", ".join(str(i) for i in done.kept_for)
                )
                if done.container is not None:
                    text += f"; archive item {done.container} still contains it"
            else:
                result = _request_json(refuse_deletion(actor, pending, args.reason))
                text = f"deletion request {pk} refused"
    except PreservationError as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(result, ensure_ascii=False) if args.json else text)
    return EXIT_OK
