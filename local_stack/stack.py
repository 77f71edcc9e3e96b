"""The whole local stack: emulators, resources from the template, and the handlers' settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3

from local_stack.front import Front
from local_stack.resources import create_bucket, create_secret, create_table
from local_stack.services import LocalServices, start_services
from local_stack.template import function_environment, load_template, routes


@dataclass
class LocalStack:
    services: LocalServices
    template: dict[str, Any]
    names: dict[str, str]
    secret_arn: str

    def client(self, service: str) -> Any:
        endpoint = {
            "dynamodb": self.services.dynamodb_endpoint,
            "s3": self.services.moto_endpoint,
            "secretsmanager": self.services.moto_endpoint,
        }[service]
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the emulators accept any
        )

    def function_environment(self, function: str) -> dict[str, str]:
        return function_environment(self.template, function, self.names)

    def handler_environment(self) -> dict[str, str]:
        """Every function's settings plus the emulator endpoints, as one environment."""
        environment: dict[str, str] = {}
        for function in ("IngestSignalFunction", "GetSignalFunction", "RenderChartFunction"):
            environment.update(self.function_environment(function))
        environment.update(self.services.environment())
        # No X-Ray daemon locally.
        environment["POWERTOOLS_TRACE_DISABLED"] = "true"
        return environment

    def apply_environment(self) -> None:
        os.environ.update(self.handler_environment())

    def front(self) -> Front:
        return Front(routes(self.template))

    def stop(self) -> None:
        self.services.stop()


def start_stack(
    producers: dict[str, str],
    suffix: str = "local",
    dynamodb_port: int | None = None,
    moto_port: int | None = None,
) -> LocalStack:
    template = load_template()
    services = start_services(dynamodb_port, moto_port)
    try:
        names = {
            "SignalsTable": f"signals-{suffix}",
            "MediaBucket": f"signals-media-{suffix}",
            "ProducersSecret": f"signals-producers-{suffix}",
        }
        stack = LocalStack(services, template, names, secret_arn="")
        create_table(stack.client("dynamodb"), template, names["SignalsTable"])
        create_bucket(stack.client("s3"), template, names["MediaBucket"])
        stack.secret_arn = create_secret(
            stack.client("secretsmanager"), names["ProducersSecret"], producers
        )
    except BaseException:
        services.stop()
        raise
    return stack
