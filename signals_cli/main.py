"""`signals`: send, read and list signals, render charts and manage producers.

Defaults aim at the local stack (`make dev`): the API at http://127.0.0.1:3000 and the
demo producer. Against AWS, set SIGNALS_API_URL, SIGNALS_PRODUCER_ID and SIGNALS_SECRET.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local_stack.resources import DEMO_PRODUCER as LOCAL_DEMO_PRODUCER
from local_stack.resources import DEMO_SECRET as LOCAL_DEMO_SECRET
from signals_cli.client import ApiResponse, SignalsClient
from signals_cli.producers import ProducerError, ProducerStore, secrets_client
from signals_common.errors import MalformedJsonError
from signals_common.jsonio import JsonNumber, dumps_exact, loads_exact

DEFAULT_URL = "http://127.0.0.1:3000"
LOCAL_STATE = Path(__file__).resolve().parent.parent / ".local-stack.json"
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _is_local(url: str) -> bool:
    return urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}


def _client(args: argparse.Namespace) -> SignalsClient:
    url = args.url or os.environ.get("SIGNALS_API_URL") or DEFAULT_URL
    producer = args.producer or os.environ.get("SIGNALS_PRODUCER_ID")
    secret = args.secret or os.environ.get("SIGNALS_SECRET")
    if not producer and _is_local(url):
        producer = LOCAL_DEMO_PRODUCER
    if not secret and producer == LOCAL_DEMO_PRODUCER and _is_local(url):
        secret = LOCAL_DEMO_SECRET
    if not producer or not secret:
        raise CliError(
            "set the producer and its secret"
            " (--producer/--secret or SIGNALS_PRODUCER_ID/SIGNALS_SECRET)"
        )
    try:
        return SignalsClient(url, producer, secret)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def _call(args: argparse.Namespace, action: Any) -> ApiResponse:
    try:
        return action()
    except urllib.error.URLError as exc:
        url = args.url or os.environ.get("SIGNALS_API_URL") or DEFAULT_URL
        hint = " (is `make dev` running?)" if _is_local(url) else ""
        raise CliError(f"cannot reach {url}: {exc.reason}{hint}", exit_code=2) from exc


def _fail_on_problem(answer: ApiResponse) -> None:
    if answer.ok:
        return
    try:
        problem = answer.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict) or "code" not in problem:
        raise CliError(f"HTTP {answer.status}: {answer.body[:200].decode(errors='replace')}")
    lines = [
        f"{answer.status} {problem['code']}: {problem.get('detail', problem.get('title', ''))}"
    ]
    for name in ("reason", "existing_signal_id", "limit_bytes"):
        if name in problem:
            lines.append(f"  {name}: {problem[name]}")
    for error in problem.get("errors", []):
        lines.append(f"  {'.'.join(str(p) for p in error['loc'])}: {error['msg']}")
    raise CliError("\n".join(lines))


def _print_signal(signal: dict[str, Any]) -> None:
    for name in (
        "id",
        "instrument",
        "side",
        "price",
        "version",
        "status",
        "external_id",
        "created_at",
    ):
        print(f"{name:12} {signal.get(name)}")
    if signal.get("payload"):
        print(f"{'payload':12} {dumps_exact(signal['payload'])}")


def cmd_send(args: argparse.Namespace) -> int:
    if not _NUMBER.fullmatch(args.price):
        raise CliError(f"--price must be a number, not {args.price!r}")
    document: dict[str, Any] = {
        "instrument": args.instrument,
        "side": args.side,
        "price": JsonNumber(args.price),
    }
    if args.payload:
        try:
            document["payload"] = loads_exact(args.payload.encode())
        except MalformedJsonError as exc:
            raise CliError(f"--payload is not JSON: {exc}") from exc
    if args.version:
        document["version"] = args.version
    if args.external_id:
        document["external_id"] = args.external_id
    body = dumps_exact(document).encode()
    client = _client(args)
    answer = _call(args, lambda: client.request("POST", "/api/v1/signals", body, args.message_id))
    _fail_on_problem(answer)
    signal = loads_exact(answer.body)
    if args.json:
        print(answer.body.decode())
    else:
        replayed = (
            " (replayed: this message was already stored)"
            if answer.headers.get("Idempotent-Replayed")
            else ""
        )
        print(f"Stored signal {signal['id']}{replayed}")
        _print_signal(signal)
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    client = _client(args)
    answer = _call(args, lambda: client.get_signal(args.signal_id))
    _fail_on_problem(answer)
    if args.json:
        print(answer.body.decode())
    else:
        _print_signal(loads_exact(answer.body))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    client = _client(args)
    query = {
        "limit": args.limit,
        "instrument": args.instrument,
        "status": args.status,
        "since": args.since,
        "until": args.until,
        "cursor": args.cursor,
    }
    items: list[dict[str, Any]] = []
    pages = 0
    while True:
        answer = _call(args, lambda: client.list_signals(**query))
        _fail_on_problem(answer)
        page = loads_exact(answer.body)
        pages += 1
        items.extend(page["items"])
        query["cursor"] = page["next_cursor"]
        if not args.all or not page["next_cursor"]:
            break
        print(f"... {len(items)} signals after {pages} pages", file=sys.stderr)
    if args.json:
        print(dumps_exact({"items": items, "next_cursor": query["cursor"]}))
        return 0
    if not items:
        print("No signals.")
    else:
        print(f"{'ID':26}  {'CREATED':24}  {'INSTRUMENT':12}  {'SIDE':4}  {'PRICE':>14}  STATUS")
        for s in items:
            print(
                f"{s['id']:26}  {s['created_at']:24}  {s['instrument']:12}  {s['side']:4}"
                f"  {s['price']!s:>14}  {s['status']}"
            )
    if query["cursor"]:
        print(f"\nMore: signals list --cursor {query['cursor']}  (or --all)")
    return 0


def _store(args: argparse.Namespace) -> ProducerStore:
    endpoint = args.endpoint_url
    secret_id = args.secret_id or os.environ.get("PRODUCERS_SECRET_ID")
    if args.local:
        if not LOCAL_STATE.exists():
            raise CliError("the local stack is not running (start it with `make dev`)")
        state = json.loads(LOCAL_STATE.read_text())
        endpoint = endpoint or state["moto_endpoint"]
        secret_id = secret_id or state["secret_id"]
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        args.region = args.region or "us-east-1"
    if not secret_id:
        raise CliError("name the producers secret: --secret-id, PRODUCERS_SECRET_ID, or --local")
    return ProducerStore(secrets_client(endpoint, args.region), secret_id)


def cmd_producers(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        if args.action == "list":
            producers = store.list()
            if args.json:
                print(json.dumps(producers))
            for producer_id, count in producers.items() if not args.json else ():
                print(f"{producer_id}  ({count} secret{'s' if count != 1 else ''})")
            return 0
        if args.action in ("add", "rotate"):
            secret = (
                store.add(args.producer_id)
                if args.action == "add"
                else store.rotate(args.producer_id)
            )
            if args.json:
                print(json.dumps({"producer_id": args.producer_id, "secret": secret}))
            else:
                verb = "Added" if args.action == "add" else "Added a new secret for"
                print(
                    f"{verb} producer {args.producer_id}."
                    f" Its secret (shown once, keep it safe):\n{secret}"
                )
                if args.action == "rotate":
                    print(
                        "Both secrets work now; once senders use the new one:"
                        " signals producers retire",
                        args.producer_id,
                    )
                print("Running functions pick the change up within SIGNALS_SECRETS_CACHE_SECONDS.")
            return 0
        if args.action == "retire":
            retired = store.retire(args.producer_id)
            print(
                json.dumps({"retired": retired})
                if args.json
                else f"Retired {retired} old secret(s) of {args.producer_id}."
            )
            return 0
        store.remove(args.producer_id)
        print(
            json.dumps({"removed": args.producer_id})
            if args.json
            else f"Removed producer {args.producer_id}."
        )
        return 0
    except ProducerError as exc:
        raise CliError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signals", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help=f"API base URL (SIGNALS_API_URL, default {DEFAULT_URL})")
    common.add_argument("--producer", help="producer id (SIGNALS_PRODUCER_ID; 'demo' locally)")
    common.add_argument("--secret", help="producer secret whsec_... (SIGNALS_SECRET)")
    common.add_argument("--json", action="store_true", help="print JSON for scripts")
    commands = parser.add_subparsers(dest="command", required=True)

    send = commands.add_parser("send", parents=[common], help="send a signed signal")
    send.add_argument("--instrument", required=True)
    send.add_argument("--side", required=True, choices=["buy", "sell"])
    send.add_argument("--price", required=True, help="sent with exactly these digits")
    send.add_argument("--payload", help="a JSON object")
    send.add_argument("--version")
    send.add_argument("--external-id")
    send.add_argument("--message-id", help="webhook-id; reuse it to retry the same message")
    send.set_defaults(handler=cmd_send)

    get = commands.add_parser("get", parents=[common], help="show one signal")
    get.add_argument("signal_id")
    get.set_defaults(handler=cmd_get)

    listing = commands.add_parser("list", parents=[common], help="list signals, newest first")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--instrument")
    listing.add_argument("--status")
    listing.add_argument("--since", help="RFC 3339, inclusive")
    listing.add_argument("--until", help="RFC 3339, exclusive")
    listing.add_argument("--cursor")
    listing.add_argument("--all", action="store_true", help="follow every page")
    listing.set_defaults(handler=cmd_list)

    producers = commands.add_parser("producers", help="manage producers and their secrets")
    producers.add_argument("action", choices=["list", "add", "rotate", "retire", "remove"])
    producers.add_argument("producer_id", nargs="?")
    producers.add_argument("--local", action="store_true", help="the running local stack")
    producers.add_argument("--secret-id", help="producers secret (PRODUCERS_SECRET_ID)")
    producers.add_argument("--endpoint-url", help="Secrets Manager endpoint")
    producers.add_argument("--region")
    producers.add_argument("--json", action="store_true")
    producers.set_defaults(handler=cmd_producers)

    _add_chart_command(commands, common)
    return parser


def _add_chart_command(commands: Any, common: argparse.ArgumentParser) -> None:
    try:
        from signals_cli.charts import add_chart_command
    except ImportError:
        return
    add_chart_command(commands, common, _client, _call, _fail_on_problem)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "producers" and args.action != "list" and not args.producer_id:
        parser.error(f"producers {args.action} needs a producer id")
    try:
        return int(args.handler(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
