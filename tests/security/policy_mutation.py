"""Mutation checks: take one control out of an applied policy (or rule), see the attack succeed, put it back.

Each resource policy is read, stripped of the named statements, written, and restored afterwards
whatever happens, so the shared sandbox keeps the committed controls for every other test. The same
holds for an EventBridge rule's State and targets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from sandbox.patches._policy import as_list


Mutation = Callable[[dict[str, Any]], dict[str, Any]]
Sids = tuple[str, ...] | Callable[[str], bool]  # statement ids, or a predicate on the Sid


def without_statements(sids: Sids) -> Mutation:
    """Drop the statements named (a tuple of Sids, or a predicate on the Sid)."""
    def mutate(document: dict[str, Any]) -> dict[str, Any]:
        drop = (lambda sid: sid in sids) if isinstance(sids, tuple) else sids
        kept = [s for s in document["Statement"] if not drop(s.get("Sid", ""))]
        assert len(kept) < len(document["Statement"]), f"no statement matched {sids}: the mutation would remove nothing"
        return {**document, "Statement": kept}
    return mutate


def without_condition_key(key: str) -> Mutation:
    """Remove one condition key from every statement that tests it."""
    def mutate(document: dict[str, Any]) -> dict[str, Any]:
        changed, statements = False, []
        for statement in document["Statement"]:
            condition = {}
            for operator, keys in statement.get("Condition", {}).items():
                kept = {k: v for k, v in keys.items() if k != key}
                changed |= len(kept) < len(keys)
                if kept:
                    condition[operator] = kept
            statements.append({**{k: v for k, v in statement.items() if k != "Condition"},
                               **({"Condition": condition} if condition else {})})
        assert changed, f"no statement tests {key}: the mutation would remove nothing"
        return {**document, "Statement": statements}
    return mutate


@contextmanager
def mutated(read: Callable[[], str], write: Callable[[str], Any], mutation: Mutation) -> Iterator[None]:
    original = read()
    write(json.dumps(mutation(json.loads(original))))
    try:
        yield
    finally:
        write(original)


def group_policy(sagemaker: Any, group: str, sids: Sids) -> Any:
    return mutated(lambda: sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"],
                   lambda p: sagemaker.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=p),
                   without_statements(sids))


def bucket_policy(s3: Any, bucket: str, sids: Sids) -> Any:
    return mutated(lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"],
                   lambda p: s3.put_bucket_policy(Bucket=bucket, Policy=p), without_statements(sids))


def role_policy(iam: Any, role: str, policy_name: str, sids: Sids) -> Any:
    return role_policy_mutated(iam, role, policy_name, without_statements(sids))


def role_policy_mutated(iam: Any, role: str, policy_name: str, mutation: Mutation) -> Any:
    """A role's inline policy changed by a Mutation (e.g. without_condition_key)."""
    def read() -> str:
        document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
        return document if isinstance(document, str) else json.dumps(document)

    return mutated(read, lambda p: iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=p), mutation)


def table_policy(dynamodb: Any, table_arn: str, sids: Sids) -> Any:
    """The table's resource policy without the named statements; ``dynamodb`` must be a break-glass
    client, the one principal the policy lets replace it."""
    return mutated(lambda: dynamodb.get_resource_policy(ResourceArn=table_arn)["Policy"],
                   lambda p: dynamodb.put_resource_policy(ResourceArn=table_arn, Policy=p), without_statements(sids))


def bus_policy(events: Any, bus: str, mutation: Mutation) -> Any:
    return mutated(lambda: events.describe_event_bus(Name=bus)["Policy"],
                   lambda p: events.put_permission(EventBusName=bus, Policy=p), mutation)


@contextmanager
def without_boundary(iam: Any, role: str) -> Iterator[None]:
    """The role's permissions boundary taken off (what its own boundary denies it), put back afterwards."""
    arn = iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
    iam.delete_role_permissions_boundary(RoleName=role)
    try:
        yield
    finally:
        iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=arn)


def with_actions(sid: str, actions: tuple[str, ...]) -> Mutation:
    """Add actions to the Allow statement named (e.g. iam:* in a boundary's service list)."""
    def mutate(document: dict[str, Any]) -> dict[str, Any]:
        found = [s for s in document["Statement"] if s.get("Sid") == sid and s["Effect"] == "Allow"]
        assert found, f"no Allow statement {sid}: the mutation would add nothing"
        return {**document, "Statement": [{**s, "Action": [*as_list(s["Action"]), *actions]} if s in found else s
                                          for s in document["Statement"]]}
    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(document: dict[str, Any]) -> dict[str, Any]:
        for mutation in mutations:
            document = mutation(document)
        return document
    return mutate


@contextmanager
def managed_policy_mutated(iam: Any, arn: str, mutation: Mutation) -> Iterator[None]:
    """A managed policy (e.g. a permissions boundary) with a mutated default version; afterwards the
    original version is the default again and the mutated one deleted."""
    original = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=original)["PolicyVersion"]["Document"]
    document = json.loads(unquote(document)) if isinstance(document, str) else document
    version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(mutation(document)),
                                        SetAsDefault=True)["PolicyVersion"]["VersionId"]
    try:
        yield
    finally:
        iam.set_default_policy_version(PolicyArn=arn, VersionId=original)
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)


@contextmanager
def extra_role_policy(iam: Any, role: str, policy_name: str, statements: list[dict[str, Any]]) -> Iterator[None]:
    """An inline policy added to the role (a compromised administrator widening it), removed afterwards."""
    iam.put_role_policy(RoleName=role, PolicyName=policy_name,
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    try:
        yield
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName=policy_name)


def trust_policy_mutated(iam: Any, role: str, mutation: Mutation) -> Any:
    """A role's trust policy changed by a Mutation (e.g. without_condition_key("sts:SourceIdentity"))."""
    def read() -> str:
        document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        return document if isinstance(document, str) else json.dumps(document)

    return mutated(read, lambda p: iam.update_assume_role_policy(RoleName=role, PolicyDocument=p), mutation)


@contextmanager
def rule_state(events: Any, rule: str, state: str) -> Iterator[None]:
    """The rule in another State (e.g. ENABLED, which skips read-only CloudTrail events), put back afterwards."""
    original = events.describe_rule(Name=rule)
    assert original["State"] != state, f"rule {rule} is already {state}: the mutation would change nothing"
    fields = {"Name": rule, "EventPattern": original["EventPattern"], "Description": original.get("Description", "")}
    events.put_rule(**fields, State=state)
    try:
        yield
    finally:
        events.put_rule(**fields, State=original["State"])


@contextmanager
def without_targets(events: Any, rule: str) -> Iterator[None]:
    """The rule with no targets, its targets put back afterwards."""
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    assert targets, f"rule {rule} has no targets: the mutation would remove nothing"
    events.remove_targets(Rule=rule, Ids=[t["Id"] for t in targets])
    try:
        yield
    finally:
        events.put_targets(Rule=rule, Targets=targets)
