"""moto's QuickSight dashboards have no DescribeDashboardDefinition (the provider reads the
definition back from it), no Update, UpdateDashboardPublishedVersion or Delete, and answer times as
ISO strings. Served from the stored request (patches/_quicksight.py): each Create or Update is a new
version, holding the definition exactly as sent; one version is published."""

from __future__ import annotations

from typing import Any

from . import _quicksight as qs
from ._common import add_method

KIND = "dashboards"
VERSIONED = ("Definition", "SourceEntity", "ThemeArn", "VersionDescription", "Parameters", "DashboardPublishOptions")


def _new_version(record: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    versions = record.setdefault("Versions", [])
    version = {k: params[k] for k in VERSIONED if k in params}
    version.update(VersionNumber=len(versions) + 1, CreatedTime=qs.now(), Status="CREATION_SUCCESSFUL")
    versions.append(version)
    return version


def _version(self: Any, record: dict[str, Any]) -> dict[str, Any]:
    from moto.quicksight.exceptions import ResourceNotFoundException

    # In the path for UpdateDashboardPublishedVersion, in the query ("version-number") for the Describes.
    wanted = self._get_param("VersionNumber") or (self.querystring.get("version-number") or [None])[0]
    number = int(wanted) if wanted else record["PublishedVersionNumber"]
    if not 1 <= number <= len(record["Versions"]):
        raise ResourceNotFoundException(f"dashboard {record['DashboardId']} has no version {number}")
    return record["Versions"][number - 1]


def _version_arn(record: dict[str, Any], version: dict[str, Any]) -> str:
    return f"{record['Arn']}/version/{version['VersionNumber']}"


def apply() -> None:
    from moto.quicksight.responses import QuickSightResponse as R

    qs.add_routes("dashboards/{id}/definition", "dashboards/{id}/versions", "dashboards/{id}/versions/{n}")

    @add_method(R, "create_dashboard")
    def create(self: Any) -> str:
        params = qs.body(self)
        record = qs.create(self, KIND, {})
        for key in VERSIONED:
            record.pop(key, None)
        version = _new_version(record, params)
        record["PublishedVersionNumber"] = version["VersionNumber"]
        return qs.reply(Arn=record["Arn"], VersionArn=_version_arn(record, version), DashboardId=record["DashboardId"],
                        CreationStatus=version["Status"])

    @add_method(R, "describe_dashboard")
    def describe(self: Any) -> str:
        record = qs.find(self, KIND)
        version = _version(self, record)
        published = record["Versions"][record["PublishedVersionNumber"] - 1]
        return qs.reply(Dashboard={
            "Arn": record["Arn"], "DashboardId": record["DashboardId"], "Name": record["Name"],
            "CreatedTime": record["CreatedTime"], "LastUpdatedTime": record["LastUpdatedTime"],
            "LastPublishedTime": published["CreatedTime"],
            "Version": {"Arn": _version_arn(record, version), "VersionNumber": version["VersionNumber"],
                        "Status": version["Status"], "CreatedTime": version["CreatedTime"], "Errors": [],
                        "Description": version.get("VersionDescription"), "ThemeArn": version.get("ThemeArn"),
                        "DataSetArns": sorted(d["DataSetArn"] for d in
                                              (version.get("Definition") or {}).get("DataSetIdentifierDeclarations", []))},
        })

    @add_method(R, "describe_dashboard_definition")
    def definition(self: Any) -> str:
        record = qs.find(self, KIND)
        version = _version(self, record)
        return qs.reply(DashboardId=record["DashboardId"], Name=record["Name"], Errors=[], ResourceStatus=version["Status"],
                        **{k: version[k] for k in ("Definition", "ThemeArn", "DashboardPublishOptions") if k in version})

    @add_method(R, "update_dashboard")
    def update(self: Any) -> str:
        record, params = qs.find(self, KIND), qs.body(self)
        record["Name"] = params.get("Name", record["Name"])
        record["LastUpdatedTime"] = qs.now()
        version = _new_version(record, params)
        return qs.reply(Arn=record["Arn"], VersionArn=_version_arn(record, version), DashboardId=record["DashboardId"],
                        CreationStatus=version["Status"])

    @add_method(R, "update_dashboard_published_version")
    def publish(self: Any) -> str:
        record = qs.find(self, KIND)
        record["PublishedVersionNumber"] = _version(self, record)["VersionNumber"]
        return qs.reply(DashboardId=record["DashboardId"], DashboardArn=record["Arn"])

    @add_method(R, "list_dashboard_versions")
    def versions(self: Any) -> str:
        record = qs.find(self, KIND)
        return qs.reply(DashboardVersionSummaryList=[
            {"Arn": _version_arn(record, v), "VersionNumber": v["VersionNumber"], "Status": v["Status"],
             "CreatedTime": v["CreatedTime"], "Description": v.get("VersionDescription")} for v in record["Versions"]])

    @add_method(R, "delete_dashboard")
    def delete(self: Any) -> str:
        return qs.delete(self, KIND)

    @add_method(R, "list_dashboards")
    def list_(self: Any) -> str:
        return qs.reply(DashboardSummaryList=[
            {"Arn": r["Arn"], "DashboardId": r["DashboardId"], "Name": r["Name"], "CreatedTime": r["CreatedTime"],
             "LastUpdatedTime": r["LastUpdatedTime"], "PublishedVersionNumber": r["PublishedVersionNumber"]}
            for _, r in sorted(qs.records(self, KIND).items())])
