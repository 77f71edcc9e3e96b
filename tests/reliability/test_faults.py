"""Faults in DynamoDB, S3 and Secrets Manager: bounded retries, then 503 with Retry-After,
never a partial write, and a sender's retry afterwards gets the right answer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from signals_common import dependencies
from tests.reliability.support import (
    CHARTS,
    SIGNALS,
    Audit,
    Client,
    FaultProxy,
    always,
    aws_error,
    commit_then_time_out,
    first,
    inject,
    problem_violations,
    serve,
)
from tests.support import Producer, unique, unique_instrument

TRANSACT = "before-send.dynamodb.TransactWriteItems"
# records.py: botocore standard retry mode, 4 attempts in all
DYNAMODB_ATTEMPTS = 4


def _signal() -> bytes:
    return json.dumps({"instrument": unique_instrument(), "side": "buy", "price": 1.5}).encode()


def _assert_unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "SERVICE_UNAVAILABLE"
    assert int(answer.headers["Retry-After"]) >= 1
    assert problem_violations(503, answer.headers, answer.text) == []


@pytest.fixture
def fresh_dependencies(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings and clients are rebuilt from the (patched) environment, and again after."""
    dependencies.reset()
    yield monkeypatch
    dependencies.reset()


# botocore's standard mode backs off up to 1 s, 2 s, 4 s after a throttle, and up to
# 25, 50, 100 ms after a DynamoDB server error (full jitter): the least total wait checked
# here is far below the mean, so the check fails only when there is no backoff at all.
@pytest.mark.parametrize(
    ("status", "error_type", "least_backoff"),
    [
        (400, "ThrottlingException", 0.05),
        (400, "ProvisionedThroughputExceededException", 0.05),
        (500, "InternalServerError", 0.002),
        (503, "ServiceUnavailable", 0.002),
    ],
)
def test_dynamodb_outage_is_retried_a_bounded_number_of_times_then_503(
    client: Client,
    producer: Producer,
    dynamodb_client: Any,
    audit: Callable[[], Audit],
    status: int,
    error_type: str,
    least_backoff: float,
) -> None:
    body, message_id = _signal(), unique("msg_")
    # GIVEN DynamoDB answers every write with a throttle or a server error
    with inject(dynamodb_client, TRANSACT, always(status, error_type)) as fault:
        started = time.monotonic()
        # WHEN a producer sends a signal
        answer = client.post_signal(producer, body, message_id=message_id)
        elapsed = time.monotonic() - started
    # THEN it was tried a bounded number of times, with backoff between tries, then 503
    _assert_unavailable(answer)
    assert len(fault.attempts) == DYNAMODB_ATTEMPTS
    assert sum(fault.gaps) > least_backoff, fault.gaps
    assert elapsed < 15
    # AND nothing was stored
    assert client.list_all(producer) == []
    # AND the sender's retry of the same message, once DynamoDB is back, is stored once
    retried = client.post_signal(producer, body, message_id=message_id)
    assert retried.status_code == 201, retried.text
    assert "Idempotent-Replayed" not in retried.headers
    assert [s["id"] for s in client.list_all(producer)] == [retried.json()["id"]]
    assert not audit().anomalies


def test_a_transient_throttle_is_absorbed_by_the_retries(
    client: Client, producer: Producer, dynamodb_client: Any, audit: Callable[[], Audit]
) -> None:
    # GIVEN DynamoDB throttles the first two attempts of a write
    with inject(dynamodb_client, TRANSACT, first(2, 400, "ThrottlingException")) as fault:
        # WHEN a signal is sent
        answer = client.post_signal(producer, _signal())
    # THEN the third attempt stores it: the sender sees one 201
    assert answer.status_code == 201, answer.text
    assert len(fault.attempts) == 3
    assert [s["id"] for s in client.list_all(producer)] == [answer.json()["id"]]
    assert not audit().anomalies


def test_answer_lost_after_the_commit_then_retried_stores_once(
    client: Client, producer: Producer, dynamodb_client: Any, audit: Callable[[], Audit]
) -> None:
    # GIVEN the transaction commits but its answer is lost once (a read timeout)
    with inject(dynamodb_client, TRANSACT, commit_then_time_out(1)) as fault:
        # WHEN a signal is sent
        answer = client.post_signal(producer, _signal())
    # THEN botocore's retry finds it committed: one 201, one signal with all its guards
    assert answer.status_code == 201, answer.text
    assert len(fault.attempts) == 2
    assert [s["id"] for s in client.list_all(producer)] == [answer.json()["id"]]
    assert not audit().anomalies


def test_every_answer_lost_after_the_commit_gives_503_then_the_replay(
    client: Client, producer: Producer, dynamodb_client: Any, audit: Callable[[], Audit]
) -> None:
    body, message_id = _signal(), unique("msg_")
    # GIVEN the first attempt commits and the answers of all attempts are lost
    with inject(dynamodb_client, TRANSACT, commit_then_time_out(DYNAMODB_ATTEMPTS)) as fault:
        # WHEN a signal is sent
        answer = client.post_signal(producer, body, message_id=message_id)
    # THEN the sender sees 503 after the bounded retries, although the signal was stored
    _assert_unavailable(answer)
    assert len(fault.attempts) == DYNAMODB_ATTEMPTS
    stored = client.list_all(producer)
    assert len(stored) == 1
    # AND retrying the same message answers that stored signal, without storing another
    retried = client.post_signal(producer, body, message_id=message_id)
    assert retried.status_code == 201, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == stored[0]
    assert [s["id"] for s in client.list_all(producer)] == [stored[0]["id"]]
    assert not audit().anomalies


def test_endless_transaction_conflicts_end_in_503_without_a_write(
    client: Client, producer: Producer, dynamodb_client: Any, audit: Callable[[], Audit]
) -> None:
    def conflict(_number: int, _request: Any) -> Any:
        reasons = [{"Code": "TransactionConflict", "Message": "conflict"}, {"Code": "None"}]
        return aws_error(400, "TransactionCanceledException", CancellationReasons=reasons)

    # GIVEN every write conflicts with another transaction
    with inject(dynamodb_client, TRANSACT, conflict) as fault:
        # WHEN a signal is sent
        answer = client.post_signal(producer, _signal())
    # THEN it is retried a bounded number of times, then 503, and nothing is stored
    _assert_unavailable(answer)
    assert 2 <= len(fault.attempts) <= 6 * DYNAMODB_ATTEMPTS
    assert client.list_all(producer) == []
    assert not audit().anomalies


@pytest.mark.parametrize("operation", ["GetItem", "Query"])
def test_reads_during_an_outage_are_503(
    client: Client, producer: Producer, dynamodb_client: Any, operation: str
) -> None:
    created = client.post_signal(producer, _signal()).json()["id"]
    target = f"{SIGNALS}/{created}" if operation == "GetItem" else f"{SIGNALS}?limit=5"
    # GIVEN DynamoDB throttles every read
    event = f"before-send.dynamodb.{operation}"
    with inject(dynamodb_client, event, always(400, "ThrottlingException")) as fault:
        # WHEN the producer reads
        answer = client.get(target, producer)
    # THEN bounded retries, then 503 with Retry-After
    _assert_unavailable(answer)
    assert len(fault.attempts) == DYNAMODB_ATTEMPTS
    assert client.get(target, producer).status_code == 200


# ----------------------------------------------------------------------- Secrets Manager


def _closed_port() -> int:
    from local_stack.services import free_port

    return free_port()  # nothing listens there once the probe socket is closed


def test_with_the_secret_store_down_nothing_is_accepted(
    stack: Any, client: Client, producer: Producer, fresh_dependencies: pytest.MonkeyPatch
) -> None:
    body, message_id = _signal(), unique("msg_")
    # GIVEN a cold container and a Secrets Manager that does not answer
    fresh_dependencies.setenv(
        "AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://127.0.0.1:{_closed_port()}"
    )
    dependencies.reset()
    # WHEN signed, badly signed and unsigned requests arrive
    signed = client.post_signal(producer, body, message_id=message_id)
    forged = client.post_signal(producer, body, headers={"webhook-signature": "v1,AAAA"})
    unsigned = client.post_signal(None, body)
    stale = client.post_signal(producer, body, timestamp=int(time.time()) - 3600)
    read = client.get(f"{SIGNALS}?limit=5", producer)
    chart = client.post(
        CHARTS, producer, json.dumps({"kind": "histogram", "data": [1, 2]}).encode()
    )
    # THEN the verifiable ones are 503 (retry later), the rest 401: nothing is accepted
    for answer in (signed, forged, read, chart):
        _assert_unavailable(answer)
    for answer in (unsigned, stale):
        assert answer.status_code == 401, answer.text
    # AND once the store is back, the sender's retry is stored exactly once
    fresh_dependencies.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", stack.services.moto_endpoint)
    dependencies.reset()
    retried = client.post_signal(producer, body, message_id=message_id)
    assert retried.status_code == 201, retried.text
    assert "Idempotent-Replayed" not in retried.headers
    assert [s["id"] for s in client.list_all(producer)] == [retried.json()["id"]]


def test_a_warm_cache_outlives_an_outage_only_for_its_lifetime(
    client: Client, producer: Producer, fresh_dependencies: pytest.MonkeyPatch
) -> None:
    # GIVEN containers that cache the producers secret for one second, warmed up
    fresh_dependencies.setenv("SIGNALS_SECRETS_CACHE_SECONDS", "1")
    dependencies.reset()
    assert client.post_signal(producer, _signal()).status_code == 201
    directory_client = dependencies.get_producer_directory()._client

    def down(_number: int, request: Any) -> None:
        raise EndpointConnectionError(endpoint_url=request.url)

    # WHEN Secrets Manager goes down
    with inject(directory_client, "before-send.secrets-manager.GetSecretValue", down) as fault:
        cached = client.post_signal(producer, _signal())
        forged = client.post_signal(producer, _signal(), headers={"webhook-signature": "v1,AAAA"})
        time.sleep(1.2)
        expired = client.post_signal(producer, _signal())
    # THEN within the cache's lifetime signatures are still checked (good 201, forged 401)
    assert cached.status_code == 201, cached.text
    assert forged.status_code == 401, forged.text
    # AND after it nothing is accepted: 503 after bounded retries
    _assert_unavailable(expired)
    assert 1 <= len(fault.attempts) <= 3
    assert len(client.list_all(producer)) == 2


# ------------------------------------------------------------------------------------ S3


@pytest.fixture
def s3_proxy(
    stack: Any, fresh_dependencies: pytest.MonkeyPatch
) -> Iterator[tuple[FaultProxy, Client]]:
    """Render containers whose S3 client goes through a fault-injecting proxy."""
    with FaultProxy(stack.services.moto_endpoint) as proxy:
        fresh_dependencies.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
        with serve(stack.front()) as url:
            yield proxy, Client(url)


def _chart() -> bytes:
    values = [float(i % 17) for i in range(50)] + [float(time.time_ns() % 997)]
    return json.dumps(
        {"kind": "histogram", "data": values, "width": 320, "height": 240, "options": {"bins": 5}}
    ).encode()


def _chart_keys(stack: Any) -> set[str]:
    pages = (
        stack.client("s3")
        .get_paginator("list_objects_v2")
        .paginate(Bucket=stack.names["MediaBucket"], Prefix="charts/")
    )
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_s3_put_failures_are_503_and_store_nothing(
    stack: Any, producer: Producer, s3_proxy: tuple[FaultProxy, Client]
) -> None:
    proxy, client = s3_proxy
    body, before = _chart(), _chart_keys(stack)
    # GIVEN S3 fails every upload
    proxy.rule = lambda method, _path: (
        (500, b"<Error><Code>InternalError</Code></Error>") if method == "PUT" else None
    )
    # WHEN a chart is requested
    answer = client.post(CHARTS, producer, body)
    # THEN 503 after bounded retries, and no object exists
    _assert_unavailable(answer)
    puts = [seen for seen in proxy.seen if seen[0] == "PUT"]
    assert 1 < len(puts) <= 3
    assert _chart_keys(stack) == before
    # AND once S3 is back the same request renders and stores it, then answers from S3
    proxy.rule = lambda _method, _path: None
    first_answer = client.post(CHARTS, producer, body)
    assert first_answer.status_code == 201, first_answer.text
    key = first_answer.json()["key"]
    stack.client("s3").head_object(Bucket=stack.names["MediaBucket"], Key=key)
    again = client.post(CHARTS, producer, body)
    assert (again.status_code, again.json()["key"]) == (200, key)


def test_a_missing_chart_reported_as_403_is_rendered(
    producer: Producer, s3_proxy: tuple[FaultProxy, Client]
) -> None:
    proxy, client = s3_proxy
    # GIVEN S3 as the function's role sees it: no s3:ListBucket, so a missing key is 403
    proxy.rewrite[("HEAD", 404)] = 403
    # WHEN a new chart is requested
    answer = client.post(CHARTS, producer, _chart())
    # THEN it is rendered and stored (201), not refused as an outage
    assert answer.status_code == 201, answer.text
