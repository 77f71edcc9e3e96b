"""Standard Webhooks request signatures (SPEC §1)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from signals_common.errors import AuthenticationFailedError

PRODUCER_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")
MESSAGE_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
TIMESTAMP_PATTERN = re.compile(r"[0-9]{1,12}")
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format marker, not a secret
MAX_SIGNATURE_HEADER_CHARS = 4096
MAX_SIGNATURE_ENTRIES = 16

# Used when the producer is unknown, so that the answer takes as long as a wrong signature.
_DECOY_KEY = b"\x00" * 32


@dataclass(frozen=True)
class SignedRequest:
    producer_id: str
    message_id: str
    timestamp: int


def decode_secret(secret: str) -> bytes | None:
    """The HMAC key of a `whsec_` secret, or None when it is not of that form."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if 24 <= len(key) <= 64 else None


def sign(key: bytes, message_id: str, timestamp: int, content: bytes) -> str:
    """The `v1,<base64>` signature entry of one message."""
    signed = f"{message_id}.{timestamp}.".encode() + content
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def request_target(method: str, raw_path: str, raw_query: str) -> bytes:
    """What GET requests sign instead of a body: `GET <path>[?<raw query>]`."""
    target = f"{method.upper()} {raw_path}"
    if raw_query:
        target += f"?{raw_query}"
    return target.encode()


def _signature_entries(header: str) -> list[bytes]:
    entries = []
    for entry in header.split(" ")[:MAX_SIGNATURE_ENTRIES]:
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            entries.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return entries


def verify(
    headers: Mapping[str, str],
    content: bytes,
    secrets_of: Callable[[str], Sequence[str] | None],
    now: float,
    tolerance_seconds: int,
) -> SignedRequest:
    """Check a request's signature headers; raise AuthenticationFailedError when they fail.

    `headers` must have lower-case names. `secrets_of` returns a producer's secrets, or
    None for an unknown producer, which fails exactly like a bad signature.
    """
    producer_id = headers.get("x-producer-id")
    message_id = headers.get("webhook-id")
    timestamp_text = headers.get("webhook-timestamp")
    signature_header = headers.get("webhook-signature")
    if not (producer_id and message_id and timestamp_text and signature_header):
        raise AuthenticationFailedError("Missing or malformed signature headers.")
    if (
        not PRODUCER_ID_PATTERN.fullmatch(producer_id)
        or not MESSAGE_ID_PATTERN.fullmatch(message_id)
        or not TIMESTAMP_PATTERN.fullmatch(timestamp_text)
        or len(signature_header) > MAX_SIGNATURE_HEADER_CHARS
    ):
        raise AuthenticationFailedError("Missing or malformed signature headers.")
    timestamp = int(timestamp_text)
    if abs(now - timestamp) > tolerance_seconds:
        raise AuthenticationFailedError("The webhook-timestamp is outside the allowed tolerance.")

    secrets = secrets_of(producer_id)
    keys = [key for key in map(decode_secret, secrets or ()) if key is not None] or [_DECOY_KEY]
    signed = f"{message_id}.{timestamp}.".encode() + content
    given = _signature_entries(signature_header)
    matched = False
    for key in keys:
        expected = hmac.new(key, signed, hashlib.sha256).digest()
        for candidate in given:
            # No early exit: every pair is compared so timing does not tell which matched.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched or not secrets:
        raise AuthenticationFailedError("The signature does not match.")
    return SignedRequest(producer_id=producer_id, message_id=message_id, timestamp=timestamp)
