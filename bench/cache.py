"""Section 3: answering a stored chart versus rendering it, in two separate processes."""

from __future__ import annotations

import copy

from bench import data
from bench.common import RUNS, Section, Stat, ms, table, verdict
from bench.stack import Bench
from bench.worker import Worker

GOAL = 0.03


def run(bench: Bench) -> Section:
    environment = bench.environment()
    document = data.candle_request(1_000)
    hit = Worker("RenderChartFunction", environment)
    miss = Worker("RenderChartFunction", environment)
    try:
        # The miss process stores the chart (and warms up); the hit process then finds it.
        assert miss.ask({"op": "invoke", "event": bench.chart_event(document)})["status"] in (
            200,
            201,
        )
        assert hit.ask({"op": "invoke", "event": bench.chart_event(document)})["status"] == 200
        assert miss.ask({"op": "render", "document": document})
        stats = {"cache hit (handler)": Stat(), "miss (handler)": Stat(), "render alone": Stat()}
        for round_ in range(RUNS):
            fresh = copy.deepcopy(document)
            fresh["data"][-1]["high"] += (round_ + 1) * 1e-6  # a new key, the same picture
            steps = [
                (
                    "cache hit (handler)",
                    hit,
                    {"op": "invoke", "event": bench.chart_event(document)},
                    200,
                ),
                ("miss (handler)", miss, {"op": "invoke", "event": bench.chart_event(fresh)}, 201),
                ("render alone", miss, {"op": "render", "document": document}, None),
            ]
            shift = round_ % len(steps)
            for name, worker, command, status in steps[shift:] + steps[:shift]:
                answer = worker.ask(command)
                assert status is None or answer["status"] == status, (name, answer)
                stats[name].samples.append(answer["seconds"])
        hit_modules = hit.ask({"op": "modules"})["modules"]
        miss_modules = miss.ask({"op": "modules"})["modules"]
    finally:
        hit.close()
        miss.close()
    render = stats["render alone"].median
    rows = [[name, *stat.cells(), f"{stat.median / render:.1%}"] for name, stat in stats.items()]
    achieved = stats["cache hit (handler)"].median / render
    met = achieved <= GOAL and not hit_modules
    lines = [
        "The same 1,000-candle request (SMA 20/50, 1200×600 PNG, ~95 KB of JSON). Two worker",
        "processes each load the render handler as the local front does: one answers the",
        "stored chart (parse, validate, content hash, S3 `HeadObject`, presign), the other",
        "renders a new key every round (the last candle's high moved by 1e-6, so the same",
        "picture) and, as *render alone*, validates and renders without the handler.",
        f"Milliseconds, {RUNS} interleaved runs after a warm-up; moto serves S3 from the",
        "bench's own process.",
        "",
        *table(["approach", "min", "median", "max", "of render alone"], rows),
        "",
        f"- Render libraries imported by the hit process: {', '.join(hit_modules) or 'none'}"
        f" (the miss process: {', '.join(miss_modules)}).",
        f"- Goal: a hit at most {GOAL:.0%} of a 1,000-candle render, matplotlib not imported:"
        f" {verdict(met)}, {achieved:.1%} ({ms(stats['cache hit (handler)'].median)} vs"
        f" {ms(render)} ms).",
    ]
    return Section(
        "3. Chart cache hit vs render",
        lines,
        [("cache hit ≤ 3 % of render, no matplotlib", met, f"{achieved:.1%}")],
    )
