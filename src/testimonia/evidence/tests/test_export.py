"""`export_bag` and `testimonia export bag`: the bag is valid BagIt with its records and
custody proofs, and a damaged original is never exported."""

import argparse
import json
import os

import bagit
import pytest

from testimonia import cli_export
from testimonia.cases.models import Case
from testimonia.cli import UsageError
from testimonia.custody.models import Checkpoint, LogEntry
from testimonia.custody.services import verify_log
from testimonia.evidence import export
from testimonia.evidence.exceptions import DigestMismatch
from testimonia.evidence.export import ExportRefused, export_bag, safe_filename
from testimonia.evidence.services import add_item, blob_store
from testimonia.evidence.verification import verify_records
from testimonia.incidents.models import Incident

from .bagtools import (
    events_of,
    payload_file,
    verify_bundle,
)

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# A fresh bag


def test_the_bag_is_valid_for_the_bagit_library(bag):
    checked = bagit.Bag(str(bag))
    checked.validate()  # raises BagValidationError on any problem
    assert checked.version_info == (1, 0)
    assert set(checked.algorithms) == {"sha256", "sha512"}
    assert len(list(checked.payload_files())) == 4


def test_verify_bundle_passes_a_fresh_bag_and_prints_the_key(bag, workspace):
    result = verify_bundle(bag)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("VERDICT: PASSED")
    key_id = Checkpoint.objects.filter(workspace=workspace).latest("signed_at").key_id
    assert f"Signing key id:  {key_id}" in result.stdout


def test_verify_bundle_reports_every_check_as_json(bag):
    report = json.loads(verify_bundle(bag, "--json").stdout)
    assert report["verdict"] == "passed"
    assert {c["id"] for c in report["checks"]} == {
        "declaration",
        "payload",
        "tag-files",
        "bag-info",
        "signing-key",
        "checkpoint",
        "custody-events",
        "log-history",
        "items",
    }


def test_each_original_is_under_its_item_id_with_a_safe_name(bag, items):
    photo, copy, hostile, arabic = items
    assert payload_file(bag, photo).name == "photo.jpg"
    assert payload_file(bag, copy).read_bytes() == payload_file(bag, photo).read_bytes()
    assert payload_file(bag, arabic).name == "تقرير المستشفى.pdf"
    hostile_file = payload_file(bag, hostile)
    assert hostile_file.resolve().parent == (bag / "data/items" / str(hostile.pk)).resolve()
    assert "/" not in hostile_file.name
    assert "%" not in hostile_file.name
    assert hostile_file.read_bytes() == "تقرير المستشفى".encode()


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a\nb\rc%d.txt", "a_b_c_d.txt"),
        (".hidden", "hidden"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("trailing. ", "trailing"),
        ("", "unnamed"),
        ("...", "unnamed"),
        ("C:\\Users\\x.doc", "C__Users_x.doc"),
        ("شهادة.mp4", "شهادة.mp4"),
    ],
)
def test_safe_filename_keeps_names_readable_and_inside_their_folder(name, safe):
    assert safe_filename(name) == safe


def test_safe_filename_keeps_the_extension_of_a_long_name():
    name = safe_filename("ب" * 400 + ".jpeg")
    assert name.endswith(".jpeg")
    assert len(name.encode()) <= 150


def test_bag_info_names_the_workspace_the_export_and_the_payload(bag, items, workspace):
    info = export.read_bag_info(bag)
    total = sum(i.blob.size for i in items)
    assert info["External-Identifier"] == workspace.slug
    assert info["Payload-Oxum"] == f"{total}.4"
    assert info["Bag-Count"] == "1 of 1"
    assert info["Source-Organization"] == workspace.name
    assert len(info["Testimonia-Export-Id"]) == 36
    assert info["Bagging-Date"]


def test_items_json_and_csv_describe_every_item(bag, items):
    rows = json.loads((bag / "testimonia/items.json").read_text())["items"]
    photo, copy, _hostile, arabic = items
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {i.pk for i in items}
    assert by_id[copy.pk]["duplicate_of"] == photo.pk
    assert by_id[photo.pk]["sha256"] == photo.blob.sha256
    assert by_id[photo.pk]["sha512"].startswith("sha512:")
    assert by_id[photo.pk]["added_by"] == "investigator"
    assert by_id[arabic.pk]["source"] == "=HYPERLINK(1)"  # exact in JSON
    table = (bag / "testimonia/items.csv").read_text()
    assert "'=HYPERLINK(1)" in table  # a spreadsheet shows it, never runs it


def test_the_bag_holds_every_custody_event_of_its_items_and_no_other(
    workspace, investigator, items, tmp_path
):
    photo = items[0]
    unrelated = add_item(investigator, workspace, [b"unrelated"], filename="other.txt").item
    out = export_bag(investigator, workspace, [items[1].pk], tmp_path / "one")
    subjects = {json.loads(e["payload"])["subject"] for e in events_of(out)}
    # The copy's own events, and the photo's ingest (same bytes, same digest).
    assert subjects == {f"item:{items[1].pk}", f"item:{photo.pk}"}
    assert f"item:{unrelated.pk}" not in subjects
    for event in events_of(out):
        stored = LogEntry.objects.get(workspace=workspace, seq=event["seq"])
        assert event["payload"] == stored.payload
        assert event["leaf_hash"] == stored.leaf_hash


def test_the_export_is_on_record_before_the_checkpoint_and_the_log_stays_clean(
    bag, items, workspace
):
    export_id = export.read_bag_info(bag)["Testimonia-Export-Id"]
    exports = LogEntry.objects.filter(workspace=workspace, action="export")
    assert exports.count() == len(items)
    for entry in exports:
        details = json.loads(entry.payload)["details"]
        assert details["export_id"] == export_id
        assert details["destination"] == "bag"  # the folder name only, never the full path
    checkpoint = json.loads((bag / "testimonia/custody/checkpoint.json").read_text())
    assert checkpoint["tree_size"] > max(e.seq for e in exports)
    assert {e["seq"] for e in events_of(bag)} >= {e.seq for e in exports}
    _count, problems = verify_log(workspace)
    assert problems == []
    assert verify_records(workspace) == []


def test_a_bag_into_an_existing_empty_folder_is_allowed(items, workspace, tmp_path):
    (tmp_path / "empty").mkdir()
    out = export_bag(None, workspace, [items[0].pk], tmp_path / "empty")
    assert (out / "bagit.txt").is_file()
    assert verify_bundle(out).returncode == 0


# ---------------------------------------------------------------------------------------------
# The export refuses what it must not do


def test_export_refuses_an_original_whose_stored_bytes_changed_and_leaves_nothing(
    items, workspace, tmp_path
):
    damaged = items[2]
    stored = blob_store().path_for(damaged.blob.sha256)
    os.chmod(stored, 0o644)
    data = bytearray(stored.read_bytes())
    data[0] ^= 0x01
    stored.write_bytes(bytes(data))
    before = LogEntry.objects.filter(workspace=workspace).count()
    (tmp_path / "out").mkdir()
    with pytest.raises(DigestMismatch) as raised:
        export_bag(None, workspace, [i.pk for i in items], tmp_path / "out" / "bag")
    assert f"item {damaged.pk}" in str(raised.value)
    assert raised.value.algorithm == "sha256"
    assert list((tmp_path / "out").iterdir()) == []  # no bag, no half-written folder
    assert LogEntry.objects.filter(workspace=workspace).count() == before


def test_a_failure_after_the_copy_leaves_no_bag_and_no_export_events(
    items, workspace, tmp_path, monkeypatch
):
    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_write_tag_files", fail)
    (tmp_path / "out").mkdir()
    with pytest.raises(OSError, match="No space left"):
        export_bag(None, workspace, [items[0].pk], tmp_path / "out" / "bag")
    assert list((tmp_path / "out").iterdir()) == []
    assert not LogEntry.objects.filter(workspace=workspace, action="export").exists()


def test_export_into_a_folder_that_is_not_empty_is_refused(items, workspace, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("do not touch")
    with pytest.raises(ExportRefused, match="is not empty"):
        export_bag(None, workspace, [items[0].pk], tmp_path / "full")
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_of_an_item_of_another_workspace_is_refused(
    items, workspace, other_workspace, outsider, tmp_path
):
    foreign = add_item(outsider, other_workspace, [b"theirs"], filename="theirs.txt").item
    with pytest.raises(ExportRefused, match=f"no item {foreign.pk} in workspace"):
        export_bag(None, workspace, [items[0].pk, foreign.pk], tmp_path / "bag")
    assert not (tmp_path / "bag").exists()


# ---------------------------------------------------------------------------------------------
# The command


def parse(*argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_export.add_parsers(sub)
    return parser.parse_args(["export", "bag", *argv])


def test_the_command_takes_out_after_the_item_ids(items, workspace, tmp_path, capsys):
    out = tmp_path / "bag"
    args = parse("--workspace", workspace.slug, "--items", str(items[0].pk), str(out), "--json")
    assert cli_export.cmd_export(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["bag"] == str(out)
    assert summary["items"] == [items[0].pk]
    assert verify_bundle(out).returncode == 0


def test_the_command_refuses_a_non_empty_out_as_a_usage_error(items, workspace, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    args = parse(str(tmp_path / "full"), "--workspace", workspace.slug, "--items", str(items[0].pk))
    with pytest.raises(UsageError, match="is not empty"):
        cli_export.cmd_export(args)


def test_the_command_refuses_ids_that_are_not_numbers(workspace, tmp_path):
    args = parse("--workspace", workspace.slug, "--items", "12x", str(tmp_path / "bag"))
    with pytest.raises(UsageError, match="item ids are numbers"):
        cli_export.cmd_export(args)


def test_the_command_stops_with_exit_1_on_a_damaged_original(items, workspace, tmp_path, capsys):
    stored = blob_store().path_for(items[3].blob.sha256)
    os.chmod(stored, 0o644)
    stored.write_bytes(b"%PDF-1.4 forged")
    args = parse("--workspace", workspace.slug, "--items", str(items[3].pk), str(tmp_path / "bag"))
    assert cli_export.cmd_export(args) == 1
    err = capsys.readouterr().err
    assert f"item {items[3].pk}" in err
    assert "Nothing was exported" in err
    assert not (tmp_path / "bag").exists()


def test_the_command_exports_the_evidence_of_a_cases_incidents(items, workspace, tmp_path):
    incident = Incident.objects.create(workspace=workspace, title="Shelling of the clinic")
    incident.evidence.add(items[0], items[3])
    case = Case.objects.create(workspace=workspace, title="Clinic")
    case.incidents.add(incident)
    out = tmp_path / "case-bag"
    assert (
        cli_export.cmd_export(
            parse("--workspace", workspace.slug, "--case", str(case.pk), str(out))
        )
        == 0
    )
    rows = json.loads((out / "testimonia/items.json").read_text())["items"]
    assert sorted(r["id"] for r in rows) == sorted([items[0].pk, items[3].pk])


def test_the_command_refuses_a_case_of_another_workspace(workspace, other_workspace, tmp_path):
    case = Case.objects.create(workspace=other_workspace, title="Theirs")
    args = parse("--workspace", workspace.slug, "--case", str(case.pk), str(tmp_path / "b"))
    with pytest.raises(UsageError, match=f"no case {case.pk} in workspace"):
        cli_export.cmd_export(args)
