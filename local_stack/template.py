"""Reads template.yaml: the resource definitions, the routes and the functions' settings.

The local stack and the tests build everything from these definitions, so what runs
locally cannot drift from what is deployed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open() as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    code_uri: Path
    handler: str

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")


def resources_of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == type_name
    }


def routes(template: dict[str, Any]) -> list[Route]:
    found = []
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        properties = function["Properties"]
        for event in properties.get("Events", {}).values():
            if event["Type"] != "HttpApi":
                continue
            found.append(
                Route(
                    method=event["Properties"]["Method"].upper(),
                    path=event["Properties"]["Path"],
                    function=name,
                    code_uri=ROOT / properties["CodeUri"],
                    handler=properties["Handler"],
                )
            )
    # Literal paths before parameterised ones, as API Gateway prefers the most specific.
    return sorted(found, key=lambda route: route.path.count("{"))


def resolve(value: Any, template: dict[str, Any], names: dict[str, str]) -> Any:
    """Resolve Ref / Sub / GetAtt against local resource names and parameter defaults."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            if argument in names:
                return names[argument]
            parameter = template.get("Parameters", {}).get(argument)
            if parameter is not None:
                return str(parameter.get("Default", ""))
            raise KeyError(f"cannot resolve Ref {argument}")
        if key == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda m: names.get(m.group(1), m.group(0)), argument)
    if isinstance(value, (int, float)):
        return str(value)
    return value


def function_environment(
    template: dict[str, Any], function: str, names: dict[str, str]
) -> dict[str, str]:
    """Globals' variables overlaid with the function's own, resolved to local names."""
    variables = dict(
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    own = template["Resources"][function]["Properties"].get("Environment", {})
    variables.update(own.get("Variables", {}))
    return {name: str(resolve(value, template, names)) for name, value in variables.items()}


def table_definition(
    template: dict[str, Any], table_name: str, logical_id: str = "SignalsTable"
) -> dict[str, Any]:
    """CreateTable arguments from the template's table (DynamoDB Local takes the same call)."""
    properties = template["Resources"][logical_id]["Properties"]
    arguments: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties["BillingMode"],
    }
    if properties.get("GlobalSecondaryIndexes"):
        arguments["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    return arguments


def table_ttl_attribute(template: dict[str, Any], logical_id: str = "SignalsTable") -> str | None:
    ttl = template["Resources"][logical_id]["Properties"].get("TimeToLiveSpecification")
    return ttl["AttributeName"] if ttl and ttl.get("Enabled") else None


def bucket_lifecycle(template: dict[str, Any], logical_id: str = "MediaBucket") -> dict[str, Any]:
    """The bucket's lifecycle rules in the S3 API's shape."""
    rules = template["Resources"][logical_id]["Properties"]["LifecycleConfiguration"]["Rules"]
    converted = []
    for rule in rules:
        api_rule: dict[str, Any] = {
            "ID": rule["Id"],
            "Status": rule["Status"],
            "Filter": {"Prefix": rule.get("Prefix", "")},
        }
        if "ExpirationInDays" in rule:
            api_rule["Expiration"] = {"Days": int(resolve(rule["ExpirationInDays"], template, {}))}
        abort = rule.get("AbortIncompleteMultipartUpload")
        if abort:
            api_rule["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": abort["DaysAfterInitiation"]
            }
        converted.append(api_rule)
    return {"Rules": converted}


def bucket_encryption(template: dict[str, Any], logical_id: str = "MediaBucket") -> dict[str, Any]:
    encryption = template["Resources"][logical_id]["Properties"]["BucketEncryption"]
    # CloudFormation says ServerSideEncryptionByDefault where the S3 API says Apply...
    rules = [
        {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
        for rule in encryption["ServerSideEncryptionConfiguration"]
    ]
    return {"Rules": rules}


def bucket_public_access_block(
    template: dict[str, Any], logical_id: str = "MediaBucket"
) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]["PublicAccessBlockConfiguration"]
