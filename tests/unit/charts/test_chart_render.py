"""Rendered images: exact size, colours, themes, clean and deterministic output."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
from chart_builders import RENDER_CHART_DIR, candle_rows, equity_rows
from PIL import Image

import charting.render as render_module
from charting.errors import MissingColumnError, NoNumericDataError
from charting.render import DOWN_COLOR, THEMES, UP_COLOR, minmax_downsample, render
from charting.requests import ChartRequest

SVG_NS = "{http://www.w3.org/2000/svg}"
ALLOWED_PNG_CHUNKS = {b"IHDR", b"pHYs", b"IDAT", b"IEND"}


def request_of(**body: Any) -> ChartRequest:
    return ChartRequest.model_validate(body)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def count_color(image: np.ndarray, color: str) -> int:
    return int(np.all(image == np.array(rgb(color)), axis=2).sum())


def png_chunks(png: bytes) -> list[bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        chunks.append(png[offset + 4 : offset + 8])
        offset += 12 + length
    return chunks


def bodies() -> dict[str, dict[str, Any]]:
    return {
        "candlestick": {
            "kind": "candlestick",
            "title": "BTC-USD 1h",
            "data": candle_rows(60),
            "options": {"sma": [5, 20]},
        },
        "equity": {"kind": "equity", "title": "Equity", "data": equity_rows(500)},
        "histogram": {
            "kind": "histogram",
            "data": [{"pnl": (i * 37 % 101) / 10} for i in range(500)] + [{"pnl": None}],
            "options": {"column": "pnl", "bins": 25, "color": "orange"},
        },
    }


# --- size --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["candlestick", "equity", "histogram"])
@pytest.mark.parametrize(("width", "height"), [(1200, 600), (321, 241), (1001, 777)])
def test_png_has_exactly_the_requested_size(kind: str, width: int, height: int) -> None:
    # GIVEN a chart request of each kind at a given size
    request = request_of(**bodies()[kind], width=width, height=height)
    # WHEN rendered as PNG
    body, content_type = render(request)
    # THEN the image decodes at exactly width x height
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(body)).size == (width, height)


def test_largest_png_size() -> None:
    request = request_of(**bodies()["histogram"], width=3840, height=2160)
    assert Image.open(io.BytesIO(render(request)[0])).size == (3840, 2160)


@pytest.mark.parametrize("kind", ["candlestick", "equity", "histogram"])
def test_svg_root_has_the_pixel_size_and_no_metadata_or_comments(kind: str) -> None:
    # GIVEN an SVG request of an odd size
    request = request_of(**bodies()[kind], format="svg", width=1001, height=577)
    # WHEN rendered
    body, content_type = render(request)
    # THEN it is XML whose root is exactly 1001 x 577 pixels, without metadata or comments
    assert content_type == "image/svg+xml"
    root = ET.fromstring(body)  # noqa: S314 (our own output)
    assert root.tag == f"{SVG_NS}svg"
    assert (root.get("width"), root.get("height")) == ("1001", "577")
    assert root.get("viewBox")
    assert not [element for element in root.iter() if element.tag.endswith("metadata")]
    assert b"<!--" not in body
    assert b"dc:date" not in body
    assert b"Matplotlib" not in body


# --- clean and deterministic -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["candlestick", "equity", "histogram"])
def test_png_carries_no_text_or_time_chunks(kind: str) -> None:
    # GIVEN a rendered PNG
    body, _ = render(request_of(**bodies()[kind]))
    # WHEN its chunks are listed
    chunks = png_chunks(body)
    # THEN only image chunks are present (no tEXt, iTXt, zTXt, eXIf or tIME)
    assert set(chunks) <= ALLOWED_PNG_CHUNKS
    assert chunks[0] == b"IHDR"
    assert chunks[-1] == b"IEND"


_RENDER_SCRIPT = """
import hashlib, json, sys
from charting.requests import ChartRequest
from charting.render import render
results = {}
for name, body in json.load(sys.stdin).items():
    results[name] = hashlib.sha256(render(ChartRequest.model_validate(body))[0]).hexdigest()
print(json.dumps(results))
"""


def test_renders_are_byte_identical_across_processes() -> None:
    # GIVEN PNG and SVG requests of every kind
    requests = {
        f"{kind}.{fmt}": {**body, "format": fmt}
        for kind, body in bodies().items()
        for fmt in ("png", "svg")
    }
    env = {**os.environ, "PYTHONPATH": str(RENDER_CHART_DIR)}
    # WHEN two fresh processes (each with its own hash seed) render them
    outputs = [
        subprocess.run(
            [sys.executable, "-c", _RENDER_SCRIPT],
            input=json.dumps(requests),
            capture_output=True,
            text=True,
            env={**env, "PYTHONHASHSEED": seed},
            check=True,
            timeout=120,
        ).stdout
        for seed in ("1", "2")
    ]
    # THEN both give the same bytes, equal to this process's render
    first, second = (json.loads(output) for output in outputs)
    assert first == second
    here = hashlib.sha256(render(request_of(**requests["candlestick.svg"]))[0]).hexdigest()
    assert first["candlestick.svg"] == here


# --- candlestick -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "up_present", "down_present"),
    [("up", True, False), ("down", False, True), ("mixed", True, True)],
)
def test_up_and_down_candles_have_their_colours(
    direction: str, up_present: bool, down_present: bool
) -> None:
    # GIVEN 20 candles that all rise, all fall, or both
    request = request_of(
        kind="candlestick", data=candle_rows(20, direction=direction, volume=False)
    )
    # WHEN rendered
    image = pixels(render(request)[0])
    # THEN the up colour shows exactly when up candles exist, and likewise the down colour
    assert (count_color(image, UP_COLOR) > 500) is up_present
    assert (count_color(image, DOWN_COLOR) > 500) is down_present
    assert UP_COLOR != DOWN_COLOR


def test_candles_are_drawn_as_a_few_compound_paths() -> None:
    # GIVEN 2000 candles with volumes and two SMAs
    request = request_of(kind="candlestick", data=candle_rows(2000), options={"sma": [20, 50]})
    # WHEN the figure is built
    figure = render_module._candlestick(request, THEMES["light"], render_module._Layout(request))
    price, volume = figure.axes
    # THEN bodies and wicks are one path per colour (no per-candle artists), one line per SMA
    assert len(price.patches) + len(price.artists) == 4
    assert len(volume.patches) + len(volume.artists) == 2
    assert len(price.lines) == 2
    assert sorted(line.get_label() for line in price.lines) == ["SMA 20", "SMA 50"]
    assert volume.get_shared_x_axes().joined(price, volume)


def test_sma_is_the_rolling_mean_of_close() -> None:
    rows = candle_rows(30)
    request = request_of(kind="candlestick", data=rows, options={"sma": [3]})
    figure = render_module._candlestick(request, THEMES["light"], render_module._Layout(request))
    drawn = figure.axes[0].lines[0].get_ydata()
    closes = [row["close"] for row in rows]
    assert np.isnan(drawn[:2]).all()
    assert drawn[10] == pytest.approx(sum(closes[8:11]) / 3)


def test_volume_panel_only_with_volumes_and_the_option() -> None:
    for data, option, panels in (
        (candle_rows(10), True, 2),
        (candle_rows(10), False, 1),
        (candle_rows(10, volume=False), True, 1),
    ):
        request = request_of(kind="candlestick", data=data, options={"volume": option})
        figure = render_module._candlestick(
            request, THEMES["light"], render_module._Layout(request)
        )
        assert len(figure.axes) == panels


# --- themes ------------------------------------------------------------------------------


def luminance(pixel: np.ndarray) -> float:
    red, green, blue = (float(v) for v in pixel)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@pytest.mark.parametrize("kind", ["candlestick", "equity", "histogram"])
def test_dark_theme_background_is_dark_and_light_is_white(kind: str) -> None:
    # GIVEN the same chart in both themes
    dark = pixels(render(request_of(**bodies()[kind], theme="dark"))[0])
    light = pixels(render(request_of(**bodies()[kind], theme="light"))[0])
    # WHEN the corners (always background) are sampled
    corners = [(0, 0), (0, -1), (-1, 0), (-1, -1)]
    # THEN they are dark in the dark theme and white in the light one
    for y, x in corners:
        assert luminance(dark[y, x]) < 40
        assert tuple(light[y, x]) == (255, 255, 255)
    # AND the margins (top rows, left columns) are the dark background throughout
    theme = rgb(THEMES["dark"].background)
    assert np.all(dark[:5] == theme)
    assert np.all(dark[:, :3] == theme)


# --- equity ------------------------------------------------------------------------------


def test_drawdown_is_computed_from_the_running_peak_in_percent() -> None:
    # GIVEN equity 100, 50, 75, 120 without drawdown
    data = [{"timestamp": t, "equity": e} for t, e in ((0, 100), (60, 50), (120, 75), (180, 120))]
    request = request_of(kind="equity", data=data)
    # WHEN the figure is built
    figure = render_module._equity(
        request, THEMES["light"], render_module._Layout(request), downsample=True
    )
    top, bottom = figure.axes
    # THEN the lower panel shows 0, -50, -25, 0 percent, sharing the time axis with equity
    assert list(bottom.lines[0].get_ydata()) == [0.0, -50.0, -25.0, 0.0]
    assert list(top.lines[0].get_ydata()) == [100.0, 50.0, 75.0, 120.0]
    assert bottom.get_shared_x_axes().joined(top, bottom)
    assert bottom.get_ylim()[1] >= 0 > bottom.get_ylim()[0]


def test_given_drawdown_fractions_are_drawn_in_percent() -> None:
    data = [
        {"timestamp": 0, "equity": 1, "drawdown": 0},
        {"timestamp": 1, "equity": 1, "drawdown": -0.125},
    ]
    request = request_of(kind="equity", data=data)
    figure = render_module._equity(
        request, THEMES["light"], render_module._Layout(request), downsample=True
    )
    assert list(figure.axes[1].lines[0].get_ydata()) == [0.0, -12.5]


def test_minmax_downsample_keeps_each_buckets_extremes_in_order() -> None:
    # GIVEN 10,000 noisy points and 100 buckets
    rng = np.random.default_rng(3)
    x = np.arange(10_000, dtype=float)
    y = rng.normal(size=10_000).cumsum()
    # WHEN reduced
    kept_x, kept_y = minmax_downsample(x, y, 100)
    # THEN at most 4 points per bucket remain, in x order, with the ends and every extreme
    assert len(kept_x) <= 400
    assert np.all(np.diff(kept_x) > 0)
    assert (kept_x[0], kept_x[-1]) == (x[0], x[-1])
    for bucket in range(100):
        part = slice(bucket * 100, bucket * 100 + 100)
        inside = (kept_x >= bucket * 100) & (kept_x < bucket * 100 + 100)
        assert kept_y[inside].min() == y[part].min()
        assert kept_y[inside].max() == y[part].max()
    # AND short series are left alone
    assert len(minmax_downsample(x[:300], y[:300], 100)[0]) == 300


def test_downsampled_equity_looks_like_the_full_series() -> None:
    # GIVEN 30,000 points, far more than 2 x width
    request = request_of(kind="equity", width=800, height=400, data=equity_rows(30_000))
    # WHEN rendered with and without the reduction
    reduced = pixels(render_module._render(request, downsample=True)[0]).astype(int)
    full = pixels(render_module._render(request, downsample=False)[0]).astype(int)
    # THEN hardly any pixel differs visibly (only antialiasing along the line's edges)
    difference = np.abs(reduced - full).max(axis=2)
    assert (difference > 96).mean() < 0.005
    assert (difference > 0).mean() < 0.05


# --- histogram ---------------------------------------------------------------------------


def test_histogram_marks_mean_and_median_with_labels() -> None:
    # GIVEN values with mean 4 and median 2.5
    request = request_of(kind="histogram", data=[1, 2, 3, 10], options={"bins": 4})
    # WHEN the figure is built
    figure = render_module._histogram(request, THEMES["light"], render_module._Layout(request))
    ax = figure.axes[0]
    # THEN two labelled vertical lines sit at the mean and the median
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["mean 4", "median 2.5"]
    assert [line.get_xdata()[0] for line in ax.lines] == [4.0, 2.5]


def test_histogram_uses_the_colour_option() -> None:
    request = request_of(
        kind="histogram", data=[1, 2, 2, 3, 3, 3], options={"color": "#123456", "bins": 3}
    )
    assert count_color(pixels(render(request)[0]), "#123456") > 10_000


def test_histogram_of_one_repeated_value_renders() -> None:
    request = request_of(kind="histogram", data=[5, 5, 5], width=400, height=300)
    assert Image.open(io.BytesIO(render(request)[0])).size == (400, 300)


def test_render_raises_missing_column_and_no_numeric_data() -> None:
    with pytest.raises(MissingColumnError):
        render(request_of(kind="histogram", data=[{"a": 1}], options={"column": "b"}))
    with pytest.raises(NoNumericDataError):
        render(request_of(kind="histogram", data=[{"value": "x"}]))


def test_titles_are_plain_text_not_mathtext() -> None:
    # GIVEN a title that would be invalid mathtext
    request = request_of(
        kind="histogram", title=r"P&L in $ \frac{ <b> --> $", data=[1, 2], format="svg"
    )
    # WHEN / THEN it renders, and the SVG stays well-formed
    ET.fromstring(render(request)[0])  # noqa: S314 (our own output)


def test_dense_volume_bars_look_like_drawing_every_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN 5,000 candles with volumes, several per pixel column
    request = request_of(kind="candlestick", width=800, height=400, data=candle_rows(5000))
    # WHEN rendered with one bar per pixel column and colour, and with every bar
    reduced = pixels(render(request)[0]).astype(int)
    every_bar = render_module._volume_bars
    monkeypatch.setattr(
        render_module,
        "_volume_bars",
        lambda x, volumes, up, half, _: every_bar(x, volumes, up, half, 1.0),
    )
    full = pixels(render(request)[0]).astype(int)
    # THEN hardly any pixel differs visibly
    difference = np.abs(reduced - full).max(axis=2)
    assert (difference > 64).mean() < 0.01
    # AND the reduction drew far fewer bars than candles
    x = np.arange(5000.0)
    bars = every_bar(x, np.ones(5000), x % 2 == 0, 0.35, 0.15)
    assert sum(len(left) for left, *_ in bars) <= 2 * 752
