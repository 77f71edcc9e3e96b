"""The `signals` command against the local HTTP front (real handlers, DynamoDB Local, moto)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.front import make_server
from local_stack.services import free_port
from signals_cli.main import main
from tests.support import Producer, unique_instrument


@pytest.fixture(scope="module")
def api_url(stack) -> Iterator[str]:
    server = make_server(stack.front(), free_port(), quiet=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _as(url: str, producer: Producer) -> list[str]:
    return ["--url", url, "--producer", producer.producer_id, "--secret", producer.secret]


def test_send_get_and_list(capsys, api_url: str, producer: Producer) -> None:
    instrument = unique_instrument()
    # WHEN a signal is sent with a price that has a trailing zero
    code, out, _ = _run(
        capsys,
        "send",
        *_as(api_url, producer),
        "--instrument",
        instrument,
        "--side",
        "buy",
        "--price",
        "1.1050",
        "--payload",
        '{"tp":1.20}',
        "--json",
    )
    # THEN it is stored with exactly those digits
    assert code == 0
    assert '"price":1.1050' in out
    assert '"payload":{"tp":1.20}' in out
    signal_id = json.loads(out)["id"]
    code, out, _ = _run(capsys, "get", *_as(api_url, producer), signal_id)
    assert code == 0
    assert f"id           {signal_id}" in out
    assert "price        1.1050" in out
    code, out, _ = _run(capsys, "list", *_as(api_url, producer))
    assert code == 0
    assert signal_id in out
    assert instrument in out


def test_list_all_follows_every_page(capsys, api_url: str, producer: Producer) -> None:
    for _ in range(5):
        assert (
            _run(
                capsys,
                "send",
                *_as(api_url, producer),
                "--instrument",
                unique_instrument(),
                "--side",
                "sell",
                "--price",
                "2",
            )[0]
            == 0
        )
    code, out, err = _run(
        capsys, "list", *_as(api_url, producer), "--limit", "2", "--all", "--json"
    )
    assert code == 0
    assert len(json.loads(out)["items"]) == 5
    assert "after 2 pages" in err


def test_errors_are_readable_and_exit_non_zero(capsys, api_url: str, producer: Producer) -> None:
    instrument = unique_instrument()
    args = [*_as(api_url, producer), "--instrument", instrument, "--side", "buy", "--price", "3"]
    assert _run(capsys, "send", *args)[0] == 0
    code, _, err = _run(capsys, "send", *args)
    assert code == 1
    assert "409 DUPLICATE_SIGNAL" in err
    assert "reason: window" in err
    code, _, err = _run(capsys, "send", *args[:-1], "three")
    assert code == 1
    assert "--price must be a number" in err
    code, _, err = _run(capsys, "get", *_as(api_url, producer), "01J0000000000000000000000Z")
    assert code == 1
    assert "404 NOT_FOUND" in err


def test_unreachable_api_exits_2(capsys, producer: Producer) -> None:
    url = "http://127.0.0.1:9"
    code, _, err = _run(capsys, "list", *_as(url, producer))
    assert code == 2
    assert "cannot reach" in err


def test_producer_lifecycle(capsys, stack, api_url: str) -> None:
    from signals_common import dependencies

    target = [
        "--secret-id",
        stack.names["ProducersSecret"],
        "--endpoint-url",
        stack.services.moto_endpoint,
        "--region",
        "us-east-1",
    ]
    producer_id = f"cli-{unique_instrument().lower()}"
    # WHEN a producer is added THEN its generated secret signs requests that pass
    code, out, _ = _run(capsys, "producers", "add", producer_id, *target, "--json")
    assert code == 0
    first = json.loads(out)["secret"]
    dependencies.get_producer_directory.cache_clear()
    send = ["send", "--url", api_url, "--producer", producer_id, "--side", "buy", "--price", "1"]
    assert _run(capsys, *send, "--secret", first, "--instrument", unique_instrument())[0] == 0
    # WHEN it is rotated THEN both secrets work, and after retire only the new one
    code, out, _ = _run(capsys, "producers", "rotate", producer_id, *target, "--json")
    second = json.loads(out)["secret"]
    dependencies.get_producer_directory.cache_clear()
    for secret in (first, second):
        assert _run(capsys, *send, "--secret", secret, "--instrument", unique_instrument())[0] == 0
    assert _run(capsys, "producers", "retire", producer_id, *target)[0] == 0
    dependencies.get_producer_directory.cache_clear()
    assert _run(capsys, *send, "--secret", first, "--instrument", unique_instrument())[0] == 1
    assert _run(capsys, *send, "--secret", second, "--instrument", unique_instrument())[0] == 0
    # AND the listing shows the producer without its secrets
    code, out, _ = _run(capsys, "producers", "list", *target)
    assert f"{producer_id}  (1 secret)" in out
    assert second not in out
    # WHEN it is removed THEN its requests fail
    assert _run(capsys, "producers", "remove", producer_id, *target)[0] == 0
    dependencies.get_producer_directory.cache_clear()
    code, _, err = _run(capsys, *send, "--secret", second, "--instrument", unique_instrument())
    assert code == 1
    assert "401 AUTHENTICATION_FAILED" in err


def test_chart_from_csv(capsys, api_url: str, producer: Producer, tmp_path: Path) -> None:
    rows = ["timestamp,open,high,low,close,volume"]
    price = 100.0
    for index in range(40):
        close = price * (1.01 if index % 3 else 0.98)
        high, low = max(price, close) + 1, min(price, close) - 1
        rows.append(f"{1_704_067_200 + index * 60},{price},{high},{low},{close},{index + 1}")
        price = close
    source = tmp_path / "candles.csv"
    source.write_text("\n".join(rows) + "\n")
    image = tmp_path / "chart.png"
    chart = ["chart", "candlestick", str(source), *_as(api_url, producer), "--sma", "5,10"]
    chart += ["--width", "640", "--height", "360"]
    code, out, err = _run(capsys, *chart, "--output", str(image))
    assert code == 0, err
    assert "rendered in" in out
    assert "Rendering a candlestick chart of 40 rows" in err
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = _run(capsys, *chart, "--json")
    assert json.loads(out)["cached"] is True


def test_histogram_from_json_values(
    capsys, api_url: str, producer: Producer, tmp_path: Path
) -> None:
    source = tmp_path / "returns.json"
    source.write_text(json.dumps([((i * 13) % 17) - 8 for i in range(300)]))
    code, out, err = _run(
        capsys,
        "chart",
        "histogram",
        str(source),
        *_as(api_url, producer),
        "--bins",
        "12",
        "--format",
        "svg",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["content_type"] == "image/svg+xml"
