"""The content address of a chart: sha256 over the canonical normalised request.

On the cache-hit path: no numpy, pandas or matplotlib here.

The canonical form is compact JSON with sorted keys (ASCII, `\\u` escapes, no whitespace) of
`{"renderer": RENDERER_VERSION, "request": {...}}`, where the request has every default
filled in and every number as a float (so `1`, `1.0` and `1.00` are one number, `-0.0` is
`0.0`), timestamps as Unix seconds (so `"2024-01-01T00:00:00Z"` and `1704067200` are one
instant), candlestick / equity data as columns and the histogram colour as `#rrggbb`.
"""

from __future__ import annotations

import hashlib
import json
import math
from decimal import Decimal
from typing import Any

from charting.requests import ChartRequest

# Bump the first part whenever the drawing code changes what a request looks like; the rest
# names the pinned libraries that decide the output bytes (a unit test checks them).
RENDERER_VERSION = "charting-1;matplotlib-3.11.2;numpy-2.4.6;pandas-3.1.1"

CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def _canonical_value(value: Any) -> Any:
    """Arbitrary JSON (histogram rows) with numbers as floats; non-finite numbers as text."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, Decimal)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            number = math.inf if value > 0 else -math.inf
        except ValueError:  # a signalling NaN
            number = math.nan
        if math.isfinite(number):
            return number + 0.0
        return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(key): _canonical_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_value(item) for item in value]
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _canonical_data(request: ChartRequest) -> Any:
    if request.kind == "histogram":
        return _canonical_value(request.data)
    return request.columns  # already normalised floats (None for an absent optional column)


def canonical_document(request: ChartRequest) -> dict[str, Any]:
    return {
        "renderer": RENDERER_VERSION,
        "request": {
            "kind": request.kind,
            "title": request.title,
            "width": request.width,
            "height": request.height,
            "format": request.format,
            "theme": request.theme,
            "options": request.options,
            "data": _canonical_data(request),
        },
    }


def canonical_json(request: ChartRequest) -> bytes:
    """Canonical ASCII JSON of the normalised request plus RENDERER_VERSION."""
    return json.dumps(
        canonical_document(request),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    ).encode("utf-8")


def chart_key(request: ChartRequest) -> tuple[str, str]:
    """(sha256 hex of the canonical form, object key `charts/<sha256>.<png|svg>`)."""
    digest = hashlib.sha256(canonical_json(request)).hexdigest()
    return digest, f"charts/{digest}.{request.format}"
