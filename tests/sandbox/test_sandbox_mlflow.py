"""sagemaker_mlflow: the MLflow tracking server calls the aws provider makes, in the caller's account."""

from __future__ import annotations

import re
import uuid

import pytest
from botocore.exceptions import ClientError

from sandbox_accounts import DEV, GOV, REGION


@pytest.fixture
def server(aws):
    sm = aws("sagemaker", DEV)
    name = f"ts-{uuid.uuid4().hex[:8]}"
    arn = sm.create_mlflow_tracking_server(
        TrackingServerName=name, ArtifactStoreUri="s3://bucket-222222222222-eu-west-1/mlflow",
        RoleArn=f"arn:aws:iam::{DEV}:role/mlflow", TrackingServerSize="Small", MlflowVersion="2.16",
        AutomaticModelRegistration=False, WeeklyMaintenanceWindowStart="Sun:02:00", Tags=[{"Key": "project", "Value": "mlgov"}],
    )["TrackingServerArn"]
    return sm, name, arn


def test_create_is_created_at_once_and_described(server, aws):
    sm, name, arn = server
    assert arn == f"arn:aws:sagemaker:{REGION}:{DEV}:mlflow-tracking-server/{name}"
    described = sm.describe_mlflow_tracking_server(TrackingServerName=name)
    assert described["TrackingServerStatus"] == "Created"  # what the provider's create waiter waits for
    assert re.fullmatch(rf"https://t-[0-9a-f]+\.{REGION}\.experiments\.sagemaker\.aws", described["TrackingServerUrl"])
    assert {k: described[k] for k in ("ArtifactStoreUri", "TrackingServerSize", "MlflowVersion", "AutomaticModelRegistration",
                                      "WeeklyMaintenanceWindowStart", "RoleArn")} == {
        "ArtifactStoreUri": "s3://bucket-222222222222-eu-west-1/mlflow", "TrackingServerSize": "Small", "MlflowVersion": "2.16",
        "AutomaticModelRegistration": False, "WeeklyMaintenanceWindowStart": "Sun:02:00", "RoleArn": f"arn:aws:iam::{DEV}:role/mlflow",
    }
    assert described["CreatedBy"]["IamIdentity"]["Arn"].startswith(f"arn:aws:sts::{DEV}:assumed-role/")
    # the server lives in the caller's account only
    with pytest.raises(ClientError) as err:
        aws("sagemaker", GOV).describe_mlflow_tracking_server(TrackingServerName=name)
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"


def test_tags_on_the_server_arn(server):
    sm, _, arn = server
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "project", "Value": "mlgov"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "ds"}])
    sm.delete_tags(ResourceArn=arn, TagKeys=["project"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "ds"}]


def test_update_list_presign_delete(server):
    sm, name, arn = server
    sm.update_mlflow_tracking_server(TrackingServerName=name, TrackingServerSize="Medium")
    described = sm.describe_mlflow_tracking_server(TrackingServerName=name)
    assert described["TrackingServerStatus"] == "Updated"  # the provider's update waiter's target
    assert (described["TrackingServerSize"], described["WeeklyMaintenanceWindowStart"]) == ("Medium", "Sun:02:00")

    listed = sm.list_mlflow_tracking_servers()["TrackingServerSummaries"]
    assert arn in [s["TrackingServerArn"] for s in listed]

    url = sm.create_presigned_mlflow_tracking_server_url(TrackingServerName=name, ExpiresInSeconds=60)["AuthorizedUrl"]
    assert url.startswith(described["TrackingServerUrl"] + "/auth?authToken=")

    sm.delete_mlflow_tracking_server(TrackingServerName=name)
    with pytest.raises(ClientError) as err:
        sm.describe_mlflow_tracking_server(TrackingServerName=name)
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"  # the delete waiter's "gone"
    assert arn not in [s["TrackingServerArn"] for s in sm.list_mlflow_tracking_servers()["TrackingServerSummaries"]]


def test_duplicate_name_refused(server, aws):
    sm, name, _ = server
    with pytest.raises(ClientError) as err:
        sm.create_mlflow_tracking_server(TrackingServerName=name, ArtifactStoreUri="s3://b/x", RoleArn=f"arn:aws:iam::{DEV}:role/r")
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    # the same name is free in another account
    aws("sagemaker", GOV).create_mlflow_tracking_server(TrackingServerName=name, ArtifactStoreUri="s3://b/x",
                                                        RoleArn=f"arn:aws:iam::{GOV}:role/r")
