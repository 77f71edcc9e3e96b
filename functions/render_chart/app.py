"""POST /api/v1/charts."""

import json
import os
from functools import lru_cache
from typing import Any

# Before anything imports matplotlib: a writable font cache that survives warm invocations.
os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib")  # noqa: S108 - Lambda's only writable dir

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from chart_service import ChartLinkResponse, chart_link_for_body
from chart_storage import ChartStore

from signals_common.api import (
    JSON_CONTENT_TYPE,
    create_app,
    require_json,
)
from signals_common.observability import logger, metrics, tracer
from signals_common.settings import get_settings

app = create_app(body_limit=lambda settings: settings.media_max_request_bytes)


@lru_cache(maxsize=1)
def get_chart_store() -> ChartStore:
    return ChartStore(get_settings().media_bucket_name)


@app.post(
    "/api/v1/charts",
    summary="Render a chart (or find it stored) and link to it",
    responses={
        201: {
            "description": "Rendered and stored",
            "content": {JSON_CONTENT_TYPE: {"model": ChartLinkResponse}},
        },
        200: {
            "description": "Already stored",
            "content": {JSON_CONTENT_TYPE: {"model": ChartLinkResponse}},
        },
    },
)
@tracer.capture_method
def render_chart() -> Response[str]:
    require_json(app.current_event)
    outcome = chart_link_for_body(app.context["body"], get_chart_store(), get_settings())
    metrics.add_dimension("kind", outcome.link.kind)
    if outcome.render_ms is None:
        metrics.add_metric("ChartCacheHits", MetricUnit.Count, 1)
    else:
        metrics.add_metric("ChartsRendered", MetricUnit.Count, 1)
        metrics.add_metric("RenderLatency", MetricUnit.Milliseconds, outcome.render_ms)
        metrics.add_metric("ChartBytes", MetricUnit.Bytes, outcome.link.bytes)
    status = 200 if outcome.link.cached else 201
    return Response(status, JSON_CONTENT_TYPE, json.dumps(outcome.link.to_document()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
