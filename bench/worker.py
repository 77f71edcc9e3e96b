"""A handler in its own process, driven over stdin/stdout by the bench (one JSON per line).

`python -m bench.worker <Function>` loads that function's handler as the local front does,
then answers `{"op": "invoke", "event": ...}` with the status and the handler's duration,
`{"op": "render", "document": ...}` with the time to validate and render, and
`{"op": "modules"}` with which render libraries the process has imported.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

HEAVY = ("matplotlib", "numpy", "pandas", "PIL")


class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = "bench"
    function_version = "$LATEST"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def main(function: str) -> None:
    from bench.common import ROOT  # noqa: F401 - sys.path
    from local_stack.front import load_handler_module
    from local_stack.template import load_template, routes

    route = next(r for r in routes(load_template()) if r.function == function)
    handler = load_handler_module(route).lambda_handler
    out = sys.stdout
    sys.stdout = sys.stderr  # Powertools prints EMF metrics; keep the channel clean
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        command = json.loads(line)
        answer: dict[str, Any]
        if command["op"] == "invoke":
            started = time.perf_counter()
            result = handler(command["event"], Context())
            elapsed = time.perf_counter() - started
            answer = {"status": result["statusCode"], "seconds": elapsed}
        elif command["op"] == "render":
            from charting.render import render
            from charting.requests import ChartRequest

            started = time.perf_counter()
            render(ChartRequest.model_validate(command["document"]))
            answer = {"seconds": time.perf_counter() - started}
        else:
            loaded = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
            answer = {"modules": loaded}
        out.write(json.dumps(answer) + "\n")
        out.flush()


class Worker:
    """The bench's side of a worker process."""

    def __init__(self, function: str, environment: dict[str, str]) -> None:
        import os
        import subprocess

        from bench.common import ROOT

        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", function],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        assert ready.strip() == "ready", ready

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the worker exited")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1])
