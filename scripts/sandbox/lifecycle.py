"""The seed's lifecycle in the sandbox, driven by the `mlgov` commands a real team runs.

Every step is a subprocess `mlgov ...` against the sandbox (--endpoint-url), with a scratch copy of
config/ so promotions never touch the repository's files. The first release applies the committed
stacks; each later promotion is what merging its pull request does: synth of the edited scratch config
into a scratch terraform/ folder, then apply of that stack over the same state.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgov_cli.api_client import InferenceApiClient, find_api_id, inference_api_name, predict_url
from mlgov_cli.commands.qa import metrics_detail, publish
from mlgov_cli.qa_metrics import accuracy, auc, percentile
from mlgov_cli.training import SEED, read_labelled_sample, write_labelled_sample
from mlgov_config import AccountRole, load_config
from mlgov_core import gates, timeparse
from sandbox import attacks
from sandbox.accounts import SANDBOX_KEY
from sandbox.stacks import synth_stacks

REGISTRANT = "data-scientist@example.com"
APPROVER = "model-approver@example.com"
USE_CASE = "credit-risk"
AB_REQUESTS = 300
SERVING_CHECK_REQUESTS = 20
# The challenger is retrained on a newer, larger snapshot (a new seed of the generated data set).
RETRAIN_ROWS, RETRAIN_DATA_SEED = 6000, SEED + 1
PROD_TRAFFIC_SEED = SEED + 11  # applicants neither the candidates nor QA have seen


@dataclass
class LifecycleResult:
    first: int = 0  # the first registered version, deployed by the committed config
    challenger: int = 0  # the retrained version put through the same gates, then A/B tested
    winner: int = 0
    model_package_arns: dict[int, str] = field(default_factory=dict)
    refused_self_approval: int = -1
    attack_outcomes: list[attacks.AttackOutcome] = field(default_factory=list)  # played against the applied stacks
    history_verified: dict[int, int] = field(default_factory=dict)  # version -> exit code of history --verify
    ab_metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # variant -> production metrics
    serving_after_promotion: dict[str, set[int]] = field(default_factory=dict)  # variant -> versions that answered
    config_dir: Path | None = None  # the scratch config the promotions edited
    report_html: Path | None = None
    dashboard_html: Path | None = None
    dashboard_headline: dict[str, Any] = field(default_factory=dict)  # `mlgov --json dashboard`


class Mlgov:
    """Runs `mlgov` as a person would, printing the command and what it answered."""

    def __init__(self, endpoint_url: str, config_dir: Path, work: Path, region: str) -> None:
        self.config_dir, self.work = config_dir, work
        self.env = {
            **os.environ, "AWS_ACCESS_KEY_ID": SANDBOX_KEY, "AWS_SECRET_ACCESS_KEY": SANDBOX_KEY,
            "AWS_DEFAULT_REGION": region, "MLGOV_ENDPOINT_URL": endpoint_url,
            "MLFLOW_TRACKING_URI": f"file://{work / 'mlruns'}", "MLFLOW_ALLOW_FILE_STORE": "true",
            "COLUMNS": "160",  # rich sizes tables to the terminal; a pipe has none
        }
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            self.env.pop(name, None)

    def __call__(self, *args: str, expect: int = 0, as_json: bool = False, config_dir: Path | None = None) -> Any:
        command = [sys.executable, "-m", "mlgov_cli", "--config", str(config_dir or self.config_dir),
                   *(["--json"] if as_json else []), *args]
        print(f"\n$ mlgov {' '.join(command[5:])}", flush=True)
        proc = subprocess.run(command, env=self.env, capture_output=True, text=True, check=False)
        shown = (proc.stdout + proc.stderr).strip()
        print("\n".join(f"  {line}" for line in shown.splitlines()[-40:]), flush=True)
        if proc.returncode != expect:
            raise SystemExit(f"demo: `mlgov {' '.join(args)}` exited {proc.returncode}, expected {expect}")
        return json.loads(proc.stdout) if as_json and proc.returncode == 0 else proc


def onboard_scratch(mlgov: Mlgov, source_config: Path) -> None:
    """Seed step 1a on a copy without the use case: what the ML engineer's pull request would add."""
    scratch = mlgov.work / "onboarding-config"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(source_config, scratch)
    (scratch / "use_cases" / f"{USE_CASE}.yaml").unlink()
    mlgov("onboard", USE_CASE, "--description", "Probability of default for retail credit applications",
          "--group", USE_CASE, "--business", "head-of-retail-credit@example.com", "--ds-lead", "ds-lead-credit@example.com",
          "--ml-engineer", "mle-credit@example.com", "--risk-tier", "high", "--line-of-business", "retail-credit", "--shared-with", "dev,test,prod",
          "--gate", "auc >= 0.75", "--gate", "p95_latency_ms <= 200", config_dir=scratch)


def register_best_candidate(mlgov: Mlgov, result: LifecycleResult, experiment: str, *train_args: str) -> int:
    """Seed step 3: train candidates in MLflow, register the best run into the shared group."""
    mlgov("train", "--experiment", experiment, *train_args)
    answer = mlgov("register", "--use-case", USE_CASE, "--experiment", experiment, "--best-by", "auc",
                   "--registered-by", REGISTRANT, as_json=True)
    version = int(answer["version"])
    result.model_package_arns[version] = answer["model_package_arn"]
    return version


def prod_caller(deployed: Any) -> Any:
    """The prod account's metrics publisher: it may call the prod API and put on the governance metrics bus."""
    return deployed.session(AccountRole.PROD, f"{deployed.config.platform.name_prefix}-metrics-publisher", "prod-traffic")


def send_labelled_traffic(deployed: Any, caller: Any, sample: Path, requests: int) -> dict[str, dict[str, list]]:
    """Signed requests through the prod inference API; what each variant answered, with the labels."""
    names, platform = deployed.names, deployed.config.platform
    api_id = find_api_id(caller.client("apigateway"), inference_api_name(names.endpoint(USE_CASE, "prod")), stack="prod")
    client = InferenceApiClient(caller.session, predict_url(api_id, platform.home_region, endpoint_url=deployed.sandbox.url))
    header, rows, labels = read_labelled_sample(sample)
    by_variant: dict[str, dict[str, list]] = {}
    for row, label in list(zip(rows, labels, strict=True))[:requests]:
        answer = client.post({"instances": [dict(zip(header, row, strict=True))]})
        seen = by_variant.setdefault(answer.body.get("variant", "?"), {"scores": [], "labels": [], "latency": [], "version": []})
        seen["scores"].append(answer.body["prediction"]["predictions"][0])
        seen["labels"].append(label)
        seen["latency"].append(answer.latency_ms)
        seen["version"].append(int(answer.body.get("model_version")))
    return by_variant


def ab_traffic(deployed: Any, sample: Path) -> dict[str, dict[str, float]]:
    """Seed step 9: labelled traffic through the prod API; production metrics per variant to the bus.

    The events are built and checked by the same code as `mlgov qa`'s, so metrics-ingest sees one format.
    """
    publisher = prod_caller(deployed)
    started = timeparse.now_iso()
    answered = send_labelled_traffic(deployed, publisher, sample, AB_REQUESTS)
    ended = timeparse.now_iso()
    metrics = {}
    for variant, seen in sorted(answered.items()):
        values = {"invocations": len(seen["scores"]), "auc": auc(seen["scores"], seen["labels"]),
                  "accuracy": accuracy(seen["scores"], seen["labels"]), "p95_latency_ms": percentile(seen["latency"], 95)}
        metrics[variant] = {k: round(v, 4) for k, v in values.items() if v is not None}
        detail = metrics_detail(USE_CASE, seen["version"][0], metrics[variant], publisher.role_arn, (started, ended),
                                ended, variant=variant)
        publish(publisher.client("events"), deployed.names.metrics_bus_arn(), detail)
        metrics[variant]["version"] = seen["version"][0]
    print(f"\nprod: {AB_REQUESTS} labelled requests; production metrics per variant reported to the governance bus:", flush=True)
    for variant, values in metrics.items():
        print(f"  {variant:12} {values}", flush=True)
    return metrics


def pick_winner(ab: dict[str, dict[str, float]], prod_gates: list[str], champion: str = "champion") -> int:
    """The version of the variant with the best production AUC among those passing the Prod gates.

    A tie (or nothing passing) keeps the champion: replacing what runs needs evidence, not noise.
    """
    def merit(variant: str) -> float:
        values = ab[variant]
        passing = "auc" in values and gates.all_pass(gates.evaluate_all(prod_gates, values))
        return values["auc"] if passing else float("-inf")

    chosen = max(ab, key=lambda v: (merit(v), v == champion))
    print(f"\nA/B result: {chosen} (version {ab[chosen]['version']}) wins: production AUC "
          + ", ".join(f"{v} {ab[v].get('auc')}" for v in ab) + f"; Prod gates {prod_gates}", flush=True)
    return int(ab[chosen]["version"])


def release(deployed: Any, config_dir: Path, role: AccountRole) -> None:
    """What merging a promotion's pull request does: synth from the edited config, apply that stack."""
    out = deployed.work_root / "terraform"
    print(f"\nsynth: {config_dir} -> {out} (the Terraform the pull request commits)", flush=True)
    synth_stacks(config_dir, out)
    deployed.apply(role, terraform_root=out)


def first_release(mlgov: Mlgov, deployed: Any, result: LifecycleResult, sample: Path) -> None:
    """Seed steps 3-8 for the first version: the committed config already deploys version 1."""
    result.first = version = register_best_candidate(mlgov, result, USE_CASE, "--sample", str(sample))
    deployed.sandbox.drain()
    v = str(version)
    # Separation of duties: the registrant cannot approve their own version (the decision function refuses).
    own = mlgov("approve", USE_CASE, v, "--stage", "Test", "--reason", "looks good", "--approver", REGISTRANT, expect=1)
    result.refused_self_approval = own.returncode
    result.attack_outcomes.append(attacks.AttackOutcome(
        f"the registrant approves version {v} through the decision path", own.returncode == 1,
        (own.stderr.strip().splitlines() or ["(no message)"])[-1], True))
    mlgov("approve", USE_CASE, v, "--stage", "Test", "--reason", "offline metrics reviewed", "--approver", APPROVER)
    mlgov("check", "--use-case", USE_CASE, expect=1)  # prod still names a version not approved for Prod
    deployed.apply(AccountRole.TEST)
    mlgov("qa", "--use-case", USE_CASE, "--version", v, "--sample", str(sample))
    deployed.sandbox.drain()
    mlgov("approve", USE_CASE, v, "--stage", "Prod", "--reason", "QA gates passed", "--approver", APPROVER)
    deployed.sandbox.drain()
    mlgov("check", "--use-case", USE_CASE)
    deployed.apply(AccountRole.PROD)
    refused_attacks(deployed, result)


def refused_attacks(deployed: Any, result: LifecycleResult) -> None:
    """Version 1 is in prod: dev tries to change what it runs, and to register around the rules."""
    who = attacks.personas(deployed)
    reader = who["governance_admin"]
    arn = result.model_package_arns[result.first]
    bucket, key = attacks.artifact_location(reader.client("sagemaker"), arn)
    inference = reader.client("sagemaker").describe_model_package(ModelPackageName=arn)["InferenceSpecification"]
    result.attack_outcomes += [
        attacks.overwrite_artifact(who["data_scientist"].client("s3"), reader.client("s3"), bucket, key),
        attacks.register_decided(who["dev_admin"].client("sagemaker"), reader.client("sagemaker"),
                                 deployed.names.group_arn(USE_CASE), inference),
    ]
    print("\nattacks on the controls, played as the attacker's identity:", flush=True)
    for outcome in result.attack_outcomes:
        print(f"  {outcome.line()}", flush=True)
    if not all(o.refused and o.unchanged for o in result.attack_outcomes):
        raise SystemExit("demo: an attack on the governance controls was not refused (see above)")


def challenger_release(mlgov: Mlgov, deployed: Any, result: LifecycleResult, sample: Path) -> None:
    """A retrained version through the same gates, promoted by config edits, then A/B tested in prod."""
    result.challenger = version = register_best_candidate(
        mlgov, result, f"{USE_CASE}-retrain", "--rows", str(RETRAIN_ROWS), "--data-seed", str(RETRAIN_DATA_SEED))
    deployed.sandbox.drain()
    v = str(version)
    mlgov("approve", USE_CASE, v, "--stage", "Test", "--reason", "retrained on a newer snapshot", "--approver", APPROVER)
    mlgov("promote", USE_CASE, v, "--to", "test")
    mlgov("check", "--use-case", USE_CASE)
    release(deployed, mlgov.config_dir, AccountRole.TEST)
    mlgov("qa", "--use-case", USE_CASE, "--version", v, "--sample", str(sample))
    deployed.sandbox.drain()
    mlgov("approve", USE_CASE, v, "--stage", "Prod", "--reason", "QA gates passed", "--approver", APPROVER)
    deployed.sandbox.drain()
    mlgov("promote", USE_CASE, v, "--to", "prod", "--variant", "challenger", "--weight", "50", "--rebalance")
    mlgov("check", "--use-case", USE_CASE)
    release(deployed, mlgov.config_dir, AccountRole.PROD)


def promote_winner(mlgov: Mlgov, deployed: Any, result: LifecycleResult, prod_gates: list[str]) -> None:
    """Seed step 10: the A/B winner serves every variant, i.e. all traffic."""
    result.winner = pick_winner(result.ab_metrics, prod_gates)
    mlgov("promote", USE_CASE, str(result.winner), "--to", "prod", "--all-variants")
    mlgov("check", "--use-case", USE_CASE)
    release(deployed, mlgov.config_dir, AccountRole.PROD)
    answered = send_labelled_traffic(deployed, prod_caller(deployed), mlgov.work / "prod-traffic.csv", SERVING_CHECK_REQUESTS)
    result.serving_after_promotion = {variant: set(seen["version"]) for variant, seen in answered.items()}
    print(f"\nprod after the promotion: versions answering per variant {result.serving_after_promotion}", flush=True)


def run_lifecycle(deployed: Any, source_config: Path) -> LifecycleResult:
    """Seed steps 1-10 with the CLI; the registry and dev stacks are applied already."""
    work, result = deployed.work_root, LifecycleResult()
    config_dir = result.config_dir = work / "config"
    shutil.rmtree(config_dir, ignore_errors=True)
    shutil.copytree(source_config, config_dir)
    mlgov = Mlgov(deployed.sandbox.url, config_dir, work, deployed.config.platform.home_region)
    qa_sample = work / "qa-sample.csv"
    write_labelled_sample(work / "prod-traffic.csv", AB_REQUESTS, seed=PROD_TRAFFIC_SEED)

    onboard_scratch(mlgov, source_config)
    first_release(mlgov, deployed, result, qa_sample)
    challenger_release(mlgov, deployed, result, qa_sample)
    result.ab_metrics = ab_traffic(deployed, work / "prod-traffic.csv")
    deployed.sandbox.drain()
    promote_winner(mlgov, deployed, result, load_config(config_dir).use_cases[USE_CASE].gates.prod)
    mlgov("status")
    mlgov("list", "--stage", "Prod", "--status", "Approved")
    mlgov("history", USE_CASE, str(result.challenger))
    for version in (result.first, result.challenger):
        result.history_verified[version] = mlgov("history", USE_CASE, str(version), "--verify").returncode
    mlgov("reconcile", "--dry-run")
    mlgov("report", "--out", str(work / "reports"))
    result.report_html = work / "reports" / "governance-report.html"
    print(f"\nreport: {result.report_html} (and governance-report.md)", flush=True)
    deployed.sandbox.drain()  # the stream's last records into the lake
    dashboard = mlgov("dashboard", "--out", str(work / "reports"), as_json=True)
    result.dashboard_html = Path(dashboard["files"]["html"])
    result.dashboard_headline = {k: v for k, v in dashboard.items() if k not in ("files", "source")}
    return result
