"""Validation of chart requests (SPEC section 4): shape errors are pydantic ValidationErrors."""

from __future__ import annotations

import copy
import math
from decimal import Decimal
from typing import Any

import pytest
from chart_builders import candle_rows, equity_rows
from pydantic import ValidationError

from charting.errors import MissingColumnError, NoNumericDataError
from charting.requests import (
    MAX_REPORTED_ERRORS,
    ChartRequest,
    check_renderable,
    histogram_values,
)


def validate(body: dict[str, Any]) -> ChartRequest:
    return ChartRequest.model_validate(body)


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        ChartRequest.model_validate(body)
    return caught.value.errors()


def locs(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(error["loc"]) for error in errors_of(body)]


def candle_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "candlestick", "data": candle_rows(5)}
    body.update(overrides)
    return body


def histogram_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "histogram", "data": [1, 2, 2.5, 3]}
    body.update(overrides)
    return body


# --- the envelope ------------------------------------------------------------------------


def test_defaults_are_filled_in() -> None:
    # GIVEN a minimal candlestick body
    # WHEN it is validated
    request = validate(candle_body())
    # THEN the SPEC defaults apply
    assert (request.width, request.height) == (1200, 600)
    assert (request.format, request.theme, request.title) == ("png", "light", None)
    assert request.options == {"sma": [], "volume": True}


@pytest.mark.parametrize("kind", ["line", "Candlestick", "", None, 1])
def test_unknown_kind_is_rejected(kind: Any) -> None:
    # GIVEN a kind outside candlestick / equity / histogram
    # WHEN / THEN validation fails on kind
    assert ("kind",) in locs(candle_body(kind=kind))


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("width", 319, False),
        ("width", 320, True),
        ("width", 3840, True),
        ("width", 3841, False),
        ("height", 239, False),
        ("height", 240, True),
        ("height", 2160, True),
        ("height", 2161, False),
        ("width", 800.0, True),
        ("width", Decimal("800"), True),
        ("width", 800.5, False),
        ("width", "800", False),
        ("width", True, False),
        ("height", None, False),
    ],
)
def test_size_ranges(field: str, value: Any, ok: bool) -> None:
    # GIVEN a width or height at, inside or outside its range, or of the wrong type
    body = candle_body(**{field: value})
    # WHEN it is validated
    # THEN only integers (or integral decimals) within the range pass
    if ok:
        assert getattr(validate(body), field) == int(value)
        assert type(getattr(validate(body), field)) is int
    else:
        assert (field,) in locs(body)


def test_title_length_and_characters() -> None:
    # GIVEN titles of 120 and 121 characters, a newline and a control character
    # WHEN validated
    # THEN 120 characters and a newline pass, the rest fail on title
    assert validate(candle_body(title="x" * 120)).title == "x" * 120
    assert validate(candle_body(title="two\nlines")).title == "two\nlines"
    assert ("title",) in locs(candle_body(title="x" * 121))
    assert ("title",) in locs(candle_body(title="bell\x07"))
    assert ("title",) in locs(candle_body(title="\ud800"))
    assert ("title",) in locs(candle_body(title=12))


@pytest.mark.parametrize(("field", "value"), [("format", "jpeg"), ("theme", "blue")])
def test_format_and_theme_are_closed_sets(field: str, value: str) -> None:
    assert (field,) in locs(candle_body(**{field: value}))


def test_unknown_top_level_field_is_rejected() -> None:
    # GIVEN a body with a field the SPEC does not define
    # WHEN / THEN it is rejected as extra
    errors = errors_of(candle_body(colour="red"))
    assert errors[0]["loc"] == ("colour",)
    assert errors[0]["type"] == "extra_forbidden"


def test_data_must_be_a_list() -> None:
    assert ("data",) in locs(candle_body(data={"0": candle_rows(2)[0]}))
    assert ("data",) in locs({"kind": "candlestick"})


# --- candlestick -------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "ok"), [(1, False), (2, True), (20_000, True), (20_001, False)])
def test_candle_row_count(count: int, ok: bool) -> None:
    # GIVEN 1, 2, 20000 or 20001 candles
    body = candle_body(data=candle_rows(count, volume=False))
    # WHEN validated
    # THEN only 2-20000 pass
    if ok:
        assert len(validate(body).columns["close"] or []) == count
    else:
        assert ("data",) in locs(body)


@pytest.mark.parametrize("delta", [0, -60])
def test_candle_timestamps_strictly_increase(delta: int) -> None:
    # GIVEN a candle whose timestamp equals or precedes the previous one
    rows = candle_rows(4)
    rows[2]["timestamp"] = rows[1]["timestamp"] + delta
    # WHEN / THEN the error points at that row's timestamp
    assert locs(candle_body(data=rows)) == [("data", 2, "timestamp")]


@pytest.mark.parametrize(
    ("field", "value", "loc_field"),
    [
        ("low", 1000.0, "low"),  # low above open and close
        ("high", 0.5, "high"),  # high below open and close
    ],
)
def test_candle_ohlc_consistency(field: str, value: float, loc_field: str) -> None:
    # GIVEN a candle with low above its body or high below it
    rows = candle_rows(4)
    rows[3][field] = value
    # WHEN validated
    # THEN the error names that row and field
    assert ("data", 3, loc_field) in locs(candle_body(data=rows))


def test_candle_low_may_equal_open_and_high_may_equal_close() -> None:
    rows = candle_rows(3)
    rows[1].update(open=10, close=12, low=10, high=12)
    assert validate(candle_body(data=rows)).columns["low"][1] == 10.0  # type: ignore[index]


def test_volume_on_every_row_or_none() -> None:
    # GIVEN volumes on some rows only
    rows = candle_rows(4, volume=False)
    rows[2]["volume"] = 5
    # WHEN / THEN the first deviating row is reported
    assert ("data", 2, "volume") in locs(candle_body(data=rows))
    # AND rows that all lack volume are fine, with no volume column
    assert validate(candle_body(data=candle_rows(4, volume=False))).columns["volume"] is None


def test_negative_volume_is_rejected() -> None:
    rows = candle_rows(3)
    rows[1]["volume"] = -1
    assert locs(candle_body(data=rows)) == [("data", 1, "volume")]


@pytest.mark.parametrize(
    "value", [True, False, "101.5", None, [1], {"v": 1}, math.nan, math.inf, -math.inf, 10**400]
)
def test_prices_must_be_finite_json_numbers(value: Any) -> None:
    # GIVEN a price that is a bool, a string, null, a container or not finite
    rows = candle_rows(3)
    rows[1]["close"] = value
    # WHEN / THEN it is rejected at that cell
    assert ("data", 1, "close") in locs(candle_body(data=rows))


def test_decimal_numbers_from_an_exact_json_parser_are_accepted() -> None:
    # GIVEN rows whose numbers are Decimals (as a Decimal-keeping JSON parser returns them)
    rows = [{key: Decimal(str(value)) for key, value in row.items()} for row in candle_rows(3)]
    # WHEN validated
    request = validate(candle_body(data=rows))
    # THEN the columns hold the same floats as for plain JSON numbers
    assert request.columns == validate(candle_body(data=candle_rows(3))).columns


def test_missing_and_unknown_row_fields() -> None:
    # GIVEN one row without close and one with an unknown field
    rows = candle_rows(4)
    del rows[1]["close"]
    rows[2]["vwap"] = 1.0
    # WHEN validated
    errors = {tuple(e["loc"]): e["type"] for e in errors_of(candle_body(data=rows))}
    # THEN both are reported at their place
    assert errors[("data", 1, "close")] == "missing"
    assert errors[("data", 2, "vwap")] == "extra_forbidden"


def test_rows_must_be_objects() -> None:
    rows: list[Any] = candle_rows(3)
    rows[1] = [1, 2, 3, 4, 5]
    assert ("data", 1) in locs(candle_body(data=rows))


def test_many_bad_rows_report_a_bounded_number_of_errors() -> None:
    # GIVEN 500 rows that all break a rule
    rows = candle_rows(500)
    for row in rows:
        row["close"] = "x"
    # WHEN / THEN at most MAX_REPORTED_ERRORS errors come back
    assert len(errors_of(candle_body(data=rows))) == MAX_REPORTED_ERRORS


@pytest.mark.parametrize(
    ("sma", "ok"),
    [
        ([], True),
        ([2, 500], True),
        ([5, 20, 50], True),
        ([20.0], True),
        ([5, 20, 50, 100], False),
        ([20, 20], False),
        ([20, 20.0], False),
        ([1], False),
        ([501], False),
        ([True], False),
        (["20"], False),
        ([20.5], False),
        (20, False),
    ],
)
def test_sma_periods(sma: Any, ok: bool) -> None:
    # GIVEN an sma option
    body = candle_body(options={"sma": sma})
    # WHEN validated
    # THEN up to 3 distinct integer periods in 2-500 pass
    if ok:
        assert validate(body).options["sma"] == [int(p) for p in sma]
    else:
        assert any(loc[:2] == ("options", "sma") for loc in locs(body))


def test_volume_option_is_a_boolean() -> None:
    assert validate(candle_body(options={"volume": False})).options["volume"] is False
    assert locs(candle_body(options={"volume": 1})) == [("options", "volume")]


def test_unknown_option_is_rejected() -> None:
    errors = errors_of(candle_body(options={"ema": [20]}))
    assert [(e["loc"], e["type"]) for e in errors] == [(("options", "ema"), "extra_forbidden")]


def test_options_and_data_errors_are_reported_together() -> None:
    rows = candle_rows(3)
    rows[0]["open"] = True
    found = locs(candle_body(data=rows, options={"sma": [1]}))
    assert ("options", "sma", 0) in found
    assert ("data", 0, "open") in found


# --- timestamps --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2024-01-01T00:00:00Z", 1_704_067_200.0),
        ("2024-01-01T01:00:00+01:00", 1_704_067_200.0),
        ("2023-12-31T19:00:00-05:00", 1_704_067_200.0),
        ("2024-01-01t00:00:00z", 1_704_067_200.0),
        ("2024-01-01 00:00:00Z", 1_704_067_200.0),
        ("2024-01-01T00:00:00.250Z", 1_704_067_200.25),
        ("1969-12-31T23:59:59.5Z", -0.5),
    ],
)
def test_rfc3339_timestamps_become_unix_seconds(text: str, seconds: float) -> None:
    # GIVEN an RFC 3339 timestamp with a time zone
    rows = candle_rows(2)
    rows[0]["timestamp"] = text
    rows[1]["timestamp"] = 1_800_000_000
    # WHEN validated
    # THEN it is stored as Unix seconds
    assert validate(candle_body(data=rows)).columns["timestamp"][0] == seconds  # type: ignore[index]


def test_rfc3339_fraction_equals_the_decimal_epoch() -> None:
    # GIVEN the same instant written as RFC 3339 with a fraction and as decimal seconds
    text_rows = candle_rows(2)
    text_rows[0]["timestamp"] = "2024-01-01T00:00:00.123456789Z"
    number_rows = copy.deepcopy(text_rows)
    number_rows[0]["timestamp"] = 1704067200.123456789
    # WHEN both are validated
    # THEN the normalised timestamps are the same float
    assert (
        validate(candle_body(data=text_rows)).columns["timestamp"]
        == validate(candle_body(data=number_rows)).columns["timestamp"]
    )


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T00:00:00",  # no time zone
        "2024-01-01",
        "2024-02-30T00:00:00Z",  # no such day
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:00:00+24:00",
        "yesterday",
        1.7e12,  # milliseconds, not seconds
        -1e12,
        True,
    ],
)
def test_bad_timestamps_are_rejected(value: Any) -> None:
    rows = candle_rows(2)
    rows[0]["timestamp"] = value
    assert ("data", 0, "timestamp") in locs(candle_body(data=rows))


def test_timestamps_may_mix_numbers_and_text() -> None:
    rows = candle_rows(3)
    rows[0]["timestamp"] = "2024-01-01T00:00:00Z"
    rows[1]["timestamp"] = 1_704_067_260.5
    rows[2]["timestamp"] = "2024-01-01T00:02:00+00:00"
    assert validate(candle_body(data=rows)).columns["timestamp"] == [
        1_704_067_200.0,
        1_704_067_260.5,
        1_704_067_320.0,
    ]


# --- equity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "ok"), [(1, False), (2, True), (200_000, True), (200_001, False)]
)
def test_equity_row_count(count: int, ok: bool) -> None:
    rows = [{"timestamp": i, "equity": 100} for i in range(count)]
    body = {"kind": "equity", "data": rows}
    if ok:
        assert len(validate(body).columns["equity"] or []) == count
    else:
        assert ("data",) in locs(body)


def test_equity_drawdown_on_all_rows_or_none() -> None:
    rows = equity_rows(5, drawdown=True)
    del rows[3]["drawdown"]
    assert ("data", 3, "drawdown") in locs({"kind": "equity", "data": rows})


@pytest.mark.parametrize(
    ("value", "ok"), [(0, True), (-0.25, True), (-1, True), (0.01, False), (-12.5, False)]
)
def test_given_drawdown_is_a_fraction_between_minus_one_and_zero(value: float, ok: bool) -> None:
    rows = equity_rows(3, drawdown=True)
    rows[1]["drawdown"] = value
    body = {"kind": "equity", "data": rows}
    if ok:
        assert validate(body).columns["drawdown"][1] == value  # type: ignore[index]
    else:
        assert locs(body) == [("data", 1, "drawdown")]


def test_equity_must_be_positive_to_compute_drawdown() -> None:
    # GIVEN an equity value of 0 and no drawdown column
    rows = equity_rows(3)
    rows[2]["equity"] = 0
    # WHEN / THEN it is rejected (the drawdown from the peak is undefined)
    assert locs({"kind": "equity", "data": rows}) == [("data", 2, "equity")]
    # AND with a given drawdown, any finite equity is fine
    rows = [
        {"timestamp": 1, "equity": -5, "drawdown": 0},
        {"timestamp": 2, "equity": -7, "drawdown": -0.4},
    ]
    assert validate({"kind": "equity", "data": rows}).columns["equity"] == [-5.0, -7.0]


def test_equity_timestamps_strictly_increase() -> None:
    rows = equity_rows(4)
    rows[3]["timestamp"] = rows[1]["timestamp"]
    assert locs({"kind": "equity", "data": rows}) == [("data", 3, "timestamp")]


def test_equity_takes_no_options_and_no_extra_fields() -> None:
    assert locs({"kind": "equity", "data": equity_rows(3), "options": {"sma": [5]}}) == [
        ("options", "sma")
    ]
    rows = equity_rows(3)
    rows[0]["balance"] = 1
    assert locs({"kind": "equity", "data": rows}) == [("data", 0, "balance")]


# --- histogram ---------------------------------------------------------------------------


def test_histogram_defaults() -> None:
    request = validate(histogram_body())
    assert request.options == {"bins": 30, "color": "#2962ff", "column": "value"}
    assert histogram_values(request) == [1.0, 2.0, 2.5, 3.0]


@pytest.mark.parametrize(
    ("bins", "ok"), [(0, False), (1, True), (200, True), (201, False), (10.0, True), (True, False)]
)
def test_histogram_bins_range(bins: Any, ok: bool) -> None:
    body = histogram_body(options={"bins": bins})
    if ok:
        assert validate(body).options["bins"] == int(bins)
    else:
        assert locs(body) == [("options", "bins")]


@pytest.mark.parametrize(
    ("color", "normalised"),
    [
        ("#FF8800", "#ff8800"),
        ("#f80", "#ff8800"),
        ("SteelBlue", "#4682b4"),
        ("red", "#ff0000"),
        ("#12345", None),
        ("0.5", None),
        ("C1", None),
        ("notacolour", None),
        ("#ff880080", None),
        (255, None),
    ],
)
def test_histogram_color(color: Any, normalised: str | None) -> None:
    # GIVEN a colour option
    body = histogram_body(options={"color": color})
    # WHEN validated
    # THEN hex and known CSS names are normalised to #rrggbb; anything else is rejected
    if normalised:
        assert validate(body).options["color"] == normalised
    else:
        assert locs(body) == [("options", "color")]


@pytest.mark.parametrize(
    ("column", "ok"),
    [("", False), ("x" * 64, True), ("x" * 65, False), (3, False), ("a\tb", False)],
)
def test_histogram_column_option(column: Any, ok: bool) -> None:
    body = histogram_body(options={"column": column})
    if ok:
        assert validate(body).options["column"] == column
    else:
        assert locs(body) == [("options", "column")]


@pytest.mark.parametrize("bad", [True, "3", None, [1], math.inf])
def test_histogram_list_of_numbers_takes_numbers_only(bad: Any) -> None:
    # GIVEN a plain list with one element that is not a finite number
    # WHEN / THEN that element is a validation error (a list of numbers is the shape)
    assert locs(histogram_body(data=[1, 2, bad, 4])) == [("data", 2)]


def test_histogram_mixed_shapes_are_rejected() -> None:
    assert locs(histogram_body(data=[{"value": 1}, 2, {"value": 3}])) == [("data", 1)]
    assert locs(histogram_body(data=[1, {"value": 2}])) == [("data", 1)]


def test_histogram_objects_skip_non_numeric_values() -> None:
    # GIVEN objects whose column holds numbers, strings, nulls, booleans and a missing cell
    data = [
        {"pnl": 1},
        {"pnl": "n/a"},
        {"pnl": None},
        {"pnl": True},
        {"other": 5},
        {"pnl": Decimal("2.5")},
        {"pnl": [3]},
    ]
    request = validate(histogram_body(data=data, options={"column": "pnl"}))
    # WHEN the values are extracted
    # THEN only the numbers remain
    assert histogram_values(request) == [1.0, 2.5]


def test_histogram_missing_column() -> None:
    # GIVEN objects none of which has the requested column
    request = validate(histogram_body(data=[{"a": 1}, {"b": 2}], options={"column": "pnl"}))
    # WHEN / THEN MissingColumnError (SPEC MISSING_COLUMN) is raised, not a ValidationError
    with pytest.raises(MissingColumnError) as caught:
        check_renderable(request)
    assert caught.value.code == "MISSING_COLUMN"
    assert "pnl" in caught.value.detail


def test_histogram_default_column_is_value() -> None:
    request = validate(histogram_body(data=[{"pnl": 1}]))
    with pytest.raises(MissingColumnError):
        histogram_values(request)


@pytest.mark.parametrize(
    "data",
    [
        [],
        [{"value": None}, {"value": "x"}, {"value": False}],
    ],
)
def test_histogram_without_numbers(data: list[Any]) -> None:
    # GIVEN an empty list, or a column without a single number
    request = validate(histogram_body(data=data))
    # WHEN / THEN NoNumericDataError (SPEC NO_NUMERIC_DATA) is raised
    with pytest.raises(NoNumericDataError) as caught:
        check_renderable(request)
    assert caught.value.code == "NO_NUMERIC_DATA"


def test_histogram_unknown_option_is_rejected() -> None:
    assert locs(histogram_body(options={"sma": [5]})) == [("options", "sma")]


def test_check_renderable_passes_other_kinds() -> None:
    check_renderable(validate(candle_body()))
    check_renderable(validate({"kind": "equity", "data": equity_rows(3)}))
