"""After `sam build`: import each built handler from its package and layers only.

Stripping layers can remove a module that something imports at run time; this catches
it before a deploy does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

# What each function imports on its paths, beyond the handler itself.
_EXTRA_IMPORTS = {"RenderChartFunction": "import charting.render"}


def smoke(build_dir: Path) -> int:
    layers = {"CommonLayer": build_dir / "CommonLayer" / "python"}
    charts = build_dir / "ChartsLayer" / "python"
    failed = False
    for function in ("IngestSignalFunction", "GetSignalFunction", "RenderChartFunction"):
        paths = [build_dir / function, layers["CommonLayer"]]
        if function == "RenderChartFunction":
            paths.append(charts)
        code = f"import app; {_EXTRA_IMPORTS.get(function, 'pass')}"
        with tempfile.TemporaryDirectory() as config_dir:
            done = subprocess.run(
                # -I: nothing from this checkout or the venv leaks in; -S: no site-packages.
                [
                    sys.executable,
                    "-I",
                    "-S",
                    "-c",
                    f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}; {code}",
                ],
                capture_output=True,
                text=True,
                env={
                    "PATH": os.environ.get("PATH", ""),
                    "MPLCONFIGDIR": config_dir,
                    "AWS_DEFAULT_REGION": "us-east-1",
                },
                timeout=120,
            )
        status = "ok" if done.returncode == 0 else "FAILED"
        failed |= done.returncode != 0
        print(f"{function:24} imports from its package: {status}")
        if done.returncode != 0:
            print(done.stderr[-2000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(smoke(Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")))
