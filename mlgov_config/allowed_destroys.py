"""config/allowed_destroys.yaml: the reviewed destroys of stateful resources the plan summary lets through.

The file is the only way past the summary's destructive-change guard (scripts/plan_summary.py):
CODEOWNERS protects it, so a destroy needs the owners' review of the pull request that lists it.
A pull-request label would not do: the apply on main cannot see the labels of the merged request.
Each entry names one resource of one stack by its exact Terraform address, with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlgov_config.errors import ConfigError
from mlgov_config.gitops_settings import STACKS
from mlgov_config.loader import _read_mapping, _validate
from mlgov_config.stateful_types import STATEFUL_TYPES

ALLOWED_DESTROYS_FILE = Path("config") / "allowed_destroys.yaml"
# The bootstrap stack (state bucket and pipeline roles) is planned and guarded like the account stacks.
KNOWN_STACKS = ("bootstrap", *STACKS)
# A managed resource's address as `terraform show -json` writes it: type.name with an optional index.
ADDRESS = re.compile(r'^(?P<type>[a-z0-9_]+)\.[A-Za-z_][\w-]*(\[(\d+|"[^"]*")\])?$')


class AllowedDestroy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stack: str
    address: str
    # Why losing what the resource holds is acceptable; shown to reviewers next to the destroy.
    reason: str = Field(min_length=10, max_length=500)

    @field_validator("stack")
    @classmethod
    def _stack(cls, stack: str) -> str:
        if stack not in KNOWN_STACKS:
            raise ValueError(f"unknown stack; the stacks are {list(KNOWN_STACKS)}")
        return stack

    @field_validator("address")
    @classmethod
    def _address(cls, address: str) -> str:
        match = ADDRESS.fullmatch(address)
        if match is None:
            raise ValueError("not a root-module resource address (type.name, e.g. aws_kms_key.governance-key_0A058AF6)")
        if match["type"] not in STATEFUL_TYPES:
            raise ValueError(f"{match['type']} is not a stateful type; only {sorted(STATEFUL_TYPES)} need listing")
        return address


class AllowedDestroys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_destroys: list[AllowedDestroy]

    @model_validator(mode="after")
    def _unique(self) -> "AllowedDestroys":
        seen: set[tuple[str, str]] = set()
        for entry in self.allowed_destroys:
            key = (entry.stack, entry.address)
            if key in seen:
                raise ValueError(f"{entry.stack} {entry.address} is listed twice")
            seen.add(key)
        return self

    def allows(self, stack: str, address: str) -> AllowedDestroy | None:
        return next((e for e in self.allowed_destroys if (e.stack, e.address) == (stack, address)), None)


def load_allowed_destroys(path: Path) -> AllowedDestroys:
    """The allow-list, validated strictly; a missing file is an error (an empty list is written `[]`)."""
    data = _read_mapping(path)
    allowed = _validate(AllowedDestroys, data, path)
    if not isinstance(allowed, AllowedDestroys):  # pragma: no cover - _validate returns the model or raises
        raise ConfigError(str(path), ["not an allow-list"])
    return allowed
