"""moto rejects layer versions it did not publish itself (e.g. the public Powertools layer of account 017000801446); AWS accepts them."""

from __future__ import annotations

from typing import Any

from ._common import wrap


def apply() -> None:
    from moto.awslambda.models import LambdaFunction

    @wrap(LambdaFunction, "_get_layers_data")
    def get_layers_data(orig: Any, self: Any, arns: list[str]) -> list[dict[str, Any]]:
        from moto.awslambda.utils import get_backend

        backend = get_backend(self.account_id, self.region)
        known = [a for a in arns if backend.layers_versions_by_arn(a)]
        by_arn = {layer["Arn"]: layer for layer in orig(self, known)}
        # Unknown (foreign) layers are recorded as given; lambda_runner ignores layers anyway.
        return [by_arn.get(a, {"Arn": a, "CodeSize": 0}) for a in arns]
