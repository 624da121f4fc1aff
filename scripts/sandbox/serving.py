"""Seed steps 6-7 in the sandbox: a signed request through the test API, and QA metrics reported
from the test account to the governance metrics bus (where metrics-ingest records them)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from sandbox.accounts import AccountSession

METRICS_SOURCE = "mlgov.metrics"
METRICS_DETAIL_TYPE = "Model Metrics Reported"


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: dict


def rest_api_id(session: AccountSession, api_name: str) -> str:
    apis = [a for a in session.client("apigateway").get_rest_apis()["items"] if a["name"] == api_name]
    if len(apis) != 1:
        raise RuntimeError(f"expected one REST API named {api_name!r} in account {session.account_id}, found {len(apis)}")
    return apis[0]["id"]


def call_predict(session: AccountSession, api_id: str, payload: dict, stage: str = "v1") -> ApiAnswer:
    """POST /predict signed with SigV4 as the session's role, through the sandbox's API Gateway route."""
    url = f"{session.endpoint_url}/_mlgov/execute-api/{api_id}/{stage}/predict"
    request = AWSRequest(method="POST", url=url, data=json.dumps(payload), headers={"Content-Type": "application/json"})
    SigV4Auth(session.session.get_credentials(), "execute-api", session.session.region_name).add_auth(request)
    prepared = urllib.request.Request(url, data=request.body, headers=dict(request.headers), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=120) as response:  # noqa: S310 - loopback sandbox
            return ApiAnswer(response.status, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return ApiAnswer(error.code, json.loads(error.read() or b"{}"))


def report_qa_metrics(publisher: AccountSession, bus_arn: str, group: str, version: int, metrics: dict[str, float]) -> None:
    detail = {
        "schema_version": 1, "model_package_group": group, "model_version": version, "stage": "Test", "kind": "qa",
        "metrics": metrics, "reported_by": publisher.role_arn,
        "reported_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    answer = publisher.client("events").put_events(Entries=[{
        "EventBusName": bus_arn, "Source": METRICS_SOURCE, "DetailType": METRICS_DETAIL_TYPE, "Detail": json.dumps(detail),
    }])
    if answer.get("FailedEntryCount"):
        raise RuntimeError(f"metrics event refused: {answer['Entries']}")
