"""The inference proxy's own overhead per request, excluding the endpoint call.

The sagemaker-runtime client is replaced (mlgov_core.aws.set_client) by a fake that answers
instantly, so what is timed is the handler: Powertools' Lambda-context decorator, settings lookup,
header/size/JSON checks, the call through the fake, parsing the answer, one INFO log line (written
to /dev/null, formatting included) and building the response. Compared with

- "bare": a handler that only returns a constant response (the floor of a Python call);
- "minimal proxy": a handler that forwards the body to the same fake and returns its answer, with
  no checks, no logging, no decorator (what a hand-written pass-through would cost).

Each scenario: 200 warm-up calls, then N timed calls, each timed alone with perf_counter_ns;
median and p95 in microseconds. Machines here are noisy (2 shared cores): read ratios, not digits.

    python bench/inference_overhead.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda_src")]

os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1",
    ENDPOINT_NAME="fraud-detection-prod", MODEL_VERSION_BY_VARIANT=json.dumps({"variant-a": 3, "variant-b": 4}),
    POWERTOOLS_SERVICE_NAME="inference-proxy", LOG_LEVEL="INFO",
)
os.environ.pop("MAX_PAYLOAD_BYTES", None)
os.environ.pop("ALLOWED_CONTENT_TYPES", None)

from inference_proxy import handler  # noqa: E402
from mlgov_core import aws  # noqa: E402

EVENT = json.loads((ROOT / "tests" / "lambda" / "fixtures" / "apigw_predict.json").read_text())
ANSWER = b'{"score": 0.87, "label": 1}'


class _Body:
    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


class InstantRuntime:
    """invoke_endpoint that answers at once, shaped like boto3's response."""

    def invoke_endpoint(self, **_: Any) -> dict[str, Any]:
        return {"Body": _Body(ANSWER), "ContentType": "application/json", "InvokedProductionVariant": "variant-a"}


@dataclass
class Context:
    function_name: str = "mlgov-inference-proxy"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:210987654321:function:mlgov-inference-proxy"
    aws_request_id: str = "bench"


def bare(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


def minimal_proxy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    answer = aws.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="fraud-detection-prod", Body=event["body"].encode(), ContentType=event["headers"]["Content-Type"]
    )
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": answer["Body"].read().decode()}


def event_with(body: str, **headers: str) -> dict[str, Any]:
    return dict(EVENT, body=body, headers={**EVENT["headers"], **headers})


def features(size: int) -> str:
    """A JSON body of about ``size`` bytes: a list of floats."""
    values = [round(0.1 + i * 0.001, 3) for i in range(max(1, size // 7))]
    return json.dumps({"features": values})


def measure(fn: Callable[[dict[str, Any], Any], Any], event: dict[str, Any], calls: int) -> list[float]:
    context = Context()
    for _ in range(200):
        fn(event, context)
    samples = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        fn(event, context)
        samples.append((clock() - start) / 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls

    aws.set_client("sagemaker-runtime", InstantRuntime())
    handler.logger.registered_handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - kept for the process

    small = event_with(EVENT["body"])
    assert handler.lambda_handler(small, Context())["statusCode"] == 200
    scenarios = [
        ("bare handler (returns a constant)", bare, small),
        ("minimal proxy (no checks, no logging)", minimal_proxy, small),
        (f"inference proxy, {len(small['body'])} B JSON", handler.lambda_handler, small),
        ("inference proxy, X-Target-Variant", handler.lambda_handler, event_with(EVENT["body"], **{"X-Target-Variant": "variant-b"})),
    ]
    for size in (16_384, 200_000):
        body = features(size)
        event = event_with(body)
        assert handler.lambda_handler(event, Context())["statusCode"] == 200, size
        scenarios.append((f"inference proxy, {len(body) // 1024} KiB JSON", handler.lambda_handler, event))
    rejected = event_with(EVENT["body"], **{"Content-Type": "text/csv"})
    assert handler.lambda_handler(rejected, Context())["statusCode"] == 415
    scenarios.append(("inference proxy, rejected (415)", handler.lambda_handler, rejected))

    results = [(name, measure(fn, event, calls)) for name, fn, event in scenarios]
    # The per-request INFO line (which variant and model version served) is the largest single cost.
    handler.logger.setLevel("WARNING")
    results.append((f"inference proxy, {len(small['body'])} B JSON, LOG_LEVEL=WARNING",
                    measure(handler.lambda_handler, small, calls)))
    handler.logger.setLevel("INFO")
    bare_median = statistics.median(results[0][1])
    minimal_median = statistics.median(results[1][1])
    print(f"Inference proxy overhead per request, endpoint call excluded ({calls} calls each; "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs)\n")
    print("| scenario | median (µs) | p95 (µs) | median / bare | median / minimal proxy |")
    print("|---|---|---|---|---|")
    for name, samples in results:
        median = statistics.median(samples)
        print(f"| {name} | {median:.1f} | {p95(samples):.1f} | {median / bare_median:.0f}x | {median / minimal_median:.1f}x |")


if __name__ == "__main__":
    main()
