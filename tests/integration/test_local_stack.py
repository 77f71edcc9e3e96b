"""`make dev` as a user runs it: `python -m local_stack` in its own process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from local_stack.services import free_port
from signals_cli.client import SignalsClient
from tests.support import new_secret, unique_instrument

ROOT = Path(__file__).resolve().parents[2]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_dev_stack_serves_the_api_and_stops_everything(tmp_path: Path) -> None:
    # GIVEN free ports and a producer of our own
    ports = {"PORT": free_port(), "DYNAMODB_LOCAL_PORT": free_port(), "MOTO_PORT": free_port()}
    secret = new_secret()
    state = tmp_path / "state.json"
    environment = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "LOCAL_PRODUCERS": json.dumps({"alice": secret}),
        "LOCAL_STACK_STATE": str(state),
    }
    # WHEN the local stack starts
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()  # type: ignore[union-attr]
            assert line, "the local stack exited early:\n" + "".join(banner)
            banner.append(line)
            if "Ctrl-C stops everything" in line:
                break
        printed = "".join(banner)
        # THEN it prints the API URL and an example command, not alice's secret
        assert f"http://127.0.0.1:{ports['PORT']}" in printed
        assert "signals send" in printed
        assert secret not in printed
        assert json.loads(state.read_text())["api_url"] == f"http://127.0.0.1:{ports['PORT']}"
        # AND a signed signal goes through the HTTP front to the real handlers
        client = SignalsClient(f"http://127.0.0.1:{ports['PORT']}", "alice", secret)
        created = client.send_signal({"instrument": unique_instrument(), "side": "buy", "price": 1})
        assert created.status == 201, created.body
        assert client.get_signal(created.json()["id"]).json() == created.json()
        assert client.request("GET", "/openapi.json").json()["openapi"].startswith("3.1")
        assert client.request("GET", "/nowhere").status == 404
    finally:
        # WHEN it gets SIGTERM
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    # THEN it exits cleanly, every port is closed and the state file is gone
    assert code == 0
    for port in ports.values():
        assert not _listening(port), f"port {port} still open"
    assert not state.exists()


def test_bad_local_producers_is_a_clear_error() -> None:
    environment = {**os.environ, "LOCAL_PRODUCERS": '{"Bad Id": "nope"}', "PORT": str(free_port())}
    done = subprocess.run(
        [sys.executable, "-m", "local_stack"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "LOCAL_PRODUCERS" in done.stderr
    assert "Traceback" not in done.stderr
