"""quicksight_data_sources, _data_sets, _dashboards, _permissions: the calls the aws provider makes for
the governance dashboard, answered as AWS shapes them (each test fails on moto 5.2.5 unpatched)."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from sandbox_accounts import DEV, GOV, REGION

READER = f"arn:aws:quicksight:{REGION}:{GOV}:group/default/readers"
OWNER = f"arn:aws:quicksight:{REGION}:{GOV}:group/default/owners"


def _raw_bodies(client) -> list[dict]:
    """The JSON each answer carried before botocore parsed it (botocore turns ISO strings and numbers alike into datetimes)."""
    bodies: list[dict] = []
    client.meta.events.register("before-parse.quicksight.*",
                                lambda response_dict, **_: bodies.append(json.loads(response_dict["body"] or b"{}")))
    return bodies


@pytest.fixture
def qs(aws):
    return aws("quicksight", GOV)


def _data_source(qs, **extra) -> str:
    source_id = f"ds-{uuid.uuid4().hex[:8]}"
    qs.create_data_source(AwsAccountId=GOV, DataSourceId=source_id, Name="lake", Type="ATHENA",
                          DataSourceParameters={"AthenaParameters": {"WorkGroup": "mlgov-governance"}},
                          SslProperties={"DisableSsl": False}, **extra)
    return source_id


def _data_set(qs, source_arn: str, **extra) -> tuple[str, dict]:
    set_id = f"set-{uuid.uuid4().hex[:8]}"
    tables = {"sod_breaches": {"CustomSql": {"DataSourceArn": source_arn, "Name": "sod_breaches", "SqlQuery": "SELECT 0 AS breaches",
                                             "Columns": [{"Name": "breaches", "Type": "INTEGER"}]}}}
    qs.create_data_set(AwsAccountId=GOV, DataSetId=set_id, Name="SoD", ImportMode="DIRECT_QUERY", PhysicalTableMap=tables, **extra)
    return set_id, tables


def test_data_source_times_are_epoch_numbers_and_members_read_back(qs):
    bodies = _raw_bodies(qs)
    source_id = _data_source(qs)
    described = qs.describe_data_source(AwsAccountId=GOV, DataSourceId=source_id)["DataSource"]
    raw = bodies[-1]["DataSource"]
    # The Go SDK refuses a string here ("expected Timestamp to be a JSON Number"): moto sends ISO strings.
    assert isinstance(raw["CreatedTime"], (int, float)) and isinstance(raw["LastUpdatedTime"], (int, float))
    assert described["Status"] == "CREATION_SUCCESSFUL"  # the provider's create waiter's target
    assert described["Arn"] == f"arn:aws:quicksight:{REGION}:{GOV}:datasource/{source_id}"
    assert (described["Type"], described["DataSourceParameters"], described["SslProperties"]) == (
        "ATHENA", {"AthenaParameters": {"WorkGroup": "mlgov-governance"}}, {"DisableSsl": False})

    qs.update_data_source(AwsAccountId=GOV, DataSourceId=source_id, Name="lake 2",
                          DataSourceParameters={"AthenaParameters": {"WorkGroup": "other"}})
    updated = qs.describe_data_source(AwsAccountId=GOV, DataSourceId=source_id)["DataSource"]
    assert (updated["Name"], updated["DataSourceParameters"]["AthenaParameters"]["WorkGroup"]) == ("lake 2", "other")
    assert "SslProperties" not in updated  # an update replaces what it may carry
    qs.delete_data_source(AwsAccountId=GOV, DataSourceId=source_id)
    with pytest.raises(ClientError) as gone:
        qs.describe_data_source(AwsAccountId=GOV, DataSourceId=source_id)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_data_set_arn_form_describe_update_delete(qs):
    source_arn = f"arn:aws:quicksight:{REGION}:{GOV}:datasource/x"
    set_id, tables = _data_set(qs, source_arn)
    described = qs.describe_data_set(AwsAccountId=GOV, DataSetId=set_id)["DataSet"]
    assert described["Arn"] == f"arn:aws:quicksight:{REGION}:{GOV}:dataset/{set_id}"  # moto: "data-set/"
    assert described["PhysicalTableMap"] == tables and described["ImportMode"] == "DIRECT_QUERY"
    assert described["OutputColumns"] == [{"Name": "breaches", "Type": "INTEGER"}]
    assert set_id in [s["DataSetId"] for s in qs.list_data_sets(AwsAccountId=GOV)["DataSetSummaries"]]

    with pytest.raises(ClientError) as none:  # a DIRECT_QUERY data set has no refresh properties
        qs.describe_data_set_refresh_properties(AwsAccountId=GOV, DataSetId=set_id)
    assert none.value.response["Error"]["Code"] == "ResourceNotFoundException"

    tables["sod_breaches"]["CustomSql"]["SqlQuery"] = "SELECT 1 AS breaches"
    qs.update_data_set(AwsAccountId=GOV, DataSetId=set_id, Name="SoD 2", ImportMode="SPICE", PhysicalTableMap=tables)
    updated = qs.describe_data_set(AwsAccountId=GOV, DataSetId=set_id)["DataSet"]
    assert (updated["Name"], updated["ImportMode"], updated["PhysicalTableMap"]) == ("SoD 2", "SPICE", tables)
    qs.delete_data_set(AwsAccountId=GOV, DataSetId=set_id)
    with pytest.raises(ClientError) as gone:
        qs.describe_data_set(AwsAccountId=GOV, DataSetId=set_id)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_records_stay_in_their_account(qs, aws):
    source_id = _data_source(qs)
    with pytest.raises(ClientError) as other:
        aws("quicksight", DEV).describe_data_source(AwsAccountId=DEV, DataSourceId=source_id)
    assert other.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _definition(data_set_arn: str, title: str) -> dict:
    return {
        "DataSetIdentifierDeclarations": [{"Identifier": "sod_breaches", "DataSetArn": data_set_arn}],
        "Sheets": [{"SheetId": "audit", "Name": title, "Visuals": [{"KPIVisual": {
            "VisualId": "audit-sod-breaches",
            "ChartConfiguration": {"FieldWells": {"Values": [{"NumericalMeasureField": {
                "FieldId": "b", "Column": {"DataSetIdentifier": "sod_breaches", "ColumnName": "breaches"},
                "AggregationFunction": {"SimpleNumericalAggregation": "SUM"}}}]}}}}]}],
    }


def test_dashboard_definition_reads_back_and_updates_make_versions(qs):
    bodies = _raw_bodies(qs)
    set_id, _ = _data_set(qs, f"arn:aws:quicksight:{REGION}:{GOV}:datasource/x")
    set_arn = f"arn:aws:quicksight:{REGION}:{GOV}:dataset/{set_id}"
    dashboard_id = f"dash-{uuid.uuid4().hex[:8]}"
    first = _definition(set_arn, "Audit trail")
    created = qs.create_dashboard(AwsAccountId=GOV, DashboardId=dashboard_id, Name="governance", Definition=first,
                                  VersionDescription="v1")
    assert created["VersionArn"].endswith(f"dashboard/{dashboard_id}/version/1")
    described = qs.describe_dashboard(AwsAccountId=GOV, DashboardId=dashboard_id)["Dashboard"]
    assert isinstance(bodies[-1]["Dashboard"]["CreatedTime"], (int, float))
    assert (described["Version"]["Status"], described["Version"]["VersionNumber"]) == ("CREATION_SUCCESSFUL", 1)
    assert described["Version"]["DataSetArns"] == [set_arn]
    # moto has no DescribeDashboardDefinition; the provider reads the definition back from it.
    assert qs.describe_dashboard_definition(AwsAccountId=GOV, DashboardId=dashboard_id)["Definition"] == first

    second = _definition(set_arn, "Audit")
    qs.update_dashboard(AwsAccountId=GOV, DashboardId=dashboard_id, Name="governance", Definition=second, VersionDescription="v2")
    assert qs.describe_dashboard_definition(AwsAccountId=GOV, DashboardId=dashboard_id)["Definition"] == first  # still published
    assert qs.describe_dashboard_definition(AwsAccountId=GOV, DashboardId=dashboard_id, VersionNumber=2)["Definition"] == second
    qs.update_dashboard_published_version(AwsAccountId=GOV, DashboardId=dashboard_id, VersionNumber=2)
    assert qs.describe_dashboard(AwsAccountId=GOV, DashboardId=dashboard_id)["Dashboard"]["Version"]["VersionNumber"] == 2
    assert qs.describe_dashboard_definition(AwsAccountId=GOV, DashboardId=dashboard_id)["Definition"] == second
    qs.delete_dashboard(AwsAccountId=GOV, DashboardId=dashboard_id)
    with pytest.raises(ClientError) as gone:
        qs.describe_dashboard(AwsAccountId=GOV, DashboardId=dashboard_id)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("kind", ["data_source", "data_set", "dashboard"])
def test_permissions_are_kept_granted_and_revoked(qs, kind):
    granted = [{"Principal": READER, "Actions": ["quicksight:DescribeX"]},
               {"Principal": OWNER, "Actions": ["quicksight:DescribeX", "quicksight:UpdateX"]}]
    if kind == "data_source":
        resource = {"DataSourceId": _data_source(qs, Permissions=granted)}
    elif kind == "data_set":
        resource = {"DataSetId": _data_set(qs, "arn:aws:quicksight:eu-west-1:111111111111:datasource/x", Permissions=granted)[0]}
    else:
        set_arn = f"arn:aws:quicksight:{REGION}:{GOV}:dataset/x"
        resource = {"DashboardId": f"dash-{uuid.uuid4().hex[:8]}"}
        qs.create_dashboard(AwsAccountId=GOV, Name="d", Definition=_definition(set_arn, "S"), Permissions=granted, **resource)
    describe = getattr(qs, f"describe_{kind}_permissions")
    assert sorted(describe(AwsAccountId=GOV, **resource)["Permissions"], key=lambda p: p["Principal"]) == sorted(
        granted, key=lambda p: p["Principal"])

    getattr(qs, f"update_{kind}_permissions")(
        AwsAccountId=GOV, **resource, GrantPermissions=[{"Principal": READER, "Actions": ["quicksight:QueryX"]}],
        RevokePermissions=[{"Principal": OWNER, "Actions": ["quicksight:DescribeX", "quicksight:UpdateX"]}])
    assert describe(AwsAccountId=GOV, **resource)["Permissions"] == [
        {"Principal": READER, "Actions": ["quicksight:DescribeX", "quicksight:QueryX"]}]  # the owner, left with none, is gone
