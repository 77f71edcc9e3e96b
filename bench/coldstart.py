"""Section 4: cold start of each function from the `sam build` package, in fresh processes.

A cold process gets the built package only (`python -I -S -B`: no site-packages, no
PYTHON* variables, no bytecode written), with sys.path as Lambda sets it: the function's
folder, then the layers' `python` folders. It imports the handler and serves one signed
request against the local stack. Its floor is a fresh process that imports, in the same
order, exactly the third-party modules the handler's process ended up with, and nothing
else. Both are timed from spawn to exit, with a fresh empty MPLCONFIGDIR each, as a new
Lambda sandbox has an empty /tmp.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import data
from bench.common import BUILD_DIR, QUICK, RUNS, Section, Stat, ms, ratio, table, verdict
from bench.stack import Bench, unique_signal

GOAL = 1.1
LAYERS = {
    "IngestSignalFunction": ("CommonLayer",),
    "GetSignalFunction": ("CommonLayer",),
    "RenderChartFunction": ("CommonLayer", "ChartsLayer"),
}

_HANDLER = r"""
import json, os, sys, time
started = time.perf_counter()
paths, event_file, out_file = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path[:0] = paths
import app
imported = time.perf_counter()
import botocore.session
calls = []
_create = botocore.session.Session.create_client
def create_client(self, *args, **kwargs):
    client = _create(self, *args, **kwargs)
    service = client.meta.service_model.service_name
    client.meta.events.register(
        "before-call", lambda model, **_: calls.append(service + ":" + model.name))
    return client
botocore.session.Session.create_client = create_client
class Context:
    function_name = "cold"; memory_limit_in_mb = 512; aws_request_id = "cold"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:cold"
    function_version = "$LATEST"; log_group_name = "cold"; log_stream_name = "cold"
    def get_remaining_time_in_millis(self): return 10000
with open(event_file) as handle:
    event = json.load(handle)
sys.stdout = sys.stderr
result = app.lambda_handler(event, Context())
served = time.perf_counter()
modules = []
for name, module in list(sys.modules.items()):
    origin = getattr(module, "__file__", None) or ""
    if any(origin.startswith(path) for path in paths[1:]) and not name.startswith(
        "signals_common"
    ):
        modules.append(name)
with open(out_file, "w") as handle:
    json.dump({"status": result["statusCode"], "import": imported - started,
               "first": served - imported, "modules": modules, "calls": calls}, handle)
sys.stdout.flush(); sys.stderr.flush()
os._exit(0)
"""

_FLOOR = r"""
import importlib, json, os, sys
paths, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.path[:0] = paths
for name in modules:
    try:
        importlib.import_module(name)
    except Exception:
        pass
os._exit(0)
"""


def _paths(function: str) -> list[str]:
    return [str(BUILD_DIR / function)] + [
        str(BUILD_DIR / layer / "python") for layer in LAYERS[function]
    ]


def _spawn(arguments: list[str], environment: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as config:
        env = {**environment, "MPLCONFIGDIR": config}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-B", *arguments],
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )
        spent = time.perf_counter() - started
        if done.returncode:
            raise RuntimeError(f"a cold process failed:\n{done.stderr.decode()[-2000:]}")
        return spent


def _environment(bench: Bench) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
    base = {name: os.environ[name] for name in keep if name in os.environ}
    return {**base, **bench.environment()}


def run(bench: Bench) -> Section:
    if not (BUILD_DIR / "template.yaml").exists():
        return Section("4. Cold start", ["Skipped: no `sam build` output (run `make build`)."])
    environment = _environment(bench)
    stored_chart = data.candle_request(1_000, title="cold start, stored")
    chart_round = iter(range(10**9))
    # (label, function, event factory)
    cases: list[tuple[str, str, Any]] = [
        (
            "ingest: accepted signal",
            "IngestSignalFunction",
            lambda: bench.signal_event(unique_signal()),
        ),
        (
            "get: list page",
            "GetSignalFunction",
            lambda: bench.event("GET", "/api/v1/signals", "/api/v1/signals?limit=10"),
        ),
        ("render: cache hit", "RenderChartFunction", lambda: bench.chart_event(stored_chart)),
        (
            "render: miss (1,000 candles)",
            "RenderChartFunction",
            lambda: bench.chart_event(
                data.candle_request(1_000, title=f"cold miss {time.time_ns()} {next(chart_round)}")
            ),
        ),
    ]
    # Store the chart the cache-hit case finds, through the local front.
    from bench.roundtrips import _invoke

    assert _invoke(bench, bench.chart_event(stored_chart))[0] in (200, 201)

    handler_stats = {label: Stat() for label, _, _ in cases}
    floor_stats = {label: Stat() for label, _, _ in cases}
    details: dict[str, dict[str, Any]] = {label: {} for label, _, _ in cases}
    work = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        for round_ in range(RUNS + 1):
            shift = round_ % len(cases)
            for label, function, make_event in cases[shift:] + cases[:shift]:
                paths = _paths(function)
                event_file, out_file = work / "event.json", work / "out.json"
                event_file.write_text(json.dumps(make_event()))
                spent = _spawn(
                    ["-c", _HANDLER, json.dumps(paths), str(event_file), str(out_file)],
                    environment,
                )
                result = json.loads(out_file.read_text())
                assert result["status"] in (200, 201), (label, result)
                floor = _spawn(
                    ["-c", _FLOOR, json.dumps(paths), json.dumps(result["modules"])],
                    environment,
                )
                if round_:  # the first round warms the page cache
                    handler_stats[label].samples.append(spent)
                    floor_stats[label].samples.append(floor)
                    details[label].setdefault("import", []).append(result["import"])
                    details[label].setdefault("first", []).append(result["first"])
                    details[label]["calls"] = result["calls"]
                    details[label]["modules"] = len(result["modules"])
        bare = Stat()
        for _ in range(RUNS):
            bare.samples.append(_spawn(["-c", "import os; os._exit(0)"], environment))
    finally:
        for child in work.iterdir():
            child.unlink()
        work.rmdir()

    import statistics

    rows = []
    goals = []
    for label, _, _ in cases:
        handler, floor = handler_stats[label], floor_stats[label]
        achieved = handler.median / floor.median
        rows.append(
            [
                label,
                *handler.cells(),
                ms(statistics.median(details[label]["import"]) * 1000),
                ms(statistics.median(details[label]["first"]) * 1000),
                *floor.cells(),
                ratio(achieved),
                ", ".join(details[label]["calls"]) or "none",
            ]
        )
        goals.append((f"cold start {label} ≤ {GOAL}× floor", achieved <= GOAL, ratio(achieved)))
    lines = [
        "Fresh processes on the `sam build` output (stripped layers, unchecked-hash",
        "bytecode): *cold* imports the handler and serves one signed request against the",
        "local stack; the *floor* imports only the third-party modules that process ended",
        "up with (the same list, in the same order). Both timed from spawn to exit, with",
        f"an empty MPLCONFIGDIR; milliseconds, {RUNS} interleaved runs after a warm-up round.",
        f"A bare interpreter (`python -I -S -B`) takes {ms(bare.median)} ms"
        f" (min {ms(bare.min)}, max {ms(bare.max)}); it is inside both figures.",
        "",
        *table(
            [
                "function: first request",
                "cold min",
                "cold median",
                "cold max",
                "of which import",
                "first request",
                "floor min",
                "floor median",
                "floor max",
                "cold / floor",
                "AWS calls",
            ],
            rows,
        ),
        "",
        *(f"- Goal {g}: {verdict(m)}, {f}." for g, m, f in goals),
    ]
    if QUICK:
        lines.append("- (quick mode)")
    return Section("4. Cold start from the `sam build` package", lines, goals)
