import base64

import pytest

from testimonia.custody.merkle import verify_consistency, verify_inclusion
from testimonia.custody.proofs import ProofError, consistency, inclusion
from testimonia.custody.services import append_event, sign_checkpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(workspace):
    for i in range(5):
        append_event(workspace, actor=None, action="ingest", subject=f"item:{i}")
    sign_checkpoint(workspace)
    for i in range(5, 12):
        append_event(workspace, actor=None, action="view", subject=f"item:{i % 5}")
    sign_checkpoint(workspace)
    return workspace


def test_an_inclusion_proof_verifies_against_the_signed_root(log):
    doc = inclusion(log, 3)
    assert doc["checkpoint"]["tree_size"] == 12
    assert verify_inclusion(
        bytes.fromhex(doc["leaf_hash"]),
        3,
        12,
        [bytes.fromhex(p) for p in doc["proof"]],
        bytes.fromhex(doc["checkpoint"]["root_hash"]),
    )
    root_in_note = base64.b64decode(doc["checkpoint"]["note"].splitlines()[2]).hex()
    assert root_in_note == doc["checkpoint"]["root_hash"]


def test_a_consistency_proof_shows_the_later_log_extends_the_earlier(log):
    doc = consistency(log, 5, 12)
    assert verify_consistency(
        5,
        12,
        bytes.fromhex(doc["old"]["root_hash"]),
        bytes.fromhex(doc["new"]["root_hash"]),
        [bytes.fromhex(p) for p in doc["proof"]],
    )


def test_proofs_that_cannot_be_made_say_why(log, workspace):
    with pytest.raises(ProofError, match="has no event 99"):
        inclusion(log, 99)
    append_event(workspace, actor=None, action="view")
    with pytest.raises(ProofError, match="no signed checkpoint covers event 12"):
        inclusion(log, 12)
    with pytest.raises(ProofError, match="sizes of signed checkpoints"):
        consistency(log, 4, 12)
    with pytest.raises(ProofError, match="not larger than"):
        consistency(log, 12, 5)
