"""Helpers of the reliability suite: the API over real HTTP, table audits, fault injection."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import requests
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from local_stack.front import Front, make_server
from local_stack.services import free_port
from signals_common.auth import decode_secret, request_target, sign
from tests.support import Producer, unique

SIGNALS = "/api/v1/signals"
CHARTS = "/api/v1/charts"
PROBLEM_CODES = {
    400: {"MALFORMED_JSON", "INVALID_CURSOR", "INVALID_QUERY"},
    401: {"AUTHENTICATION_FAILED"},
    404: {"NOT_FOUND"},
    409: {"DUPLICATE_SIGNAL", "MESSAGE_ID_REUSED"},
    413: {"PAYLOAD_TOO_LARGE"},
    415: {"UNSUPPORTED_MEDIA_TYPE"},
    422: {"VALIDATION_FAILED", "CHART_TOO_LARGE", "MISSING_COLUMN", "NO_NUMERIC_DATA"},
    503: {"SERVICE_UNAVAILABLE"},
}
# Text that must never reach a caller: stack traces, AWS error vocabulary, secrets.
LEAKS = (
    "Traceback",
    'File "',
    "botocore",
    "boto3",
    "pynamodb",
    "dynamodb",
    "DynamoDB",
    "ConditionalCheck",
    "TransactionCanceled",
    "ThrottlingException",
    "ProvisionedThroughput",
    "Secrets Manager",
    "SecretString",
    "arn:aws",
    "RequestId",
    "whsec_",
    "Exception",
)


@contextlib.contextmanager
def serve(front: Front) -> Iterator[str]:
    """The API on a free 127.0.0.1 port, as `make dev` serves it; yields the base URL."""
    server = make_server(front, free_port(), quiet=True)
    # http.server listens with a backlog of 5: 50 clients connecting at once overflow it and
    # get connection resets (API Gateway has no such limit). Linux applies a second listen().
    server.socket.listen(256)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def signed_headers(
    producer: Producer,
    content: bytes,
    message_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    message_id = message_id or unique("msg_")
    timestamp = int(time.time()) if timestamp is None else timestamp
    key = decode_secret(producer.secret)
    assert key is not None
    return {
        "x-producer-id": producer.producer_id,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message_id, timestamp, content),
    }


class Client:
    """Signs and sends requests over HTTP, as a producer's bot would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def post(
        self,
        path: str,
        producer: Producer | None,
        body: bytes,
        *,
        message_id: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = "application/json",
    ) -> requests.Response:
        sent: dict[str, str] = {}
        if content_type is not None:
            sent["content-type"] = content_type
        if producer is not None:
            sent.update(signed_headers(producer, body, message_id, timestamp))
        sent.update(headers or {})
        return self.session.post(self.base_url + path, data=body, headers=sent, timeout=60)

    def post_signal(
        self, producer: Producer | None, signal: dict[str, Any] | bytes, **options: Any
    ) -> requests.Response:
        body = signal if isinstance(signal, bytes) else json.dumps(signal).encode()
        return self.post(SIGNALS, producer, body, **options)

    def get(
        self,
        target: str,
        producer: Producer | None,
        *,
        message_id: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        sent: dict[str, str] = {}
        if producer is not None:
            path, _, query = target.partition("?")
            content = request_target("GET", path, query)
            sent.update(signed_headers(producer, content, message_id, timestamp))
        sent.update(headers or {})
        return self.session.get(self.base_url + target, headers=sent, timeout=60)

    def list_all(self, producer: Producer, query: str = "limit=100") -> list[dict[str, Any]]:
        """Every signal of a producer, paging with the cursor."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            target = f"{SIGNALS}?{query}"
            if cursor:
                target += "&cursor=" + requests.utils.quote(cursor, safe="")
            answer = self.get(target, producer)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return items


def problem_violations(status: int, headers: Any, text: str) -> list[str]:
    """What is wrong with an answer by the contract's error rules (empty when it is fine)."""
    found = []
    if status >= 500 and status != 503:
        found.append(f"{status}: a server error")
    if status < 400:
        return found
    found += [f"{status}: a leak ({word!r}) in the body" for word in LEAKS if word in text]
    content_type = headers.get("Content-Type", "")
    if content_type != "application/problem+json":
        found.append(f"{status}: content type {content_type!r}")
    try:
        document = json.loads(text)
    except ValueError:
        return [*found, f"{status}: body is not JSON: {text[:200]!r}"]
    if not isinstance(document, dict):
        return [*found, f"{status}: body is not an object"]
    for member in ("type", "title", "status", "detail", "code"):
        if member not in document:
            found.append(f"{status}: no {member!r} member")
    if document.get("status") != status:
        found.append(f"{status}: status member {document.get('status')!r}")
    if document.get("code") not in PROBLEM_CODES.get(status, set()):
        found.append(f"{status}: code {document.get('code')!r}")
    if status == 503 and not str(headers.get("Retry-After", "")).isdigit():
        found.append("503 without a Retry-After")
    return found


# ---------------------------------------------------------------------------- table audits


@dataclass
class Audit:
    signals: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    guards: list[dict[str, Any]] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)

    def signals_of(self, producer_id: str) -> list[dict[str, Any]]:
        return [item for (owner, _), item in self.signals.items() if owner == producer_id]


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value.get("S", value.get("N")))


def audit_table(dynamodb: Any, table: str) -> Audit:
    """Scan the whole table: every guard has its signal and every signal its guards."""
    audit = Audit()
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            pk, sk = _text(item, "pk") or "", _text(item, "sk") or ""
            if sk.startswith("S#"):
                audit.signals[(pk.removeprefix("P#"), sk[2:])] = item
            else:
                audit.guards.append(item)
    referenced: dict[tuple[str, str, str], int] = {}
    for guard in audit.guards:
        pk, kind = _text(guard, "pk") or "", _text(guard, "sk") or ""
        owner = pk.removeprefix("P#").partition("#")[0]
        signal_id = _text(guard, "signal_id") or ""
        if kind not in {"M", "X", "W"}:
            audit.anomalies.append(f"unknown item {pk} {kind}")
            continue
        if (owner, signal_id) not in audit.signals:
            audit.anomalies.append(f"guard {pk} {kind} without its signal {signal_id}")
            continue
        signal = audit.signals[(owner, signal_id)]
        referenced[(owner, signal_id, kind)] = referenced.get((owner, signal_id, kind), 0) + 1
        if kind == "M" and json.loads(_text(guard, "response") or "{}").get("id") != signal_id:
            audit.anomalies.append(f"message guard {pk} answers another signal")
        if kind == "X" and pk != f"P#{owner}#X#{_text(signal, 'external_id')}":
            audit.anomalies.append(f"external-id guard {pk} names signal {signal_id}")
    for (owner, signal_id), signal in audit.signals.items():
        if referenced.get((owner, signal_id, "M")) != 1:
            audit.anomalies.append(f"signal {owner}/{signal_id} without exactly one message guard")
        if _text(signal, "external_id") and referenced.get((owner, signal_id, "X")) != 1:
            audit.anomalies.append(f"signal {owner}/{signal_id} without its external-id guard")
    return audit


# ------------------------------------------------------------------------- fault injection


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def aws_error(
    status: int, error_type: str, message: str = "injected", **members: Any
) -> AWSResponse:
    """An answer as DynamoDB's JSON protocol sends it."""
    body = json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{error_type}", "message": message, **members}
    )
    headers = {
        "x-amzn-RequestId": uuid.uuid4().hex,
        "Content-Type": "application/x-amz-json-1.0",
        "Content-Length": str(len(body)),
    }
    return AWSResponse("https://dynamodb.local", status, headers, _Raw(body.encode()))


def forward(request: Any) -> int:
    """Send a prepared botocore request to its real endpoint; the answer's status."""
    split = urlsplit(request.url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
    try:
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        connection.request(
            request.method,
            split.path or "/",
            body=body,
            headers=dict(request.headers.items()),
        )
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


@dataclass
class Injector:
    """Counts the attempts of one AWS operation and decides, per attempt, what happens."""

    decide: Callable[[int, Any], Any]
    attempts: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Any, **_: Any) -> Any:
        with self.lock:
            self.attempts.append(time.monotonic())
            number = len(self.attempts)
        return self.decide(number, request)

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.attempts, self.attempts[1:], strict=False)]


@contextlib.contextmanager
def inject(client: Any, event: str, decide: Callable[[int, Any], Any]) -> Iterator[Injector]:
    """Hook a real botocore client: `decide(attempt, request)` returns None (send it), an
    AWSResponse (answer it instead) or raises (a transport error)."""
    injector = Injector(decide)
    unique_id = f"reliability-{uuid.uuid4().hex}"
    client.meta.events.register_first(event, injector, unique_id=unique_id)
    try:
        yield injector
    finally:
        client.meta.events.unregister(event, unique_id=unique_id)


def always(status: int, error_type: str) -> Callable[[int, Any], AWSResponse]:
    return lambda _number, _request: aws_error(status, error_type)


def first(count: int, status: int, error_type: str) -> Callable[[int, Any], AWSResponse | None]:
    return lambda number, _request: aws_error(status, error_type) if number <= count else None


def commit_then_time_out(times: int) -> Callable[[int, Any], None]:
    """The request reaches DynamoDB (and commits), but the answer is lost `times` times."""

    def decide(number: int, request: Any) -> None:
        if number <= times:
            forward(request)
            raise ReadTimeoutError(endpoint_url=request.url)
        return None

    return decide


# --------------------------------------------------------------- a fault-injecting proxy


class FaultProxy:
    """A tiny HTTP proxy in front of an emulator; `rule(method, path)` may answer instead."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.rule: Callable[[str, str], tuple[int, bytes] | None] = lambda _m, _p: None
        # (method, upstream status) -> the status to answer instead, e.g. AWS's 403 for a
        # missing key when the caller may not list the bucket
        self.rewrite: dict[tuple[str, int], int] = {}
        self.seen: list[tuple[str, str, int]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                override = proxy.rule(self.command, self.path)
                if override is not None:
                    status, payload = override
                    headers = {"Content-Type": "application/xml"}
                else:
                    status, headers, payload = proxy._forward(
                        self.command, self.path, dict(self.headers.items()), body
                    )
                    status = proxy.rewrite.get((self.command, status), status)
                proxy.seen.append((self.command, self.path, status))
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=30
        )
        try:
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            return answer.status, dict(answer.getheaders()), answer.read()
        finally:
            connection.close()

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
