"""moto checks PutObject's If-None-Match / If-Match and stores the object in two steps with no lock between, so two concurrent conditional writes of one key can both succeed; S3 lets only one win (Terraform's native state lock relies on it)."""

from __future__ import annotations

import threading
from typing import Any

from ._common import wrap

_conditional_writes = threading.Lock()


def _conditional(response: Any) -> bool:
    headers = {name.lower() for name in response.headers.keys()}
    return bool(headers & {"if-none-match", "if-match"})


def apply() -> None:
    from moto.s3.responses import S3Response

    @wrap(S3Response, "put_object")
    def put_object(orig: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _conditional(self):
            return orig(self, *args, **kwargs)
        # One conditional write at a time: its check and its write are then one step, as in S3.
        with _conditional_writes:
            return orig(self, *args, **kwargs)
