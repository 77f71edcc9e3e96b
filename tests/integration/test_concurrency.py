"""Races settle in DynamoDB Local's conditional transactions, not in our code."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.support import Api, Producer, unique_instrument


def test_twenty_parallel_identical_ingests_store_one_signal(api: Api, producer: Producer) -> None:
    # GIVEN one signed request, sent 20 times at once (a sender retrying hard)
    body = json.dumps({"instrument": unique_instrument(), "side": "buy", "price": 3}).encode()
    events = [
        api.event("POST", "/api/v1/signals", producer, body=body, message_id="race-1")
        for _ in range(20)
    ]
    # WHEN 20 handler containers serve them in parallel
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda item: api.invoke(*item), events))
    # THEN exactly one signal is stored and every answer is that signal
    assert [a.status for a in answers] == [201] * 20, [a.text for a in answers if a.status != 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(1 for a in answers if "Idempotent-Replayed" not in a.headers) == 1
    listed = api.list_signals(producer).json()["items"]
    assert [s["id"] for s in listed] == [answers[0].json()["id"]]


def test_twenty_parallel_window_duplicates_store_one_signal(api: Api, producer: Producer) -> None:
    instrument = unique_instrument()
    events = [
        api.event(
            "POST",
            "/api/v1/signals",
            producer,
            body=json.dumps({"instrument": instrument, "side": "sell", "price": 3 + i}).encode(),
        )
        for i in range(20)
    ]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda item: api.invoke(*item), events))
    created = [a for a in answers if a.status == 201]
    assert len(created) == 1
    winner = created[0].json()["id"]
    for answer in answers:
        if answer.status != 201:
            assert answer.status == 409, answer.text
            assert (answer.json()["reason"], answer.json()["existing_signal_id"]) == (
                "window",
                winner,
            )
