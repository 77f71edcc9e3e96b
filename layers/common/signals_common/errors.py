"""Domain errors. The HTTP edge (`signals_common.api`) maps each one to a problem response."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of the errors a request can end in; `detail` is safe to show to the caller."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PayloadTooLargeError(DomainError):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"The request body exceeds {limit_bytes} bytes.")
        self.limit_bytes = limit_bytes


class AuthenticationFailedError(DomainError):
    pass


class UnsupportedMediaTypeError(DomainError):
    pass


class MalformedJsonError(DomainError):
    pass


class ValidationFailedError(DomainError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("The request does not match the schema.")
        self.errors = errors


class InvalidQueryError(DomainError):
    pass


class InvalidCursorError(DomainError):
    pass


class NotFoundError(DomainError):
    pass


class DuplicateSignalError(DomainError):
    def __init__(self, reason: str, existing_signal_id: str) -> None:
        super().__init__(f"A signal matching this one already exists ({reason}).")
        self.reason = reason
        self.existing_signal_id = existing_signal_id


class MessageIdReusedError(DomainError):
    def __init__(self) -> None:
        super().__init__("This webhook-id was already used with a different body.")


class ServiceUnavailableError(DomainError):
    def __init__(self, detail: str = "A backing service is unavailable; retry later.") -> None:
        super().__init__(detail)
        self.retry_after_seconds = 2


class ChartTooLargeError(DomainError):
    pass


class MissingColumnError(DomainError):
    pass


class NoNumericDataError(DomainError):
    pass


class MessageIdTakenError(DomainError):
    """The webhook-id was seen before: a retry (same body) or a reuse (different body)."""

    def __init__(self, signal_id: str, body_sha256: str, response_json: str) -> None:
        super().__init__("This webhook-id was already used.")
        self.signal_id = signal_id
        self.body_sha256 = body_sha256
        self.response_json = response_json
