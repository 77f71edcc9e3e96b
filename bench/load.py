"""The load generator of section 7, run as its own process: `python -m bench.load <json>`.

Each client is a thread with one keep-alive HTTP connection (or one boto3 client for the
PutItem floor) sending requests back to back for a fixed time. Prints one JSON line per
measurement: requests per second, latencies (seconds) and non-2xx answers.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
import uuid
from typing import Any


def _front_client(config: dict[str, Any]) -> Any:
    from signals_cli.client import SignalsClient

    signer = SignalsClient(config["url"], config["producer"], config["secret"])
    host, port = config["url"].removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def send() -> int:
        body = json.dumps(
            {"instrument": "L" + uuid.uuid4().hex[:16].upper(), "side": "buy", "price": 1.105}
        ).encode()
        headers = signer.signed_headers(body)
        headers["content-type"] = "application/json"
        connection.request("POST", "/api/v1/signals", body, headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status

    return send


def _local_dynamodb(config: dict[str, Any]) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=config["dynamodb"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the emulator accepts any
    )


def _floor_client(config: dict[str, Any]) -> Any:
    client = _local_dynamodb(config)

    def send() -> int:
        client.put_item(
            TableName=config["table"],
            Item={
                "pk": {"S": f"FLOOR#{uuid.uuid4().hex}"},
                "sk": {"S": "F"},
                "price": {"N": "1.105"},
                "side": {"S": "buy"},
            },
        )
        return 200

    return send


def _transact_client(config: dict[str, Any]) -> Any:
    client = _local_dynamodb(config)

    def send() -> int:
        key = uuid.uuid4().hex
        items = [
            {"pk": {"S": f"FLOOR#{key}"}, "sk": {"S": "S"}, "price": {"N": "1.105"}},
            {"pk": {"S": f"FLOOR#{key}#M"}, "sk": {"S": "M"}},
            {"pk": {"S": f"FLOOR#{key}#W"}, "sk": {"S": "W"}},
        ]
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": config["table"],
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for item in items
            ]
        )
        return 200

    return send


def measure(kind: str, clients: int, seconds: float, config: dict[str, Any]) -> dict[str, Any]:
    factory = {"front": _front_client, "floor": _floor_client, "transact": _transact_client}[kind]
    senders = [factory(config) for _ in range(clients)]
    latencies: list[list[float]] = [[] for _ in senders]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def loop(index: int) -> None:
        send, spent = senders[index], latencies[index]
        start.wait()
        while time.perf_counter() < deadline[0]:
            began = time.perf_counter()
            status = send()
            spent.append(time.perf_counter() - began)
            if status >= 300:
                errors[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [value for spent in latencies for value in spent]
    return {
        "kind": kind,
        "clients": clients,
        "count": len(every),
        "rate": len(every) / elapsed,
        "latencies": every,
        "errors": sum(errors),
    }


def main() -> None:
    config = json.loads(sys.argv[1])
    for kind, clients in config["plan"]:
        result = measure(kind, clients, config["seconds"], config)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
