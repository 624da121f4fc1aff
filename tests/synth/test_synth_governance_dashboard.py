"""The QuickSight governance dashboard as synthesized: one data set per view with the view's SQL and
columns, the dashboard's sheets and visuals as SHEETS lists them, identifiers sorted, exact group
permissions, and a service role policy scoped to the workgroup, catalog, lake, results and key."""

from __future__ import annotations

from mlgov_analytics.views import qualified_sql
from mlgov_config.terraform_text import escape_template

import json

import pytest
from tf_json import REPO_ROOT, as_list, config, one, referenced, refers_to, resources

from mlgov_analytics.dashboard import SHEETS
from mlgov_analytics.views import BY_NAME, VIEWS
from mlgov_config import AccountRole
from modules.naming import Names

CONFIG = config()
NAMES = Names.from_config(CONFIG)
SETTINGS = CONFIG.platform.governance.dashboard
GOV, REGION = CONFIG.platform.account_id(AccountRole.GOVERNANCE), CONFIG.platform.home_region
READERS = f"arn:aws:quicksight:{SETTINGS.identity_region or REGION}:{GOV}:group/{SETTINGS.namespace}/{SETTINGS.compliance_officer_group}"
OWNERS = f"arn:aws:quicksight:{SETTINGS.identity_region or REGION}:{GOV}:group/{SETTINGS.namespace}/{SETTINGS.admin_group}"
# QuickSight's documented action sets, written out here rather than imported from the module.
EXPECTED = {
    "dashboard": {
        READERS: ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"],
        OWNERS: ["quicksight:DeleteDashboard", "quicksight:DescribeDashboard", "quicksight:DescribeDashboardPermissions",
                 "quicksight:ListDashboardVersions", "quicksight:QueryDashboard", "quicksight:UpdateDashboard",
                 "quicksight:UpdateDashboardPermissions", "quicksight:UpdateDashboardPublishedVersion"],
    },
    "data_set": {
        READERS: ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:DescribeIngestion",
                  "quicksight:ListIngestions", "quicksight:PassDataSet"],
        OWNERS: ["quicksight:CancelIngestion", "quicksight:CreateIngestion", "quicksight:DeleteDataSet",
                 "quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:DescribeIngestion",
                 "quicksight:ListIngestions", "quicksight:PassDataSet", "quicksight:UpdateDataSet",
                 "quicksight:UpdateDataSetPermissions"],
    },
    "data_source": {
        OWNERS: ["quicksight:DeleteDataSource", "quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions",
                 "quicksight:PassDataSource", "quicksight:UpdateDataSource", "quicksight:UpdateDataSourcePermissions"],
    },
}
QS_TYPES = {"string": "STRING", "bigint": "INTEGER", "double": "DECIMAL", "boolean": "BOOLEAN"}


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def data_sets(governance) -> dict[str, tuple[str, dict]]:
    """view name -> (resource name, body), by the view the custom SQL is named after."""
    out = {}
    for name, body in resources(governance, "aws_quicksight_data_set").items():
        view = one(one(body["physical_table_map"])["custom_sql"])["name"]
        assert view not in out, f"two data sets for view {view}"
        out[view] = (name, body)
    return out


@pytest.fixture(scope="module")
def dashboard(governance) -> dict:
    (body,) = resources(governance, "aws_quicksight_dashboard").values()
    return body


@pytest.fixture(scope="module")
def source(governance) -> tuple[str, dict]:
    ((name, body),) = resources(governance, "aws_quicksight_data_source").items()
    return name, body


def _permissions(body: dict, block: str) -> dict[str, list[str]]:
    return {p["principal"]: p["actions"] for p in as_list(body[block])}


def test_the_data_source_is_athena_on_the_workgroup_over_tls_owned_by_the_admins(source):
    _, body = source
    assert body["type"] == "ATHENA" and body["data_source_id"] == NAMES.quicksight_data_source
    assert one(one(body["parameters"])["athena"])["work_group"] == NAMES.athena_workgroup
    assert one(body["ssl_properties"])["disable_ssl"] is False
    assert _permissions(body, "permission") == EXPECTED["data_source"]  # compliance officers build no data sets


def test_one_direct_query_data_set_per_view_with_its_sql_and_columns(data_sets, source):
    assert sorted(data_sets) == sorted(v.name for v in VIEWS)
    for view in VIEWS:
        _, body = data_sets[view.name]
        table = one(body["physical_table_map"])
        sql = one(table["custom_sql"])
        assert body["data_set_id"] == NAMES.quicksight_data_set(view.name) and body["import_mode"] == "DIRECT_QUERY"
        assert sql["sql_query"] == escape_template(qualified_sql(view, NAMES.glue_database))
        assert [(c["name"], c["type"]) for c in as_list(sql["columns"])] == [(c.name, QS_TYPES[c.type]) for c in view.columns]
        assert refers_to(sql["data_source_arn"], "aws_quicksight_data_source", source[0])
        assert _permissions(body, "permissions") == EXPECTED["data_set"]


def test_data_set_ids_are_unique_and_named_from_the_prefix(data_sets):
    ids = [body["data_set_id"] for _, body in data_sets.values()]
    assert len(set(ids)) == len(ids) and all(i.startswith(f"{CONFIG.platform.name_prefix}-") for i in ids)


def test_dashboard_permissions_are_exact(dashboard):
    assert _permissions(dashboard, "permissions") == EXPECTED["dashboard"]


def test_identifiers_are_sorted_and_each_names_its_views_data_set(governance, dashboard, data_sets):
    declarations = as_list(one(dashboard["definition"])["data_set_identifiers_declarations"])
    identifiers = [d["identifier"] for d in declarations]
    assert identifiers == sorted(identifiers) == sorted(BY_NAME)
    for d in declarations:
        _, name, _ = referenced(governance, d["data_set_arn"])
        assert name == data_sets[d["identifier"]][0]


def _visual(block: dict) -> tuple[str, dict]:
    ((kind, inner),) = block.items()
    return kind, one(inner)


def test_sheets_and_visuals_are_the_contracts(dashboard):
    sheets = as_list(one(dashboard["definition"])["sheets"])
    assert [(s["sheet_id"], s["name"]) for s in sheets] == [(s.id, s.title) for s in SHEETS]
    assert [s["name"] for s in sheets] == ["Overview", "Inventory", "Audit trail", "Quality", "Monitoring"]
    kinds = {"kpi": "kpi_visual", "bar": "bar_chart_visual", "line": "line_chart_visual", "table": "table_visual"}
    for synthesized, expected in zip(sheets, SHEETS):
        visuals = [_visual(v) for v in as_list(synthesized["visuals"])]
        assert [(k, v["visual_id"]) for k, v in visuals] == [(kinds[v.kind], v.id) for v in expected.visuals]
        for (kind, body), contract in zip(visuals, expected.visuals):
            assert one(one(body["title"])["format_text"])["plain_text"] == contract.title
            columns = {c["column_name"] for c in _columns(body)}
            wanted = set(BY_NAME[contract.view].column_names()) if contract.kind == "table" else {x for x in (contract.x, contract.y, contract.color) if x}
            assert columns == wanted and {c["data_set_identifier"] for c in _columns(body)} == {contract.view}


def _columns(value) -> list[dict]:
    if isinstance(value, dict):
        found = [one(value["column"])] if "column" in value and isinstance(value["column"], (dict, list)) else []
        return found + [c for k, v in value.items() if k != "column" for c in _columns(v)]
    if isinstance(value, list):
        return [c for v in value for c in _columns(v)]
    return []


def test_the_sod_breaches_kpi_sums_the_breaches_and_no_filter_reaches_it(dashboard):
    definition = one(dashboard["definition"])
    audit = next(s for s in as_list(definition["sheets"]) if s["sheet_id"] == "audit")
    kpis = [body for kind, body in map(_visual, as_list(audit["visuals"])) if kind == "kpi_visual"]
    (kpi,) = kpis
    (measure,) = _columns(kpi)
    assert (measure["data_set_identifier"], measure["column_name"]) == ("sod_breaches", "breaches")
    scoped = [vid for g in as_list(definition["filter_groups"])
              for scope in as_list(one(one(g["scope_configuration"])["selected_sheets"])["sheet_visual_scoping_configurations"])
              for vid in scope["visual_ids"]]
    assert kpi["visual_id"] not in scoped  # the figure that must read 0 counts every breach, whatever is filtered


def test_the_audit_trail_filters_by_group_version_and_day(dashboard):
    definition = one(dashboard["definition"])
    groups = as_list(definition["filter_groups"])
    assert [g["filter_group_id"] for g in groups] == sorted(g["filter_group_id"] for g in groups)
    audit = {}
    for g in groups:
        ((kind, flt),) = one(g["filters"]).items()
        scope = one(one(one(g["scope_configuration"])["selected_sheets"])["sheet_visual_scoping_configurations"])
        if scope["sheet_id"] == "audit":
            audit[one(one(flt)["column"])["column_name"]] = (kind, scope["visual_ids"])
    assert audit == {"model_group": ("category_filter", ["audit-trail-table"]),
                     "version": ("numeric_equality_filter", ["audit-trail-table"]),
                     "day": ("category_filter", ["audit-trail-table"])}
    sheet = next(s for s in as_list(definition["sheets"]) if s["sheet_id"] == "audit")
    controls = {one(v)["source_filter_id"]: k for c in as_list(sheet["filter_controls"]) for k, v in c.items()}
    assert controls == {"audit-filter-day": "dropdown", "audit-filter-model_group": "dropdown", "audit-filter-version": "text_field"}


def test_every_sheet_filter_is_declared_once(dashboard):
    groups = as_list(one(dashboard["definition"])["filter_groups"])
    expected = sorted(f"{s.id}-filter-{c}" for s in SHEETS for c in s.filters)
    assert sorted(one(next(iter(one(g["filters"]).values())))["filter_id"] for g in groups) == expected


def test_the_committed_definition_is_what_a_fresh_synth_writes(dashboard):
    committed = json.loads((REPO_ROOT / "terraform" / "governance" / "main.tf.json").read_text())
    (body,) = resources(committed, "aws_quicksight_dashboard").values()
    assert json.dumps(body["definition"], sort_keys=False) == json.dumps(dashboard["definition"], sort_keys=False)


def _policy(governance) -> dict:
    (attachment,) = resources(governance, "aws_iam_role_policy_attachment").values()
    assert attachment["role"] == SETTINGS.service_role_name
    _, _, policy = referenced(governance, attachment["policy_arn"])
    assert policy["name"] == NAMES.quicksight_service_policy
    return json.loads(policy["policy"])


def test_the_service_role_gets_exactly_the_workgroup_catalog_lake_results_and_key(governance):
    statements = {s["Sid"]: s for s in _policy(governance)["Statement"]}
    lake, results = f"arn:aws:s3:::{NAMES.analytics_lake_bucket}", f"arn:aws:s3:::{NAMES.athena_results_bucket}"
    glue = f"arn:aws:glue:{REGION}:{GOV}"
    assert all(s["Effect"] == "Allow" for s in statements.values())
    for s in statements.values():
        assert not any(a == "*" or a.endswith(":*") for a in s["Action"]), s
        assert "*" not in s["Resource"], s
    assert statements["RunQueriesInWorkgroup"]["Resource"] == [f"arn:aws:athena:{REGION}:{GOV}:workgroup/{NAMES.athena_workgroup}"]
    assert statements["ReadCatalog"]["Resource"] == [f"{glue}:catalog", f"{glue}:database/{NAMES.glue_database}",
                                                     f"{glue}:table/{NAMES.glue_database}/*"]
    assert all(a.startswith("glue:Get") for a in statements["ReadCatalog"]["Action"])  # reads the catalog, changes nothing
    assert statements["ReadLake"] == {"Sid": "ReadLake", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{lake}/*"]}
    assert statements["WriteQueryResults"]["Resource"] == [f"{results}/*"]
    assert sorted(statements["ListBuckets"]["Resource"]) == sorted([lake, results])
    writes = [s for s in statements.values() for a in s["Action"] if a.startswith("s3:Put")]
    assert [s["Sid"] for s in writes] == ["WriteQueryResults"]  # the lake is read-only to QuickSight
    key = statements["UseLakeKey"]
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert referenced(governance, key["Resource"][0])[0] == "aws_kms_key"
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
