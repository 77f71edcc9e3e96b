"""Data builders shared by the charting tests (a unique module name: imported directly)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

RENDER_CHART_DIR = Path(__file__).resolve().parents[3] / "functions" / "render_chart"

Rows = list[dict[str, Any]]


def candle_rows(
    count: int,
    *,
    seed: int = 7,
    step: int = 3600,
    start: int = 1_704_067_200,
    volume: bool = True,
    direction: str = "mixed",
) -> Rows:
    """Random-walk OHLC(V) rows; direction "up" / "down" forces every candle's colour."""
    rnd = random.Random(seed)
    price = 100.0
    rows: Rows = []
    for index in range(count):
        change = rnd.gauss(0, 0.01)
        if direction == "up":
            change = abs(change) + 0.002
        elif direction == "down":
            change = -abs(change) - 0.002
        open_ = price
        close = open_ * (1 + change)
        high = max(open_, close) * (1 + abs(rnd.gauss(0, 0.003)))
        low = min(open_, close) * (1 - abs(rnd.gauss(0, 0.003)))
        row = {
            "timestamp": start + index * step,
            "open": round(open_, 6),
            "high": round(high, 6) + 1e-6,
            "low": round(low, 6) - 1e-6,
            "close": round(close, 6),
        }
        if volume:
            row["volume"] = round(rnd.uniform(10, 1000), 3)
        rows.append(row)
        price = close if direction == "mixed" else (price * 1.001 if direction == "up" else price)
    return rows


def equity_rows(count: int, *, seed: int = 11, step: int = 60, drawdown: bool = False) -> Rows:
    rnd = random.Random(seed)
    value = 10_000.0
    peak = value
    rows: Rows = []
    for index in range(count):
        value *= 1 + rnd.gauss(0.00005, 0.003)
        peak = max(peak, value)
        row: dict[str, Any] = {"timestamp": 1_600_000_000 + index * step, "equity": value}
        if drawdown:
            row["drawdown"] = value / peak - 1
        rows.append(row)
    return rows
