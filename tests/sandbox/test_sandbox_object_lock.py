"""s3_object_lock_retention and ecr_cross_account: the gaps the artifact store's controls depend on."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from botocore.exceptions import ClientError
from sandbox_accounts import DEV, GOV, REGION

from sandbox.patches.s3_object_lock_retention import weakens_compliance

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
UNTIL = "2026-12-31T00:00:00Z"


@pytest.mark.parametrize(("current_mode", "new_mode", "new_until", "weakens"), [
    ("COMPLIANCE", "COMPLIANCE", "2027-01-01T00:00:00Z", False),  # extending is allowed
    ("COMPLIANCE", "COMPLIANCE", UNTIL, False),
    ("COMPLIANCE", "COMPLIANCE", "2026-12-02T00:00:00.000Z", True),  # shortening
    ("COMPLIANCE", "GOVERNANCE", "2027-01-01T00:00:00Z", True),  # weaker mode
    ("COMPLIANCE", None, None, True),  # removing
    ("GOVERNANCE", None, None, False),  # not this patch's concern
])  # fmt: skip
def test_weakens_compliance(current_mode, new_mode, new_until, weakens):
    assert weakens_compliance(current_mode, UNTIL, new_mode, new_until, now=NOW) is weakens


def test_expired_compliance_retention_can_change():
    assert weakens_compliance("COMPLIANCE", "2026-11-30T00:00:00Z", None, None, now=NOW) is False


def test_retention_in_force_cannot_be_shortened_or_weakened(aws):
    s3 = aws("s3", GOV)
    bucket = f"mlgov-lock-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ChecksumAlgorithm="SHA256")["VersionId"]
    until = s3.head_object(Bucket=bucket, Key="k")["ObjectLockRetainUntilDate"]
    for mode, date in (("COMPLIANCE", until - datetime.timedelta(hours=1)), ("GOVERNANCE", until + datetime.timedelta(days=1))):
        with pytest.raises(ClientError) as refused:
            s3.put_object_retention(Bucket=bucket, Key="k", VersionId=version, Retention={"Mode": mode, "RetainUntilDate": date})
        assert refused.value.response["Error"]["Code"] == "AccessDenied", mode
    s3.put_object_retention(Bucket=bucket, Key="k", VersionId=version,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until + datetime.timedelta(days=1)})
    with pytest.raises(ClientError) as locked:  # moto's own check, kept: a locked version cannot be deleted
        s3.delete_object(Bucket=bucket, Key="k", VersionId=version)
    assert locked.value.response["Error"]["Code"] == "AccessDenied"


def test_dev_resolves_a_tag_in_the_governance_repository(aws):
    name = f"mlgov-ecr-{uuid.uuid4().hex[:8]}"
    owner = aws("ecr", GOV)
    owner.create_repository(repositoryName=name)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + "2" * 64, "size": 1, "mediaType": "application/vnd.docker.container.image.v1+json"},
                           "layers": []})
    digest = owner.put_image(repositoryName=name, imageManifest=manifest, imageTag="serving")["image"]["imageId"]["imageDigest"]
    images = aws("ecr", DEV).batch_get_image(registryId=GOV, repositoryName=name, imageIds=[{"imageTag": "serving"}])["images"]
    assert [i["imageId"]["imageDigest"] for i in images] == [digest]
    with pytest.raises(ClientError, match="RepositoryNotFound"):  # without registryId: dev's own registry
        aws("ecr", DEV).batch_get_image(repositoryName=name, imageIds=[{"imageTag": "serving"}])
