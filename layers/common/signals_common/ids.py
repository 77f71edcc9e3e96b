"""ULIDs: 48-bit millisecond time + 80 random bits in Crockford base32, sorting by time."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {char: index for index, char in enumerate(_ALPHABET)}
ULID_LENGTH = 26


def _encode(value: int) -> str:
    chars = []
    for _ in range(ULID_LENGTH):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_ulid(timestamp_ms: int) -> str:
    return _encode((timestamp_ms << 80) | secrets.randbits(80))


def lowest_ulid(timestamp_ms: int) -> str:
    """The smallest ULID of that millisecond, for range bounds."""
    return _encode(max(timestamp_ms, 0) << 80)


def is_ulid(value: str) -> bool:
    return len(value) == ULID_LENGTH and value[0] in "01234567" and all(c in _DECODE for c in value)


def ulid_timestamp_ms(value: str) -> int:
    number = 0
    for char in value:
        number = number * 32 + _DECODE[char]
    return number >> 80


def highest_ulid(timestamp_ms: int) -> str:
    """The largest ULID of that millisecond, for range bounds."""
    return _encode((max(timestamp_ms, 0) << 80) | ((1 << 80) - 1))
