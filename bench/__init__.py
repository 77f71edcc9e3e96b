"""`make bench`: the project measured side by side with what users would pick instead.

Run `python -m bench` (all sections) or `python -m bench charts roundtrips ...` (some).
`BENCH_QUICK=1` does fewer runs and smaller cases and does not rewrite BENCHMARKS.md.
"""
