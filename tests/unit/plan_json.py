"""Small hand-written `terraform show -json` plans for the plan summary's unit tests."""

from __future__ import annotations

from typing import Any

PROD_ENDPOINT = "mlgov-credit-risk-prod"
RELEASE_GROUP_ARN = "arn:aws:sagemaker:eu-west-1:444455556666:model-package/credit-risk-prod-release"


def change(address: str, actions: list[str], before: Any = None, after: Any = None, **extra: Any) -> dict:
    kind, name = address.split(".", 1)
    body: dict[str, Any] = {"actions": actions, "before": before, "after": after,
                            "after_unknown": extra.pop("after_unknown", {}),
                            "before_sensitive": extra.pop("before_sensitive", {}), "after_sensitive": extra.pop("after_sensitive", {})}
    if "replace_paths" in extra:
        body["replace_paths"] = extra.pop("replace_paths")
    return {"address": address, "mode": extra.pop("mode", "managed"), "type": kind, "name": name, "change": body, **extra}


def plan(*changes: dict, drift: list[dict] | None = None) -> dict:
    return {"format_version": "1.2", "terraform_version": "1.11.4", "resource_changes": list(changes),
            "resource_drift": drift or []}


def model(address: str, name: str, package_arn: str) -> dict:
    return {"name": name, "primary_container": [{"model_package_name": package_arn}], "enable_network_isolation": True}


def config(name: str, variants: list[tuple[str, str, float]]) -> dict:
    return {"name": name, "production_variants": [
        {"variant_name": v, "model_name": m, "initial_variant_weight": w, "instance_type": "ml.m5.large"} for v, m, w in variants]}


def version_move_plan() -> dict:
    """Prod: the challenger moves from release 1 (version 1) to release 2 (version 2), weights 90/10 -> 50/50.

    The new endpoint configuration and the challenger's new model are created before the old ones go
    (create_before_destroy); the endpoint is updated in place to the new configuration's name.
    """
    champion = model("champion", f"{PROD_ENDPOINT}-champion-v1-aaaaaaaa", f"{RELEASE_GROUP_ARN}/1")
    old_challenger = model("challenger", f"{PROD_ENDPOINT}-challenger-v1-bbbbbbbb", f"{RELEASE_GROUP_ARN}/1")
    new_challenger = model("challenger", f"{PROD_ENDPOINT}-challenger-v2-cccccccc", f"{RELEASE_GROUP_ARN}/2")
    old_config = config(f"{PROD_ENDPOINT}-11111111", [("champion", champion["name"], 90), ("challenger", old_challenger["name"], 10)])
    new_config = config(f"{PROD_ENDPOINT}-22222222", [("champion", champion["name"], 50), ("challenger", new_challenger["name"], 50)])
    return plan(
        change("aws_sagemaker_model.credit-risk-endpoint_model-champion_1", ["no-op"], champion, champion),
        change("aws_sagemaker_model.credit-risk-endpoint_model-challenger_2", ["create", "delete"], old_challenger, new_challenger,
               action_reason="replace_because_cannot_update", replace_paths=[["name"], ["primary_container", 0, "model_package_name"]]),
        change("aws_sagemaker_endpoint_configuration.credit-risk-endpoint_config_3", ["create", "delete"], old_config, new_config,
               action_reason="replace_because_cannot_update", replace_paths=[["name"]]),
        change("aws_sagemaker_endpoint.credit-risk-endpoint_endpoint_4", ["update"],
               {"name": PROD_ENDPOINT, "endpoint_config_name": old_config["name"]},
               {"name": PROD_ENDPOINT, "endpoint_config_name": new_config["name"]}),
    )
