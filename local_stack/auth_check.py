"""Validation of the LOCAL_PRODUCERS setting."""

from __future__ import annotations

from typing import Any

from signals_common.auth import PRODUCER_ID_PATTERN, decode_secret


def valid_local_producers(document: Any) -> dict[str, str]:
    if not isinstance(document, dict) or not document:
        raise ValueError('expected a JSON object such as {"alice": "whsec_..."}')
    for producer, secret in document.items():
        if not PRODUCER_ID_PATTERN.fullmatch(producer):
            raise ValueError(
                f"producer id {producer!r} does not match ^[a-z0-9][a-z0-9_-]{{1,63}}$"
            )
        if not isinstance(secret, str) or decode_secret(secret) is None:
            raise ValueError(f"the secret of {producer!r} is not whsec_<base64 of 24-64 bytes>")
    return dict(document)
