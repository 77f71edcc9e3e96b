"""Section 6: unzipped package sizes from `sam build`, against Lambda's 250 MB."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bench.common import BUILD_DIR, ROOT, Section, table, verdict

LIMIT = 250 * 1024 * 1024


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def run() -> Section:
    if not (BUILD_DIR / "template.yaml").exists():
        return Section("6. Package sizes", ["Skipped: no `sam build` output (run `make build`)."])
    spec = importlib.util.spec_from_file_location(
        "package_sizes", ROOT / "scripts" / "package_sizes.py"
    )
    assert spec is not None
    assert spec.loader is not None
    sizes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sizes)
    import yaml

    template = yaml.load((BUILD_DIR / "template.yaml").read_text(), Loader=sizes._Loader)  # noqa: S506
    resources = template["Resources"]
    global_layers = sizes._refs(template.get("Globals", {}).get("Function", {}).get("Layers"))
    rows = []
    goals = []
    for name, resource in sorted(resources.items()):
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        layers = global_layers + sizes._refs(resource["Properties"].get("Layers"))
        code = _size(BUILD_DIR / name)
        layer_bytes = sum(_size(BUILD_DIR / layer) for layer in layers)
        total = code + layer_bytes
        rows.append(
            [
                name,
                f"{code / 2**20:.2f}",
                " + ".join(layers),
                f"{layer_bytes / 2**20:.1f}",
                f"{total / 2**20:.1f}",
                f"{total / LIMIT:.0%}",
            ]
        )
        goals.append((f"{name} under 250 MB", total <= LIMIT, f"{total / 2**20:.1f} MB"))
    biggest = []
    for layer in ("CommonLayer", "ChartsLayer"):
        root = BUILD_DIR / layer / "python"
        parts = sorted(
            ((_size(p) if p.is_dir() else p.stat().st_size, p.name) for p in root.iterdir()),
            reverse=True,
        )[:6]
        biggest.append(
            f"- {layer}: " + ", ".join(f"{name} {size / 2**20:.1f} MB" for size, name in parts)
        )
    lines = [
        "Unzipped bytes of each function's code plus its layers as `sam build` leaves them",
        "(`make build`: stripped of tests, docs, stubs and C sources, with unchecked-hash",
        "bytecode), in MiB, against Lambda's 250 MB limit for a function and its layers.",
        "",
        *table(["function", "code", "layers", "layers MiB", "total MiB", "of 250 MB"], rows),
        "",
        "Largest entries of each layer:",
        "",
        *biggest,
        "",
        *(f"- Goal {g}: {verdict(m)}, {f}." for g, m, f in goals),
    ]
    return Section("6. Package sizes from `sam build`", lines, goals)
