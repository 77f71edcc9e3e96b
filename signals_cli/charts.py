"""`signals chart`: render a chart from a CSV or JSON file and print its link."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import urllib.request
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ValueError(f"{path} has no header row")
        rows = []
        for row in reader:
            cleaned: dict[str, Any] = {}
            for name, value in row.items():
                key = (name or "").strip()
                text = (value or "").strip()
                if not key or text == "":
                    continue
                cleaned[key] = _number(text)
            rows.append(cleaned)
        return rows


def load_request(path: Path, kind: str) -> dict[str, Any]:
    """A chart request body from a file: a whole request, a JSON list of rows/values, or a CSV."""
    if path.suffix.lower() == ".csv":
        rows = _csv_rows(path)
        if kind == "histogram" and rows and len(rows[0]) == 1:
            (column,) = rows[0].keys()
            return {"data": rows, "options": {"column": column}}
        return {"data": rows}
    document = json.loads(path.read_text())
    if isinstance(document, dict) and "data" in document:
        return document
    if isinstance(document, list):
        return {"data": document}
    raise ValueError(
        "a JSON file must hold a list of rows (or values) or a chart request with 'data'"
    )


def build_chart(args: argparse.Namespace) -> dict[str, Any]:
    request = load_request(Path(args.file), args.kind)
    request["kind"] = args.kind
    for name in ("title", "width", "height", "format", "theme"):
        value = getattr(args, name)
        if value is not None:
            request[name] = value
    options = dict(request.get("options") or {})
    if args.kind == "candlestick":
        if args.sma:
            options["sma"] = [int(p) for p in args.sma.split(",") if p.strip()]
        if args.no_volume:
            options["volume"] = False
    if args.kind == "histogram":
        for name in ("bins", "color", "column"):
            value = getattr(args, name)
            if value is not None:
                options[name] = value
    if options:
        request["options"] = options
    return request


def add_chart_command(
    commands: Any,
    common: argparse.ArgumentParser,
    make_client: Callable[[argparse.Namespace], Any],
    call: Callable[[argparse.Namespace, Callable[[], Any]], Any],
    fail_on_problem: Callable[[Any], None],
) -> None:
    chart = commands.add_parser(
        "chart", parents=[common], help="render a chart from a CSV or JSON file"
    )
    chart.add_argument("kind", choices=["candlestick", "equity", "histogram"])
    chart.add_argument(
        "file", help="CSV with a header row, or JSON (rows, values, or a whole request)"
    )
    chart.add_argument("--title")
    chart.add_argument("--width", type=int)
    chart.add_argument("--height", type=int)
    chart.add_argument("--format", choices=["png", "svg"])
    chart.add_argument("--theme", choices=["light", "dark"])
    chart.add_argument("--sma", help="candlestick: comma-separated periods, e.g. 20,50")
    chart.add_argument("--no-volume", action="store_true", help="candlestick: no volume panel")
    chart.add_argument("--bins", type=int, help="histogram: number of bins")
    chart.add_argument("--color", help="histogram: bar colour")
    chart.add_argument("--column", help="histogram: the column to count (default value)")
    chart.add_argument("--open", action="store_true", help="open the link in a browser")
    chart.add_argument("--output", help="also download the image to this file")

    def run(args: argparse.Namespace) -> int:
        from signals_cli.main import CliError

        try:
            body = build_chart(args)
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read {args.file}: {exc}") from exc
        client = make_client(args)
        count = len(body.get("data") or [])
        if not args.json:
            print(f"Rendering a {args.kind} chart of {count} rows...", file=sys.stderr)
        started = time.perf_counter()
        answer = call(args, lambda: client.render_chart(body))
        fail_on_problem(answer)
        link = answer.json()
        elapsed = (time.perf_counter() - started) * 1000
        if args.output:
            with urllib.request.urlopen(link["url"]) as image:
                Path(args.output).write_bytes(image.read())
        if args.json:
            print(json.dumps(link))
        else:
            source = "served from storage" if link["cached"] else "rendered"
            print(
                f"{source} in {elapsed:.0f} ms: {link['bytes']} bytes {link['content_type']},"
                f" link valid until {link['expires_at']}"
            )
            if args.output:
                print(f"saved to {args.output}")
            print(link["url"])
        if args.open:
            webbrowser.open(link["url"])
        return 0

    chart.set_defaults(handler=run)
