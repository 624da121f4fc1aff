"""Test and prod stacks: endpoints from shared registry versions, the inference API, monitoring, metrics role.

Every expectation is derived from config (accounts, groups, versions, weights, features), and every
cross-resource link is followed through its Terraform reference, so a resource that exists but is
wired to the wrong thing fails here.
"""

from __future__ import annotations

import json

import pytest

from mlgov_config import AccountRole
from mlgov_config.models import ProdDeployment
from mlgov_core import release
from modules.naming import Names
from tf_json import actions, as_list, attached, config, iam_role_policy, one, referenced, refers_to, resources, statements

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
PREFIX = CONFIG.platform.name_prefix
REGION = CONFIG.platform.home_region
GOVERNANCE_ACCOUNT = CONFIG.platform.account_id(AccountRole.GOVERNANCE)
WORKLOADS = (AccountRole.TEST.value, AccountRole.PROD.value)
# (stage, use case, deployment) for every deployment in config
DEPLOYED = [(role.value, uc, deployment) for uc in CONFIG.use_cases.values()
            for role, deployment in uc.deployments.by_role().items()]
assert {stage for stage, _, _ in DEPLOYED} == set(WORKLOADS), "the example config deploys to both test and prod"


def deployment_id(row) -> str:
    return f"{row[0]}-{row[1].name}"


def expected_variants(uc, deployment) -> dict[str, tuple[int, float]]:
    """variant name -> (version, weight) as config says; test serves its one version with all traffic."""
    if isinstance(deployment, ProdDeployment):
        return {v.name: (v.version, v.weight) for v in deployment.variants}
    return {"qa": (deployment.version, 1)}


def expected_packages(uc, deployment) -> dict[str, str]:
    """variant name -> the package its model is built from: prod's releases, test's registry version."""
    group = uc.model_package_group.name
    if isinstance(deployment, ProdDeployment):
        return {v.name: package_arn(release.release_group(group), v.release) for v in deployment.variants}
    return {"qa": package_arn(group, deployment.version)}


def package_arn(group: str, version: int) -> str:
    return f"arn:aws:sagemaker:{REGION}:{GOVERNANCE_ACCOUNT}:model-package/{group}/{version}"


def endpoint_of(stack: dict, endpoint_name: str) -> tuple[str, dict]:
    found = {n: b for n, b in resources(stack, "aws_sagemaker_endpoint").items() if b.get("name") == endpoint_name}
    assert len(found) == 1, f"expected one aws_sagemaker_endpoint named {endpoint_name!r}, found {sorted(found)}"
    return next(iter(found.items()))


def endpoint_config_of(stack: dict, endpoint_name: str) -> tuple[str, dict]:
    _, endpoint = endpoint_of(stack, endpoint_name)
    type_, name, body = referenced(stack, endpoint["endpoint_config_name"])
    assert type_ == "aws_sagemaker_endpoint_configuration", endpoint["endpoint_config_name"]
    return name, body


def function_named(stack: dict, function_name: str) -> tuple[str, dict]:
    found = {n: b for n, b in resources(stack, "aws_lambda_function").items() if b.get("function_name") == function_name}
    assert len(found) == 1, f"expected one Lambda named {function_name!r}, found {sorted(found)}"
    return next(iter(found.items()))


def is_kms_key(stack: dict, value) -> bool:
    if not isinstance(value, str) or not value.startswith("${aws_kms_key."):
        return False
    return referenced(stack, value)[0] == "aws_kms_key"


def rest_api_named(stack: dict, api_name: str) -> tuple[str, dict]:
    found = {n: b for n, b in resources(stack, "aws_api_gateway_rest_api").items() if b.get("name") == api_name}
    assert len(found) == 1, f"expected one REST API named {api_name!r}, found {sorted(found)}"
    return next(iter(found.items()))


def on_api(stack: dict, type_: str, api: str) -> list[dict]:
    return attached(stack, type_, "rest_api_id", "aws_api_gateway_rest_api", api)


# --- endpoint configuration, models --------------------------------------------------------------


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_endpoint_config_is_kms_encrypted_and_captures_input_and_output(synth, row):
    stage, uc, _ = row
    stack = synth.stacks[stage]
    _, cfg = endpoint_config_of(stack, NAMES.endpoint(uc.name, stage))

    assert is_kms_key(stack, cfg.get("kms_key_arn")), f"kms_key_arn {cfg.get('kms_key_arn')!r}"
    capture = one(cfg["data_capture_config"])
    assert capture["enable_capture"] is True
    modes = sorted(one(o)["capture_mode"] for o in as_list(capture["capture_options"]))
    assert modes == ["Input", "Output"], modes
    assert 1 <= capture["initial_sampling_percentage"] <= 100
    assert is_kms_key(stack, capture.get("kms_key_id")), f"capture kms_key_id {capture.get('kms_key_id')!r}"

    uri = capture["destination_s3_uri"]
    assert uri.startswith("s3://"), uri
    bucket_name = uri.removeprefix("s3://").split("/", 1)[0]
    buckets = {n: b for n, b in resources(stack, "aws_s3_bucket").items() if b.get("bucket") == bucket_name}
    assert len(buckets) == 1, f"capture bucket {bucket_name!r} is not a bucket of the {stage} stack"
    [bucket] = buckets
    [sse] = attached(stack, "aws_s3_bucket_server_side_encryption_configuration", "bucket", "aws_s3_bucket", bucket)
    default = one(one(sse["rule"])["apply_server_side_encryption_by_default"])
    assert default["sse_algorithm"] == "aws:kms", default
    assert is_kms_key(stack, default.get("kms_master_key_id")), default


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_variants_and_weights_are_exactly_the_configured_ones(synth, row):
    stage, uc, deployment = row
    stack = synth.stacks[stage]
    _, cfg = endpoint_config_of(stack, NAMES.endpoint(uc.name, stage))
    variants = as_list(cfg["production_variants"])

    actual = {v["variant_name"]: v["initial_variant_weight"] for v in variants}
    assert len(actual) == len(variants), "variant names repeat"
    assert actual == {name: weight for name, (_, weight) in expected_variants(uc, deployment).items()}
    if stage == AccountRole.TEST.value:
        assert len(variants) == 1
        assert variants[0]["instance_type"] == deployment.instance_type
        assert variants[0]["initial_instance_count"] == deployment.instance_count
    else:
        by_name = {v.name: v for v in deployment.variants}
        for v in variants:
            assert v["instance_type"] == by_name[v["variant_name"]].instance_type
            assert v["initial_instance_count"] == by_name[v["variant_name"]].instance_count


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_models_come_from_the_release_in_prod_and_the_shared_version_in_test(synth, row):
    stage, uc, deployment = row
    stack = synth.stacks[stage]
    _, cfg = endpoint_config_of(stack, NAMES.endpoint(uc.name, stage))
    expected = expected_packages(uc, deployment)

    models_used = set()
    for variant in as_list(cfg["production_variants"]):
        type_, model_name, model = referenced(stack, variant["model_name"])
        assert type_ == "aws_sagemaker_model"
        models_used.add(model_name)
        container = one(model["primary_container"])
        assert container["model_package_name"] == expected[variant["variant_name"]], container
        assert container.get("image") is None and container.get("model_data_url") is None, \
            "a model from a registry version must not also name its own image or artifact"
        assert model["enable_network_isolation"] is True
        assert as_list(model.get("container", [])) == [], "a model package model has one primary container"
    # no stray models in the stack that no variant serves (e.g. an old version left behind)
    ours = {n for n, b in resources(stack, "aws_sagemaker_model").items()
            if b["name"].startswith(NAMES.endpoint(uc.name, stage) + "-")}
    assert ours == models_used


@pytest.mark.parametrize("stage", WORKLOADS)
def test_package_arns_point_at_the_governance_account(synth, stage):
    """No model in test or prod comes from its own account's registry or another region."""
    models = resources(synth.stacks[stage], "aws_sagemaker_model")
    assert models
    for name, model in models.items():
        arn = one(model["primary_container"])["model_package_name"]
        assert arn.startswith(f"arn:aws:sagemaker:{REGION}:{GOVERNANCE_ACCOUNT}:model-package/"), f"{stage}: {name}: {arn}"


# --- inference API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_api_method_is_iam_authorised_and_validates_the_body_against_a_schema(synth, row):
    stage, uc, _ = row
    stack = synth.stacks[stage]
    api, _ = rest_api_named(stack, f"{NAMES.endpoint(uc.name, stage)}-inference")
    methods = on_api(stack, "aws_api_gateway_method", api)
    assert methods, "the API has no method"
    for method in methods:
        assert method["authorization"] == "AWS_IAM", method
        type_, _, validator = referenced(stack, method["request_validator_id"])
        assert type_ == "aws_api_gateway_request_validator"
        assert validator["validate_request_body"] is True
        models = method.get("request_models") or {}
        assert "application/json" in models, method
        model_ref = models["application/json"]
        type_, _, model = referenced(stack, model_ref)
        assert type_ == "aws_api_gateway_model" and refers_to(model["rest_api_id"], "aws_api_gateway_rest_api", api)
        schema = json.loads(model["schema"])
        assert schema.get("$schema", "").startswith("http://json-schema.org/draft-04"), schema
        assert schema["type"] == "object" and schema.get("required"), schema


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_api_stage_traces_and_writes_access_logs_to_an_encrypted_retained_log_group(synth, row):
    stage, uc, _ = row
    stack = synth.stacks[stage]
    api, _ = rest_api_named(stack, f"{NAMES.endpoint(uc.name, stage)}-inference")
    [api_stage] = on_api(stack, "aws_api_gateway_stage", api)

    assert api_stage["xray_tracing_enabled"] is True
    log_settings = one(api_stage["access_log_settings"])
    type_, _, group = referenced(stack, log_settings["destination_arn"])
    assert type_ == "aws_cloudwatch_log_group"
    assert is_kms_key(stack, group.get("kms_key_id")), group
    assert group.get("retention_in_days") == CONFIG.platform.governance.log_retention_days
    fields = json.loads(log_settings["format"])
    assert {"requestId", "caller", "status"} <= set(fields), fields


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_api_stage_is_throttled_and_never_cached(synth, row):
    stage, uc, _ = row
    stack = synth.stacks[stage]
    api, _ = rest_api_named(stack, f"{NAMES.endpoint(uc.name, stage)}-inference")
    stages = {n: b for n, b in resources(stack, "aws_api_gateway_stage").items()
              if refers_to(b["rest_api_id"], "aws_api_gateway_rest_api", api)}
    assert len(stages) == 1, stages
    [(stage_address, api_stage)] = stages.items()
    assert not api_stage.get("cache_cluster_enabled"), "a cache cluster would serve stale predictions"
    [settings_block] = on_api(stack, "aws_api_gateway_method_settings", api)
    assert refers_to(settings_block["stage_name"], "aws_api_gateway_stage", stage_address), settings_block["stage_name"]
    assert settings_block["method_path"] == "*/*"
    settings = one(settings_block["settings"])
    assert settings["throttling_rate_limit"] > 0 and settings["throttling_burst_limit"] > 0, settings
    assert settings["caching_enabled"] is False


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_api_integrates_with_the_inference_lambda_and_only_the_predict_route_may_invoke_it(synth, row):
    stage, uc, _ = row
    stack = synth.stacks[stage]
    endpoint_name = NAMES.endpoint(uc.name, stage)
    api, _ = rest_api_named(stack, f"{endpoint_name}-inference")
    function, _ = function_named(stack, f"{endpoint_name}-inference")

    [integration] = on_api(stack, "aws_api_gateway_integration", api)
    assert integration["type"] == "AWS_PROXY"
    assert integration["integration_http_method"] == "POST"
    assert integration["uri"] == f"${{aws_lambda_function.{function}.invoke_arn}}"

    permissions = [p for p in resources(stack, "aws_lambda_permission").values()
                   if p.get("principal") == "apigateway.amazonaws.com"
                   and refers_to(p["function_name"], "aws_lambda_function", function)]
    assert len(permissions) == 1, permissions
    [permission] = permissions
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["source_arn"] == f"${{aws_api_gateway_rest_api.{api}.execution_arn}}/*/POST/predict"


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_inference_lambda_knows_its_endpoint_and_which_version_each_variant_serves(synth, row):
    stage, uc, deployment = row
    stack = synth.stacks[stage]
    endpoint_name = NAMES.endpoint(uc.name, stage)
    _, function = function_named(stack, f"{endpoint_name}-inference")
    env = one(function["environment"])["variables"]

    assert env["ENDPOINT_NAME"] == endpoint_name
    versions = json.loads(env["MODEL_VERSION_BY_VARIANT"])
    assert versions == {name: version for name, (version, _) in expected_variants(uc, deployment).items()}
    # ...and those names are exactly the endpoint's variants (the proxy reports what served a request)
    _, cfg = endpoint_config_of(stack, endpoint_name)
    assert set(versions) == {v["variant_name"] for v in as_list(cfg["production_variants"])}


@pytest.mark.parametrize("row", DEPLOYED, ids=deployment_id)
def test_inference_lambda_may_invoke_only_its_own_endpoint(synth, row):
    stage, uc, _ = row
    stack = synth.stacks[stage]
    endpoint_name = NAMES.endpoint(uc.name, stage)
    function, body = function_named(stack, f"{endpoint_name}-inference")
    endpoint, _ = endpoint_of(stack, endpoint_name)
    _, _, role = referenced(stack, body["role"])
    _, policy = iam_role_policy(stack, role["name"])
    invoke = [s for s in statements(policy) if s["Effect"] == "Allow" and any(a.startswith("sagemaker:") for a in actions(s))]
    assert invoke, "the inference Lambda cannot call its endpoint"
    for s in invoke:
        assert actions(s) == ["sagemaker:InvokeEndpoint"], s
        assert as_list(s["Resource"]) == [f"${{aws_sagemaker_endpoint.{endpoint}.arn}}"], s


# --- monitoring (prod only) ------------------------------------------------------------------------

PROD_ROWS = [r for r in DEPLOYED if r[0] == AccountRole.PROD.value]


@pytest.mark.parametrize("row", PROD_ROWS, ids=deployment_id)
def test_prod_monitors_data_quality_of_its_endpoint_on_the_configured_schedule(synth, row):
    stage, uc, deployment = row
    stack = synth.stacks[stage]
    endpoint, _ = endpoint_of(stack, NAMES.endpoint(uc.name, stage))
    schedules = list(resources(stack, "aws_sagemaker_monitoring_schedule").values())
    assert len(schedules) == 1, schedules
    config_ = one(schedules[0]["monitoring_schedule_config"])

    assert config_["monitoring_type"] == "DataQuality"
    assert one(config_["schedule_config"])["schedule_expression"] == deployment.monitoring.schedule_expression
    type_, _, job = referenced(stack, config_["monitoring_job_definition_name"])
    assert type_ == "aws_sagemaker_data_quality_job_definition"
    endpoint_input = one(one(job["data_quality_job_input"])["endpoint_input"])
    assert endpoint_input["endpoint_name"] == f"${{aws_sagemaker_endpoint.{endpoint}.name}}"
    baseline = one(job["data_quality_baseline_config"])
    baseline_uri = deployment.monitoring.baseline_s3_uri
    assert one(baseline["constraints_resource"])["s3_uri"] == f"{baseline_uri}constraints.json"
    assert one(baseline["statistics_resource"])["s3_uri"] == f"{baseline_uri}statistics.json"
    assert one(job["data_quality_app_specification"])["image_uri"] == deployment.monitoring.analyzer_image_uri
    assert is_kms_key(stack, one(job["data_quality_job_output_config"]).get("kms_key_id"))
    assert is_kms_key(stack, one(one(job["job_resources"])["cluster_config"]).get("volume_kms_key_id"))


@pytest.mark.parametrize("row", PROD_ROWS, ids=deployment_id)
def test_prod_alarms_on_errors_and_latency_per_variant_and_drift_per_feature(synth, row):
    stage, uc, deployment = row
    stack = synth.stacks[stage]
    endpoint_name = NAMES.endpoint(uc.name, stage)
    topics = {n for n, b in resources(stack, "aws_sns_topic").items() if b["name"] == f"{PREFIX}-{stage}-alarms"}
    assert len(topics) == 1, topics
    [topic] = topics
    alarms = [a for a in resources(stack, "aws_cloudwatch_metric_alarm").values()
              if (a.get("dimensions") or {}).get("EndpointName") == endpoint_name]

    def find(metric: str, **dims: str) -> list[dict]:
        return [a for a in alarms if a["metric_name"] == metric
                and all(a["dimensions"].get(k) == v for k, v in dims.items())]

    for variant in deployment.variants:
        errors = find("Invocation5XXErrors", VariantName=variant.name)
        assert len(errors) == 1, f"5xx alarms for {variant.name}: {errors}"
        assert errors[0]["namespace"] == "AWS/SageMaker"
        assert errors[0]["threshold"] == deployment.alarms.max_5xx_errors_per_5_minutes
        latency = find("ModelLatency", VariantName=variant.name)
        assert len(latency) == 1, f"latency alarms for {variant.name}: {latency}"
        assert latency[0]["namespace"] == "AWS/SageMaker"
        # ModelLatency is in microseconds
        assert latency[0]["threshold"] == deployment.alarms.max_p95_model_latency_ms * 1000
    for feature in deployment.monitoring.drift_alarm_features:
        drift = find(f"feature_baseline_drift_{feature}")
        assert len(drift) == 1, f"drift alarms for {feature}: {drift}"
        assert drift[0]["namespace"] == "/aws/sagemaker/Endpoints/data-metric"
        assert drift[0]["dimensions"].get("ScheduleName") == f"{endpoint_name}-data-quality"
    assert len(alarms) == 2 * len(deployment.variants) + len(deployment.monitoring.drift_alarm_features)
    for alarm in alarms:
        assert alarm["alarm_actions"] == [f"${{aws_sns_topic.{topic}.arn}}"], alarm["alarm_name"]


def test_test_has_no_model_monitor(synth):
    test = synth.stacks[AccountRole.TEST.value]
    assert resources(test, "aws_sagemaker_monitoring_schedule") == {}
    assert resources(test, "aws_sagemaker_data_quality_job_definition") == {}


# --- metrics publisher role ------------------------------------------------------------------------


@pytest.mark.parametrize("stage", WORKLOADS)
def test_metrics_publisher_may_only_put_events_on_the_governance_bus_and_invoke_predict(synth, stage):
    stack = synth.stacks[stage]
    _, policy = iam_role_policy(stack, f"{PREFIX}-metrics-publisher")
    bus_arn = f"arn:aws:events:{REGION}:{GOVERNANCE_ACCOUNT}:event-bus/{NAMES.metrics_bus}"
    assert NAMES.metrics_bus_arn() == bus_arn
    apis = {n for n, b in resources(stack, "aws_api_gateway_rest_api").items()}

    put, invoke = [], []
    denies = [s["Sid"] for s in statements(policy) if s["Effect"] == "Deny"]
    assert denies and all(sid.startswith("NoDecision") for sid in denies), f"unexpected Denies {denies}"
    for s in (s for s in statements(policy) if s["Effect"] == "Allow"):
        acts = actions(s)
        assert set(acts) in ({"events:PutEvents"}, {"execute-api:Invoke"}), f"unexpected actions {acts}"
        (put if acts == ["events:PutEvents"] else invoke).append(s)
    assert [as_list(s["Resource"]) for s in put] == [[bus_arn]]
    invoked = [r for s in invoke for r in as_list(s["Resource"])]
    if stage == AccountRole.TEST.value:
        assert invoked, "the test publisher runs QA against the API and needs execute-api:Invoke"
    assert {r.split(".execution_arn}")[0].removeprefix("${aws_api_gateway_rest_api.") for r in invoked} <= apis
    for resource in invoked:
        assert resource.endswith("}/v1/POST/predict"), f"execute-api:Invoke beyond the predict route: {resource}"
