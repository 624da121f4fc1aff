"""moto does not execute API Gateway calls: serve deployed REST APIs (AWS_IAM auth, request validator, AWS_PROXY Lambda) on the sandbox port.

Not a wrapper of moto (apply() has nothing to patch): `server.py` hands requests for
    {sandbox}/_mlgov/execute-api/{rest_api_id}/{stage}/{path...}     (path style, any method)
    http://{rest_api_id}.execute-api.localhost:{port}/{stage}/{path...}   (host style, Host header)
to `handle()`, which finds the API in moto's apigateway backend of whichever account owns it and answers
as API Gateway would:
- unknown API/stage/resource/method: 403 {"message": "Missing Authentication Token"} (AWS's answer);
- AWS_IAM: a SigV4 `Authorization` header is required (403 "Missing Authentication Token" without it)
  and its access key must be known to the sandbox (moto IAM/STS keys, else 403 "The security token
  included in the request is invalid."); the signature itself is NOT verified;
- request validator: required request parameters (400 "Missing required request parameters: [...]")
  and, with validate_request_body, the body against the method's request model for its content type
  (JSON schema, draft 4) -> 400 {"message": "Invalid request body"};
- AWS_PROXY to Lambda: the REST proxy event (payload format 1.0) runs synchronously via lambda_runner
  (recorded in /_mlgov/invocations); the function's proxy response becomes the HTTP response; a
  function error, a timeout or a malformed response gives 502 {"message": "Internal server error"}.
Other integration types, authorizers, API keys, usage plans, resource policies and Lambda permissions
are not evaluated; the stage serves the API's current resources (moto keeps no deployment snapshot).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

PATH_PREFIX = "/_mlgov/execute-api/"
HOST_STYLE = re.compile(r"^(?P<api>[a-z0-9]{10})\.execute-api\.(?:localhost|127\.0\.0\.1|[a-z0-9-]+\.amazonaws\.com)(?::\d+)?$", re.I)
FUNCTION_IN_URI = re.compile(r"/functions/(?P<arn>arn:[^/]+)/invocations")
PROXY_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


def apply() -> None:
    """Nothing to patch in moto: the route is served by sandbox.server via handle()."""


class ApiError(Exception):
    def __init__(self, status: int, message: str, error_type: str):
        super().__init__(message)
        self.status, self.message, self.error_type = status, message, error_type


def _missing_token() -> ApiError:
    return ApiError(403, "Missing Authentication Token", "MissingAuthenticationTokenException")


def matches(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(rest_api_id, path after the API id) when the request is an execute-api call, else None."""
    path = environ.get("PATH_INFO", "")
    if path.startswith(PATH_PREFIX):
        api_id, _, rest = path[len(PATH_PREFIX) :].partition("/")
        return api_id, "/" + rest
    host = HOST_STYLE.match(environ.get("HTTP_HOST", ""))
    if host:
        return host.group("api"), path
    return None


# --- lookup ---------------------------------------------------------------------------------------


def find_api(api_id: str) -> Any:
    """The moto RestAPI with this id, in whichever emulated account and region holds it."""
    from moto.apigateway.models import apigateway_backends

    for _, regions in list(apigateway_backends.items()):
        for _, backend in list(regions.items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return api
    raise _missing_token()


def _template_match(template: str, path: str) -> tuple[int, dict[str, str]] | None:
    """(score, path parameters) if the resource path template matches; more literal segments score higher."""
    t_parts = [p for p in template.split("/") if p]
    p_parts = [p for p in path.split("/") if p]
    params: dict[str, str] = {}
    score = 0
    for i, t in enumerate(t_parts):
        if t.startswith("{") and t.endswith("+}"):
            if i >= len(p_parts):
                return None
            params[t[1:-2]] = "/".join(p_parts[i:])
            return score, params
        if i >= len(p_parts):
            return None
        if t.startswith("{") and t.endswith("}"):
            params[t[1:-1]] = p_parts[i]
        elif t != p_parts[i]:
            return None
        else:
            score += 1
    return (score + 1000, params) if len(t_parts) == len(p_parts) else None


def find_method(api: Any, path: str, http_method: str) -> tuple[Any, Any, dict[str, str]]:
    best = None
    for resource in api.resources.values():
        found = _template_match(resource.get_path(), path)
        if found and (best is None or found[0] > best[0]):
            best = (found[0], resource, found[1])
    if best is None:
        raise _missing_token()
    _, resource, params = best
    method = resource.resource_methods.get(http_method) or resource.resource_methods.get("ANY")
    if method is None:
        raise _missing_token()
    return resource, method, params


# --- request checks -------------------------------------------------------------------------------


def caller(headers: dict[str, str]) -> dict[str, str] | None:
    """Identity of a SigV4-signed request (access key -> account via moto); None if unsigned."""
    from moto.iam.models import iam_backends

    auth = headers.get("authorization", "")
    match = re.match(r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/", auth)
    if not match:
        return None
    access_key = match.group(1)
    for account_id, account in list(iam_backends.items()):
        if access_key in account["aws"].access_keys:
            from ._common import caller_identity

            principal_id, arn = caller_identity(access_key, account_id)
            return {"accessKey": access_key, "accountId": account_id, "caller": principal_id, "user": principal_id, "userArn": arn}
    raise ApiError(403, "The security token included in the request is invalid.", "UnrecognizedClientException")


def validate(api: Any, method: Any, headers: dict[str, str], query: dict[str, list[str]], path_params: dict[str, str], body: bytes) -> None:
    validator = api.request_validators.get(method.request_validator_id) if method.request_validator_id else None
    if validator is None:
        return
    if validator.validate_request_parameters:
        missing = []
        for key, required in (method.request_parameters or {}).items():
            _, _, where, name = key.split(".", 3)
            present = {"header": name.lower() in headers, "querystring": name in query, "path": name in path_params}.get(where, True)
            if required and not present:
                missing.append(name)
        if missing:
            raise ApiError(400, f"Missing required request parameters: [{', '.join(missing)}]", "BadRequestException")
    if validator.validate_request_body and method.request_models:
        content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
        model_name = method.request_models.get(content_type) or method.request_models.get("$default")
        model = api.models.get(model_name) if model_name else None
        if model is None or not model.schema:
            return
        import jsonschema

        try:
            document = json.loads(body or b"null")
            schema = json.loads(model.schema)
            jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)(schema).validate(document)
        except (ValueError, jsonschema.ValidationError) as exc:
            log.info("sandbox execute-api %s: invalid request body: %s", api.id, str(exc).splitlines()[0])
            raise ApiError(400, "Invalid request body", "BadRequestException") from exc


# --- proxy event and response ---------------------------------------------------------------------


def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = [("-".join(w.capitalize() for w in k[5:].split("_")), v) for k, v in environ.items() if k.startswith("HTTP_")]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            pairs.append((name, environ[key]))
    return pairs


def proxy_event(api: Any, stage: Any, resource: Any, method_name: str, path: str, path_params: dict[str, str],
                environ: dict[str, Any], header_pairs: list[tuple[str, str]], body: bytes,
                identity: dict[str, str] | None, request_id: str) -> dict[str, Any]:  # fmt: skip
    """The API Gateway REST proxy event (payload format 1.0)."""
    header_pairs = [*header_pairs, ("X-Forwarded-For", environ.get("REMOTE_ADDR", "127.0.0.1")), ("X-Forwarded-Proto", "https")]
    if getattr(stage, "tracing_enabled", False):
        header_pairs.append(("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"))
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in header_pairs:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query_pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query_pairs:
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    content_type = headers.get("Content-Type", "").split(";")[0].strip()
    binary = bool(body) and (content_type in (api.binaryMediaTypes or []) or "*/*" in (api.binaryMediaTypes or []))
    now = datetime.now(timezone.utc)
    source_ip = environ.get("REMOTE_ADDR", "127.0.0.1")
    identity_block = {
        "cognitoIdentityPoolId": None, "cognitoIdentityId": None, "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None, "apiKey": None, "apiKeyId": None, "principalOrgId": None,
        "accountId": None, "caller": None, "user": None, "userArn": None, "accessKey": None,
        "sourceIp": source_ip, "userAgent": headers.get("User-Agent"), **(identity or {}),
    }  # fmt: skip
    return {
        "resource": resource.get_path(),
        "path": path,
        "httpMethod": method_name,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_params or None,
        "stageVariables": dict(stage.variables) or None,
        "requestContext": {
            "resourceId": resource.id,
            "resourcePath": resource.get_path(),
            "httpMethod": method_name,
            "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:12]).decode(),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage.name}{path}",
            "accountId": api.account_id,
            "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "stage": stage.name,
            "domainPrefix": api.id,
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": identity_block,
            "domainName": f"{api.id}.execute-api.{api.region_name}.amazonaws.com",
            "apiId": api.id,
        },
        "body": (base64.b64encode(body).decode() if binary else body.decode("utf-8", "replace")) if body else None,
        "isBase64Encoded": binary,
    }


def proxy_response(payload: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """HTTP response from a Lambda proxy result; ValueError if API Gateway would call it malformed."""
    if not isinstance(payload, dict) or set(payload) - PROXY_RESPONSE_KEYS:
        raise ValueError(f"malformed Lambda proxy response: {str(payload)[:200]}")
    status = payload.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"malformed Lambda proxy response: statusCode {status!r}")
    headers: list[tuple[str, str]] = []
    single = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise ValueError("malformed Lambda proxy response: headers must be objects")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise ValueError("malformed Lambda proxy response: multiValueHeaders values must be lists")
        headers += [(name, str(v)) for v in values]
    headers += [(name, str(v)) for name, v in single.items() if name.lower() not in {n.lower() for n in multi}]
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise ValueError("malformed Lambda proxy response: body must be a string")
    data = (base64.b64decode(body) if payload.get("isBase64Encoded") else body.encode()) if body else b""
    return status, headers, data


# --- entry point ----------------------------------------------------------------------------------


def execute(api_id: str, rest: str, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    from .. import lambda_runner

    request_id = str(uuid.uuid4())
    header_pairs = _headers(environ)
    headers = {k.lower(): v for k, v in header_pairs}
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    method_name = environ["REQUEST_METHOD"].upper()
    base = [("x-amzn-RequestId", request_id)]
    try:
        api = find_api(api_id)
        stage_name, _, path = rest.lstrip("/").partition("/")
        stage = api.stages.get(stage_name)
        if stage is None:
            raise _missing_token()
        path = "/" + path
        resource, method, path_params = find_method(api, path, method_name)
        identity = None
        if (method.authorization_type or "NONE").upper() == "AWS_IAM":
            identity = caller(headers)
            if identity is None:
                raise _missing_token()
        query: dict[str, list[str]] = {}
        for k, v in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            query.setdefault(k, []).append(v)
        validate(api, method, headers, query, path_params, body)
        integration = method.method_integration
        if integration is None or integration.integration_type != "AWS_PROXY":
            kind = integration.integration_type if integration else "none"
            raise ApiError(500, f"sandbox: integration type {kind} is not executed (only AWS_PROXY)", "InternalServerErrorException")
        uri = re.sub(r"\$\{stageVariables\.([^}]+)\}", lambda m: str(stage.variables.get(m.group(1), "")), integration.uri or "")
        match = FUNCTION_IN_URI.search(uri)
        if not match:
            raise ApiError(500, "Internal server error", "InternalServerErrorException")
        try:
            fn = lambda_runner.get_function(match.group("arn"))
        except Exception as exc:
            log.warning("sandbox execute-api %s: integration function not found: %s", api_id, exc)
            raise ApiError(500, "Internal server error", "InternalServerErrorException") from exc
        event = proxy_event(api, stage, resource, method_name, path, path_params, environ, header_pairs, body, identity, request_id)
        result = lambda_runner.invoke_sync(fn, event, source=f"apigateway:{api_id}/{stage_name}{path}")
        if not result.ok:
            log.warning("sandbox execute-api %s: function error: %s", api_id, result.error)
            raise ApiError(502, "Internal server error", "InternalServerErrorException")
        try:
            status, out_headers, data = proxy_response(result.payload)
        except ValueError as exc:
            log.warning("sandbox execute-api %s: %s", api_id, exc)
            raise ApiError(502, "Internal server error", "InternalServerErrorException") from exc
        if not any(name.lower() == "content-type" for name, _ in out_headers):
            out_headers.append(("Content-Type", "application/json"))
        return status, base + out_headers, data
    except ApiError as err:
        data = json.dumps({"message": err.message}).encode()
        return err.status, base + [("Content-Type", "application/json"), ("x-amzn-ErrorType", err.error_type)], data


def handle(environ: dict[str, Any], start_response: Any, target: tuple[str, str]) -> list[bytes]:
    """WSGI entry for server.py: target is matches(environ)."""
    from http import HTTPStatus

    status, headers, data = execute(target[0], target[1], environ)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(data)))]
    start_response(f"{status} {reason}", headers)
    return [data]
