"""POST /api/v1/signals through the real handler, against DynamoDB Local and moto."""

from __future__ import annotations

import json
import re

import pytest

from tests.support import Api, Producer, unique, unique_instrument

PROBLEM = "application/problem+json"


def _signal(**changes: object) -> dict:
    return {"instrument": unique_instrument(), "side": "buy", "price": 1.5, **changes}


def _problem(answer, status: int, code: str) -> dict:
    assert answer.status == status, answer.text
    assert answer.content_type == PROBLEM
    document = answer.json()
    assert (document["status"], document["code"]) == (status, code)
    assert {"type", "title", "detail"} <= document.keys()
    return document


def test_new_signal_is_created_and_readable(api: Api, producer: Producer) -> None:
    # GIVEN a signed signal whose price has a trailing zero
    instrument = unique_instrument()
    body = (
        b'{"instrument":"' + instrument.encode() + b'","side":"sell","price":1.1050,'
        b'"payload":{"tp":[1.2000,1.25],"note":"\xc3\xa9"},"version":"2.1","external_id":"ord-1"}'
    )
    # WHEN it is posted
    answer = api.post_signal(producer, body)
    # THEN it is created with every field as sent
    assert answer.status == 201, answer.text
    assert answer.content_type == "application/json"
    signal = answer.json()
    assert answer.headers["Location"] == f"/api/v1/signals/{signal['id']}"
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", signal["id"])
    assert '"price":1.1050' in answer.text
    assert '"payload":{"tp":[1.2000,1.25],"note":"é"}' in answer.text
    assert signal["producer_id"] == producer.producer_id
    assert (signal["instrument"], signal["side"], signal["version"]) == (instrument, "sell", "2.1")
    assert (signal["external_id"], signal["status"]) == ("ord-1", "new")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", signal["created_at"])
    assert signal["created_at"] == signal["updated_at"]
    assert "Idempotent-Replayed" not in answer.headers
    # AND reading it back gives the same document, digits included
    assert api.get_signal(producer, signal["id"]).text == answer.text


def test_retry_with_identical_body_replays_the_original(api: Api, producer: Producer) -> None:
    # GIVEN a signal that was created
    body = json.dumps(_signal()).encode()
    first = api.post_signal(producer, body, message_id="retry-1")
    assert first.status == 201
    # WHEN the sender retries the same message (same id, same bytes, a later timestamp)
    again = api.post_signal(producer, body, message_id="retry-1")
    # THEN it gets the original answer, marked as replayed, and nothing new is stored
    assert again.status == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.text == first.text
    assert again.headers["Location"] == first.headers["Location"]
    listed = api.list_signals(producer).json()["items"]
    assert [s["id"] for s in listed] == [first.json()["id"]]


def test_same_message_id_with_another_body_is_refused(api: Api, producer: Producer) -> None:
    body = json.dumps(_signal()).encode()
    assert api.post_signal(producer, body, message_id="reuse-1").status == 201
    answer = api.post_signal(producer, body.replace(b"1.5", b"1.6"), message_id="reuse-1")
    _problem(answer, 409, "MESSAGE_ID_REUSED")
    assert len(api.list_signals(producer).json()["items"]) == 1


def test_reused_message_id_wins_over_a_duplicate_external_id(api: Api, producer: Producer) -> None:
    # GIVEN a stored signal with an external id
    body = json.dumps(_signal(external_id="e-1")).encode()
    assert api.post_signal(producer, body, message_id="m-1").status == 201
    # WHEN the same message id comes with another body that also repeats the external id
    answer = api.post_signal(
        producer, json.dumps(_signal(external_id="e-1")).encode(), message_id="m-1"
    )
    # THEN the first matching row of the table wins
    _problem(answer, 409, "MESSAGE_ID_REUSED")


def test_duplicate_external_id_names_the_existing_signal(api: Api, producer: Producer) -> None:
    first = api.post_signal(producer, _signal(external_id="ext-42"))
    assert first.status == 201
    # WHEN another message (other instrument, so no window clash) reuses the external id
    answer = api.post_signal(producer, _signal(external_id="ext-42"))
    problem = _problem(answer, 409, "DUPLICATE_SIGNAL")
    assert problem["reason"] == "external_id"
    assert problem["existing_signal_id"] == first.json()["id"]


def test_external_ids_are_scoped_to_the_producer(api: Api, add_producer) -> None:
    alice, bob = add_producer(), add_producer()
    assert api.post_signal(alice, _signal(external_id="shared")).status == 201
    assert api.post_signal(bob, _signal(external_id="shared")).status == 201


def test_window_duplicate_and_what_is_not_one(api: Api, producer: Producer) -> None:
    instrument = unique_instrument()
    first = api.post_signal(producer, _signal(instrument=instrument, price=1.1))
    assert first.status == 201
    # WHEN the same instrument, side and version come again within the window
    answer = api.post_signal(producer, _signal(instrument=instrument, price=1.2))
    problem = _problem(answer, 409, "DUPLICATE_SIGNAL")
    assert (problem["reason"], problem["existing_signal_id"]) == ("window", first.json()["id"])
    # THEN another side, or another version, is a different signal
    assert api.post_signal(producer, _signal(instrument=instrument, side="sell")).status == 201
    assert api.post_signal(producer, _signal(instrument=instrument, version="1.1")).status == 201


def test_window_is_scoped_to_the_producer(api: Api, add_producer) -> None:
    alice, bob = add_producer(), add_producer()
    instrument = unique_instrument()
    assert api.post_signal(alice, _signal(instrument=instrument)).status == 201
    assert api.post_signal(bob, _signal(instrument=instrument)).status == 201


def test_external_id_duplicate_wins_over_window(api: Api, producer: Producer) -> None:
    instrument = unique_instrument()
    first = api.post_signal(producer, _signal(instrument=instrument, external_id="both"))
    answer = api.post_signal(producer, _signal(instrument=instrument, external_id="both"))
    assert _problem(answer, 409, "DUPLICATE_SIGNAL")["reason"] == "external_id"
    assert answer.json()["existing_signal_id"] == first.json()["id"]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 201),
        ("application/json; charset=utf-8", 201),
        ("Application/JSON;charset=UTF-8", 201),
        ("application/json; charset=latin-1", 415),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("", 415),
    ],
)
def test_media_types(api: Api, producer: Producer, content_type: str, status: int) -> None:
    answer = api.post_signal(producer, _signal(), headers={"content-type": content_type})
    assert answer.status == status, answer.text
    if status == 415:
        _problem(answer, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_schema_errors_list_every_problem(api: Api, producer: Producer) -> None:
    answer = api.post_signal(producer, {"instrument": "bad", "side": "up", "price": "1", "x": 1})
    problem = _problem(answer, 422, "VALIDATION_FAILED")
    locations = {tuple(error["loc"]) for error in problem["errors"]}
    assert locations == {("body", "instrument"), ("body", "side"), ("body", "price"), ("body", "x")}
    assert all(isinstance(error["msg"], str) and error["msg"] for error in problem["errors"])


def test_malformed_json_is_400(api: Api, producer: Producer) -> None:
    _problem(api.post_signal(producer, b'{"instrument":'), 400, "MALFORMED_JSON")


def test_checks_run_cheapest_first(api: Api, producer: Producer) -> None:
    huge = b'{"instrument":"EURUSD","side":"buy","price":1,"payload":{"x":"' + b"a" * 17000 + b'"}}'
    # 413 before authentication: an oversized unsigned body
    unsigned = api.call("POST", "/api/v1/signals", None, body=huge)
    assert _problem(unsigned, 413, "PAYLOAD_TOO_LARGE")["limit_bytes"] == 16384
    # 401 before the media type
    bad_signature = api.post_signal(
        producer, b"not json", headers={"content-type": "text/plain"}, signature="v1,AAAA"
    )
    _problem(bad_signature, 401, "AUTHENTICATION_FAILED")
    # 415 before JSON syntax
    _problem(
        api.post_signal(producer, b"not json", headers={"content-type": "text/plain"}),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    # 400 before the schema
    _problem(api.post_signal(producer, b"{nope"), 400, "MALFORMED_JSON")
    # 422 before deduplication
    first = api.post_signal(producer, _signal(external_id="order"))
    assert first.status == 201
    _problem(
        api.post_signal(producer, _signal(external_id="order", side="hold")),
        422,
        "VALIDATION_FAILED",
    )


def test_body_at_the_limit_is_accepted(api: Api, producer: Producer) -> None:
    document = _signal()
    base = json.dumps(document).encode()
    padded = base[:-1] + b" " * (16384 - len(base)) + b"}"
    assert len(padded) == 16384
    assert api.post_signal(producer, padded).status == 201


def test_authentication_failures_look_alike(api: Api, producer: Producer, add_producer) -> None:
    body = json.dumps(_signal()).encode()
    stranger = Producer(unique("ghost"), producer.secret)
    wrong_secret = Producer(producer.producer_id, add_producer().secret)
    unknown = api.post_signal(stranger, body)
    wrong = api.post_signal(wrong_secret, body)
    assert unknown.status == wrong.status == 401
    assert unknown.json() == wrong.json()
    for answer in (unknown, wrong):
        assert producer.producer_id not in answer.text
        assert stranger.producer_id not in answer.text


def test_stale_request_is_refused(api: Api, producer: Producer) -> None:
    import time

    answer = api.post_signal(producer, _signal(), timestamp=int(time.time()) - 301)
    assert "tolerance" in _problem(answer, 401, "AUTHENTICATION_FAILED")["detail"]


def test_signed_with_the_official_standardwebhooks_package(api: Api, producer: Producer) -> None:
    # GIVEN a request signed by the standardwebhooks library, not by our code
    from datetime import UTC, datetime

    from standardwebhooks.webhooks import Webhook

    body = json.dumps(_signal()).encode()
    now = datetime.now(tz=UTC)
    signature = Webhook(producer.secret).sign("msg_sw_1", now, body.decode())
    # WHEN it is posted with that signature
    answer = api.post_signal(
        producer, body, message_id="msg_sw_1", timestamp=int(now.timestamp()), signature=signature
    )
    # THEN it is accepted
    assert answer.status == 201, answer.text


@pytest.mark.parametrize("price", [b"1e-200", b"0.000000000000000000000000000000000000000000001"])
def test_prices_below_dynamodb_number_range_are_kept_exactly(
    api: Api, producer: Producer, price: bytes
) -> None:
    # GIVEN a tiny but valid price (> 0, few digits) that DynamoDB cannot hold as a number
    instrument = unique_instrument().encode()
    body = b'{"instrument":"' + instrument + b'","side":"buy","price":' + price + b"}"
    # WHEN it is posted THEN it is stored and read back with its exact text
    created = api.post_signal(producer, body)
    assert created.status == 201, created.text
    stored = api.get_signal(producer, created.json()["id"]).text.encode()
    assert b'"price":' + price + b"," in stored
