"""After `sam build`: the unzipped size of each function with its layers, against 250 MB."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _refs(value: object) -> list[str]:
    return [item["Ref"] for item in value or [] if isinstance(item, dict) and "Ref" in item]  # type: ignore[attr-defined]


def report(build_dir: Path) -> int:
    text = (build_dir / "template.yaml").read_text()
    template = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    resources = template["Resources"]
    global_layers = _refs(template.get("Globals", {}).get("Function", {}).get("Layers"))
    failed = False
    print(f"{'function':24} {'code':>9} {'layers':>9} {'total':>9}  limit 250 MB")
    for name, resource in sorted(resources.items()):
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        layers = global_layers + _refs(resource["Properties"].get("Layers"))
        code = _size(build_dir / name)
        layer_bytes = sum(_size(build_dir / layer) for layer in layers)
        total = code + layer_bytes
        verdict = "ok" if total <= LAMBDA_UNZIPPED_LIMIT else "OVER THE LIMIT"
        failed |= total > LAMBDA_UNZIPPED_LIMIT
        print(
            f"{name:24} {code / 2**20:8.1f}M {layer_bytes / 2**20:8.1f}M"
            f" {total / 2**20:8.1f}M  {verdict}"
        )
    return 1 if failed else 0


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


if __name__ == "__main__":
    sys.exit(report(Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")))
