"""Isolation between producers, replays, and what 401/404 answers give away."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from signals_common import dependencies
from signals_common.ids import new_ulid
from tests.reliability.support import SIGNALS, Audit, Client
from tests.support import Producer, unique, unique_instrument


def _signal(**changes: Any) -> dict[str, Any]:
    return {"instrument": unique_instrument(), "side": "buy", "price": 2.5, **changes}


def _comparable(answer: requests.Response) -> tuple[int, str, dict[str, Any]]:
    return answer.status_code, answer.headers.get("Content-Type", ""), answer.json()


@pytest.fixture
def two(add_producer: Callable[..., Producer]) -> tuple[Producer, Producer]:
    return add_producer(), add_producer()


def test_b_cannot_read_a_signal_and_cannot_tell_it_exists(
    client: Client, two: tuple[Producer, Producer]
) -> None:
    a, b = two
    # GIVEN a signal of producer A
    created = client.post_signal(a, _signal()).json()["id"]
    # WHEN B asks for it, and for an id that does not exist
    foreign = client.get(f"{SIGNALS}/{created}", b)
    missing = client.get(f"{SIGNALS}/{new_ulid(int(time.time() * 1000))}", b)
    # THEN both are the same 404
    assert foreign.status_code == 404
    assert _comparable(foreign) == _comparable(missing)
    assert created not in foreign.text


def test_b_lists_only_its_own_and_cannot_page_into_a(
    client: Client, two: tuple[Producer, Producer]
) -> None:
    a, b = two
    instrument = unique_instrument()
    # GIVEN three signals of A on one instrument, and a page cursor of A
    for version in ("1", "2", "3"):
        assert client.post_signal(a, _signal(instrument=instrument, version=version)).ok
    page = client.get(f"{SIGNALS}?limit=1&instrument={instrument}", a).json()
    cursor = page["next_cursor"]
    assert cursor
    # WHEN B lists, with and without A's cursor, and with cursors forged from it
    own = client.get(f"{SIGNALS}?instrument={instrument}", b)
    body, _, mac = cursor.partition(".")
    forged = {
        "foreign": cursor,
        "flipped mac": f"{body}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        "no mac": body,
        "other body": f"{body[:-2]}AA.{mac}",
    }
    answers = {
        name: client.get(
            f"{SIGNALS}?limit=1&instrument={instrument}&cursor={requests.utils.quote(value)}",
            b,
        )
        for name, value in forged.items()
    }
    # THEN B sees none of A's signals, and every cursor of A is refused
    assert own.json() == {"items": [], "next_cursor": None}
    for name, answer in answers.items():
        assert (name, answer.status_code, answer.json()["code"]) == (name, 400, "INVALID_CURSOR")
    # AND A's own cursor with other filters is refused too
    other = client.get(f"{SIGNALS}?limit=1&status=new&cursor={requests.utils.quote(cursor)}", a)
    assert other.status_code == 400


def test_a_cannot_dedup_block_b(
    client: Client, two: tuple[Producer, Producer], audit: Callable[[], Audit]
) -> None:
    a, b = two
    signal = _signal(external_id=unique("ext-"))
    message_id = unique("msg_")
    # GIVEN A stored a signal with a webhook-id, an external_id and a window key
    first = client.post_signal(a, signal, message_id=message_id)
    assert first.status_code == 201
    # WHEN B sends the very same body with the same webhook-id
    second = client.post_signal(b, signal, message_id=message_id)
    # THEN B gets its own new signal: not a replay of A's, not a duplicate of it
    assert second.status_code == 201, second.text
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert second.json()["producer_id"] == b.producer_id
    assert not audit().anomalies


def test_401_answers_do_not_say_whether_the_producer_exists(
    client: Client, producer: Producer
) -> None:
    body = json.dumps(_signal()).encode()
    ghost = Producer(unique("ghost"), producer.secret)
    # WHEN a known producer signs with a wrong key, and an unknown producer signs at all
    wrong_key = client.post(SIGNALS, Producer(producer.producer_id, "whsec_" + "A" * 44), body)
    unknown = client.post(SIGNALS, ghost, body)
    # THEN both get the same 401
    assert wrong_key.status_code == 401
    assert _comparable(wrong_key) == _comparable(unknown)
    assert producer.producer_id not in wrong_key.text


def test_a_captured_request_replayed_within_the_tolerance_is_the_idempotent_replay(
    client: Client, producer: Producer
) -> None:
    body = json.dumps(_signal()).encode()
    message_id, timestamp = unique("msg_"), int(time.time())
    # GIVEN a request captured on the wire
    original = client.post(SIGNALS, producer, body, message_id=message_id, timestamp=timestamp)
    # WHEN an attacker re-sends it byte for byte, five times
    replays = [
        client.post(SIGNALS, producer, body, message_id=message_id, timestamp=timestamp)
        for _ in range(5)
    ]
    # THEN each gets the original answer, and only one signal exists
    assert original.status_code == 201
    for replay in replays:
        assert replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == original.json()
    assert [s["id"] for s in client.list_all(producer)] == [original.json()["id"]]


def test_a_captured_request_replayed_after_the_tolerance_is_refused(
    client: Client, producer: Producer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN containers with a 2 s timestamp tolerance, and captured POST and GET requests
    monkeypatch.setenv("SIGNALS_TIMESTAMP_TOLERANCE_SECONDS", "2")
    dependencies.reset()
    try:
        body = json.dumps(_signal()).encode()
        message_id, timestamp = unique("msg_"), int(time.time())
        original = client.post(SIGNALS, producer, body, message_id=message_id, timestamp=timestamp)
        assert original.status_code == 201
        target = f"{SIGNALS}/{original.json()['id']}"
        read_id, read_time = unique("msg_"), int(time.time())
        assert client.get(target, producer, message_id=read_id, timestamp=read_time).ok
        # WHEN they are re-sent once the tolerance has passed
        time.sleep(3.2)
        late_post = client.post(SIGNALS, producer, body, message_id=message_id, timestamp=timestamp)
        late_get = client.get(target, producer, message_id=read_id, timestamp=read_time)
    finally:
        monkeypatch.undo()
        dependencies.reset()
    # THEN both are 401, and nothing new was stored
    assert (late_post.status_code, late_get.status_code) == (401, 401)
    assert len(client.list_all(producer)) == 1
