"""The committed governance stack's catalog and engine (modules/analytics_catalog.py) apply to the
sandbox, read back as configured, and a second plan is clean.

Only the analytics-catalog construct and what it references (the governance key, the access-log
bucket) are applied, from terraform/governance/main.tf.json unchanged (sandbox_terraform.component).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.stacks import apply_stack, replan_changes
from sandbox_accounts import GOV, REGION
from sandbox_terraform import TERRAFORM, write_component

from mlgov_analytics.views import VIEWS
from mlgov_core.lake_tables import TABLES
from modules.naming import Names

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]

DATABASE = Names("mlgov", REGION, GOV).glue_database
COMMITTED = json.loads((TERRAFORM / "governance" / "main.tf.json").read_text())["resource"]


@pytest.fixture(scope="module")
def applied(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    base = tmp_path_factory.mktemp("analytics-catalog")
    source = write_component("governance", "analytics-catalog", base / "source")
    work = base / "work"
    return apply_stack(source, work, sandbox_url, REGION), work


def _committed(kind: str) -> dict:
    return {body["name"]: body for body in COMMITTED[kind].values()
            if body["//"]["metadata"]["path"].startswith("governance/analytics-catalog")}


def test_catalog_applies_and_a_second_plan_is_clean(applied):
    result, work = applied
    assert result.failed == {}
    assert sum(a.startswith("aws_athena_named_query.") for a in result.applied) == len(VIEWS)
    assert sum(a.startswith("aws_glue_catalog_table.") for a in result.applied) == len(TABLES)
    assert replan_changes(work) == []


def test_workgroup_reads_back_enforced_and_encrypted(applied, aws):
    (name, committed), = _committed("aws_athena_workgroup").items()
    config = aws("athena", GOV).get_work_group(WorkGroup=name)["WorkGroup"]["Configuration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["BytesScannedCutoffPerQuery"] == committed["configuration"]["bytes_scanned_cutoff_per_query"]
    results = config["ResultConfiguration"]
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert results["EncryptionConfiguration"]["KmsKey"].startswith(f"arn:aws:kms:{REGION}:{GOV}:key/")
    assert results["OutputLocation"] == committed["configuration"]["result_configuration"]["output_location"]


def test_partitioned_tables_keep_their_projection(applied, aws):
    glue = aws("glue", GOV)
    for name, committed in _committed("aws_glue_catalog_table").items():
        table = glue.get_table(DatabaseName=DATABASE, Name=name)["Table"]
        expected = {k: v.replace("$${", "${") for k, v in committed["parameters"].items()}
        assert table["Parameters"] == expected
        assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == [c["name"] for c in committed["storage_descriptor"]["columns"]]
    history = glue.get_table(DatabaseName=DATABASE, Name="history")["Table"]
    assert history["Parameters"]["storage.location.template"].endswith("/history/dt=${dt}/")
    assert [k["Name"] for k in history["PartitionKeys"]] == ["dt"]


def test_each_view_is_a_named_query_in_the_workgroup(applied, aws):
    athena = aws("athena", GOV)
    (workgroup, _), = _committed("aws_athena_workgroup").items()
    ids = athena.list_named_queries(WorkGroup=workgroup)["NamedQueryIds"]
    queries = {q["Name"]: q for q in (athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in ids)}
    assert sorted(queries) == sorted(v.name for v in VIEWS)
    for view in VIEWS:
        assert (queries[view.name]["QueryString"], queries[view.name]["Description"]) == (view.sql, view.description)
        assert queries[view.name]["Database"] == DATABASE


def test_a_changed_cutoff_and_query_apply_in_place_and_replan_clean(applied, aws, sandbox_url, tmp_path):
    """What a config or view change does: UpdateWorkGroup, and a named query replaced (DeleteNamedQuery)."""
    _, work = applied
    config = json.loads((work / "main.tf.json").read_text())
    (workgroup,) = config["resource"]["aws_athena_workgroup"].values()
    workgroup["configuration"]["bytes_scanned_cutoff_per_query"] *= 2
    first = sorted(config["resource"]["aws_athena_named_query"])[0]
    config["resource"]["aws_athena_named_query"][first]["query"] = "SELECT 1"
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "main.tf.json").write_text(json.dumps(config))

    result = apply_stack(changed, work, sandbox_url, REGION)

    assert result.failed == {}
    assert any("aws_athena_workgroup" in c and "updated in-place" in c for c in result.changes), result.changes
    assert any(first in c and "replaced" in c for c in result.changes), result.changes
    assert replan_changes(work) == []
    athena = aws("athena", GOV)
    cutoff = athena.get_work_group(WorkGroup=workgroup["name"])["WorkGroup"]["Configuration"]["BytesScannedCutoffPerQuery"]
    assert cutoff == workgroup["configuration"]["bytes_scanned_cutoff_per_query"]
    ids = athena.list_named_queries(WorkGroup=workgroup["name"])["NamedQueryIds"]
    assert len(ids) == len(VIEWS)
