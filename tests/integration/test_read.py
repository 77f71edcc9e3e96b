"""GET /api/v1/signals/{id} and GET /api/v1/signals through the real handler."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from signals_common.dependencies import get_repository
from signals_common.service import ingest_signal
from signals_common.settings import Settings
from tests.support import Api, Producer, unique, unique_instrument


def _store_many(
    producer: Producer,
    count: int,
    instrument: str | None = None,
    start: float = 1_800_000_000.0,
    step: float = 1.0,
) -> list[str]:
    """Signals stored through the ingest logic with an injected clock (no window clashes)."""
    ids = []
    settings = Settings.model_validate({"SIGNALS_DEDUP_WINDOW_SECONDS": "0"})
    for index in range(count):
        body = json.dumps(
            {"instrument": instrument or unique_instrument(), "side": "buy", "price": index + 1}
        ).encode()
        outcome = ingest_signal(
            producer_id=producer.producer_id,
            message_id=unique("bulk-"),
            body=body,
            repository=get_repository(),
            settings=settings,
            now=start + index * step,
        )
        ids.append(outcome.signal_id)
    return ids


def _page_through(api: Api, producer: Producer, limit: int, **filters: str) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        query = {"limit": limit, **filters, **({"cursor": cursor} if cursor else {})}
        answer = api.list_signals(producer, **query)
        assert answer.status == 200, answer.text
        page = answer.json()
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


def test_get_returns_own_signal_and_404_for_others(api: Api, add_producer) -> None:
    alice, bob = add_producer(), add_producer()
    created = api.post_signal(alice, {"instrument": unique_instrument(), "side": "buy", "price": 2})
    signal_id = created.json()["id"]
    assert api.get_signal(alice, signal_id).json() == created.json()
    # WHEN bob asks for alice's signal THEN it is as if it did not exist
    foreign = api.get_signal(bob, signal_id)
    missing = api.get_signal(bob, "01" + "0" * 24)
    assert foreign.status == missing.status == 404
    assert foreign.json() == missing.json()
    assert foreign.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("signal_id", ["nope", "01" + "0" * 23, "u" * 26, "8" + "0" * 25])
def test_malformed_ids_are_404(api: Api, producer: Producer, signal_id: str) -> None:
    assert api.get_signal(producer, signal_id).status == 404


def test_paging_120_signals_returns_each_exactly_once_newest_first(
    api: Api, producer: Producer
) -> None:
    # GIVEN 120 signals
    ids = _store_many(producer, 120)
    # WHEN paged 7 at a time
    seen = _page_through(api, producer, 7)
    # THEN every signal comes exactly once, newest first
    assert seen == list(reversed(ids))


def test_limit_may_change_between_pages(api: Api, producer: Producer) -> None:
    ids = _store_many(producer, 10)
    first = api.list_signals(producer, limit=3).json()
    second = api.list_signals(producer, limit=5, cursor=first["next_cursor"]).json()
    assert [s["id"] for s in first["items"] + second["items"]] == list(reversed(ids))[:8]


def test_last_full_page_has_no_next_cursor(api: Api, producer: Producer) -> None:
    _store_many(producer, 4)
    page = api.list_signals(producer, limit=4).json()
    assert len(page["items"]) == 4
    assert page["next_cursor"] is None


def test_list_sees_only_own_signals(api: Api, add_producer) -> None:
    alice, bob = add_producer(), add_producer()
    _store_many(alice, 3)
    assert api.list_signals(bob).json() == {"items": [], "next_cursor": None}


def test_instrument_status_and_time_filters(api: Api, producer: Producer) -> None:
    start = 1_800_000_000.0
    euro = _store_many(producer, 6, instrument="EURUSD", start=start)
    other = _store_many(producer, 4, instrument="GBPUSD", start=start + 100)
    assert _page_through(api, producer, 4, instrument="EURUSD") == list(reversed(euro))
    assert _page_through(api, producer, 3, status="new") == list(reversed(euro + other))
    assert _page_through(api, producer, 2, instrument="GBPUSD", status="new") == list(
        reversed(other)
    )
    assert _page_through(api, producer, 5, status="approved") == []
    # since is inclusive and until exclusive, on created_at
    since = datetime.fromtimestamp(start + 2, tz=UTC).isoformat()
    until = datetime.fromtimestamp(start + 5, tz=UTC).isoformat()
    assert _page_through(api, producer, 2, since=since, until=until) == list(reversed(euro[2:5]))
    assert _page_through(api, producer, 2, instrument="EURUSD", since=since) == list(
        reversed(euro[2:])
    )
    assert _page_through(api, producer, 2, until=since) == list(reversed(euro[:2]))


def test_time_filters_at_millisecond_edges(api: Api, producer: Producer) -> None:
    start = 1_800_000_000.0
    ids = _store_many(producer, 3, start=start, step=0.001)
    moment = datetime.fromtimestamp(start, tz=UTC) + timedelta(milliseconds=1)
    iso = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert _page_through(api, producer, 10, since=iso) == list(reversed(ids[1:]))
    assert _page_through(api, producer, 10, until=iso) == ids[:1]


def test_cursor_tampering_and_misuse(api: Api, add_producer) -> None:
    alice, bob = add_producer(), add_producer()
    _store_many(alice, 5)
    _store_many(bob, 5)
    cursor = api.list_signals(alice, limit=2).json()["next_cursor"]
    assert cursor
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for producer, query in (
        (alice, {"cursor": forged}),
        (bob, {"cursor": cursor}),
        (alice, {"cursor": cursor, "instrument": "EURUSD"}),
        (alice, {"cursor": "garbage"}),
    ):
        answer = api.list_signals(producer, limit=2, **query)
        assert answer.status == 400, answer.text
        assert answer.json()["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=x", "limit=2&limit=3", "status=open", "since=today", "foo=1"],
)
def test_bad_queries_are_400(api: Api, producer: Producer, query: str) -> None:
    answer = api.call("GET", f"/api/v1/signals?{query}", producer)
    assert answer.status == 400, answer.text
    assert answer.json()["code"] == "INVALID_QUERY"


def test_get_requires_a_signature_over_the_query(api: Api, producer: Producer) -> None:
    # GIVEN a list request signed for limit=1 but sent with limit=100
    event, pool = api.event("GET", "/api/v1/signals?limit=1", producer)
    event["rawQueryString"] = "limit=100"
    answer = api.invoke(event, pool)
    assert answer.status == 401
    assert answer.json()["code"] == "AUTHENTICATION_FAILED"
