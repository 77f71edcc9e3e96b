"""The body of POST /api/v1/charts, validated and normalised (SPEC section 4).

This module is on the cache-hit path: it must not import numpy, pandas or matplotlib.

Shape problems raise `pydantic.ValidationError` (the edge maps them to
`422 VALIDATION_FAILED`), with locations such as `("data", 12, "high")` or
`("options", "sma", 1)`. After validation:

- `request.options` holds the normalised options with every default filled in.
- `request.columns` (candlestick, equity) holds the data as columns of floats, timestamps
  as Unix seconds; `volume` / `drawdown` are `None` when the rows do not carry them.
- `histogram_values(request)` returns the numbers a histogram counts, or raises
  `MissingColumnError` / `NoNumericDataError`.

Choices the SPEC leaves open:

- Numbers are JSON numbers: `int` (not `bool`), `float` or `Decimal` (what an exact JSON
  parser produces). They must be finite and at most 1e300 in magnitude. Integer fields
  (`width`, `height`, `bins`, `sma`) also accept integral decimals such as `1200.0`, so that
  `1.0` and `1` stay the same logical request.
- Timestamps are Unix seconds (integer or decimal) or RFC 3339 strings with a time zone
  (`Z` or `+hh:mm`), between 0001-01-01 and 9999-12-31 UTC.
- Equity timestamps must be strictly increasing, like candle timestamps (it is a time
  series drawn against a time axis).
- Equity: when `drawdown` is absent it is computed from the running peak, so `equity` must
  then be greater than 0. A given `drawdown` is a fraction between -1 and 0 (`-0.12` means
  a 12 % drawdown) and is drawn in percent.
- Candle volumes must be at least 0. Prices may be negative.
- Histogram: `data` is either a list of numbers (every element a number, at least one) or a
  list of objects. In objects, column values that are not usable numbers (strings, null,
  booleans, arrays, objects, non-finite or out-of-range numbers) are skipped, and so are
  rows without the column. An empty list, or no usable value, is `NoNumericDataError`; a
  column that no row has is `MissingColumnError`.
- `options.color` is `#rgb`, `#rrggbb` or one of the CSS colour names in `NAMED_COLORS`
  (case-insensitive); it is normalised to lower-case `#rrggbb`. Default `#2962ff`.
  (A fixed table rather than `matplotlib.colors.is_color_like`, which would import
  matplotlib on the cache-hit path and accept forms such as `"0.5"` or `"C1"`.)
- `title` and `options.column` must not contain control characters (a newline is allowed
  in the title) or lone surrogates.
- Unknown options are rejected like unknown fields; equity takes no options.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from operator import itemgetter, le, lt, methodcaller
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from charting.errors import MissingColumnError, NoNumericDataError

Kind = Literal["candlestick", "equity", "histogram"]

TITLE_MAX_CHARS = 120
WIDTH_RANGE = (320, 3840)
HEIGHT_RANGE = (240, 2160)
CANDLE_ROWS = (2, 20_000)
EQUITY_ROWS = (2, 200_000)
HISTOGRAM_MAX_VALUES = 3_000_000  # the 5 MiB body limit is reached first
SMA_MAX_LINES = 3
SMA_PERIOD_RANGE = (2, 500)
BINS_RANGE = (1, 200)
DEFAULT_BINS = 30
DEFAULT_COLUMN = "value"
COLUMN_MAX_CHARS = 64
DEFAULT_HISTOGRAM_COLOR = "#2962ff"
MAX_ABS_NUMBER = 1e300
MAX_REPORTED_ERRORS = 20
TIMESTAMP_MAX_CHARS = 64
MIN_TIMESTAMP = -62135596800.0  # 0001-01-01T00:00:00Z
MAX_TIMESTAMP = 253402300799.0  # 9999-12-31T23:59:59Z

NAMED_COLORS: dict[str, str] = {
    "black": "#000000",
    "silver": "#c0c0c0",
    "gray": "#808080",
    "grey": "#808080",
    "white": "#ffffff",
    "maroon": "#800000",
    "red": "#ff0000",
    "purple": "#800080",
    "fuchsia": "#ff00ff",
    "magenta": "#ff00ff",
    "green": "#008000",
    "lime": "#00ff00",
    "olive": "#808000",
    "yellow": "#ffff00",
    "navy": "#000080",
    "blue": "#0000ff",
    "teal": "#008080",
    "aqua": "#00ffff",
    "cyan": "#00ffff",
    "orange": "#ffa500",
    "gold": "#ffd700",
    "pink": "#ffc0cb",
    "brown": "#a52a2a",
    "crimson": "#dc143c",
    "coral": "#ff7f50",
    "tomato": "#ff6347",
    "indigo": "#4b0082",
    "violet": "#ee82ee",
    "turquoise": "#40e0d0",
    "steelblue": "#4682b4",
    "royalblue": "#4169e1",
    "slategray": "#708090",
    "darkgreen": "#006400",
    "darkred": "#8b0000",
    "darkblue": "#00008b",
}

_HEX_COLOR = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_MISSING: Any = object()

CANDLE_PRICE_KEYS = ("open", "high", "low", "close")
CANDLE_KEYS = frozenset(("timestamp", *CANDLE_PRICE_KEYS, "volume"))
EQUITY_KEYS = frozenset(("timestamp", "equity", "drawdown"))


# --- scalar rules ------------------------------------------------------------------------


class _Reject(Exception):
    """One value breaks a rule; `args[0]` is the message for the caller."""


_NOT_A_NUMBER = "must be a JSON number"
_OUT_OF_RANGE = f"must be a finite number of magnitude at most {MAX_ABS_NUMBER:g}"


def _is_number_type(kind: type) -> bool:
    return issubclass(kind, (int, float, Decimal)) and not issubclass(kind, bool)


def as_float(value: Any) -> float:
    """A JSON number as a float (normalising -0.0 to 0.0); raises `_Reject` otherwise."""
    if not _is_number_type(type(value)):
        raise _Reject(_NOT_A_NUMBER)
    try:
        result = float(value)
    except (OverflowError, ValueError):  # an int too large for a float, a signalling NaN
        raise _Reject(_OUT_OF_RANGE) from None
    if not -MAX_ABS_NUMBER <= result <= MAX_ABS_NUMBER:  # also false for NaN
        raise _Reject(_OUT_OF_RANGE)
    return result + 0.0


def as_int(value: Any, low: int, high: int) -> int:
    """An integer (or an integral decimal such as 2.0) within [low, high]."""
    if not _is_number_type(type(value)):
        raise _Reject("must be an integer")
    if not isinstance(value, int):
        try:
            integral = math.isfinite(value) and value == int(value)
        except (OverflowError, ValueError, ArithmeticError):
            integral = False
        if not integral:
            raise _Reject("must be an integer")
        value = int(value)
    if not low <= value <= high:
        raise _Reject(f"must be between {low} and {high}")
    return int(value)


def parse_timestamp(value: Any) -> float:
    """Unix seconds (number) or an RFC 3339 string with a time zone, as Unix seconds.

    Both forms give exactly the same float for the same instant: the RFC 3339 text is
    converted through a Decimal, rounded once, like a JSON decimal is.
    """
    if isinstance(value, str):
        seconds = _parse_rfc3339(value)
    else:
        try:
            seconds = as_float(value)
        except _Reject:
            raise _Reject(
                "must be Unix seconds (a number) or an RFC 3339 date-time string"
            ) from None
    if not MIN_TIMESTAMP <= seconds <= MAX_TIMESTAMP:
        raise _Reject("must lie between 0001-01-01 and 9999-12-31 (Unix seconds expected)")
    return seconds


def _parse_rfc3339(text: str) -> float:
    match = _RFC3339.fullmatch(text) if len(text) <= TIMESTAMP_MAX_CHARS else None
    if match is None:
        raise _Reject("must be an RFC 3339 date-time with a time zone, e.g. 2024-01-31T09:30:00Z")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        offset = timedelta(0)
        if not zulu:
            if int(off_h) > 23 or int(off_m) > 59:
                raise ValueError("bad offset")
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            if sign == "-":
                offset = -offset
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            tzinfo=timezone(offset),
        )  # fmt: skip
        whole = (moment - _EPOCH) // _SECOND
    except (ValueError, OverflowError):
        raise _Reject("is not a valid date-time") from None
    if fraction:
        return float(Decimal(whole) + Decimal("0." + fraction)) + 0.0
    return float(whole)


def normalise_color(value: Any) -> str:
    if not isinstance(value, str):
        raise _Reject("must be a string")
    if _HEX_COLOR.fullmatch(value):
        digits = value[1:].lower()
        if len(digits) == 3:
            digits = "".join(ch * 2 for ch in digits)
        return "#" + digits
    named = NAMED_COLORS.get(value.lower())
    if named is None:
        raise _Reject("must be #rgb, #rrggbb or a CSS colour name such as 'steelblue'")
    return named


def _check_text(value: str, control: re.Pattern[str]) -> str:
    if control.search(value):
        raise ValueError("must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


# --- error collection --------------------------------------------------------------------


class _Errors:
    """Collects located errors and raises them as one pydantic ValidationError."""

    def __init__(self) -> None:
        self.items: list[InitErrorDetails] = []

    def add(
        self, loc: tuple[str | int, ...], msg: str, value: Any, kind: str = "chart_data"
    ) -> None:
        if len(self.items) < MAX_REPORTED_ERRORS:
            error_type: Any = PydanticCustomError(kind, msg)
            self.items.append(InitErrorDetails(type=error_type, loc=loc, input=value))

    def known(self, loc: tuple[str | int, ...], kind: str, value: Any) -> None:
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append(InitErrorDetails(type=kind, loc=loc, input=value))  # type: ignore[typeddict-item]

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_REPORTED_ERRORS

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationError.from_exception_data("ChartRequest", self.items)


def _check_length(errors: _Errors, data: list[Any], bounds: tuple[int, int], what: str) -> bool:
    low, high = bounds
    if not low <= len(data) <= high:
        errors.add(("data",), f"must hold {low} to {high} {what}, not {len(data)}", len(data))
        return False
    return True


# --- tables (candlestick, equity) --------------------------------------------------------


def floats_or_none(values: list[Any]) -> list[float] | None:
    """The values as floats when every one is a usable number, else None (C-speed path)."""
    if not all(_is_number_type(kind) for kind in set(map(type, values))):
        return None
    try:
        floats = list(map(float, values))
    except (OverflowError, ValueError):
        return None
    if any(map(math.isnan, floats)) or not floats:
        return None
    if min(floats) < -MAX_ABS_NUMBER or max(floats) > MAX_ABS_NUMBER:
        return None
    if 0.0 in floats:  # turn any -0.0 into 0.0 so that the canonical form is unique
        floats = [value + 0.0 for value in floats]
    return floats


def _timestamps_fast(values: list[Any]) -> list[float] | None:
    numbers = floats_or_none(values)
    if numbers is None:
        if set(map(type, values)) - {str, int, float}:
            return None
        try:
            numbers = [_parse_rfc3339(v) if isinstance(v, str) else as_float(v) for v in values]
        except _Reject:
            return None
    if min(numbers) < MIN_TIMESTAMP or max(numbers) > MAX_TIMESTAMP:
        return None
    return numbers


def _table(
    data: list[Any],
    required: tuple[str, ...],
    optional: str,
    errors: _Errors,
) -> dict[str, list[float] | None] | None:
    """Columns of a list of row objects, or None after recording the errors."""
    columns = _table_fast(data, required, optional)
    if columns is not None:
        return columns
    return _table_slow(data, required, optional, errors)


def _table_fast(
    data: list[Any], required: tuple[str, ...], optional: str
) -> dict[str, list[float] | None] | None:
    if not all(issubclass(kind, dict) for kind in set(map(type, data))):
        return None
    try:
        raw = {key: list(map(itemgetter(key), data)) for key in required}
    except KeyError:
        return None
    extra = list(map(methodcaller("get", optional, _MISSING), data))
    absent = extra.count(_MISSING)
    if absent not in (0, len(data)):
        return None
    if set(map(len, data)) != {len(required) + (0 if absent else 1)}:
        return None  # some row has an unknown key
    columns: dict[str, list[float] | None] = {}
    for key, values in raw.items():
        floats = _timestamps_fast(values) if key == "timestamp" else floats_or_none(values)
        if floats is None:
            return None
        columns[key] = floats
    columns[optional] = None
    if not absent:
        columns[optional] = floats_or_none(extra)
        if columns[optional] is None:
            return None
    return columns


def _table_slow(
    data: list[Any], required: tuple[str, ...], optional: str, errors: _Errors
) -> dict[str, list[float] | None] | None:
    allowed = {*required, optional}
    columns: dict[str, list[float]] = {key: [] for key in (*required, optional)}
    first_has_optional: bool | None = None
    for index, row in enumerate(data):
        if errors.full:
            break
        if not isinstance(row, dict):
            errors.add(("data", index), "must be an object", row, "model_type")
            continue
        for key in row:
            if key not in allowed:
                errors.known(("data", index, key), "extra_forbidden", row[key])
        for key in (*required, optional):
            value = row.get(key, _MISSING)
            if value is _MISSING:
                if key != optional:
                    errors.known(("data", index, key), "missing", row)
                continue
            try:
                number = parse_timestamp(value) if key == "timestamp" else as_float(value)
            except _Reject as reject:
                errors.add(("data", index, key), str(reject), value)
                continue
            columns[key].append(number)
        has_optional = optional in row
        if first_has_optional is None:
            first_has_optional = has_optional
        elif has_optional != first_has_optional:
            errors.add(
                ("data", index, optional),
                f"{optional} must be given on every row or on none",
                row.get(optional),
            )
    if errors.items:
        return None
    result: dict[str, list[float] | None] = dict(columns)
    if not first_has_optional:
        result[optional] = None
    return result


def _first_failure(left: list[float], right: list[float], ok: Any) -> list[int]:
    """Indices i where ok(left[i], right[i]) is false (at most MAX_REPORTED_ERRORS)."""
    found: list[int] = []
    if all(map(ok, left, right)):
        return found
    for index, (a, b) in enumerate(zip(left, right, strict=True)):
        if not ok(a, b):
            found.append(index)
            if len(found) >= MAX_REPORTED_ERRORS:
                break
    return found


def _check_increasing(errors: _Errors, timestamps: list[float]) -> None:
    for index in _first_failure(timestamps[:-1], timestamps[1:], lt):
        errors.add(
            ("data", index + 1, "timestamp"),
            "timestamps must be strictly increasing",
            timestamps[index + 1],
        )


def _validate_candles(data: list[Any], errors: _Errors) -> dict[str, list[float] | None] | None:
    if not _check_length(errors, data, CANDLE_ROWS, "candles"):
        return None
    columns = _table(data, ("timestamp", *CANDLE_PRICE_KEYS), "volume", errors)
    if columns is None:
        return None
    cols: dict[str, list[float]] = {k: v for k, v in columns.items() if v is not None}
    _check_increasing(errors, cols["timestamp"])
    low, high = cols["low"], cols["high"]
    for key in ("open", "close"):
        for index in _first_failure(low, cols[key], le):
            errors.add(("data", index, "low"), f"low must be at most {key}", low[index])
        for index in _first_failure(cols[key], high, le):
            errors.add(("data", index, "high"), f"high must be at least {key}", high[index])
    volume = columns["volume"]
    if volume is not None and min(volume) < 0:
        index = next(i for i, value in enumerate(volume) if value < 0)
        errors.add(("data", index, "volume"), "volume must be at least 0", volume[index])
    return None if errors.items else columns


def _validate_equity(data: list[Any], errors: _Errors) -> dict[str, list[float] | None] | None:
    if not _check_length(errors, data, EQUITY_ROWS, "rows"):
        return None
    columns = _table(data, ("timestamp", "equity"), "drawdown", errors)
    if columns is None:
        return None
    timestamps, equity, drawdown = columns["timestamp"], columns["equity"], columns["drawdown"]
    assert timestamps is not None
    assert equity is not None
    _check_increasing(errors, timestamps)
    if drawdown is None:
        if min(equity) <= 0:
            index = next(i for i, value in enumerate(equity) if value <= 0)
            errors.add(
                ("data", index, "equity"),
                "equity must be greater than 0 when drawdown is not given",
                equity[index],
            )
    elif min(drawdown) < -1 or max(drawdown) > 0:
        index = next(i for i, value in enumerate(drawdown) if not -1 <= value <= 0)
        errors.add(
            ("data", index, "drawdown"),
            "drawdown must be a fraction between -1 and 0 (e.g. -0.12 for 12 %)",
            drawdown[index],
        )
    return None if errors.items else columns


def _validate_histogram_data(data: list[Any], errors: _Errors) -> list[float] | None:
    """Checks the shape; returns the values of a list of numbers, None for a list of objects."""
    if len(data) > HISTOGRAM_MAX_VALUES:
        errors.add(("data",), f"must hold at most {HISTOGRAM_MAX_VALUES} values", len(data))
        return None
    if not data:
        return []
    if isinstance(data[0], dict):
        for index, row in enumerate(data):
            if not isinstance(row, dict):
                errors.add(("data", index), "must be an object like the first row", row)
                if errors.full:
                    break
        return None
    values = floats_or_none(data)
    if values is not None:
        return values
    for index, value in enumerate(data):
        try:
            as_float(value)
        except _Reject as reject:
            message = str(reject)
            if isinstance(value, dict):
                message = "must be a number like the first element"
            errors.add(("data", index), message, value)
            if errors.full:
                break
    return None


# --- options -----------------------------------------------------------------------------


def _unknown_options(options: dict[str, Any], allowed: set[str], errors: _Errors) -> None:
    for key in options:
        if key not in allowed:
            errors.known(("options", key), "extra_forbidden", options[key])


def _candlestick_options(options: dict[str, Any], errors: _Errors) -> dict[str, Any]:
    _unknown_options(options, {"sma", "volume"}, errors)
    sma: list[int] = []
    raw_sma = options.get("sma", [])
    if not isinstance(raw_sma, list):
        errors.add(("options", "sma"), "must be a list of periods", raw_sma, "list_type")
    elif len(raw_sma) > SMA_MAX_LINES:
        errors.add(("options", "sma"), f"must hold at most {SMA_MAX_LINES} periods", raw_sma)
    else:
        for index, period in enumerate(raw_sma):
            try:
                value = as_int(period, *SMA_PERIOD_RANGE)
            except _Reject as reject:
                errors.add(("options", "sma", index), str(reject), period)
                continue
            if value in sma:
                errors.add(("options", "sma", index), "periods must be distinct", period)
            sma.append(value)
    volume = options.get("volume", True)
    if not isinstance(volume, bool):
        errors.add(("options", "volume"), "must be a boolean", volume, "bool_type")
    return {"sma": sma, "volume": volume}


def _histogram_options(options: dict[str, Any], errors: _Errors) -> dict[str, Any]:
    _unknown_options(options, {"bins", "color", "column"}, errors)
    normalised: dict[str, Any] = {
        "bins": DEFAULT_BINS,
        "color": DEFAULT_HISTOGRAM_COLOR,
        "column": DEFAULT_COLUMN,
    }
    if "bins" in options:
        try:
            normalised["bins"] = as_int(options["bins"], *BINS_RANGE)
        except _Reject as reject:
            errors.add(("options", "bins"), str(reject), options["bins"])
    if "color" in options:
        try:
            normalised["color"] = normalise_color(options["color"])
        except _Reject as reject:
            errors.add(("options", "color"), str(reject), options["color"])
    if "column" in options:
        column = options["column"]
        if not isinstance(column, str) or not 1 <= len(column) <= COLUMN_MAX_CHARS:
            errors.add(("options", "column"), f"must be 1-{COLUMN_MAX_CHARS} characters", column)
        else:
            try:
                normalised["column"] = _check_text(column, _CONTROL)
            except ValueError as exc:
                errors.add(("options", "column"), str(exc), column)
    return normalised


# --- the request -------------------------------------------------------------------------


def _integer_check(low: int, high: int) -> PlainValidator:
    def check(value: Any) -> int:
        try:
            return as_int(value, low, high)
        except _Reject as reject:
            raise PydanticCustomError("int_range", "Input " + str(reject)) from None

    return PlainValidator(check)


Title = Annotated[
    str,
    Field(max_length=TITLE_MAX_CHARS),
    AfterValidator(lambda value: _check_text(value, _CONTROL_BUT_NEWLINE)),
]
Width = Annotated[
    int,
    _integer_check(*WIDTH_RANGE),
    WithJsonSchema({"type": "integer", "minimum": WIDTH_RANGE[0], "maximum": WIDTH_RANGE[1]}),
]
Height = Annotated[
    int,
    _integer_check(*HEIGHT_RANGE),
    WithJsonSchema({"type": "integer", "minimum": HEIGHT_RANGE[0], "maximum": HEIGHT_RANGE[1]}),
]


class ChartRequest(BaseModel):
    """Body of POST /api/v1/charts; see the module docstring for the rules."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Kind
    title: Title | None = None
    width: Width = 1200
    height: Height = 600
    format: Literal["png", "svg"] = "png"
    theme: Literal["light", "dark"] = "light"
    data: list[Any]
    options: dict[str, Any] = Field(default_factory=dict)

    _columns: dict[str, list[float] | None] = PrivateAttr(default_factory=dict)
    _values: list[float] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_data_and_options(self) -> Self:
        errors = _Errors()
        if self.kind == "candlestick":
            options = _candlestick_options(self.options, errors)
            columns = _validate_candles(self.data, errors)
        elif self.kind == "equity":
            _unknown_options(self.options, set(), errors)
            options = {}
            columns = _validate_equity(self.data, errors)
        else:
            options = _histogram_options(self.options, errors)
            self._values = _validate_histogram_data(self.data, errors)
            columns = {}
        errors.raise_if_any()
        self.options = options
        self._columns = columns or {}
        return self

    @property
    def columns(self) -> dict[str, list[float] | None]:
        """Candlestick / equity data as float columns (timestamps in Unix seconds)."""
        return self._columns


def histogram_values(request: ChartRequest) -> list[float]:
    """The finite numbers a histogram counts, in data order.

    Raises MissingColumnError when the rows are objects and none has the column, and
    NoNumericDataError when no usable number is left.
    """
    if request.kind != "histogram":
        raise ValueError("histogram_values needs a histogram request")
    values = request._values
    if values is None:
        column = request.options["column"]
        raw = [row.get(column, _MISSING) for row in request.data]
        if all(value is _MISSING for value in raw):
            raise MissingColumnError(column)
        values = floats_or_none(raw)
        if values is None:
            values = []
            for value in raw:
                try:
                    values.append(as_float(value))
                except _Reject:
                    continue
        request._values = values
    if not values:
        raise NoNumericDataError()
    return values


def check_renderable(request: ChartRequest) -> None:
    """Raises the data errors that only appear after validation (histograms only)."""
    if request.kind == "histogram":
        histogram_values(request)
