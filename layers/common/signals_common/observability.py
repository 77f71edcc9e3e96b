"""The container's Powertools Logger, Metrics and Tracer (service and namespace from the environment)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()
