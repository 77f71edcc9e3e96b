"""Hand-written hostile requests over real HTTP: each gets its documented answer, as
problem JSON with a stable code, never a 5xx, a stack trace or an AWS message."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from signals_common.auth import decode_secret, sign
from tests.reliability.support import CHARTS, SIGNALS, Audit, Client, problem_violations
from tests.support import Producer, unique, unique_instrument

BODY_LIMIT = 16384
CHART_LIMIT = 5 * 1024 * 1024


def _signal(**changes: Any) -> dict[str, Any]:
    return {"instrument": unique_instrument(), "side": "buy", "price": 1.5, **changes}


def _raw(**changes: Any) -> str:
    return json.dumps(_signal(**changes))


def _padded(size: int) -> bytes:
    """A valid signal body of exactly `size` bytes (whitespace inside the object)."""
    body = _raw().encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _with_price(text: str) -> bytes:
    return f'{{"instrument": "{unique_instrument()}", "side": "buy", "price": {text}}}'.encode()


def _with_payload(text: str) -> bytes:
    return _raw()[:-1].encode() + b', "payload": ' + text.encode() + b"}"


# (body, extra options) -> (status, code)
BODIES: dict[str, tuple[Callable[[], bytes], int, str | None]] = {
    # sizes
    "body at the limit": (lambda: _padded(BODY_LIMIT), 201, None),
    "body one byte over": (lambda: _padded(BODY_LIMIT + 1), 413, "PAYLOAD_TOO_LARGE"),
    "body of 1 MiB": (lambda: _padded(1 << 20), 413, "PAYLOAD_TOO_LARGE"),
    "payload at 1024 bytes": (
        lambda: _with_payload(json.dumps({"k": "x" * 1016}, separators=(",", ":"))),
        201,
        None,
    ),
    "payload at 1025 bytes": (
        lambda: _with_payload(json.dumps({"k": "x" * 1017}, separators=(",", ":"))),
        422,
        "VALIDATION_FAILED",
    ),
    # nesting
    "payload depth 8": (lambda: _raw(payload=_nested(8)).encode(), 201, None),
    "payload depth 9": (lambda: _raw(payload=_nested(9)).encode(), 422, "VALIDATION_FAILED"),
    "payload depth 900": (lambda: _with_payload('{"a":' * 899 + "{}" + "}" * 899), 422, None),
    "payload depth 2500": (lambda: _with_payload('{"a":' * 2499 + "{}" + "}" * 2499), 0, None),
    "payload arrays 7000 deep": (
        lambda: _with_payload('{"a":' + "[" * 7000 + "]" * 7000 + "}"),
        0,
        None,
    ),
    "array depth 8000": (lambda: b"[" * 8000 + b"]" * 8000, 400, "MALFORMED_JSON"),
    # numbers
    "price NaN": (lambda: _with_price("NaN"), 400, "MALFORMED_JSON"),
    "price Infinity": (lambda: _with_price("Infinity"), 400, "MALFORMED_JSON"),
    "price -Infinity": (lambda: _with_price("-Infinity"), 400, "MALFORMED_JSON"),
    "price 1e400": (lambda: _with_price("1e400"), 422, "VALIDATION_FAILED"),
    "price 1e999999999": (lambda: _with_price("1e999999999"), 422, "VALIDATION_FAILED"),
    "price 1e-400": (lambda: _with_price("1e-400"), 0, None),
    "price 1e-999999999": (lambda: _with_price("1e-999999999"), 0, None),
    "price 5000 digits": (lambda: _with_price("9" * 5000), 422, "VALIDATION_FAILED"),
    "price -0": (lambda: _with_price("-0"), 422, "VALIDATION_FAILED"),
    "price 0.0": (lambda: _with_price("0.0"), 422, "VALIDATION_FAILED"),
    "price 19 digits": (lambda: _with_price("1.234567890123456789"), 422, "VALIDATION_FAILED"),
    "price 1e12": (lambda: _with_price("1e12"), 201, None),
    "price just over 1e12": (lambda: _with_price("1000000000000.001"), 422, "VALIDATION_FAILED"),
    "price as a string": (lambda: _with_price('"1.5"'), 422, "VALIDATION_FAILED"),
    "price true": (lambda: _with_price("true"), 422, "VALIDATION_FAILED"),
    "payload NaN": (lambda: _with_payload('{"x": NaN}'), 400, "MALFORMED_JSON"),
    "payload huge exponent": (lambda: _with_payload('{"x": 1e999999999}'), 0, None),
    # encodings
    "latin-1 byte in a string": (
        lambda: _raw()[:-1].encode() + b', "payload": {"x": "caf\xe9"}}',
        400,
        "MALFORMED_JSON",
    ),
    "overlong UTF-8": (
        lambda: _raw()[:-1].encode() + b', "payload": {"x": "\xc0\xaf"}}',
        400,
        "MALFORMED_JSON",
    ),
    "UTF-8 byte-order mark": (lambda: b"\xef\xbb\xbf" + _raw().encode(), 400, "MALFORMED_JSON"),
    "lone surrogate escape": (lambda: _with_payload('{"x": "\\ud800"}'), 0, None),
    "NUL escape": (lambda: _with_payload('{"x": "a\\u0000b"}'), 201, None),
    "not JSON": (lambda: b"instrument=EURUSD&side=buy", 400, "MALFORMED_JSON"),
    "empty body": (lambda: b"", 400, "MALFORMED_JSON"),
    "JSON null": (lambda: b"null", 422, "VALIDATION_FAILED"),
    # duplicate keys
    "duplicate price": (lambda: _raw()[:-1].encode() + b', "price": 2}', 400, "MALFORMED_JSON"),
    "duplicate key in payload": (
        lambda: _with_payload('{"a": 1, "a": 2}'),
        400,
        "MALFORMED_JSON",
    ),
    "unknown member": (lambda: _raw(admin=True).encode(), 422, "VALIDATION_FAILED"),
    # look-alike instruments
    "Cyrillic E": (lambda: _raw(instrument="\u0415URUSD").encode(), 422, "VALIDATION_FAILED"),
    "fullwidth letters": (
        lambda: _raw(instrument="\uff25\uff35\uff32USD").encode(),
        422,
        "VALIDATION_FAILED",
    ),
    "zero-width space": (lambda: _raw(instrument="EURUSD\u200b").encode(), 422, None),
    "trailing newline": (lambda: _raw(instrument="EURUSD\n").encode(), 422, None),
    "no-break space": (lambda: _raw(instrument="EUR\u00a0USD").encode(), 422, None),
    "lower case": (lambda: _raw(instrument="eurusd").encode(), 422, None),
    "33 characters": (lambda: _raw(instrument="A" * 33).encode(), 422, None),
    "Arabic digits in version": (lambda: _raw(version="\u0661.0").encode(), 422, None),
    "external id with a slash": (lambda: _raw(external_id="a/b").encode(), 422, None),
}
# 0: the contract leaves the answer open; only "no 5xx, problem JSON, nothing half-stored"
SOFT = {0}


@pytest.mark.parametrize("case", list(BODIES), ids=list(BODIES))
def test_hostile_bodies(client: Client, producer: Producer, case: str) -> None:
    build, status, code = BODIES[case]
    body = build()
    # WHEN a producer sends a signed hostile body
    answer = client.post(SIGNALS, producer, body)
    # THEN it gets the documented answer, as a well-formed problem when refused
    assert problem_violations(answer.status_code, answer.headers, answer.text) == []
    if status in SOFT:
        assert answer.status_code in {201, 400, 422}, answer.text
    else:
        assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["code"] == code
    if answer.status_code == 413:
        assert answer.json()["limit_bytes"] == BODY_LIMIT
    if answer.status_code == 201:
        # AND what was accepted reads back exactly as answered
        stored = client.get(f"{SIGNALS}/{answer.json()['id']}", producer)
        assert stored.json() == answer.json()


def test_hostile_bodies_leave_no_partial_write(audit: Callable[[], Audit]) -> None:
    # GIVEN the hostile bodies above were sent (same process, same table)
    # WHEN the table is scanned
    # THEN every guard has its signal and every signal its guards
    assert audit().anomalies == []


def test_size_is_checked_before_the_signature(client: Client) -> None:
    # GIVEN an unsigned body over the limit
    # WHEN it is sent
    answer = client.post(SIGNALS, None, _padded(BODY_LIMIT + 1))
    # THEN 413 comes first, naming the limit
    assert (answer.status_code, answer.json()["limit_bytes"]) == (413, BODY_LIMIT)


def test_chart_body_just_over_its_limit(client: Client, producer: Producer) -> None:
    # GIVEN a chart request one byte over MEDIA_MAX_REQUEST_BYTES
    document = b'{"kind": "histogram", "data": [1, 2], "title": "x"}'
    body = document[:-1] + b" " * (CHART_LIMIT + 1 - len(document)) + b"}"
    # WHEN it is sent, signed
    answer = client.post(CHARTS, producer, body)
    # THEN 413 with the chart limit
    assert answer.status_code == 413, answer.text[:300]
    assert answer.json()["limit_bytes"] == CHART_LIMIT


def test_deeply_nested_chart_data(client: Client, producer: Producer) -> None:
    # GIVEN chart data nested 200,000 levels deep
    body = b'{"kind": "histogram", "data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    # WHEN it is sent
    answer = client.post(CHARTS, producer, body)
    # THEN a client error as problem JSON, not a crash
    assert answer.status_code in {400, 422}, answer.text[:300]
    assert problem_violations(answer.status_code, answer.headers, answer.text) == []


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 415),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=x", 415),
        ("application/json; charset=latin-1", 415),
        ("application/json; charset=utf-16", 415),
        ("application/json; version=2", 415),
        ("application/jsonx", 415),
        ("application/problem+json", 415),
        ("application/json, text/plain", 415),
        ("APPLICATION/JSON", 201),
        ('application/json; charset="UTF-8"', 201),
    ],
)
def test_content_types(
    client: Client, producer: Producer, content_type: str | None, status: int
) -> None:
    # WHEN a signed signal is sent with this content type
    answer = client.post(SIGNALS, producer, _raw().encode(), content_type=content_type)
    # THEN only application/json (with at most charset=utf-8) is accepted
    assert answer.status_code == status, answer.text
    assert problem_violations(answer.status_code, answer.headers, answer.text) == []


def _signature(producer: Producer, message_id: str, timestamp: int, body: bytes) -> str:
    key = decode_secret(producer.secret)
    assert key is not None
    return sign(key, message_id, timestamp, body)


SIGNATURES: dict[str, tuple[Callable[[str], str], int]] = {
    "valid among garbage entries": (lambda good: f"v1,garbage v2,xyz v1,!!! {good}", 201),
    "valid twice": (lambda good: f"{good} {good}", 201),
    "valid as the 17th entry": (lambda good: " ".join(["v1,AAAA"] * 16 + [good]), 401),
    "upper-case version": (lambda good: "V1," + good[3:], 401),
    "v2 with the right digest": (lambda good: "v2," + good[3:], 401),
    "comma-separated": (lambda good: f"v1,AAAA,{good}", 401),
    "tab-separated": (lambda good: f"v1,AAAA\t{good}", 401),
    "empty entry": (lambda _good: "v1,", 401),
    "unpadded base64": (lambda good: good.rstrip("="), 401),
    "url-safe base64": (lambda good: good.replace("+", "-").replace("/", "_"), 0),
    "truncated digest": (lambda good: good[:-6], 401),
    "over 4096 characters": (lambda good: good + " v1," + "A" * 4100, 401),
    "entries apart by many spaces": (lambda good: f"v1,AAAA     {good[:-4]}AAA=", 401),
}


@pytest.mark.parametrize("case", list(SIGNATURES), ids=list(SIGNATURES))
def test_signature_entries(client: Client, producer: Producer, case: str) -> None:
    make, status = SIGNATURES[case]
    body, message_id, timestamp = _raw().encode(), unique("msg_"), int(time.time())
    good = _signature(producer, message_id, timestamp, body)
    # WHEN the signature header holds extra or malformed entries
    answer = client.post(
        SIGNALS,
        producer,
        body,
        message_id=message_id,
        timestamp=timestamp,
        headers={"webhook-signature": make(good)},
    )
    # THEN only a well-formed matching v1 entry (within the first 16) authenticates
    if status in SOFT:
        assert answer.status_code in {201, 401}, answer.text
    else:
        assert answer.status_code == status, answer.text
    assert problem_violations(answer.status_code, answer.headers, answer.text) == []


@pytest.mark.parametrize(
    ("offset", "status"), [(-298, 201), (298, 201), (-302, 401), (302, 401), (-86400, 401)]
)
def test_timestamps_at_the_tolerance_edges(
    client: Client, producer: Producer, offset: int, status: int
) -> None:
    # WHEN the webhook-timestamp is this far from the server clock (tolerance 300 s)
    answer = client.post_signal(producer, _signal(), timestamp=int(time.time()) + offset)
    # THEN within it the request is accepted, beyond it refused
    assert answer.status_code == status, answer.text


@pytest.mark.parametrize(
    "timestamp",
    ["-1", "+1700000000", "1.7e9", "\uff11\uff17\uff10\uff10", "0x65", "", " 1700000000", "1" * 13],
)
def test_malformed_timestamps(client: Client, producer: Producer, timestamp: str) -> None:
    body = _raw().encode()
    # WHEN webhook-timestamp is not a plain count of seconds
    headers = {"webhook-timestamp": timestamp}
    try:
        answer = client.post(SIGNALS, producer, body, headers=headers)
    except ValueError:
        pytest.skip("the HTTP client refuses to send this header")
    # THEN authentication fails
    assert answer.status_code == 401, answer.text
    assert problem_violations(401, answer.headers, answer.text) == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-producer-id", "p" * 10_000),
        ("webhook-id", "m" * 129),
        ("webhook-id", "m" * 10_000),
        ("webhook-signature", "v1," + "A" * 10_000),
        ("x-producer-id", "demo\u0430"),
        ("webhook-id", "msg id with spaces"),
        ("webhook-id", "../../etc/passwd"),
        ("x-producer-id", "P#other"),
    ],
)
def test_long_and_odd_headers(client: Client, producer: Producer, header: str, value: str) -> None:
    # WHEN a signature header is very long or out of its pattern
    try:
        answer = client.post(SIGNALS, producer, _raw().encode(), headers={header: value})
    except (ValueError, UnicodeEncodeError):
        pytest.skip("the HTTP client refuses to send this header")
    # THEN 401, as problem JSON
    assert answer.status_code == 401, answer.text
    assert problem_violations(401, answer.headers, answer.text) == []


def test_longest_allowed_message_id_is_accepted(client: Client, producer: Producer) -> None:
    # WHEN the webhook-id has the maximum 128 characters
    answer = client.post_signal(producer, _signal(), message_id="m" * 120 + unique("")[:8])
    # THEN it is accepted
    assert answer.status_code == 201, answer.text


def _raw_request(base_url: str, head: bytes, body: bytes) -> tuple[int, bytes]:
    split = urlsplit(base_url)
    with socket.create_connection((split.hostname, split.port), timeout=30) as connection:
        connection.sendall(head + body)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status = int(received.split(b" ", 2)[1])
    return status, received.partition(b"\r\n\r\n")[2]


def _head(headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"POST {SIGNALS} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def test_injected_and_repeated_headers_do_not_authenticate(
    client: Client, producer: Producer, add_producer: Callable[..., Producer]
) -> None:
    other = add_producer()
    body = _raw().encode()
    message_id, timestamp = unique("msg_"), int(time.time())
    good = _signature(producer, message_id, timestamp, body)
    base = [
        ("Content-Type", "application/json"),
        ("webhook-id", message_id),
        ("webhook-timestamp", str(timestamp)),
    ]
    attempts = {
        # two producer ids: API Gateway joins repeated headers with commas
        "repeated producer id": [
            *base,
            ("x-producer-id", other.producer_id),
            ("x-producer-id", producer.producer_id),
            ("webhook-signature", good),
        ],
        # a signature smuggled in another header's value
        "smuggled in another header": [
            *base,
            ("x-producer-id", producer.producer_id),
            ("x-note", "a\r\nwebhook-signature: " + good),
            ("webhook-signature", "v1,AAAA"),
        ],
        "NUL in the producer id": [
            *base,
            ("x-producer-id", producer.producer_id + "\x00"),
            ("webhook-signature", good),
        ],
    }
    for name, headers in attempts.items():
        # WHEN the raw request is sent
        status, payload = _raw_request(client.base_url, _head(headers, body), body)
        # THEN it does not authenticate, and the body is a problem without a trace
        assert status in {400, 401}, (name, status, payload[:300])
        assert b"Traceback" not in payload


def test_non_utf8_header_bytes(client: Client, producer: Producer) -> None:
    body = _raw().encode()
    head = _head(
        [
            ("Content-Type", "application/json"),
            ("x-producer-id", producer.producer_id + "\xe9"),
            ("webhook-id", "m1"),
            ("webhook-timestamp", str(int(time.time()))),
            ("webhook-signature", "v1," + base64.b64encode(b"x" * 32).decode()),
        ],
        body,
    )
    # WHEN header bytes are not UTF-8
    status, payload = _raw_request(client.base_url, head, body)
    # THEN 401, not a crash
    assert status == 401, payload[:300]


@pytest.mark.parametrize(
    "query",
    [
        "instrument=%D0%95URUSD",
        "instrument=EURUSD%00",
        "limit=1e2",
        "limit=-1",
        "cursor=" + "A" * 2000,
    ],
)
def test_hostile_list_queries(client: Client, producer: Producer, query: str) -> None:
    # WHEN the list query holds look-alikes, NULs or out-of-range values
    answer = client.get(f"{SIGNALS}?{query}", producer)
    # THEN a 400 problem
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] in {"INVALID_QUERY", "INVALID_CURSOR"}
    assert problem_violations(400, answer.headers, answer.text) == []
