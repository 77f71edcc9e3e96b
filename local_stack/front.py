"""An HTTP front that turns requests into API Gateway HTTP API (payload 2.0) events.

Routes come from template.yaml. Each function runs as a pool of "containers": separately
loaded copies of its handler module, one request at a time each, as Lambda does; so
concurrent requests race in DynamoDB, not inside a shared Python object.
"""

from __future__ import annotations

import base64
import importlib.util
import itertools
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local_stack.template import ROOT, Route
from signals_common.api import PROBLEM_CONTENT_TYPE, problem_document

COMMON_LAYER = ROOT / "layers" / "common"
# API Gateway passes these as text; anything else arrives base64-encoded.
_TEXT_TYPES = (
    "text/",
    "application/json",
    "+json",
    "application/xml",
    "+xml",
    "application/x-www-form-urlencoded",
)
LAMBDA_MAX_REQUEST_BYTES = 6 * 1024 * 1024
_sequence = itertools.count()


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        )
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler_module(route: Route) -> ModuleType:
    """A fresh copy of a function's handler module, as a new Lambda container would import it."""
    module_file = route.handler.rpartition(".")[0]
    for path in (str(COMMON_LAYER), str(route.code_uri)):
        if path not in sys.path:
            sys.path.insert(0, path)
    name = f"_local_{route.function}_{next(_sequence)}"
    spec = importlib.util.spec_from_file_location(name, route.code_uri / f"{module_file}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _discard_unpublished_metrics() -> None:
    # With POWERTOOLS_METRICS_DISABLED, Powertools skips the flush that would also clear
    # the metric set, so in a long-running local process it would only grow.
    from signals_common.observability import metrics

    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        metrics.clear_metrics()


class FunctionPool:
    """Warm copies of one function's handler; a copy serves one request at a time."""

    def __init__(self, route: Route, max_containers: int = 32) -> None:
        self.route = route
        self._idle: list[Callable[..., Any]] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_containers)

    def _load(self) -> Callable[..., Any]:
        function_name = self.route.handler.rpartition(".")[2]
        return getattr(load_handler_module(self.route), function_name)  # type: ignore[no-any-return]

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._slots:
            with self._lock:
                handler = self._idle.pop() if self._idle else None
            if handler is None:
                handler = self._load()
            try:
                return handler(event, LambdaContext(self.route.function))  # type: ignore[no-any-return]
            finally:
                _discard_unpublished_metrics()
                with self._lock:
                    self._idle.append(handler)


def build_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    route: Route,
    path_parameters: dict[str, str],
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event, as API Gateway would send it."""
    split = urlsplit(target)
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        merged[lowered] = f"{merged[lowered]},{value}" if lowered in merged else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(split.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    content_type = merged.get("content-type", "").lower()
    as_text = not body or any(marker in content_type for marker in _TEXT_TYPES)
    if as_text:
        try:
            body_text = body.decode("utf-8")
            encoded = False
        except UnicodeDecodeError:
            as_text = False
    if not as_text:
        body_text, encoded = base64.b64encode(body).decode(), True
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{route.method} {route.path}",
        "rawPath": split.path,
        "rawQueryString": split.query,
        "headers": merged,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": merged.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": split.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{route.method} {route.path}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = body_text
    return event


def _problem(status: int, code: str, detail: str) -> tuple[int, dict[str, str], bytes]:
    document = problem_document(status, code, HTTPStatus(status).phrase, detail)
    return status, {"Content-Type": PROBLEM_CONTENT_TYPE}, json.dumps(document).encode()


class Front:
    def __init__(self, routes: list[Route]) -> None:
        self._pools: dict[str, FunctionPool] = {}
        self._routes: list[tuple[Route, FunctionPool]] = []
        self._openapi_document: bytes | None = None
        for route in routes:
            pool = self._pools.setdefault(route.function, FunctionPool(route))
            self._routes.append((route, pool))

    def route_for(
        self, method: str, path: str
    ) -> tuple[Route, FunctionPool, dict[str, str]] | None:
        for route, pool in self._routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                return route, pool, match.groupdict()
        return None

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(target).path
        if method == "GET" and path == "/openapi.json":
            return 200, {"Content-Type": "application/json"}, self._openapi()
        found = self.route_for(method, path)
        if found is None:
            return _problem(404, "NOT_FOUND", "No such route.")
        route, pool, path_parameters = found
        if len(body) > LAMBDA_MAX_REQUEST_BYTES:
            return _problem(413, "PAYLOAD_TOO_LARGE", "The request exceeds Lambda's 6 MB limit.")
        event = build_event(method, target, headers, body, route, path_parameters)
        try:
            result = pool.invoke(event)
        except Exception:  # noqa: BLE001 - Lambda turns a crash into a 500 too
            traceback.print_exc()
            return _problem(500, "INTERNAL_ERROR", "The function failed.")
        return _lambda_response(result)

    def _openapi(self) -> bytes:
        if self._openapi_document is None:
            from local_stack.openapi import build_document

            self._openapi_document = json.dumps(build_document(), indent=2).encode()
        return self._openapi_document


def _lambda_response(result: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = {name: str(value) for name, value in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(str(v) for v in values)
    return int(result.get("statusCode", 200)), headers, payload


def make_server(front: Front, port: int, quiet: bool = False) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "signals-local"
        # Headers and body go out as two writes; with Nagle on, the body waits for the
        # client's delayed ACK (about 40 ms on every keep-alive request).
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = front.handle(
                self.command, self.path, list(self.headers.items()), body
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            if not quiet:
                elapsed = (time.perf_counter() - started) * 1000
                sys.stderr.write(
                    f"{self.command} {urlsplit(self.path).path} -> {status} ({elapsed:.0f} ms)\n"
                )

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    class Server(ThreadingHTTPServer):
        # http.server's default backlog of 5 resets bursts of concurrent connections.
        request_queue_size = 128

    server = Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server
