"""The custody log: appends, checkpoints, and tamper detection that names the damage."""

import base64
import json

import pytest

from testimonia.custody.merkle import verify_inclusion
from testimonia.custody.models import Checkpoint, LogEntry, LogHead
from testimonia.custody.services import append_event, sign_checkpoint, tree_of, verify_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(workspace, investigator):
    for i in range(6):
        append_event(
            workspace,
            actor=investigator,
            action="ingest",
            object_digest="sha256:" + f"{i:064x}",
            subject=f"item:{i}",
        )
    sign_checkpoint(workspace)
    return workspace


def problems_of(workspace):
    _count, problems = verify_log(workspace)
    return [str(p) for p in problems]


def test_events_get_consecutive_numbers_and_chain_to_the_previous_one(log):
    entries = list(LogEntry.objects.filter(workspace=log).order_by("seq"))
    assert [e.seq for e in entries] == list(range(6))
    payloads = [json.loads(e.payload) for e in entries]
    assert payloads[0]["prev"] == ""
    for before, after in zip(entries, payloads[1:], strict=False):
        assert after["prev"] == before.leaf_hash
    assert payloads[3]["actor"].startswith("investigator#")
    assert LogHead.objects.get(workspace=log).size == 6


def test_an_intact_log_verifies(log):
    assert problems_of(log) == []


def test_each_event_has_an_inclusion_proof_against_the_signed_root(log):
    checkpoint = Checkpoint.objects.get(workspace=log)
    tree = tree_of(log)
    for entry in LogEntry.objects.filter(workspace=log):
        proof = tree.inclusion_proof(entry.seq, checkpoint.tree_size)
        assert verify_inclusion(
            bytes.fromhex(entry.leaf_hash),
            entry.seq,
            checkpoint.tree_size,
            proof,
            bytes.fromhex(checkpoint.root_hash),
        )


def test_checkpoint_signs_the_size_and_root_in_a_readable_note(log):
    checkpoint = Checkpoint.objects.get(workspace=log)
    lines = checkpoint.note.splitlines()
    assert lines[0] == f"testimonia.custody/{log.slug}"
    assert lines[1] == "6"
    assert base64.b64decode(lines[2]).hex() == checkpoint.root_hash


def test_an_edited_event_is_named(log):
    entry = LogEntry.objects.get(workspace=log, seq=2)
    LogEntry.objects.filter(pk=entry.pk).update(
        payload=entry.payload.replace('"item:2"', '"item:99"')
    )
    problems = problems_of(log)
    assert any("entry 2: its content does not match its recorded hash" in p for p in problems)


def test_an_event_edited_together_with_its_hash_breaks_the_chain_and_the_signed_root(log):
    from testimonia.custody.merkle import leaf_hash

    entry = LogEntry.objects.get(workspace=log, seq=2)
    forged = entry.payload.replace('"item:2"', '"item:99"')
    LogEntry.objects.filter(pk=entry.pk).update(
        payload=forged, leaf_hash=leaf_hash(forged.encode()).hex()
    )
    problems = problems_of(log)
    assert any("entry 3: it does not follow the entry before it" in p for p in problems)
    assert any("no longer has the root it signed" in p for p in problems)


def test_a_deleted_event_is_named(log):
    LogEntry.objects.filter(workspace=log, seq=3).delete()
    problems = problems_of(log)
    assert any("entry 4: out of sequence: expected entry 3" in p for p in problems)
    assert any("log head" in p for p in problems)


def test_reordered_events_are_named(log):
    a = LogEntry.objects.get(workspace=log, seq=1)
    b = LogEntry.objects.get(workspace=log, seq=4)
    LogEntry.objects.filter(pk=a.pk).update(seq=100)
    LogEntry.objects.filter(pk=b.pk).update(seq=1)
    LogEntry.objects.filter(pk=a.pk).update(seq=4)
    problems = problems_of(log)
    assert any("entry 1: its content says it is entry 4 (moved)" in p for p in problems)
    assert any("entry 4: its content says it is entry 1 (moved)" in p for p in problems)


def test_an_inserted_event_is_named(log, investigator):
    last = LogEntry.objects.filter(workspace=log).order_by("-seq").first()
    LogEntry.objects.create(
        workspace=log,
        seq=6,
        action="ingest",
        payload=last.payload,
        leaf_hash=last.leaf_hash,
        recorded_at=last.recorded_at,
    )
    problems = problems_of(log)
    assert any("entry 6: its content says it is entry 5 (moved)" in p for p in problems)


def test_a_truncated_log_is_caught_by_its_checkpoint(log):
    LogEntry.objects.filter(workspace=log, seq__gte=4).delete()
    LogHead.objects.filter(workspace=log).update(size=4)
    problems = problems_of(log)
    assert any("covers 6 entries but the log has only 4" in p for p in problems)


def test_an_edited_checkpoint_is_named(log):
    Checkpoint.objects.filter(workspace=log).update(root_hash="00" * 32)
    problems = problems_of(log)
    assert any("its signed text does not match its fields" in p for p in problems)


def test_a_forged_signature_is_named(log):
    cp = Checkpoint.objects.get(workspace=log)
    sig = bytearray(base64.b64decode(cp.signature))
    sig[0] ^= 1
    Checkpoint.objects.filter(pk=cp.pk).update(signature=base64.b64encode(sig).decode())
    assert any("signature is not valid" in p for p in problems_of(log))


def test_logs_of_workspaces_are_separate(log, other_workspace):
    append_event(other_workspace, actor=None, action="ingest")
    assert LogEntry.objects.get(workspace=other_workspace).seq == 0
    assert problems_of(other_workspace) == []


def test_signing_over_a_log_with_missing_entries_is_refused_with_a_reason(log):
    from testimonia.custody.services import CustodyDamaged, forget_trees

    LogEntry.objects.filter(workspace=log, seq=2).delete()
    forget_trees()  # a process that did not see the log before the damage
    with pytest.raises(CustodyDamaged, match="has 2 entries where 6 were recorded"):
        sign_checkpoint(log)


def test_a_missing_signing_key_is_reported_not_replaced(log, settings):
    from testimonia.custody.keys import key_path

    key_path(settings.TESTIMONIA_HOME).unlink()
    problems = problems_of(log)
    assert any("signing key is missing" in p for p in problems)
    assert not key_path(settings.TESTIMONIA_HOME).exists()


def test_a_cached_tree_never_signs_events_of_a_rolled_back_transaction(log):
    from django.db import transaction

    from testimonia.custody.merkle import root_of

    class Abort(Exception):
        pass

    def export_that_fails():
        with transaction.atomic():
            append_event(log, actor=None, action="export", subject="item:1")
            tree_of(log)  # the process now caches a leaf that is about to vanish
            raise Abort

    with pytest.raises(Abort):
        export_that_fails()
    append_event(log, actor=None, action="download", subject="item:2")
    checkpoint = sign_checkpoint(log)
    leaves = [
        bytes.fromhex(h)
        for h in LogEntry.objects.filter(workspace=log)
        .order_by("seq")
        .values_list("leaf_hash", flat=True)
    ]
    assert checkpoint.root_hash == root_of(leaves).hex()
    assert problems_of(log) == []


def test_the_tree_grows_with_the_log_without_rereading_it(log, django_assert_max_num_queries):
    tree_of(log)
    append_event(log, actor=None, action="download", subject="item:3")
    with django_assert_max_num_queries(2):  # the last known leaf, then only the new rows
        tree = tree_of(log)
    assert tree.size == 7
