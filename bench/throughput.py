"""Section 7: signed ingests through the local HTTP front, from a second process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from bench.common import QUICK, ROOT, RUNS, Section, ms, table
from bench.stack import PRODUCER, SECRET, Bench

CONCURRENCY = (1, 4, 16)
SECONDS = 0.8 if QUICK else 2.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(bench: Bench) -> Section:
    from local_stack.front import make_server
    from local_stack.services import free_port

    port = free_port()
    server = make_server(bench.front, port, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        plan: list[tuple[str, int]] = []
        # A warm-up round first (it also loads 16 warm copies of the handler), then RUNS
        # rounds; each round alternates floor and front, in an order that flips per round.
        for round_ in range(RUNS + 1):
            for clients in CONCURRENCY:
                trio = [("floor", clients), ("transact", clients), ("front", clients)]
                plan += trio if round_ % 2 else trio[::-1]
        config = {
            "url": f"http://127.0.0.1:{port}",
            "producer": PRODUCER,
            "secret": SECRET,
            "dynamodb": bench.stack.services.dynamodb_endpoint,
            "table": bench.stack.names["SignalsTable"],
            "plan": plan,
            "seconds": SECONDS,
        }
        environment = {**os.environ, **bench.environment()}
        done = subprocess.run(
            [sys.executable, "-m", "bench.load", json.dumps(config)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
    finally:
        server.shutdown()
        server.server_close()
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    warmup = 3 * len(CONCURRENCY)
    measured = results[warmup:]
    rows = []
    for clients in CONCURRENCY:
        for kind, label in (
            ("floor", "bare DynamoDB Local PutItem (floor)"),
            ("transact", "bare TransactWriteItems, 3 puts"),
            ("front", "signed POST through the front"),
        ):
            runs = [r for r in measured if r["kind"] == kind and r["clients"] == clients]
            rates = sorted(r["rate"] for r in runs)
            latencies = [value for r in runs for value in r["latencies"]]
            errors = sum(r["errors"] for r in runs)
            rows.append(
                [
                    str(clients),
                    label,
                    f"{rates[0]:.0f}",
                    f"{rates[len(rates) // 2]:.0f}",
                    f"{rates[-1]:.0f}",
                    ms(_percentile(latencies, 0.5) * 1000),
                    ms(_percentile(latencies, 0.99) * 1000),
                    str(errors),
                ]
            )
        floor_rate = float(rows[-3][3])
        for row in rows[-3:]:
            row.append(f"{float(row[3]) / floor_rate:.0%}")
    lines = [
        "The bench serves the API with the local front (`make dev`'s server: one thread per",
        "connection, function pools of in-process handler copies) on 127.0.0.1; a second",
        "process sends signed `POST /api/v1/signals` (each a new signal: one",
        "`TransactWriteItems` of 3 puts: signal, message-id guard, window guard) over",
        "keep-alive connections, one per client thread. The floor is the same second",
        "process doing bare boto3 `PutItem` calls to DynamoDB Local; a second floor sends",
        "the same shape of transaction (3 conditional puts) bare. All of it (bench, load",
        "process, DynamoDB Local's JVM, moto) shares",
        f"the 2 cores. {RUNS} rounds of {SECONDS:g} s per figure after a warm-up round,",
        "floor and front alternating; requests per second min/median/max over the rounds,",
        "latency percentiles over every request of the rounds (milliseconds).",
        "",
        *table(
            [
                "clients",
                "what",
                "req/s min",
                "req/s median",
                "req/s max",
                "p50 ms",
                "p99 ms",
                "non-2xx",
                "of floor",
            ],
            rows,
        ),
    ]
    return Section("7. Throughput through the local HTTP front", lines)
