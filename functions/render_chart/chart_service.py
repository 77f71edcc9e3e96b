"""Chart logic: validate, address by content, answer from S3 or render (lazily) and store."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from charting.canonical import chart_key
from charting.errors import MissingColumnError, NoNumericDataError
from charting.requests import ChartRequest, check_renderable
from signals_common import errors
from signals_common.models import format_timestamp
from signals_common.service import validation_errors
from signals_common.settings import Settings

if TYPE_CHECKING:
    from chart_storage import ChartStore, StoredChart


@dataclass(frozen=True)
class ChartLink:
    url: str
    expires_at: datetime
    key: str
    sha256: str
    cached: bool
    bytes: int
    content_type: str
    kind: str

    def to_document(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "expires_at": format_timestamp(self.expires_at),
            "key": self.key,
            "sha256": self.sha256,
            "cached": self.cached,
            "bytes": self.bytes,
            "content_type": self.content_type,
            "kind": self.kind,
        }


def _reject_constant(name: str) -> Any:
    raise errors.MalformedJsonError(f"{name} is not valid JSON.")


def parse_chart_request(body: bytes) -> ChartRequest:
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise errors.MalformedJsonError("The body is not valid UTF-8.") from exc
    except RecursionError as exc:
        raise errors.MalformedJsonError("The JSON is nested too deeply.") from exc
    except ValueError as exc:
        raise errors.MalformedJsonError(f"Invalid JSON: {exc}") from exc
    try:
        request = ChartRequest.model_validate(document)
    except ValidationError as exc:
        raise errors.ValidationFailedError(validation_errors(exc, "body")) from exc
    try:
        check_renderable(request)
    except MissingColumnError as exc:
        raise errors.MissingColumnError(exc.detail) from exc
    except NoNumericDataError as exc:
        raise errors.NoNumericDataError(exc.detail) from exc
    return request


def lifecycle_expiry(last_modified: datetime, ttl_days: int) -> datetime:
    """When S3's lifecycle rule deletes an object: N days on, rounded up to midnight UTC."""
    due = last_modified.astimezone(UTC) + timedelta(days=ttl_days)
    midnight = due.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == due else midnight + timedelta(days=1)


@dataclass(frozen=True)
class RenderOutcome:
    link: ChartLink
    render_ms: float | None


def chart_link(
    request: ChartRequest,
    store: ChartStore,
    settings: Settings,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RenderOutcome:
    sha256, key = chart_key(request)
    stored = store.find(key)
    render_ms = None
    if stored is not None:
        stored = _fresh_enough(stored, store, settings, now())
    else:
        started = time.perf_counter()
        # Imported here: a cache hit never pays for matplotlib, pandas or numpy.
        from charting.render import render

        image, content_type = render(request)
        render_ms = (time.perf_counter() - started) * 1000
        if len(image) > settings.media_max_bytes:
            raise errors.ChartTooLargeError(
                f"The chart is {len(image)} bytes, over the {settings.media_max_bytes} byte limit."
            )
        store.put(key, image, content_type)
        from chart_storage import StoredChart

        stored = StoredChart(key, len(image), content_type, now())
    moment = now()
    expires_at = min(
        moment + timedelta(seconds=settings.media_url_ttl_seconds),
        lifecycle_expiry(stored.last_modified, settings.media_ttl_days),
    )
    url = store.presign(key, max(1, int((expires_at - moment).total_seconds())))
    link = ChartLink(
        url=url,
        expires_at=expires_at,
        key=key,
        sha256=sha256,
        cached=render_ms is None,
        bytes=stored.size,
        content_type=stored.content_type,
        kind=request.kind,
    )
    return RenderOutcome(link, render_ms)


def _fresh_enough(
    stored: StoredChart, store: ChartStore, settings: Settings, moment: datetime
) -> StoredChart:
    """Refresh an object that would expire before a full-length link does."""
    remaining = lifecycle_expiry(stored.last_modified, settings.media_ttl_days) - moment
    if remaining < timedelta(seconds=settings.media_url_ttl_seconds):
        return store.refresh(stored)
    return stored
