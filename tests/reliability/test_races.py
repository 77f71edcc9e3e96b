"""Races over real HTTP: concurrent requests settle in DynamoDB Local's transactions.

The default run does each race once; `make test-stress` repeats them (figures in
RELIABILITY.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.reliability.support import Audit, Client
from tests.support import Producer, unique, unique_instrument

PARALLEL = 50
STRESS_ROUNDS = int(os.environ.get("RELIABILITY_RACE_ROUNDS", "30"))
STRESS_BULK_ROUNDS = int(os.environ.get("RELIABILITY_BULK_ROUNDS", "5"))


def _parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def same_message_race(client: Client, producer: Producer) -> list[str]:
    """50 copies of one signed request at once: one 201, 49 replays of it."""
    body = json.dumps({"instrument": unique_instrument(), "side": "buy", "price": 1.25}).encode()
    message_id = unique("race_")
    answers = _parallel(
        [lambda: client.post_signal(producer, body, message_id=message_id)] * PARALLEL
    )
    problems = [f"{a.status_code} {a.text[:120]}" for a in answers if a.status_code != 201]
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    originals = [a for a in answers if "Idempotent-Replayed" not in a.headers]
    if len(ids) != 1:
        problems.append(f"{len(ids)} different signals answered")
    if len(originals) != 1:
        problems.append(f"{len(originals)} answers were not marked as replays")
    if len({a.text for a in answers}) != 1:
        problems.append("replays differ from the original answer")
    return problems + _stored_exactly(client, producer, ids)


def duplicate_race(client: Client, producer: Producer, reason: str) -> list[str]:
    """50 different messages that collide on one external_id or one window key."""
    instrument = unique_instrument()
    external_id = unique("ext-")

    def signal(i: int) -> dict[str, Any]:
        if reason == "external_id":
            # distinct instruments, so only the external id collides
            return {
                "instrument": f"{instrument[:10]}{i:02d}",
                "side": "buy",
                "price": 1 + i,
                "external_id": external_id,
            }
        return {"instrument": instrument, "side": "sell", "price": 1 + i}

    answers = _parallel([lambda i=i: client.post_signal(producer, signal(i)) for i in range(50)])
    created = [a for a in answers if a.status_code == 201]
    problems = []
    if len(created) != 1:
        problems.append(f"{len(created)} signals created")
    winner = created[0].json()["id"] if created else None
    for answer in answers:
        if answer.status_code == 201:
            continue
        document = answer.json()
        if (answer.status_code, document.get("code"), document.get("reason")) != (
            409,
            "DUPLICATE_SIGNAL",
            reason,
        ) or document.get("existing_signal_id") != winner:
            problems.append(f"{answer.status_code} {answer.text[:160]}")
    return problems + _stored_exactly(client, producer, {winner} if winner else set())


def _stored_exactly(client: Client, producer: Producer, ids: set[str]) -> list[str]:
    listed = [item["id"] for item in client.list_all(producer)]
    if sorted(listed) != sorted(ids):
        return [f"listed {len(listed)} signals, expected {sorted(ids)}"]
    return []


def bulk_race(client: Client, producers: list[Producer], count: int = 500) -> list[str]:
    """`count` distinct signals from several producers at once: all stored, none lost."""
    jobs = []
    for i in range(count):
        producer = producers[i % len(producers)]
        signal = {"instrument": unique_instrument(), "side": "buy", "price": i + 1.5}
        jobs.append((producer, json.dumps(signal).encode()))
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        answers = list(pool.map(lambda job: client.post_signal(*job), jobs))
    problems = [f"{a.status_code} {a.text[:120]}" for a in answers if a.status_code != 201]
    for producer in producers:
        expected = {
            a.json()["id"]
            for (owner, _), a in zip(jobs, answers, strict=True)
            if owner is producer and a.status_code == 201
        }
        listed = [item["id"] for item in client.list_all(producer)]
        if len(listed) != len(set(listed)):
            problems.append(f"{producer.producer_id}: a signal listed twice")
        if set(listed) != expected:
            problems.append(
                f"{producer.producer_id}: {len(expected - set(listed))} lost, "
                f"{len(set(listed) - expected)} unexpected"
            )
    return problems


# ------------------------------------------------------------------------ default run


def test_fifty_identical_requests_store_one_signal(
    client: Client, producer: Producer, audit: Callable[[], Audit]
) -> None:
    # GIVEN one signed request
    # WHEN it is sent 50 times at once over HTTP
    problems = same_message_race(client, producer)
    # THEN one signal is stored, and every answer is it (49 marked as replays)
    assert problems == []
    assert not audit().anomalies


@pytest.mark.parametrize("reason", ["external_id", "window"])
def test_fifty_colliding_messages_store_one_and_name_it(
    client: Client, producer: Producer, audit: Callable[[], Audit], reason: str
) -> None:
    # GIVEN 50 different messages sharing an external_id (or a window key)
    # WHEN they are sent at once
    problems = duplicate_race(client, producer, reason)
    # THEN exactly one is stored and the 49 others are 409s naming it
    assert problems == []
    assert not audit().anomalies


def test_five_hundred_distinct_signals_from_four_producers_are_all_stored(
    client: Client, add_producer: Callable[..., Producer], audit: Callable[[], Audit]
) -> None:
    # GIVEN four producers
    producers = [add_producer() for _ in range(4)]
    # WHEN they send 500 distinct signals at once, 50 in flight
    problems = bulk_race(client, producers)
    # THEN all 500 are stored, each listable exactly once by its own producer
    assert problems == []
    audited = audit()
    assert not audited.anomalies
    assert sum(len(audited.signals_of(p.producer_id)) for p in producers) == 500


# ------------------------------------------------------------------------- stress run


@pytest.mark.stress
@pytest.mark.timeout(1500)
def test_stress_races_have_no_anomaly(
    client: Client,
    add_producer: Callable[..., Producer],
    audit: Callable[[], Audit],
    stress_report: Callable[..., None],
) -> None:
    # GIVEN each race of the default run
    races: dict[str, Callable[[], list[str]]] = {
        "same webhook-id x50": lambda: same_message_race(client, add_producer()),
        "same external_id x50": lambda: duplicate_race(client, add_producer(), "external_id"),
        "same window key x50": lambda: duplicate_race(client, add_producer(), "window"),
    }
    anomalies: dict[str, list[str]] = {}
    figures: dict[str, Any] = {}
    # WHEN each is repeated many times (and the 500-signal bulk a few times)
    for name, race in races.items():
        started, bad = time.monotonic(), 0
        for round_number in range(STRESS_ROUNDS):
            problems = race()
            if problems:
                bad += 1
                anomalies[f"{name} round {round_number}"] = problems
        figures[name] = {
            "rounds": STRESS_ROUNDS,
            "rounds_with_anomaly": bad,
            "seconds": round(time.monotonic() - started, 1),
        }
    started, bad = time.monotonic(), 0
    for round_number in range(STRESS_BULK_ROUNDS):
        problems = bulk_race(client, [add_producer() for _ in range(4)])
        if problems:
            bad += 1
            anomalies[f"bulk round {round_number}"] = problems
    figures["500 distinct from 4 producers"] = {
        "rounds": STRESS_BULK_ROUNDS,
        "rounds_with_anomaly": bad,
        "seconds": round(time.monotonic() - started, 1),
    }
    audited = audit()
    figures["table audit"] = {
        "signals": len(audited.signals),
        "guards": len(audited.guards),
        "anomalies": len(audited.anomalies),
    }
    stress_report("races", figures)
    # THEN no round had any anomaly, and the table holds no partial write
    assert anomalies == {}
    assert audited.anomalies == []
