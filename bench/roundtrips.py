"""Section 5: AWS API calls per request, counted with botocore event hooks.

Every botocore client created from here on gets a `before-call` hook (one per API call,
whatever the retries) and a `before-send` hook (one per HTTP attempt). The handlers run
in-process through the local front's function pools: after each pool's first request,
its container is warm.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from bench import data
from bench.common import RUNS, Section, ms, table, verdict
from bench.stack import Bench, unique_signal

calls: Counter[str] = Counter()
sends: Counter[str] = Counter()
_installed = False


def install_hooks() -> None:
    global _installed
    if _installed:
        return
    import botocore.session

    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        service = client.meta.service_model.service_name

        def on_call(model: Any, **_: Any) -> None:
            calls[f"{service}:{model.name}"] += 1

        def on_send(**_: Any) -> None:
            sends[service] += 1

        client.meta.events.register("before-call", on_call)
        client.meta.events.register("before-send", on_send)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    _installed = True


def _invoke(bench: Bench, event: dict[str, Any]) -> tuple[int, dict[str, Any], float, Counter]:
    route = bench.routes[(event["requestContext"]["http"]["method"], _route_path(event))]
    _, pool, _ = bench.front.route_for(route.method, event["rawPath"])
    calls.clear()
    sends.clear()
    started = time.perf_counter()
    result = pool.invoke(event)
    elapsed = time.perf_counter() - started
    body = json.loads(result.get("body") or "null")
    return int(result["statusCode"]), body, elapsed, Counter(calls)


def _route_path(event: dict[str, Any]) -> str:
    return event["routeKey"].split(" ", 1)[1]


def _describe(counted: Counter) -> str:
    return ", ".join(f"{name.split(':')[1]} {n}" for name, n in sorted(counted.items())) or "none"


def _by_service(counted: Counter, service: str) -> int:
    return sum(n for name, n in counted.items() if name.startswith(service + ":"))


def run(bench: Bench) -> tuple[Section, dict[str, float]]:
    """The table of counts, and the warm handler durations (ms) that the cost section uses."""
    install_hooks()
    external = f"ext-{time.time_ns()}"
    first = unique_signal(external_id=external)
    first_event = bench.signal_event(first)
    chart_doc = data.candle_request(1_000, title="round trips")
    steps: list[tuple[str, Any]] = [
        ("accepted signal, first request of the process", lambda: first_event),
        ("accepted signal", lambda: bench.signal_event(unique_signal())),
        (
            "replayed signal (same webhook-id and body)",
            lambda: bench.signal_event(first, message_id=first_event["headers"]["webhook-id"]),
        ),
        (
            "duplicate signal (same external_id)",
            lambda: bench.signal_event(unique_signal(external_id=external)),
        ),
        ("duplicate signal (same window)", lambda: bench.signal_event(_same_window(first))),
    ]
    rows = []
    goals_ok_ddb = True
    goals_ok_sm = True
    signal_id = None
    for label, make in steps:
        status, body, _, counted = _invoke(bench, make())
        if signal_id is None and status == 201:
            signal_id = body["id"]
        rows.append(_row(label, status, counted))
        goals_ok_ddb &= _by_service(counted, "dynamodb") == 1
        if "first request" not in label:
            goals_ok_sm &= _by_service(counted, "secretsmanager") == 0
    assert signal_id is not None
    reads: list[tuple[str, Any]] = [
        (
            "get signal, first in its pool",
            lambda: bench.event(
                "GET", "/api/v1/signals/{signal_id}", f"/api/v1/signals/{signal_id}"
            ),
        ),
        (
            "get signal",
            lambda: bench.event(
                "GET", "/api/v1/signals/{signal_id}", f"/api/v1/signals/{signal_id}"
            ),
        ),
        (
            "get signal, not found",
            lambda: bench.event(
                "GET", "/api/v1/signals/{signal_id}", "/api/v1/signals/01ARZ3NDEKTSV4RRFFQ69G5FAV"
            ),
        ),
        (
            "list page (limit 2)",
            lambda: bench.event("GET", "/api/v1/signals", "/api/v1/signals?limit=2"),
        ),
    ]
    cursor = None
    for label, make in reads:
        status, body, _, counted = _invoke(bench, make())
        if label.startswith("list"):
            cursor = body.get("next_cursor")
        rows.append(_row(label, status, counted))
        goals_ok_ddb &= _by_service(counted, "dynamodb") == 1
        if "first request" not in label:
            goals_ok_sm &= _by_service(counted, "secretsmanager") == 0
    if cursor:
        from urllib.parse import quote

        target = f"/api/v1/signals?limit=2&cursor={quote(cursor)}"
        status, _, _, counted = _invoke(bench, bench.event("GET", "/api/v1/signals", target))
        rows.append(_row("list next page (cursor)", status, counted))
        goals_ok_ddb &= _by_service(counted, "dynamodb") == 1
        goals_ok_sm &= _by_service(counted, "secretsmanager") == 0
    chart_steps = [
        ("chart miss, first in its pool", chart_doc),
        ("chart hit", chart_doc),
        ("chart miss", {**chart_doc, "title": "round trips, another"}),
    ]
    for label, doc in chart_steps:
        status, _, _, counted = _invoke(bench, bench.chart_event(doc))
        rows.append(_row(label, status, counted))
        if "first request" not in label:
            goals_ok_sm &= _by_service(counted, "secretsmanager") == 0

    durations = _warm_durations(bench, chart_doc, signal_id)
    duration_rows = [[name, *stat] for name, stat in durations.items()]
    lines = [
        "API calls counted by botocore `before-call` hooks on every client the handlers",
        "create (HTTP attempts by `before-send`: equal here, so no retries). The functions",
        "run in-process through the local front's pools, against DynamoDB Local and moto.",
        "",
        *table(["request", "status", "DynamoDB", "Secrets Manager", "S3", "calls"], rows),
        "",
        f"- Goal: exactly one DynamoDB call per signal request: {verdict(goals_ok_ddb)}"
        " (every signal row above has 1: one `TransactWriteItems` for a write, replay or"
        " duplicate, since the 409 reads the existing guard from the cancellation reasons;"
        " one `GetItem` or `Query` for a read).",
        f"- Goal: zero Secrets Manager calls on a warm container: {verdict(goals_ok_sm)}"
        " (one `GetSecretValue` per cold container, then cached for"
        " `SIGNALS_SECRETS_CACHE_SECONDS`). In-process, the pools share `signals_common`"
        " and so its cached secret: only the process's first request fetches it here;"
        " section 4 shows each function's own cold container making that one call.",
        "- A chart is one S3 `HeadObject` on a hit, `HeadObject` + `PutObject` on a miss;"
        " the presigned link is computed locally (no call). A hit near expiry adds"
        " `CopyObject` + `HeadObject` (refresh).",
        "",
        "Warm handler durations in-process (the figures the cost section uses), "
        f"milliseconds, {RUNS} interleaved runs after a warm-up:",
        "",
        *table(["request", "min", "median", "max"], duration_rows),
    ]
    goals = [
        ("one DynamoDB call per signal request", goals_ok_ddb, "1 call each"),
        ("zero Secrets Manager calls warm", goals_ok_sm, "0 warm, 1 per cold container"),
    ]
    medians = {name: float(stat[1].replace(",", "")) for name, stat in durations.items()}
    return Section("5. AWS round trips per request", lines, goals), medians


def _same_window(first: dict[str, Any]) -> dict[str, Any]:
    signal = dict(first)
    signal.pop("external_id", None)
    signal["price"] = 1.2
    return signal


def _row(label: str, status: int, counted: Counter) -> list[str]:
    return [
        label,
        str(status),
        str(_by_service(counted, "dynamodb")),
        str(_by_service(counted, "secretsmanager")),
        str(_by_service(counted, "s3")),
        _describe(counted),
    ]


def _warm_durations(
    bench: Bench, chart_doc: dict[str, Any], signal_id: str
) -> dict[str, list[str]]:
    from bench.common import Stat

    counter = iter(range(10**9))
    kinds = {
        "accepted signal": lambda: bench.signal_event(unique_signal()),
        "get signal": lambda: bench.event(
            "GET", "/api/v1/signals/{signal_id}", f"/api/v1/signals/{signal_id}"
        ),
        "list page (limit 50)": lambda: bench.event(
            "GET", "/api/v1/signals", "/api/v1/signals?limit=50"
        ),
        "chart hit (1,000 candles)": lambda: bench.chart_event(chart_doc),
        "chart miss (1,000 candles)": lambda: bench.chart_event(
            {**chart_doc, "title": f"warm miss {next(counter)}"}
        ),
    }
    stats = {name: Stat() for name in kinds}
    for round_ in range(RUNS + 1):
        names = list(kinds)
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            event = kinds[name]()
            status, _, elapsed, _ = _invoke(bench, event)
            assert status in (200, 201), (name, status)
            if round_:
                stats[name].samples.append(elapsed)
    return {name: [ms(stat.min), ms(stat.median), ms(stat.max)] for name, stat in stats.items()}
