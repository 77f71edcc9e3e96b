"""The OpenAPI 3.1 document of the whole API, generated from the handlers' resolvers.

Each function's Powertools resolver describes its own routes; this merges them and adds
what the handlers parse themselves (bodies, list query, signature headers, problems).
`make openapi` writes it to openapi.json; the local front serves it at /openapi.json.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from local_stack.front import load_handler_module
from local_stack.template import load_template, routes

TITLE = "signals-serverless"
VERSION = "1.0.0"

_SIGNATURE_HEADERS = [
    ("x-producer-id", "Producer id", {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{1,63}$"}),
    (
        "webhook-id",
        "Message id; reused on retries",
        {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$"},
    ),
    (
        "webhook-timestamp",
        "Unix time in whole seconds",
        {"type": "string", "pattern": "^[0-9]{1,12}$"},
    ),
    (
        "webhook-signature",
        "Space-separated v1,<base64 HMAC-SHA256> entries",
        {"type": "string", "maxLength": 4096},
    ),
]

_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "reason": {"type": "string", "enum": ["external_id", "window"]},
        "existing_signal_id": {"type": "string"},
        "limit_bytes": {"type": "integer"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
            },
        },
    },
}

_ERRORS = {
    "400": "Malformed JSON, invalid query or cursor",
    "401": "Authentication failed",
    "404": "Not found",
    "409": "Duplicate signal or reused message id",
    "413": "Payload too large",
    "415": "Unsupported media type",
    "422": "Validation failed",
    "503": "Service unavailable (see Retry-After)",
}


_ERRORS_OF = {
    ("post", "/api/v1/signals"): ("400", "401", "409", "413", "415", "422", "503"),
    ("get", "/api/v1/signals/{signal_id}"): ("401", "404", "503"),
    ("get", "/api/v1/signals"): ("400", "401", "503"),
    ("post", "/api/v1/charts"): ("400", "401", "413", "415", "422", "503"),
}


def _request_models() -> dict[tuple[str, str], Any]:
    from signals_common.models import ListSignalsQuery, SignalCreateRequest

    models: dict[tuple[str, str], Any] = {
        ("post", "/api/v1/signals"): SignalCreateRequest,
        ("get", "/api/v1/signals"): ListSignalsQuery,
    }
    try:
        from charting.requests import ChartRequest
    except ImportError:
        return models
    models[("post", "/api/v1/charts")] = ChartRequest
    return models


def build_document() -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": {},
        "components": {"schemas": {"Problem": _PROBLEM_SCHEMA}},
    }
    loaded: set[str] = set()
    for route in routes(load_template()):
        if route.function in loaded:
            continue
        loaded.add(route.function)
        app = load_handler_module(route).app
        part = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        for path, operations in part["paths"].items():
            document["paths"].setdefault(path, {}).update(operations)
        for name, schema in part.get("components", {}).get("schemas", {}).items():
            if "ValidationError" not in name:
                document["components"]["schemas"][name] = schema

    models = _request_models()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            operation.setdefault("parameters", [])
            operation["parameters"] += [
                {
                    "name": name,
                    "in": "header",
                    "required": True,
                    "description": text,
                    "schema": schema,
                }
                for name, text, schema in _SIGNATURE_HEADERS
            ]
            model = models.get((method, path))
            if model is not None and method == "post":
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": model.model_json_schema()}},
                }
            elif model is not None:
                schema = model.model_json_schema()
                operation["parameters"] += [
                    {"name": name, "in": "query", "required": False, "schema": field_schema}
                    for name, field_schema in schema["properties"].items()
                ]
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _ERRORS_OF[(method, path)]:
                text = _ERRORS[status]
                responses[status] = {
                    "description": text,
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                }
    return document


def main() -> int:
    json.dump(build_document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
