"""The container's Powertools Logger, Metrics and Tracer (configured by the environment)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()
