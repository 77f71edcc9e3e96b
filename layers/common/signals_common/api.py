"""The HTTP edge shared by the handlers: authentication, problem responses, raw bodies."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from signals_common import errors
from signals_common.auth import request_target, verify
from signals_common.dependencies import get_producer_directory
from signals_common.observability import logger, metrics
from signals_common.settings import Settings, get_settings

PROBLEM_CONTENT_TYPE = "application/problem+json"
JSON_CONTENT_TYPE = "application/json"
_BODYLESS_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    # One count per problem code: operators alarm on these rates (e.g. 401s, 503s).
    metrics.add_metric(f"Problem{code.title().replace('_', '')}", MetricUnit.Count, 1)
    document = problem_document(status, code, title, detail, **extra)
    return Response(status, PROBLEM_CONTENT_TYPE, json.dumps(document), headers=headers)


def problem_document(
    status: int, code: str, title: str, detail: str, **extra: Any
) -> dict[str, Any]:
    """The RFC 9457 body every error has."""
    return {
        "type": f"urn:signals-serverless:problem:{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


# status, code, title, and the error's attributes that become problem members
_PROBLEMS: dict[type[errors.DomainError], tuple[int, str, str, tuple[str, ...]]] = {
    errors.MalformedJsonError: (400, "MALFORMED_JSON", "Malformed JSON", ()),
    errors.InvalidCursorError: (400, "INVALID_CURSOR", "Invalid cursor", ()),
    errors.InvalidQueryError: (400, "INVALID_QUERY", "Invalid query", ()),
    errors.AuthenticationFailedError: (401, "AUTHENTICATION_FAILED", "Authentication failed", ()),
    errors.NotFoundError: (404, "NOT_FOUND", "Not found", ()),
    errors.DuplicateSignalError: (
        409,
        "DUPLICATE_SIGNAL",
        "Duplicate signal",
        ("reason", "existing_signal_id"),
    ),
    errors.MessageIdReusedError: (409, "MESSAGE_ID_REUSED", "Message id reused", ()),
    errors.PayloadTooLargeError: (413, "PAYLOAD_TOO_LARGE", "Payload too large", ("limit_bytes",)),
    errors.UnsupportedMediaTypeError: (415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", ()),
    errors.ValidationFailedError: (422, "VALIDATION_FAILED", "Validation failed", ("errors",)),
    errors.ChartTooLargeError: (422, "CHART_TOO_LARGE", "Chart too large", ()),
    errors.MissingColumnError: (422, "MISSING_COLUMN", "Missing column", ()),
    errors.NoNumericDataError: (422, "NO_NUMERIC_DATA", "No numeric data", ()),
    errors.ServiceUnavailableError: (503, "SERVICE_UNAVAILABLE", "Service unavailable", ()),
}


def _problem_handler(
    status: int, code: str, title: str, members: tuple[str, ...]
) -> Callable[[Exception], Response]:
    def handle(exc: Exception) -> Response:
        extra = {name: getattr(exc, name) for name in members}
        headers = None
        if isinstance(exc, errors.ServiceUnavailableError):
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        log = logger.warning if status >= 500 else logger.info
        # The cause may be an AWS error: logged for operators, never sent to the caller.
        log("request failed", extra={"code": code, "status": status, "cause": repr(exc.__cause__)})
        return problem(status, code, title, getattr(exc, "detail", title), headers, **extra)

    return handle


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """One handler per domain error, a 404 problem for unknown routes, and a last resort."""
    for error_type, (status, code, title, members) in _PROBLEMS.items():
        app.exception_handler(error_type)(_problem_handler(status, code, title, members))

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return problem(404, "NOT_FOUND", "Not found", "No such route.")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return problem(500, "INTERNAL_ERROR", "Internal error", "An unexpected error occurred.")


def raw_body(event: APIGatewayProxyEventV2) -> bytes:
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise errors.MalformedJsonError("The body is not valid base64.") from exc
    return body.encode("utf-8", errors="surrogateescape")


def lower_headers(event: APIGatewayProxyEventV2) -> dict[str, str]:
    return {name.lower(): value for name, value in (event.headers or {}).items()}


def require_json(event: APIGatewayProxyEventV2) -> None:
    """Only `application/json`, optionally with `charset=utf-8`, is accepted."""
    content_type = lower_headers(event).get("content-type", "")
    media_type, *parameters = [part.strip() for part in content_type.split(";")]
    if media_type.lower() != JSON_CONTENT_TYPE:
        raise errors.UnsupportedMediaTypeError("The body must be application/json.")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset" or value.strip().strip('"').lower() != "utf-8":
            raise errors.UnsupportedMediaTypeError("Only charset=utf-8 is accepted.")


def signature_middleware(body_limit: Callable[[Settings], int]) -> Callable[..., Response]:
    """Reject oversized bodies (413), then unsigned or badly signed requests (401).

    On success the producer id and message id are put in `app.context`.
    """

    def middleware(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
        event = app.current_event
        settings = get_settings()
        limit = body_limit(settings)
        body = raw_body(event)
        if len(body) > limit:
            raise errors.PayloadTooLargeError(limit)
        method = event.request_context.http.method.upper()
        content = (
            request_target(method, event.raw_path, event.raw_query_string)
            if method in _BODYLESS_METHODS
            else body
        )
        signed = verify(
            lower_headers(event),
            content,
            get_producer_directory().secrets_of,
            now=time.time(),
            tolerance_seconds=settings.timestamp_tolerance_seconds,
        )
        app.append_context(producer_id=signed.producer_id, message_id=signed.message_id, body=body)
        return next_middleware(app)

    return middleware


def create_app(body_limit: Callable[[Settings], int]) -> APIGatewayHttpResolver:
    """A function's resolver: signature checks first, problem responses for every error."""
    app = APIGatewayHttpResolver()
    app.use(middlewares=[signature_middleware(body_limit)])
    register_error_handlers(app)
    return app
