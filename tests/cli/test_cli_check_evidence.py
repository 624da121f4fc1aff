"""`mlgov check` judges gates on the QA metrics metrics-ingest recorded in the table, never on qa:* metadata.

In-process moto: the repository config deploys version 1 of credit-risk to test and both prod variants.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from governance_testkit import GROUP, Gov, TableFiller, aws_env, config_dir, gov, run  # noqa: F401

from mlgov_core import release

FORGED = {"qa:auc": "0.99", "qa:p95_latency_ms": "1", "qa:reported_at": "2099-01-01T00:00:00.000Z"}


@pytest.fixture
def approved(gov: Gov) -> str:
    """credit-risk v1, approved for Prod, carrying qa:* metadata its registrant typed in."""
    gov.create_table()
    gov.group(GROUP)
    arn = gov.register(GROUP, **FORGED)
    gov.sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved",
                                ModelLifeCycle={"Stage": "Prod", "StageStatus": "Approved"})
    # and its prod release, release 1, as the decision function creates it at the Prod approval
    gov.group(release.release_group(GROUP))
    released = gov.register(release.release_group(GROUP), **{release.SOURCE_VERSION_KEY: "1"})
    gov.sm.update_model_package(ModelPackageArn=released, ModelApprovalStatus="Approved")
    return arn


def record_qa(gov: Gov, values: dict[str, float]) -> None:
    filler = TableFiller(gov.ddb, gov.table)  # the items metrics-ingest writes (metrics.build_items)
    filler.metrics(GROUP, 1, "2025-03-01T00:00:00.000Z", values)
    filler.flush()


def test_forged_qa_metadata_does_not_pass_the_gates(approved: str, config_dir: Path) -> None:
    result = run(config_dir, "--json", "check", "--use-case", "credit-risk")
    assert result.exit_code == 1, result.output
    answer = json.loads(result.output[: result.output.rindex("}") + 1])
    assert not answer["ok"]
    assert any("Prod gate auc >= 0.75: no recorded value for auc" in r for r in answer["reasons"]), answer["reasons"]


def test_recorded_qa_decides_whatever_the_metadata_says(gov: Gov, approved: str, config_dir: Path) -> None:
    record_qa(gov, {"auc": 0.81, "p95_latency_ms": 150})
    gov.sm.update_model_package(ModelPackageArn=approved, CustomerMetadataProperties={"qa:auc": "0.1"})
    result = run(config_dir, "check", "--use-case", "credit-risk")
    assert result.exit_code == 0, result.output
    record_qa(gov, {"auc": 0.6, "p95_latency_ms": 150})  # a later recorded report, below the gate
    result = run(config_dir, "check", "--use-case", "credit-risk")
    assert result.exit_code == 1 and "Prod gate auc >= 0.75: auc = 0.6 (fail)" in result.output


def test_check_without_read_on_the_table_fails_with_the_table_named(gov: Gov, config_dir: Path) -> None:
    gov.group(GROUP)  # no governance table
    arn = gov.register(GROUP)
    gov.sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved",
                                ModelLifeCycle={"Stage": "Prod", "StageStatus": "Approved"})
    result = run(config_dir, "check", "--use-case", "credit-risk")
    assert result.exit_code == 3 and gov.table in result.output and "Traceback" not in result.output
