"""Request models (constrained at the edge) and the Signal entity."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from signals_common.jsonio import JsonNumber, depth, dumps_exact, loads_exact

INSTRUMENT_PATTERN = r"^[A-Z0-9][A-Z0-9._:/-]{1,31}$"
VERSION_PATTERN = r"^[0-9]+(\.[0-9]+){0,3}$"
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"
MAX_PRICE = Decimal("1e12")
MAX_PRICE_DIGITS = 18
MAX_PAYLOAD_DEPTH = 8
SignalStatus = Literal["new", "approved", "rejected", "executed", "closed", "cancelled"]
Side = Literal["buy", "sell"]


def significant_digits(number_text: str) -> int:
    mantissa = re.split(r"[eE]", number_text.lstrip("-"), maxsplit=1)[0]
    return len(mantissa.replace(".", "").lstrip("0"))


def _validate_price(value: object) -> JsonNumber:
    if not isinstance(value, JsonNumber):
        raise ValueError("price must be a JSON number")
    if not value.is_finite():
        raise ValueError("price must be finite")
    if value <= 0:
        raise ValueError("price must be greater than 0")
    if value > MAX_PRICE:
        raise ValueError("price must be at most 1e12")
    if significant_digits(value.text) > MAX_PRICE_DIGITS:
        raise ValueError("price has more than 18 significant digits")
    return value


Price = Annotated[
    JsonNumber,
    PlainValidator(_validate_price),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": 1e12}),
]
Instrument = Annotated[str, Field(pattern=INSTRUMENT_PATTERN)]


class SignalCreateRequest(BaseModel):
    """Body of POST /api/v1/signals. Validate with context {"max_payload_bytes", "allowlist"}."""

    model_config = ConfigDict(extra="forbid", strict=True)

    instrument: Instrument
    side: Side
    price: Price
    payload: dict[str, Any] = Field(default_factory=dict)
    version: Annotated[str, Field(pattern=VERSION_PATTERN)] = "1.0"
    external_id: Annotated[str, Field(pattern=EXTERNAL_ID_PATTERN)] | None = None

    @field_validator("instrument")
    @classmethod
    def _allowed_instrument(cls, value: str, info: ValidationInfo) -> str:
        allowlist = (info.context or {}).get("allowlist")
        if allowlist and value not in allowlist:
            raise ValueError("instrument is not in the allowed list")
        return value

    @field_validator("payload")
    @classmethod
    def _bounded_payload(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if depth(value) > MAX_PAYLOAD_DEPTH:
            raise ValueError(f"payload nesting depth exceeds {MAX_PAYLOAD_DEPTH}")
        limit = (info.context or {}).get("max_payload_bytes", 1024)
        if len(dumps_exact(value).encode()) > limit:
            raise ValueError(f"payload exceeds {limit} bytes as compact JSON")
        return value


class Signal(BaseModel):
    """A stored signal. `price` and `payload_json` keep the exact text the sender wrote."""

    id: str
    producer_id: str
    instrument: str
    side: Side
    price_text: str
    payload_json: str
    version: str
    external_id: str | None
    status: SignalStatus
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> str:
        return dumps_exact(
            {
                "id": self.id,
                "producer_id": self.producer_id,
                "instrument": self.instrument,
                "side": self.side,
                "price": JsonNumber(self.price_text),
                "payload": loads_exact(self.payload_json.encode()),
                "version": self.version,
                "external_id": self.external_id,
                "status": self.status,
                "created_at": format_timestamp(self.created_at),
                "updated_at": format_timestamp(self.updated_at),
            }
        )


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds and Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def parse_rfc3339(value: str) -> datetime:
    if not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time with a time zone")
    head, dot, rest = value.partition(".")
    if dot:
        # Python parses at most microseconds; extra digits are below the millisecond anyway.
        digits = re.match(r"\d+", rest)
        assert digits is not None
        value = f"{head}.{digits.group()[:6].ljust(6, '0')}{rest[digits.end() :]}"
    return datetime.fromisoformat(value.replace("z", "Z").replace("t", "T")).astimezone(UTC)


Rfc3339 = Annotated[
    datetime,
    PlainValidator(lambda v: parse_rfc3339(v) if isinstance(v, str) else _not_text()),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _not_text() -> datetime:
    raise ValueError("must be an RFC 3339 date-time string")


class ListSignalsQuery(BaseModel):
    """Query of GET /api/v1/signals."""

    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=100)] = 50
    cursor: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    instrument: Instrument | None = None
    status: SignalStatus | None = None
    since: Rfc3339 | None = None
    until: Rfc3339 | None = None

    def filters(self) -> dict[str, str]:
        """The filters a cursor is bound to (everything but limit and cursor)."""
        chosen = {
            "instrument": self.instrument,
            "status": self.status,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {key: value for key, value in chosen.items() if value is not None}


class SignalPage(BaseModel):
    items: list[Signal]
    next_cursor: str | None

    def to_json(self) -> str:
        items = ",".join(signal.to_json() for signal in self.items)
        cursor = dumps_exact(self.next_cursor)
        return f'{{"items":[{items}],"next_cursor":{cursor}}}'


class SignalResponse(BaseModel):
    """The Signal as the API documents it (for the OpenAPI document)."""

    id: str
    producer_id: str
    instrument: str
    side: Side
    price: float
    payload: dict[str, Any]
    version: str
    external_id: str | None
    status: SignalStatus
    created_at: str
    updated_at: str


class SignalPageResponse(BaseModel):
    items: list[SignalResponse]
    next_cursor: str | None
