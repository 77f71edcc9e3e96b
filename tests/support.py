"""Test helpers: API Gateway events from the JSON fixtures, signed, sent to the real handlers."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from local_stack.front import Front
from signals_cli.client import SignalsClient
from signals_cli.producers import generate_secret
from signals_common.auth import request_target

EVENTS = Path(__file__).parent / "events"
_FIXTURE_FOR = {
    ("POST", "/api/v1/signals"): "post_signal.json",
    ("GET", "/api/v1/signals"): "list_signals.json",
    ("GET", "/api/v1/signals/{signal_id}"): "get_signal.json",
    ("POST", "/api/v1/charts"): "post_chart.json",
}


new_secret = generate_secret


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def unique_instrument() -> str:
    return "T" + uuid.uuid4().hex[:12].upper()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


@dataclass
class Producer:
    producer_id: str
    secret: str


class Api:
    """Calls the real handlers with API Gateway events built from tests/events/*.json."""

    def __init__(self, front: Front) -> None:
        self.front = front

    def event(
        self,
        method: str,
        target: str,
        producer: Producer | None,
        body: bytes | None = None,
        message_id: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        signature: str | None = None,
    ) -> tuple[dict[str, Any], Any]:
        path, _, query = target.partition("?")
        found = self.front.route_for(method, path)
        assert found is not None, f"no route for {method} {path}"
        route, pool, path_parameters = found
        event = copy.deepcopy(
            json.loads((EVENTS / _FIXTURE_FOR[(route.method, route.path)]).read_text())
        )
        event["rawPath"] = path
        event["requestContext"]["http"]["path"] = path
        event["rawQueryString"] = query
        pairs = parse_qsl(query, keep_blank_values=True)
        event["queryStringParameters"] = dict(pairs) if pairs else None
        event["pathParameters"] = path_parameters or None
        event["requestContext"]["requestId"] = uuid.uuid4().hex
        if body is None:
            event.pop("body", None)
        else:
            event["body"] = body.decode("utf-8")
            event["isBase64Encoded"] = False
        if producer is not None:
            content = body if method != "GET" else request_target(method, path, query)
            signer = SignalsClient("", producer.producer_id, producer.secret)
            signed = signer.signed_headers(content or b"", message_id or unique("msg_"), timestamp)
            if signature is not None:
                signed["webhook-signature"] = signature
            event["headers"].update(signed)
        event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
        return event, pool

    def call(self, method: str, target: str, producer: Producer | None, **options: Any) -> Answer:
        event, pool = self.event(method, target, producer, **options)
        return self.invoke(event, pool)

    @staticmethod
    def invoke(event: dict[str, Any], pool: Any) -> Answer:
        result = pool.invoke(event)
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("latin-1")
        return Answer(int(result["statusCode"]), dict(result.get("headers") or {}), body)

    def post_signal(
        self, producer: Producer, signal: dict[str, Any] | bytes, **options: Any
    ) -> Answer:
        body = signal if isinstance(signal, bytes) else json.dumps(signal).encode()
        return self.call("POST", "/api/v1/signals", producer, body=body, **options)

    def get_signal(self, producer: Producer, signal_id: str) -> Answer:
        return self.call("GET", f"/api/v1/signals/{signal_id}", producer)

    def list_signals(self, producer: Producer, **query: Any) -> Answer:
        target = "/api/v1/signals"
        if query:
            target += "?" + urlencode(query)
        return self.call("GET", target, producer)
