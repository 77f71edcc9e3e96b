"""Least privilege, checked against what the functions really call: every AWS request each
function makes while serving real requests needs only what template.yaml grants it, and
every grant is used. Plus the storage settings the template must keep."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from local_stack.template import load_template
from signals_common import dependencies
from signals_common.records import GuardRecord
from tests.support import Api, Producer, unique, unique_instrument

TEMPLATE = load_template()
FUNCTIONS = ("IngestSignalFunction", "GetSignalFunction", "RenderChartFunction")
# What a resource in a policy statement names
RESOURCE_KINDS = {
    json.dumps({"Fn::GetAtt": ["SignalsTable", "Arn"]}): "table",
    json.dumps({"Fn::Sub": "${SignalsTable.Arn}/index/*"}): "table index",
    json.dumps({"Ref": "ProducersSecret"}): "producers secret",
    json.dumps({"Fn::Sub": "${MediaBucket.Arn}/charts/*"}): "charts/ objects",
}
TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def granted(function: str) -> set[tuple[str, str]]:
    grants = set()
    for policy in TEMPLATE["Resources"][function]["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"]
            resources = statement["Resource"]
            for action in [actions] if isinstance(actions, str) else actions:
                for resource in resources if isinstance(resources, list) else [resources]:
                    grants.add((action, RESOURCE_KINDS.get(json.dumps(resource), str(resource))))
    return grants


def needed(service: str, operation: str, params: dict[str, Any], names: dict[str, str]) -> set:
    """The IAM actions (with the kind of resource) one AWS request needs."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            found = set()
            for item in params["TransactItems"]:
                (kind, body), *_ = item.items()
                assert body["TableName"] == names["SignalsTable"]
                found.add((TRANSACT_ACTIONS[kind], "table"))
            return found
        assert params["TableName"] == names["SignalsTable"]
        return {(f"dynamodb:{operation}", "table index" if params.get("IndexName") else "table")}
    if service == "secretsmanager":
        assert params["SecretId"] == names["ProducersSecret"]
        return {(f"secretsmanager:{operation}", "producers secret")}
    if service == "s3":
        assert params["Bucket"] == names["MediaBucket"]
        kind = "charts/ objects" if params["Key"].startswith("charts/") else params["Key"]
        actions = {
            "HeadObject": {"s3:GetObject"},
            "GetObject": {"s3:GetObject"},
            "PutObject": {"s3:PutObject"},
            "CopyObject": {"s3:GetObject", "s3:PutObject"},
        }[operation]
        return {(action, kind) for action in actions}
    raise AssertionError(f"unexpected AWS service {service}")


@pytest.fixture
def recorder(stack: Any, dynamodb_client: Any) -> Iterator[list[tuple[str, str, dict]]]:
    """Records every AWS request made by clients created from now on, and by pynamodb's."""
    calls: list[tuple[str, str, dict]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.service_model.service_name, model.name, params))

    unique_id = f"least-privilege-{uuid.uuid4().hex}"
    session_events = boto3._get_default_session().events
    session_events.register("before-parameter-build.*.*", record, unique_id=unique_id)
    dynamodb_client.meta.events.register("before-parameter-build.*.*", record, unique_id=unique_id)
    dependencies.reset()  # the producer directory's client is created anew, with the hook
    try:
        yield calls
    finally:
        session_events.unregister("before-parameter-build.*.*", unique_id=unique_id)
        dynamodb_client.meta.events.unregister("before-parameter-build.*.*", unique_id=unique_id)
        dependencies.reset()


def _exercise(api: Api, producer: Producer, function: str) -> None:
    if function == "IngestSignalFunction":
        signal = {
            "instrument": unique_instrument(),
            "side": "buy",
            "price": 1,
            "external_id": unique(),
        }
        body = json.dumps(signal).encode()
        assert api.post_signal(producer, body, message_id="lp-1").status == 201
        assert api.post_signal(producer, body, message_id="lp-1").status == 201  # replay
        assert api.post_signal(producer, signal).status == 409  # duplicate
    elif function == "GetSignalFunction":
        listed = api.list_signals(producer).json()["items"]
        assert api.get_signal(producer, listed[0]["id"]).status == 200
        assert api.list_signals(producer, instrument=listed[0]["instrument"]).status == 200
        assert api.list_signals(producer, status="new", limit=1).status == 200
    else:
        chart = {"kind": "histogram", "data": [1, 2, 3, time.time()], "width": 320, "height": 240}
        body = json.dumps(chart).encode()
        assert api.call("POST", "/api/v1/charts", producer, body=body).status == 201
        assert api.call("POST", "/api/v1/charts", producer, body=body).status == 200


def test_each_function_uses_exactly_what_it_is_granted(
    stack: Any,
    add_producer: Callable[..., Producer],
    recorder: list[tuple[str, str, dict]],
) -> None:
    producer = add_producer()
    # GIVEN fresh containers of every function, whose AWS requests are recorded
    api = Api(stack.front())
    for function in FUNCTIONS:
        recorder.clear()
        dependencies.get_producer_directory.cache_clear()  # cold: it reads the secret
        # WHEN the function serves its requests (new, replayed and duplicate signals; reads
        # with and without index filters; a chart miss and a hit)
        _exercise(api, producer, function)
        used = set()
        for service, operation, params in recorder:
            used |= needed(service, operation, params, stack.names)
        # THEN it needed nothing it is not granted, and used every action and every
        # resource it is granted (GetItem and Query share one statement over the table and
        # its indexes, and GetItem cannot be narrowed to the table alone)
        grants = granted(function)
        assert used <= grants, (function, used - grants)
        assert {a for a, _ in used} == {a for a, _ in grants}, function
        assert {r for _, r in used} == {r for _, r in grants}, function


def test_bucket_and_table_settings() -> None:
    resources = TEMPLATE["Resources"]
    bucket = resources["MediaBucket"]["Properties"]
    # GIVEN the template's bucket: public access blocked in all four ways, encrypted
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    algorithm = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert algorithm["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    # AND non-TLS requests are denied on the bucket and on every object
    statements = resources["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert any(
        s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and s["Action"] in ("s3:*", ["s3:*"])
        and s["Principal"] == "*"
        and {json.dumps(r) for r in s["Resource"]}
        == {
            json.dumps({"Fn::GetAtt": ["MediaBucket", "Arn"]}),
            json.dumps({"Fn::Sub": "${MediaBucket.Arn}/*"}),
        }
        for s in deny
    )
    assert not [s for s in statements if s["Effect"] == "Allow"]
    # AND the table has point-in-time recovery, and TTL on the attribute the guards set
    table = resources["SignalsTable"]["Properties"]
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {
        "AttributeName": GuardRecord.expires_at.attr_name,
        "Enabled": True,
    }
    assert table["SSESpecification"]["SSEEnabled"] is True
