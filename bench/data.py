"""Seeded random data: the same inputs for every approach."""

from __future__ import annotations

import random
from typing import Any


def candles(count: int, seed: int = 42) -> list[dict[str, Any]]:
    """Random-walk hourly OHLC rows (no volume), as the API receives them."""
    rnd = random.Random(seed)
    price = 100.0
    rows = []
    for index in range(count):
        open_ = price
        close = open_ * (1 + rnd.gauss(0, 0.01))
        high = max(open_, close) * (1 + abs(rnd.gauss(0, 0.003)))
        low = min(open_, close) * (1 - abs(rnd.gauss(0, 0.003)))
        rows.append(
            {
                "timestamp": 1_704_067_200 + index * 3600,
                "open": round(open_, 6),
                "high": round(high, 6) + 1e-6,
                "low": round(low, 6) - 1e-6,
                "close": round(close, 6),
            }
        )
        price = close
    return rows


def equity(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    value = 10_000.0
    rows = []
    for index in range(count):
        value *= 1 + rnd.gauss(0.00005, 0.003)
        rows.append({"timestamp": 1_600_000_000 + index * 60, "equity": round(value, 4)})
    return rows


def values(count: int, seed: int = 3) -> list[float]:
    rnd = random.Random(seed)
    return [round(rnd.gauss(0.0, 1.0), 6) for _ in range(count)]


def candle_request(count: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "candlestick",
        "width": 1200,
        "height": 600,
        "format": "png",
        "data": candles(count),
        "options": {"sma": [20, 50]},
        **extra,
    }
