"""Data access for signals: the only module that talks to DynamoDB.

Every accepted signal is one TransactWriteItems: the signal item plus guard items for the
message id, the external id and the dedup window, each with a condition. AWS errors are
translated here, once, into domain errors.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection.base import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from signals_common.errors import (
    DuplicateSignalError,
    MessageIdTakenError,
    ServiceUnavailableError,
)
from signals_common.models import Signal, format_timestamp
from signals_common.records import GuardRecord, SignalRecord

_CONFLICT_RETRIES = 6


@dataclass(frozen=True)
class SignalWrite:
    """A signal about to be stored, with what its guards must hold."""

    signal: Signal
    message_id: str
    body_sha256: str
    response_json: str
    window_until_ms: int | None
    message_expires_at: datetime


@dataclass(frozen=True)
class ListRange:
    producer_id: str
    instrument: str | None
    status: str | None
    lowest_id: str | None
    highest_id: str | None
    after_id: str | None
    limit: int


def _signal_pk(producer_id: str) -> str:
    return f"P#{producer_id}"


def _instrument_pk(producer_id: str, instrument: str) -> str:
    return f"P#{producer_id}#I#{instrument}"


def _status_pk(producer_id: str, status: str) -> str:
    return f"P#{producer_id}#T#{status}"


class SignalRepository:
    def __init__(self, table_name: str, host: str | None = None) -> None:
        # pynamodb binds a model to its table through Meta; one table per container.
        for record in (SignalRecord, GuardRecord):
            record.Meta.table_name = table_name
            record.Meta.host = host

    def create(self, write: SignalWrite, now_ms: int) -> None:
        """Store the signal and its guards atomically, or raise the guard that was taken."""
        guards = self._guards(write, now_ms)
        for attempt in range(_CONFLICT_RETRIES):
            try:
                self._transact(write, guards)
                return
            except TransactWriteError as exc:
                reasons = exc.cancellation_reasons
                codes = [reason.code if reason else None for reason in reasons]
                if "ConditionalCheckFailed" in codes:
                    self._raise_taken_guard(guards, reasons)
                if "TransactionConflict" in codes and attempt + 1 < _CONFLICT_RETRIES:
                    # A concurrent writer holds one of our keys; its outcome decides ours.
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                    continue
                raise ServiceUnavailableError() from exc
            except (PynamoDBException, BotoCoreError, ClientError) as exc:
                raise ServiceUnavailableError() from exc
        raise ServiceUnavailableError()

    def _guards(self, write: SignalWrite, now_ms: int) -> list[tuple[str, GuardRecord, Condition]]:
        signal = write.signal
        owner = _signal_pk(signal.producer_id)
        not_taken: Condition = GuardRecord.pk.does_not_exist()
        guards: list[tuple[str, GuardRecord, Condition]] = [
            (
                "message",
                GuardRecord(
                    f"{owner}#M#{write.message_id}",
                    "M",
                    signal_id=signal.id,
                    body_sha256=write.body_sha256,
                    response=write.response_json,
                    expires_at=write.message_expires_at,
                ),
                not_taken,
            )
        ]
        if signal.external_id is not None:
            guards.append(
                (
                    "external_id",
                    GuardRecord(f"{owner}#X#{signal.external_id}", "X", signal_id=signal.id),
                    not_taken,
                )
            )
        if write.window_until_ms is not None:
            window_key = f"{owner}#W#{signal.instrument}#{signal.side}#{signal.version}"
            guards.append(
                (
                    "window",
                    GuardRecord(
                        window_key,
                        "W",
                        signal_id=signal.id,
                        window_until_ms=write.window_until_ms,
                        expires_at=datetime.fromtimestamp(write.window_until_ms / 1000 + 1, tz=UTC),
                    ),
                    # An expired guard may linger until DynamoDB's TTL sweep: it no longer counts.
                    not_taken | (GuardRecord.window_until_ms <= now_ms),
                )
            )
        return guards

    def _transact(
        self, write: SignalWrite, guards: list[tuple[str, GuardRecord, Condition]]
    ) -> None:
        signal = write.signal
        record = SignalRecord(
            _signal_pk(signal.producer_id),
            f"S#{signal.id}",
            gsi1pk=_instrument_pk(signal.producer_id, signal.instrument),
            gsi1sk=signal.id,
            gsi2pk=_status_pk(signal.producer_id, signal.status),
            gsi2sk=signal.id,
            id=signal.id,
            producer_id=signal.producer_id,
            instrument=signal.instrument,
            side=signal.side,
            price=_dynamodb_number(signal.price_text),
            price_text=signal.price_text,
            payload_json=signal.payload_json,
            version=signal.version,
            external_id=signal.external_id,
            status=signal.status,
            created_at=format_timestamp(signal.created_at),
            updated_at=format_timestamp(signal.updated_at),
        )
        # The signal id is new on every attempt, so a token per id makes botocore's own
        # retries of this call idempotent without turning a sender's retry into a no-op.
        with TransactWrite(connection=_connection(), client_request_token=signal.id) as tx:
            tx.save(record, condition=SignalRecord.pk.does_not_exist())
            for _, guard, condition in guards:
                tx.save(guard, condition=condition, return_values="ALL_OLD")

    @staticmethod
    def _raise_taken_guard(
        guards: list[tuple[str, GuardRecord, Condition]], reasons: list[Any]
    ) -> None:
        taken: dict[str, GuardRecord] = {}
        # reasons[0] is the signal item itself; guards follow in the order they were added.
        for (kind, _, _), reason in zip(guards, reasons[1:], strict=False):
            if reason is not None and reason.code == "ConditionalCheckFailed" and reason.raw_item:
                taken[kind] = GuardRecord.from_raw_data(reason.raw_item)
        if "message" in taken:
            old = taken["message"]
            raise MessageIdTakenError(old.signal_id, old.body_sha256 or "", old.response or "")
        for kind in ("external_id", "window"):
            if kind in taken:
                raise DuplicateSignalError(kind, taken[kind].signal_id)
        raise ServiceUnavailableError()

    def get(self, producer_id: str, signal_id: str) -> Signal | None:
        try:
            record = SignalRecord.get(
                _signal_pk(producer_id), f"S#{signal_id}", consistent_read=True
            )
        except SignalRecord.DoesNotExist:
            return None
        except (PynamoDBException, BotoCoreError, ClientError) as exc:
            raise ServiceUnavailableError() from exc
        return _to_signal(record)

    def list(self, wanted: ListRange) -> tuple[list[Signal], bool]:
        """Newest first, at most `limit`; the flag says whether more follow."""
        try:
            records = list(self._query(wanted))
        except (PynamoDBException, BotoCoreError, ClientError) as exc:
            raise ServiceUnavailableError() from exc
        return [_to_signal(r) for r in records[: wanted.limit]], len(records) > wanted.limit

    def _query(self, wanted: ListRange) -> Iterator[SignalRecord]:
        producer = wanted.producer_id
        filter_condition = None
        start_key: dict[str, Any] | None = None
        if wanted.instrument is not None:
            source: Any = SignalRecord.by_instrument
            hash_key = _instrument_pk(producer, wanted.instrument)
            range_attr: Any = SignalRecord.gsi1sk
            prefix = ""
            if wanted.status is not None:
                filter_condition = SignalRecord.status == wanted.status
        elif wanted.status is not None:
            source = SignalRecord.by_status
            hash_key = _status_pk(producer, wanted.status)
            range_attr = SignalRecord.gsi2sk
            prefix = ""
        else:
            source = SignalRecord
            hash_key = _signal_pk(producer)
            range_attr = SignalRecord.sk
            prefix = "S#"

        if wanted.after_id is not None:
            start_key = {"pk": {"S": _signal_pk(producer)}, "sk": {"S": f"S#{wanted.after_id}"}}
            if source is not SignalRecord:
                start_key[range_attr.attr_name[:-2] + "pk"] = {"S": hash_key}
                start_key[range_attr.attr_name] = {"S": wanted.after_id}

        low = prefix + wanted.lowest_id if wanted.lowest_id else None
        high = prefix + wanted.highest_id if wanted.highest_id else None
        if low and high:
            range_condition = range_attr.between(low, high)
        elif low:
            range_condition = range_attr >= low
        elif high:
            range_condition = range_attr <= high
        else:
            range_condition = range_attr.startswith(prefix) if prefix else None

        query_args: dict[str, Any] = {
            "range_key_condition": range_condition,
            "filter_condition": filter_condition,
            "scan_index_forward": False,
            "limit": wanted.limit + 1,
            "page_size": wanted.limit + 1,
            "last_evaluated_key": start_key,
        }
        if source is SignalRecord:
            query_args["consistent_read"] = True
        return source.query(hash_key, **query_args)


# DynamoDB numbers stop at 1E-130; the exact text is kept beside the number anyway.
_SMALLEST_DYNAMODB_NUMBER = Decimal("1E-130")


def _dynamodb_number(text: str) -> Decimal | None:
    number = Decimal(text)
    return number if number >= _SMALLEST_DYNAMODB_NUMBER else None


def _connection() -> Connection:
    # Reuse the models' own botocore client: one client (and one TLS pool) per container.
    return SignalRecord._get_connection().connection


def _to_signal(record: Model) -> Signal:
    assert isinstance(record, SignalRecord)
    return Signal(
        id=record.id,
        producer_id=record.producer_id,
        instrument=record.instrument,
        side=record.side,  # type: ignore[arg-type]
        price_text=record.price_text,
        payload_json=record.payload_json,
        version=record.version,
        external_id=record.external_id,
        status=record.status,  # type: ignore[arg-type]
        created_at=datetime.fromisoformat(record.created_at),
        updated_at=datetime.fromisoformat(record.updated_at),
    )
