"""`make dev`: run the whole API on 127.0.0.1 until Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from local_stack.auth_check import valid_local_producers
from local_stack.front import make_server
from local_stack.resources import DEMO_PRODUCER, DEMO_SECRET
from local_stack.services import LocalStackError
from local_stack.stack import start_stack
from local_stack.template import ROOT

DEFAULT_STATE_FILE = ROOT / ".local-stack.json"


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise LocalStackError(f"{name} must be a port number, not {raw!r}")
    return int(raw)


def _producers() -> dict[str, str]:
    raw = os.environ.get("LOCAL_PRODUCERS")
    if not raw:
        return {DEMO_PRODUCER: DEMO_SECRET}
    try:
        return valid_local_producers(json.loads(raw))
    except ValueError as exc:
        raise LocalStackError(f"LOCAL_PRODUCERS: {exc}") from exc


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    try:
        port = _port("PORT", 3000)
        producers = _producers()
        print("Starting DynamoDB Local and the moto server...", flush=True)
        stack = start_stack(
            producers,
            dynamodb_port=_port("DYNAMODB_LOCAL_PORT", 8000),
            moto_port=_port("MOTO_PORT", 5000),
        )
    except LocalStackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        stack.apply_environment()
        # Keep the terminal readable: warnings and errors only, no EMF metric lines.
        os.environ["POWERTOOLS_LOG_LEVEL"] = os.environ.get("LOG_LEVEL", "WARNING")
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        server = make_server(stack.front(), port)
    except OSError as exc:
        stack.stop()
        print(
            f"error: cannot listen on 127.0.0.1:{port}: {exc.strerror}; set PORT", file=sys.stderr
        )
        return 1
    api_url = f"http://127.0.0.1:{port}"
    state_file = Path(os.environ.get("LOCAL_STACK_STATE", DEFAULT_STATE_FILE))
    _write_state(state_file, api_url, stack)
    print(f"\nsignals-serverless local stack is up ({time.monotonic() - started:.1f} s)\n")
    print(f"  API             {api_url}")
    print(
        f"  DynamoDB Local  {stack.services.dynamodb_endpoint}  table {stack.names['SignalsTable']}"
    )
    print(f"  moto (S3, SM)   {stack.services.moto_endpoint}  bucket {stack.names['MediaBucket']}")
    print(f"  producers       secret {stack.names['ProducersSecret']}")
    for producer, secret in producers.items():
        shown = (
            secret
            if producer == DEMO_PRODUCER and secret == DEMO_SECRET
            else "(from LOCAL_PRODUCERS)"
        )
        print(f"    {producer}: {shown}")
    print("\nTry it (in another terminal):")
    print("  .venv/bin/signals send --instrument EURUSD --side buy --price 1.1050")
    print("  .venv/bin/signals list")
    print("\nStorage is in memory. Ctrl-C stops everything.\n", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        server.server_close()
        stack.stop()
        state_file.unlink(missing_ok=True)
    return 0


def _write_state(path: Path, api_url: str, stack: object) -> None:
    from local_stack.stack import LocalStack

    assert isinstance(stack, LocalStack)
    path.write_text(
        json.dumps(
            {
                "api_url": api_url,
                "dynamodb_endpoint": stack.services.dynamodb_endpoint,
                "moto_endpoint": stack.services.moto_endpoint,
                "table": stack.names["SignalsTable"],
                "bucket": stack.names["MediaBucket"],
                "secret_id": stack.names["ProducersSecret"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
