"""Sandbox patches for moto 5.2.5: each module closes one gap and has an idempotent apply()."""

from __future__ import annotations

import importlib

# Order matters where patches wrap the same method: later ones wrap earlier ones.
PATCHES = (
    "sts_source_identity",  # AssumeRole: trust policy and source identity, which the SageMaker/DynamoDB ones read
    "sagemaker_cross_account",
    "sagemaker_update_fields",
    "sagemaker_lifecycle",
    "sagemaker_identity",
    "sagemaker_group_policy",
    "sagemaker_shared_groups",
    "sagemaker_events",  # outermost on Create/UpdateModelPackage: sees lifecycle and identity
    "sagemaker_mlflow",
    "ram_sharing",
    "ram_permission_arns",  # wraps ram_sharing's ListResourceSharePermissions
    "lambda_layers",
    "lambda_dead_letter",
    "lambda_logging_config",
    "lambda_invoke",
    "dynamodb_stream_delivery",  # stream records to Lambda mappings via stream_poller (async, like lambda_invoke)
    "events_input_template",
    "events_lambda_targets",
    "s3_logging_policy",
    "sagemaker_runtime_endpoints",
    "s3_bucket_policy",
    "s3_identity_denies",  # wraps s3_bucket_policy's get_permission: an identity Deny refuses first
    "s3_object_lock_retention",
    "s3_conditional_write",  # PutObject If-None-Match as one step: Terraform's native S3 state lock
    "ecr_cross_account",
    "sagemaker_readback",
    "sagemaker_update_endpoint",
    "sagemaker_monitoring",
    "events_cross_account_bus",  # on Rule.send_to_targets: sets the sender's account first
    "events_rule_state",  # outermost on Rule.send_to_targets: a rule that does not receive the event sends nothing
    "sts_cloudtrail_events",
    "apigateway_policy_readback",
    "apigateway_execute",  # nothing to wrap: served by server.py (ANY /_mlgov/execute-api/...)
    "athena_update_workgroup",
    "athena_delete_named_query",
    "quicksight_data_sources",
    "quicksight_data_sets",
    "quicksight_dashboards",
    "quicksight_permissions",  # reads the records the three above store
    # Last: outermost on the SageMaker writes it governs, so a refused call reaches no patch that
    # stores a field or emits an event.
    "sagemaker_authorization",
    "dynamodb_authorization",  # nothing else wraps the DynamoDB writes it governs
    "iam_authorization",  # nothing else wraps the IAM writes it governs
)


def apply_all() -> None:
    """Apply every patch (safe to call more than once)."""
    for name in PATCHES:
        importlib.import_module(f"{__name__}.{name}").apply()
