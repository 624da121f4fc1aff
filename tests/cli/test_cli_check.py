"""`mlgov check`: the CI gate over every deployment in config, against the sandbox registry."""

from __future__ import annotations

import json

from approve_testkit import *  # noqa: F403  (fixtures: apv)
from approve_testkit import GOOD_QA, ApvEnv


def test_help(apv: ApvEnv) -> None:
    result = apv.run("check", "--help")
    assert result.exit_code == 0 and "--use-case" in result.output


def test_passes_when_every_deployment_is_approved_with_passing_gates(apv: ApvEnv) -> None:
    test_version = apv.register(qa=GOOD_QA)
    apv.approve_to(test_version, "Test")
    prod_version = apv.register(qa=GOOD_QA)
    apv.approve_to(prod_version, "Prod")
    apv.set_deployments(test_version, (prod_version, prod_version))
    result = apv.run("check")
    assert result.exit_code == 0, result.output
    assert "check passed: 3 deployment(s)" in result.output
    as_json = apv.run("check", "--use-case", "credit-risk", json_output=True)
    assert as_json.exit_code == 0, as_json.output
    out = json.loads(as_json.stdout)
    assert out["ok"] is True and out["reasons"] == []
    assert [(d["deployment"], d["version"], d["ok"]) for d in out["deployments"]] == [
        ("test", test_version, True), ("prod/champion", prod_version, True), ("prod/challenger", prod_version, True)]


def test_prod_version_counts_for_test(apv: ApvEnv) -> None:
    """Approved for Prod means approved beyond Test: it may run in test too (rules.deployable)."""
    version = apv.register(qa=GOOD_QA)
    apv.approve_to(version, "Prod")
    apv.set_deployments(version, (version, version))
    assert apv.run("check").exit_code == 0


def test_fails_with_one_line_per_reason(apv: ApvEnv) -> None:
    pending = apv.register(qa=GOOD_QA)               # never approved
    test_only = apv.register(qa=GOOD_QA)             # approved for Test, deployed in prod
    apv.approve_to(test_only, "Test")
    apv.set_deployments(pending, (test_only, 99))    # 99 does not exist
    result = apv.run("check")
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Error: check failed: 5 problem(s)"
    missing = (f"release 1 of {apv.group}-prod-release does not exist: version {{}} was not approved for Prod through "
               "the decision path (its approval creates the release; `mlgov promote --to prod` writes its number)")
    assert lines[1:] == [
        f"credit-risk: deployments.test: version {pending} of {apv.group} is Dev/Pending (PendingManualApproval) "
        "in the registry, not approved for Test",
        f"credit-risk: deployments.prod.champion: version {test_only} of {apv.group} is Test/Approved (Approved) "
        "in the registry, not approved for Prod",
        f"credit-risk: deployments.prod.champion: {missing.format(test_only)}",
        f"credit-risk: deployments.prod.challenger: version 99 does not exist in group {apv.group}",
        f"credit-risk: deployments.prod.challenger: {missing.format(99)}",
    ]
    assert "FAIL" in result.stdout


def test_a_variant_naming_another_versions_release_fails(apv: ApvEnv) -> None:
    first = apv.register(qa=GOOD_QA)
    apv.approve_to(first, "Prod")                     # release 1
    second = apv.register(qa=GOOD_QA)
    apv.approve_to(second, "Prod")                    # release 2
    apv.set_deployments(second, (second, second))
    apv.set_releases((1, 2))                          # champion names the first version's release
    result = apv.run("check", json_output=True)
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["reasons"] == [
        f"credit-risk: deployments.prod.champion: release 1 of {apv.group}-prod-release is the release of version "
        f"{first}, not of version {second}"]


def test_fails_on_gates_and_rejection(apv: ApvEnv) -> None:
    good = apv.register(qa=GOOD_QA)
    apv.approve_to(good, "Prod")
    apv.set_qa(good, {"auc": "0.6", "p95_latency_ms": "150"})  # a later QA run: below the gate
    rejected = apv.register(qa=GOOD_QA)
    assert apv.decide("reject", rejected, "Test", reason="bias found").exit_code == 0
    apv.set_deployments(rejected, (good, good))
    result = apv.run("check", json_output=True)
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["ok"] is False
    assert out["reasons"] == [
        f"credit-risk: deployments.test: version {rejected} of {apv.group} is rejected (Test/Rejected (Rejected)); "
        "rejected versions are never deployed",
        f"credit-risk: deployments.prod.champion: version {good} of {apv.group}: Prod gate auc >= 0.75: auc = 0.6 (fail)",
        f"credit-risk: deployments.prod.challenger: version {good} of {apv.group}: Prod gate auc >= 0.75: auc = 0.6 (fail)",
    ]


def test_no_deployments_and_unknown_use_case(apv: ApvEnv) -> None:
    text = apv.use_case_file.read_text()
    apv.use_case_file.write_text(text.split("\ndeployments:\n", 1)[0] + "\n")
    result = apv.run("check")
    assert result.exit_code == 0 and "nothing to check" in result.output
    unknown = apv.run("check", "--use-case", "nope")
    assert unknown.exit_code == 2 and "unknown use case" in unknown.output


def test_invalid_config_exit_2(apv: ApvEnv) -> None:
    apv.use_case_file.write_text(apv.use_case_file.read_text().replace("risk_tier: high", "risk_tier: extreme"))
    result = apv.run("check")
    assert result.exit_code == 2 and "risk_tier" in result.output and "Traceback" not in result.output
