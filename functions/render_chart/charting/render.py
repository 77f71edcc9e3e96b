"""Rendering of a validated ChartRequest to PNG or SVG bytes.

Import this module on a cache miss only: it imports numpy, pandas and matplotlib (about
0.8 s in a cold process). Everything reusable (rcParams, themes, fonts) is set up once, at
import. Drawing uses `matplotlib.figure.Figure` with explicit canvases (no pyplot state).

Guarantees:

- Exact size: figsize = (width / 100, height / 100) at dpi 100, no tight bounding box; the
  SVG root's `width` / `height` are rewritten to the unitless pixel numbers (the viewBox
  stays as matplotlib writes it, in points, so the drawing scales to the pixel size).
- Same request, same bytes: PNGs carry only IHDR, pHYs, IDAT and IEND chunks; SVGs have a
  fixed `svg.hashsalt`, no metadata element, no dates and no comments. Text is drawn with
  matplotlib's bundled DejaVu Sans only (as paths in SVG), so no system font matters.
- Speed: candle bodies, wicks and volume bars are one compound path per colour; an equity
  series longer than 2 × width points is reduced per pixel column to its first, last,
  minimum and maximum points (M4), which draws the same pixels as the full series.
- Time axes are in UTC. Candles are placed by index (no gaps for nights and weekends),
  labelled with their timestamps; equity uses a real time axis.
"""

from __future__ import annotations

import os

# Before matplotlib is imported: Lambda's only writable place is /tmp, and without a writable
# config dir matplotlib rebuilds its font cache in every cold process.
os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib")  # noqa: S108

import io
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker as mticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.textpath import text_to_path
from PIL import Image

from charting.canonical import CONTENT_TYPES
from charting.requests import ChartRequest, histogram_values

DPI = 100
PX_PER_PT = DPI / 72.0
FONT_FAMILY = "DejaVu Sans"
UP_COLOR = "#26a69a"
DOWN_COLOR = "#ef5350"
EQUITY_COLOR = "#2962ff"
DRAWDOWN_COLOR = "#ef5350"
SMA_COLORS = ("#ff9800", "#2962ff", "#ab47bc")
MARKER_COLORS = ("#ff9800", "#ab47bc", "#00bcd4", "#ef5350")  # the median line picks one
DOWNSAMPLE_FACTOR = 2  # reduce series longer than this many points per pixel of width

matplotlib.rcParams.update(
    {
        "font.family": "sans-serif",
        "font.sans-serif": [FONT_FAMILY],
        "mathtext.fontset": "dejavusans",
        "axes.unicode_minus": True,
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-5, 7),
        "date.epoch": "1970-01-01T00:00:00",
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "svg.fonttype": "path",
        "svg.hashsalt": "signals-serverless-charts",
        "path.simplify": True,
        "legend.fancybox": False,
    }
)
# Titles may hold characters DejaVu Sans lacks; they draw as boxes, which is enough.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning)


@dataclass(frozen=True)
class Theme:
    background: str
    text: str
    muted: str
    grid: str
    spine: str


THEMES = {
    "light": Theme(
        background="#ffffff", text="#131722", muted="#555a66", grid="#e6e8ee", spine="#b2b5be"
    ),
    "dark": Theme(
        background="#131722", text="#d1d4dc", muted="#9598a1", grid="#2a2e39", spine="#434651"
    ),
}

_SVG_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_SVG_METADATA = re.compile(r"<metadata\b.*?</metadata>\n?|<metadata\b[^>]*/>\n?", re.DOTALL)
_SVG_ROOT = re.compile(r"<svg\b[^>]*>")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BODY_CODES = np.array(
    [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY], dtype=Path.code_type
)
_SEGMENT_CODES = np.array([Path.MOVETO, Path.LINETO], dtype=Path.code_type)


def render(request: ChartRequest) -> tuple[bytes, str]:
    """Draw the chart; returns (image bytes, content type).

    Raises MissingColumnError / NoNumericDataError for a histogram without usable values.
    """
    return _render(request)


def _render(request: ChartRequest, *, downsample: bool = True) -> tuple[bytes, str]:
    theme = THEMES[request.theme]
    layout = _Layout(request)
    if request.kind == "candlestick":
        figure = _candlestick(request, theme, layout)
    elif request.kind == "equity":
        figure = _equity(request, theme, layout, downsample=downsample)
    else:
        figure = _histogram(request, theme, layout)
    if request.title:
        figure.text(
            0.5,
            1 - layout.pad / request.height,
            request.title,
            ha="center",
            va="top",
            fontsize=layout.title_size,
            color=theme.text,
            parse_math=False,
        )
    return _encode(figure, request), CONTENT_TYPES[request.format]


# --- output ------------------------------------------------------------------------------


def _encode(figure: Figure, request: ChartRequest) -> bytes:
    buffer = io.BytesIO()
    if request.format == "png":
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        # The figure is opaque, so RGB loses nothing and is ~25 % faster to encode and ~9 %
        # smaller than matplotlib's RGBA PNG. Pillow writes only IHDR, pHYs, IDAT, IEND.
        rgba = Image.frombuffer(
            "RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        rgba.convert("RGB").save(buffer, format="PNG", dpi=(figure.dpi, figure.dpi))
        return buffer.getvalue()
    metadata: dict[str, Any] = {"Creator": None, "Date": None, "Format": None, "Type": None}
    FigureCanvasSVG(figure).print_svg(buffer, metadata=metadata)
    return _clean_svg(buffer.getvalue().decode("utf-8"), request.width, request.height)


def _clean_svg(svg: str, width: int, height: int) -> bytes:
    svg = _SVG_METADATA.sub("", _SVG_COMMENT.sub("", svg))
    root = _SVG_ROOT.search(svg)
    assert root is not None, "matplotlib wrote no <svg> element"
    tag = re.sub(r'\swidth="[^"]*"', f' width="{width}"', root.group(), count=1)
    tag = re.sub(r'\sheight="[^"]*"', f' height="{height}"', tag, count=1)
    return (svg[: root.start()] + tag + svg[root.end() :]).encode("utf-8")


# --- layout ------------------------------------------------------------------------------


class _Layout:
    """Font sizes and margins in pixels, scaled with the image."""

    def __init__(self, request: ChartRequest) -> None:
        self.width = request.width
        self.height = request.height
        scale = min(max(min(request.width / 1200, request.height / 600), 0.8), 2.5)
        self.scale = scale
        self.font_size = 9.0 * scale  # points
        self.title_size = 12.0 * scale
        self.line_width = 1.0 * scale
        self.pad = 10.0 * scale
        self.font = FontProperties(family=FONT_FAMILY, size=self.font_size)
        title_lines = request.title.count("\n") + 1 if request.title else 0
        self.top = self.pad + (title_lines * 12.0 * scale * 1.3 * PX_PER_PT + self.pad)
        if not title_lines:
            self.top = self.pad * 1.5
        self.font_px = self.font_size * PX_PER_PT

    def text_width(self, text: str) -> float:
        width, _, _ = text_to_path.get_text_width_height_descent(text, self.font, ismath=False)
        return width * PX_PER_PT

    def grid(
        self,
        figure: Figure,
        ratios: list[float],
        left: float,
        right: float,
        bottom: float,
    ) -> Any:
        gap = self.pad * 1.2
        rows = len(ratios)
        inner = self.height - self.top - bottom
        mean_height = (inner - gap * (rows - 1)) / rows
        return figure.add_gridspec(
            rows,
            1,
            height_ratios=ratios,
            left=left / self.width,
            right=1 - right / self.width,
            top=1 - self.top / self.height,
            bottom=bottom / self.height,
            hspace=gap / mean_height if rows > 1 else 0,
        )


def _figure(request: ChartRequest, theme: Theme) -> Figure:
    return Figure(
        figsize=(request.width / DPI, request.height / DPI),
        dpi=DPI,
        facecolor=theme.background,
    )


def _style(ax: Axes, theme: Theme, layout: _Layout) -> None:
    ax.set_facecolor(theme.background)
    for name, spine in ax.spines.items():
        spine.set_color(theme.spine)
        spine.set_linewidth(0.8 * layout.scale)
        if name in ("top", "right"):
            spine.set_visible(False)
    ax.tick_params(
        colors=theme.spine,
        labelcolor=theme.muted,
        labelsize=layout.font_size,
        width=0.8 * layout.scale,
        length=3 * layout.scale,
    )
    ax.grid(True, color=theme.grid, linewidth=0.8 * layout.scale)
    ax.set_axisbelow(True)


def _y_locator(layout: _Layout, panel_px: float) -> mticker.MaxNLocator:
    return mticker.MaxNLocator(nbins=max(2, int(panel_px // (layout.font_px * 3.2))))


def _label_width(
    layout: _Layout,
    low: float,
    high: float,
    panel_px: float,
    formatter: mticker.Formatter | None = None,
) -> float:
    """Width in pixels of the widest y tick label [low, high] will get (no axes needed)."""
    formatter = formatter or mticker.ScalarFormatter()
    formatter.create_dummy_axis()
    assert formatter.axis is not None
    formatter.axis.set_view_interval(low, high)
    ticks = [t for t in _y_locator(layout, panel_px).tick_values(low, high) if low <= t <= high]
    labels = formatter.format_ticks(ticks)
    return max((layout.text_width(label) for label in labels), default=0.0)


def _set_y(ax: Axes, layout: _Layout, low: float, high: float, panel_px: float) -> None:
    ax.set_ylim(low, high)
    ax.yaxis.set_major_locator(_y_locator(layout, panel_px))


def _y_label(
    ax: Axes, text: str, theme: Theme, layout: _Layout, label_px: float, plot_px: float
) -> None:
    """A y axis label left of tick labels `label_px` wide; equal offsets align panels."""
    ax.set_ylabel(text, color=theme.muted, fontsize=layout.font_size)
    tick_px = (3 + 3.5) * layout.scale * PX_PER_PT  # tick length + label pad
    ax.yaxis.set_label_coords(-(label_px + tick_px + layout.pad * 0.6) / plot_px, 0.5)


def _legend(
    ax: Axes, theme: Theme, layout: _Layout, loc: Literal["upper left", "upper right"]
) -> None:
    legend = ax.legend(
        loc=loc,
        fontsize=layout.font_size,
        frameon=True,
        facecolor=theme.background,
        edgecolor=theme.grid,
        labelcolor=theme.text,
        framealpha=0.85,
        handlelength=1.6,
    )
    legend.get_frame().set_linewidth(0.8 * layout.scale)


def _span(low: float, high: float, fraction: float = 0.05) -> tuple[float, float]:
    """Limits around [low, high] with a margin; never singular."""
    if high > low:
        pad = (high - low) * fraction
        return low - pad, high + pad
    pad = abs(low) * 0.01 or 1.0
    return low - pad, high + pad


def _compound(vertices: np.ndarray, codes: np.ndarray) -> Path:
    """One path from (n, k, 2) vertices, repeating the k codes per item."""
    count = len(vertices)
    return Path(vertices.reshape(count * len(codes), 2), np.tile(codes, count))


def _add_path(ax: Axes, path: Path, **style: Any) -> None:
    # add_artist (not add_patch): the limits are set by hand, and add_patch would walk every
    # vertex in Python to update the data limits.
    ax.add_artist(PathPatch(path, **style))


def _rectangles(x: np.ndarray, half: float, bottom: np.ndarray, top: np.ndarray) -> Path:
    return _boxes(x - half, x + half, bottom, top)


def _boxes(left: np.ndarray, right: np.ndarray, bottom: np.ndarray, top: np.ndarray) -> Path:
    vertices = np.empty((len(left), 5, 2))
    vertices[:, (0, 3, 4), 0] = left[:, None]
    vertices[:, (1, 2), 0] = right[:, None]
    vertices[:, (0, 1, 4), 1] = bottom[:, None]
    vertices[:, (2, 3), 1] = top[:, None]
    return _compound(vertices, _BODY_CODES)


def _segments(x: np.ndarray, bottom: np.ndarray, top: np.ndarray) -> Path:
    vertices = np.empty((len(x), 2, 2))
    vertices[:, 0, 0] = x
    vertices[:, 0, 1] = bottom
    vertices[:, 1, 0] = x
    vertices[:, 1, 1] = top
    path = _compound(vertices, _SEGMENT_CODES)
    path.should_simplify = False  # keep every wick, even where they share a pixel column
    return path


# --- candlestick -------------------------------------------------------------------------


def _time_format(timestamps: np.ndarray) -> str:
    span = timestamps[-1] - timestamps[0]
    step = float(np.median(np.diff(timestamps)))
    if step < 60 and span <= 86400:
        return "%H:%M:%S"
    if span <= 86400:
        return "%H:%M"
    if step < 86400:
        return "%b %d %H:%M"
    if span <= 3 * 365 * 86400:
        return "%Y-%m-%d"
    return "%Y-%m"


def _utc(seconds: float) -> datetime:
    return _EPOCH + timedelta(seconds=float(seconds))


def _candlestick(request: ChartRequest, theme: Theme, layout: _Layout) -> Figure:
    columns = request.columns
    timestamps = np.asarray(columns["timestamp"])
    opens = np.asarray(columns["open"])
    highs = np.asarray(columns["high"])
    lows = np.asarray(columns["low"])
    closes = np.asarray(columns["close"])
    volumes = None
    if request.options["volume"] and columns["volume"] is not None:
        volumes = np.asarray(columns["volume"])
    count = len(timestamps)
    x = np.arange(count, dtype=float)
    up = closes >= opens

    figure = _figure(request, theme)
    bottom_px = layout.font_px + layout.pad * 2.2
    label_format = _time_format(timestamps)
    sample_label = _utc(timestamps[-1]).strftime(label_format)
    right_px = max(layout.pad * 2, layout.text_width(sample_label) / 2 + layout.pad / 2)
    inner_px = request.height - layout.top - bottom_px
    ratios = [3.0, 1.0] if volumes is not None else [1.0]
    price_px = inner_px * ratios[0] / sum(ratios)

    # Limits and tick labels first: the left margin depends on the widest label.
    low, high = _span(float(lows.min()), float(highs.max()))
    label_px = _label_width(layout, low, high, price_px)
    volume_limit = 1.0
    if volumes is not None:
        volume_limit = float(volumes.max()) * 1.1 or 1.0
        label_px = max(label_px, _label_width(layout, 0.0, volume_limit, inner_px - price_px))
    first_label = _utc(timestamps[0]).strftime(label_format)
    left_px = max(label_px + layout.pad * 1.6, layout.text_width(first_label) / 2 + layout.pad / 2)

    grid = layout.grid(figure, ratios, left_px, right_px, bottom_px)
    price = figure.add_subplot(grid[0])
    axes = [price]
    _style(price, theme, layout)
    _set_y(price, layout, low, high, price_px)

    # Bodies at least one pixel tall, so that a doji still shows.
    one_pixel = (high - low) / max(price_px, 1.0)
    body_low = np.minimum(opens, closes)
    body_high = np.maximum(opens, closes)
    thin = body_high - body_low < one_pixel
    middle = (body_low + body_high) / 2
    body_low = np.where(thin, middle - one_pixel / 2, body_low)
    body_high = np.where(thin, middle + one_pixel / 2, body_high)
    plot_px = request.width - left_px - right_px
    candle_px = plot_px / (count + 0.2)
    wick_width = 0.75 * min(layout.scale, max(0.4, candle_px))
    # Bars at least one pixel wide: thinner ones would fade out under antialiasing.
    half = max(0.35, 0.5 / candle_px)
    for mask, color in ((up, UP_COLOR), (~up, DOWN_COLOR)):
        if not mask.any():
            continue
        _add_path(
            price,
            _segments(x[mask], lows[mask], highs[mask]),
            fill=False,
            edgecolor=color,
            linewidth=wick_width,
        )
        _add_path(
            price,
            _rectangles(x[mask], half, body_low[mask], body_high[mask]),
            facecolor=color,
            edgecolor="none",
            linewidth=0,
        )

    close_series = pd.Series(closes)
    for period, color in zip(request.options["sma"], SMA_COLORS, strict=False):
        average = close_series.rolling(period).mean().to_numpy()
        price.plot(
            x, average, color=color, linewidth=layout.line_width * 1.2, label=f"SMA {period}"
        )
    if request.options["sma"]:
        _legend(price, theme, layout, "upper left")

    if volumes is not None:
        panel = figure.add_subplot(grid[1], sharex=price)
        axes.append(panel)
        _style(panel, theme, layout)
        _set_y(panel, layout, 0.0, volume_limit, inner_px - price_px)
        for left, right, height, color in _volume_bars(x, volumes, up, half, candle_px):
            _add_path(
                panel,
                _boxes(left, right, np.zeros(len(height)), height),
                # Opaque colours blended by hand: alpha blending 10,000 bars costs ~60 ms.
                facecolor=_blend(color, theme.background, 0.6),
                edgecolor="none",
                linewidth=0,
            )
        price.tick_params(labelbottom=False)

    price.set_xlim(-0.6, count - 0.4)
    bottom_axes = axes[-1]
    bottom_axes.xaxis.set_major_locator(
        mticker.MaxNLocator(nbins=max(2, int(plot_px // 130)), integer=True, min_n_ticks=2)
    )

    def label(position: float, _: Any) -> str:
        index = round(position)
        if 0 <= index < count:
            return _utc(timestamps[index]).strftime(label_format)
        return ""

    bottom_axes.xaxis.set_major_formatter(mticker.FuncFormatter(label))
    return figure


def _volume_bars(
    x: np.ndarray, volumes: np.ndarray, up: np.ndarray, half: float, candle_px: float
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, str]]:
    """(left, right, height, colour) of the volume bars, up bars first.

    With more candles than pixels, only the tallest up bar and the tallest down bar of each
    pixel column are kept: opaque bars drawn up-then-down leave exactly that visible.
    """
    if candle_px >= 1:
        return [
            (x[mask] - half, x[mask] + half, volumes[mask], color)
            for mask, color in ((up, UP_COLOR), (~up, DOWN_COLOR))
            if mask.any()
        ]
    column = np.floor((x + 0.6) * candle_px).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    left = column[starts] / candle_px - 0.6
    right = (column[starts] + 1) / candle_px - 0.6
    bars = []
    for mask, color in ((up, UP_COLOR), (~up, DOWN_COLOR)):
        tallest = np.maximum.reduceat(np.where(mask, volumes, -1.0), starts)
        keep = tallest >= 0
        if keep.any():
            bars.append((left[keep], right[keep], tallest[keep], color))
    return bars


def _blend(color: str, background: str, alpha: float) -> str:
    """`color` at `alpha` over `background`, as an opaque #rrggbb."""
    mixed = (
        round(alpha * int(color[i : i + 2], 16) + (1 - alpha) * int(background[i : i + 2], 16))
        for i in (1, 3, 5)
    )
    return "#" + "".join(f"{value:02x}" for value in mixed)


# --- equity ------------------------------------------------------------------------------


def minmax_downsample(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first, last, lowest and highest point of each of `buckets` equal x ranges.

    `x` must be increasing. Kept points stay in x order, so a line through them covers the
    same pixels as the full series when a bucket is at most one pixel wide.
    """
    count = len(x)
    if count <= 4 * buckets or x[-1] <= x[0]:
        return x, y
    bucket = ((x - x[0]) * (buckets / (x[-1] - x[0]))).astype(np.int64)
    np.minimum(bucket, buckets - 1, out=bucket)
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], count]
    order = np.lexsort((y, bucket))  # by bucket, then by value: each bucket's min ... max
    keep = np.unique(np.concatenate((starts, ends - 1, order[starts], order[ends - 1])))
    return x[keep], y[keep]


def _equity(request: ChartRequest, theme: Theme, layout: _Layout, *, downsample: bool) -> Figure:
    columns = request.columns
    seconds = np.asarray(columns["timestamp"])
    equity = np.asarray(columns["equity"])
    if columns["drawdown"] is None:
        drawdown = (equity / np.maximum.accumulate(equity) - 1.0) * 100.0
    else:
        drawdown = np.asarray(columns["drawdown"]) * 100.0
    drawdown = np.minimum(drawdown, 0.0) + 0.0  # rounding can leave +1e-14 at a new peak
    days = seconds / 86400.0  # matplotlib date numbers (epoch 1970-01-01)

    figure = _figure(request, theme)
    bottom_px = layout.font_px + layout.pad * 2.2
    inner_px = request.height - layout.top - bottom_px
    ratios = [3.0, 1.2]
    top_px = inner_px * ratios[0] / sum(ratios)
    low, high = _span(float(equity.min()), float(equity.max()))
    deepest = float(drawdown.min())
    bottom_px += layout.font_px * 1.4  # the date offset (year, month) under the last tick
    dd_low = deepest * 1.1 if deepest < 0 else -1.0
    dd_high = -dd_low * 0.03

    label_px = max(
        _label_width(layout, low, high, top_px),
        _label_width(layout, dd_low, dd_high, inner_px - top_px, mticker.PercentFormatter(100)),
    )
    left_px = label_px + layout.pad * 1.6 + layout.font_px * 1.6
    right_px = layout.pad * 3
    grid = layout.grid(figure, ratios, left_px, right_px, bottom_px)
    plot_px = int(request.width - left_px - right_px)

    top = figure.add_subplot(grid[0])
    bottom = figure.add_subplot(grid[1], sharex=top)
    for ax in (top, bottom):
        _style(ax, theme, layout)
    _set_y(top, layout, low, high, top_px)
    bottom.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100))
    _set_y(bottom, layout, dd_low, dd_high, inner_px - top_px)

    reduce = downsample and len(days) > DOWNSAMPLE_FACTOR * request.width
    line_x, line_y = minmax_downsample(days, equity, plot_px) if reduce else (days, equity)
    top.plot(line_x, line_y, color=EQUITY_COLOR, linewidth=layout.line_width * 1.3)
    dd_x, dd_y = minmax_downsample(days, drawdown, plot_px) if reduce else (days, drawdown)
    bottom.fill_between(dd_x, dd_y, 0.0, color=DRAWDOWN_COLOR, alpha=0.3, linewidth=0)
    bottom.plot(dd_x, dd_y, color=DRAWDOWN_COLOR, linewidth=layout.line_width)
    bottom.axhline(0.0, color=theme.spine, linewidth=0.8 * layout.scale)

    top.set_xlim(days[0], days[-1])
    top.tick_params(labelbottom=False)
    _y_label(top, "equity", theme, layout, label_px, plot_px)
    _y_label(bottom, "drawdown", theme, layout, label_px, plot_px)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=max(4, plot_px // 110))
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=True))
    return figure


# --- histogram ---------------------------------------------------------------------------


def _contrasting(color: str, candidates: tuple[str, ...]) -> str:
    """The candidate farthest (in RGB) from `color` (both `#rrggbb`)."""

    def rgb(text: str) -> tuple[int, int, int]:
        return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)

    base = rgb(color)
    return max(
        candidates, key=lambda c: sum((a - b) ** 2 for a, b in zip(rgb(c), base, strict=True))
    )


def _number_label(value: float) -> str:
    return f"{value:.6g}".replace("-", "\N{MINUS SIGN}")


def _histogram(request: ChartRequest, theme: Theme, layout: _Layout) -> Figure:
    values = np.asarray(histogram_values(request), dtype=float)
    options = request.options
    low, high = float(values.min()), float(values.max())
    if high <= low:
        pad = max(abs(low) * 1e-3, 0.5)
        low, high = low - pad, high + pad
    counts, edges = np.histogram(values, bins=options["bins"], range=(low, high))
    mean = float(values.mean())
    median = float(np.median(values))

    figure = _figure(request, theme)
    has_label = isinstance(request.data[0], dict)
    bottom_px = layout.font_px * (2.4 if has_label else 1) + layout.pad * 2.2
    inner_px = request.height - layout.top - bottom_px
    count_high = float(counts.max()) * 1.08 or 1.0
    label_px = _label_width(layout, 0.0, count_high, inner_px)
    left_px = label_px + layout.pad * 1.6 + layout.font_px * 1.6
    right_px = layout.pad * 3
    grid = layout.grid(figure, [1.0], left_px, right_px, bottom_px)
    ax = figure.add_subplot(grid[0])
    _style(ax, theme, layout)
    ax.grid(False, axis="x")
    _set_y(ax, layout, 0.0, count_high, inner_px)

    plot_px = request.width - left_px - right_px
    separator = 0.8 * layout.scale if options["bins"] * 4 <= plot_px else 0.0
    path = _boxes(edges[:-1], edges[1:], np.zeros(len(counts)), counts.astype(float))
    _add_path(
        ax,
        path,
        facecolor=options["color"],
        edgecolor=theme.background if separator else "none",
        linewidth=separator,
    )
    median_color = _contrasting(options["color"], MARKER_COLORS)
    ax.axvline(
        mean,
        color=theme.text,
        linestyle="--",
        linewidth=layout.line_width * 1.5,
        label=f"mean {_number_label(mean)}",
    )
    ax.axvline(
        median,
        color=median_color,
        linestyle=":",
        linewidth=layout.line_width * 1.8,
        label=f"median {_number_label(median)}",
    )
    ax.set_xlim(*_span(float(edges[0]), float(edges[-1]), 0.02))
    ax.xaxis.set_major_locator(mticker.MaxNLocator(nbins=max(3, int(plot_px // 100))))
    _y_label(ax, "count", theme, layout, label_px, plot_px)
    if has_label:
        ax.set_xlabel(
            options["column"], color=theme.muted, fontsize=layout.font_size, parse_math=False
        )
    _legend(ax, theme, layout, "upper right")
    return figure
