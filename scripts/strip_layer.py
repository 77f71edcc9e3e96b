"""Remove from an installed site-packages what Lambda never loads (used by the layer build).

What goes: test suites, type stubs, C headers, docs and examples, sample data, matplotlib
backends other than Agg/SVG, stale bytecode (compileall writes fresh unchecked-hash .pyc
afterwards). What stays: everything the render code imports at run time.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

_DIRS = {
    "tests",
    "test",
    "testing",
    "__pycache__",
    "include",
    "docs",
    "doc",
    "examples",
    "benchmarks",
}
_SUFFIXES = {".pyi", ".pyc", ".h", ".c", ".cpp", ".pxd", ".pyx", ".md", ".rst"}
# Imported at run time: numpy/pandas testing helpers, and botocore.docs / boto3.docs
# (botocore.client imports botocore.waiter, which imports botocore.docs.docstring).
_KEEP_DIRS = {"numpy/testing", "pandas/_testing", "botocore/docs", "boto3/docs"}
_MATPLOTLIB_BACKENDS = {
    "backend_agg.py",
    "backend_svg.py",
    "backend_mixed.py",  # imported by backend_svg
    "backend_bases.py",
    "__init__.py",
    "registry.py",
}


def _kept(path: Path, root: Path) -> bool:
    relative = path.relative_to(root).as_posix()
    return any(relative == keep or relative.startswith(keep + "/") for keep in _KEEP_DIRS)


def strip(root: Path) -> int:
    before = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if not path.exists() or _kept(path, root):
            continue
        if path.is_dir() and path.name in _DIRS:
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in _SUFFIXES:
            path.unlink()
    backends = root / "matplotlib" / "backends"
    if backends.is_dir():
        for path in backends.iterdir():
            if path.is_dir() and path.name != "__pycache__":
                shutil.rmtree(path)
            elif (
                path.is_file()
                and path.name not in _MATPLOTLIB_BACKENDS
                and not path.name.startswith("_backend_agg")
            ):
                path.unlink()
    sample_data = root / "matplotlib" / "mpl-data" / "sample_data"
    if sample_data.is_dir():
        shutil.rmtree(sample_data)
    after = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    print(f"stripped {root}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(strip(Path(sys.argv[1])))
