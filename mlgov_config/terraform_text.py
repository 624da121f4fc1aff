"""Config text as the stacks must hand it to Terraform: literal, never a template.

Terraform evaluates `${...}` and `%{...}` in every string of a .tf.json file, so a description saying
`${file("/etc/passwd")}` would be read at plan time. The stacks therefore see the config only through
``terraform_config()`` (main.build_app calls it; stacks.account_stack refuses anything else), which
escapes every string of every field once: `${` becomes `$${` and `%{` becomes `%%{`, and Terraform
turns them back into exactly the text of the file. cdktf's references (`${aws_x.y.arn}`) are tokens
the constructs add, never config text, so they stay expressions. JSON built with json.dumps (policies,
environment variables, event patterns) keeps the escapes inside its one Terraform string, which
Terraform unescapes as a whole. The loader, the CLI and the Lambda functions keep the plain config.

Two limits, both checked: cdktf escapes `${` itself in the arguments of Terraform functions (``Fn.*``),
so config text must not go through one (it would be escaped twice; tests/synth/test_synth_terraform_text.py
evaluates every synthesized string that carries config text); and text holding cdktf's token marker
`TfToken[` cannot survive synthesis literally in any form, so the loader refuses it
(``token_marker_problems``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from mlgov_config.models import MlgovConfig
from mlgov_config.strict_yaml import shown

# cdktf encodes its references as `${TfToken[<key>]}` (lists `#{`, maps `&{`) and resolves every such
# marker it finds in any string, so config text containing it would become a reference.
TOKEN_MARKER = "TfToken["

M = TypeVar("M", bound=BaseModel)


def escape_template(text: str) -> str:
    """The Terraform string whose value is ``text``: template sequences escaped, nothing else changed."""
    return text.replace("${", "$${").replace("%{", "%%{")


class TerraformConfig(MlgovConfig):
    """An MlgovConfig whose every string is escaped for Terraform; only ``terraform_config`` builds one."""


def _escaped(value: Any) -> Any:
    if isinstance(value, Enum):  # str-valued enums are fixed names, and must stay enum members
        return value
    if isinstance(value, str):
        return escape_template(value)
    if isinstance(value, BaseModel):
        return _copy(type(value), value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_escaped(v) for v in value)
    return value


def _copy(cls: type[M], model: BaseModel) -> M:
    # model_construct: the plain config was validated by the loader; escaped text is not config input.
    return cls.model_construct(_fields_set=model.model_fields_set,
                               **{name: _escaped(getattr(model, name)) for name in type(model).model_fields})


def terraform_config(config: MlgovConfig) -> TerraformConfig:
    """The config as the stacks see it. Escaping twice would show `$${` literally, so a view stays as it is."""
    if isinstance(config, TerraformConfig):
        return config
    return _copy(TerraformConfig, config)


def token_marker_problems(data: Any, field: str = "") -> list[str]:
    """Loader check on the data read from a file: every key or value holding cdktf's token marker."""
    problems: list[str] = []
    if isinstance(data, str) and TOKEN_MARKER in data:
        problems.append(f"field '{field or '<top level>'}': {shown(data)} contains {TOKEN_MARKER!r}, the marker of "
                        "cdktf's own references, which no text can carry through synthesis literally; reword it")
    elif isinstance(data, dict):
        for key, value in data.items():
            inner = f"{field}.{key}" if field else str(key)
            problems += token_marker_problems(key, inner) + token_marker_problems(value, inner)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            problems += token_marker_problems(value, f"{field}.{i}" if field else str(i))
    return problems
