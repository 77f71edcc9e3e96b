"""Shared fixtures. Integration tests run against DynamoDB Local and a moto server, started
once per test process from the template's own definitions."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.support import Api, Producer, new_secret, unique


@pytest.fixture(scope="session")
def stack() -> Iterator[object]:
    from local_stack.stack import start_stack
    from signals_common import dependencies

    stack = start_stack({}, suffix=uuid.uuid4().hex[:8])
    saved = dict(os.environ)
    stack.apply_environment()
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOG_LEVEL"] = "CRITICAL"
    dependencies.reset()
    yield stack
    stack.stop()
    os.environ.clear()
    os.environ.update(saved)
    dependencies.reset()


@pytest.fixture(scope="session")
def api(stack: object) -> Api:
    return Api(stack.front())  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def add_producer(stack: object) -> Callable[..., Producer]:
    """Registers a new producer in the secret and makes the handlers reload it."""
    from signals_common import dependencies

    client = stack.client("secretsmanager")  # type: ignore[attr-defined]
    secret_id = stack.names["ProducersSecret"]  # type: ignore[attr-defined]

    def add(*secrets: str, producer_id: str | None = None) -> Producer:
        document = json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"])
        producer_id = producer_id or unique("p")
        chosen = list(secrets) or [new_secret()]
        document["producers"][producer_id] = {"secrets": chosen}
        client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))
        dependencies.get_producer_directory.cache_clear()
        return Producer(producer_id, chosen[0])

    return add


@pytest.fixture
def producer(add_producer: Callable[..., Producer]) -> Producer:
    return add_producer()
