"""List cursors: opaque, tamper-evident, bound to producer and filters."""

from __future__ import annotations

import base64

import pytest

from signals_common.cursor import decode_cursor, encode_cursor
from signals_common.errors import InvalidCursorError
from signals_common.ids import highest_ulid, is_ulid, lowest_ulid, new_ulid, ulid_timestamp_ms

KEY = b"k" * 32
LAST = new_ulid(1_800_000_000_000)
FILTERS = {"instrument": "EURUSD"}


def test_round_trip() -> None:
    cursor = encode_cursor(KEY, "alice", FILTERS, LAST)
    assert decode_cursor(KEY, "alice", FILTERS, cursor) == LAST


@pytest.mark.parametrize(
    ("producer", "filters", "key"),
    [
        ("bob", FILTERS, KEY),
        ("alice", {}, KEY),
        ("alice", {"instrument": "GBPUSD"}, KEY),
        ("alice", {**FILTERS, "status": "new"}, KEY),
        ("alice", FILTERS, b"x" * 32),
    ],
)
def test_cursor_bound_to_producer_filters_and_key(producer: str, filters: dict, key: bytes) -> None:
    cursor = encode_cursor(KEY, "alice", FILTERS, LAST)
    with pytest.raises(InvalidCursorError):
        decode_cursor(key, producer, filters, cursor)


def test_any_changed_character_is_rejected() -> None:
    # GIVEN a valid cursor WHEN any single character is changed THEN it is rejected
    cursor = encode_cursor(KEY, "alice", FILTERS, LAST)
    for index, char in enumerate(cursor):
        forged = cursor[:index] + ("A" if char != "A" else "B") + cursor[index + 1 :]
        with pytest.raises(InvalidCursorError):
            decode_cursor(KEY, "alice", FILTERS, forged)


def test_forged_body_with_old_mac_is_rejected() -> None:
    cursor = encode_cursor(KEY, "alice", FILTERS, LAST)
    _, mac = cursor.split(".")
    body = (
        base64.urlsafe_b64encode(b'{"v":1,"after":"' + new_ulid(1).encode() + b'"}')
        .decode()
        .rstrip("=")
    )
    with pytest.raises(InvalidCursorError):
        decode_cursor(KEY, "alice", FILTERS, f"{body}.{mac}")


@pytest.mark.parametrize("cursor", ["", ".", "abc", "a.b.c", "%%%.%%%", "eyJ2IjoxfQ.AAAA"])
def test_garbage_is_rejected(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(KEY, "alice", FILTERS, cursor)


def test_ulids_sort_by_time_and_bounds_enclose_their_millisecond() -> None:
    ids = [new_ulid(ms) for ms in (1, 2, 1_000, 1_800_000_000_000)]
    assert ids == sorted(ids)
    assert all(is_ulid(i) and len(i) == 26 for i in ids)
    one = new_ulid(5_000)
    assert lowest_ulid(5_000) <= one <= highest_ulid(5_000)
    assert highest_ulid(4_999) < one < lowest_ulid(5_001)
    assert ulid_timestamp_ms(one) == 5_000
