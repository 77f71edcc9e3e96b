"""Chart logic: validate, address by content, answer from S3 or render (lazily) and store."""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from charting.canonical import chart_key
from charting.errors import MissingColumnError, NoNumericDataError
from charting.requests import ChartRequest, check_renderable
from signals_common import errors
from signals_common.models import format_timestamp
from signals_common.service import validation_errors
from signals_common.settings import Settings

if TYPE_CHECKING:
    from chart_storage import ChartStore, StoredChart


class ChartLinkResponse(BaseModel):
    """The answer of POST /api/v1/charts (for the OpenAPI document)."""

    url: str
    expires_at: str
    key: str
    sha256: str
    cached: bool
    bytes: int
    content_type: Literal["image/png", "image/svg+xml"]
    kind: Literal["candlestick", "equity", "histogram"]


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


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ChartAddress:
    sha256: str
    key: str
    kind: str


# Raw request body digest -> where its chart lives. The same bytes always make the same
# request, so a repeated body can skip parsing and validation (per container, bounded).
_RECENT_BODIES: OrderedDict[bytes, ChartAddress] = OrderedDict()
_RECENT_BODIES_LIMIT = 1024


def chart_link_for_body(
    body: bytes, store: ChartStore, settings: Settings, now: Callable[[], datetime] = _utcnow
) -> RenderOutcome:
    """The link for a raw request body: validated and rendered as needed."""
    digest = hashlib.sha256(body).digest()
    address = _RECENT_BODIES.get(digest)
    if address is not None:
        stored = store.find(address.key)
        if stored is not None:
            stored = _fresh_enough(stored, store, settings, now())
            return RenderOutcome(_link(address, stored, store, settings, now(), cached=True), None)
        # Known body, object gone (expired or deleted): render without asking S3 again.
        return _render_and_store(parse_chart_request(body), address, store, settings, now)
    outcome = chart_link(parse_chart_request(body), store, settings, now)
    _RECENT_BODIES[digest] = ChartAddress(outcome.link.sha256, outcome.link.key, outcome.link.kind)
    while len(_RECENT_BODIES) > _RECENT_BODIES_LIMIT:
        _RECENT_BODIES.popitem(last=False)
    return outcome


def chart_link(
    request: ChartRequest,
    store: ChartStore,
    settings: Settings,
    now: Callable[[], datetime] = _utcnow,
) -> RenderOutcome:
    sha256, key = chart_key(request)
    address = ChartAddress(sha256, key, request.kind)
    stored = store.find(key)
    if stored is not None:
        stored = _fresh_enough(stored, store, settings, now())
        return RenderOutcome(_link(address, stored, store, settings, now(), cached=True), None)
    return _render_and_store(request, address, store, settings, now)


def _render_and_store(
    request: ChartRequest,
    address: ChartAddress,
    store: ChartStore,
    settings: Settings,
    now: Callable[[], datetime],
) -> RenderOutcome:
    started = time.perf_counter()
    # Imported here: a cache hit never pays for matplotlib, pandas or numpy.
    from charting.render import render

    image, content_type = render(request)
    render_ms = (time.perf_counter() - started) * 1000
    if len(image) > settings.media_max_bytes:
        raise errors.ChartTooLargeError(
            f"The chart is {len(image)} bytes, over the {settings.media_max_bytes} byte limit."
        )
    stored = store.put(address.key, image, content_type)
    return RenderOutcome(_link(address, stored, store, settings, now(), cached=False), render_ms)


def _link(
    address: ChartAddress,
    stored: StoredChart,
    store: ChartStore,
    settings: Settings,
    moment: datetime,
    cached: bool,
) -> ChartLink:
    expires_at = min(
        moment + timedelta(seconds=settings.media_url_ttl_seconds),
        lifecycle_expiry(stored.last_modified, settings.media_ttl_days),
    )
    return ChartLink(
        url=store.presign(address.key, max(1, int((expires_at - moment).total_seconds()))),
        expires_at=expires_at,
        key=address.key,
        sha256=address.sha256,
        cached=cached,
        bytes=stored.size,
        content_type=stored.content_type,
        kind=address.kind,
    )


def _fresh_enough(
    stored: StoredChart, store: ChartStore, settings: Settings, moment: datetime
) -> StoredChart:
    """Refresh an object that would expire before a full-length link does."""
    remaining = lifecycle_expiry(stored.last_modified, settings.media_ttl_days) - moment
    if remaining < timedelta(seconds=settings.media_url_ttl_seconds):
        return store.refresh(stored)
    return stored
