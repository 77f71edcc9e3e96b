"""The cache-hit path (requests + canonical) must not import the heavy render libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from chart_builders import RENDER_CHART_DIR

_SCRIPT = """
import json, sys
import charting
from charting.canonical import chart_key
from charting.requests import ChartRequest, check_renderable
body = {"kind": "histogram", "data": [{"value": 1}, {"value": 2}], "options": {"color": "red"}}
request = ChartRequest.model_validate(body)
check_renderable(request)
chart_key(request)
candles = [{"timestamp": "2024-01-01T00:00:00Z", "open": 1, "high": 2, "low": 0, "close": 1},
           {"timestamp": 1704067260, "open": 1, "high": 2, "low": 0, "close": 1}]
chart_key(ChartRequest.model_validate({"kind": "candlestick", "data": candles}))
heavy = ("numpy", "pandas", "matplotlib", "PIL", "charting.render")
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in heavy
                        or name == "charting.render")))
"""


def test_requests_and_canonical_do_not_import_numpy_pandas_or_matplotlib() -> None:
    # GIVEN a fresh interpreter
    env = {**os.environ, "PYTHONPATH": str(RENDER_CHART_DIR)}
    # WHEN it validates requests, checks them and computes their keys
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    # THEN none of the render libraries (nor charting.render) was imported
    assert json.loads(result.stdout) == []
