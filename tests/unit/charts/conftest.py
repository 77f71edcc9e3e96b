"""Charting unit tests: `functions/render_chart` and this folder on sys.path.

This folder is put on the path too, so that `chart_builders` imports whatever pytest's
import mode is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RENDER_CHART_DIR = HERE.parents[2] / "functions" / "render_chart"
for path in (RENDER_CHART_DIR, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib")
