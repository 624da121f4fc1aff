"""Changing a weight or a version never deletes the endpoint first.

One extra synth of a changed copy of config/ (prod weights 90/10 -> 75/25 and test version +1, both
in the same run to save a jsii start) is compared with the session's synth of the real config:

- the aws_sagemaker_endpoint keeps its Terraform address and its name, so Terraform updates it in
  place (only endpoint_config_name changes, which SageMaker applies as UpdateEndpoint: traffic moves
  without downtime);
- the endpoint configuration keeps its address but gets a new name, with create_before_destroy, so
  the new configuration exists before the endpoint is pointed at it and the old one goes after;
- a model whose version changed gets a new name (create_before_destroy again); a model whose variant
  did not change keeps its name, so it is neither replaced nor recreated.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest
import yaml

from mlgov_config import AccountRole
from modules.naming import Names
from tf_json import REPO_ROOT, as_list, config, one, referenced, resources

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
USE_CASE = CONFIG.use_cases["credit-risk"]
TEST, PROD = AccountRole.TEST.value, AccountRole.PROD.value
OLD_WEIGHTS = {v.name: v.weight for v in USE_CASE.deployments.prod.variants}
OLD_TEST_VERSION = USE_CASE.deployments.test.version
NEW_WEIGHTS = dict(zip(OLD_WEIGHTS, (75.0, 25.0)))
NEW_TEST_VERSION = OLD_TEST_VERSION + 1
assert len(OLD_WEIGHTS) == 2 and list(NEW_WEIGHTS.values()) != list(OLD_WEIGHTS.values()), \
    "the example config has two prod variants whose weights are not already 75/25"


@dataclass(frozen=True)
class Changed:
    stacks: dict[str, dict]


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Changed:
    root = tmp_path_factory.mktemp("changed")
    config_dir, out_dir = root / "config", root / "out"
    shutil.copytree(REPO_ROOT / "config", config_dir)
    path = config_dir / "use_cases" / f"{USE_CASE.name}.yaml"
    data = yaml.safe_load(path.read_text())
    for variant in data["deployments"]["prod"]["variants"]:
        variant["weight"] = NEW_WEIGHTS[variant["name"]]
    data["deployments"]["test"]["version"] = NEW_TEST_VERSION
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out_dir.mkdir()

    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "main.py", "--config", str(config_dir), "--out", str(out_dir)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        pytest.fail(f"synth of the changed config failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return Changed({p.parent.name: json.loads(p.read_text()) for p in out_dir.glob("*/main.tf.json")})


def endpoint(stack: dict, stage: str) -> tuple[str, dict]:
    name = NAMES.endpoint(USE_CASE.name, stage)
    found = {a: b for a, b in resources(stack, "aws_sagemaker_endpoint").items() if b["name"] == name}
    assert len(found) == 1, f"expected one endpoint named {name!r}, found {sorted(found)}"
    return next(iter(found.items()))


def endpoint_config(stack: dict, stage: str) -> tuple[str, dict]:
    _, body = endpoint(stack, stage)
    type_, address, config_ = referenced(stack, body["endpoint_config_name"])
    assert type_ == "aws_sagemaker_endpoint_configuration"
    assert body["endpoint_config_name"] == f"${{aws_sagemaker_endpoint_configuration.{address}.name}}", \
        "the endpoint must follow the configuration's name, or a new configuration would not reach it"
    return address, config_


def models_by_variant(stack: dict, stage: str) -> dict[str, tuple[str, dict]]:
    _, config_ = endpoint_config(stack, stage)
    out = {}
    for variant in as_list(config_["production_variants"]):
        type_, address, model = referenced(stack, variant["model_name"])
        assert type_ == "aws_sagemaker_model"
        out[variant["variant_name"]] = (address, model)
    return out


def without_metadata(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "//"}


def create_before_destroy(body: dict) -> bool:
    return one(body.get("lifecycle", {})).get("create_before_destroy") is True


# --- the change really happened (otherwise everything below passes vacuously) ----------------------


def test_the_changed_synth_carries_the_new_weights_and_version(synth, changed):
    _, prod_config = endpoint_config(changed.stacks[PROD], PROD)
    assert {v["variant_name"]: v["initial_variant_weight"] for v in as_list(prod_config["production_variants"])} == NEW_WEIGHTS
    [(_, (_, qa_model))] = models_by_variant(changed.stacks[TEST], TEST).items()
    assert one(qa_model["primary_container"])["model_package_name"] == \
        NAMES.package_arn(USE_CASE.model_package_group.name, NEW_TEST_VERSION)


# --- the endpoint: same address, same name, updated in place ---------------------------------------


@pytest.mark.parametrize("stage", [TEST, PROD])
def test_endpoint_keeps_its_address_and_name(synth, changed, stage):
    before_address, before = endpoint(synth.stacks[stage], stage)
    after_address, after = endpoint(changed.stacks[stage], stage)

    assert after_address == before_address, "a new address plans as destroy old endpoint + create new one"
    assert after["name"] == before["name"] == NAMES.endpoint(USE_CASE.name, stage)
    assert set(resources(changed.stacks[stage], "aws_sagemaker_endpoint")) == set(resources(synth.stacks[stage], "aws_sagemaker_endpoint"))
    # only the configuration may differ; here it is even the same reference (same config address)
    assert without_metadata(after) == without_metadata(before)


@pytest.mark.parametrize("stage", [TEST, PROD])
def test_endpoint_is_never_replaced_before_or_instead_of_updated(synth, changed, stage):
    """No lifecycle on the endpoint that would turn an update into a replacement."""
    for stack in (synth.stacks[stage], changed.stacks[stage]):
        _, body = endpoint(stack, stage)
        lifecycle = one(body.get("lifecycle", {}))
        assert not lifecycle.get("replace_triggered_by"), lifecycle
        assert not lifecycle.get("create_before_destroy"), \
            "create_before_destroy on a fixed-name endpoint would fail on the name (and a replacement is what we avoid)"


# --- the configuration: same address, new name, create before destroy -----------------------------


@pytest.mark.parametrize("stage", [TEST, PROD])
def test_endpoint_configuration_gets_a_new_name_and_is_created_before_the_old_is_destroyed(synth, changed, stage):
    before_address, before = endpoint_config(synth.stacks[stage], stage)
    after_address, after = endpoint_config(changed.stacks[stage], stage)

    assert after_address == before_address
    assert after["name"] != before["name"], \
        "same name: create_before_destroy would collide, and without it the endpoint's config is deleted first"
    assert create_before_destroy(before) and create_before_destroy(after)
    assert len(after["name"]) <= 63
    # the data capture and encryption do not change with a weight or version
    assert after["kms_key_arn"] == before["kms_key_arn"]
    assert after["data_capture_config"] == before["data_capture_config"]


# --- the models ------------------------------------------------------------------------------------


def test_prod_weight_change_keeps_every_model(synth, changed):
    before = models_by_variant(synth.stacks[PROD], PROD)
    after = models_by_variant(changed.stacks[PROD], PROD)

    assert set(after) == set(before) == set(OLD_WEIGHTS)
    for variant in before:
        (before_address, before_model), (after_address, after_model) = before[variant], after[variant]
        assert after_address == before_address, variant
        assert after_model["name"] == before_model["name"], f"{variant}: a weight change must not recreate its model"
        assert without_metadata(after_model) == without_metadata(before_model), variant


def test_test_version_change_gives_the_model_a_new_name_created_before_destroy(synth, changed):
    [(variant, (before_address, before))] = models_by_variant(synth.stacks[TEST], TEST).items()
    [(after_variant, (after_address, after))] = models_by_variant(changed.stacks[TEST], TEST).items()

    assert after_variant == variant
    assert after["name"] != before["name"]
    assert f"-v{NEW_TEST_VERSION}-" in after["name"] and f"-v{OLD_TEST_VERSION}-" in before["name"]
    assert create_before_destroy(before) and create_before_destroy(after)
    group = USE_CASE.model_package_group.name
    assert one(before["primary_container"])["model_package_name"] == NAMES.package_arn(group, OLD_TEST_VERSION)
    assert one(after["primary_container"])["model_package_name"] == NAMES.package_arn(group, NEW_TEST_VERSION)


@pytest.mark.parametrize("stage", [TEST, PROD])
def test_every_model_and_configuration_is_create_before_destroy(changed, stage):
    stack = changed.stacks[stage]
    for type_ in ("aws_sagemaker_model", "aws_sagemaker_endpoint_configuration"):
        bodies = resources(stack, type_)
        assert bodies, f"no {type_} in {stage}"
        for address, body in bodies.items():
            assert create_before_destroy(body), f"{stage}: {type_}.{address}"


# --- what depends on the endpoint does not churn ---------------------------------------------------


def test_prod_monitoring_is_unchanged_by_a_weight_change(synth, changed):
    """Job definitions are immutable and fixed-name: a needless change would delete and recreate them."""
    for type_ in ("aws_sagemaker_data_quality_job_definition", "aws_sagemaker_monitoring_schedule", "aws_cloudwatch_metric_alarm"):
        before, after = resources(synth.stacks[PROD], type_), resources(changed.stacks[PROD], type_)
        assert before, type_
        assert {a: without_metadata(b) for a, b in after.items()} == {a: without_metadata(b) for a, b in before.items()}, type_


@pytest.mark.parametrize("stage", [TEST, PROD])
def test_api_is_not_redeployed_by_a_model_change(synth, changed, stage):
    for type_ in ("aws_api_gateway_rest_api", "aws_api_gateway_deployment", "aws_api_gateway_stage"):
        before, after = resources(synth.stacks[stage], type_), resources(changed.stacks[stage], type_)
        assert before, type_
        assert {a: without_metadata(b) for a, b in after.items()} == {a: without_metadata(b) for a, b in before.items()}, type_


def test_inference_lambda_reports_the_new_test_version(synth, changed):
    name = f"{NAMES.endpoint(USE_CASE.name, TEST)}-inference"

    def versions(stack):
        [body] = [b for b in resources(stack, "aws_lambda_function").values() if b["function_name"] == name]
        return json.loads(one(body["environment"])["variables"]["MODEL_VERSION_BY_VARIANT"])

    assert list(versions(synth.stacks[TEST]).values()) == [OLD_TEST_VERSION]
    assert list(versions(changed.stacks[TEST]).values()) == [NEW_TEST_VERSION]


def test_other_stacks_are_untouched(synth, changed):
    """A deployment change in a use case touches test and prod only, never governance or dev."""
    for stage in (AccountRole.GOVERNANCE.value, AccountRole.DEV.value):
        assert changed.stacks[stage] == synth.stacks[stage], stage

