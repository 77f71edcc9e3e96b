"""PynamoDB records of the signals table (single-table design; see README "Data model")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.attributes import Attribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number kept as Decimal (pynamodb's NumberAttribute goes through float)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: Any) -> Decimal:
        return Decimal(value)


class _Meta:
    table_name = "signals"
    region: str | None = None
    host: str | None = None
    connect_timeout_seconds = 2
    read_timeout_seconds = 4
    # pynamodb turns this into botocore's standard retry mode with 1 + 3 attempts.
    max_retry_attempts = 3


class ByInstrumentIndex(GlobalSecondaryIndex["SignalRecord"]):
    class Meta:
        index_name = "by_instrument"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ByStatusIndex(GlobalSecondaryIndex["SignalRecord"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class SignalRecord(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    id = UnicodeAttribute()
    producer_id = UnicodeAttribute()
    instrument = UnicodeAttribute()
    side = UnicodeAttribute()
    price = DecimalAttribute(null=True)
    price_text = UnicodeAttribute()
    payload_json = UnicodeAttribute()
    version = UnicodeAttribute()
    external_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    by_instrument = ByInstrumentIndex()
    by_status = ByStatusIndex()


class GuardRecord(Model):
    """A deduplication guard: exists while its key (message id, external id, window) is taken."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    signal_id = UnicodeAttribute()
    body_sha256 = UnicodeAttribute(null=True)
    response = UnicodeAttribute(null=True)
    window_until_ms = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)
