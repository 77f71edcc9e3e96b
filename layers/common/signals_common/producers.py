"""Data access for producer secrets, kept in one Secrets Manager secret (SPEC §5)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from signals_common.errors import ServiceUnavailableError

AWS_CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=4,
    retries={"mode": "standard", "total_max_attempts": 3},
)


class ProducerDirectory:
    """Producers and their secrets, cached in memory for `cache_seconds`."""

    def __init__(
        self,
        secret_id: str,
        cache_seconds: int,
        client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret_id = secret_id
        self._cache_seconds = cache_seconds
        self._client = client or boto3.client("secretsmanager", config=AWS_CLIENT_CONFIG)
        self._clock = clock
        self._document: dict[str, Any] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def secrets_of(self, producer_id: str) -> list[str] | None:
        entry = self._load().get("producers", {}).get(producer_id)
        if not isinstance(entry, dict):
            return None
        secrets = entry.get("secrets")
        if not isinstance(secrets, list):
            return None
        return [s for s in secrets if isinstance(s, str)] or None

    def cursor_key(self, producer_id: str) -> bytes:
        """The key that signs list cursors: the deployment's `cursor_key`, else derived."""
        document = self._load()
        configured = document.get("cursor_key")
        if isinstance(configured, str) and len(configured) >= 16:
            return hashlib.sha256(configured.encode()).digest()
        material = "\n".join(sorted(self.secrets_of(producer_id) or []))
        return hmac.new(b"signals-cursor-v1", material.encode(), hashlib.sha256).digest()

    def _load(self) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            if self._document is not None and now - self._loaded_at < self._cache_seconds:
                return self._document
            try:
                answer = self._client.get_secret_value(SecretId=self._secret_id)
                document = json.loads(answer["SecretString"])
            except (BotoCoreError, ClientError, KeyError, ValueError) as exc:
                raise ServiceUnavailableError("The producer directory is unavailable.") from exc
            if not isinstance(document, dict):
                raise ServiceUnavailableError("The producer directory is unavailable.")
            self._document, self._loaded_at = document, now
            return document
