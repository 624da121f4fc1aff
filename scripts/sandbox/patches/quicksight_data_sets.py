"""moto's QuickSight data sets are create-only: it keeps id and name, answers the ARN as
"data-set/<id>" (AWS: "dataset/<id>"), and has no Describe, Update, Delete or List, nor refresh
properties. Served from the stored request (patches/_quicksight.py), with the output columns AWS
derives from the physical tables' declared columns."""

from __future__ import annotations

from typing import Any

from . import _quicksight as qs
from ._common import add_method

KIND = "data-sets"
OWNED = ("Arn", "DataSetId", "CreatedTime", "Permissions", "Tags")
MEMBERS = ("Arn", "DataSetId", "Name", "CreatedTime", "LastUpdatedTime", "PhysicalTableMap", "LogicalTableMap",
           "OutputColumns", "ImportMode", "ConsumedSpiceCapacityInBytes", "ColumnGroups", "FieldFolders",
           "RowLevelPermissionDataSet", "RowLevelPermissionTagConfiguration", "ColumnLevelPermissionRules",
           "DataSetUsageConfiguration", "DatasetParameters")


def output_columns(physical_tables: dict[str, Any]) -> list[dict[str, str]]:
    """The declared columns of each physical table, in order (no logical table transforms them here)."""
    columns = []
    for table in physical_tables.values():
        source = next(iter(table.values()), {})
        columns += [{"Name": c["Name"], "Type": c["Type"]} for c in source.get("Columns") or source.get("InputColumns") or []]
    return columns


def described(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: record[k] for k in MEMBERS if k in record}
    out["OutputColumns"] = output_columns(record.get("PhysicalTableMap") or {})
    out.setdefault("ConsumedSpiceCapacityInBytes", 0)
    return out


def apply() -> None:
    from moto.quicksight.exceptions import ResourceNotFoundException
    from moto.quicksight.responses import QuickSightResponse as R

    qs.add_routes("data-sets/{id}", "data-sets/{id}/refresh-properties")

    @add_method(R, "create_data_set")
    def create(self: Any) -> str:
        record = qs.create(self, KIND, {})
        return qs.reply(Arn=record["Arn"], DataSetId=record["DataSetId"])

    @add_method(R, "describe_data_set")
    def describe(self: Any) -> str:
        return qs.reply(DataSet=described(qs.find(self, KIND)))

    @add_method(R, "update_data_set")
    def update(self: Any) -> str:
        record = qs.find(self, KIND)
        qs.update(record, qs.body(self), keep=OWNED)
        return qs.reply(Arn=record["Arn"], DataSetId=record["DataSetId"])

    @add_method(R, "delete_data_set")
    def delete(self: Any) -> str:
        return qs.delete(self, KIND)

    @add_method(R, "list_data_sets")
    def list_(self: Any) -> str:
        return qs.reply(DataSetSummaries=[
            {k: r[k] for k in ("Arn", "DataSetId", "Name", "CreatedTime", "LastUpdatedTime", "ImportMode") if k in r}
            for _, r in sorted(qs.records(self, KIND).items())])

    @add_method(R, "describe_data_set_refresh_properties")
    def refresh_properties(self: Any) -> str:
        record = qs.find(self, KIND)
        if "RefreshProperties" not in record:  # as AWS answers for a data set that has none
            raise ResourceNotFoundException(f"data set {record['DataSetId']} has no refresh properties")
        return qs.reply(DataSetRefreshProperties=record["RefreshProperties"])

    @add_method(R, "put_data_set_refresh_properties")
    def put_refresh_properties(self: Any) -> str:
        qs.find(self, KIND)["RefreshProperties"] = qs.body(self).get("DataSetRefreshProperties") or {}
        return qs.reply()

    @add_method(R, "delete_data_set_refresh_properties")
    def delete_refresh_properties(self: Any) -> str:
        qs.find(self, KIND).pop("RefreshProperties", None)
        return qs.reply()
