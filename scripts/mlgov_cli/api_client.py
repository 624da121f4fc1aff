"""SigV4-signed POSTs to our IAM-authorised APIs: /predict of an inference API, /decisions of the decision API.

On AWS the URL is the execute-api host; in the sandbox (an endpoint URL is set) API Gateway is
served by the emulator under ``{endpoint_url}/_mlgov/execute-api/{api_id}/{stage}/predict``.
Connections are kept alive, so measured latencies are the API's, not TLS handshakes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import boto3
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError, ClientError

from mlgov_cli.errors import AwsFailure, CliError, aws_failure
from mlgov_config.regions import partition_of

SERVICE = "execute-api"
DEFAULT_STAGE = "v1"  # modules/inference_api.py InferenceApiProps.stage_name


def inference_api_name(endpoint_name: str) -> str:
    """The REST API's name, as the test/prod stacks create it: ``{Names.endpoint(use_case, stage)}-inference``."""
    return f"{endpoint_name}-inference"


def api_url(api_id: str, region: str, path: str, stage: str = DEFAULT_STAGE, endpoint_url: str | None = None) -> str:
    if endpoint_url:
        return f"{endpoint_url.rstrip('/')}/_mlgov/execute-api/{api_id}/{stage}/{path}"
    return f"https://{api_id}.{partition_of(region).service_host('execute-api', region)}/{stage}/{path}"


def predict_url(api_id: str, region: str, stage: str = DEFAULT_STAGE, endpoint_url: str | None = None) -> str:
    return api_url(api_id, region, "predict", stage, endpoint_url)


def find_api_id(apigateway: Any, name: str, stack: str = "test") -> str:
    """The id of the one REST API called ``name`` (GetRestApis, paginated)."""
    try:
        ids = [api["id"] for page in apigateway.get_paginator("get_rest_apis").paginate()
               for api in page.get("items", []) if api.get("name") == name]
    except (ClientError, BotoCoreError) as error:
        raise aws_failure(f"listing REST APIs to find {name!r} (pass --api-id to skip the lookup)", error) from None
    if len(ids) != 1:
        raise CliError(f"expected one REST API named {name!r} in the {stack} account, found {len(ids)}"
                       + ("" if ids else f": is the {stack} stack applied?"))
    return ids[0]


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any  # parsed JSON, or the raw text when the answer is not JSON
    latency_ms: float


class InferenceApiClient:
    """Signs every request with the session's current credentials (refreshed by botocore when they expire)."""

    def __init__(self, session: boto3.Session, url: str, region: str | None = None, timeout: float = 30.0,
                 pool: urllib3.PoolManager | None = None) -> None:
        self.session = session
        self.url = url
        self.region = region or session.region_name
        self.timeout = timeout
        self._pool = pool or urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5.0, read=timeout))

    def signed_request(self, body: bytes, content_type: str = "application/json") -> AWSRequest:
        credentials = self.session.get_credentials()
        if credentials is None:
            raise CliError("no AWS credentials to sign the request with")
        request = AWSRequest(method="POST", url=self.url, data=body, headers={"Content-Type": content_type})
        SigV4Auth(credentials.get_frozen_credentials(), SERVICE, self.region).add_auth(request)
        return request

    def post(self, payload: Any, *, raw: bytes | None = None) -> ApiAnswer:
        """POST ``payload`` as JSON (or ``raw`` bytes as they are) and time the round trip."""
        body = raw if raw is not None else json.dumps(payload).encode()
        request = self.signed_request(body)
        started = time.perf_counter()
        try:
            response = self._pool.request("POST", self.url, body=body, headers=dict(request.headers.items()),
                                          redirect=False)
        except urllib3.exceptions.HTTPError as error:
            raise AwsFailure(f"POST {self.url} failed: {error}") from None
        latency_ms = (time.perf_counter() - started) * 1000
        text = response.data.decode("utf-8", errors="replace")
        try:
            parsed: Any = json.loads(text) if text else {}
        except json.JSONDecodeError:
            parsed = text
        return ApiAnswer(response.status, parsed, latency_ms)
