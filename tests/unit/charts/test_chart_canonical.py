"""The content address: one key per logical request, another key for any change."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from decimal import Decimal
from importlib.metadata import version
from typing import Any

import pytest
from chart_builders import candle_rows, equity_rows

from charting.canonical import RENDERER_VERSION, canonical_json, chart_key
from charting.requests import ChartRequest


def key_of(body: dict[str, Any]) -> str:
    return chart_key(ChartRequest.model_validate(body))[1]


def candle_body() -> dict[str, Any]:
    return {
        "kind": "candlestick",
        "title": "BTC-USD",
        "data": candle_rows(6),
        "options": {"sma": [2, 3], "volume": True},
    }


def test_key_shape_and_digest() -> None:
    # GIVEN a request
    request = ChartRequest.model_validate(candle_body())
    # WHEN its key is computed
    digest, key = chart_key(request)
    # THEN the key is charts/<sha256 of the canonical form>.<format>
    assert digest == hashlib.sha256(canonical_json(request)).hexdigest()
    assert re.fullmatch(r"charts/[0-9a-f]{64}\.png", key)
    assert key == f"charts/{digest}.png"
    svg = ChartRequest.model_validate({**candle_body(), "format": "svg"})
    assert chart_key(svg)[1].endswith(".svg")


def test_canonical_form_is_compact_sorted_json_with_the_renderer_version() -> None:
    # GIVEN a request
    raw = canonical_json(ChartRequest.model_validate(candle_body()))
    # WHEN the canonical form is read back
    document = json.loads(raw)
    # THEN it is compact ASCII JSON with sorted keys, naming the renderer version
    assert raw == json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert raw.isascii()
    assert document["renderer"] == RENDERER_VERSION


def test_key_order_and_whitespace_do_not_matter() -> None:
    # GIVEN the same body as JSON text with different key order and whitespace
    body = candle_body()
    compact = json.dumps(body, separators=(",", ":"))
    shuffled = {key: body[key] for key in reversed(list(body))}
    shuffled["data"] = [dict(reversed(list(row.items()))) for row in body["data"]]
    pretty = json.dumps(shuffled, indent=4)
    # WHEN both are parsed and keyed
    # THEN the keys are equal
    assert key_of(json.loads(compact)) == key_of(json.loads(pretty))


def as_floats(value: Any) -> Any:
    """The same JSON with every integer written as a float (1 -> 1.0)."""
    if isinstance(value, dict):
        return {key: as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_floats(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def test_integer_and_decimal_forms_of_a_number_are_one_number() -> None:
    # GIVEN 1 / 1.0 / Decimal("1.00") in prices, options and size
    ints = {
        "kind": "candlestick",
        "width": 800,
        "data": [
            {"timestamp": 1_700_000_000, "open": 1, "high": 2, "low": 1, "close": 2},
            {"timestamp": 1_700_000_060, "open": 2, "high": 3, "low": 1, "close": 1},
        ],
        "options": {"sma": [2]},
    }
    floats = as_floats(ints)
    decimals = copy.deepcopy(ints)
    for row in decimals["data"]:
        for name, value in row.items():
            row[name] = Decimal(f"{value}.00")
    assert isinstance(floats["width"], float)
    assert isinstance(floats["options"]["sma"][0], float)
    # WHEN keyed
    # THEN all three give the same key
    assert key_of(ints) == key_of(floats) == key_of(decimals)


def test_defaults_written_out_give_the_same_key() -> None:
    body = {"kind": "histogram", "data": [1, 2, 3]}
    explicit = {
        **body,
        "width": 1200,
        "height": 600,
        "format": "png",
        "theme": "light",
        "title": None,
        "options": {"bins": 30, "column": "value", "color": "#2962FF"},
    }
    assert key_of(body) == key_of(explicit)


def test_equal_instants_and_equal_colours_give_the_same_key() -> None:
    # GIVEN timestamps as RFC 3339 text vs Unix seconds, and a colour as a name vs hex
    numeric = {
        "kind": "equity",
        "data": [
            {"timestamp": 1_704_067_200, "equity": 1},
            {"timestamp": 1_704_067_260, "equity": 2},
        ],
    }
    text = copy.deepcopy(numeric)
    text["data"][0]["timestamp"] = "2024-01-01T01:00:00+01:00"
    text["data"][1]["timestamp"] = "2024-01-01T00:01:00Z"
    # WHEN / THEN they are the same logical request
    assert key_of(numeric) == key_of(text)
    red = {"kind": "histogram", "data": [1, 2], "options": {"color": "red"}}
    assert key_of(red) == key_of({**red, "options": {"color": "#F00"}})


def change_price(body: dict[str, Any]) -> None:
    body["data"][3]["close"] = body["data"][3]["close"] + 1e-9


def change_timestamp(body: dict[str, Any]) -> None:
    body["data"][-1]["timestamp"] += 1


def drop_volume(body: dict[str, Any]) -> None:
    for row in body["data"]:
        del row["volume"]


@pytest.mark.parametrize(
    "change",
    [
        change_price,
        change_timestamp,
        drop_volume,
        lambda body: body["options"].update(sma=[2]),
        lambda body: body["options"].update(sma=[3, 2]),
        lambda body: body["options"].update(volume=False),
        lambda body: body.update(width=1201),
        lambda body: body.update(height=601),
        lambda body: body.update(theme="dark"),
        lambda body: body.update(format="svg"),
        lambda body: body.update(title="BTC-USD "),
        lambda body: body.update(title=None),
        lambda body: body.update(data=body["data"][:-1]),
    ],
)
def test_any_change_gives_another_key(change: Any) -> None:
    # GIVEN a request and a copy with one change in data, options or envelope
    body = candle_body()
    changed = copy.deepcopy(body)
    change(changed)
    # WHEN both are keyed
    # THEN the keys differ
    assert key_of(body) != key_of(changed)


@pytest.mark.parametrize(
    "change",
    [
        lambda body: body["data"][1].update(pnl="n/a "),  # even a skipped value
        lambda body: body["data"][1].update(pnl=None),
        lambda body: body["data"][1].pop("pnl"),  # a missing cell is not a null one
        lambda body: body["data"][2].update(pnl=3.5),
        lambda body: body["data"].append({"pnl": "n/a"}),
        lambda body: body["options"].update(column="other"),
        lambda body: body["options"].update(bins=31),
        lambda body: body["options"].update(color="#2962fe"),
    ],
)
def test_any_change_in_histogram_rows_gives_another_key(change: Any) -> None:
    body = {
        "kind": "histogram",
        "data": [{"pnl": 1}, {"pnl": "n/a"}, {"pnl": 3}],
        "options": {"column": "pnl"},
    }
    changed = copy.deepcopy(body)
    change(changed)
    assert key_of(body) != key_of(changed)


def test_histogram_members_outside_the_column_do_not_change_the_key() -> None:
    # GIVEN histogram objects, and a copy with an extra member the chart does not use
    body = {"kind": "histogram", "data": [{"pnl": 1, "id": "a"}, {"pnl": 2, "id": "b"}]}
    changed = copy.deepcopy(body)
    changed["data"][0]["id"] = "z"
    # WHEN / THEN both draw the same chart and share a key (documented in canonical.py)
    options = {"options": {"column": "pnl"}}
    assert key_of({**body, **options}) == key_of({**changed, **options})


def test_a_list_of_numbers_and_objects_differ() -> None:
    assert key_of({"kind": "histogram", "data": [1, 2]}) != key_of(
        {"kind": "histogram", "data": [{"value": 1}, {"value": 2}]}
    )


def test_equity_drawdown_column_is_part_of_the_key() -> None:
    plain = {"kind": "equity", "data": equity_rows(4)}
    with_drawdown = {"kind": "equity", "data": equity_rows(4, drawdown=True)}
    assert key_of(plain) != key_of(with_drawdown)


def test_negative_zero_is_zero() -> None:
    body = {"kind": "histogram", "data": [0.0, 1.0]}
    assert key_of(body) == key_of({"kind": "histogram", "data": [-0.0, 1]})


def test_renderer_version_names_the_installed_render_libraries() -> None:
    # GIVEN the libraries that decide the output bytes
    # WHEN / THEN their installed versions are the ones the renderer version names, so a
    # library upgrade cannot silently serve charts cached by another version
    for library in ("matplotlib", "numpy", "pandas"):
        assert f"{library}-{version(library)}" in RENDERER_VERSION.split(";")
