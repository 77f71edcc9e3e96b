"""Section 8: cost on paper, from the measured durations and counted calls."""

from __future__ import annotations

import json

from bench import data
from bench.common import Section, table

# Public list prices, us-east-1, x86_64, on-demand (checked 2026-12; they change rarely).
PRICES = {
    "api": (
        1.00 / 1e6,
        "API Gateway HTTP API: $1.00 per million requests (first 300 M/month; metered per 512 KB)",
    ),
    "lambda_request": (0.20 / 1e6, "Lambda: $0.20 per million requests"),
    "lambda_gbs": (0.0000166667, "Lambda: $0.0000166667 per GB-second (x86_64, 1 ms billing)"),
    "wru": (0.625 / 1e6, "DynamoDB on-demand: $0.625 per million write request units"),
    "rru": (0.125 / 1e6, "DynamoDB on-demand: $0.125 per million read request units"),
    "ddb_storage": (0.25, "DynamoDB storage: $0.25 per GB-month"),
    "s3_put": (0.005 / 1000, "S3 Standard: $0.005 per 1,000 PUT/COPY/POST/LIST"),
    "s3_get": (0.0004 / 1000, "S3 Standard: $0.0004 per 1,000 GET/HEAD and others"),
    "s3_storage": (0.023, "S3 Standard storage: $0.023 per GB-month"),
    "secrets": (0.05 / 10_000, "Secrets Manager: $0.05 per 10,000 API calls (+$0.40/secret/month)"),
    "xray": (5.00 / 1e6, "X-Ray: $5.00 per million traces recorded (first 100,000/month free)"),
    "logs": (0.50, "CloudWatch Logs: $0.50 per GB ingested"),
}
INGEST_MB, GET_MB, RENDER_MB = 512, 512, 1536  # template.yaml MemorySize


def _usd(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def run(durations: dict[str, float]) -> Section:
    p = {name: price for name, (price, _) in PRICES.items()}
    ingest_ms = durations.get("accepted signal", 50.0)
    miss_ms = durations.get("chart miss (1,000 candles)", 300.0)
    hit_ms = durations.get("chart hit (1,000 candles)", 20.0)
    million = 1e6
    # One accepted signal: a transaction of 3 puts (signal, message-id guard, window guard),
    # each at most 1 KB: 2 WRU per transactional put, plus 1 WRU for each of the signal's
    # two GSIs (by_instrument, by_status). An external_id adds one more put (2 WRU).
    wru_per_signal = 3 * 2 + 2
    signal_rows = [
        ["API Gateway HTTP API", "1 request", _usd(million * p["api"])],
        ["Lambda requests", "1 invocation", _usd(million * p["lambda_request"])],
        [
            "Lambda duration",
            f"{ingest_ms:.0f} ms × {INGEST_MB} MB (measured warm median)",
            _usd(million * ingest_ms / 1000 * INGEST_MB / 1024 * p["lambda_gbs"]),
        ],
        ["DynamoDB writes", f"{wru_per_signal} WRU", _usd(million * wru_per_signal * p["wru"])],
        [
            "DynamoDB storage (per month kept)",
            "~2 KB: item + 2 GSI copies",
            _usd(million * 2e3 / 1e9 * p["ddb_storage"]),
        ],
        ["Secrets Manager", "0 warm; 1 per container per 300 s", "< $0.01"],
        [
            "X-Ray (Tracing: Active)",
            "≤ 1 trace (1/s + 5 % sampled)",
            f"≤ {_usd(million * p['xray'])}",
        ],
        [
            "CloudWatch Logs",
            "~1 KB: platform lines + EMF metrics",
            _usd(million * 1e3 / 1e9 * p["logs"]),
        ],
    ]
    signals_total = (
        million * (p["api"] + p["lambda_request"])
        + million * ingest_ms / 1000 * INGEST_MB / 1024 * p["lambda_gbs"]
        + million * wru_per_signal * p["wru"]
    )
    charts = 10_000
    chart_bytes = 100e3
    chart_rows = [
        [
            "API Gateway HTTP API",
            "1 request (a 1,000-candle body is ~95 KB)",
            _usd(charts * p["api"]),
            _usd(charts * p["api"]),
        ],
        [
            "Lambda requests",
            "1 invocation",
            _usd(charts * p["lambda_request"]),
            _usd(charts * p["lambda_request"]),
        ],
        [
            "Lambda duration",
            f"miss {miss_ms:.0f} ms / hit {hit_ms:.0f} ms × {RENDER_MB} MB",
            _usd(charts * miss_ms / 1000 * RENDER_MB / 1024 * p["lambda_gbs"]),
            _usd(charts * hit_ms / 1000 * RENDER_MB / 1024 * p["lambda_gbs"]),
        ],
        [
            "S3 requests",
            "miss: HEAD + PUT; hit: HEAD",
            _usd(charts * (p["s3_get"] + p["s3_put"])),
            _usd(charts * p["s3_get"]),
        ],
        [
            "S3 storage",
            "~100 KB for 7 days",
            _usd(charts * chart_bytes / 1e9 * p["s3_storage"] * 7 / 30),
            "$0",
        ],
        [
            "Viewer GET of the link",
            "GET + ~100 KB out at $0.09/GB",
            _usd(charts * (p["s3_get"] + chart_bytes / 1e9 * 0.09)),
            _usd(charts * (p["s3_get"] + chart_bytes / 1e9 * 0.09)),
        ],
    ]
    equity_row_bytes = len(json.dumps(data.equity(1000))) / 1000
    candle_row_bytes = len(json.dumps(data.candles(1000))) / 1000
    lines = [
        "Per million accepted signals and per 10,000 charts, from the durations measured in",
        "section 5 (warm, on this machine), the memory sizes in template.yaml and the calls",
        "counted in section 5. Caveats: a 512 MB Lambda has about 0.3 of a vCPU (1,769 MB",
        "is one), so CPU-bound work runs slower there than here, while real DynamoDB answers",
        "a transaction faster than DynamoDB Local; cold starts (section 4) add to the",
        "duration of one request per new container.",
        "",
        "**Per million signals**",
        "",
        *table(["item", "per signal", "per million"], signal_rows),
        "",
        f"Total without storage, X-Ray and logs: **{_usd(signals_total)} per million signals**;"
        " DynamoDB writes are most of it. X-Ray (`Tracing: Active`) can cost as much again"
        " when most requests are sampled; lower its sampling rule or turn it off.",
        "",
        "**Per 10,000 charts**",
        "",
        *table(["item", "per chart", "10,000 misses", "10,000 hits"], chart_rows),
        "",
        "Unit prices used:",
        "",
        *(f"- {text}" for _, text in PRICES.values()),
        "",
        "**Where limits bite first as traffic grows**",
        "",
        "- *A hot producer's partition*: every signal of a producer writes the partition key"
        " `P#<producer>` (2 WRU, transactional) and its `by_status` GSI key (1 WRU); one"
        " partition key takes at most 1,000 WRU/s, so one producer tops out near"
        " **500 signals/s**, and ULID sort keys always append at the end, so"
        " split-for-heat does not help. A new on-demand table starts at 4,000 WRU/s,"
        f" i.e. ~{4000 // wru_per_signal} signals/s in total until DynamoDB has seen higher"
        " peaks (it doubles the previous peak within 30 minutes).",
        "- *API Gateway*: 10,000 requests/s per account and region (burst 5,000) by"
        " default: reached before Lambda concurrency for ingest.",
        f"- *Lambda concurrency*: 1,000 per account and region by default (new accounts"
        f" may get less). At {ingest_ms:.0f} ms per signal that is"
        f" ~{1000 / (ingest_ms / 1000):,.0f} ingests/s; a chart miss at {miss_ms:.0f} ms"
        f" holds one for {miss_ms / ingest_ms:.0f}× longer, so a burst of misses takes"
        " concurrency from ingest unless the render function gets reserved concurrency.",
        "- *Payload limits*: signal bodies stop at 16 KiB (the API's own limit); chart"
        " bodies at 5 MiB, under Lambda's 6 MB synchronous payload (API Gateway allows"
        f" 10 MB). At ~{candle_row_bytes:.0f} bytes per candle and"
        f" ~{equity_row_bytes:.0f} bytes per equity row, 20,000 candles fit"
        f" (~{20000 * candle_row_bytes / 2**20:.1f} MiB) but an equity series stops near"
        f" **{5 * 2**20 / equity_row_bytes:,.0f} rows**, short of the 200,000 the contract"
        " allows. Render time is capped by API Gateway's 30 s integration timeout"
        " (the function's is 29 s).",
    ]
    return Section("8. Cost on paper", lines)
