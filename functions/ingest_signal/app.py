"""POST /api/v1/signals."""

import time
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from signals_common.api import (
    JSON_CONTENT_TYPE,
    create_app,
    require_json,
)
from signals_common.dependencies import get_repository
from signals_common.errors import DomainError
from signals_common.models import SignalResponse
from signals_common.observability import logger, metrics, tracer
from signals_common.service import ingest_signal
from signals_common.settings import get_settings

app = create_app(body_limit=lambda settings: settings.max_body_bytes)


@app.post(
    "/api/v1/signals",
    summary="Store a signed trading signal once",
    responses={
        201: {
            "description": "Created (or replayed)",
            "content": {JSON_CONTENT_TYPE: {"model": SignalResponse}},
        }
    },
)
@tracer.capture_method
def create_signal() -> Response[str]:
    started = time.perf_counter()
    try:
        require_json(app.current_event)
        outcome = ingest_signal(
            producer_id=app.context["producer_id"],
            message_id=app.context["message_id"],
            body=app.context["body"],
            repository=get_repository(),
            settings=get_settings(),
            now=time.time(),
        )
    except DomainError as exc:
        _count_result(type(exc).__name__.removesuffix("Error"))
        raise
    _count_result("Replayed" if outcome.replayed else "Created")
    if not outcome.replayed:
        metrics.add_metric(
            "CreateLatency", MetricUnit.Milliseconds, (time.perf_counter() - started) * 1000
        )
    headers = {"Location": f"/api/v1/signals/{outcome.signal_id}"}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(201, JSON_CONTENT_TYPE, outcome.signal_json, headers=headers)


def _count_result(result: str) -> None:
    metrics.add_metric(f"SignalsIngested{result}", MetricUnit.Count, 1)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
