"""The local stack shared by the sections that need AWS: one start per `make bench`."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

from bench.common import ROOT  # noqa: F401 - puts the layer and the render function on sys.path

PRODUCER = "bench"
SECRET = "whsec_" + base64.b64encode(b"signals-serverless-bench-secret!").decode()


@dataclass
class Bench:
    stack: Any
    front: Any
    routes: dict[tuple[str, str], Any]

    def environment(self) -> dict[str, str]:
        environment = dict(self.stack.handler_environment())
        environment["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        environment["POWERTOOLS_METRICS_DISABLED"] = "true"
        return environment

    def event(
        self,
        method: str,
        route_path: str,
        target: str,
        body: bytes = b"",
        message_id: str | None = None,
        producer: str = PRODUCER,
        secret: str = SECRET,
    ) -> dict[str, Any]:
        """A signed API Gateway HTTP API event, built as the local front builds it."""
        from local_stack.front import build_event
        from signals_common.auth import decode_secret, request_target, sign

        route = self.routes[(method, route_path)]
        path, _, query = target.partition("?")
        match = route.pattern.match(path)
        assert match is not None, target
        message_id = message_id or f"msg_{uuid.uuid4().hex}"
        timestamp = int(time.time())
        content = body if method != "GET" else request_target(method, path, query)
        key = decode_secret(secret)
        assert key is not None
        headers = [
            ("content-type", "application/json"),
            ("x-producer-id", producer),
            ("webhook-id", message_id),
            ("webhook-timestamp", str(timestamp)),
            ("webhook-signature", sign(key, message_id, timestamp, content)),
        ]
        if method == "GET":
            headers = headers[1:]
        return build_event(method, target, headers, body, route, match.groupdict())

    def signal_event(self, signal: dict[str, Any], message_id: str | None = None) -> dict:
        body = json.dumps(signal).encode()
        return self.event("POST", "/api/v1/signals", "/api/v1/signals", body, message_id)

    def chart_event(self, chart: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(chart).encode()
        return self.event("POST", "/api/v1/charts", "/api/v1/charts", body)


def unique_signal(**extra: Any) -> dict[str, Any]:
    """A signal no earlier one blocks (its own instrument, so its own window)."""
    return {
        "instrument": "B" + uuid.uuid4().hex[:16].upper(),
        "side": "buy",
        "price": 1.105,
        **extra,
    }


def start() -> Bench:
    from bench.roundtrips import install_hooks
    from local_stack.stack import start_stack
    from local_stack.template import routes

    install_hooks()  # before any client exists, so that every call is counted

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    stack = start_stack({PRODUCER: SECRET}, suffix=f"bench{uuid.uuid4().hex[:6]}")
    stack.apply_environment()
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    front = stack.front()
    table = {(route.method, route.path): route for route in routes(stack.template)}
    return Bench(stack, front, table)
