"""`export_bag`, `testimonia export bag` and tools/verify_bundle.py: the bag is valid BagIt, its
custody proofs check, every kind of tampering is caught and named, and a damaged original is
never exported."""

import argparse
import ast
import base64
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testimonia import cli_export
from testimonia.cases.models import Case
from testimonia.cli import UsageError
from testimonia.custody.merkle import MerkleTree
from testimonia.custody.models import Checkpoint, LogEntry
from testimonia.custody.services import sign_checkpoint, verify_log
from testimonia.custody.tests.local_tsa import LocalTSA
from testimonia.custody.timestamping import request_timestamp
from testimonia.evidence import export
from testimonia.evidence.exceptions import DigestMismatch
from testimonia.evidence.export import ExportRefused, export_bag, safe_filename
from testimonia.evidence.services import Acquisition, add_item, blob_store
from testimonia.evidence.verification import verify_records
from testimonia.incidents.models import Incident

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[4]
TOOL = REPO / "tools" / "verify_bundle.py"
SUITE = REPO.parent / "shared" / "data" / "bagit-conformance-suite"


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture
def items(workspace, investigator):
    photo = add_item(investigator, workspace, [b"\xff\xd8 photo " * 500], filename="photo.jpg")
    copy = add_item(investigator, workspace, [b"\xff\xd8 photo " * 500], filename="copy.jpg")
    hostile = add_item(
        investigator,
        workspace,
        ["تقرير المستشفى".encode()],
        filename="x",
        acquisition=Acquisition(filename="../../etc/passwd%0A\\con", path="a/../../b"),
    )
    arabic = add_item(
        investigator,
        workspace,
        [b"%PDF-1.4 report"],
        filename="تقرير المستشفى.pdf",
        acquisition=Acquisition(filename="تقرير المستشفى.pdf", source="=HYPERLINK(1)"),
    )
    sign_checkpoint(workspace)  # an earlier checkpoint: the bag must prove the log grew from it
    return [photo.item, copy.item, hostile.item, arabic.item]


@pytest.fixture
def bag(items, workspace, investigator, tmp_path):
    return export_bag(investigator, workspace, [i.pk for i in items], tmp_path / "bag")


def verify_bundle(bag_path, *args):
    return subprocess.run(
        [sys.executable, str(TOOL), str(bag_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_fails_naming(bag_path, *phrases, check_id=None):
    result = verify_bundle(bag_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VERDICT: FAILED" in result.stdout.splitlines()[-1]
    for phrase in phrases:
        assert phrase in result.stdout, result.stdout
    if check_id is not None:
        report = json.loads(verify_bundle(bag_path, "--json").stdout)
        failed = {c["id"] for c in report["checks"] if not c["passed"]}
        assert check_id in failed, failed


def rehash_manifests(bag_path, prefix="tagmanifest"):
    """What a careful forger does after editing a file: recompute the (tag) manifests so the
    BagIt fixity check alone no longer sees the change."""
    for manifest in sorted(bag_path.glob(f"{prefix}-*.txt")):
        algorithm = manifest.name.split("-", 1)[1].removesuffix(".txt")
        lines = []
        for line in manifest.read_text().splitlines():
            _digest, path = line.split("  ", 1)
            lines.append(
                f"{hashlib.new(algorithm, (bag_path / path).read_bytes()).hexdigest()}  {path}"
            )
        manifest.write_text("\n".join(lines) + "\n")


def payload_file(bag_path, item):
    (found,) = (bag_path / "data" / "items" / str(item.pk)).iterdir()
    return found


def events_of(bag_path):
    lines = (bag_path / "testimonia/custody/events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def write_events(bag_path, events):
    text = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events)
    (bag_path / "testimonia/custody/events.jsonl").write_text(text)


def load_tool():
    spec = importlib.util.spec_from_file_location("verify_bundle", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_bundle"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


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
# Tampering, each caught and named by verify_bundle


def test_a_flipped_byte_in_an_evidence_file_is_named(bag, items):
    target = payload_file(bag, items[0])
    data = bytearray(target.read_bytes())
    data[10] ^= 0x01
    target.write_bytes(bytes(data))
    assert_fails_naming(
        bag,
        f"The file data/items/{items[0].pk}/photo.jpg is not the file that was exported",
        "SHA-256 and SHA-512",
        check_id="payload",
    )


def test_a_deleted_evidence_file_is_named(bag, items):
    payload_file(bag, items[0]).unlink()
    assert_fails_naming(
        bag,
        f"The file data/items/{items[0].pk}/photo.jpg is listed in the bag's manifest but is not "
        "in the bag",
        "Payload-Oxum",
    )


def test_an_added_evidence_file_is_named(bag):
    (bag / "data" / "items" / "planted.jpg").write_bytes(b"planted")
    assert_fails_naming(
        bag,
        "The file data/items/planted.jpg is in the bag but is not listed in its manifests",
        "The file data/items/planted.jpg is not one of the items described in items.json",
    )


def test_a_replaced_file_with_rewritten_manifests_is_caught_by_its_ingest_event(bag, items):
    target = payload_file(bag, items[0])
    target.write_bytes(b"\xff\xd8 photo " * 499 + b"\xff\xd8 fakes ")  # same size
    rehash_manifests(bag, "manifest")
    for name in ("items.json", "items.csv"):
        path = bag / "testimonia" / name
        path.write_text(
            path.read_text().replace(
                items[0].blob.sha256, "sha256:" + hashlib.sha256(target.read_bytes()).hexdigest()
            )
        )
    rehash_manifests(bag)
    assert bagit.Bag(str(bag)).is_valid()  # BagIt fixity alone is fooled by the forger
    assert_fails_naming(
        bag,
        f"Item {items[0].pk} (data/items/{items[0].pk}/photo.jpg): the file in the bag is not "
        "the one that was collected",
        check_id="items",
    )


def test_an_item_removed_from_the_bag_with_all_its_traces_is_named(bag, items):
    gone = items[3]
    shutil.rmtree(bag / "data/items" / str(gone.pk))
    for manifest in bag.glob("manifest-*.txt"):
        kept = [line for line in manifest.read_text().splitlines() if f"/{gone.pk}/" not in line]
        manifest.write_text("\n".join(kept) + "\n")
    path = bag / "testimonia/items.json"
    data = json.loads(path.read_text())
    data["items"] = [row for row in data["items"] if row["id"] != gone.pk]
    path.write_text(json.dumps(data))
    csv_path = bag / "testimonia/items.csv"
    rows = csv_path.read_text().splitlines(keepends=True)
    csv_path.write_text("".join(r for r in rows if not r.startswith(f"{gone.pk},")))
    subject = f'"subject":"item:{gone.pk}"'
    write_events(bag, [e for e in events_of(bag) if subject not in e["payload"]])
    info = bag / "bag-info.txt"
    total = sum(i.blob.size for i in items[:3])
    info.write_text(
        "".join(
            f"Payload-Oxum: {total}.3\n" if line.startswith("Payload-Oxum") else line
            for line in info.read_text().splitlines(keepends=True)
        )
    )
    rehash_manifests(bag)
    assert bagit.Bag(str(bag)).is_valid()  # BagIt alone cannot tell
    assert_fails_naming(
        bag,
        "The custody log records that this export held 4 item(s), but the bag describes 3",
        check_id="items",
    )


def test_an_edited_custody_event_is_named_by_the_tag_manifest(bag, items):
    path = bag / "testimonia/custody/events.jsonl"
    path.write_text(path.read_text().replace("investigator#", "somebody#", 1))
    assert_fails_naming(
        bag, "The record file testimonia/custody/events.jsonl has been changed since export"
    )


def test_an_edited_custody_event_is_named_even_with_rewritten_manifests(bag):
    events = events_of(bag)
    events[0]["payload"] = events[0]["payload"].replace("investigator#", "somebody#")
    write_events(bag, events)
    rehash_manifests(bag)
    seq = events[0]["seq"]
    assert_fails_naming(
        bag,
        f"Custody event {seq}: its text does not match its recorded hash",
        check_id="custody-events",
    )


def test_an_edited_event_with_its_hash_recomputed_fails_its_inclusion_proof(bag):
    events = events_of(bag)
    events[1]["payload"] = events[1]["payload"].replace("investigator#", "somebody#")
    new_leaf = hashlib.sha256(b"\x00" + events[1]["payload"].encode()).hexdigest()
    events[1]["leaf_hash"] = new_leaf
    write_events(bag, events)
    rehash_manifests(bag)
    assert_fails_naming(
        bag,
        f"Custody event {events[1]['seq']} cannot be shown to be part of the signed custody log",
    )


def test_an_edited_inclusion_proof_is_named(bag):
    events = events_of(bag)
    proof = events[2]["inclusion_proof"]
    proof[0] = proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1")
    write_events(bag, events)
    rehash_manifests(bag)
    assert_fails_naming(
        bag,
        f"Custody event {events[2]['seq']} cannot be shown to be part of the signed custody log",
        check_id="custody-events",
    )


def _edit_checkpoint(bag_path, change):
    path = bag_path / "testimonia/custody/checkpoint.json"
    checkpoint = json.loads(path.read_text())
    change(checkpoint)
    path.write_text(json.dumps(checkpoint))
    rehash_manifests(bag_path)


def _other_root(checkpoint):
    note = checkpoint["note"].split("\n")
    note[2] = base64.b64encode(bytes(32)).decode()
    checkpoint["note"] = "\n".join(note)
    checkpoint["root_hash"] = bytes(32).hex()


def _other_signature(checkpoint):
    signature = bytearray(base64.b64decode(checkpoint["signature"]))
    signature[0] ^= 0x01
    checkpoint["signature"] = base64.b64encode(bytes(signature)).decode()


def _root_field_only(checkpoint):
    checkpoint["root_hash"] = bytes(32).hex()


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (_other_root, "The signature on the custody checkpoint is not valid"),
        (_other_signature, "The signature on the custody checkpoint is not valid"),
        (_root_field_only, "The checkpoint's size or root hash differs from its signed text"),
    ],
    ids=["signed-root", "signature", "root-field"],
)
def test_an_edited_checkpoint_is_named(bag, change, phrase):
    _edit_checkpoint(bag, change)
    assert_fails_naming(bag, phrase, check_id="checkpoint")


def test_an_edited_checkpoint_root_also_breaks_every_proof(bag):
    _edit_checkpoint(bag, _other_root)
    result = verify_bundle(bag)
    count = result.stdout.count("cannot be shown to be part of the signed custody log")
    assert count == len(events_of(bag))
    assert "is not a continuation of the log" in result.stdout


def test_nothing_counts_as_proven_against_a_checkpoint_whose_signature_fails(bag, items):
    _edit_checkpoint(bag, _other_signature)
    assert_fails_naming(
        bag, f"Item {items[0].pk} (data/items/{items[0].pk}/photo.jpg) has no proven ingest event"
    )


def test_an_edited_earlier_checkpoint_proof_is_named(bag):
    path = bag / "testimonia/custody/consistency.json"
    data = json.loads(path.read_text())
    (earlier,) = data["earlier_checkpoints"]
    earlier["consistency_proof"][0] = bytes(32).hex()
    path.write_text(json.dumps(data))
    rehash_manifests(bag)
    assert_fails_naming(bag, "is not a continuation of the log as it stood in the checkpoint of")


def _new_key_pem():
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem


def test_a_swapped_public_key_is_named(bag):
    _key, pem = _new_key_pem()
    (bag / "testimonia/custody/public-key.pem").write_bytes(pem)
    rehash_manifests(bag)
    assert_fails_naming(
        bag,
        "The signature on the custody checkpoint is not valid for the signing key",
        "The checkpoint says it was signed by key",
    )


def test_a_bag_re_signed_with_another_key_fails_against_the_published_key(bag, tmp_path):
    published = (bag / "testimonia/custody/public-key.pem").read_bytes()
    (tmp_path / "published.pem").write_bytes(published)
    published_id = json.loads(verify_bundle(bag, "--json").stdout)["key"]["fingerprint"]
    # A forger re-signs everything with a key of their own and ships it in the bag.
    key, pem = _new_key_pem()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    (bag / "testimonia/custody/public-key.pem").write_bytes(pem)

    def resign(cp):
        cp["signature"] = base64.b64encode(key.sign(cp["note"].encode())).decode()
        cp["key_id"] = hashlib.sha256(raw).hexdigest()[:16]

    _edit_checkpoint(bag, resign)
    path = bag / "testimonia/custody/consistency.json"
    data = json.loads(path.read_text())
    for cp in data["earlier_checkpoints"]:
        resign(cp)
    path.write_text(json.dumps(data))
    info = (bag / "bag-info.txt").read_text().splitlines()
    info = [line for line in info if not line.startswith("Testimonia-Key-Id")]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n")
    rehash_manifests(bag)
    # On its own the bag is self-consistent: only the key's fingerprint gives it away ...
    alone = verify_bundle(bag)
    assert alone.returncode == 0, alone.stdout
    assert hashlib.sha256(raw).hexdigest() in alone.stdout
    # ... which is why the expert checks against the published key.
    with_key = verify_bundle(bag, "--public-key", str(tmp_path / "published.pem"))
    assert with_key.returncode == 1
    assert "is not the key you supplied" in with_key.stdout
    expecting = verify_bundle(bag, "--expect-key", published_id)
    assert expecting.returncode == 1
    assert "this bag was not signed with the key you trust" in expecting.stdout


def test_the_published_key_and_fingerprint_accept_a_genuine_bag(bag, tmp_path):
    (tmp_path / "published.pem").write_bytes(
        (bag / "testimonia/custody/public-key.pem").read_bytes()
    )
    key = json.loads(verify_bundle(bag, "--json").stdout)["key"]
    assert verify_bundle(bag, "--public-key", str(tmp_path / "published.pem")).returncode == 0
    spaced = " ".join(key["fingerprint"][i : i + 4] for i in range(0, 64, 4)).upper()
    assert verify_bundle(bag, "--expect-key", spaced).returncode == 0
    # The short key id is a label, not proof: it is refused as a usage error.
    assert verify_bundle(bag, "--expect-key", key["key_id"]).returncode == 2


@pytest.fixture(scope="module")
def tsa():
    authority = LocalTSA()
    yield authority
    authority.stop()


@pytest.fixture
def stamped_bag(settings, tsa, items, workspace, tmp_path):
    settings.TESTIMONIA_TSA_URL = tsa.url
    settings.TESTIMONIA_TSA_ROOTS = str(tsa.root_file)
    return export_bag(None, workspace, [items[0].pk], tmp_path / "stamped")


def test_the_checkpoints_timestamp_travels_in_the_bag_and_openssl_accepts_it(stamped_bag, tsa):
    custody = stamped_bag / "testimonia/custody"
    result = verify_bundle(stamped_bag)
    assert result.returncode == 0, result.stdout
    assert "It carries an RFC 3161 timestamp" in result.stdout
    checked = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            str(custody / "checkpoint.tsr"),
            "-data",
            str(custody / "checkpoint-note.txt"),
            "-CAfile",
            str(tsa.root_file),
            "-untrusted",
            str(tsa.folder / "tsa.crt"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Verification: OK" in checked.stdout, checked.stderr


def test_a_timestamp_for_other_content_is_named(stamped_bag, tsa):
    other = request_timestamp(b"some other text", tsa.url).response
    (stamped_bag / "testimonia/custody/checkpoint.tsr").write_bytes(other)

    def swap(checkpoint):
        checkpoint["timestamp"]["tsa_response"] = base64.b64encode(other).decode()

    _edit_checkpoint(stamped_bag, swap)
    assert_fails_naming(
        stamped_bag,
        "The timestamp attached to the custody checkpoint is for other content",
        check_id="checkpoint",
    )


def test_verify_bundle_lists_every_problem_not_just_the_first(bag, items):
    payload_file(bag, items[0]).unlink()
    (bag / "data/items/extra.txt").write_bytes(b"x")
    path = bag / "testimonia/items.json"
    path.write_text(path.read_text() + " ")
    report = json.loads(verify_bundle(bag, "--json").stdout)
    failed = {c["id"] for c in report["checks"] if not c["passed"]}
    assert {"payload", "tag-files", "bag-info", "items"} <= failed
    assert report["problems"] >= 4


def test_verify_bundle_usage_errors_exit_2(tmp_path):
    missing = verify_bundle(tmp_path / "nothing-here")
    assert missing.returncode == 2
    assert "there is no folder" in missing.stderr
    (tmp_path / "plain").mkdir()
    not_a_bag = verify_bundle(tmp_path / "plain")
    assert not_a_bag.returncode == 2
    assert "is not a BagIt bag" in not_a_bag.stderr
    assert "Traceback" not in missing.stderr + not_a_bag.stderr


def test_verify_bundle_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(TOOL.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    foreign = imported - set(sys.stdlib_module_names) - {"__future__", "cryptography"}
    assert foreign == set()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), size=st.integers(min_value=1, max_value=70))
def test_the_tools_own_proof_checks_agree_with_the_log_and_reject_corruption(tool, data, size):
    """verify_bundle re-implements RFC 9162 on purpose: hold it to the log's own proofs."""
    leaves = [hashlib.sha256(b"\x00" + i.to_bytes(4, "big")).digest() for i in range(size)]
    tree = MerkleTree.from_leaf_hashes(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    assert tool.verify_inclusion(leaves[index], index, size, proof, tree.root())
    old = data.draw(st.integers(0, size))
    consistency = tree.consistency_proof(old, size)
    assert tool.verify_consistency(old, size, tree.root(old), tree.root(), consistency)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        flipped = bytes([proof[at][0] ^ 1]) + proof[at][1:]
        bad = [*proof[:at], flipped, *proof[at + 1 :]]
        assert not tool.verify_inclusion(leaves[index], index, size, bad, tree.root())
    if consistency:
        at = data.draw(st.integers(0, len(consistency) - 1))
        bad = [*consistency[:at], bytes(32), *consistency[at + 1 :]]
        assert not tool.verify_consistency(old, size, tree.root(old), tree.root(), bad)


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
    case = Case.objects.create(workspace=workspace, title="Clinic", mechanism="icc")
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
    case = Case.objects.create(workspace=other_workspace, title="Theirs", mechanism="icc")
    args = parse("--workspace", workspace.slug, "--case", str(case.pk), str(tmp_path / "b"))
    with pytest.raises(UsageError, match=f"no case {case.pk} in workspace"):
        cli_export.cmd_export(args)


# ---------------------------------------------------------------------------------------------
# verify_bundle's BagIt checks against the Library of Congress conformance suite
#
# Only the BagIt part runs here (declaration, manifests, fixity, tag manifests, Payload-Oxum):
# these bags carry no Testimonia records. Left out, on purpose:
# - warning/: the tool has no "warning" verdict; a court check passes or fails.
# - v0.97 ISO-8859-1 and UTF-16 tag files: the tool reads UTF-8 only (every Testimonia bag is
#   UTF-8) and reports other encodings as a problem rather than guess.
# - *-for-fetch and holey-bag: the tool never downloads anything and checks only files that
#   are in the bag; fetch.txt is outside what it claims to check.
# - windows-only/: these paths only escape on Windows; this suite runs on Linux.
# - missing-bagit.txt: not a bag at all, a usage error (exit 2), tested above.

V1_INVALID = {
    "bagit-with-invalid-whitespace": "is not a valid BagIt declaration",
    "notAllManifestsListAllFiles": "data/missingFromManifest.txt is in the bag but is not listed",
    "same-filename-listed-twice-with-different-hashes": "lists the file data/README more than once",
    "same-filename-listed-twice-with-the-same-hash": "lists the file data/README more than once",
}
V097_INVALID = {
    "invalid/baginfo-missing-encoding": "is not a valid BagIt declaration",
    "invalid/bom-in-bagit.txt": "byte-order mark",
    "invalid/corrupt-data-file": "data/bare-filename is not the file that was exported",
    "invalid/corrupt-tag-file": "has been changed since export",
    "invalid/extra-file-in-bag": "data/bar is in the bag but is not listed",
    "invalid/invalid-version-number": "is not a valid BagIt declaration",
    "invalid/missing-baginfo": "bag-info.txt is listed in the tag manifest but is missing",
    "invalid/out-of-scope-file-paths-using-dot-notation": "outside the bag's data folder",
    "invalid/same-filename-listed-twice-with-different-hashes": "more than once",
    "linux-only/out-of-scope-file-paths-using-absolute-path": "outside the bag's data folder",
    "linux-only/out-of-scope-file-paths-using-shortcut": "outside the bag's data folder",
    "linux-only/out-of-scope-file-paths-using-shortcut-username": "outside the bag's data folder",
}
V097_VALID = [
    "bag-in-a-bag",
    "bag-with-encoded-names",
    "bag-with-escapable-characters",
    "bag-with-leading-dot-slash-in-manifest",
    "bag-with-space",
    "basic-bag",
    "duplicate-metadata-entries",
    "minimal-bag",
    "uncommon-metadata-separators",
]


@pytest.fixture(scope="module")
def tool():
    return load_tool()


def bagit_problems(tool, path, version):
    if not path.is_dir():
        pytest.skip(f"the conformance suite is not at {SUITE}")
    checks, _bag = tool.check_bagit(path, testimonia=False, versions=(version,))
    return [problem for check in checks for problem in check.problems]


def test_the_conformance_suite_lists_the_bags_this_test_expects():
    if not SUITE.is_dir():
        pytest.skip(f"the conformance suite is not at {SUITE}")
    assert {p.name for p in (SUITE / "v1.0/invalid").iterdir()} == set(V1_INVALID)
    assert {p.name for p in (SUITE / "v1.0/valid").iterdir()} == {"basicBag"}


def test_verify_bundle_accepts_the_valid_v1_bag(tool):
    assert bagit_problems(tool, SUITE / "v1.0/valid/basicBag", "1.0") == []


@pytest.mark.parametrize(("name", "reason"), sorted(V1_INVALID.items()))
def test_verify_bundle_rejects_each_invalid_v1_bag_for_its_reason(tool, name, reason):
    problems = bagit_problems(tool, SUITE / "v1.0/invalid" / name, "1.0")
    assert any(reason in p for p in problems), problems


@pytest.mark.parametrize("name", V097_VALID)
def test_verify_bundle_accepts_the_valid_v097_bags_with_utf8_records(tool, name):
    assert bagit_problems(tool, SUITE / "v0.97/valid" / name, "0.97") == []


@pytest.mark.parametrize(("name", "reason"), sorted(V097_INVALID.items()))
def test_verify_bundle_rejects_each_invalid_v097_bag_for_its_reason(tool, name, reason):
    problems = bagit_problems(tool, SUITE / "v0.97" / name, "0.97")
    assert any(reason in p for p in problems), problems


def test_the_v1_checks_refuse_a_v097_bag(tool):
    problems = bagit_problems(tool, SUITE / "v0.97/valid/basic-bag", "1.0")
    assert any("declares BagIt version 0.97" in p for p in problems)


def test_a_copy_of_a_valid_bag_with_a_flipped_byte_fails_the_bagit_checks(tool, tmp_path):
    source = SUITE / "v1.0/valid/basicBag"
    if not source.is_dir():
        pytest.skip(f"the conformance suite is not at {SUITE}")
    copy = tmp_path / "basicBag"
    shutil.copytree(source, copy)
    (copy / "data/hello.txt").write_bytes(b"jello\n")
    problems = bagit_problems(tool, copy, "1.0")
    assert any("data/hello.txt is not the file that was exported" in p for p in problems)
