"""Lazily created, cached boto3 clients, replaceable in tests and benchmarks.

Clients are plain ``boto3.client(service)`` calls so the standard environment (AWS_REGION,
AWS_ENDPOINT_URL, credentials) decides where they point; nothing here hard-codes an endpoint.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

# Standard mode retries throttling (ProvisionedThroughputExceededException, ThrottlingException)
# and transient errors with jittered backoff; the legacy default mode does not cover all of them.
# total_max_attempts counts the first try; botocore's "max_attempts" would count only retries.
RETRY_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 5})

# Behind API Gateway (29 s limit) a hung endpoint must fail fast and answer 504, not outlive the
# gateway: short connect, bounded read, few attempts.
INTERACTIVE_CONFIG = Config(connect_timeout=2, read_timeout=25, retries={"mode": "standard", "total_max_attempts": 2})
CLIENT_CONFIG = {"sagemaker-runtime": INTERACTIVE_CONFIG}

_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """The cached client for ``service``, created on first use."""
    if service not in _clients:
        _clients[service] = boto3.client(service, config=CLIENT_CONFIG.get(service, RETRY_CONFIG))
    return _clients[service]


def set_client(service: str, value: Any) -> None:
    """Replace the client for ``service`` (tests, benchmarks)."""
    _clients[service] = value


def reset_clients() -> None:
    """Forget all cached clients so the next call builds them against the current environment."""
    _clients.clear()
