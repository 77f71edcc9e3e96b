"""Chart requests, their content address and (in `charting.render`) their rendering.

Importing this package (or `charting.requests` / `charting.canonical`) stays cheap: only
`charting.render` imports numpy, pandas and matplotlib, so import it on a cache miss only.
"""

from charting.canonical import CONTENT_TYPES, RENDERER_VERSION, canonical_json, chart_key
from charting.errors import ChartDataError, MissingColumnError, NoNumericDataError
from charting.requests import ChartRequest, check_renderable, histogram_values

__all__ = [
    "CONTENT_TYPES",
    "RENDERER_VERSION",
    "ChartDataError",
    "ChartRequest",
    "MissingColumnError",
    "NoNumericDataError",
    "canonical_json",
    "chart_key",
    "check_renderable",
    "histogram_values",
]
