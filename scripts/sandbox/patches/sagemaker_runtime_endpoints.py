"""moto's InvokeEndpoint ignores the endpoint (any name answers, variant "invoked_production_variant", body "body"); the sandbox routes to a real variant of the deployed endpoint by weight or TargetVariant and answers JSON scores."""

from __future__ import annotations

import hashlib
import json
import threading
from urllib.parse import unquote
from typing import Any

from ._common import wrap

TARGET_VARIANT = "x-amzn-sagemaker-target-variant"
_lock = threading.Lock()
_served: dict[tuple[str, str, str], dict[str, float]] = {}


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


def _answer(body: bytes) -> str:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return json.dumps({"predictions": [score(body.decode(errors="replace"))]})
    instances = payload.get("instances", [payload]) if isinstance(payload, dict) else [payload]
    return json.dumps({"predictions": [score(i) for i in instances]})


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
        return 200, {"Content-Type": "application/json", "x-Amzn-Invoked-Production-Variant": chosen}, _answer(self.body)
