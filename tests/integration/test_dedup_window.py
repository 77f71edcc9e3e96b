"""The dedup window with an injected clock, through the ingest logic and DynamoDB Local."""

from __future__ import annotations

import json

import pytest

from signals_common.dependencies import get_repository
from signals_common.errors import DuplicateSignalError
from signals_common.service import ingest_signal
from signals_common.settings import Settings
from tests.support import Producer, unique_instrument

T0 = 1_800_000_000.0


def _ingest(producer: Producer, instrument: str, now: float, message_id: str, window: int = 300):
    settings = Settings.model_validate({"SIGNALS_DEDUP_WINDOW_SECONDS": str(window)})
    body = json.dumps({"instrument": instrument, "side": "buy", "price": 1}).encode()
    return ingest_signal(
        producer_id=producer.producer_id,
        message_id=message_id,
        body=body,
        repository=get_repository(),
        settings=settings,
        now=now,
    )


def test_window_blocks_until_it_expires(stack, producer: Producer) -> None:
    instrument = unique_instrument()
    first = _ingest(producer, instrument, T0, "w1")
    # WHEN the same key comes just inside the window THEN it is a duplicate of the first
    with pytest.raises(DuplicateSignalError) as duplicate:
        _ingest(producer, instrument, T0 + 299.999, "w2")
    assert duplicate.value.existing_signal_id == first.signal_id
    # WHEN it comes once the window has passed (the guard still lingers) THEN it is new
    later = _ingest(producer, instrument, T0 + 300, "w3")
    assert later.signal_id != first.signal_id
    assert not later.replayed
    # AND the new signal opens a new window
    with pytest.raises(DuplicateSignalError) as again:
        _ingest(producer, instrument, T0 + 301, "w4")
    assert again.value.existing_signal_id == later.signal_id


def test_zero_window_disables_the_check(stack, producer: Producer) -> None:
    instrument = unique_instrument()
    ids = {_ingest(producer, instrument, T0 + i, f"z{i}", window=0).signal_id for i in range(3)}
    assert len(ids) == 3
