"""Producer management against the producers secret in Secrets Manager (AWS or the local stack)."""

from __future__ import annotations

import base64
import json
import os
import secrets as random
from typing import Any

from signals_common.auth import PRODUCER_ID_PATTERN

MAX_SECRETS_PER_PRODUCER = 5


class ProducerError(Exception):
    pass


def generate_secret() -> str:
    return "whsec_" + base64.b64encode(random.token_bytes(32)).decode()


class ProducerStore:
    """Read-modify-write of the one secret that holds every producer (SPEC §5)."""

    def __init__(self, client: Any, secret_id: str) -> None:
        self._client = client
        self._secret_id = secret_id

    def _read(self) -> dict[str, Any]:
        try:
            document = json.loads(
                self._client.get_secret_value(SecretId=self._secret_id)["SecretString"]
            )
        except self._client.exceptions.ResourceNotFoundException as exc:
            raise ProducerError(f"secret {self._secret_id!r} not found") from exc
        if not isinstance(document, dict):
            raise ProducerError("the producers secret is not a JSON object")
        document.setdefault("producers", {})
        return document

    def _write(self, document: dict[str, Any]) -> None:
        self._client.put_secret_value(SecretId=self._secret_id, SecretString=json.dumps(document))

    def list(self) -> dict[str, int]:
        """Producer ids with how many secrets each holds (never the secrets)."""
        return {
            pid: len(entry.get("secrets", []))
            for pid, entry in sorted(self._read()["producers"].items())
        }

    def add(self, producer_id: str) -> str:
        if not PRODUCER_ID_PATTERN.fullmatch(producer_id):
            raise ProducerError("producer ids match ^[a-z0-9][a-z0-9_-]{1,63}$")
        document = self._read()
        if producer_id in document["producers"]:
            raise ProducerError(f"producer {producer_id!r} already exists (use rotate)")
        secret = generate_secret()
        document["producers"][producer_id] = {"secrets": [secret]}
        self._write(document)
        return secret

    def rotate(self, producer_id: str) -> str:
        """Add a new secret beside the current ones; `retire` drops the old ones later."""
        document = self._read()
        entry = self._entry(document, producer_id)
        if len(entry["secrets"]) >= MAX_SECRETS_PER_PRODUCER:
            raise ProducerError(
                f"{producer_id!r} already holds {MAX_SECRETS_PER_PRODUCER} secrets: retire first"
            )
        secret = generate_secret()
        entry["secrets"].append(secret)
        self._write(document)
        return secret

    def retire(self, producer_id: str) -> int:
        """Keep only the newest secret; returns how many were retired."""
        document = self._read()
        entry = self._entry(document, producer_id)
        retired = len(entry["secrets"]) - 1
        entry["secrets"] = entry["secrets"][-1:]
        self._write(document)
        return retired

    def remove(self, producer_id: str) -> None:
        document = self._read()
        self._entry(document, producer_id)
        del document["producers"][producer_id]
        self._write(document)

    @staticmethod
    def _entry(document: dict[str, Any], producer_id: str) -> dict[str, Any]:
        entry = document["producers"].get(producer_id)
        if not isinstance(entry, dict) or not entry.get("secrets"):
            raise ProducerError(f"no producer {producer_id!r}")
        return entry


def secrets_client(endpoint_url: str | None, region: str | None) -> Any:
    import boto3

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.client("secretsmanager", endpoint_url=endpoint_url, region_name=region)
