"""Shared helpers: run counts, interleaved timing, statistics and Markdown tables."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
RUNS = 3 if QUICK else 7  # measured runs per figure, after one warm-up run
BUILD_DIR = ROOT / ".aws-sam" / "build"

for _path in (ROOT / "layers" / "common", ROOT / "functions" / "render_chart", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@dataclass
class Stat:
    """Seconds measured for one approach; reported in milliseconds."""

    samples: list[float] = field(default_factory=list)

    @property
    def min(self) -> float:
        return min(self.samples) * 1000

    @property
    def median(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def max(self) -> float:
        return max(self.samples) * 1000

    def cells(self) -> list[str]:
        return [ms(self.min), ms(self.median), ms(self.max)]


def interleaved(
    cases: dict[str, Callable[[], object]], runs: int = RUNS, warmup: int = 1
) -> dict[str, Stat]:
    """Time each case `runs` times after `warmup` untimed runs, interleaving the cases.

    Each round runs every case once, in an order rotated by one per round, so that a slow
    stretch of the machine hits every approach alike.
    """
    names = list(cases)
    stats = {name: Stat() for name in names}
    for _ in range(warmup):
        for name in names:
            cases[name]()
    for round_ in range(runs):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            cases[name]()
            stats[name].samples.append(time.perf_counter() - started)
    return stats


def ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(value: float) -> str:
    return f"{value:.2f}×"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


@dataclass
class Section:
    title: str
    lines: list[str]
    goals: list[tuple[str, bool, str]] = field(default_factory=list)  # (goal, met, figures)

    def markdown(self) -> str:
        return "\n".join([f"## {self.title}", "", *self.lines, ""])


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout
    except OSError:
        return ""


def machine() -> list[str]:
    """The machine, as `nproc`, `free -h` and `lscpu | head` describe it."""
    lscpu = [line for line in _run(["lscpu"]).splitlines()[:16] if line.strip()]
    wanted = ("Architecture", "CPU(s):", "Model name", "Thread(s) per core", "Vendor ID")
    cpu = [" ".join(line.split()) for line in lscpu if line.startswith(wanted)]
    memory = _run(["free", "-h"]).splitlines()
    mem_line = next((" ".join(line.split()) for line in memory if line.startswith("Mem:")), "")
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    java_line = (java.stderr or java.stdout).splitlines()[0] if java.returncode == 0 else "?"
    return [
        f"- `nproc`: {_run(['nproc']).strip()}",
        f"- `free -h`: {mem_line} (total used free shared buff/cache available)",
        *(f"- `lscpu`: {line}" for line in cpu),
        f"- OS: {platform.system()} {platform.release()}; Python {platform.python_version()};"
        f" Java: {java_line}",
    ]
