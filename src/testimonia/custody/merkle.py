"""The Merkle tree of the chain-of-custody log, as RFC 9162 section 2.1 defines it.

RFC 9162 (Certificate Transparency version 2.0) section 2.1 defines the Merkle Tree Hash (MTH)
of an ordered list of entries, the inclusion proof that an entry is in a tree (PATH, 2.1.3) and
the consistency proof that a later tree extends an earlier one (PROOF/SUBPROOF, 2.1.4), with an
iterative verification algorithm for each. This module is those definitions and nothing else:
SHA-256, leaf hashes ``SHA-256(0x00 || entry)``, interior hashes ``SHA-256(0x01 || left ||
right)``, and the empty tree's hash ``SHA-256("")``. Proofs are plain lists of 32-byte hashes in
the RFC's order, so any RFC 9162 / RFC 6962 verifier (the Certificate Transparency and
transparency-dev code, Sigsum, and others) can check the proofs this log hands out.

Why hand-written: of the ~130 packages on PyPI whose name or summary mentions Merkle trees, the
established one with consistency proofs is pymerkle. We read its source (6.1.0; 7.0.0 is out):
its leaf and node hashes use the 0x00/0x01 prefixes, but its proofs are its own ``MerkleProof``
objects (``rule``/``subset`` bit lists beside the path, 1-based leaf indices, failure by
exception) rather than RFC 9162 audit paths, it ships no type information, and it brings a
dependency (cachetools). The older general packages (merkle, merkletools, merklelib) have not
been released since 2017-2019; the recent ones that name RFC 6962 or 9162 are applications
(agent audit logs, evidence bundles) that embed a tree rather than offer one as a library. The
algorithms are short; owning them, tested against the Certificate Transparency reference
vectors, is the safer choice for evidence that must stand up in court.

Leaves are hashes. ``root_of`` and ``MerkleTree`` take *leaf hashes* (already computed with
``leaf_hash``), never raw entries, so that the log can store one 32-byte hash per entry and
rebuild its tree without re-reading every payload.

This module must stay free of Django: it is the math the rest of the custody app relies on, and
it is tested directly and by property tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
"""Length in bytes of every hash here (SHA-256, the RFC 9162 default)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = HASH(): the root of the empty tree (RFC 9162 section 2.1.1)."""

_MAX_TREE_SIZE = 2**64 - 1
"""RFC 9162 carries tree sizes and leaf indices as uint64; anything larger is malformed."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one log entry: MTH({d}) = HASH(0x00 || d) (RFC 9162 section 2.1.1)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: HASH(0x01 || left || right) (RFC 9162 section 2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (the RFC's ``k``); requires ``n > 1``."""
    return 1 << ((n - 1).bit_length() - 1)


def _require_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a list of *leaf hashes*, by the RFC's recursive definition.

    RFC 9162 section 2.1.1: MTH({}) = HASH(); MTH({d(0)}) = HASH(0x00 || d(0)); for n > 1, with
    k the largest power of two smaller than n, MTH(D_n) = HASH(0x01 || MTH(D[0:k]) ||
    MTH(D[k:n])). Callers pass the leaf hashes, ``leaf_hash(d(i))``, not the entries.

    This is the plain reference implementation, O(n) hashes: the oracle that ``MerkleTree``
    is tested against. Use ``MerkleTree`` for a log.
    """
    for value in leaf_hashes:
        _require_hash(value, "a leaf hash")
    if not leaf_hashes:
        return EMPTY_ROOT
    return _mth(leaf_hashes)


def _mth(leaves: Sequence[bytes]) -> bytes:
    n = len(leaves)
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


class MerkleTree:
    """An append-only RFC 9162 Merkle tree over leaf hashes, with proofs against any past size.

    The tree stores its perfect subtrees: ``levels[h][j]`` is the hash of the 2**h leaves that
    start at leaf ``j * 2**h``, kept for every such subtree that is complete. ``append`` adds
    a leaf and the subtrees it completes (amortised O(1) hashes). Every range the RFC's
    recursion visits splits into a perfect left part, which is stored, and a right part that
    recurses, so the root of any past size and each proof cost O(log n) hashes.
    """

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Iterable[bytes]) -> MerkleTree:
        """A tree holding these leaf hashes, in order (each from ``leaf_hash``)."""
        tree = cls()
        for value in leaf_hashes:
            tree.append(value)
        return tree

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index`` (0-based); IndexError outside the tree."""
        if not 0 <= index < self.size:
            raise IndexError(index)
        return self._levels[0][index]

    def append(self, leaf_hash: bytes) -> int:
        """Add a leaf hash at the end of the log; return its index.

        Raises ValueError unless it is 32 bytes.
        """
        _require_hash(leaf_hash, "a leaf hash")
        levels = self._levels
        levels[0].append(leaf_hash)
        height = 0
        # The new leaf completes a perfect subtree at each level where the count is now even.
        while len(levels[height]) % 2 == 0:
            if height + 1 == len(levels):
                levels.append([])
            below = levels[height]
            levels[height + 1].append(node_hash(below[-2], below[-1]))
            height += 1
        return self.size - 1

    def root(self, size: int | None = None) -> bytes:
        """The Merkle Tree Hash of the first ``size`` leaves (default: all of them).

        ``size`` may be any past size from 0 (the empty tree, ``EMPTY_ROOT``) to ``self.size``;
        ValueError otherwise.
        """
        size = self.size if size is None else size
        self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves.

        RFC 9162 section 2.1.3.1: PATH(0, {d(0)}) = {}; for n > 1 and k the largest power of
        two smaller than n, PATH(m, D_n) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k, else
        PATH(m - k, D[k:n]) : MTH(D[0:k]). The sibling nearest the leaf comes first.

        Requires ``0 <= index < size <= self.size``; ValueError otherwise.
        """
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is not in a tree of size {size}")
        # Walk from the root down to the leaf, collecting siblings; the RFC lists them upward.
        siblings: list[bytes] = []
        start, end, m = 0, size, index
        while end - start > 1:
            k = _split(end - start)
            if m < k:
                siblings.append(self._subtree(start + k, end))
                end = start + k
            else:
                siblings.append(self._subtree(start, start + k))
                start, m = start + k, m - k
        siblings.reverse()
        return siblings

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The proof that the tree of ``new_size`` leaves extends the one of ``old_size``.

        RFC 9162 section 2.1.4.1: PROOF(m, D_n) = SUBPROOF(m, D_n, true), where
        SUBPROOF(m, D_m, true) = {}, SUBPROOF(m, D_m, false) = {MTH(D_m)}, and for m < n with
        k the largest power of two smaller than n, SUBPROOF(m, D_n, b) =
        SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if m <= k, else
        SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).

        The RFC defines PROOF for 0 < m < n. For ``old_size == new_size`` and for
        ``old_size == 0`` the proof is empty: a tree is consistent with itself, and every tree
        extends the empty one (see ``verify_consistency``). Requires
        ``0 <= old_size <= new_size <= self.size``; ValueError otherwise.
        """
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old size {old_size} is not between 0 and new size {new_size}")
        if old_size in (0, new_size):
            return []
        nodes: list[bytes] = []
        start, end, m, whole = 0, new_size, old_size, True
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                nodes.append(self._subtree(start + k, end))
                end = start + k
            else:
                nodes.append(self._subtree(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            nodes.append(self._subtree(start, end))
        nodes.reverse()
        return nodes

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is not between 0 and the tree's size {self.size}")

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for ``0 <= start < end <= size``.

        A perfect, aligned range is one stored hash. Otherwise the RFC splits it at k, the
        largest power of two below its width; the ranges its recursions visit start at a
        multiple of that k, so the left half is a stored perfect subtree and only the right
        half recurses: O(log width) hashes.
        """
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:
            return self._levels[width.bit_length() - 1][start // width]
        k = _split(width)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    # bool is an int subclass; True is not a leaf index.
    return type(value) is int and 0 <= value <= _MAX_TREE_SIZE


def _hash_list(proof: object) -> list[bytes] | None:
    """The proof as a list of 32-byte hashes, or None if it is not one."""
    if not isinstance(proof, Sequence) or isinstance(proof, (bytes, bytearray, str)):
        return None
    path = list(proof)
    if not all(_is_hash(value) for value in path):
        return None
    return path


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows that ``leaf_hash`` is leaf ``index`` of the tree ``(size, root)``.

    RFC 9162 section 2.1.3.2, step by step. Returns False, never raises, for any malformed
    input: hashes that are not 32 bytes, an index or size that is not a uint64, an index not
    below the size, a proof too long or too short.

    The proof binds the leaf and its index to ``root``; it does not on its own pin ``size``
    (the same path can fit another size with the same root). Check it against a tree head
    whose size and root are signed together.
    """
    path = _hash_list(proof)
    if path is None or not (_is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not (_is_count(index) and _is_count(size)):
        return False
    # 1. If leaf_index is greater than or equal to tree_size, fail.
    if index >= size:
        return False
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = index, size - 1
    # 3. Set r to hash.
    r = leaf_hash
    # 4. For each value p in the inclusion_path array:
    for p in path:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # 1. Set r to HASH(0x01 || p || r).
            r = node_hash(p, r)
            # 2. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn)
            #    is set or fn is 0.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        # Otherwise: set r to HASH(0x01 || r || p).
        else:
            r = node_hash(r, p)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Compare sn to 0; compare r against the root_hash.
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows that tree ``(new_size, new_root)`` extends ``(old_size, old_root)``.

    RFC 9162 section 2.1.4.2, step by step, for 0 < old_size < new_size. The cases the RFC
    leaves to the caller:

    - ``old_size == new_size``: consistent exactly when the proof is empty and the roots equal.
    - ``old_size == 0``: every tree extends the empty tree, so the proof must be empty; and
      ``old_root`` must be the empty tree's root, ``EMPTY_ROOT`` (a size-0 tree head with any
      other root is false).

    Returns False, never raises, for any malformed input: hashes that are not 32 bytes, sizes
    that are not uint64s, ``old_size > new_size``, a proof too long or too short.
    """
    path = _hash_list(proof)
    if path is None or not (_is_hash(old_root) and _is_hash(new_root)):
        return False
    if not (_is_count(old_size) and _is_count(new_size)) or old_size > new_size:
        return False
    if old_size == 0 and old_root != EMPTY_ROOT:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if old_size == 0:
        return not path
    first, second, first_hash, second_hash = old_size, new_size, old_root, new_root
    # 1. If consistency_path is an empty array, stop and fail.
    if not path:
        return False
    # 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, stop the iteration and fail.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # 1. Set fr to HASH(0x01 || c || fr).  2. Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # 3. If LSB(fn) is not set, right-shift both fn and sn equally until either
            #    LSB(fn) is set or fn is 0.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        # Otherwise: set sr to HASH(0x01 || sr || c).
        else:
            sr = node_hash(sr, c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. Verify that fr equals first_hash, sr equals second_hash, and sn is 0.
    return fr == first_hash and sr == second_hash and sn == 0
