"""RFC 3161 trusted timestamps of custody checkpoints, from a Time-Stamping Authority (TSA).

A timestamp proves that a checkpoint (and so every event it covers) existed at a moment, by the
word of a third party: an operator cannot later back-date a rewritten log. Requests, responses
and signature checks use `rfc3161-client` (Trail of Bits, used by sigstore); this module only
sends the request and turns the outcome into plain values.
"""

from __future__ import annotations

import hashlib
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

MAX_RESPONSE_BYTES = 1024 * 1024
TIMEOUT_S = 20


class TimestampError(Exception):
    """The TSA could not be used; the message says why (never a secret)."""


@dataclass(frozen=True)
class Stamp:
    response: bytes  # the DER TimeStampResp, kept whole so anyone can re-verify it
    gen_time: datetime


def request_timestamp(data: bytes, url: str) -> Stamp:
    """Ask the TSA at `url` to timestamp SHA-256(data); check the answer covers exactly that."""
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise TimestampError(f"TSA URL must be http or https, not {scheme or 'empty'}")
    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)  # the library's default is SHA-512
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    http = urllib.request.Request(  # noqa: S310 (scheme checked above; URL set by the admin)
        url,
        data=request.as_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http, timeout=TIMEOUT_S) as answer:  # noqa: S310
            body = answer.read(MAX_RESPONSE_BYTES + 1)
    except OSError as exc:
        raise TimestampError(f"the TSA did not answer: {exc}") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise TimestampError("the TSA's answer is too large to be a timestamp")
    try:
        response = decode_timestamp_response(body)
    except ValueError as exc:
        raise TimestampError("the TSA's answer is not a timestamp response") from exc
    if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampError(f"the TSA refused: status {response.status}")
    if response.tst_info.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampError("the TSA timestamped something else than what was asked")
    if response.tst_info.nonce != request.nonce:
        raise TimestampError("the TSA's answer does not carry our request's nonce (replayed?)")
    return Stamp(response=body, gen_time=response.tst_info.gen_time)


def load_roots(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def check_timestamp(
    response: bytes, data: bytes, roots: list[x509.Certificate] | None
) -> tuple[datetime | None, str | None]:
    """(time, None) when the stored response timestamps SHA-256(data) and, with `roots`, is
    signed by a TSA that chains to them; (time or None, problem) otherwise."""
    try:
        decoded = decode_timestamp_response(response)
    except ValueError:
        return None, "its timestamp is not a readable RFC 3161 response"
    gen_time = decoded.tst_info.gen_time
    if decoded.tst_info.message_imprint.message != hashlib.sha256(data).digest():
        return gen_time, "its timestamp is for other content (the checkpoint was changed)"
    if not roots:
        return gen_time, None
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify_message(decoded, data)
    except (VerificationError, ValueError) as exc:
        return gen_time, f"its timestamp's signature does not check out ({exc})"
    return gen_time, None
