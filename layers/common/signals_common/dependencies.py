"""Per-container singletons built from the settings on first use (not at import time)."""

from __future__ import annotations

from functools import lru_cache

from signals_common.producers import ProducerDirectory
from signals_common.repository import SignalRepository
from signals_common.settings import get_settings


@lru_cache(maxsize=1)
def get_producer_directory() -> ProducerDirectory:
    settings = get_settings()
    return ProducerDirectory(settings.producers_secret_id, settings.secrets_cache_seconds)


@lru_cache(maxsize=1)
def get_repository() -> SignalRepository:
    return SignalRepository(get_settings().table_name)


def reset() -> None:
    """Forget settings and clients (tests that change the environment call this)."""
    get_settings.cache_clear()
    get_producer_directory.cache_clear()
    get_repository.cache_clear()
