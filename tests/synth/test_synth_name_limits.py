"""Cross-check of Names' table of derived names against what the stacks really synthesize: every
resource name in every stack is one the table lists (so the loader checked it) and fits AWS's limit,
and every resource type carrying a config-derived name has a limit in NAME_LIMITS."""

from __future__ import annotations

import re

import pytest

from modules.naming import API_ID_PLACEHOLDER, DIGEST_PLACEHOLDER, NAME_LIMITS, Names
from tf_json import config

pytestmark = pytest.mark.synth

CONFIG = config()
DERIVED = Names.from_config(CONFIG).derived_names(CONFIG.platform, tuple(CONFIG.use_cases.values()))
# Names written as literals in the modules, not derived from config: fixed, and within AWS's limits.
LITERAL_NAMES = {
    ("aws_iam_role_policy", "name"): 128, ("aws_api_gateway_model", "name"): 128,
    ("aws_api_gateway_request_validator", "name"): 1024, ("aws_api_gateway_stage", "stage_name"): 128,
    ("aws_cloudwatch_event_target", "target_id"): 64, ("aws_lambda_permission", "statement_id"): 100,
    ("aws_cloudwatch_log_metric_filter", "name"): 512,
    # The lake's tables and the views (mlgov_core.lake_tables, mlgov_analytics.views): contract names.
    ("aws_glue_catalog_table", "name"): 255, ("aws_athena_named_query", "name"): 128,
    # QuickSight display names (titles from mlgov_analytics; the ids carry the prefix): API reference limits.
    ("aws_quicksight_data_source", "name"): 128, ("aws_quicksight_data_set", "name"): 128,
    ("aws_quicksight_dashboard", "name"): 2048,
}
NAME_ARGUMENTS = {"name", "bucket", "function_name", "alarm_name", "tracking_server_name", "model_package_group_name",
                  "stage_name", "target_id", "statement_id"}
CONTENT_DIGEST = re.compile(r"-[0-9a-f]{8}$")
WHOLE_REFERENCE = re.compile(r"\$\{[^}]+\}")
API_ID = re.compile(r"\$\{aws_api_gateway_rest_api\.[^}]+\.id\}")


def _normalized(resource: str, name: str) -> str:
    """Synthesized names as the table writes them: content digests and API ids as placeholders."""
    if resource in ("aws_sagemaker_model", "aws_sagemaker_endpoint_configuration", "aws_sagemaker_data_quality_job_definition"):
        name = CONTENT_DIGEST.sub(f"-{DIGEST_PLACEHOLDER}", name)
    return API_ID.sub(API_ID_PLACEHOLDER, name)


def _names(stack: dict):
    for resource, items in stack.get("resource", {}).items():
        for body in items.values():
            for argument, value in body.items():
                # A whole reference (${aws_s3_bucket.x.id}) names the resource that has the name.
                if argument in NAME_ARGUMENTS and isinstance(value, str) and not WHOLE_REFERENCE.fullmatch(value):
                    yield resource, argument, value


def test_every_synthesized_name_is_listed_by_names_and_fits(synth):
    listed = {(n.resource, n.name) for n in DERIVED}
    unlisted, too_long, unknown = [], [], []
    for stack_name, stack in synth.stacks.items():
        for resource, argument, value in _names(stack):
            if (resource, argument) in LITERAL_NAMES:
                if len(value) > LITERAL_NAMES[resource, argument]:
                    too_long.append((stack_name, resource, value))
                continue
            limit = NAME_LIMITS.get(resource)
            if limit is None or limit.argument != argument:
                if argument in ("name", "bucket", "function_name", "alarm_name"):  # a name nobody checks
                    unknown.append((stack_name, resource, argument, value))
                continue
            if (resource, _normalized(resource, value)) not in listed:
                unlisted.append((stack_name, resource, value))
            if limit.maximum is not None and not limit.minimum <= len(value) <= limit.maximum:
                too_long.append((stack_name, resource, value))
    assert unknown == [], "resource types whose names have no entry in NAME_LIMITS"
    assert unlisted == [], "names the stacks create that Names.derived_names does not list (the loader never checks them)"
    assert too_long == []


def test_the_table_lists_nothing_the_stacks_do_not_create(synth):
    synthesized = {(resource, _normalized(resource, value)) for stack in synth.stacks.values()
                   for resource, _, value in _names(stack)}
    assert [n for n in DERIVED if (n.resource, n.name) not in synthesized] == []
