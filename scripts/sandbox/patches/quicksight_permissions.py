"""moto has no permissions calls for QuickSight data sources, data sets or dashboards
(Describe*Permissions, Update*Permissions): the provider reads them after every create. Served from
the stored records' Permissions (patches/_quicksight.py), granted and revoked per principal as AWS does."""

from __future__ import annotations

from typing import Any

from . import _quicksight as qs
from ._common import add_method

# kind -> (the operations' noun, the ARN member of the answer)
OPERATIONS = {"data-sources": ("data_source", "DataSourceArn"), "data-sets": ("data_set", "DataSetArn"),
              "dashboards": ("dashboard", "DashboardArn")}


def revise(current: list[dict[str, Any]], grant: list[dict[str, Any]], revoke: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each principal's actions: revoked ones removed, granted ones added; a principal left with none is dropped."""
    actions: dict[str, set[str]] = {p["Principal"]: set(p["Actions"]) for p in current}
    for p in revoke:
        actions[p["Principal"]] = actions.get(p["Principal"], set()) - set(p["Actions"])
    for p in grant:
        actions[p["Principal"]] = actions.get(p["Principal"], set()) | set(p["Actions"])
    return [{"Principal": k, "Actions": sorted(v)} for k, v in sorted(actions.items()) if v]


def _answer(record: dict[str, Any], kind: str) -> dict[str, Any]:
    _, arn_member = OPERATIONS[kind]
    id_member = qs.KINDS[kind][1]
    return {arn_member: record["Arn"], id_member: record[id_member], "Permissions": record.get("Permissions", [])}


def _add(kind: str) -> None:
    from moto.quicksight.responses import QuickSightResponse as R

    noun, _ = OPERATIONS[kind]

    def describe(self: Any) -> str:
        return qs.reply(**_answer(qs.find(self, kind), kind))

    def update(self: Any) -> str:
        record, params = qs.find(self, kind), qs.body(self)
        record["Permissions"] = revise(record.get("Permissions", []), params.get("GrantPermissions") or [],
                                       params.get("RevokePermissions") or [])
        return qs.reply(**_answer(record, kind))

    add_method(R, f"describe_{noun}_permissions")(describe)
    add_method(R, f"update_{noun}_permissions")(update)


def apply() -> None:
    qs.add_routes("data-sources/{id}/permissions", "data-sets/{id}/permissions", "dashboards/{id}/permissions")
    for kind in OPERATIONS:
        _add(kind)
