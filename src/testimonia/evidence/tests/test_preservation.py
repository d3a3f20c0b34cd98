"""Legal holds and deletion under the two-person rule: services, verify, CLI, web and API."""

import argparse
import json

import pytest

from testimonia import cli_preserve
from testimonia.accounts.roles import Role
from testimonia.cli import UsageError
from testimonia.conftest import client_for, make_member
from testimonia.custody.models import LogEntry
from testimonia.custody.services import verify_log
from testimonia.evidence.models import Blob, DeletionRequest, Item
from testimonia.evidence.preservation import (
    PreservationError,
    UnderLegalHold,
    approve_deletion,
    place_hold,
    refuse_deletion,
    release_hold,
    remove_purged_objects,
    request_deletion,
)
from testimonia.evidence.services import add_item, blob_store, items_of
from testimonia.evidence.verification import orphaned_objects, verify_objects, verify_records

# Real commits: the bytes leave the store only once the deletion has committed (on_commit).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(personas):
    return personas["administrator"]


@pytest.fixture
def second_admin(workspace):
    return make_member("second-admin", workspace, Role.ADMINISTRATOR)


@pytest.fixture
def lawyer(personas):
    return personas["legal_officer"]


@pytest.fixture
def item(investigator, workspace):
    return add_item(
        investigator, workspace, [b"photo of the shelled school"], filename="a.jpg"
    ).item


def actions(workspace):
    return list(
        LogEntry.objects.filter(workspace=workspace)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def stored(item):
    return blob_store().exists(item.blob.sha256)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def intact(workspace):
    _checked, damaged = verify_objects(workspace)
    return not damaged and not verify_records(workspace) and not verify_log(workspace)[1]


# ---------------------------------------------------------------------------------------------
# Services


def test_an_approved_deletion_removes_the_bytes_keeps_the_record_and_verify_passes(
    item, investigator, admin, workspace
):
    request = request_deletion(investigator, item, "uploaded by mistake: a personal photo")
    done = approve_deletion(admin, request, "checked with the team lead")
    assert done.bytes_removed
    assert done.kept_for == []
    assert fresh(item).deleted_at is not None
    assert fresh(item.blob).purged_at is not None
    assert not stored(item)
    assert fresh(request).status == DeletionRequest.Status.DELETED
    assert not items_of(workspace).filter(pk=item.pk).exists()
    assert items_of(workspace, with_deleted=True).filter(pk=item.pk).exists()
    assert actions(workspace)[-2:] == ["deletion_request", "delete"]
    delete = LogEntry.objects.get(workspace=workspace, action="delete")
    assert delete.object_digest == item.blob.sha256
    assert '"reason":"checked with the team lead"' in delete.payload
    assert intact(workspace)
    assert orphaned_objects(blob_store()) == []


def test_the_requester_cannot_approve_their_own_request(item, admin):
    request = request_deletion(admin, item, "duplicate upload")
    with pytest.raises(PreservationError, match="two-person rule"):
        approve_deletion(admin, request, "mine")
    assert fresh(item).deleted_at is None
    assert stored(item)


def test_a_legal_hold_blocks_the_request_and_an_approval_until_released(
    item, investigator, lawyer, admin, workspace
):
    request = request_deletion(investigator, item, "not relevant")
    hold = place_hold(lawyer, item, "ICC situation: preserve everything from the school")
    with pytest.raises(UnderLegalHold, match=f"hold {hold.pk}"):
        approve_deletion(admin, request, "ok")
    assert fresh(request).status == DeletionRequest.Status.PENDING
    assert fresh(item).deleted_at is None
    assert stored(item)
    refuse_deletion(admin, request, "under hold")
    with pytest.raises(UnderLegalHold):
        request_deletion(investigator, item, "again")
    release_hold(lawyer, hold, "the situation was closed")
    with pytest.raises(PreservationError, match="already released"):
        release_hold(lawyer, fresh(hold), "twice")
    approve_deletion(admin, request_deletion(investigator, item, "again"), "ok now")
    assert not stored(item)
    assert actions(workspace)[1:] == [
        "deletion_request",
        "legal_hold",
        "deletion_refused",
        "legal_hold_release",
        "deletion_request",
        "delete",
    ]
    assert intact(workspace)


def test_every_hold_must_be_released(item, investigator, lawyer, admin):
    first = place_hold(lawyer, item, "matter one")
    place_hold(admin, item, "matter two")
    release_hold(lawyer, first, "matter one closed")
    with pytest.raises(UnderLegalHold):
        request_deletion(investigator, item, "no longer needed")


def test_bytes_stay_while_another_item_holds_them(item, investigator, admin, workspace):
    copy = add_item(
        investigator, workspace, [b"photo of the shelled school"], filename="b.jpg"
    ).item
    done = approve_deletion(admin, request_deletion(investigator, copy, "duplicate"), "yes")
    assert not done.bytes_removed
    assert done.kept_for == [item.pk]
    assert stored(item)
    assert fresh(item.blob).purged_at is None
    assert intact(workspace)
    done = approve_deletion(admin, request_deletion(investigator, item, "not needed"), "yes")
    assert done.bytes_removed
    assert not stored(item)
    assert intact(workspace)


def test_bytes_another_workspace_holds_stay(item, investigator, admin, other_workspace):
    theirs = add_item(None, other_workspace, [b"photo of the shelled school"], filename="c.jpg")
    done = approve_deletion(admin, request_deletion(investigator, item, "ours only"), "yes")
    assert done.kept_for == [theirs.item.pk]
    assert stored(item)


def test_deleted_bytes_can_come_in_again_as_a_new_first_acquisition(
    item, investigator, admin, workspace
):
    approve_deletion(admin, request_deletion(investigator, item, "mistake"), "yes")
    again = add_item(investigator, workspace, [b"photo of the shelled school"], filename="a.jpg")
    assert again.duplicate_of is None
    assert stored(item)
    assert fresh(item.blob).purged_at is None
    assert intact(workspace)


def test_a_request_needs_a_reason_and_one_pending_request_per_item(item, investigator, admin):
    with pytest.raises(PreservationError, match="reason is required"):
        request_deletion(investigator, item, "   ")
    request_deletion(investigator, item, "first")
    with pytest.raises(PreservationError, match="pending deletion request"):
        request_deletion(admin, item, "second")


def test_a_decided_request_cannot_be_decided_again(item, investigator, admin, second_admin):
    request = request_deletion(investigator, item, "x")
    refuse_deletion(admin, request, "no")
    with pytest.raises(PreservationError, match="already decided"):
        approve_deletion(second_admin, request, "yes")
    assert stored(item)


def test_an_interrupted_removal_is_finished_by_the_next_sweep(
    item, investigator, admin, monkeypatch
):
    # The process dies after the commit, before the bytes are removed.
    monkeypatch.setattr("testimonia.evidence.preservation.remove_purged_objects", lambda: 0)
    approve_deletion(admin, request_deletion(investigator, item, "x"), "yes")
    assert stored(item)
    assert orphaned_objects(blob_store()) == [item.blob.sha256]
    monkeypatch.undo()
    assert remove_purged_objects() == 1
    assert not stored(item)


# ---------------------------------------------------------------------------------------------
# Verification catches deletions done behind the vault's back


def test_verify_names_an_item_marked_deleted_without_a_custody_event(item, workspace):
    Item.objects.filter(pk=item.pk).update(deleted_at="2026-01-01T00:00:00Z")
    problems = [str(p) for p in verify_records(workspace)]
    assert any(f"item {item.pk}" in p and "no deletion was recorded" in p for p in problems)


def test_verify_names_bytes_marked_removed_under_a_live_item(item, workspace):
    Blob.objects.filter(pk=item.blob_id).update(purged_at="2026-01-01T00:00:00Z")
    problems = [str(p) for p in verify_records(workspace)]
    assert any(f"item {item.pk}" in p and "marked removed" in p for p in problems)


def test_verify_names_a_deleted_item_brought_back_in_the_database(
    item, investigator, admin, workspace
):
    copy = add_item(
        investigator, workspace, [b"photo of the shelled school"], filename="b.jpg"
    ).item
    approve_deletion(admin, request_deletion(investigator, copy, "dup"), "yes")
    Item.objects.filter(pk=copy.pk).update(deleted_at=None)
    problems = [str(p) for p in verify_records(workspace)]
    assert any(f"item {copy.pk}" in p and "shows it live" in p for p in problems)


# ---------------------------------------------------------------------------------------------
# The commands


def parse(*argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_preserve.add_parsers(sub)
    return parser.parse_args(list(argv))


def test_the_commands_hold_request_and_approve(
    item, workspace, investigator, lawyer, admin, capsys
):
    ws = ("--workspace", workspace.slug)
    assert (
        cli_preserve.cmd_hold(
            parse(
                "hold",
                "place",
                *ws,
                "--items",
                str(item.pk),
                "--reason",
                "ICC",
                "--as",
                lawyer.username,
                "--json",
            )
        )
        == 0
    )
    hold = json.loads(capsys.readouterr().out)[0]
    assert hold["item"] == item.pk
    assert hold["placed_by"] == lawyer.username
    request = parse(
        "deletion",
        "request",
        *ws,
        "--item",
        str(item.pk),
        "--reason",
        "dup",
        "--as",
        investigator.username,
    )
    with pytest.raises(UsageError, match="under legal hold"):
        cli_preserve.cmd_deletion(request)
    assert (
        cli_preserve.cmd_hold(
            parse(
                "hold",
                "release",
                *ws,
                "--holds",
                str(hold["id"]),
                "--reason",
                "closed",
                "--as",
                lawyer.username,
            )
        )
        == 0
    )
    capsys.readouterr()
    assert cli_preserve.cmd_deletion(request) == 0
    assert "an administrator other than investigator decides it" in capsys.readouterr().out
    pending = DeletionRequest.objects.get(item=item)
    approve = parse(
        "deletion",
        "approve",
        str(pending.pk),
        *ws,
        "--reason",
        "ok",
        "--as",
        admin.username,
        "--json",
    )
    assert cli_preserve.cmd_deletion(approve) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "deleted"
    assert result["bytes_removed"] is True
    assert cli_preserve.cmd_deletion(parse("deletion", "list", *ws, "--json")) == 0
    assert [r["status"] for r in json.loads(capsys.readouterr().out)] == ["deleted"]


def test_the_commands_refuse_a_member_without_the_role(item, workspace, investigator, analyst):
    with pytest.raises(UsageError, match="may not do this"):
        cli_preserve.cmd_hold(
            parse(
                "hold",
                "place",
                "--workspace",
                workspace.slug,
                "--items",
                str(item.pk),
                "--reason",
                "x",
                "--as",
                analyst.username,
            )
        )
    request = request_deletion(investigator, item, "x")
    with pytest.raises(UsageError, match="may not do this"):
        cli_preserve.cmd_deletion(
            parse(
                "deletion",
                "approve",
                str(request.pk),
                "--workspace",
                workspace.slug,
                "--reason",
                "x",
                "--as",
                investigator.username,
            )
        )
    assert not item.legal_holds.exists()
    assert fresh(request).status == "pending"


def test_the_commands_name_unknown_ids_and_change_nothing(item, workspace, other_workspace, lawyer):
    theirs = add_item(None, other_workspace, [b"theirs"], filename="t.txt").item
    with pytest.raises(UsageError, match=f"no item {theirs.pk} in workspace"):
        cli_preserve.cmd_hold(
            parse(
                "hold",
                "place",
                "--workspace",
                workspace.slug,
                "--items",
                str(item.pk),
                str(theirs.pk),
                "--reason",
                "x",
            )
        )
    with pytest.raises(UsageError, match="item ids are numbers"):
        cli_preserve.cmd_hold(
            parse("hold", "place", "--workspace", workspace.slug, "--items", "1x", "--reason", "x")
        )
    assert not item.legal_holds.exists()


# ---------------------------------------------------------------------------------------------
# Web and API


def test_the_item_page_offers_what_each_role_may_do(item, lawyer, analyst, investigator):
    page = client_for(lawyer).get(f"/w/test-ws/evidence/{item.pk}/").content.decode()
    assert 'id="hold-form"' in page
    assert 'id="deletion-form"' in page
    page = client_for(analyst).get(f"/w/test-ws/evidence/{item.pk}/").content.decode()
    assert 'id="hold-form"' not in page
    assert 'id="deletion-form"' not in page
    assert (
        client_for(analyst)
        .post(f"/w/test-ws/evidence/{item.pk}/hold/", {"reason": "x"})
        .status_code
        == 403
    )
    assert not item.legal_holds.exists()


def test_the_web_flow_from_hold_to_deletion(item, lawyer, investigator, admin, workspace):
    client_for(lawyer).post(f"/w/test-ws/evidence/{item.pk}/hold/", {"reason": "UN inquiry"})
    page = client_for(investigator).get(f"/w/test-ws/evidence/{item.pk}/").content.decode()
    assert 'id="on-hold"' in page
    assert 'id="deletion-form"' not in page
    response = client_for(investigator).post(
        f"/w/test-ws/evidence/{item.pk}/deletion/", {"reason": "dup"}, follow=True
    )
    assert "under legal hold" in response.content.decode()
    hold = item.legal_holds.get()
    client_for(lawyer).post(
        f"/w/test-ws/evidence/{item.pk}/hold/{hold.pk}/release/", {"reason": "closed"}
    )
    client_for(investigator).post(f"/w/test-ws/evidence/{item.pk}/deletion/", {"reason": "dup"})
    request = DeletionRequest.objects.get(item=item)
    listing = client_for(admin).get("/w/test-ws/evidence/deletions/").content.decode()
    assert f'data-request="{request.pk}"' in listing
    assert 'value="approve"' in listing
    client_for(admin).post(
        f"/w/test-ws/evidence/deletions/{request.pk}/decide/",
        {"decision": "approve", "reason": "agreed"},
    )
    assert fresh(item).deleted_at is not None
    page = client_for(investigator).get(f"/w/test-ws/evidence/{item.pk}/").content.decode()
    assert 'id="tombstone"' in page
    assert "Download original" not in page
    assert (
        client_for(investigator).post(f"/w/test-ws/evidence/{item.pk}/download/").status_code == 404
    )
    assert intact(workspace)


def test_an_item_of_another_workspace_cannot_be_held_or_deleted(
    investigator, outsider, other_workspace
):
    theirs = add_item(None, other_workspace, [b"theirs"], filename="t.txt").item
    assert (
        client_for(investigator)
        .post(f"/w/test-ws/evidence/{theirs.pk}/deletion/", {"reason": "x"})
        .status_code
        == 404
    )
    assert not DeletionRequest.objects.exists()


def api(user, method, path, body=None):
    client = client_for(user)
    call = getattr(client, method)
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return call(f"/api/v1/workspaces/test-ws{path}", **kwargs)


def test_the_api_flow_and_its_refusals(item, lawyer, investigator, admin):
    made = api(lawyer, "post", f"/items/{item.pk}/holds", {"reason": "ICC"})
    assert made.status_code == 201
    refused = api(investigator, "post", f"/items/{item.pk}/deletion-requests", {"reason": "dup"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict"
    assert "under legal hold" in refused.json()["error"]["message"]
    assert (
        api(lawyer, "post", f"/holds/{made.json()['id']}/release", {"reason": "done"}).status_code
        == 200
    )
    request = api(
        investigator, "post", f"/items/{item.pk}/deletion-requests", {"reason": "dup"}
    ).json()
    assert (
        api(
            investigator,
            "post",
            f"/deletion-requests/{request['id']}/decision",
            {"decision": "approve", "reason": "x"},
        ).status_code
        == 403
    )
    decided = api(
        admin,
        "post",
        f"/deletion-requests/{request['id']}/decision",
        {"decision": "approve", "reason": "ok"},
    )
    assert decided.status_code == 200
    assert decided.json()["bytes_removed"] is True
    assert [
        h["released_at"] is not None for h in api(admin, "get", f"/items/{item.pk}/holds").json()
    ] == [True]
    assert api(admin, "get", "/deletion-requests?status=deleted").json()[0]["id"] == request["id"]
    assert api(admin, "get", f"/items/{item.pk}").status_code == 404
