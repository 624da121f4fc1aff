"""The governance stack's catalog and engine as synthesized: Glue tables of the lake contract with dt
partition projection, an enforced Athena workgroup with KMS-encrypted results in their own secure bucket
and the configured cutoff, one named query per view, and reader statements scoped to all of that."""

from __future__ import annotations

import json

import pytest
from tf_json import actions, as_list, config, iam_role_policy, one, refers_to, referenced, resources, statements

from mlgov_analytics.views import VIEWS
from mlgov_config import AccountRole
from mlgov_config.terraform_text import escape_template
from mlgov_core.lake_tables import TABLES
from modules.analytics_catalog import reader_statements
from modules.naming import Names

pytestmark = pytest.mark.synth

CONFIG = config()
NAMES = Names.from_config(CONFIG)
GOV = CONFIG.platform.account_id(AccountRole.GOVERNANCE)
ANALYTICS = CONFIG.platform.governance.analytics
LAKE = f"s3://{NAMES.analytics_lake_bucket}"


def _unescape(text: str) -> str:
    """The value Terraform gives a literal .tf.json string (no references in these)."""
    return text.replace("$${", "${").replace("%%{", "%{")


@pytest.fixture(scope="module")
def governance(synth) -> dict:
    return synth.stacks[AccountRole.GOVERNANCE.value]


@pytest.fixture(scope="module")
def governance_key(governance) -> str:
    [alias] = [b for b in resources(governance, "aws_kms_alias").values() if b["name"] == NAMES.governance_key_alias]
    return alias["target_key_id"].split(".")[1]


@pytest.fixture(scope="module")
def tables(governance) -> dict[str, dict]:
    return {b["name"]: b for b in resources(governance, "aws_glue_catalog_table").values()}


@pytest.fixture(scope="module")
def workgroup(governance) -> tuple[str, dict]:
    [(name, body)] = [(n, b) for n, b in resources(governance, "aws_athena_workgroup").items() if b["name"] == NAMES.athena_workgroup]
    return name, body


def test_one_external_json_table_per_lake_table_with_the_contract_columns(governance, tables):
    [(db_name, db)] = resources(governance, "aws_glue_catalog_database").items()
    assert db["name"] == NAMES.glue_database
    assert sorted(tables) == sorted(t.name for t in TABLES)
    for table in TABLES:
        body = tables[table.name]
        storage = one(body["storage_descriptor"])
        assert refers_to(body["database_name"], "aws_glue_catalog_database", db_name)
        assert (body["table_type"], body["parameters"]["EXTERNAL"]) == ("EXTERNAL_TABLE", "TRUE")
        assert storage["location"] == f"{LAKE}/{table.prefix}/"
        assert one(storage["ser_de_info"])["serialization_library"] == "org.openx.data.jsonserde.JsonSerDe"
        assert storage["input_format"] == "org.apache.hadoop.mapred.TextInputFormat"
        assert body["parameters"]["compressionType"] == "gzip"
        assert [(c["name"], c["type"]) for c in storage["columns"]] == [(c.name, c.type) for c in table.columns]


def test_partitioned_tables_project_dt_by_day_from_the_configured_start(tables):
    partitioned = [t for t in TABLES if t.partitioned]
    assert {t.name for t in partitioned} >= {"history", "metrics"}
    for table in TABLES:
        params = tables[table.name]["parameters"]
        if not table.partitioned:
            assert "partition_keys" not in tables[table.name] and not any(k.startswith("projection.") for k in params)
            continue
        assert [(k["name"], k["type"]) for k in as_list(tables[table.name]["partition_keys"])] == [("dt", "string")]
        assert params["projection.enabled"] == "true"
        assert (params["projection.dt.type"], params["projection.dt.format"]) == ("date", "yyyy-MM-dd")
        assert params["projection.dt.range"] == f"{ANALYTICS.projection_start_date.isoformat()},NOW"
        assert (params["projection.dt.interval"], params["projection.dt.interval.unit"]) == ("1", "DAYS")
        # Escaped for Terraform, so Athena receives the ${dt} placeholder and fills in the day.
        assert _unescape(params["storage.location.template"]) == f"{LAKE}/{table.prefix}/dt=${{dt}}/"


def test_workgroup_enforces_kms_results_in_its_bucket_with_the_cutoff(governance, workgroup, governance_key):
    _, body = workgroup
    conf = one(body["configuration"])
    assert conf["enforce_workgroup_configuration"] is True
    assert conf["publish_cloudwatch_metrics_enabled"] is True
    assert conf["bytes_scanned_cutoff_per_query"] == ANALYTICS.bytes_scanned_cutoff_per_query
    result = one(conf["result_configuration"])
    assert result["output_location"].startswith(f"s3://{NAMES.athena_results_bucket}/")
    assert result["expected_bucket_owner"] == GOV
    encryption = one(result["encryption_configuration"])
    assert encryption["encryption_option"] == "SSE_KMS"
    assert refers_to(encryption["kms_key_arn"], "aws_kms_key", governance_key)


def test_one_named_query_per_view_in_the_workgroup(governance, workgroup):
    queries = {b["name"]: b for b in resources(governance, "aws_athena_named_query").values()}
    assert sorted(queries) == sorted(v.name for v in VIEWS)
    for view in VIEWS:
        query = queries[view.name]
        assert refers_to(query["workgroup"], "aws_athena_workgroup", workgroup[0])
        assert referenced(governance, query["database"])[2]["name"] == NAMES.glue_database
        assert (query["query"], query["description"]) == (escape_template(view.sql), escape_template(view.description))


def test_results_bucket_is_secure_and_expires_results(governance, governance_key):
    [(name, _)] = [(n, b) for n, b in resources(governance, "aws_s3_bucket").items() if b["bucket"] == NAMES.athena_results_bucket]

    def attached_to(type_: str) -> dict:
        [body] = [b for b in resources(governance, type_).values() if refers_to(b["bucket"], "aws_s3_bucket", name)]
        return body

    sse = one(one(attached_to("aws_s3_bucket_server_side_encryption_configuration")["rule"])["apply_server_side_encryption_by_default"])
    assert sse["sse_algorithm"] == "aws:kms" and refers_to(sse["kms_master_key_id"], "aws_kms_key", governance_key)
    block = attached_to("aws_s3_bucket_public_access_block")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    assert one(attached_to("aws_s3_bucket_versioning")["versioning_configuration"])["status"] == "Enabled"
    target = referenced(governance, attached_to("aws_s3_bucket_logging")["target_bucket"])[2]
    assert target["bucket"] == NAMES.access_log_bucket
    [rule] = as_list(attached_to("aws_s3_bucket_lifecycle_configuration")["rule"])
    assert one(rule["expiration"])["days"] == ANALYTICS.results_retention_days
    policy = json.loads(attached_to("aws_s3_bucket_policy")["policy"])
    assert any(s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
               for s in statements(policy))


def _allows(doc: dict) -> list[dict]:
    return [s for s in statements(doc) if s["Effect"] == "Allow"]


def test_compliance_officer_reads_through_the_workgroup_only(governance):
    _, doc = iam_role_policy(governance, NAMES.compliance_officer_role)
    allows = _allows(doc)

    def granted_on(action: str) -> set[str]:
        return {r for s in allows if action in actions(s) for r in as_list(s["Resource"])}

    workgroup_arn = f"arn:aws:athena:{NAMES.region}:{GOV}:workgroup/{NAMES.athena_workgroup}"
    assert granted_on("athena:StartQueryExecution") == {workgroup_arn}
    assert granted_on("glue:GetTable") == {
        f"arn:aws:glue:{NAMES.region}:{GOV}:catalog", f"arn:aws:glue:{NAMES.region}:{GOV}:database/{NAMES.glue_database}",
        *(f"arn:aws:glue:{NAMES.region}:{GOV}:table/{NAMES.glue_database}/{t.name}" for t in TABLES)}
    lake_objects = {r for r in granted_on("s3:GetObject") if NAMES.analytics_lake_bucket in r}
    assert lake_objects == {f"arn:aws:s3:::{NAMES.analytics_lake_bucket}/{t.prefix}/*" for t in TABLES}
    assert granted_on("s3:PutObject") == {f"arn:aws:s3:::{NAMES.athena_results_bucket}/results/*"}
    [kms] = [s for s in allows if "kms:Decrypt" in actions(s)]
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == [f"s3.{NAMES.region}.amazonaws.com"]
    # Reading is all it may do with the data: no Glue, Athena admin or lake writes.
    granted = {a for s in allows for a in actions(s)}
    assert not granted & {"glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "athena:UpdateWorkGroup",
                          "athena:DeleteWorkGroup", "athena:CreateNamedQuery", "athena:DeleteNamedQuery"}
    lake_writes = [s for s in allows if "s3:PutObject" in actions(s)
                   and any(NAMES.analytics_lake_bucket in r for r in as_list(s["Resource"]))]
    assert lake_writes == []


def test_reader_statements_name_no_wildcard_action_or_resource():
    docs = reader_statements(NAMES, ("arn:aws:kms:eu-west-1:111111111111:key/k",))
    assert docs, "no statements"
    for statement in (s.render() for s in docs):
        assert statement["Effect"] == "Allow"
        assert not any(a == "*" or a.endswith(":*") for a in statement["Action"]), statement
        assert "*" not in statement["Resource"], statement
        for resource in statement["Resource"]:
            # Every resource is one of ours: the workgroup, the catalog, the lake, the results or the key.
            assert any(part in resource for part in (NAMES.athena_workgroup, "datacatalog/AwsDataCatalog", ":catalog",
                                                     NAMES.glue_database, NAMES.analytics_lake_bucket,
                                                     NAMES.athena_results_bucket, ":key/k")), resource
