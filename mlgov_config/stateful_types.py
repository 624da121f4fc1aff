"""The resource types whose destruction loses something a new apply cannot bring back.

One list for the constructs (modules/stateful.py: each such resource is created with `prevent_destroy`),
for the plan summary's destructive-change guard (scripts/plan_summary.py) and its allow-list
(mlgov_config/allowed_destroys.py), and for the test that keeps their Terraform addresses stable
(tests/synth/test_synth_stateful_addresses.py).

Left out on purpose: everything Terraform recreates identically from config (roles, policies,
aliases, rules, alarms, topics, Glue tables, Athena queries, QuickSight resources, API Gateway,
Lambda functions, SageMaker models and endpoint configurations, which a version move replaces by
design), and the bucket sub-resources (versioning, policy, Object Lock settings): the bucket holds the
objects, and Object Lock cannot be switched off anyway.
"""

from __future__ import annotations

STATEFUL_TYPES: dict[str, str] = {
    "aws_dynamodb_table": "the governance table: every version's state and its hash-chained history",
    "aws_s3_bucket": "artifacts, released models, audit archive, capture data and logs; a new bucket starts empty",
    "aws_kms_key": "everything encrypted under it becomes unreadable once the key is deleted",
    "aws_sagemaker_model_package_group": "the registry: every version, approval and prod release",
    "aws_ecr_repository": "the model images; tags are immutable, so they cannot simply be pushed again",
    "aws_sagemaker_mlflow_tracking_server": "experiments, runs and their lineage to registered versions",
    "aws_sqs_queue": "dead letters not yet investigated: the only copy of events that failed",
    "aws_cloudwatch_log_group": "logs kept for the retention period (audit evidence of who did what)",
    "aws_sagemaker_endpoint": "the serving endpoint: deleting it is an outage for every caller",
}
