"""Opaque, tamper-evident list cursors bound to the producer and the filters."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from signals_common.errors import InvalidCursorError
from signals_common.ids import is_ulid

_MAC_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _bound(producer_id: str, filters: dict[str, str]) -> str:
    return json.dumps([producer_id, filters], sort_keys=True, separators=(",", ":"))


def encode_cursor(key: bytes, producer_id: str, filters: dict[str, str], last_id: str) -> str:
    body = json.dumps({"v": 1, "after": last_id}, separators=(",", ":")).encode()
    mac = hmac.new(key, body + b"\n" + _bound(producer_id, filters).encode(), hashlib.sha256)
    return f"{_b64(body)}.{_b64(mac.digest()[:_MAC_BYTES])}"


def decode_cursor(key: bytes, producer_id: str, filters: dict[str, str], cursor: str) -> str:
    """The id after which the next page starts; InvalidCursorError for anything not ours."""
    invalid = InvalidCursorError(
        "The cursor is invalid, or belongs to other filters or another producer."
    )
    body_text, dot, mac_text = cursor.partition(".")
    if not dot:
        raise invalid
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (binascii.Error, ValueError) as exc:
        raise invalid from exc
    # Base64's last character has spare bits: only the canonical spelling is ours.
    if _b64(body) != body_text or _b64(mac) != mac_text:
        raise invalid
    expected = hmac.new(key, body + b"\n" + _bound(producer_id, filters).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.digest()[:_MAC_BYTES], mac):
        raise invalid
    try:
        after = json.loads(body)["after"]
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid from exc
    if not isinstance(after, str) or not is_ulid(after):
        raise invalid
    return after
