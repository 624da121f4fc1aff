"""moto's GetRestApi returns a REST API's resource policy as plain JSON; API Gateway returns it JSON-escaped, and the aws provider unescapes what it reads, so every re-plan of an API with a policy fails ("invalid character")."""

from __future__ import annotations

import json
from typing import Any

from ._common import wrap


def escaped(policy: str | None) -> str | None:
    """The policy as API Gateway answers it: the JSON document's text, escaped as inside a JSON string."""
    if not policy:
        return policy
    try:
        json.loads(policy)
    except ValueError:
        return policy  # already escaped (or not JSON at all): leave it as stored
    return json.dumps(policy)[1:-1]


def apply() -> None:
    from moto.apigateway.models import RestAPI

    @wrap(RestAPI, "to_dict")
    def to_dict(orig: Any, self: Any) -> dict[str, Any]:
        answer = orig(self)
        if answer.get("policy"):
            answer = {**answer, "policy": escaped(answer["policy"])}
        return answer
