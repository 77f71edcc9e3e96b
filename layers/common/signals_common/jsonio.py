"""JSON that keeps numbers exactly as written.

Prices must come back with the digits they were sent with, so numbers are parsed into
`JsonNumber` (a Decimal that remembers its text) and written back from that text.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from signals_common.errors import MalformedJsonError


class JsonNumber(Decimal):
    """A JSON number together with the exact text it was written as."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _reject_constant(name: str) -> Any:
    raise MalformedJsonError(f"{name} is not valid JSON.")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedJsonError(f"Duplicate member name {key!r}.")
        result[key] = value
    return result


def loads_exact(raw: bytes) -> Any:
    """Parse UTF-8 JSON, keeping numbers' text and refusing NaN, Infinity and duplicate keys."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedJsonError("The body is not valid UTF-8.") from exc
    try:
        return json.loads(
            text,
            parse_float=JsonNumber,
            parse_int=JsonNumber,
            parse_constant=_reject_constant,
            object_pairs_hook=_object_without_duplicates,
        )
    except RecursionError as exc:
        raise MalformedJsonError("The JSON is nested too deeply.") from exc
    except ValueError as exc:
        # json.JSONDecodeError's message names the line and column, which helps senders.
        raise MalformedJsonError(f"Invalid JSON: {exc}") from exc


def dumps_exact(value: Any) -> str:
    """Compact JSON in which every JsonNumber is written as its original text."""
    if isinstance(value, JsonNumber):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{dumps_exact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps_exact(item) for item in value) + "]"
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def depth(value: Any) -> int:
    """Nesting depth of containers: a flat object is 1, a scalar 0.

    Iterative, so that a body nested deeper than Python's recursion limit is measured
    (and refused) rather than crashing the request.
    """
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return deepest
