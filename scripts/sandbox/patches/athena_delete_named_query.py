"""moto has no Athena DeleteNamedQuery, and its GetNamedQuery answers HTTP 500 for an unknown id: a view
renamed or a query changed (the provider replaces named queries) fails the apply, and so does a destroy."""

from __future__ import annotations

import json
from typing import Any

from ._common import add_method, wrap


def apply() -> None:
    from moto.athena.responses import AthenaResponse

    @add_method(AthenaResponse, "delete_named_query")
    def delete_named_query(self: Any) -> Any:
        query_id = self._get_param("NamedQueryId")
        if self.athena_backend.named_queries.pop(query_id, None) is None:
            return self.error(f"NamedQuery {query_id} does not exist", 400)
        return json.dumps({})

    @wrap(AthenaResponse, "get_named_query")
    def get_named_query(orig: Any, self: Any) -> Any:
        # AWS: InvalidRequestException, which the provider reads as "gone" and plans to create again.
        query_id = self._get_param("NamedQueryId")
        if self.athena_backend.get_named_query(query_id) is None:
            return self.error(f"NamedQuery {query_id} does not exist", 400)
        return orig(self)
