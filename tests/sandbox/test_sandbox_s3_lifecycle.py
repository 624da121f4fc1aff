"""moto reads the stacks' lifecycle rules back exactly as put, as S3 does: no patch needed, this pins it.

aws provider 5.100.0 waits after PutBucketLifecycleConfiguration until 10 reads in a row (10 s delay, then
every 5 s: about 55 s per bucket, the same against AWS) return rules that are reflect.DeepEqual to the ones
it put, and the same TransitionDefaultMinimumObjectSize. A read-back of another shape (the empty filter
prefix dropped, a rule-level Prefix, ExpiredObjectDeleteMarker=false added, ...) fails the apply after the
3 minute create timeout.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from sandbox_accounts import GOV, REGION

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
# What the provider sends when transition_default_minimum_object_size is not configured.
PROVIDER_DEFAULT_MIN_SIZE = "all_storage_classes_128K"


def _committed_lifecycle_configs() -> list[tuple[str, list[dict]]]:
    configs = []
    for main in sorted(TERRAFORM.glob("*/main.tf.json")):
        resources = json.loads(main.read_text()).get("resource", {}).get("aws_s3_bucket_lifecycle_configuration", {})
        configs += [(f"{main.parent.name}/{name}", res["rule"]) for name, res in sorted(resources.items())]
    return configs


def _api_rule(rule: dict) -> dict:
    """The LifecycleRule the provider puts for a committed rule block (only the arguments the stacks use)."""
    unknown = set(rule) - {"id", "status", "filter", "abort_incomplete_multipart_upload",
                           "noncurrent_version_expiration", "expiration"}
    assert not unknown, f"extend _api_rule for {sorted(unknown)}"
    (flt,) = rule["filter"]
    assert set(flt) == {"prefix"}, f"extend _api_rule for filter {flt}"
    api = {"ID": rule["id"], "Status": rule["status"], "Filter": {"Prefix": flt["prefix"]}}
    for block, key, fields in (
        ("abort_incomplete_multipart_upload", "AbortIncompleteMultipartUpload",
         {"days_after_initiation": "DaysAfterInitiation"}),
        ("noncurrent_version_expiration", "NoncurrentVersionExpiration", {"noncurrent_days": "NoncurrentDays"}),
        ("expiration", "Expiration", {"days": "Days"}),
    ):
        if rule.get(block):
            (value,) = rule[block]
            assert set(value) <= set(fields), f"extend _api_rule for {block} {value}"
            api[key] = {fields[k]: v for k, v in value.items()}
    return api


CONFIGS = _committed_lifecycle_configs()


def test_stacks_define_lifecycle_configs():
    assert len(CONFIGS) >= 2 and any("Expiration" in _api_rule(r) for _, rules in CONFIGS for r in rules)


@pytest.mark.parametrize("rules", [rules for _, rules in CONFIGS], ids=[name for name, _ in CONFIGS])
def test_lifecycle_read_back_equals_put(aws, rules):
    s3 = aws("s3", GOV)
    bucket = f"mlgov-lifecycle-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    put = [_api_rule(r) for r in rules]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": put},
                                          TransitionDefaultMinimumObjectSize=PROVIDER_DEFAULT_MIN_SIZE)

    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)

    # Exact equality: a member the provider did not put (NewerNoncurrentVersions, ExpiredObjectDeleteMarker,
    # Date, a rule-level Prefix) or a missing one (the empty Filter Prefix) would fail its DeepEqual.
    assert got["Rules"] == put
    assert got["TransitionDefaultMinimumObjectSize"] == PROVIDER_DEFAULT_MIN_SIZE
