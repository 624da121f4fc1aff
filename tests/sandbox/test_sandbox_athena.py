"""athena_update_workgroup and athena_delete_named_query: the calls Terraform makes when the
governance workgroup or a view's named query changes, answered as AWS does."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from sandbox_accounts import GOV

from sandbox.patches.athena_update_workgroup import updated

RESULTS = {"OutputLocation": "s3://results/", "ExpectedBucketOwner": GOV,
           "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": "arn:aws:kms:eu-west-1:111111111111:key/k"}}


def _workgroup(athena) -> str:
    name = f"wg-{uuid.uuid4().hex[:8]}"
    athena.create_work_group(Name=name, Description="first", Tags=[{"Key": "project", "Value": "mlgov"}], Configuration={
        "EnforceWorkGroupConfiguration": True, "BytesScannedCutoffPerQuery": 10485760, "ResultConfiguration": RESULTS})
    return name


def test_updated_keeps_what_is_not_named_and_removes_what_is_flagged():
    current = {"BytesScannedCutoffPerQuery": 10485760, "PublishCloudWatchMetricsEnabled": False, "ResultConfiguration": RESULTS}
    after = updated(current, {"PublishCloudWatchMetricsEnabled": True, "ResultConfigurationUpdates": {
        "OutputLocation": "s3://elsewhere/", "RemoveExpectedBucketOwner": True}})
    assert after["BytesScannedCutoffPerQuery"] == 10485760 and after["PublishCloudWatchMetricsEnabled"] is True
    assert after["ResultConfiguration"] == {"OutputLocation": "s3://elsewhere/", "EncryptionConfiguration": RESULTS["EncryptionConfiguration"]}
    assert "BytesScannedCutoffPerQuery" not in updated(current, {"RemoveBytesScannedCutoffPerQuery": True})
    assert current["ResultConfiguration"] is RESULTS and "ExpectedBucketOwner" in RESULTS  # the input is not changed


def test_update_work_group_changes_only_the_named_members(aws):
    athena = aws("athena", GOV)
    name = _workgroup(athena)
    athena.update_work_group(WorkGroup=name, Description="second", ConfigurationUpdates={
        "BytesScannedCutoffPerQuery": 20971520, "ResultConfigurationUpdates": {"OutputLocation": "s3://results/v2/"}})
    group = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    config = group["Configuration"]
    assert (group["Description"], config["BytesScannedCutoffPerQuery"]) == ("second", 20971520)
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["ResultConfiguration"] == {**RESULTS, "OutputLocation": "s3://results/v2/"}


def test_update_of_an_unknown_work_group_is_refused(aws):
    with pytest.raises(ClientError) as refused:
        aws("athena", GOV).update_work_group(WorkGroup="no-such-group", Description="x")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"


def test_delete_named_query_removes_it_and_get_then_answers_not_found(aws):
    athena = aws("athena", GOV)
    name = _workgroup(athena)
    kept, gone = (athena.create_named_query(Name=n, Database="db", QueryString="SELECT 1", WorkGroup=name)["NamedQueryId"]
                  for n in ("kept", "gone"))
    athena.delete_named_query(NamedQueryId=gone)
    assert athena.list_named_queries(WorkGroup=name)["NamedQueryIds"] == [kept]
    for call in (athena.get_named_query, athena.delete_named_query):
        with pytest.raises(ClientError) as refused:
            call(NamedQueryId=gone)
        assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
        assert "does not exist" in refused.value.response["Error"]["Message"]
