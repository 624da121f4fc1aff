"""Only one of several concurrent `If-None-Match: *` writes of a key wins (patches/s3_conditional_write.py).

The store is slowed so every writer has passed moto's existence check before the first one stores:
the window in which unpatched moto lets them all succeed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sandbox_accounts import GOV, REGION

WRITERS = 5


def race(s3: Any, bucket: str, key: str) -> list[str]:
    def write(n: int) -> str:
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=f"writer {n}".encode(), IfNoneMatch="*")
            return "won"
        except s3.exceptions.ClientError as err:
            return err.response["Error"]["Code"]

    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(write, range(WRITERS)))


@pytest.fixture
def slow_store(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.s3.models import S3Backend

    original = S3Backend.put_object

    def slow(self: Any, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "put_object", slow)


@pytest.fixture
def bucket(aws: Callable[..., Any]) -> tuple[Any, str]:
    s3 = aws("s3", GOV)
    name = f"lock-race-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return s3, name


def test_one_concurrent_conditional_write_wins(bucket: tuple[Any, str], slow_store: None) -> None:
    s3, name = bucket
    outcomes = race(s3, name, "state.tfstate.tflock")
    assert sorted(outcomes) == ["PreconditionFailed"] * (WRITERS - 1) + ["won"]
    body = s3.get_object(Bucket=name, Key="state.tfstate.tflock")["Body"].read().decode()
    assert body.startswith("writer ")


def test_without_the_patch_several_writers_win(bucket: tuple[Any, str], slow_store: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutation check: moto's own put_object (under the patch's wrapper) lets the race through."""
    from moto.s3.responses import S3Response

    monkeypatch.setattr(S3Response, "put_object", S3Response.put_object.__wrapped__)
    s3, name = bucket
    assert race(s3, name, "state.tfstate.tflock").count("won") > 1
