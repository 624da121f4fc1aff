"""The inference proxy: one API Gateway REST request (Lambda proxy integration) to one InvokeEndpoint call.

Request checks, cheapest first, each answered with a JSON ``{"message": ...}`` naming the problem:
  405 method other than POST; 415 Content-Type missing or not allowed; 400 unknown X-Target-Variant;
  400 empty body or invalid base64; 413 body larger than MAX_PAYLOAD_BYTES (counted in bytes after
  base64 decoding, i.e. what the endpoint would receive); 400 JSON content type but not valid JSON.

Endpoint errors (the caller can do nothing about them, so all are 5xx; details only in the log):
  502 ModelError: the model container failed. Its OriginalMessage may hold the container's stack
      trace or input data, so it is logged, never returned.
  502 ValidationError from SageMaker: every caller-controlled input was checked above, so this means
      the deployment and this function's configuration disagree (endpoint or variant missing, limits):
      an upstream/configuration fault, not a bad request.
  502 InternalFailure / InternalDependencyException: SageMaker's own failure.
  503 ThrottlingException, ServiceUnavailable, ModelNotReadyException: retry later (Retry-After: 1).
  504 the endpoint did not answer within the client's read timeout.
  500 anything else (AccessDenied, a bug): a generic message with the request id to find the log line.

The response to a served request is 200 ``{"prediction", "variant", "model_version"}``; the model
version comes from MODEL_VERSION_BY_VARIANT, the deployment's own record of which registry version
each production variant serves, so the caller can tell which model answered.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from mlgov_core import aws, rules
from mlgov_core.settings import ConfigurationError

RUNTIME_SERVICE = "sagemaker-runtime"

ENDPOINT_ENV = "ENDPOINT_NAME"
VERSIONS_ENV = "MODEL_VERSION_BY_VARIANT"
MAX_PAYLOAD_ENV = "MAX_PAYLOAD_BYTES"
CONTENT_TYPES_ENV = "ALLOWED_CONTENT_TYPES"
ENV_NAMES = (ENDPOINT_ENV, VERSIONS_ENV, MAX_PAYLOAD_ENV, CONTENT_TYPES_ENV)

DEFAULT_MAX_PAYLOAD_BYTES = 262_144  # 256 KiB: generous for tabular/JSON features, far below the limits
# SageMaker real-time endpoints take at most 6 MB, and Lambda's 6 MB invocation limit also counts the
# event envelope (and base64 inflates binary bodies by a third), so the configurable ceiling is 4 MiB.
MAX_PAYLOAD_CEILING = 4 * 1024 * 1024
DEFAULT_CONTENT_TYPES = "application/json"
TARGET_VARIANT_HEADER = "x-target-variant"

JSON_HEADERS = {"Content-Type": "application/json"}
RETRY_LATER_HEADERS = {**JSON_HEADERS, "Retry-After": "1"}


def _endpoint_name(value: str) -> str:
    if not rules.is_sagemaker_name(value):
        raise ValueError(f"must match {rules.SAGEMAKER_NAME_PATTERN.pattern}")
    return value


def _media_types(value: frozenset[str]) -> frozenset[str]:
    for media in value:
        if "/" not in media or media != media.strip().lower() or ";" in media:
            raise ValueError(f"{media!r} is not a lower-case media type like application/json")
    return value


class ProxySettings(BaseModel):
    """The function's configuration, from the environment the Terraform construct sets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint_name: Annotated[str, AfterValidator(_endpoint_name)]
    model_version_by_variant: Annotated[
        dict[Annotated[str, AfterValidator(_endpoint_name)], Annotated[int, Field(ge=1, strict=True)]],
        Field(min_length=1),
    ]
    max_payload_bytes: Annotated[int, Field(ge=1, le=MAX_PAYLOAD_CEILING)] = DEFAULT_MAX_PAYLOAD_BYTES
    allowed_content_types: Annotated[frozenset[str], AfterValidator(_media_types), Field(min_length=1)] = frozenset(
        {DEFAULT_CONTENT_TYPES}
    )


_settings_cache: dict[tuple[str | None, ...], ProxySettings] = {}


def settings_from_env(environ: Mapping[str, str]) -> ProxySettings:
    """ProxySettings, parsed once per distinct environment (the hot path must not re-parse JSON)."""
    raw = tuple(environ.get(name) for name in ENV_NAMES)
    cached = _settings_cache.get(raw)
    if cached is None:
        cached = _settings_cache[raw] = _parse_settings(dict(zip(ENV_NAMES, raw)))
    return cached


def _parse_settings(env: dict[str, str | None]) -> ProxySettings:
    values: dict[str, Any] = {"endpoint_name": (env[ENDPOINT_ENV] or "").strip()}
    fields = {"endpoint_name": ENDPOINT_ENV, "model_version_by_variant": VERSIONS_ENV,
              "max_payload_bytes": MAX_PAYLOAD_ENV, "allowed_content_types": CONTENT_TYPES_ENV}
    try:
        values["model_version_by_variant"] = json.loads(env[VERSIONS_ENV] or "")
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{VERSIONS_ENV} is not valid JSON ({error.msg}): {env[VERSIONS_ENV]!r}") from None
    if (env[MAX_PAYLOAD_ENV] or "").strip():
        try:
            values["max_payload_bytes"] = int(env[MAX_PAYLOAD_ENV])  # type: ignore[arg-type]
        except ValueError:
            raise ConfigurationError(f"{MAX_PAYLOAD_ENV} must be a whole number of bytes: {env[MAX_PAYLOAD_ENV]!r}") from None
    if (env[CONTENT_TYPES_ENV] or "").strip():
        values["allowed_content_types"] = frozenset(
            part.strip().lower() for part in env[CONTENT_TYPES_ENV].split(",") if part.strip()  # type: ignore[union-attr]
        )
    try:
        return ProxySettings.model_validate(values)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            name = fields.get(str(item["loc"][0]), str(item["loc"][0])) if item["loc"] else "environment"
            where = "".join(f"[{part!r}]" for part in item["loc"][1:])
            problems.append(f"{name}{where}={item.get('input')!r}: {item['msg'].removeprefix('Value error, ')}")
        raise ConfigurationError("invalid inference proxy configuration: " + "; ".join(problems)) from None


class RequestRejected(Exception):
    """A request the proxy answers itself with a 4xx; the message is safe to show the caller."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or JSON_HEADERS)


@dataclass(frozen=True)
class InferenceRequest:
    body: bytes
    content_type: str  # as the caller sent it (parameters like charset included), forwarded as is
    target_variant: str | None


class Prediction(BaseModel):
    """The 200 response body."""

    prediction: Any
    variant: str | None
    model_version: int | None
    prediction_encoding: str | None = None  # "base64" when the endpoint answered with non-UTF-8 bytes


def parse_request(event: Any, settings: ProxySettings) -> InferenceRequest:
    """Validate one API Gateway proxy event; RequestRejected says what is wrong."""
    if not isinstance(event, dict):
        raise RequestRejected(400, "the request is not an API Gateway proxy event")
    request = APIGatewayProxyEvent(event)
    method = event.get("httpMethod")
    if method is not None and method != "POST":
        raise RequestRejected(405, f"method {method} is not allowed; use POST", {**JSON_HEADERS, "Allow": "POST"})
    headers = request.headers  # case-insensitive
    allowed = ", ".join(sorted(settings.allowed_content_types))

    content_type = (headers.get("content-type") or "").strip()
    if not content_type:
        raise RequestRejected(415, f"the Content-Type header is required; allowed: {allowed}")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in settings.allowed_content_types:
        raise RequestRejected(415, f"Content-Type {media_type!r} is not accepted; allowed: {allowed}")

    target = (headers.get(TARGET_VARIANT_HEADER) or "").strip() or None
    if target is not None and target not in settings.model_version_by_variant:
        known = ", ".join(sorted(settings.model_version_by_variant))
        raise RequestRejected(400, f"X-Target-Variant {target!r} is not a variant of this endpoint; known: {known}")

    body = _body_bytes(event, settings.max_payload_bytes)
    if _is_json(media_type):
        _check_json(body)
    return InferenceRequest(body=body, content_type=content_type, target_variant=target)


def _body_bytes(event: dict[str, Any], limit: int) -> bytes:
    raw = event.get("body")
    if not raw:
        raise RequestRejected(400, "the request body is empty")
    if not isinstance(raw, str):
        raise RequestRejected(400, "the request body is not text")
    if event.get("isBase64Encoded"):
        # Refuse an oversized body before decoding it: base64 takes 4 characters per 3 bytes.
        if len(raw) > 4 * ((limit + 2) // 3) + 4:
            raise RequestRejected(413, f"the payload is larger than the limit of {limit} bytes")
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise RequestRejected(400, "the request body is marked base64-encoded but is not valid base64") from None
    else:
        if len(raw) > limit:  # at least one UTF-8 byte per character
            raise RequestRejected(413, f"the payload is larger than the limit of {limit} bytes")
        body = raw.encode("utf-8")
    if len(body) > limit:
        raise RequestRejected(413, f"the payload is {len(body)} bytes; the limit is {limit} bytes")
    if not body:
        raise RequestRejected(400, "the request body is empty")
    return body


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_json(body: bytes) -> None:
    try:
        json.loads(body, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise RequestRejected(400, f"the body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except UnicodeDecodeError:
        raise RequestRejected(400, "the body is not valid JSON: it is not UTF-8 text") from None
    except ValueError as error:  # NaN, Infinity
        raise RequestRejected(400, f"the body is not valid JSON: {error}") from None


class EndpointFailed(Exception):
    """The endpoint call failed; status and message are safe to show, details go to the log only."""

    def __init__(self, status: int, message: str, details: dict[str, Any], headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = dict(headers or JSON_HEADERS)


_UPSTREAM_FAILURE = {
    "ModelError": (502, "the model failed to process the request"),
    "ValidationError": (502, "the model endpoint rejected the request (deployment and proxy configuration disagree)"),
    "InternalFailure": (502, "the model endpoint failed"),
    "InternalDependencyException": (502, "the model endpoint failed"),
}
_RETRY_LATER = {
    "ThrottlingException": "the model endpoint is busy; retry later",
    "ServiceUnavailable": "the model endpoint is unavailable; retry later",
    "ModelNotReadyException": "the model is not ready yet; retry later",
}
# Fields of a ModelError worth logging (OriginalMessage may contain the container's traceback).
_MODEL_ERROR_FIELDS = ("OriginalStatusCode", "OriginalMessage", "LogStreamArn")


def invoke(request: InferenceRequest, settings: ProxySettings, client: Any = None) -> tuple[dict[str, Any], float]:
    """One InvokeEndpoint call: (response with the body read, seconds it took). EndpointFailed on errors."""
    runtime = client or aws.client(RUNTIME_SERVICE)
    params: dict[str, Any] = {
        "EndpointName": settings.endpoint_name,
        "Body": request.body,
        "ContentType": request.content_type,
    }
    if request.target_variant is not None:
        params["TargetVariant"] = request.target_variant
    started = time.perf_counter()
    try:
        response = runtime.invoke_endpoint(**params)
        response["Body"] = response["Body"].read()
    except ClientError as error:
        raise _endpoint_failure(error) from error
    except (ReadTimeoutError, ConnectTimeoutError) as error:
        raise EndpointFailed(504, "the model endpoint did not answer in time", {"error": str(error)}) from error
    return response, time.perf_counter() - started


def _endpoint_failure(error: ClientError) -> EndpointFailed:
    info = error.response.get("Error", {})
    code = str(info.get("Code", ""))
    details: dict[str, Any] = {"error_code": code, "error_message": info.get("Message")}
    details.update({k: error.response[k] for k in _MODEL_ERROR_FIELDS if k in error.response})
    details["http_status"] = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _UPSTREAM_FAILURE:
        status, message = _UPSTREAM_FAILURE[code]
        return EndpointFailed(status, message, details)
    if code in _RETRY_LATER:
        return EndpointFailed(503, _RETRY_LATER[code], details, RETRY_LATER_HEADERS)
    return EndpointFailed(500, "internal error", details)


def prediction_body(response: dict[str, Any], settings: ProxySettings, logger: Logger | None = None) -> Prediction:
    variant = response.get("InvokedProductionVariant")
    version = settings.model_version_by_variant.get(variant) if variant else None
    if version is None and logger is not None:
        # Served, but this function's map does not know the variant: the deployment moved on without it.
        logger.warning("variant not in MODEL_VERSION_BY_VARIANT", extra={"variant": variant})
    raw: bytes = response["Body"]
    media_type = str(response.get("ContentType") or "").split(";", 1)[0].strip().lower()
    if _is_json(media_type):
        try:
            return Prediction(prediction=json.loads(raw), variant=variant, model_version=version)
        except ValueError:
            pass  # labelled JSON but is not: hand it back as text rather than lose the answer
    try:
        return Prediction(prediction=raw.decode("utf-8"), variant=variant, model_version=version)
    except UnicodeDecodeError:
        return Prediction(prediction=base64.b64encode(raw).decode(), variant=variant, model_version=version,
                          prediction_encoding="base64")


def respond(status: int, body: BaseModel | dict[str, Any], headers: Mapping[str, str] = JSON_HEADERS) -> dict[str, Any]:
    if isinstance(body, BaseModel):
        text = body.model_dump_json(exclude_unset=True)  # prediction_encoding only when set
    else:
        text = json.dumps({k: v for k, v in body.items() if v is not None})
    return {"statusCode": status, "headers": dict(headers), "body": text, "isBase64Encoded": False}


def handle(event: Any, environ: Mapping[str, str], *, logger: Logger, request_id: str | None = None,
           client: Any = None) -> dict[str, Any]:
    """The whole request; never raises, never puts a stack trace or exception text in the response."""
    try:
        settings = settings_from_env(environ)
        request = parse_request(event, settings)
        response, seconds = invoke(request, settings, client)
        served = prediction_body(response, settings, logger)
        logger.info("prediction served", extra={
            "variant": served.variant, "model_version": served.model_version, "target_variant": request.target_variant,
            "payload_bytes": len(request.body), "endpoint_ms": round(seconds * 1000, 3),
        })
        return respond(200, served)
    except RequestRejected as rejected:
        logger.info("request rejected", extra={"status": rejected.status, "reason": rejected.message})
        return respond(rejected.status, {"message": rejected.message}, rejected.headers)
    except EndpointFailed as failed:
        logger.error("endpoint call failed", extra={"status": failed.status, **failed.details})
        return respond(failed.status, {"message": failed.message, "request_id": request_id}, failed.headers)
    except ConfigurationError as error:
        logger.error("inference proxy misconfigured", extra={"error": str(error)})
        return respond(500, {"message": "internal error", "request_id": request_id})
    except Exception:  # noqa: BLE001 - the caller gets a generic 500, the log gets the traceback
        logger.exception("unexpected error in the inference proxy")
        return respond(500, {"message": "internal error", "request_id": request_id})
