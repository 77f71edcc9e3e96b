"""GET /api/v1/signals/{signal_id} and GET /api/v1/signals."""

from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from signals_common.api import JSON_CONTENT_TYPE, create_app
from signals_common.dependencies import get_producer_directory, get_repository
from signals_common.models import SignalPageResponse, SignalResponse
from signals_common.observability import logger, metrics, tracer
from signals_common.service import get_signal, list_signals, parse_list_query

app = create_app(body_limit=lambda settings: settings.max_body_bytes)


@app.get(
    "/api/v1/signals/<signal_id>",
    summary="One of the caller's signals",
    responses={
        200: {
            "description": "The signal",
            "content": {JSON_CONTENT_TYPE: {"model": SignalResponse}},
        }
    },
)
@tracer.capture_method
def read_signal(signal_id: str) -> Response[str]:
    signal = get_signal(app.context["producer_id"], signal_id, get_repository())
    metrics.add_metric("SignalsRead", MetricUnit.Count, 1)
    return Response(200, JSON_CONTENT_TYPE, signal.to_json())


@app.get(
    "/api/v1/signals",
    summary="The caller's signals, newest first, with cursor paging",
    responses={
        200: {
            "description": "A page",
            "content": {JSON_CONTENT_TYPE: {"model": SignalPageResponse}},
        }
    },
)
@tracer.capture_method
def read_signals() -> Response[str]:
    producer_id = app.context["producer_id"]
    query = parse_list_query(parse_qs(app.current_event.raw_query_string, keep_blank_values=True))
    page = list_signals(
        producer_id, query, get_repository(), get_producer_directory().cursor_key(producer_id)
    )
    metrics.add_metric("SignalPagesListed", MetricUnit.Count, 1)
    return Response(200, JSON_CONTENT_TYPE, page.to_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
