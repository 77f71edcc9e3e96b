"""`python -m bench [section ...]`: run the benchmarks, print them, write BENCHMARKS.md."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from bench.common import QUICK, ROOT, RUNS, Section, machine, table, verdict

SECTIONS = ("charts", "cache", "coldstart", "roundtrips", "sizes", "throughput", "cost")

NOTES = """\
## What limits the missed goals, and what it would take

- **Candlestick vs mplfinance (1).** Our render draws every candle of a colour as one
  compound path, so the candles themselves cost little even at 10,000; what is left is
  matplotlib's fixed cost per figure, which mplfinance pays too: creating axes, ticks
  (each tick is 3 `Line2D` + 2 `Text` objects), laying out and rasterising text, and
  PNG encoding (~25-30 ms for 1200×600 with zlib level 6; level 1 saves only ~8 ms
  and makes files 20 % bigger). At 1,000 candles a profile splits a render into about
  20 ms building the figure, 55 ms in Agg drawing (of which ~80 % is axis, tick and
  text machinery) and 30 ms encoding. At 10,000 candles we are at or under the 0.3×
  line (0.17×-0.32× across three full runs, mplfinance's own median moving 372-646 ms on
  this noisy machine): its cost grows with the candles and ours barely does; 0.6× at 100 and 0.4×
  at 1,000 would need a renderer that bypasses `Axes`/`Tick` altogether: compute the
  tick positions with matplotlib's locators, then draw grid, spines, paths and
  pre-rasterised glyphs straight onto a `RendererAgg` (or another rasteriser), and
  encode with a faster PNG filter strategy. That is a rewrite of charting/render.py
  with a pixel comparison against the current output, estimated at 40-50 ms per chart.
- **Cache hit ≤ 3 % of a render (3), met since the per-container memo.** A first hit
  parses and validates the ~95 KB body (~2 ms), hashes it, asks S3 whether the object
  exists (`HeadObject`: ~4 ms against moto, 5-20 ms against S3) and presigns: about
  10 % of a render. Each render container now remembers `sha256(body) → key` and
  `key → (size, content type, last modified)` for 5 minutes, so a repeated request
  skips parsing, validation and S3 (~1.4 ms here). The price: a link may point at an
  object deleted out of band until that memory lapses; near-expiry refreshes still
  happen, computed from the remembered last-modified time.
- **Cold start ≤ 1.1× the import floor (4).** The floor only imports modules. The
  first request also does work no import does: botocore loads and parses each
  client's service model and endpoint rules (JSON) and resolves credentials, pydantic
  builds the validators of our models, Powertools compiles the routes, and the
  request makes its first connections and AWS calls (Secrets Manager, then DynamoDB or
  S3). Measured: handler import (our modules on top of the floor's) plus 220-320 ms of
  first request for the signals functions. Creating the clients at import would only
  move that time, not remove it. Getting to 1.1× would take shipping only the two or
  three botocore service models used (pre-parsed), building pydantic validators
  lazily for the routes actually hit, and not importing the X-Ray SDK when tracing is
  disabled. For the render function, matplotlib's font cache is rebuilt in
  every new sandbox (empty `/tmp`): shipping a prebuilt `fontlist-*.json` in the
  ChartsLayer and copying it to `MPLCONFIGDIR` would save 130-210 ms of a cold miss.
- **Throughput (7), no goal.** The local front once wrote headers and body in two
  sends with Nagle's algorithm on, so every keep-alive request waited for the client's
  delayed ACK (~50 ms per signal with one client); with `disable_nagle_algorithm` the
  front's cost is the handler's own plus HTTP parsing. With 16 clients the handlers
  share one Python process (the GIL) and two cores with DynamoDB Local's JVM, so the
  p99 is queueing, not DynamoDB.
"""


def _summary(sections: list[Section]) -> list[str]:
    rows = [
        [section.title.split(" ", 1)[0].rstrip("."), goal, verdict(met), figures]
        for section in sections
        for goal, met, figures in section.goals
    ]
    return table(["§", "goal", "result", "figures"], rows)


def main(selected: list[str]) -> int:
    unknown = set(selected) - set(SECTIONS)
    if unknown:
        print(f"unknown sections: {', '.join(sorted(unknown))}; choose from {SECTIONS}")
        return 2
    wanted = [name for name in SECTIONS if not selected or name in selected]
    started = time.perf_counter()
    sections: list[Section] = []
    durations: dict[str, float] = {}

    def done(section: Section) -> None:
        sections.append(section)
        print(section.markdown(), flush=True)

    if "charts" in wanted:
        from bench import charts

        done(charts.candlestick())
        done(charts.equity_and_histogram())
    needs_stack = {"cache", "coldstart", "roundtrips", "throughput", "cost"} & set(wanted)
    if needs_stack:
        from bench import stack

        bench = stack.start()
        try:
            # Round trips first: its first request is the process's first (cold) one.
            if "roundtrips" in wanted or "cost" in wanted:
                from bench import roundtrips

                section, durations = roundtrips.run(bench)
                done(section)
            if "cache" in wanted:
                from bench import cache

                done(cache.run(bench))
            if "coldstart" in wanted:
                from bench import coldstart

                done(coldstart.run(bench))
            if "throughput" in wanted:
                from bench import throughput

                done(throughput.run(bench))
        finally:
            bench.stack.stop()
    if "sizes" in wanted:
        from bench import sizes

        done(sizes.run())
    if "cost" in wanted:
        from bench import cost

        done(cost.run(durations))
    elapsed = time.perf_counter() - started
    sections.sort(key=lambda s: int(s.title.split(".", 1)[0]))
    print(f"\n{len(sections)} sections in {elapsed:.0f} s")
    if QUICK or selected:
        print("Quick or partial run: BENCHMARKS.md left as it was.")
        return 0
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    document = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {stamp} ({elapsed / 60:.0f} min; every figure from this one",
        f"run, {RUNS} measured runs after a warm-up, compared approaches interleaved). Rerun",
        "`make bench` to refresh this file (`BENCH_QUICK=1 make bench` for a quick look that",
        "leaves it alone; `python -m bench charts cache ...` runs some sections). Figures",
        "are milliseconds unless stated; min / median / max over the runs.",
        "",
        "Machine:",
        "",
        *machine(),
        "",
        "## Goals",
        "",
        *_summary(sections),
        "",
        *(section.markdown() for section in sections),
        NOTES,
    ]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(document))
    print("BENCHMARKS.md written.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
