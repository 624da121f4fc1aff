"""`mlgov promote`: gates first, then a comment-preserving edit of deployments, validated, with a diff."""

from __future__ import annotations

import json

import pytest

from approve_testkit import *  # noqa: F403  (fixtures: apv)
from approve_testkit import GOOD_QA, REPO_ROOT, ApvEnv

from mlgov_cli.commands.promote import rebalance


def test_help(apv: ApvEnv) -> None:
    result = apv.run("promote", "--help")
    assert result.exit_code == 0
    for option in ("--to", "--variant", "--weight", "--rebalance", "--all-variants", "--dry-run", "--instance-type"):
        assert option in result.output


def test_promote_to_test_keeps_comments_and_prints_diff(apv: ApvEnv) -> None:
    apv.register()  # config deploys version 1: promote version 2
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Test")
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, str(version), "--to", "test")
    assert result.exit_code == 0, result.output
    after = apv.use_case_file.read_text()
    # exactly one line changed; every comment, key and blank line stays where it was
    expected = before.replace("  test:\n    version: 1\n", f"  test:\n    version: {version}\n")
    assert expected != before and after == expected
    assert "# What runs where. Promotion edits this section" in after
    assert "-    version: 1\n" in result.output and f"+    version: {version}\n" in result.output
    assert "credit-risk.yaml" in result.output.splitlines()[0]
    assert f"deployments.test.version: 1 -> {version}" in result.output


def test_promote_to_prod_variant_with_rebalance(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Prod")
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, str(version), "--to", "prod", "--variant", "challenger",
                     "--weight", "30", "--rebalance", json_output=True)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["written"] is True and out["changed"] is True
    after = apv.use_case_file.read_text()
    expected = before.replace("weight: 90", "weight: 70").replace(
        "      - name: challenger\n        version: 1\n        release: 1\n        weight: 10",
        f"      - name: challenger\n        version: {version}\n        release: 1\n        weight: 30")
    assert after == expected
    assert "+        weight: 70" in out["diff"]


def test_all_variants_serve_the_winner_with_weights_kept(apv: ApvEnv) -> None:
    apv.register()  # config deploys version 1 in both variants: promote version 2
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Prod")
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, str(version), "--to", "prod", "--all-variants")
    assert result.exit_code == 0, result.output
    expected = before.replace("      - name: champion\n        version: 1\n", f"      - name: champion\n        version: {version}\n")
    expected = expected.replace("      - name: challenger\n        version: 1\n", f"      - name: challenger\n        version: {version}\n")
    assert expected != before and apv.use_case_file.read_text() == expected, "only the two version lines change"
    assert f"all 2 variants serve version {version}" in result.output
    assert f"champion 1 -> {version}, challenger 1 -> {version}" in result.output


def test_promote_writes_the_release_the_prod_approval_created(apv: ApvEnv) -> None:
    """Each Prod approval makes the next release of the group: the second Prod version is release 2."""
    first = apv.register(qa=GOOD_QA)
    apv.approve_to(first, "Prod")
    second = apv.register(qa=GOOD_QA)
    apv.approve_to(second, "Prod")
    result = apv.run("promote", apv.group, str(second), "--to", "prod", "--variant", "challenger")
    assert result.exit_code == 0, result.output
    assert (f"      - name: challenger\n        version: {second}\n        release: 2\n        weight: 10\n"
            in apv.use_case_file.read_text())
    assert "+        release: 2\n" in result.output


def test_all_variants_needs_the_prod_approval(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Test")
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, str(version), "--to", "prod", "--all-variants")
    assert result.exit_code == 1 and "not approved for Prod" in result.output
    assert apv.use_case_file.read_text() == before


def test_new_variant_added(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Prod")
    result = apv.run("promote", apv.group, str(version), "--to", "prod", "--variant", "canary", "--weight", "10",
                     "--instance-type", "ml.c5.xlarge", "--rebalance")
    assert result.exit_code == 0, result.output
    text = apv.use_case_file.read_text()
    assert (f"      - name: canary\n        version: {version}\n        release: 1\n        weight: 10\n"
            "        instance_type: ml.c5.xlarge\n    data_capture_percent: 100\n") in text
    assert "weight: 81" in text and "weight: 9\n" in text  # 90/10 scaled to 90 in total


def test_weights_not_summing_refused_without_rebalance(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Prod")
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, str(version), "--to", "prod", "--variant", "challenger", "--weight", "30")
    assert result.exit_code == 2, result.output
    assert "weights sum to 120" in result.output and "--rebalance" in result.output
    assert "nothing written" in result.output
    assert apv.use_case_file.read_text() == before


def test_dry_run_writes_nothing(apv: ApvEnv) -> None:
    apv.register()  # config deploys version 1: promote version 2
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Test")
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, str(version), "--to", "test", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"+    version: {version}" in result.output and "dry run" in result.output
    assert apv.use_case_file.read_text() == before


def test_promote_rejected_version_refused(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    assert apv.decide("reject", version, "Test", reason="fails fairness review").exit_code == 0
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, str(version), "--to", "test")
    assert result.exit_code == 1, result.output
    assert "rejected versions are never deployed" in result.output
    assert apv.use_case_file.read_text() == before


def test_promote_unknown_version_refused(apv: ApvEnv) -> None:
    apv.register()
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, "77", "--to", "test")
    assert result.exit_code == 2, result.output
    assert f"version 77 does not exist in group {apv.group}" in result.output
    assert apv.use_case_file.read_text() == before


def test_promote_to_prod_needs_prod_approval_and_gates(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Test")
    before = apv.use_case_file.read_text()
    not_approved = apv.run("promote", apv.group, str(version), "--to", "prod", "--variant", "challenger")
    assert not_approved.exit_code == 1 and "not approved for Prod" in not_approved.output
    assert apv.decide("approve", version, "Prod", "erin@example.com").exit_code == 0
    apv.set_qa(version, {"auc": "0.8", "p95_latency_ms": "900"})  # a later QA run fails the latency gate
    gate = apv.run("promote", apv.group, str(version), "--to", "prod", "--variant", "challenger")
    assert gate.exit_code == 1 and "p95_latency_ms <= 200: p95_latency_ms = 900 (fail)" in gate.output
    assert apv.use_case_file.read_text() == before


def test_pending_version_refused(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    result = apv.run("promote", apv.group, str(version), "--to", "test")
    assert result.exit_code == 1 and "not approved for Test" in result.output


@pytest.mark.parametrize("args, message", [
    (("--to", "test", "--variant", "x"), "are for --to prod"),
    (("--to", "prod",), "needs --variant"),
    (("--to", "prod", "--variant", "canary"), "give its --weight"),
    (("--to", "prod", "--variant", "challenger", "--weight", "100", "--rebalance"), "leaves nothing"),
    (("--to", "test", "--all-variants"), "are for --to prod"),
    (("--to", "prod", "--all-variants", "--variant", "champion"), "takes no --variant"),
    (("--to", "prod", "--all-variants", "--weight", "50"), "takes no --variant"),
])
def test_bad_flags_exit_2(apv: ApvEnv, args: tuple[str, ...], message: str) -> None:
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Prod")
    before = apv.use_case_file.read_text()
    result = apv.run("promote", apv.group, str(version), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert apv.use_case_file.read_text() == before


def test_no_change_when_already_deployed(apv: ApvEnv) -> None:
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Test")
    apv.set_deployments(version, None)
    result = apv.run("promote", apv.group, str(version), "--to", "test")
    assert result.exit_code == 0 and "nothing to change" in result.output


def test_repository_config_round_trips_unchanged() -> None:
    from mlgov_cli.commands.promote import dump, round_trip_yaml

    for path in sorted((REPO_ROOT / "config" / "use_cases").glob("*.yaml")):
        text = path.read_text()
        data, yaml = round_trip_yaml(text)
        assert dump(yaml, data) == text, path


def test_rebalance_math() -> None:
    assert rebalance([90, 10], 1, 30, 100) == [70, 30]
    assert rebalance([50, 30, 20], 0, 60, 100) == [60, 24, 16]
    assert rebalance([0.75, 0.25], 1, 0.5, 1) == [0.5, 0.5]
    assert rebalance([90, 9, 1], 0, 98, 100) == [98, 1, 1]  # every variant keeps a weight > 0
    assert sum(rebalance([33, 33, 34], 2, 50, 100)) == 100
