"""POST /api/v1/charts through the real handler, against moto S3."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.support import Api, Producer

ROOT = Path(__file__).resolve().parents[2]


def _candles(count: int, start: int = 1_704_067_200, drift: float = 0.0) -> list[dict]:
    rows, price = [], 100.0 + drift
    for index in range(count):
        close = price * (1.01 if index % 3 else 0.985)
        rows.append(
            {
                "timestamp": start + index * 3600,
                "open": price,
                "high": max(price, close) * 1.004,
                "low": min(price, close) * 0.996,
                "close": close,
                "volume": 100 + index,
            }
        )
        price = close
    return rows


def _chart(**changes: object) -> dict:
    return {
        "kind": "candlestick",
        "data": _candles(30, drift=os.urandom(1)[0]),
        "options": {"sma": [5]},
        **changes,
    }


def _post(api: Api, producer: Producer, chart: dict | bytes):
    body = chart if isinstance(chart, bytes) else json.dumps(chart).encode()
    return api.call("POST", "/api/v1/charts", producer, body=body)


def test_miss_renders_and_stores_then_hit_answers_from_s3(
    stack, api: Api, producer: Producer
) -> None:
    # GIVEN a chart nobody asked for yet
    chart = _chart(width=800, height=400)
    # WHEN it is requested
    first = _post(api, producer, chart)
    # THEN it is rendered (201) and stored under its content hash with the right headers
    assert first.status == 201, first.text
    link = first.json()
    assert set(link) == {
        "url",
        "expires_at",
        "key",
        "sha256",
        "cached",
        "bytes",
        "content_type",
        "kind",
    }
    assert link["key"] == f"charts/{link['sha256']}.png"
    assert (link["cached"], link["content_type"], link["kind"]) == (
        False,
        "image/png",
        "candlestick",
    )
    head = stack.client("s3").head_object(Bucket=stack.names["MediaBucket"], Key=link["key"])
    assert head["ContentType"] == "image/png"
    assert "immutable" in head["CacheControl"]
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == link["bytes"]
    # AND the presigned link serves the image at the requested size
    with urllib.request.urlopen(link["url"]) as answer:
        image = answer.read()
        assert answer.headers["Content-Type"] == "image/png"
    assert len(image) == link["bytes"]
    assert Image.open(io.BytesIO(image)).size == (800, 400)
    # WHEN the same chart is asked again, keys in another order
    again = _post(api, producer, dict(reversed(list(chart.items()))))
    # THEN it comes from storage
    assert again.status == 200, again.text
    assert again.json()["cached"] is True
    assert again.json()["key"] == link["key"]


def test_link_expiry_follows_the_url_ttl(api: Api, producer: Producer) -> None:
    before = datetime.now(UTC)
    link = _post(api, producer, _chart()).json()
    expires_at = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    assert timedelta(seconds=3590) <= expires_at - before <= timedelta(seconds=3605)
    assert re_rfc3339(link["expires_at"])


def re_rfc3339(value: str) -> bool:
    import re

    return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", value))


def test_a_hit_close_to_expiry_refreshes_the_object_first(stack) -> None:
    # GIVEN objects that expire after 1 day and links meant to last 2 days, so that every
    # stored chart is "close to expiry"
    import time

    from chart_service import chart_link, lifecycle_expiry, parse_chart_request
    from chart_storage import ChartStore

    from signals_common.settings import Settings

    settings = Settings.model_validate({"MEDIA_TTL_DAYS": "1", "MEDIA_URL_TTL_SECONDS": "172800"})
    store = ChartStore(stack.names["MediaBucket"], client=stack.client("s3"))
    request = parse_chart_request(json.dumps(_chart()).encode())
    created = chart_link(request, store, settings).link
    stored = store.find(created.key)
    assert stored is not None
    # AND a link never outlives the object, even on a fresh render
    assert created.expires_at == lifecycle_expiry(stored.last_modified, 1)
    time.sleep(1.1)  # S3 keeps LastModified in whole seconds
    # WHEN it is asked for again
    hit = chart_link(request, store, settings).link
    # THEN the object was copied in place first (a newer LastModified restarts its lifecycle)
    refreshed = store.find(created.key)
    assert refreshed is not None
    assert refreshed.last_modified > stored.last_modified
    assert hit.cached is True
    assert hit.expires_at == lifecycle_expiry(refreshed.last_modified, 1)


def test_a_hit_far_from_expiry_is_not_copied(stack) -> None:
    import time

    from chart_service import chart_link, parse_chart_request
    from chart_storage import ChartStore

    from signals_common.settings import get_settings

    def s3_view() -> ChartStore:  # no memory of earlier answers: every find asks S3
        return ChartStore(stack.names["MediaBucket"], client=stack.client("s3"), remember_seconds=0)

    store = ChartStore(stack.names["MediaBucket"], client=stack.client("s3"))
    request = parse_chart_request(json.dumps(_chart()).encode())
    key = chart_link(request, store, get_settings()).link.key
    before = s3_view().find(key)
    time.sleep(1.1)
    assert chart_link(request, s3_view(), get_settings()).link.cached is True
    assert s3_view().find(key) == before


def test_repeated_hits_skip_s3_until_the_memory_lapses(stack) -> None:
    # GIVEN a stored chart and a store that remembers keys for 60 (fake) seconds
    from chart_service import chart_link_for_body
    from chart_storage import ChartStore

    from signals_common.settings import get_settings

    client = stack.client("s3")
    calls: list[str] = []
    client.meta.events.register(
        "before-send.s3.*", lambda request, **_: calls.append(request.method)
    )
    clock = [0.0]
    store = ChartStore(
        stack.names["MediaBucket"], client=client, remember_seconds=60, clock=lambda: clock[0]
    )
    body = json.dumps(_chart()).encode()
    assert chart_link_for_body(body, store, get_settings()).link.cached is False
    calls.clear()
    # WHEN the same body comes again within the memory THEN S3 is not asked at all
    again = chart_link_for_body(body, store, get_settings())
    assert again.link.cached is True
    assert again.render_ms is None
    assert calls == []
    # WHEN the memory has lapsed and the object was deleted meanwhile THEN it is rendered again
    client.delete_object(Bucket=stack.names["MediaBucket"], Key=again.link.key)
    clock[0] = 61.0
    calls.clear()
    redone = chart_link_for_body(body, store, get_settings())
    assert redone.link.cached is False
    assert calls == ["HEAD", "PUT"]


def test_lifecycle_expiry_rounds_up_to_midnight() -> None:
    from chart_service import lifecycle_expiry

    moment = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    assert lifecycle_expiry(moment, 7) == datetime(2026, 1, 9, tzinfo=UTC)
    assert lifecycle_expiry(datetime(2026, 1, 1, tzinfo=UTC), 7) == datetime(2026, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(("fmt", "content_type"), [("png", "image/png"), ("svg", "image/svg+xml")])
@pytest.mark.parametrize("kind", ["candlestick", "equity", "histogram"])
def test_every_kind_and_format(
    api: Api, producer: Producer, kind: str, fmt: str, content_type: str
) -> None:
    data = {
        "candlestick": _candles(12),
        "equity": [
            {"timestamp": 1_704_067_200 + i * 60, "equity": 1000 + (i % 7) * 10 - i}
            for i in range(50)
        ],
        "histogram": [((i * 37) % 101) / 7 for i in range(500)],
    }[kind]
    answer = _post(
        api,
        producer,
        {"kind": kind, "data": data, "format": fmt, "theme": "dark", "title": os.urandom(4).hex()},
    )
    assert answer.status == 201, answer.text
    link = answer.json()
    assert link["content_type"] == content_type
    assert link["key"].endswith(f".{fmt}")
    with urllib.request.urlopen(link["url"]) as fetched:
        assert fetched.headers["Content-Type"] == content_type


@pytest.mark.parametrize(
    ("chart", "status", "code"),
    [
        ({"kind": "pie", "data": [1, 2]}, 422, "VALIDATION_FAILED"),
        ({"kind": "histogram", "data": [1, 2], "width": 100}, 422, "VALIDATION_FAILED"),
        ({"kind": "candlestick", "data": _candles(1)}, 422, "VALIDATION_FAILED"),
        (
            {"kind": "histogram", "data": [{"price": 1}], "options": {"column": "value"}},
            422,
            "MISSING_COLUMN",
        ),
        ({"kind": "histogram", "data": [{"value": "a"}, {"value": None}]}, 422, "NO_NUMERIC_DATA"),
        ({"kind": "histogram", "data": ["a", None, "b"]}, 422, "VALIDATION_FAILED"),
        ({"kind": "histogram", "data": [1, 2], "colour": "red"}, 422, "VALIDATION_FAILED"),
    ],
)
def test_chart_errors(api: Api, producer: Producer, chart: dict, status: int, code: str) -> None:
    answer = _post(api, producer, chart)
    assert answer.status == status, answer.text
    assert answer.json()["code"] == code
    assert answer.content_type == "application/problem+json"


def test_malformed_and_unsigned_chart_requests(api: Api, producer: Producer) -> None:
    assert _post(api, producer, b'{"kind": ').json()["code"] == "MALFORMED_JSON"
    unsigned = api.call("POST", "/api/v1/charts", None, body=b"{}")
    assert (unsigned.status, unsigned.json()["code"]) == (401, "AUTHENTICATION_FAILED")


def test_output_over_the_limit_is_refused_and_not_stored(stack) -> None:
    from chart_service import chart_link, parse_chart_request
    from chart_storage import ChartStore

    from signals_common import errors
    from signals_common.settings import Settings

    store = ChartStore(stack.names["MediaBucket"], client=stack.client("s3"))
    request = parse_chart_request(json.dumps(_chart(width=3000, height=2000)).encode())
    tight = Settings.model_validate({"MEDIA_MAX_BYTES": "2048"})
    with pytest.raises(errors.ChartTooLargeError):
        chart_link(request, store, tight)
    from charting.canonical import chart_key

    assert store.find(chart_key(request)[1]) is None


def test_a_hit_in_a_fresh_process_never_imports_matplotlib(
    stack, api: Api, producer: Producer
) -> None:
    # GIVEN a chart already stored
    chart = _chart()
    assert _post(api, producer, chart).status == 201
    # WHEN a fresh process (a cold container) serves the same request through the handler
    event, _ = api.event("POST", "/api/v1/charts", producer, body=json.dumps(chart).encode())
    script = (
        "import json, sys\n"
        "sys.path[:0] = ['layers/common', 'functions/render_chart', '.']\n"
        "from local_stack.front import LambdaContext\n"
        "import app\n"
        "event = json.loads(sys.stdin.read())\n"
        "result = app.lambda_handler(event, LambdaContext('RenderChartFunction'))\n"
        "heavy = sorted(m for m in ('matplotlib', 'pandas', 'numpy') if m in sys.modules)\n"
        "print(json.dumps({'status': result['statusCode'], 'heavy': heavy}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ""},
        timeout=60,
        check=True,
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    # THEN it answers 200 without importing matplotlib, pandas or numpy
    assert outcome == {"status": 200, "heavy": []}, done.stderr[-2000:]
