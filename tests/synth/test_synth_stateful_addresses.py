"""Stateful resources keep their Terraform addresses, and none can be destroyed by accident.

A construct renamed in a refactor changes the address of everything under it; Terraform then plans
the old address as a delete and the new one as a create, which for a bucket or a key loses data.
stateful_addresses.json lists, per stack, the address of every resource of mlgov_config/stateful_types.py's
STATEFUL_TYPES for the committed config; a listed address that disappears fails unless a `moved`
block takes it to an address that exists.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgov_config.stateful_types import STATEFUL_TYPES

pytestmark = pytest.mark.synth

LISTED = json.loads((Path(__file__).parent / "stateful_addresses.json").read_text())
LIST_FILE = "tests/synth/stateful_addresses.json"


def stateful_resources(stack: dict) -> dict[str, dict]:
    return {f"{kind}.{name}": body for kind, by_name in stack.get("resource", {}).items() if kind in STATEFUL_TYPES
            for name, body in by_name.items()}


def moves(stack: dict) -> dict[str, str]:
    return {block["from"]: block["to"] for block in stack.get("moved", [])}


def address_problems(stack_name: str, stack: dict, listed: list[str]) -> list[str]:
    """One line per listed address that would plan as a delete, and per stateful address not listed."""
    present, moved = set(stateful_resources(stack)), moves(stack)
    problems = []
    for address in listed:
        if address in present:
            continue
        target = moved.get(address)
        if target in present:
            continue
        problems.append(
            f"{stack_name}: {address} is gone from the synthesized stack, so Terraform would destroy it: if a construct was "
            f"renamed, add a `moved` block from {address} to its new address (cdktf: resource.move_from_id(...)), "
            f"then put the new address in {LIST_FILE}; if it is really to go, remove it from the list and add it to "
            f"config/allowed_destroys.yaml in a reviewed pull request")
    covered = set(listed) | {moved[a] for a in listed if a in moved}
    problems += [f"{stack_name}: {address} is stateful but not in {LIST_FILE}: add it there" for address in sorted(present - covered)]
    return problems


def test_the_list_covers_exactly_the_stacks(synth):
    assert set(LISTED) == set(synth.stacks)


@pytest.mark.parametrize("stack_name", sorted(LISTED))
def test_stateful_addresses_are_those_listed(synth, stack_name):
    problems = address_problems(stack_name, synth.stacks[stack_name], LISTED[stack_name])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stack_name", sorted(LISTED))
def test_every_stateful_resource_is_protected_from_destroy(synth, stack_name):
    unprotected = [address for address, body in stateful_resources(synth.stacks[stack_name]).items()
                   if body.get("lifecycle", {}).get("prevent_destroy") is not True]
    assert not unprotected, f"{stack_name}: create these with modules.stateful.prevent_destroy(): {unprotected}"


def test_a_renamed_construct_fails_with_the_moved_block_advice():
    stack = {"resource": {"aws_kms_key": {"renamed_key": {"lifecycle": {"prevent_destroy": True}}}}}
    problems = address_problems("governance", stack, ["aws_kms_key.old_key"])
    assert len(problems) == 2
    assert "aws_kms_key.old_key is gone" in problems[0] and "add a `moved` block" in problems[0]
    assert "aws_kms_key.renamed_key is stateful but not in" in problems[1]


def test_a_moved_block_to_the_new_address_keeps_it_stable():
    stack = {"resource": {"aws_kms_key": {"renamed_key": {}}},
             "moved": [{"from": "aws_kms_key.old_key", "to": "aws_kms_key.renamed_key"}]}
    assert address_problems("governance", stack, ["aws_kms_key.old_key"]) == []


def test_a_moved_block_to_nowhere_does_not_count():
    stack = {"resource": {"aws_kms_key": {"other": {}}}, "moved": [{"from": "aws_kms_key.old_key", "to": "aws_kms_key.gone"}]}
    assert any("aws_kms_key.old_key is gone" in p for p in address_problems("governance", stack, ["aws_kms_key.old_key"]))
