"""Read a config file so that what the loader sees is exactly what the file says.

PyYAML implements YAML 1.1: a second equal key silently replaces the first, `yes`/`no`/`on`/`off`
become booleans, `010` becomes 8, `1:30` becomes 90 and `2026-01-31` a date. ruamel.yaml (the
comment-keeping editor of `mlgov promote`/`onboard`) reads YAML 1.2, where all of these are text or
plain decimals. A config file is accepted only when both readings agree and match the text: every
such scalar is refused with its line, its field and the suggestion to quote it. Anchors and aliases
are refused as well: a reviewer sees every value where it applies, and no alias bomb can expand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mlgov_config.errors import ConfigError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
SHOWN_CHARS = 60

# The plain scalars YAML 1.1 and 1.2 (core schema) read alike.
SAME_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
SAME_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
SAME_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
# Plain text to YAML 1.1 that YAML 1.2 reads as a number: 0o17, 0x1F (1.1 reads hex alike), 1e3, .inf.
NUMBER_IN_1_2 = re.compile(r"[-+]?(0o[0-7]+|0x[0-9a-fA-F]+|(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
                           r"|\.(inf|Inf|INF))|\.(nan|NaN|NAN)")
TAG = "tag:yaml.org,2002:"


def shown(value: Any) -> str:
    """A value for a message: its repr, cut so no message grows with the input."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS - 5]}...{text[-2:]}"


def read_yaml(path: Path) -> Any:
    """The file's one YAML document as Python data, or a ConfigError naming the file (and field)."""
    text = _read_text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            _check(root, path)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [f"not valid YAML: {_first_lines(exc)}"]) from None
    except RecursionError:
        raise ConfigError(str(path), [f"nested too deeply (config nests at most {MAX_DEPTH} levels)"]) from None


def _read_text(path: Path) -> str:
    try:
        if path.is_dir():
            raise ConfigError(str(path), ["is a folder, not a file"])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except OSError as exc:  # symlink loops, permissions, devices
        raise ConfigError(str(path), [f"cannot be read: {exc.strerror or exc.__class__.__name__}"]) from None
    if len(data) > MAX_BYTES:
        raise ConfigError(str(path), [f"is {len(data)} bytes; a config file has at most {MAX_BYTES}"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), [f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"]) from None


def _check(root: yaml.Node, path: Path) -> None:
    """Walk the node graph (iteratively: depth is checked, not left to the interpreter's stack)."""
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, str, int]] = [(root, "", 0)]
    while pending:
        node, field, depth = pending.pop()
        if id(node) in seen:
            _refuse(path, node, field, "is an alias (*name) of a value written elsewhere; write the value out here")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise ConfigError(str(path), [f"line {node.start_mark.line + 1}, field '{field}': nested more than {MAX_DEPTH} levels"])
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in (TAG + "map", TAG + "seq"):
            _refuse(path, node, field, f"has the tag {shown(node.tag)}; config holds plain mappings and lists")
        if isinstance(node, yaml.MappingNode):
            keys: dict[Any, int] = {}
            children = []
            for key, value in node.value:
                if key.tag == TAG + "merge":
                    _refuse(path, key, field, "uses a merge key (<<); write the keys out")
                if not isinstance(key, yaml.ScalarNode):
                    _refuse(path, key, field, "has a key that is not a plain value")
                child = f"{field}.{key.value}" if field else str(key.value)
                line = key.start_mark.line + 1
                if key.value in keys:
                    raise ConfigError(str(path), [f"line {line}, field '{child}': duplicate key (first set on line "
                                                  f"{keys[key.value]}); YAML keeps only the last, so remove one"])
                keys[key.value] = line
                _check_scalar(key, child, path)
                children.append((value, child, depth + 1))
            pending.extend(reversed(children))  # popped in document order: an anchor is met before its aliases
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(reversed([(item, f"{field}[{index}]", depth + 1) for index, item in enumerate(node.value)]))
        else:
            _check_scalar(node, field, path)


def _check_scalar(node: yaml.Node, field: str, path: Path) -> None:
    if not isinstance(node, yaml.ScalarNode) or node.style is not None:  # quoted or block text is text
        return
    text, kind = node.value, node.tag.removeprefix(TAG)
    same = {"bool": SAME_BOOL, "int": SAME_INT, "float": SAME_FLOAT}.get(kind)
    if kind == "str" and NUMBER_IN_1_2.fullmatch(text):
        _refuse(path, node, field, f"{shown(text)} is text to one YAML reader and a number to another; quote it "
                                   f"({_quoted(text)}) for text, or write a decimal number such as 1000 or 0.5")
    if kind in ("str", "null") or (same is not None and same.fullmatch(text)):
        return
    meant = {"bool": "true or false", "int": "a decimal number without leading zeros",
             "float": "a decimal number such as 0.5", "timestamp": "the date as text"}.get(kind, "the value as text")
    _refuse(path, node, field, f"{shown(text)} reads as a YAML 1.1 {kind}, not as written; write {meant}, "
                               f"or quote it ({_quoted(text)}) if you mean the text")


def _refuse(path: Path, node: yaml.Node, field: str, problem: str) -> None:
    where = f"line {node.start_mark.line + 1}" + (f", field '{field}'" if field else "")
    raise ConfigError(str(path), [f"{where}: {problem}"])


def _quoted(text: str) -> str:
    return '"' + text[:SHOWN_CHARS].replace("\\", "\\\\").replace('"', '\\"') + '"'


def _first_lines(exc: yaml.YAMLError) -> str:
    return " ".join(str(exc).split())[:300]
