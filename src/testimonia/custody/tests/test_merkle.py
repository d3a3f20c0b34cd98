"""The custody log's Merkle tree against RFC 9162 section 2.1.

Known answers come from the Certificate Transparency reference test data (Google's C++
merkle_tree_test.cc, carried on by transparency-dev/merkle): eight leaves, the root of every
prefix, and published inclusion and consistency proofs. The properties check the stored-levels
tree against the plain recursive definition (``root_of``) and the RFC's generators against its
verifiers, on random trees up to 300 leaves.
"""

import hashlib
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testimonia.custody import merkle
from testimonia.custody.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# --- Certificate Transparency reference vectors -------------------------------------------

CT_INPUTS = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index counting from 0, tree size, audit path)
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (old size, new size, consistency proof)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

CT_LEAVES = [leaf_hash(bytes.fromhex(data)) for data in CT_INPUTS]


def hexes(values):
    return [value.hex() for value in values]


def ceil_log2(n):
    return (n - 1).bit_length()


def test_leaf_and_node_hashes_carry_the_rfc_domain_prefixes():
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_the_empty_tree_has_the_hash_of_nothing_as_its_root():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_of([]) == EMPTY_ROOT
    assert MerkleTree().root() == EMPTY_ROOT
    assert MerkleTree.from_leaf_hashes(CT_LEAVES).root(0) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_certificate_transparency_reference_vectors(size):
    expected = CT_ROOTS[size - 1]
    assert root_of(CT_LEAVES[:size]).hex() == expected
    assert MerkleTree.from_leaf_hashes(CT_LEAVES[:size]).root().hex() == expected
    assert MerkleTree.from_leaf_hashes(CT_LEAVES).root(size).hex() == expected


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_proofs_match_the_certificate_transparency_reference_vectors(index, size, path):
    tree = MerkleTree.from_leaf_hashes(CT_LEAVES)
    assert hexes(tree.inclusion_proof(index, size)) == path
    proof = [bytes.fromhex(p) for p in path]
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert verify_inclusion(CT_LEAVES[index], index, size, proof, root)


@pytest.mark.parametrize(("old_size", "new_size", "path"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_certificate_transparency_reference_vectors(
    old_size, new_size, path
):
    tree = MerkleTree.from_leaf_hashes(CT_LEAVES)
    assert hexes(tree.consistency_proof(old_size, new_size)) == path
    proof = [bytes.fromhex(p) for p in path]
    old_root = bytes.fromhex(CT_ROOTS[old_size - 1])
    new_root = bytes.fromhex(CT_ROOTS[new_size - 1])
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)


# --- The tree itself -----------------------------------------------------------------------


def test_append_returns_each_new_leaf_index_and_grows_the_size():
    tree = MerkleTree()
    assert tree.size == 0
    assert [tree.append(h) for h in CT_LEAVES] == list(range(8))
    assert tree.size == 8


def test_a_leaf_hash_must_be_32_bytes():
    tree = MerkleTree()
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        root_of([b"x" * 33])
    assert tree.size == 0


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("root", (9,)),
        ("root", (-1,)),
        ("inclusion_proof", (0, 9)),
        ("inclusion_proof", (3, 3)),
        ("inclusion_proof", (-1, 3)),
        ("inclusion_proof", (0, 0)),
        ("consistency_proof", (5, 4)),
        ("consistency_proof", (-1, 4)),
        ("consistency_proof", (4, 9)),
    ],
)
def test_proofs_and_roots_refuse_sizes_and_indices_the_tree_never_had(method, args):
    tree = MerkleTree.from_leaf_hashes(CT_LEAVES)
    with pytest.raises(ValueError, match=r"is not (between|in)"):
        getattr(tree, method)(*args)


def test_consistency_from_the_empty_tree_or_to_the_same_size_needs_no_proof():
    tree = MerkleTree.from_leaf_hashes(CT_LEAVES)
    assert tree.consistency_proof(0, 8) == []
    assert tree.consistency_proof(0, 0) == []
    assert tree.consistency_proof(5, 5) == []


# --- Properties on random trees -----------------------------------------------------------


@st.composite
def trees(draw, max_size=300):
    """A tree of distinct leaves (distinct, so that a leaf proven at one index is not also,
    truthfully, at another)."""
    n = draw(st.integers(min_value=1, max_value=max_size))
    salt = draw(st.binary(max_size=8))
    leaves = [leaf_hash(salt + i.to_bytes(2, "big")) for i in range(n)]
    return leaves, MerkleTree.from_leaf_hashes(leaves)


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(leaves=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=300))
def test_tree_root_equals_the_recursive_definition_even_with_repeated_leaves(leaves):
    tree = MerkleTree()
    for h in leaves:
        tree.append(h)
    assert tree.root() == root_of(leaves)
    assert MerkleTree.from_leaf_hashes(leaves).root() == tree.root()


@FAST
@given(data=st.data(), tree_and_leaves=trees())
def test_root_of_every_past_size_equals_the_recursive_definition(data, tree_and_leaves):
    leaves, tree = tree_and_leaves
    sizes = data.draw(st.lists(st.integers(0, len(leaves)), min_size=1, max_size=8))
    for size in sizes:
        assert tree.root(size) == root_of(leaves[:size])


def test_every_inclusion_proof_of_a_small_tree_verifies_at_every_past_size():
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(48)]
    tree = MerkleTree.from_leaf_hashes(leaves)
    for size in range(1, 49):
        root = root_of(leaves[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert len(proof) <= ceil_log2(size)
            assert verify_inclusion(leaves[index], index, size, proof, root)


def test_every_consistency_proof_of_a_small_tree_verifies_between_all_sizes():
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(48)]
    tree = MerkleTree.from_leaf_hashes(leaves)
    roots = [root_of(leaves[:size]) for size in range(49)]
    for new_size in range(49):
        for old_size in range(new_size + 1):
            proof = tree.consistency_proof(old_size, new_size)
            assert len(proof) <= ceil_log2(new_size) + 1
            assert verify_consistency(old_size, new_size, roots[old_size], roots[new_size], proof)


@FAST
@given(data=st.data(), tree_and_leaves=trees())
def test_inclusion_proofs_of_a_random_tree_verify_for_every_index_and_past_size(
    data, tree_and_leaves
):
    leaves, tree = tree_and_leaves
    n = len(leaves)
    root = tree.root()
    for index in range(n):
        proof = tree.inclusion_proof(index, n)
        assert len(proof) <= ceil_log2(n)
        assert verify_inclusion(leaves[index], index, n, proof, root)
    index = data.draw(st.integers(0, n - 1), label="index")
    for size in range(index + 1, n + 1):
        proof = tree.inclusion_proof(index, size)
        assert len(proof) <= ceil_log2(size)
        assert verify_inclusion(leaves[index], index, size, proof, tree.root(size))


@FAST
@given(data=st.data(), tree_and_leaves=trees())
def test_consistency_proofs_of_a_random_tree_verify_between_past_sizes(data, tree_and_leaves):
    leaves, tree = tree_and_leaves
    n = len(leaves)
    new_size = data.draw(st.integers(0, n), label="new_size")
    for old_size in range(new_size + 1):
        proof = tree.consistency_proof(old_size, new_size)
        assert len(proof) <= ceil_log2(new_size) + 1
        assert verify_consistency(
            old_size, new_size, tree.root(old_size), tree.root(new_size), proof
        )
    old_size = data.draw(st.integers(0, n), label="old_size")
    for size in range(old_size, n + 1):
        proof = tree.consistency_proof(old_size, size)
        assert verify_consistency(old_size, size, tree.root(old_size), tree.root(size), proof)


def others(values, excluded):
    return [value for value in values if value != excluded]


def tampered_proofs(draw, proof):
    """Each way of damaging a proof: a flipped byte, a dropped element, an added one."""
    damaged = []
    if proof:
        at = draw(st.integers(0, len(proof) - 1), label="element")
        byte = draw(st.integers(0, 31), label="byte")
        mask = draw(st.integers(1, 255), label="mask")
        flipped = bytearray(proof[at])
        flipped[byte] ^= mask
        damaged.append([*proof[:at], bytes(flipped), *proof[at + 1 :]])
        damaged.append(proof[:at] + proof[at + 1 :])
    extra = draw(st.binary(min_size=32, max_size=32), label="extra")
    where = draw(st.integers(0, len(proof)), label="insert at")
    damaged.append([*proof[:where], extra, *proof[where:]])
    return damaged


@settings(max_examples=150, deadline=None)
@given(data=st.data(), tree_and_leaves=trees(max_size=130))
def test_any_damage_to_an_inclusion_proof_or_its_claim_fails_verification(data, tree_and_leaves):
    leaves, tree = tree_and_leaves
    n = len(leaves)
    size = data.draw(st.integers(1, n), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = tree.inclusion_proof(index, size)
    root = tree.root(size)
    assert verify_inclusion(leaves[index], index, size, proof, root)

    for damaged in tampered_proofs(data.draw, proof):
        assert not verify_inclusion(leaves[index], index, size, damaged, root)

    other_index = data.draw(st.sampled_from(others(range(n + 1), index)), label="other index")
    assert not verify_inclusion(leaves[index], other_index, size, proof, root)
    other_leaf = leaves[(index + 1) % n] if n > 1 else leaf_hash(b"other")
    assert not verify_inclusion(other_leaf, index, size, proof, root)
    other_root = data.draw(st.binary(min_size=32, max_size=32), label="other root")
    assert not verify_inclusion(leaves[index], index, size, proof, other_root)
    # Another size, against that size's true root: the head a verifier would actually hold.
    if n > 1:
        other_size = data.draw(st.sampled_from(others(range(1, n + 1), size)), label="other size")
        assert not verify_inclusion(leaves[index], index, other_size, proof, tree.root(other_size))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), tree_and_leaves=trees(max_size=130))
def test_any_damage_to_a_consistency_proof_or_its_claim_fails_verification(data, tree_and_leaves):
    leaves, tree = tree_and_leaves
    n = len(leaves)
    new_size = data.draw(st.integers(1, n), label="new size")
    old_size = data.draw(st.integers(1, new_size), label="old size")
    proof = tree.consistency_proof(old_size, new_size)
    old_root, new_root = tree.root(old_size), tree.root(new_size)
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)

    for damaged in tampered_proofs(data.draw, proof):
        assert not verify_consistency(old_size, new_size, old_root, new_root, damaged)

    wrong = data.draw(st.binary(min_size=32, max_size=32), label="wrong root")
    assert not verify_consistency(old_size, new_size, wrong, new_root, proof)
    assert not verify_consistency(old_size, new_size, old_root, wrong, proof)
    if old_size != new_size:
        assert not verify_consistency(old_size, new_size, new_root, old_root, proof)
    # Other sizes, each with its true root.
    # (Size 0 is excluded while the proof is empty: every tree truly extends the empty one.)
    old_sizes = others(range(0 if proof else 1, new_size + 1), old_size)
    if old_sizes:
        other_old = data.draw(st.sampled_from(old_sizes), label="old'")
        assert not verify_consistency(other_old, new_size, tree.root(other_old), new_root, proof)
    other_new = data.draw(st.sampled_from(others(range(old_size, n + 2), new_size)), label="new'")
    other_new_root = tree.root(other_new) if other_new <= n else wrong
    assert not verify_consistency(old_size, other_new, old_root, other_new_root, proof)


def test_an_inclusion_proof_alone_does_not_pin_the_tree_size():
    """The audit path of leaf 0 in a 3-leaf tree also fits a 4-leaf tree with the same root:
    the RFC's proofs bind leaf, index and root, and the size comes from a signed tree head.
    Callers must take (size, root) together from a checkpoint, never the size from a client."""
    tree = MerkleTree.from_leaf_hashes(CT_LEAVES)
    proof = tree.inclusion_proof(0, 3)
    assert verify_inclusion(CT_LEAVES[0], 0, 4, proof, tree.root(3))
    assert not verify_inclusion(CT_LEAVES[0], 0, 4, proof, tree.root(4))


# --- Edge cases and malformed input ---------------------------------------------------------


def test_consistency_edge_cases_follow_the_documented_rules():
    tree = MerkleTree.from_leaf_hashes(CT_LEAVES)
    r5, r8 = tree.root(5), tree.root(8)
    # Same size: empty proof and equal roots.
    assert verify_consistency(5, 5, r5, r5, [])
    assert not verify_consistency(5, 5, r5, r8, [])
    assert not verify_consistency(5, 5, r5, r5, [r5])
    # From the empty tree: trivially true with an empty proof and the empty root.
    assert verify_consistency(0, 8, EMPTY_ROOT, r8, [])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, r8, [r8])
    assert not verify_consistency(0, 8, r5, r8, [])
    assert not verify_consistency(0, 0, r5, r5, [])
    # Backwards, or a missing proof between different sizes.
    assert not verify_consistency(8, 5, r8, r5, tree.consistency_proof(5, 8))
    assert not verify_consistency(5, 8, r5, r8, [])


def test_inclusion_in_an_empty_tree_or_past_the_end_fails():
    tree = MerkleTree.from_leaf_hashes(CT_LEAVES)
    assert not verify_inclusion(CT_LEAVES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(CT_LEAVES[7], 8, 8, tree.inclusion_proof(7, 8), tree.root())
    assert verify_inclusion(CT_LEAVES[0], 0, 1, [], CT_LEAVES[0])


GOOD_HASH = CT_LEAVES[0]


@pytest.mark.parametrize(
    "args",
    [
        (b"", 0, 1, [], GOOD_HASH),  # leaf hash too short
        (GOOD_HASH, 0, 1, [], b"x" * 31),  # root too short
        (GOOD_HASH + b"\x00", 0, 1, [], GOOD_HASH + b"\x00"),  # both too long
        (GOOD_HASH, -1, 1, [], GOOD_HASH),  # negative index
        (GOOD_HASH, 0, -1, [], GOOD_HASH),  # negative size
        (GOOD_HASH, 0, 2**64, [GOOD_HASH] * 64, GOOD_HASH),  # size beyond uint64
        (GOOD_HASH, True, 2, [GOOD_HASH], GOOD_HASH),  # bool is not an index
        (GOOD_HASH, 0, 1.0, [], GOOD_HASH),  # float size
        (GOOD_HASH, 0, 2, [b"x"], GOOD_HASH),  # short proof element
        (GOOD_HASH, 0, 2, [GOOD_HASH.hex()], GOOD_HASH),  # hex string element
        (GOOD_HASH, 0, 2, GOOD_HASH, GOOD_HASH),  # bytes instead of a list
        (GOOD_HASH, 0, 2, None, GOOD_HASH),  # no proof at all
        (GOOD_HASH.hex(), 0, 1, [], GOOD_HASH.hex()),  # hex strings for hashes
    ],
)
def test_verify_inclusion_returns_false_for_malformed_input(args):
    assert verify_inclusion(*args) is False


@pytest.mark.parametrize(
    "args",
    [
        (1, 2, GOOD_HASH, b"short", [GOOD_HASH]),
        (1, 2, b"", GOOD_HASH, [GOOD_HASH]),
        (-1, 2, GOOD_HASH, GOOD_HASH, []),
        (2, 1, GOOD_HASH, GOOD_HASH, []),
        (1, 2**64, GOOD_HASH, GOOD_HASH, [GOOD_HASH] * 64),
        (False, 2, EMPTY_ROOT, GOOD_HASH, []),
        (1, 2, GOOD_HASH, GOOD_HASH, [b"\x00" * 16]),
        (1, 2, GOOD_HASH, GOOD_HASH, None),
        (1, 2, GOOD_HASH, GOOD_HASH, GOOD_HASH),
        (1, 2, GOOD_HASH, GOOD_HASH, [GOOD_HASH] * 200),
        ("1", "2", GOOD_HASH, GOOD_HASH, [GOOD_HASH]),
    ],
)
def test_verify_consistency_returns_false_for_malformed_input(args):
    assert verify_consistency(*args) is False


ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from([GOOD_HASH, EMPTY_ROOT, CT_LEAVES[1]]),
)
PROOFS = st.one_of(
    ANYTHING,
    st.lists(ANYTHING, max_size=70),
    st.lists(st.sampled_from([GOOD_HASH, EMPTY_ROOT, b"", b"x" * 33]), max_size=70),
    st.tuples(st.binary(min_size=32, max_size=32)),
)


@settings(max_examples=300, deadline=None)
@given(leaf=ANYTHING, index=ANYTHING, size=ANYTHING, proof=PROOFS, root=ANYTHING)
def test_verify_inclusion_never_raises_on_arbitrary_input(leaf, index, size, proof, root):
    assert verify_inclusion(leaf, index, size, proof, root) in (True, False)


@settings(max_examples=300, deadline=None)
@given(old=ANYTHING, new=ANYTHING, old_root=ANYTHING, new_root=ANYTHING, proof=PROOFS)
def test_verify_consistency_never_raises_on_arbitrary_input(old, new, old_root, new_root, proof):
    assert verify_consistency(old, new, old_root, new_root, proof) in (True, False)


# --- Cost on a large tree (hash counts, not timings) ---------------------------------------


def test_proofs_and_past_roots_of_a_large_tree_cost_logarithmically_many_hashes(monkeypatch):
    n = 2**17 + 3
    tree = MerkleTree.from_leaf_hashes(i.to_bytes(32, "big") for i in range(n))
    calls = 0
    real_node_hash = merkle.node_hash

    def counting_node_hash(left, right):
        nonlocal calls
        calls += 1
        return real_node_hash(left, right)

    monkeypatch.setattr(merkle, "node_hash", counting_node_hash)
    budget = 4 * math.log2(n)

    def cost(operation, *args):
        nonlocal calls
        calls = 0
        result = operation(*args)
        assert calls <= budget, f"{operation.__name__}{args} used {calls} node hashes"
        return result

    sizes = [n, n - 1, 2**17 + 1, 2**17, 2**17 - 1, 99_999, 3]
    for size in sizes:
        root = cost(tree.root, size)
        for index in {0, 1, size // 2, size - 2, size - 1}:
            proof = cost(tree.inclusion_proof, index, size)
            leaf = index.to_bytes(32, "big")
            assert cost(verify_inclusion, leaf, index, size, proof, root)
        for old_size in {1, 2, size // 3, size - 1, size}:
            proof = cost(tree.consistency_proof, old_size, size)
            old_root = cost(tree.root, old_size)
            assert cost(verify_consistency, old_size, size, old_root, root, proof)
