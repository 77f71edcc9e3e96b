"""template.yaml: it lints, the local stack builds what it declares, IAM is least privilege."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from local_stack.template import (
    ROOT,
    bucket_lifecycle,
    load_template,
    resources_of_type,
    routes,
    table_definition,
)

TOOLS = ROOT / ".venv-tools" / "bin"
TEMPLATE = load_template()


def _tool(name: str) -> str:
    path = TOOLS / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make setup`")
    return found


def test_cfn_lint_passes() -> None:
    result = subprocess.run(
        [_tool("cfn-lint"), "template.yaml"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes() -> None:
    result = subprocess.run(
        [_tool("sam"), "validate", "--lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_routes_are_the_contract() -> None:
    assert {(r.method, r.path, r.function) for r in routes(TEMPLATE)} == {
        ("POST", "/api/v1/signals", "IngestSignalFunction"),
        ("GET", "/api/v1/signals/{signal_id}", "GetSignalFunction"),
        ("GET", "/api/v1/signals", "GetSignalFunction"),
        ("POST", "/api/v1/charts", "RenderChartFunction"),
    }
    for route in routes(TEMPLATE):
        assert (route.code_uri / "app.py").exists()


def test_functions_run_python_3_11() -> None:
    assert TEMPLATE["Globals"]["Function"]["Runtime"] == "python3.11"


def test_local_table_matches_the_template(stack) -> None:
    # GIVEN the table the tests run against
    described = stack.client("dynamodb").describe_table(TableName=stack.names["SignalsTable"])[
        "Table"
    ]
    declared = table_definition(TEMPLATE, "unused")
    # THEN keys, attributes and indexes are the template's
    assert described["KeySchema"] == declared["KeySchema"]
    assert sorted(described["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        declared["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    indexes = {
        index["IndexName"]: (index["KeySchema"], index["Projection"]["ProjectionType"])
        for index in described["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        index["IndexName"]: (index["KeySchema"], index["Projection"]["ProjectionType"])
        for index in declared["GlobalSecondaryIndexes"]
    }
    ttl = stack.client("dynamodb").describe_time_to_live(TableName=stack.names["SignalsTable"])
    assert (
        ttl["TimeToLiveDescription"]["AttributeName"]
        == (
            TEMPLATE["Resources"]["SignalsTable"]["Properties"]["TimeToLiveSpecification"][
                "AttributeName"
            ]
        )
    )


def test_local_bucket_matches_the_template(stack) -> None:
    s3 = stack.client("s3")
    bucket = stack.names["MediaBucket"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [(r["ID"], r["Filter"], r["Expiration"]) for r in rules] == [
        (r["ID"], r["Filter"], r["Expiration"]) for r in bucket_lifecycle(TEMPLATE)["Rules"]
    ]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert (
        block
        == TEMPLATE["Resources"]["MediaBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    )
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def _statements(function: str) -> list[dict]:
    policies = TEMPLATE["Resources"][function]["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["Statement"]]


def _actions(function: str) -> set[str]:
    found: set[str] = set()
    for statement in _statements(function):
        actions = statement["Action"]
        found |= {actions} if isinstance(actions, str) else set(actions)
    return found


def test_each_function_gets_only_the_actions_it_calls() -> None:
    assert _actions("IngestSignalFunction") == {"dynamodb:PutItem", "secretsmanager:GetSecretValue"}
    assert _actions("GetSignalFunction") == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "secretsmanager:GetSecretValue",
    }
    assert _actions("RenderChartFunction") == {
        "s3:GetObject",
        "s3:PutObject",
        "secretsmanager:GetSecretValue",
    }
    for function in ("IngestSignalFunction", "GetSignalFunction", "RenderChartFunction"):
        for statement in _statements(function):
            assert statement["Effect"] == "Allow"
            assert "*" not in str(statement["Action"])
            resources = (
                statement["Resource"]
                if isinstance(statement["Resource"], list)
                else [statement["Resource"]]
            )
            assert "*" not in resources


def test_functions_only_touch_their_own_resources() -> None:
    ingest = _statements("IngestSignalFunction")
    assert {"Fn::GetAtt": ["SignalsTable", "Arn"]} in [s["Resource"] for s in ingest]
    render = _statements("RenderChartFunction")
    assert any(s["Resource"] == {"Fn::Sub": "${MediaBucket.Arn}/charts/*"} for s in render)
    for function in ("IngestSignalFunction", "GetSignalFunction"):
        assert "MediaBucket" not in str(_statements(function))
    assert "SignalsTable" not in str(render)


def test_bucket_is_private_encrypted_tls_only_and_expires_charts() -> None:
    bucket = TEMPLATE["Resources"]["MediaBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    rule = bucket["LifecycleConfiguration"]["Rules"][0]
    assert (rule["Prefix"], rule["Status"]) == ("charts/", "Enabled")
    assert rule["ExpirationInDays"] == {"Ref": "MediaTtlDays"}
    policy = resources_of_type(TEMPLATE, "AWS::S3::BucketPolicy")["MediaBucketPolicy"]["Properties"]
    deny = policy["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_table_has_recovery_ttl_and_on_demand_billing() -> None:
    table = TEMPLATE["Resources"]["SignalsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["TimeToLiveSpecification"]["Enabled"] is True


def test_signals_functions_do_not_load_the_charts_layer() -> None:
    for function in ("IngestSignalFunction", "GetSignalFunction"):
        assert "Layers" not in TEMPLATE["Resources"][function]["Properties"]
    assert TEMPLATE["Resources"]["RenderChartFunction"]["Properties"]["Layers"] == [
        {"Ref": "ChartsLayer"}
    ]
    assert "matplotlib" not in Path(ROOT, "layers/common/requirements.txt").read_text()
