"""Small readers for synthesized Terraform JSON and the IAM policy documents inside it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlgov_config import AccountRole, MlgovConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
STACKS = tuple(role.value for role in AccountRole)  # governance, dev, test, prod
# Every folder main.py writes with the example config: the account stacks and terraform/bootstrap (gitops is set).
GENERATED_STACKS = (*STACKS, "bootstrap")
ACCOUNT_ROOT = re.compile(r"^arn:aws:iam::[0-9]{12}:root$")
REFERENCE = re.compile(r"^\$\{(?P<type>[a-z0-9_]+)\.(?P<name>[^.}]+)\.(?P<attr>[a-z0-9_]+)\}$")


def config() -> MlgovConfig:
    return load_config(REPO_ROOT / "config")


def resources(stack: dict, type_: str) -> dict[str, dict]:
    """name -> body of every resource of one type ({} when the stack has none)."""
    return stack.get("resource", {}).get(type_, {})


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def one(block: Any) -> dict:
    """A nested block is written either as an object or as a one-element list."""
    blocks = as_list(block)
    assert len(blocks) == 1, f"expected one block, got {blocks!r}"
    return blocks[0]


def refers_to(value: Any, type_: str, name: str) -> bool:
    """True when value is a Terraform reference like "${aws_s3_bucket.<name>.id}"."""
    match = REFERENCE.match(value) if isinstance(value, str) else None
    return bool(match and match["type"] == type_ and match["name"] == name)


def referenced(stack: dict, value: str) -> tuple[str, str, dict]:
    """(type, name, body) of the resource a "${type.name.attr}" reference points at."""
    match = REFERENCE.match(value)
    assert match, f"{value!r} is not a resource reference"
    body = resources(stack, match["type"]).get(match["name"])
    assert body is not None, f"{value!r} points at a resource that does not exist"
    return match["type"], match["name"], body


def attached(stack: dict, type_: str, attribute: str, target_type: str, target_name: str) -> list[dict]:
    """Resources of type_ whose attribute references the target (e.g. a bucket's versioning)."""
    return [body for body in resources(stack, type_).values() if refers_to(body.get(attribute), target_type, target_name)]


def policy_documents(stack: dict) -> Iterator[tuple[str, dict]]:
    """(address, parsed document) for every attribute that holds a JSON policy with a "Statement".

    Terraform interpolations inside the JSON string are ordinary string values, so json.loads works.
    A string that mentions "Statement" but is not valid JSON raises, naming its address.
    """

    def walk(value: Any, address: str) -> Iterator[tuple[str, dict]]:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key != "//":
                    yield from walk(inner, f"{address}.{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                yield from walk(inner, f"{address}[{i}]")
        elif isinstance(value, str) and "Statement" in value:
            try:
                doc = json.loads(value)
            except json.JSONDecodeError as err:
                raise AssertionError(f"{address}: mentions Statement but is not valid JSON: {err}") from None
            if isinstance(doc, dict) and "Statement" in doc:
                yield address, doc

    for type_, by_name in stack.get("resource", {}).items():
        for name, body in by_name.items():
            yield from walk(body, f"{type_}.{name}")


def statements(doc: dict) -> list[dict]:
    return as_list(doc["Statement"])


def actions(statement: dict) -> list[str]:
    return as_list(statement.get("Action", []))


def principal_values(statement: dict) -> list[str]:
    """Every principal value of a statement; the bare "*" principal counts as "*"."""
    principal = statement.get("Principal")
    if principal is None:
        return []
    if isinstance(principal, str):
        return [principal]
    return [v for values in principal.values() for v in as_list(values)]


def iam_role_policy(stack: dict, role_name: str) -> tuple[dict, dict]:
    """(trust document, inline policy document) of the aws_iam_role with that name."""
    roles = {name: body for name, body in resources(stack, "aws_iam_role").items() if body.get("name") == role_name}
    assert len(roles) == 1, f"expected one aws_iam_role named {role_name!r}, found {sorted(roles)}"
    [(address, role)] = roles.items()
    inline = attached(stack, "aws_iam_role_policy", "role", "aws_iam_role", address)
    assert len(inline) == 1, f"role {role_name!r} should have exactly one inline policy, found {len(inline)}"
    return json.loads(role["assume_role_policy"]), json.loads(inline[0]["policy"])
