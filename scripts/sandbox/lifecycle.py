"""The seed's lifecycle in the sandbox, driven by the `mlgov` commands a real team runs.

Every step is a subprocess `mlgov ...` against the sandbox (--endpoint-url), with a scratch copy of
config/ so promotions never touch the repository's files. Terraform applies the committed stacks.
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
from mlgov_cli.qa_metrics import accuracy, auc, percentile
from mlgov_cli.training import FEATURES, read_labelled_sample
from mlgov_config import AccountRole
from sandbox.accounts import SANDBOX_KEY
from mlgov_core.metrics import DETAIL_TYPE as METRICS_DETAIL_TYPE
from mlgov_core.metrics import SOURCE as METRICS_SOURCE

REGISTRANT = "data-scientist@example.com"
APPROVER = "model-approver@example.com"
USE_CASE = "credit-risk"
AB_REQUESTS = 100


@dataclass
class LifecycleResult:
    version: int = 0
    model_package_arn: str = ""
    refused_self_approval: int = -1
    outputs: dict[str, Any] = field(default_factory=dict)
    ab_metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    report_html: Path | None = None


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
          "--ml-engineer", "mle-credit@example.com", "--risk-tier", "high", "--shared-with", "dev,test,prod",
          "--gate", "auc >= 0.75", "--gate", "p95_latency_ms <= 200", config_dir=scratch)


def register_best_candidate(mlgov: Mlgov, result: LifecycleResult) -> None:
    """Seed step 3: train candidates in MLflow, register the best run into the shared group."""
    mlgov("train", "--experiment", USE_CASE, "--sample", str(mlgov.work / "qa-sample.csv"))
    answer = mlgov("register", "--use-case", USE_CASE, "--experiment", USE_CASE, "--best-by", "auc",
                   "--registered-by", REGISTRANT, as_json=True)
    result.model_package_arn, result.version = answer["model_package_arn"], int(answer["version"])


def ab_traffic(deployed: Any, sample: Path) -> dict[str, dict[str, float]]:
    """Seed step 9: labelled traffic through the prod API; production metrics per variant to the bus."""
    names, platform = deployed.names, deployed.config.platform
    publisher = deployed.session(AccountRole.PROD, f"{platform.name_prefix}-metrics-publisher", "prod-metrics")
    api_id = find_api_id(publisher.client("apigateway"), inference_api_name(names.endpoint(USE_CASE, "prod")))
    client = InferenceApiClient(publisher.session, predict_url(api_id, platform.home_region, endpoint_url=deployed.sandbox.url))
    header, rows, labels = read_labelled_sample(sample)
    by_variant: dict[str, dict[str, list]] = {}
    for row, label in list(zip(rows, labels, strict=True))[:AB_REQUESTS]:
        answer = client.post({"instances": [dict(zip(header, row, strict=True))]})
        seen = by_variant.setdefault(answer.body.get("variant", "?"), {"scores": [], "labels": [], "latency": [], "version": []})
        seen["scores"].append(answer.body["prediction"]["predictions"][0])
        seen["labels"].append(label)
        seen["latency"].append(answer.latency_ms)
        seen["version"].append(answer.body.get("model_version"))
    metrics = {}
    entries = []
    for variant, seen in sorted(by_variant.items()):
        values = {"invocations": len(seen["scores"]), "auc": auc(seen["scores"], seen["labels"]),
                  "accuracy": accuracy(seen["scores"], seen["labels"]), "p95_latency_ms": percentile(seen["latency"], 95)}
        metrics[variant] = {k: round(v, 4) for k, v in values.items() if v is not None}
        entries.append({"EventBusName": names.metrics_bus_arn(), "Source": METRICS_SOURCE, "DetailType": METRICS_DETAIL_TYPE,
                        "Detail": json.dumps({
                            "schema_version": 1, "model_package_group": USE_CASE, "model_version": seen["version"][0],
                            "stage": "Prod", "kind": "production", "variant": variant, "metrics": metrics[variant],
                            "reported_by": publisher.role_arn, "reported_at": _now()})})
    publisher.client("events").put_events(Entries=entries)
    print(f"\nprod: {AB_REQUESTS} labelled requests split {({v: m['invocations'] for v, m in metrics.items()})}; "
          "production metrics per variant reported to the governance bus", flush=True)
    return metrics


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_lifecycle(deployed: Any, source_config: Path) -> LifecycleResult:
    """Seed steps 1-10 with the CLI; the registry and dev stacks are applied already."""
    work, result = deployed.work_root, LifecycleResult()
    config_dir = work / "config"
    shutil.rmtree(config_dir, ignore_errors=True)
    shutil.copytree(source_config, config_dir)
    mlgov = Mlgov(deployed.sandbox.url, config_dir, work, deployed.config.platform.home_region)

    onboard_scratch(mlgov, source_config)
    register_best_candidate(mlgov, result)
    deployed.sandbox.drain()
    version = str(result.version)
    # Separation of duties: the registrant cannot approve their own version.
    result.refused_self_approval = mlgov("approve", USE_CASE, version, "--stage", "Test", "--reason", "looks good",
                                         "--approver", REGISTRANT, expect=1).returncode
    mlgov("approve", USE_CASE, version, "--stage", "Test", "--reason", "offline metrics reviewed", "--approver", APPROVER)
    mlgov("check", "--use-case", USE_CASE, expect=1)  # prod still names a version not approved for Prod
    deployed.apply(AccountRole.TEST)
    mlgov("qa", "--use-case", USE_CASE, "--version", version, "--sample", str(work / "qa-sample.csv"))
    deployed.sandbox.drain()
    mlgov("approve", USE_CASE, version, "--stage", "Prod", "--reason", "QA gates passed", "--approver", APPROVER)
    deployed.sandbox.drain()
    mlgov("check", "--use-case", USE_CASE)
    deployed.apply(AccountRole.PROD)
    result.ab_metrics = ab_traffic(deployed, work / "qa-sample.csv")
    deployed.sandbox.drain()
    mlgov("promote", USE_CASE, version, "--to", "prod", "--variant", "champion", "--weight", "95", "--rebalance", "--dry-run")
    mlgov("status")
    mlgov("list", "--stage", "Prod", "--status", "Approved")
    mlgov("history", USE_CASE, version)
    mlgov("reconcile", "--dry-run")
    mlgov("report", "--out", str(work / "reports"))
    result.report_html = work / "reports" / "governance-report.html"
    print(f"\nreport: {result.report_html} (and governance-report.md)", flush=True)
    return result
