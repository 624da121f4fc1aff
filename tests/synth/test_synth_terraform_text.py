"""Config text reaches the synthesized Terraform escaped exactly once, and Terraform reads it back literally.

Class "Terraform-safe strings", synth side. The hostile config is found by walking the models: every
string field of platform.yaml and the use case (defaults included, map keys too) gets template
sequences with a tag of its own wherever the loader accepts them; a field added later is covered
without editing this file. That config is synthesized in-process by main.build_app (the path main.py
runs), and Terraform itself evaluates every synthesized string that carries a tag.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from mlgov_config import ConfigError, load_config
from mlgov_config.terraform_text import escape_template
from terraform_cli import Terraform
from tf_json import REPO_ROOT

SPACED = "${path.cwd} %{ if true }x%{ endif } $${already} %%{kept}"
COMPACT = "${path.cwd}%{if(true)}x%{endif}$${already}"
# Written out by hand, not computed: what the synthesized files must hold for each.
ESCAPED = {SPACED: "$${path.cwd} %%{ if true }x%%{ endif } $$${already} %%%{kept}",
           COMPACT: "$${path.cwd}%%{if(true)}x%%{endif}$$${already}"}
# Fields the stacks are known to pass to Terraform: the walk must find each reaching the synthesized files.
MUST_REACH = {"use_cases/credit-risk.yaml:model_package_group.description"}
# cdktf's references in the synthesized strings; anything else in `${...}` is config text or a bug.
REFERENCE = re.compile(r"(?<!\$)\$\{(?:data\.)?aws_[a-z0-9_]+\.[^}]+\}")
PLAIN_ESCAPES = ['${file("/etc/passwd")}', "%{ if true }x%{ endif }", "$${already}", "%%{already}", "$%{x}", "%${x}"]


def _string_fields(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, bool]]:
    """(path in the dumped data, is a map key) of every string of a model, defaults included."""
    if isinstance(value, Enum):
        return
    if isinstance(value, str):
        yield path, False
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _string_fields(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, inner in value.items():
            plain_key = key.value if isinstance(key, Enum) else key
            yield from _string_fields(inner, (*path, plain_key))
            if isinstance(key, str) and not isinstance(key, Enum):  # after its value: renaming moves the value
                yield (*path, plain_key), True
    elif isinstance(value, (list, tuple)):
        for i, inner in enumerate(value):
            yield from _string_fields(inner, (*path, i))


def _edit(data: dict, path: tuple, is_key: bool, new: str) -> None:
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if is_key:
        parent[new] = parent.pop(path[-1])
    else:
        parent[path[-1]] = new


def _candidates(original: str, tag: str) -> list[tuple[str, str]]:
    """(value, inserted segment): appended with spaces, appended without, or before a closing character."""
    return [(f"{original} {tag} {SPACED}", f"{tag} {SPACED}"), (f"{original}{tag}{COMPACT}", f"{tag}{COMPACT}"),
            (f"{original[:-1]}{tag}{COMPACT}{original[-1:]}", f"{tag}{COMPACT}")]


def _write(config_dir: Path, files: dict[str, dict]) -> None:
    for rel, data in files.items():
        (config_dir / rel).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _accepted(config_dir: Path, files: dict[str, dict]) -> bool:
    _write(config_dir, files)
    try:
        load_config(config_dir)
    except ConfigError:
        return False
    return True


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The config with every accepting string field carrying a tagged segment; what each field got."""
    config_dir = tmp_path_factory.mktemp("hostile") / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    plain = load_config(config_dir)
    models = {"platform.yaml": plain.platform, **{f"use_cases/{n}.yaml": uc for n, uc in plain.use_cases.items()}}
    base = {rel: model.model_dump(mode="json") for rel, model in models.items()}
    edited, segments, tags, refused = copy.deepcopy(base), {}, {}, []
    for rel, model in models.items():
        for path, is_key in _string_fields(model):
            field = f"{rel}:{'.'.join(map(str, path))}{' (key)' if is_key else ''}"
            original = path[-1] if is_key else _value(base[rel], path)
            tag = f"[f{len(segments) + len(refused):02d}]"
            for candidate, segment in _candidates(original, tag):
                trial = copy.deepcopy(base)
                _edit(trial[rel], path, is_key, candidate)
                if _accepted(config_dir, trial):
                    _edit(edited[rel], path, is_key, candidate)
                    segments[field], tags[field] = segment, tag
                    break
            else:
                refused.append(field)
    _write(config_dir, edited)
    return {"config": load_config(config_dir), "segments": segments, "tags": tags, "refused": refused}


def _value(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


@pytest.fixture(scope="module")
def hostile_synth(hostile, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    from main import build_app

    out = tmp_path_factory.mktemp("hostile-synth")
    app, names = build_app(hostile["config"], out)
    app.synth()
    return {name: json.loads((out / "stacks" / name / "cdk.tf.json").read_text()) for name in names}


def _strings(value: Any, address: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(key, f"{address}.<key>")
            yield from _strings(inner, f"{address}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _strings(inner, f"{address}[{i}]")
    elif isinstance(value, str):
        yield address, value


@pytest.fixture(scope="module")
def reached(hostile, hostile_synth) -> dict[str, list[tuple[str, str]]]:
    """field -> (address, synthesized string) of every string carrying the field's tag."""
    found: dict[str, list[tuple[str, str]]] = {}
    for stack, body in hostile_synth.items():
        for address, text in _strings(body, stack):
            for field, tag in hostile["tags"].items():
                if tag in text:
                    found.setdefault(field, []).append((address, text))
    return found


def _evaluated(texts: list[str], workdir: Path) -> list[str]:
    """What Terraform makes of each string (plan of outputs; cdktf's references masked as 'REF')."""
    workdir.mkdir(parents=True, exist_ok=True)
    outputs = {f"s{i}": {"value": REFERENCE.sub("REF", text)} for i, text in enumerate(texts)}
    (workdir / "main.tf.json").write_text(json.dumps({"output": outputs}))
    tf = Terraform(workdir)
    tf.init(backend=False)
    tf.run("plan", "-no-color", "-out=plan.out")
    planned = json.loads(tf.run("show", "-json", "plan.out").stdout)["planned_values"]["outputs"]
    return [planned[f"s{i}"]["value"] for i in range(len(texts))]


def test_the_walk_put_template_text_into_the_free_text_fields_and_they_reach_terraform(hostile, reached):
    assert len(hostile["segments"]) >= 4, f"accepted: {sorted(hostile['segments'])}"
    assert MUST_REACH <= set(reached), f"reached: {sorted(reached)}; accepted: {sorted(hostile['segments'])}"


def test_each_synthesized_string_holds_the_config_text_escaped_exactly_once(hostile, reached):
    # The tag anchors the text: "[f07] $${" is not inside "[f07] ${" (not escaped) nor "[f07] $$${" (twice).
    for field, hits in reached.items():
        tag = hostile["tags"][field]
        text_once = next(tag + sep + ESCAPED[t] for sep, t in ((" ", SPACED), ("", COMPACT))
                         if hostile["segments"][field] == tag + sep + t)
        for address, text in hits:
            assert text_once in text, f"{field} at {address}: {text[:300]!r} does not hold {text_once!r}"


def test_terraform_reads_every_string_carrying_config_text_back_literally(hostile, reached, tmp_path):
    hits = [(field, address, text) for field, found in reached.items() for address, text in found]
    values = _evaluated([text for _, _, text in hits] + [escape_template(t) for t in PLAIN_ESCAPES], tmp_path)
    for (field, address, _), value in zip(hits, values):
        assert hostile["segments"][field] in value, f"{field} at {address}: Terraform made it {value[:300]!r}"
    assert values[len(hits):] == PLAIN_ESCAPES, "Terraform reads every escaped sequence back as written"


def test_stacks_refuse_a_config_that_is_not_the_escaped_view(tmp_path):
    from cdktf import App

    from stacks.governance import GovernanceStack

    with pytest.raises(TypeError, match="terraform_config"):
        GovernanceStack(App(outdir=str(tmp_path)), load_config(REPO_ROOT / "config"))
