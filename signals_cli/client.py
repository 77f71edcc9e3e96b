"""A small signing HTTP client for the signals API (SPEC §1), on the standard library only."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from signals_common.auth import decode_secret, request_target, sign


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class SignalsClient:
    base_url: str
    producer_id: str
    secret: str
    timeout: float = 30.0
    _key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        key = decode_secret(self.secret)
        if key is None:
            raise ValueError("the secret must look like whsec_<base64 of 24-64 bytes>")
        self._key = key
        self.base_url = self.base_url.rstrip("/")

    def signed_headers(
        self, content: bytes, message_id: str | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        message_id = message_id or f"msg_{uuid.uuid4().hex}"
        timestamp = int(time.time()) if timestamp is None else timestamp
        return {
            "x-producer-id": self.producer_id,
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, message_id, timestamp, content),
        }

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        message_id: str | None = None,
        query: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        if query:
            path = f"{path}?{urlencode({k: v for k, v in query.items() if v is not None})}"
        url = f"{self.base_url}{path}"
        split = urlsplit(url)
        content = body if body is not None else request_target(method, split.path, split.query)
        headers = self.signed_headers(content, message_id)
        if body is not None:
            headers["content-type"] = "application/json"
        headers.update(extra_headers or {})
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return ApiResponse(answer.status, dict(answer.headers.items()), answer.read())
        except urllib.error.HTTPError as error:
            return ApiResponse(error.code, dict(error.headers.items()), error.read())

    def send_signal(self, signal: dict[str, Any], message_id: str | None = None) -> ApiResponse:
        return self.request("POST", "/api/v1/signals", json.dumps(signal).encode(), message_id)

    def get_signal(self, signal_id: str) -> ApiResponse:
        return self.request("GET", f"/api/v1/signals/{signal_id}")

    def list_signals(self, **query: Any) -> ApiResponse:
        return self.request("GET", "/api/v1/signals", query=query)

    def render_chart(self, chart: dict[str, Any]) -> ApiResponse:
        return self.request("POST", "/api/v1/charts", json.dumps(chart).encode())
