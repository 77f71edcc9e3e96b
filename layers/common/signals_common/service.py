"""Signals logic: between the HTTP edge and the data access (repository)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import ValidationError

from signals_common.cursor import decode_cursor, encode_cursor
from signals_common.errors import (
    InvalidQueryError,
    MessageIdReusedError,
    MessageIdTakenError,
    NotFoundError,
    ValidationFailedError,
)
from signals_common.ids import highest_ulid, is_ulid, lowest_ulid, new_ulid
from signals_common.jsonio import dumps_exact, loads_exact
from signals_common.models import ListSignalsQuery, Signal, SignalCreateRequest, SignalPage
from signals_common.settings import Settings

if TYPE_CHECKING:
    from signals_common.repository import SignalRepository


@dataclass(frozen=True)
class IngestOutcome:
    signal_id: str
    signal_json: str
    replayed: bool


def validation_errors(exc: ValidationError, location: str) -> list[dict[str, object]]:
    return [
        {"loc": [location, *error["loc"]], "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


def parse_create_request(body: bytes, settings: Settings) -> SignalCreateRequest:
    document = loads_exact(body)
    try:
        return SignalCreateRequest.model_validate(
            document,
            context={
                "max_payload_bytes": settings.max_payload_bytes,
                "allowlist": settings.instrument_allowlist,
            },
        )
    except ValidationError as exc:
        raise ValidationFailedError(validation_errors(exc, "body")) from exc


def ingest_signal(
    *,
    producer_id: str,
    message_id: str,
    body: bytes,
    repository: SignalRepository,
    settings: Settings,
    now: float,
) -> IngestOutcome:
    from signals_common.repository import SignalWrite

    request = parse_create_request(body, settings)
    now_ms = int(now * 1000)
    created_at = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    signal = Signal(
        id=new_ulid(now_ms),
        producer_id=producer_id,
        instrument=request.instrument,
        side=request.side,
        price_text=request.price.text,
        payload_json=dumps_exact(request.payload),
        version=request.version,
        external_id=request.external_id,
        status="new",
        created_at=created_at,
        updated_at=created_at,
    )
    signal_json = signal.to_json()
    body_sha256 = hashlib.sha256(body).hexdigest()
    window = settings.dedup_window_seconds
    write = SignalWrite(
        signal=signal,
        message_id=message_id,
        body_sha256=body_sha256,
        response_json=signal_json,
        window_until_ms=now_ms + window * 1000 if window > 0 else None,
        message_expires_at=created_at + timedelta(seconds=settings.message_id_ttl_seconds),
    )
    try:
        repository.create(write, now_ms)
    except MessageIdTakenError as taken:
        if taken.body_sha256 != body_sha256:
            raise MessageIdReusedError() from taken
        return IngestOutcome(
            signal_id=taken.signal_id, signal_json=taken.response_json, replayed=True
        )
    return IngestOutcome(signal_id=signal.id, signal_json=signal_json, replayed=False)


def get_signal(producer_id: str, signal_id: str, repository: SignalRepository) -> Signal:
    not_found = NotFoundError("No such signal.")
    if not is_ulid(signal_id):
        raise not_found
    signal = repository.get(producer_id, signal_id)
    if signal is None:
        raise not_found
    return signal


def parse_list_query(params: Mapping[str, Sequence[str]]) -> ListSignalsQuery:
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        raise InvalidQueryError(f"Query parameters given more than once: {', '.join(repeated)}.")
    try:
        query = ListSignalsQuery.model_validate(
            {name: values[0] for name, values in params.items()}
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise InvalidQueryError(f"Invalid query: {problems}.") from exc
    if query.since and query.until and query.since >= query.until:
        raise InvalidQueryError("Invalid query: since must be earlier than until.")
    return query


def _ceil_ms(moment: datetime) -> int:
    return math.ceil(moment.timestamp() * 1000 - 1e-6)


def list_signals(
    producer_id: str, query: ListSignalsQuery, repository: SignalRepository, cursor_key: bytes
) -> SignalPage:
    from signals_common.repository import ListRange

    filters = query.filters()
    after_id = (
        decode_cursor(cursor_key, producer_id, filters, query.cursor) if query.cursor else None
    )
    # created_at has millisecond precision and equals the id's time, so the time filters
    # become a key range: the page costs the same however deep it is.
    lowest = lowest_ulid(_ceil_ms(query.since)) if query.since else None
    highest = highest_ulid(_ceil_ms(query.until) - 1) if query.until else None
    items, more = repository.list(
        ListRange(
            producer_id=producer_id,
            instrument=query.instrument,
            status=query.status,
            lowest_id=lowest,
            highest_id=highest,
            after_id=after_id,
            limit=query.limit,
        )
    )
    next_cursor = encode_cursor(cursor_key, producer_id, filters, items[-1].id) if more else None
    return SignalPage(items=items, next_cursor=next_cursor)
