"""Create the table, the bucket and the producers secret from the template's definitions."""

from __future__ import annotations

import json
import secrets
from typing import Any

from local_stack.template import (
    bucket_encryption,
    bucket_lifecycle,
    bucket_public_access_block,
    table_definition,
    table_ttl_attribute,
)

DEMO_PRODUCER = "demo"
# Published in SPEC §6 and the README: for the local stack only.
DEMO_SECRET = "whsec_c2lnbmFscy1zZXJ2ZXJsZXNzLWxvY2FsLWRlbW8ta2V5LTMyYiE="  # noqa: S105


def create_table(client: Any, template: dict[str, Any], table_name: str) -> None:
    client.create_table(**table_definition(template, table_name))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2})
    ttl_attribute = table_ttl_attribute(template)
    if ttl_attribute:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl_attribute, "Enabled": True},
        )


def create_bucket(client: Any, template: dict[str, Any], bucket_name: str) -> None:
    client.create_bucket(Bucket=bucket_name)
    client.put_bucket_encryption(
        Bucket=bucket_name, ServerSideEncryptionConfiguration=bucket_encryption(template)
    )
    client.put_public_access_block(
        Bucket=bucket_name, PublicAccessBlockConfiguration=bucket_public_access_block(template)
    )
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket_name, LifecycleConfiguration=bucket_lifecycle(template)
    )


def producers_document(producers: dict[str, str]) -> dict[str, Any]:
    return {
        "producers": {producer: {"secrets": [secret]} for producer, secret in producers.items()},
        "cursor_key": secrets.token_urlsafe(36),
    }


def create_secret(client: Any, secret_name: str, producers: dict[str, str]) -> str:
    answer = client.create_secret(
        Name=secret_name, SecretString=json.dumps(producers_document(producers))
    )
    return str(answer["ARN"])
