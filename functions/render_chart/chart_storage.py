"""Data access for rendered charts in S3: the only chart module that imports boto3."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from signals_common.errors import ServiceUnavailableError
from signals_common.producers import AWS_CLIENT_CONFIG

# Presigned links must use SigV4 (SigV2 is refused in newer regions).
S3_CLIENT_CONFIG = AWS_CLIENT_CONFIG.merge(Config(signature_version="s3v4"))
_REMEMBERED_KEYS = 4096
# The key is the content's hash, so a stored chart never changes.
CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class StoredChart:
    key: str
    size: int
    content_type: str
    last_modified: datetime


class ChartStore:
    """Charts in S3, with a short per-container memory of what is known to be stored.

    Remembering a stored key for `remember_seconds` saves a HeadObject on repeated hits;
    the cost is that an object deleted by hand may be linked to until that memory lapses.
    """

    def __init__(
        self,
        bucket: str,
        client: Any = None,
        remember_seconds: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bucket = bucket
        self._client = client or boto3.client("s3", config=S3_CLIENT_CONFIG)
        self._remember_seconds = remember_seconds
        self._clock = clock
        self._known: OrderedDict[str, tuple[float, StoredChart]] = OrderedDict()

    def _remember(self, chart: StoredChart) -> StoredChart:
        self._known[chart.key] = (self._clock(), chart)
        self._known.move_to_end(chart.key)
        while len(self._known) > _REMEMBERED_KEYS:
            self._known.popitem(last=False)
        return chart

    def find(self, key: str) -> StoredChart | None:
        remembered = self._known.get(key)
        if remembered is not None and self._clock() - remembered[0] < self._remember_seconds:
            return remembered[1]
        stored = self._head(key)
        return self._remember(stored) if stored is not None else None

    def _head(self, key: str) -> StoredChart | None:
        try:
            head = self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            # Without s3:ListBucket (least privilege), S3 answers 403 for a missing key. A real
            # permission problem then fails at the put, which is 503 too.
            if exc.response.get("Error", {}).get("Code") in {"403", "404", "NoSuchKey", "NotFound"}:
                return None
            raise ServiceUnavailableError("Chart storage is unavailable.") from exc
        except BotoCoreError as exc:
            raise ServiceUnavailableError("Chart storage is unavailable.") from exc
        return StoredChart(
            key, int(head["ContentLength"]), head["ContentType"], head["LastModified"]
        )

    def put(self, key: str, body: bytes, content_type: str) -> StoredChart:
        # S3 stamps LastModified (whole seconds) during the put, so this is never later.
        before = datetime.now(UTC).replace(microsecond=0)
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                CacheControl=CACHE_CONTROL,
                ServerSideEncryption="AES256",
            )
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailableError("Chart storage is unavailable.") from exc
        return self._remember(StoredChart(key, len(body), content_type, before))

    def refresh(self, chart: StoredChart) -> StoredChart:
        """Copy the object onto itself so the lifecycle rule counts its age from now."""
        try:
            self._client.copy_object(
                Bucket=self._bucket,
                Key=chart.key,
                CopySource={"Bucket": self._bucket, "Key": chart.key},
                MetadataDirective="REPLACE",
                ContentType=chart.content_type,
                CacheControl=CACHE_CONTROL,
                ServerSideEncryption="AES256",
            )
        except (BotoCoreError, ClientError) as exc:
            raise ServiceUnavailableError("Chart storage is unavailable.") from exc
        refreshed = self._head(chart.key)
        if refreshed is None:
            raise ServiceUnavailableError("Chart storage is unavailable.")
        return self._remember(refreshed)

    def presign(self, key: str, expires_in: int) -> str:
        return str(
            self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
            )
        )
