"""tools/verify_bundle.py: every kind of tampering with an exported bag is caught and named,
and its BagIt checks agree with the Library of Congress conformance suite."""

import ast
import base64
import hashlib
import json
import shutil
import subprocess
import sys

import bagit
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testimonia.custody.merkle import MerkleTree
from testimonia.custody.tests.local_tsa import LocalTSA
from testimonia.custody.timestamping import request_timestamp
from testimonia.evidence.export import export_bag

from .bagtools import (
    SUITE,
    TOOL,
    assert_fails_naming,
    events_of,
    load_tool,
    payload_file,
    rehash_manifests,
    verify_bundle,
    write_events,
)

pytestmark = pytest.mark.django_db


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
