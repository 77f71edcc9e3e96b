"""The body rules of POST /api/v1/signals (SPEC §3), through the real parser."""

from __future__ import annotations

import json

import pytest

from signals_common.errors import MalformedJsonError, ValidationFailedError
from signals_common.jsonio import dumps_exact, loads_exact
from signals_common.service import parse_create_request, parse_list_query
from signals_common.settings import Settings

SETTINGS = Settings()


def _parse(document: dict | bytes, settings: Settings = SETTINGS):
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return parse_create_request(body, settings)


def _valid(**changes: object) -> dict:
    return {"instrument": "EURUSD", "side": "buy", "price": 1.5, **changes}


def _fails_on(document: dict | bytes, field: str, settings: Settings = SETTINGS) -> None:
    with pytest.raises(ValidationFailedError) as failure:
        _parse(document, settings)
    locations = [error["loc"] for error in failure.value.errors]
    assert ["body", field] in [loc[:2] for loc in locations], locations


def test_minimal_signal_gets_defaults() -> None:
    request = _parse(_valid())
    assert (request.payload, request.version, request.external_id) == ({}, "1.0", None)


@pytest.mark.parametrize("instrument", ["EURUSD", "BTC-USD", "ES.Z26", "NYSE:IBM", "EUR/USD", "A1"])
def test_valid_instruments(instrument: str) -> None:
    assert _parse(_valid(instrument=instrument)).instrument == instrument


@pytest.mark.parametrize(
    "instrument", ["eurusd", "E", "-EUR", "EUR USD", "X" * 33, "ЕURUSD", "EUR#USD", "", 42]
)
def test_invalid_instruments(instrument: object) -> None:
    _fails_on(_valid(instrument=instrument), "instrument")


def test_allow_list_narrows_instruments() -> None:
    settings = Settings.model_validate({"SIGNALS_INSTRUMENT_ALLOWLIST": "EURUSD, GBPUSD"})
    assert _parse(_valid(instrument="GBPUSD"), settings).instrument == "GBPUSD"
    _fails_on(_valid(instrument="USDJPY"), "instrument", settings)


@pytest.mark.parametrize("side", ["BUY", "long", "", None, 1])
def test_side_must_be_buy_or_sell(side: object) -> None:
    _fails_on(_valid(side=side), "side")


@pytest.mark.parametrize("price", ["1.5", True, False, None, 0, -1, 0.0, 1e12 + 1, [1], {"v": 1}])
def test_invalid_prices(price: object) -> None:
    _fails_on(_valid(price=price), "price")


@pytest.mark.parametrize(
    "text", [b"1.1050", b"1e12", b"1E-8", b"123456789012.345678", b"0.000000000000000001", b"7"]
)
def test_price_keeps_its_digits(text: bytes) -> None:
    # GIVEN a price written with particular digits WHEN parsed THEN its text is kept as written
    body = b'{"instrument":"EURUSD","side":"buy","price":' + text + b"}"
    assert _parse(body).price.text == text.decode()


@pytest.mark.parametrize(
    "text", [b"1234567890.123456789", b"1e13", b"1000000000000.1", b"1e999999"]
)
def test_price_over_the_limits(text: bytes) -> None:
    _fails_on(b'{"instrument":"EURUSD","side":"buy","price":' + text + b"}", "price")


@pytest.mark.parametrize("text", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_prices_are_not_json(text: bytes) -> None:
    with pytest.raises(MalformedJsonError):
        _parse(b'{"instrument":"EURUSD","side":"buy","price":' + text + b"}")


def test_payload_must_be_an_object() -> None:
    _fails_on(_valid(payload=[1, 2]), "payload")
    _fails_on(_valid(payload="text"), "payload")


def test_payload_size_limit_counts_compact_json() -> None:
    # GIVEN a payload whose compact JSON is exactly the limit, and one byte over
    filler = "x" * (1024 - len('{"k":""}'))
    assert len(dumps_exact({"k": filler})) == 1024
    assert _parse(_valid(payload={"k": filler})).payload == {"k": filler}
    _fails_on(_valid(payload={"k": filler + "x"}), "payload")


def test_payload_size_limit_follows_the_setting() -> None:
    settings = Settings.model_validate({"SIGNALS_MAX_PAYLOAD_BYTES": "16"})
    _fails_on(_valid(payload={"note": "longer than sixteen"}), "payload", settings)


def test_payload_depth_limit_is_eight_with_the_payload_as_level_one() -> None:
    def nested(levels: int) -> dict:
        value: dict = {}
        for _ in range(levels - 1):
            value = {"n": value}
        return value

    assert _parse(_valid(payload=nested(8))).payload == nested(8)
    _fails_on(_valid(payload=nested(9)), "payload")


@pytest.mark.parametrize("version", ["1", "1.0", "2.10.3", "1.2.3.4"])
def test_valid_versions(version: str) -> None:
    assert _parse(_valid(version=version)).version == version


@pytest.mark.parametrize("version", ["", "v1", "1.", "1.2.3.4.5", "1..2", 1.0])
def test_invalid_versions(version: object) -> None:
    _fails_on(_valid(version=version), "version")


@pytest.mark.parametrize("external_id", ["a", "ORD-1:2_3.4", "x" * 100])
def test_valid_external_ids(external_id: str) -> None:
    assert _parse(_valid(external_id=external_id)).external_id == external_id


@pytest.mark.parametrize("external_id", ["", "x" * 101, "has space", "ä", 7])
def test_invalid_external_ids(external_id: object) -> None:
    _fails_on(_valid(external_id=external_id), "external_id")


def test_unknown_fields_are_rejected() -> None:
    _fails_on(_valid(quantity=3), "quantity")


@pytest.mark.parametrize("field", ["instrument", "side", "price"])
def test_required_fields(field: str) -> None:
    document = _valid()
    del document[field]
    _fails_on(document, field)


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b'{"a":1,}', b"\xff\xfe", b'{"instrument":"A","instrument":"B"}', b"[" * 5000],
)
def test_malformed_json(body: bytes) -> None:
    with pytest.raises(MalformedJsonError):
        _parse(body)


def test_a_json_array_is_a_schema_error_not_a_syntax_error() -> None:
    with pytest.raises(ValidationFailedError):
        _parse(b"[1,2]")


def test_exact_json_round_trip_keeps_number_text() -> None:
    text = '{"a":[1.10,2E3,-0.0],"b":{"c":"é"},"d":null,"e":true}'
    assert dumps_exact(loads_exact(text.encode())) == text


@pytest.mark.parametrize(
    "query",
    [
        {"limit": ["0"]},
        {"limit": ["101"]},
        {"limit": ["ten"]},
        {"limit": ["1", "2"]},
        {"status": ["open"]},
        {"instrument": ["eurusd"]},
        {"since": ["yesterday"]},
        {"since": ["2026-01-01T00:00:00"]},
        {"since": ["2026-01-02T00:00:00Z"], "until": ["2026-01-01T00:00:00Z"]},
        {"colour": ["red"]},
    ],
)
def test_invalid_list_queries(query: dict[str, list[str]]) -> None:
    from signals_common.errors import InvalidQueryError

    with pytest.raises(InvalidQueryError):
        parse_list_query(query)


def test_list_query_defaults_and_filters() -> None:
    query = parse_list_query({"since": ["2026-01-01T00:00:00.5+01:00"], "status": ["new"]})
    assert query.limit == 50
    assert query.filters() == {"status": "new", "since": "2025-12-31T23:00:00.500000+00:00"}
