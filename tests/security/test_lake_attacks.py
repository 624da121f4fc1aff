"""Attacks on the analytics lake the governance dashboard reads (docs/security.md), against the applied stacks.

The dashboard shows the lake's rows as the record: a forged approval row or a dropped rejection would
mislead the compliance officer. Only lake-projection and the backfill operator may write or delete
them, whatever an identity policy says: the bucket policy's DenyForeignRowWriters, evaluated by the
sandbox (patches/s3_bucket_policy.py) as the committed Terraform applied it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mlgov_core.lake_tables import HISTORY
from policy_mutation import bucket_policy, extra_role_policy
from sandbox.attacks import personas

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]

FORGED_KEY = f"{HISTORY.prefix}/dt=2026-01-01/forged-approval.json.gz"
FORGED_ROW = gzip.compress(json.dumps({"model_group": "credit-risk", "version": 1, "stage": "Prod", "status": "Approved",
                                       "decider": "someone-else", "is_decision": True, "sod_breach": False}).encode() + b"\n")


@pytest.fixture(scope="module")
def lake(sandbox_story) -> dict[str, Any]:
    deployed = sandbox_story.deployed
    who = personas(deployed)
    bucket = deployed.names.analytics_lake_bucket
    admin_s3 = who["governance_admin"].client("s3")
    rows = [o["Key"] for o in admin_s3.list_objects_v2(Bucket=bucket, Prefix=f"{HISTORY.prefix}/").get("Contents", [])]
    assert rows, "the story left no history row in the lake"
    return {"deployed": deployed, "who": who, "bucket": bucket, "admin_s3": admin_s3, "row": rows[0],
            "approver_role": f"{deployed.config.platform.name_prefix}-model-approver"}


@contextmanager
def widened_approver(lake: dict[str, Any]) -> Iterator[Any]:
    """A compromised administrator gives the approver write access to the lake (with the key S3 needs for it)."""
    bucket_arn = f"arn:aws:s3:::{lake['bucket']}"
    widened = [{"Sid": "CompromisedAdminWidens", "Effect": "Allow", "Resource": [f"{bucket_arn}/*"],
                "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]},
               {"Sid": "AndTheKey", "Effect": "Allow", "Resource": ["*"], "Action": ["kms:Decrypt", "kms:GenerateDataKey"]}]
    iam = lake["who"]["governance_admin"].client("iam")
    with extra_role_policy(iam, lake["approver_role"], "widened-lake", widened):
        yield lake["who"]["approver"].client("s3")


def _refused(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def _exists(s3: Any, bucket: str, key: str) -> bool:
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


def test_a_widened_approver_can_neither_forge_nor_rewrite_nor_drop_a_dashboard_row(lake):
    bucket, row, admin = lake["bucket"], lake["row"], lake["admin_s3"]
    before = admin.get_object(Bucket=bucket, Key=row)["Body"].read()
    with widened_approver(lake) as approver:
        assert _refused(lambda: approver.put_object(Bucket=bucket, Key=FORGED_KEY, Body=FORGED_ROW)) == "AccessDenied"
        assert _refused(lambda: approver.put_object(Bucket=bucket, Key=row, Body=FORGED_ROW)) == "AccessDenied"
        assert _refused(lambda: approver.delete_object(Bucket=bucket, Key=row)) == "AccessDenied"
    assert not _exists(admin, bucket, FORGED_KEY)
    assert admin.get_object(Bucket=bucket, Key=row)["Body"].read() == before


def test_mutation_without_the_row_writer_deny_the_widened_approver_forges_a_row(lake):
    bucket, admin = lake["bucket"], lake["admin_s3"]
    try:
        with widened_approver(lake) as approver, bucket_policy(admin, bucket, ("DenyForeignRowWriters",)):
            approver.put_object(Bucket=bucket, Key=FORGED_KEY, Body=FORGED_ROW)
        assert _exists(admin, bucket, FORGED_KEY)
    finally:
        # The operator is one of the row writers: it takes the forged row out of the shared story's lake.
        admin.delete_object(Bucket=bucket, Key=FORGED_KEY)
    assert not _exists(admin, bucket, FORGED_KEY)
