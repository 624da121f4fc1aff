"""apigateway_execute: a deployed REST API (AWS_IAM, request validator, AWS_PROXY Lambda) answers on the sandbox port."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from sandbox_accounts import DEV, GOV, REGION
from sandbox_functions import create_python_function

ECHO = """
import json
def handler(event, context):
    body = json.loads(event["body"])
    return {"statusCode": 201, "headers": {"X-Served-By": context.function_name},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps({"event": event, "n": len(body["instances"])})}
"""
FAILING = "def handler(event, context):\n    raise RuntimeError('boom')\n"
MALFORMED = "def handler(event, context):\n    return {'statusCode': 200, 'body': {'not': 'a string'}}\n"
SCHEMA = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["instances"],
          "properties": {"instances": {"type": "array", "minItems": 1}}}  # fmt: skip


@pytest.fixture(scope="module")
def api(aws) -> str:
    """REST API in DEV: POST /predict (validated, echo), POST /boom (raises), GET /items/{id} (malformed), GET /open (NONE)."""
    apigw = aws("apigateway", DEV)
    api_id = apigw.create_rest_api(name=f"inference-{uuid.uuid4().hex[:6]}")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    validator = apigw.create_request_validator(restApiId=api_id, name="body", validateRequestBody=True)["id"]
    apigw.create_model(restApiId=api_id, name="PredictRequest", contentType="application/json", schema=json.dumps(SCHEMA))
    echo, failing, malformed = (create_python_function(aws, s, account=DEV) for s in (ECHO, FAILING, MALFORMED))

    def route(path: str, method: str, fn: str, parent: str = root, auth: str = "AWS_IAM", **extra) -> str:
        resource = apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=path)["id"]
        apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType=auth, **extra)
        uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn}/invocations"
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod=method, type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=uri)  # fmt: skip
        return resource

    route("predict", "POST", echo, requestValidatorId=validator, requestModels={"application/json": "PredictRequest"})
    route("boom", "POST", failing)
    items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    route("{id}", "GET", malformed, parent=items)
    route("open", "POST", echo, auth="NONE")
    apigw.create_deployment(restApiId=api_id, stageName="v1", variables={"color": "blue"})
    return api_id


@pytest.fixture(scope="module")
def caller_credentials(sandbox_url: str) -> dict[str, str]:
    """Credentials of a role in GOV (the client calls the DEV API cross-account)."""
    sts = boto3.client("sts", endpoint_url=sandbox_url, region_name=REGION)
    return sts.assume_role(RoleArn=f"arn:aws:iam::{GOV}:role/inference-client", RoleSessionName="client")["Credentials"]


def _call(sandbox_url: str, api_id: str, method: str, path: str, body: object = None, creds=None, raw: bytes | None = None):
    url = f"{sandbox_url}/_mlgov/execute-api/{api_id}/v1{path}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    headers = {"Content-Type": "application/json"}
    if creds:
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        from botocore.credentials import Credentials

        SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]), "execute-api", REGION).add_auth(request)
        headers = dict(request.headers)
    return requests.request(method, url, data=data, headers=headers, timeout=60)


def test_signed_call_runs_the_lambda_with_a_proxy_event(sandbox_url, api, caller_credentials):
    response = _call(sandbox_url, api, "POST", "/predict?variant=a&variant=b", {"instances": [[1, 2]]}, caller_credentials)
    assert response.status_code == 201, response.text
    assert response.headers["X-Served-By"].startswith("fn-")
    assert response.headers["Content-Type"] == "application/json"
    result = response.json()
    event = result["event"]
    assert result["n"] == 1
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/predict", "/predict", "POST")
    assert event["queryStringParameters"] == {"variant": "b"}
    assert event["multiValueQueryStringParameters"] == {"variant": ["a", "b"]}
    assert event["stageVariables"] == {"color": "blue"} and event["pathParameters"] is None
    assert event["isBase64Encoded"] is False and json.loads(event["body"]) == {"instances": [[1, 2]]}
    assert event["headers"]["Content-Type"] == "application/json" and "Authorization" in event["headers"]
    context = event["requestContext"]
    assert (context["accountId"], context["apiId"], context["stage"], context["resourcePath"]) == (DEV, api, "v1", "/predict")
    assert context["path"] == "/v1/predict" and context["requestId"] == response.headers["x-amzn-RequestId"]
    identity = context["identity"]
    assert identity["accountId"] == GOV and identity["accessKey"] == caller_credentials["AccessKeyId"]
    assert identity["userArn"] == f"arn:aws:sts::{GOV}:assumed-role/inference-client/client"


def test_schema_violation_is_400(sandbox_url, api, caller_credentials):
    for body in ({"rows": []}, {"instances": []}):
        response = _call(sandbox_url, api, "POST", "/predict", body, caller_credentials)
        assert (response.status_code, response.json()) == (400, {"message": "Invalid request body"})
    response = _call(sandbox_url, api, "POST", "/predict", creds=caller_credentials, raw=b"{not json")
    assert response.status_code == 400


def test_unsigned_or_unknown_key_is_403(sandbox_url, api, caller_credentials):
    response = _call(sandbox_url, api, "POST", "/predict", {"instances": [1]})
    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})
    stranger = {"AccessKeyId": "AKIAUNKNOWN000000000", "SecretAccessKey": "x", "SessionToken": "y"}
    response = _call(sandbox_url, api, "POST", "/predict", {"instances": [1]}, stranger)
    assert response.status_code == 403 and "security token" in response.json()["message"]
    # unknown stage / path: API Gateway's answer too
    assert _call(sandbox_url, api, "POST", "/nope", {}, caller_credentials).status_code == 403
    # a NONE method needs no signature
    assert _call(sandbox_url, api, "POST", "/open", {"instances": [1]}).status_code == 201


def test_lambda_error_or_malformed_response_is_502(sandbox_url, api, caller_credentials):
    response = _call(sandbox_url, api, "POST", "/boom", {}, caller_credentials)
    assert (response.status_code, response.json()) == (502, {"message": "Internal server error"})
    response = _call(sandbox_url, api, "GET", "/items/42", creds=caller_credentials)
    assert (response.status_code, response.json()) == (502, {"message": "Internal server error"})
    invocations = requests.get(f"{sandbox_url}/_mlgov/invocations", timeout=10).json()["invocations"]
    assert any(i["source"] == f"apigateway:{api}/v1/boom" and i["status"] == "Error" for i in invocations)
    malformed = [i for i in invocations if i["source"] == f"apigateway:{api}/v1/items/42"]
    assert malformed and malformed[-1]["status"] == "Success"  # the function ran; its response was malformed


def test_host_style_url(sandbox_url, api, caller_credentials):
    port = sandbox_url.rsplit(":", 1)[1]
    request = AWSRequest(method="POST", url=f"http://{api}.execute-api.localhost:{port}/v1/predict",
                         data=b'{"instances": [1]}', headers={"Content-Type": "application/json"})  # fmt: skip
    from botocore.credentials import Credentials

    c = caller_credentials
    SigV4Auth(Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]), "execute-api", REGION).add_auth(request)
    # *.localhost need not resolve: connect to the sandbox and send the API's host name
    headers = {**dict(request.headers), "Host": f"{api}.execute-api.localhost:{port}"}
    response = requests.post(f"{sandbox_url}/v1/predict", data=request.body, headers=headers, timeout=60)
    assert response.status_code == 201, response.text
    assert response.json()["event"]["requestContext"]["path"] == "/v1/predict"
