"""Sections 1 and 2: chart rendering against mplfinance, a naive loop, and numpy's floor."""

from __future__ import annotations

import io
from typing import Any

from bench import data
from bench.common import QUICK, RUNS, Section, interleaved, ms, ratio, table, verdict

CANDLE_SIZES = (100, 1_000) if QUICK else (100, 1_000, 10_000)
CANDLE_GOALS = {100: 0.6, 1_000: 0.4, 10_000: 0.3}
NAIVE_MAX = 1_000 if QUICK else 10_000


def _ours(document: dict[str, Any]) -> Any:
    from charting.render import render
    from charting.requests import ChartRequest

    def run() -> bytes:
        image, _ = render(ChartRequest.model_validate(document))
        return image

    return run


def _ours_render_only(document: dict[str, Any]) -> Any:
    from charting.render import render
    from charting.requests import ChartRequest

    request = ChartRequest.model_validate(document)
    return lambda: render(request)[0]


def _mplfinance(rows: list[dict[str, Any]]) -> Any:
    import mplfinance as mpf
    import pandas as pd

    frame = pd.DataFrame(rows)
    frame.index = pd.to_datetime(frame.pop("timestamp"), unit="s")
    frame.columns = ["Open", "High", "Low", "Close"]

    def run() -> bytes:
        buffer = io.BytesIO()
        mpf.plot(
            frame,
            type="candle",
            mav=(20, 50),
            figsize=(12, 6),
            warn_too_much_data=len(frame) + 1,
            savefig={"fname": buffer, "format": "png", "dpi": 100},
        )
        return buffer.getvalue()

    return run


def _naive(rows: list[dict[str, Any]]) -> Any:
    """What a first attempt looks like: one ax.bar and one ax.plot per candle."""
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def run() -> bytes:
        figure = Figure(figsize=(12, 6), dpi=100)
        ax = figure.add_subplot()
        for index, row in enumerate(rows):
            color = "#26a69a" if row["close"] >= row["open"] else "#ef5350"
            ax.plot([index, index], [row["low"], row["high"]], color=color, linewidth=0.8)
            bottom = min(row["open"], row["close"])
            ax.bar(index, abs(row["close"] - row["open"]), 0.7, bottom, color=color)
        closes = pd.Series([row["close"] for row in rows])
        for period in (20, 50):
            ax.plot(closes.rolling(period).mean().to_numpy(), linewidth=1.2)
        buffer = io.BytesIO()
        FigureCanvasAgg(figure).print_png(buffer)
        return buffer.getvalue()

    return run


def _png_size(image: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(image)) as picture:
        return picture.size


def pixel_difference(first: bytes, second: bytes) -> float:
    """Share of pixels that differ between two PNGs of one size."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(first)) as a, Image.open(io.BytesIO(second)) as b:
        left = np.asarray(a.convert("RGB"), dtype=np.int16)
        right = np.asarray(b.convert("RGB"), dtype=np.int16)
    if left.shape != right.shape:
        return 1.0
    return float(np.any(left != right, axis=2).mean())


def candlestick() -> Section:
    rows_out: list[list[str]] = []
    medians: dict[tuple[str, int], float] = {}
    goals = []
    for count in CANDLE_SIZES:
        rows = data.candles(count)
        document = data.candle_request(count)
        cases = {
            "ours": _ours(document),
            "ours, render only": _ours_render_only(document),
            "mplfinance": _mplfinance(rows),
        }
        if count <= NAIVE_MAX:
            cases["naive ax.bar loop"] = _naive(rows)
        for name, run in cases.items():
            image = run()
            assert isinstance(image, bytes)
            assert _png_size(image) == (1200, 600), (name, _png_size(image))
        stats = interleaved(cases)
        peer = stats["mplfinance"].median
        for name, stat in stats.items():
            medians[(name, count)] = stat.median
            rows_out.append([f"{count:,}", name, *stat.cells(), ratio(stat.median / peer)])
        goal = CANDLE_GOALS[count]
        achieved = stats["ours"].median / peer
        goals.append(
            (
                f"candlestick {count:,}: ours ≤ {goal}× mplfinance",
                achieved <= goal,
                f"{ratio(achieved)} ({ms(stats['ours'].median)} vs {ms(peer)} ms)",
            )
        )
    lines = [
        "Same random-walk hourly OHLC rows for every approach, 1200×600 PNG at 100 dpi,",
        "SMA 20 and 50, no volume; each approach's PNG checked to be 1200×600.",
        "*ours* starts from the rows as the API receives them (validation into a",
        "`ChartRequest`, then `charting.render.render`); *ours, render only* starts from the",
        "validated request; *mplfinance* (`mpf.plot(type='candle', mav=(20, 50))`) starts",
        "from a ready pandas DataFrame, so it is not charged for building one.",
        f"Milliseconds, {RUNS} interleaved runs after a warm-up; ratio = median / mplfinance's.",
        "",
        *table(["candles", "approach", "min", "median", "max", "vs mplfinance"], rows_out),
        "",
        "Growth of the median from the smallest to the largest size:",
        "",
    ]
    first, last = CANDLE_SIZES[0], CANDLE_SIZES[-1]
    growth_rows = []
    for name in ("ours", "ours, render only", "mplfinance", "naive ax.bar loop"):
        if (name, first) in medians and (name, last) in medians:
            growth = medians[(name, last)] / medians[(name, first)]
            growth_rows.append(
                [name, ms(medians[(name, first)]), ms(medians[(name, last)]), f"{growth:.1f}×"]
            )
    lines += table(
        ["approach", f"{first:,} candles", f"{last:,} candles", f"growth ×{last // first}"],
        growth_rows,
    )
    lines += ["", *(f"- Goal {g}: {verdict(m)}, {f}." for g, m, f in goals)]
    return Section("1. Candlestick render vs mplfinance", lines, goals)


def _numpy_equity(rows: list[dict[str, Any]], width: int = 1200) -> Any:
    """numpy's part of an equity chart: columns to arrays, drawdown, per-pixel reduction."""
    import numpy as np

    from charting.render import minmax_downsample
    from charting.requests import ChartRequest

    columns = ChartRequest.model_validate({"kind": "equity", "data": rows}).columns

    def run() -> None:
        seconds = np.asarray(columns["timestamp"])
        equity = np.asarray(columns["equity"])
        drawdown = (equity / np.maximum.accumulate(equity) - 1.0) * 100.0
        days = seconds / 86400.0
        if len(days) > 2 * width:
            minmax_downsample(days, equity, width - 100)
            minmax_downsample(days, drawdown, width - 100)

    return run


def _numpy_histogram(numbers: list[float]) -> Any:
    import numpy as np

    def run() -> None:
        values = np.asarray(numbers, dtype=float)
        np.histogram(values, bins=30, range=(values.min(), values.max()))
        values.mean()
        np.median(values)

    return run


def equity_and_histogram() -> Section:
    from charting.render import _render
    from charting.requests import ChartRequest

    rows_out = []
    notes = []
    equity_sizes = (1_000, 100_000)
    histogram_sizes = (10_000, 100_000) if QUICK else (10_000, 1_000_000)
    for count in equity_sizes:
        document = {"kind": "equity", "width": 1200, "height": 600, "data": data.equity(count)}
        request = ChartRequest.model_validate(document)
        cases = {
            "ours": _ours(document),
            "ours, render only": _ours_render_only(document),
            "numpy floor": _numpy_equity(document["data"]),
        }
        if count > 2 * 1200:
            cases["ours, full series (no M4)"] = lambda r=request: _render(r, downsample=False)
            reduced, _ = _render(request)
            full, _ = _render(request, downsample=False)
            notes.append(
                f"- Equity {count:,}: the per-pixel min/max (M4) reduction changes"
                f" {pixel_difference(reduced, full):.2%} of the pixels against drawing every"
                " point (antialiasing along the line's edges only; the same picture)."
            )
        stats = interleaved(cases)
        total = stats["ours"].median
        for name, stat in stats.items():
            rows_out.append(
                [f"equity {count:,}", name, *stat.cells(), f"{stat.median / total:.0%}"]
            )
    for count in histogram_sizes:
        numbers = data.values(count)
        document = {"kind": "histogram", "width": 1200, "height": 600, "data": numbers}
        cases = {
            "ours": _ours(document),
            "ours, render only": _ours_render_only(document),
            "numpy floor": _numpy_histogram(numbers),
        }
        stats = interleaved(cases)
        total = stats["ours"].median
        for name, stat in stats.items():
            rows_out.append(
                [f"histogram {count:,}", name, *stat.cells(), f"{stat.median / total:.0%}"]
            )
    lines = [
        "1200×600 PNG. *ours* includes validating the data as the API receives it; the",
        "*numpy floor* is only the array work the chart needs (equity: lists to arrays,",
        "running-peak drawdown, the per-pixel reduction; histogram: list to array,",
        "`np.histogram` with 30 bins, mean and median). Its share of *ours* is what no",
        f"drawing code can save. Milliseconds, {RUNS} interleaved runs after a warm-up.",
        "",
        *table(["chart", "approach", "min", "median", "max", "share of ours"], rows_out),
        "",
        *notes,
    ]
    return Section("2. Equity with drawdown, and histogram", lines)
