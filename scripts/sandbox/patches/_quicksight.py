"""Shared by the QuickSight patches: one record store per account and region, as the API shapes them.

moto 5.2.5 keeps data sources as objects whose JSON carries ISO timestamp strings (the SDK wants
epoch numbers), keeps only id and name of a data set, and no permissions at all. The patches keep
each data source, data set and dashboard as the request's own members (what the provider reads
back must equal what it sent), plus the fields AWS adds: ARN, status, times, versions.
"""

from __future__ import annotations

import json
import time
from typing import Any

STORE = "mlgov_quicksight"  # attribute on each QuickSightBackend: kind -> id -> record
# kind -> (the ARN's resource type, the id member); AWS spells the data set ARN "dataset/".
KINDS = {"data-sources": ("datasource", "DataSourceId"), "data-sets": ("dataset", "DataSetId"),
         "dashboards": ("dashboard", "DashboardId")}
# A path id: anything but "/" (moto's own routes refuse dots, which QuickSight ids may contain).
_ID = "[^/]+"


def records(response: Any, kind: str) -> dict[str, dict[str, Any]]:
    return response.quicksight_backend.__dict__.setdefault(STORE, {}).setdefault(kind, {})


def body(response: Any) -> dict[str, Any]:
    try:
        return json.loads(response.body or "{}")
    except ValueError:
        return {}


def now() -> float:
    return time.time()  # epoch seconds: how the restJson protocol carries a timestamp


def arn(response: Any, kind: str, resource_id: str) -> str:
    from moto.utilities.utils import get_partition

    region = response.region
    return f"arn:{get_partition(region)}:quicksight:{region}:{response.current_account}:{KINDS[kind][0]}/{resource_id}"


def find(response: Any, kind: str) -> dict[str, Any]:
    from moto.quicksight.exceptions import ResourceNotFoundException

    resource_id = response._get_param(KINDS[kind][1])
    record = records(response, kind).get(resource_id)
    if record is None:
        raise ResourceNotFoundException(f"{KINDS[kind][0]} {resource_id} not found")
    return record


def create(response: Any, kind: str, extra: dict[str, Any]) -> dict[str, Any]:
    from moto.quicksight.exceptions import InvalidParameterValueException

    params = body(response)
    resource_id = response._get_param(KINDS[kind][1])
    if resource_id in records(response, kind):
        # AWS answers ResourceExistsException; the provider treats any error on create alike.
        raise InvalidParameterValueException(f"{KINDS[kind][0]} {resource_id} already exists")
    stamp = now()
    record = {**params, KINDS[kind][1]: resource_id, "Arn": arn(response, kind, resource_id),
              "CreatedTime": stamp, "LastUpdatedTime": stamp, **extra}
    records(response, kind)[resource_id] = record
    _tag(response, record["Arn"], params.get("Tags"))
    return record


def delete(response: Any, kind: str) -> str:
    """A Delete*: the record goes, the answer names it."""
    record = find(response, kind)
    id_member = KINDS[kind][1]
    del records(response, kind)[record[id_member]]
    return reply(Arn=record["Arn"], **{id_member: record[id_member]})


def update(record: dict[str, Any], params: dict[str, Any], keep: tuple[str, ...]) -> None:
    """An Update replaces every member it may carry: absent ones are cleared, as AWS does."""
    for key in [k for k in record if k not in keep]:
        del record[key]
    record.update({k: v for k, v in params.items() if k not in ("AwsAccountId",)})
    record["LastUpdatedTime"] = now()


def _tag(response: Any, resource_arn: str, tags: list[dict[str, str]] | None) -> None:
    if tags:
        response.quicksight_backend.tagger.tag_resource(resource_arn, tags)


def reply(**members: Any) -> str:
    return json.dumps({**members, "RequestId": "mlgov-sandbox", "Status": 200})


def add_routes(*paths: str) -> None:
    """moto's server routes QuickSight only by its own URL list; botocore's model then picks the operation."""
    import moto.quicksight.urls as urls
    from moto.quicksight.responses import QuickSightResponse

    for path in paths:
        pattern = "{0}/accounts/(?P<account_id>[0-9]+)/" + path.replace("{id}", f"(?P<resource_id>{_ID})").replace("{n}", "(?P<version>[0-9]+)") + "$"
        urls.url_paths.setdefault(pattern, QuickSightResponse.dispatch)
