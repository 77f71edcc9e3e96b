"""Fixtures of the reliability suite: the API served over HTTP, table audits, AWS clients."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.reliability.support import Audit, Client, audit_table, serve


@pytest.fixture(scope="session")
def base_url(stack: Any) -> Iterator[str]:
    with serve(stack.front()) as url:
        yield url


@pytest.fixture(scope="session")
def client(base_url: str) -> Client:
    return Client(base_url)


@pytest.fixture(scope="session")
def audit(stack: Any) -> Callable[[], Audit]:
    """Scans the table; every test that writes ends with `assert not audit().anomalies`."""
    dynamodb = stack.client("dynamodb")
    table = stack.names["SignalsTable"]
    return lambda: audit_table(dynamodb, table)


@pytest.fixture
def dynamodb_client(stack: Any) -> Any:
    """The handlers' own botocore client (pynamodb's), shared by every container."""
    from signals_common.dependencies import get_repository
    from signals_common.records import SignalRecord

    get_repository()  # binds the records to the stack's table first
    return SignalRecord._get_connection().connection.client


@pytest.fixture(scope="session")
def stress_report(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Appends a stress run's figures to .pytest_cache/reliability-stress.jsonl."""
    path = request.config.rootpath / ".pytest_cache" / "reliability-stress.jsonl"

    def report(name: str, figures: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"test": name, "at": int(time.time()), **figures})
        with path.open("a") as out:
            out.write(line + "\n")
        print(line)

    return report
