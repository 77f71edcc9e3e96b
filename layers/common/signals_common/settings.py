"""Typed settings, read from the environment once per container."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(default="", alias="SIGNALS_TABLE_NAME")
    producers_secret_id: str = Field(default="", alias="PRODUCERS_SECRET_ID")
    media_bucket_name: str = Field(default="", alias="MEDIA_BUCKET_NAME")

    timestamp_tolerance_seconds: Annotated[int, Field(ge=1, le=3600)] = Field(
        default=300, alias="SIGNALS_TIMESTAMP_TOLERANCE_SECONDS"
    )
    max_body_bytes: Annotated[int, Field(ge=256, le=1_048_576)] = Field(
        default=16384, alias="SIGNALS_MAX_BODY_BYTES"
    )
    max_payload_bytes: Annotated[int, Field(ge=2, le=262_144)] = Field(
        default=1024, alias="SIGNALS_MAX_PAYLOAD_BYTES"
    )
    dedup_window_seconds: Annotated[int, Field(ge=0, le=31_536_000)] = Field(
        default=300, alias="SIGNALS_DEDUP_WINDOW_SECONDS"
    )
    message_id_ttl_seconds: Annotated[int, Field(ge=300, le=31_536_000)] = Field(
        default=604_800, alias="SIGNALS_MESSAGE_ID_TTL_SECONDS"
    )
    secrets_cache_seconds: Annotated[int, Field(ge=0, le=86_400)] = Field(
        default=300, alias="SIGNALS_SECRETS_CACHE_SECONDS"
    )
    instrument_allowlist: frozenset[str] = Field(
        default=frozenset(), alias="SIGNALS_INSTRUMENT_ALLOWLIST"
    )

    media_max_request_bytes: Annotated[int, Field(ge=1024, le=6_000_000)] = Field(
        default=5 * 1024 * 1024, alias="MEDIA_MAX_REQUEST_BYTES"
    )
    media_max_bytes: Annotated[int, Field(ge=1024)] = Field(
        default=5 * 1024 * 1024, alias="MEDIA_MAX_BYTES"
    )
    media_url_ttl_seconds: Annotated[int, Field(ge=1, le=604_800)] = Field(
        default=3600, alias="MEDIA_URL_TTL_SECONDS"
    )
    media_ttl_days: Annotated[int, Field(ge=1, le=3650)] = Field(default=7, alias="MEDIA_TTL_DAYS")

    @field_validator("instrument_allowlist", mode="before")
    @classmethod
    def _split_allowlist(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(item.strip() for item in value.split(",") if item.strip())
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings; tests that change the environment call `cache_clear()`."""
    known = {field.alias for field in Settings.model_fields.values()}
    return Settings.model_validate({k: v for k, v in os.environ.items() if k in known})
