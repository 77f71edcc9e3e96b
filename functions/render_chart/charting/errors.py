"""Errors that a valid (schema-conforming) chart request can still end in.

They are raised by functions (`charting.requests.histogram_values`,
`charting.requests.check_renderable` and `charting.render.render`), never by pydantic, so
the HTTP edge can map each one to its own stable code instead of `VALIDATION_FAILED`.
"""

from __future__ import annotations


class ChartDataError(Exception):
    """Base class; `code` is the SPEC error code, `detail` is safe to show to the caller."""

    code = "CHART_DATA"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MissingColumnError(ChartDataError):
    """Histogram rows are objects and not one of them has the requested column."""

    code = "MISSING_COLUMN"

    def __init__(self, column: str) -> None:
        super().__init__(f"No row of the data has the column {column!r}.")
        self.column = column


class NoNumericDataError(ChartDataError):
    """Histogram data holds no numeric value to count."""

    code = "NO_NUMERIC_DATA"

    def __init__(self, detail: str = "The data holds no numeric values.") -> None:
        super().__init__(detail)
