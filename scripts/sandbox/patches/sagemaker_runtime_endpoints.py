"""moto's InvokeEndpoint ignores the endpoint (any name answers, variant "invoked_production_variant", body "body"); the sandbox routes to a real variant of the deployed endpoint by weight or TargetVariant and runs its model when it can.

A variant's model comes from a shared version (PrimaryContainer.ModelPackageName); when that version's
artifact (InferenceSpecification ModelDataUrl) is a tarball holding mlgov's logistic-regression
``model.json`` (scripts/mlgov_cli/training.py), the sandbox scores with it, so QA metrics and gates
mean something. Any other model gets a stable stand-in score per input: no container runs here.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import tarfile
import threading
from urllib.parse import unquote
from typing import Any

from ._common import wrap

TARGET_VARIANT = "x-amzn-sagemaker-target-variant"
_lock = threading.Lock()
_served: dict[tuple[str, str, str], dict[str, float]] = {}
_documents: dict[str, dict[str, Any] | None] = {}


def pick_variant(variants: list[tuple[str, float]], served: dict[str, float]) -> str:
    """Smooth weighted round robin: deterministic, and over N calls each variant gets N * its share."""
    total = sum(w for _, w in variants)
    for name, weight in variants:
        served[name] = served.get(name, 0.0) + weight
    chosen = max(variants, key=lambda v: served[v[0]])[0]
    served[chosen] -= total
    return chosen


def score(instance: Any) -> float:
    """A stand-in for a model: a stable score in [0, 1) per input, since no model can run here."""
    digest = hashlib.sha256(json.dumps(instance, sort_keys=True).encode()).digest()
    return round(int.from_bytes(digest[:4], "big") / 2**32, 6)


def linear_score(model: dict[str, Any], instance: Any) -> float | None:
    """Probability from mlgov's logistic-regression document; None if the instance does not fit it."""
    names = model["features"]
    if isinstance(instance, dict) and all(n in instance for n in names):
        values = [float(instance[n]) for n in names]
    elif isinstance(instance, list) and len(instance) == len(names):
        values = [float(v) for v in instance]
    else:
        return None
    z = model["intercept"] + sum(c * (v - m) / sc for c, v, m, sc in
                                 zip(model["coefficients"], values, model["mean"], model["scale"], strict=True))
    return round(1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z)))), 6)


def _answer(body: bytes, model: dict[str, Any] | None) -> str:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return json.dumps({"predictions": [score(body.decode(errors="replace"))]})
    instances = payload.get("instances", [payload]) if isinstance(payload, dict) else [payload]
    predictions = []
    for instance in instances:
        value = linear_score(model, instance) if model else None
        predictions.append(score(instance) if value is None else value)
    return json.dumps({"predictions": predictions})


def variant_model(account: str, region: str, endpoint: Any, variant: str) -> dict[str, Any] | None:
    """The mlgov model document behind a variant, read from the registered artifact, or None."""
    from moto.s3.models import s3_backends
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account][region]
    config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    model_name = next((v.get("ModelName") for v in (config.production_variants if config else [])
                       if v.get("VariantName") == variant), None)
    model = backend._models.get(model_name) if model_name else None
    package_arn = (getattr(model, "primary_container", None) or {}).get("ModelPackageName", "")
    parts = package_arn.split(":")
    if len(parts) < 6:
        return None
    try:
        package = sagemaker_backends[parts[4]][parts[3]].describe_model_package(package_arn)
    except Exception:  # noqa: BLE001 - a model without a readable package gets stand-in scores
        return None
    containers = (package.inference_specification or {}).get("Containers", [])
    url = containers[0].get("ModelDataUrl", "") if containers else ""
    if not url.startswith("s3://"):
        return None
    bucket, _, key = url[5:].partition("/")
    with _lock:
        if url in _documents:
            return _documents[url]
    for backend_s3 in (s3_backends[parts[4]]["global"], s3_backends[account]["global"]):
        obj = backend_s3.get_object(bucket, key) if bucket in backend_s3.buckets else None
        if obj is not None:
            document = _read_model_json(bytes(obj.value))
            with _lock:
                _documents[url] = document
            return document
    return None


def _read_model_json(data: bytes) -> dict[str, Any] | None:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith("model.json"):
                    document = json.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
                    return document if document.get("type") == "logistic_regression" else None
    except (tarfile.TarError, ValueError, OSError):
        return None
    return None


def _error(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("ValidationError", message)


def apply() -> None:
    from moto.sagemaker.models import sagemaker_backends
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    @wrap(SageMakerRuntimeResponse, "invoke_endpoint")
    def invoke_endpoint(orig: Any, self: Any) -> Any:
        if self.sagemakerruntime_backend.results_queue:
            return orig(self)  # results configured through moto's own API keep precedence
        name = unquote(self.path.split("/")[2])  # /endpoints/<name>/invocations
        endpoint = sagemaker_backends[self.current_account][self.region].endpoints.get(name)
        if endpoint is None:
            raise _error(f"Endpoint {name} of account {self.current_account} not found.")
        variants = [(v["VariantName"], float(v.get("CurrentWeight", 1))) for v in endpoint.production_variants]
        target = {k.lower(): v for k, v in self.headers.items()}.get(TARGET_VARIANT)
        if target:
            if target not in {n for n, _ in variants}:
                raise _error(f"Endpoint {name} does not have target variant {target}.")
            chosen = target
        else:
            with _lock:
                chosen = pick_variant(variants, _served.setdefault((self.current_account, self.region, name), {}))
        model = variant_model(self.current_account, self.region, endpoint, chosen)
        return 200, {"Content-Type": "application/json", "x-Amzn-Invoked-Production-Variant": chosen}, _answer(self.body, model)
