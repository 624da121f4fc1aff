"""The deployed history-archive path in the sandbox: a PutItem on a streamed table runs the packaged function
(asynchronously, through its filtered mapping: dynamodb_stream_delivery) and the history item lands once in
the Object Lock bucket."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path

from sandbox_accounts import GOV, REGION
from sandbox_functions import LAMBDA_TRUST

from modules.history_archive import STREAM_PATTERNS
from modules.lambda_package import build_zip
from sandbox import lambda_runner
from modules.python_function import LAMBDA_SRC

POWERTOOLS_LAYER = f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:7"


def _archive_function(aws, tmp_path: Path, bucket: str) -> str:
    zip_path = tmp_path / "history_archive.zip"
    build_zip(LAMBDA_SRC, "history_archive", zip_path)
    name = f"history-archive-{uuid.uuid4().hex[:6]}"
    role = aws("iam", GOV).create_role(RoleName=f"{name}-lambda", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    return aws("lambda", GOV).create_function(
        FunctionName=name, Runtime="python3.11", Role=role["Role"]["Arn"], Handler="history_archive.handler.lambda_handler",
        Code={"ZipFile": zip_path.read_bytes()}, Timeout=30, Layers=[POWERTOOLS_LAYER],
        Environment={"Variables": {"ARCHIVE_BUCKET": bucket, "POWERTOOLS_SERVICE_NAME": "history-archive"}},
    )["FunctionArn"]


def test_a_history_item_written_to_the_table_is_archived_once(aws, tmp_path):
    ddb, s3 = aws("dynamodb", GOV), aws("s3", GOV)
    table = f"t-{uuid.uuid4().hex[:8]}"
    stream = ddb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    bucket = f"audit-{uuid.uuid4().hex[:8]}-{GOV}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    function = _archive_function(aws, tmp_path, bucket)
    aws("lambda", GOV).create_event_source_mapping(EventSourceArn=stream, FunctionName=function,
                                                   StartingPosition="TRIM_HORIZON", BisectBatchOnFunctionError=True,
                                                   FunctionResponseTypes=["ReportBatchItemFailures"],
                                                   FilterCriteria={"Filters": [{"Pattern": json.dumps(p)} for p in STREAM_PATTERNS]})
    history = {"pk": {"S": "MODEL#g#000001"}, "sk": {"S": "HIST#2026-12-01T10:00:00.000Z#abc"},
               "change_day": {"S": "2026-12-01"}, "chain_seq": {"N": "1"}, "stage": {"S": "Dev"}}
    ddb.put_item(TableName=table, Item=history)
    ddb.put_item(TableName=table, Item={"pk": {"S": "MODEL#g#000001"}, "sk": {"S": "STATE"}})  # not archived
    assert lambda_runner.drain(120)

    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [o["Key"] for o in listed] == ["history/dt=2026-12-01/MODEL%23g%23000001__HIST%232026-12-01T10%3A00%3A00.000Z%23abc.json.gz"]
    line = gzip.decompress(s3.get_object(Bucket=bucket, Key=listed[0]["Key"])["Body"].read()).decode()
    assert json.loads(line) == {"pk": "MODEL#g#000001", "sk": "HIST#2026-12-01T10:00:00.000Z#abc",
                                "change_day": "2026-12-01", "chain_seq": 1, "stage": "Dev"}
    assert len(s3.list_object_versions(Bucket=bucket)["Versions"]) == 1
