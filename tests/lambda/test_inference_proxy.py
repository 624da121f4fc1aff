"""The inference proxy end to end: API Gateway proxy events in, moto's sagemaker-runtime behind boto3.

moto answers InvokeEndpoint from a queue of configured results (the in-process form of
POST /moto-api/static/sagemaker/endpoint-results); endpoint errors are injected in moto's
response handler, so botocore parses (and retries) them exactly as it would a real endpoint's.
"""

import base64
import copy
import importlib
import json
import logging
from dataclasses import dataclass

import pytest
from botocore.exceptions import ReadTimeoutError
from moto.moto_api._internal.models import moto_api_backend
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from sync_testkit import FIXTURES, REGION, CallCounter

from inference_proxy import handler, proxy
from mlgov_core import aws
from mlgov_core.settings import ConfigurationError

ACCOUNT = "123456789012"  # moto's default account: the credentials in aws_env map to it
ENDPOINT = "fraud-detection-prod"
VERSIONS = {"variant-a": 3, "variant-b": 4}


@dataclass
class FakeContext:
    function_name: str = "mlgov-inference-proxy"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:mlgov-inference-proxy"
    aws_request_id: str = "5f2e1c3a-0000-4000-8000-00000000beef"


@pytest.fixture
def function_env(monkeypatch, aws_env):
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("MODEL_VERSION_BY_VARIANT", json.dumps(VERSIONS))
    monkeypatch.delenv("MAX_PAYLOAD_BYTES", raising=False)
    monkeypatch.delenv("ALLOWED_CONTENT_TYPES", raising=False)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "inference-proxy")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    importlib.reload(handler)  # a cold start: the Logger reads its service name and level at import


@pytest.fixture
def sent(function_env):
    """The InvokeEndpoint requests the proxy made (parameters as botocore received them)."""
    requests = []
    aws.client("sagemaker-runtime").meta.events.register(
        "before-parameter-build.sagemaker-runtime.InvokeEndpoint", lambda params, **_: requests.append(dict(params))
    )
    return requests


def endpoint_answers(body, content_type="application/json", variant="variant-a"):
    moto_api_backend.set_sagemaker_result(
        body=body, content_type=content_type, prod_variant=variant, custom_attrs=None, account_id=ACCOUNT, region=REGION
    )


def endpoint_fails(monkeypatch, status, code, **fields):
    """Make moto's endpoint answer every InvokeEndpoint with a SageMaker runtime error; returns the attempt count."""
    attempts = []

    def fail(self):
        attempts.append(1)
        body = {"message": f"injected {code}", **fields}
        # moto takes the status from the "status" header of a handler's answer.
        headers = {"status": str(status), "x-amzn-ErrorType": code, "Content-Type": "application/json"}
        return status, headers, json.dumps(body)

    monkeypatch.setattr(SageMakerRuntimeResponse, "invoke_endpoint", fail)
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _: None)  # keep retries, skip their backoff
    return attempts


def request(body=None, headers=None, **changes):
    event = json.loads((FIXTURES / "apigw_predict.json").read_text())
    if body is not None:
        event["body"] = body
    if headers is not None:
        event["headers"] = headers
    event.update(changes)
    return event


def call(event):
    response = handler.lambda_handler(event, FakeContext())
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["isBase64Encoded"] is False
    return response["statusCode"], json.loads(response["body"])


def test_prediction_carries_the_variant_and_model_version_that_served_it(sent):
    endpoint_answers('{"score": 0.87}')
    status, body = call(request())
    assert (status, body) == (200, {"prediction": {"score": 0.87}, "variant": "variant-a", "model_version": 3})
    assert len(sent) == 1
    assert sent[0]["EndpointName"] == ENDPOINT
    assert sent[0]["ContentType"] == "application/json"
    assert json.loads(sent[0]["Body"]) == {"features": [0.12, 3.4, 1, 0, 57.0]}
    assert "TargetVariant" not in sent[0]


def test_target_variant_header_is_forwarded_whatever_its_case(sent):
    endpoint_answers('{"score": 0.31}', variant="variant-b")
    event = request(headers={"content-type": "application/json", "X-TARGET-VARIANT": "variant-b"})
    status, body = call(event)
    assert sent[0]["TargetVariant"] == "variant-b"
    assert (status, body["variant"], body["model_version"]) == (200, "variant-b", 4)


def test_unknown_target_variant_is_a_400_and_never_reaches_the_endpoint(sent):
    status, body = call(request(headers={"Content-Type": "application/json", "X-Target-Variant": "variant-z"}))
    assert status == 400
    assert "variant-z" in body["message"] and "variant-a, variant-b" in body["message"]
    assert sent == []


@pytest.mark.parametrize(
    ("headers", "needle"),
    [
        ({"Content-Type": "text/csv"}, "'text/csv' is not accepted; allowed: application/json"),
        ({}, "Content-Type header is required"),
        (None, "Content-Type header is required"),  # API Gateway sends null when there are no headers
    ],
)
def test_content_type_not_allowed_is_a_415(sent, headers, needle):
    event = request()
    event["headers"] = headers
    status, body = call(event)
    assert status == 415 and needle in body["message"]
    assert sent == []


def test_content_type_match_ignores_case_and_parameters_and_is_forwarded_as_sent(sent):
    endpoint_answers('{"score": 0.5}')
    status, _ = call(request(headers={"CONTENT-TYPE": "Application/JSON; charset=utf-8"}))
    assert status == 200
    assert sent[0]["ContentType"] == "Application/JSON; charset=utf-8"


def test_allowed_content_types_come_from_the_environment(sent, monkeypatch):
    monkeypatch.setenv("ALLOWED_CONTENT_TYPES", "text/csv, application/json")
    endpoint_answers("0.87\n", content_type="text/csv")
    status, body = call(request(body="0.12,3.4,1,0,57.0", headers={"Content-Type": "text/csv"}))
    assert (status, body["prediction"]) == (200, "0.87\n")  # not JSON: returned as text, not parsed


def test_payload_over_the_limit_is_a_413(sent, monkeypatch):
    monkeypatch.setenv("MAX_PAYLOAD_BYTES", "64")
    big = json.dumps({"features": [0.5] * 20})  # 130 bytes
    status, body = call(request(body=big))
    assert status == 413 and "64 bytes" in body["message"]
    assert sent == []


def test_the_limit_counts_utf8_bytes_not_characters(sent, monkeypatch):
    monkeypatch.setenv("MAX_PAYLOAD_BYTES", "64")
    text = json.dumps({"note": "é" * 30}, ensure_ascii=False)  # 42 characters, 72 bytes
    assert len(text) <= 64 < len(text.encode())
    status, body = call(request(body=text))
    assert status == 413 and "72 bytes" in body["message"]


def test_payload_at_the_limit_is_accepted(sent, monkeypatch):
    payload = json.dumps({"features": [1] * 10})
    monkeypatch.setenv("MAX_PAYLOAD_BYTES", str(len(payload)))
    endpoint_answers('{"score": 1}')
    assert call(request(body=payload))[0] == 200


def test_oversized_base64_body_is_refused_before_decoding(sent, monkeypatch):
    monkeypatch.setenv("MAX_PAYLOAD_BYTES", "1024")
    encoded = base64.b64encode(b"[" + b"1," * 5000 + b"1]").decode()
    status, _ = call(request(body=encoded, isBase64Encoded=True))
    assert status == 413 and sent == []


def test_base64_body_is_decoded_before_it_is_checked_and_forwarded(sent):
    endpoint_answers('{"score": 0.2}')
    raw = b'{"features": [1, 2, 3]}'
    status, _ = call(request(body=base64.b64encode(raw).decode(), isBase64Encoded=True))
    assert status == 200 and sent[0]["Body"] == raw


@pytest.mark.parametrize(
    ("body", "base64_encoded", "needle"),
    [
        ('{"features": [0.12, 3.4,', False, "not valid JSON: Expecting value at line 1 column 25"),
        ('{"features": [NaN]}', False, "NaN is not valid JSON"),
        ("", False, "body is empty"),
        ("not base64!", True, "not valid base64"),
        (base64.b64encode(b'{"a": "\xff"}').decode(), True, "not UTF-8"),
    ],
)
def test_bad_bodies_are_a_400_with_the_reason(sent, body, base64_encoded, needle):
    status, answer = call(request(body=body, isBase64Encoded=base64_encoded))
    assert status == 400 and needle in answer["message"]
    assert sent == []


def test_methods_other_than_post_are_a_405(sent):
    response = handler.lambda_handler(request(httpMethod="GET"), FakeContext())
    assert response["statusCode"] == 405 and response["headers"]["Allow"] == "POST"


def test_not_an_api_gateway_event_is_a_400(function_env):
    assert call(["not", "an", "event"])[0] == 400


CONTAINER_TRACE = 'Traceback (most recent call last):\n  File "/opt/ml/code/inference.py", line 42\nKeyError: customer_ssn'


def test_model_error_is_a_502_without_the_containers_message(function_env, monkeypatch, caplog):
    attempts = endpoint_fails(
        monkeypatch, 424, "ModelError", OriginalStatusCode=500, OriginalMessage=CONTAINER_TRACE,
        LogStreamArn="arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/fraud-detection-prod",
    )
    with caplog.at_level(logging.INFO):
        response = handler.lambda_handler(request(), FakeContext())
    assert response["statusCode"] == 502
    body = json.loads(response["body"])
    assert body == {"message": "the model failed to process the request", "request_id": FakeContext.aws_request_id}
    assert "Traceback" not in response["body"] and "customer_ssn" not in response["body"]
    assert len(attempts) == 1  # a model error is not retried
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged[0].OriginalMessage == CONTAINER_TRACE and logged[0].OriginalStatusCode == 500


@pytest.mark.parametrize(("status", "code"), [(429, "ThrottlingException"), (503, "ServiceUnavailable"),
                                              (429, "ModelNotReadyException")])
def test_throttling_and_unavailability_are_a_503_to_retry(function_env, monkeypatch, status, code):
    attempts = endpoint_fails(monkeypatch, status, code)
    response = handler.lambda_handler(request(), FakeContext())
    assert response["statusCode"] == 503 and response["headers"]["Retry-After"] == "1"
    assert "retry later" in json.loads(response["body"])["message"]
    assert len(attempts) >= 1


@pytest.mark.parametrize(("status", "code"), [(400, "ValidationError"), (500, "InternalFailure")])
def test_endpoint_side_failures_are_a_502(function_env, monkeypatch, status, code):
    endpoint_fails(monkeypatch, status, code)
    assert call(request())[0] == 502


def test_access_denied_is_a_generic_500(function_env, monkeypatch):
    endpoint_fails(monkeypatch, 403, "AccessDeniedException")
    status, body = call(request())
    assert status == 500 and body["message"] == "internal error"


class _Exploding:
    def __init__(self, error):
        self.error = error

    def invoke_endpoint(self, **_):
        raise self.error


def test_unexpected_error_is_a_500_with_no_traceback_and_the_details_in_the_log(function_env, caplog):
    aws.set_client("sagemaker-runtime", _Exploding(RuntimeError("secret detail: db password hunter2")))
    with caplog.at_level(logging.INFO):
        response = handler.lambda_handler(request(), FakeContext())
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "internal error", "request_id": FakeContext.aws_request_id}
    for leak in ("Traceback", "secret", "hunter2", "RuntimeError"):
        assert leak not in response["body"]
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log, not the answer


def test_endpoint_timeout_is_a_504(function_env):
    aws.set_client("sagemaker-runtime", _Exploding(ReadTimeoutError(endpoint_url="https://runtime.sagemaker")))
    assert call(request())[0] == 504


def test_endpoint_body_that_is_not_json_or_text(sent):
    endpoint_answers("plain words", content_type="text/plain")
    assert call(request())[1]["prediction"] == "plain words"


def test_binary_answer_is_returned_base64_encoded(function_env):
    class Binary:
        def invoke_endpoint(self, **_):
            class Body:
                def read(self):
                    return b"\x89PNG\xff"

            return {"Body": Body(), "ContentType": "image/png", "InvokedProductionVariant": "variant-a"}

    aws.set_client("sagemaker-runtime", Binary())
    status, body = call(request())
    assert status == 200 and body["prediction_encoding"] == "base64"
    assert base64.b64decode(body["prediction"]) == b"\x89PNG\xff"


def test_json_null_prediction_is_kept(sent):
    endpoint_answers("null")
    assert call(request())[1] == {"prediction": None, "variant": "variant-a", "model_version": 3}


def test_variant_missing_from_the_version_map_is_served_with_unknown_version(sent, caplog):
    endpoint_answers('{"score": 0.9}', variant="variant-new")
    with caplog.at_level(logging.WARNING):
        status, body = call(request())
    assert (status, body["variant"], body["model_version"]) == (200, "variant-new", None)
    assert any("MODEL_VERSION_BY_VARIANT" in r.getMessage() for r in caplog.records)


def test_missing_configuration_is_a_generic_500_and_a_clear_log_line(function_env, monkeypatch, caplog):
    monkeypatch.delenv("ENDPOINT_NAME")
    with caplog.at_level(logging.INFO):
        status, body = call(request())
    assert (status, body["message"]) == (500, "internal error")
    assert "ENDPOINT_NAME" in next(r for r in caplog.records if r.levelno == logging.ERROR).error


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"ENDPOINT_NAME": ""}, "ENDPOINT_NAME"),
        ({"MODEL_VERSION_BY_VARIANT": "{}"}, "MODEL_VERSION_BY_VARIANT"),
        ({"MODEL_VERSION_BY_VARIANT": "{not json"}, "MODEL_VERSION_BY_VARIANT is not valid JSON"),
        ({"MODEL_VERSION_BY_VARIANT": '{"variant-a": "3"}'}, "MODEL_VERSION_BY_VARIANT['variant-a']"),
        ({"MODEL_VERSION_BY_VARIANT": '{"variant a": 3}'}, "MODEL_VERSION_BY_VARIANT"),
        ({"MAX_PAYLOAD_BYTES": "1MB"}, "MAX_PAYLOAD_BYTES must be a whole number"),
        ({"MAX_PAYLOAD_BYTES": "9000000"}, "MAX_PAYLOAD_BYTES=9000000"),
        ({"ALLOWED_CONTENT_TYPES": "json"}, "ALLOWED_CONTENT_TYPES"),
    ],
)
def test_invalid_configuration_names_the_variable(changes, needle):
    env = {"ENDPOINT_NAME": ENDPOINT, "MODEL_VERSION_BY_VARIANT": json.dumps(VERSIONS), **changes}
    with pytest.raises(ConfigurationError) as raised:
        proxy.settings_from_env(env)
    assert needle in str(raised.value)


def test_defaults():
    settings = proxy.settings_from_env({"ENDPOINT_NAME": ENDPOINT, "MODEL_VERSION_BY_VARIANT": json.dumps(VERSIONS)})
    assert settings.max_payload_bytes == 262_144
    assert settings.allowed_content_types == frozenset({"application/json"})


def test_each_request_costs_one_invoke_endpoint(sent):
    counter = CallCounter(aws.client("sagemaker-runtime"))
    endpoint_answers('{"score": 0.1}')
    call(request())
    assert counter.calls == {"sagemaker-runtime.InvokeEndpoint": 1}


def test_the_event_is_not_modified(sent):
    endpoint_answers('{"score": 0.1}')
    event = request()
    before = copy.deepcopy(event)
    call(event)
    assert event == before
