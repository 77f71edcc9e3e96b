"""The checked-in OpenAPI document is the one the handlers generate, and covers every route."""

from __future__ import annotations

import json

from local_stack.openapi import build_document
from local_stack.template import ROOT, load_template, routes


def test_checked_in_document_is_up_to_date() -> None:
    generated = build_document()
    checked_in = json.loads((ROOT / "openapi.json").read_text())
    assert checked_in == generated, "run `make openapi` and commit openapi.json"


def test_document_covers_every_route_with_its_contract() -> None:
    document = build_document()
    assert document["openapi"].startswith("3.1")
    for route in routes(load_template()):
        operation = document["paths"][route.path][route.method.lower()]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert {"x-producer-id", "webhook-id", "webhook-timestamp", "webhook-signature"} <= headers
        assert {"401", "503"} <= set(operation["responses"])
    create = document["paths"]["/api/v1/signals"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    assert create["schema"]["additionalProperties"] is False
    assert set(create["schema"]["required"]) == {"instrument", "side", "price"}
    listing = document["paths"]["/api/v1/signals"]["get"]
    queries = {p["name"] for p in listing["parameters"] if p["in"] == "query"}
    assert queries == {"limit", "cursor", "instrument", "status", "since", "until"}
