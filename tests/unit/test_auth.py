"""Signature verification (SPEC §1), without any network."""

from __future__ import annotations

import base64

import pytest

from signals_cli.producers import generate_secret
from signals_common.auth import decode_secret, request_target, sign, verify
from signals_common.errors import AuthenticationFailedError

NOW = 1_800_000_000
TOLERANCE = 300


_secret = generate_secret


def _headers(
    secret: str,
    body: bytes,
    *,
    producer: str = "alice",
    message_id: str = "msg_1",
    timestamp: int = NOW,
) -> dict[str, str]:
    key = decode_secret(secret)
    assert key is not None
    return {
        "x-producer-id": producer,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message_id, timestamp, body),
    }


def _directory(**producers: list[str]):
    return lambda producer_id: producers.get(producer_id)


BODY = b'{"instrument":"EURUSD","side":"buy","price":1.1050}'


def test_valid_signature_is_accepted() -> None:
    # GIVEN a body signed with alice's secret
    secret = _secret()
    headers = _headers(secret, BODY)
    # WHEN it is verified
    signed = verify(headers, BODY, _directory(alice=[secret]), NOW, TOLERANCE)
    # THEN alice and the message id are returned
    assert (signed.producer_id, signed.message_id, signed.timestamp) == ("alice", "msg_1", NOW)


def test_tampered_body_is_rejected() -> None:
    secret = _secret()
    headers = _headers(secret, BODY)
    with pytest.raises(AuthenticationFailedError, match="signature"):
        verify(
            headers, BODY.replace(b"1.1050", b"1.1051"), _directory(alice=[secret]), NOW, TOLERANCE
        )


def test_wrong_secret_is_rejected() -> None:
    headers = _headers(_secret(), BODY)
    with pytest.raises(AuthenticationFailedError, match="signature"):
        verify(headers, BODY, _directory(alice=[_secret()]), NOW, TOLERANCE)


def test_unknown_producer_fails_like_a_bad_signature() -> None:
    # GIVEN a well-signed request from a producer the directory does not know
    secret = _secret()
    headers = _headers(secret, BODY, producer="mallory")
    # WHEN verified THEN the failure says the same as a wrong signature
    with pytest.raises(AuthenticationFailedError) as unknown:
        verify(headers, BODY, _directory(alice=[secret]), NOW, TOLERANCE)
    with pytest.raises(AuthenticationFailedError) as wrong:
        verify(_headers(_secret(), BODY), BODY, _directory(alice=[secret]), NOW, TOLERANCE)
    assert unknown.value.detail == wrong.value.detail


def test_rotation_accepts_either_of_two_secrets() -> None:
    # GIVEN alice holds an old and a new secret during rotation
    old, new = _secret(), _secret()
    directory = _directory(alice=[old, new])
    # WHEN requests are signed with either THEN both pass
    for secret in (old, new):
        assert (
            verify(_headers(secret, BODY), BODY, directory, NOW, TOLERANCE).producer_id == "alice"
        )
    # AND once the old one is retired it no longer passes
    with pytest.raises(AuthenticationFailedError):
        verify(_headers(old, BODY), BODY, _directory(alice=[new]), NOW, TOLERANCE)


@pytest.mark.parametrize("offset", [-TOLERANCE - 1, TOLERANCE + 1, -10_000, 10_000])
def test_stale_and_future_timestamps_are_rejected(offset: int) -> None:
    secret = _secret()
    headers = _headers(secret, BODY, timestamp=NOW + offset)
    with pytest.raises(AuthenticationFailedError, match="tolerance"):
        verify(headers, BODY, _directory(alice=[secret]), NOW, TOLERANCE)


@pytest.mark.parametrize("offset", [-TOLERANCE, TOLERANCE, 0])
def test_timestamps_at_the_tolerance_edges_pass(offset: int) -> None:
    secret = _secret()
    headers = _headers(secret, BODY, timestamp=NOW + offset)
    assert (
        verify(headers, BODY, _directory(alice=[secret]), NOW, TOLERANCE).timestamp == NOW + offset
    )


@pytest.mark.parametrize(
    "missing", ["x-producer-id", "webhook-id", "webhook-timestamp", "webhook-signature"]
)
def test_each_missing_header_is_rejected(missing: str) -> None:
    secret = _secret()
    headers = _headers(secret, BODY)
    del headers[missing]
    with pytest.raises(AuthenticationFailedError, match="Missing"):
        verify(headers, BODY, _directory(alice=[secret]), NOW, TOLERANCE)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("webhook-timestamp", "1800000000.5"),
        ("webhook-timestamp", "-1800000000"),
        ("webhook-timestamp", "soon"),
        ("webhook-id", "has space"),
        ("webhook-id", "x" * 129),
        ("x-producer-id", "Alice"),
        ("x-producer-id", "a"),
    ],
)
def test_malformed_headers_are_authentication_failures(name: str, value: str) -> None:
    secret = _secret()
    headers = _headers(secret, BODY)
    headers[name] = value
    with pytest.raises(AuthenticationFailedError):
        verify(
            headers, BODY, _directory(alice=[secret], Alice=[secret], a=[secret]), NOW, TOLERANCE
        )


def test_several_signature_entries_pass_when_any_matches() -> None:
    # GIVEN a header with a malformed entry, a v2 entry, a wrong v1 and the right v1
    secret = _secret()
    headers = _headers(secret, BODY)
    right = headers["webhook-signature"]
    wrong = sign(decode_secret(_secret()) or b"", "msg_1", NOW, BODY)
    headers["webhook-signature"] = f"garbage v2,abc {wrong} v1,!!notbase64 {right}"
    # WHEN verified THEN it passes
    assert verify(headers, BODY, _directory(alice=[secret]), NOW, TOLERANCE).producer_id == "alice"


def test_only_wrong_entries_fail() -> None:
    secret = _secret()
    headers = _headers(secret, BODY)
    headers["webhook-signature"] = "v1,AAAA v1,bm9wZQ== v1a," + headers["webhook-signature"][3:]
    with pytest.raises(AuthenticationFailedError):
        verify(headers, BODY, _directory(alice=[secret]), NOW, TOLERANCE)


def test_secret_must_be_whsec_of_24_to_64_bytes() -> None:
    assert decode_secret("whsec_" + base64.b64encode(b"k" * 24).decode()) == b"k" * 24
    assert decode_secret("whsec_" + base64.b64encode(b"k" * 64).decode()) == b"k" * 64
    assert decode_secret("whsec_" + base64.b64encode(b"k" * 23).decode()) is None
    assert decode_secret("whsec_" + base64.b64encode(b"k" * 65).decode()) is None
    assert decode_secret(base64.b64encode(b"k" * 32).decode()) is None
    assert decode_secret("whsec_not*base64") is None


def test_get_requests_sign_the_request_target() -> None:
    # GIVEN a GET with a query string THEN the signed content is "GET <path>?<raw query>"
    assert request_target("get", "/api/v1/signals", "limit=10&cursor=a%2Bb") == (
        b"GET /api/v1/signals?limit=10&cursor=a%2Bb"
    )
    assert request_target("GET", "/api/v1/signals/01ABC", "") == b"GET /api/v1/signals/01ABC"


def test_signature_over_a_query_does_not_pass_for_another_query() -> None:
    secret = _secret()
    target = request_target("GET", "/api/v1/signals", "limit=10")
    headers = _headers(secret, target)
    other = request_target("GET", "/api/v1/signals", "limit=100")
    with pytest.raises(AuthenticationFailedError):
        verify(headers, other, _directory(alice=[secret]), NOW, TOLERANCE)
