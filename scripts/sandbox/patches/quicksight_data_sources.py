"""moto's QuickSight data sources answer times as ISO strings (the SDK wants epoch numbers: the
provider's create waiter fails to decode DescribeDataSource), drop SslProperties on update and keep
no Permissions; the stored request members are served instead (patches/_quicksight.py)."""

from __future__ import annotations

from typing import Any

from . import _quicksight as qs
from ._common import add_method

KIND = "data-sources"
OWNED = ("Arn", "DataSourceId", "CreatedTime", "Status", "Permissions", "Tags")  # kept through an update
MEMBERS = ("Arn", "DataSourceId", "Name", "Type", "Status", "CreatedTime", "LastUpdatedTime", "DataSourceParameters",
           "AlternateDataSourceParameters", "SslProperties", "VpcConnectionProperties", "ErrorInfo", "SecretArn")


def described(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in MEMBERS if k in record}


def apply() -> None:
    from moto.quicksight.responses import QuickSightResponse as R

    @add_method(R, "create_data_source")
    def create(self: Any) -> str:
        record = qs.create(self, KIND, {"Status": "CREATION_SUCCESSFUL"})
        return qs.reply(Arn=record["Arn"], DataSourceId=record["DataSourceId"], CreationStatus=record["Status"])

    @add_method(R, "describe_data_source")
    def describe(self: Any) -> str:
        return qs.reply(DataSource=described(qs.find(self, KIND)))

    @add_method(R, "update_data_source")
    def update(self: Any) -> str:
        record = qs.find(self, KIND)
        qs.update(record, qs.body(self), keep=(*OWNED, "Type"))
        record["Status"] = "UPDATE_SUCCESSFUL"
        return qs.reply(Arn=record["Arn"], DataSourceId=record["DataSourceId"], UpdateStatus=record["Status"])

    @add_method(R, "delete_data_source")
    def delete(self: Any) -> str:
        return qs.delete(self, KIND)

    @add_method(R, "list_data_sources")
    def list_(self: Any) -> str:
        return qs.reply(DataSources=[described(r) for _, r in sorted(qs.records(self, KIND).items())])
