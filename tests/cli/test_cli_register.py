"""`mlgov register`: a real MLflow file store, the sandbox registry and artifact store, the faults."""

from __future__ import annotations

import io
import json
import tarfile

from register_testkit import DEV, GOV, REGION, RegEnv, fail_on, record_calls, reg, reg_store  # noqa: F401 (fixtures)

from mlgov_cli.errors import EXIT_AWS, EXIT_INPUT, EXIT_RULE


def _best(reg: RegEnv, metric: str) -> str:
    metrics = reg.store.metrics
    return max(reg.store.runs, key=lambda r: metrics[r][metric])


def test_best_run_registered_with_group_owner_arn_lifecycle_and_metadata(reg: RegEnv):
    result = reg.register("--experiment", "credit-risk", "--best-by", "auc")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    best = _best(reg, "auc")
    assert out["run_id"] == best
    # the version belongs to the governance account's group, although dev registered it
    assert out["model_package_arn"] == f"arn:aws:sagemaker:{REGION}:{GOV}:model-package/{reg.group}/1"
    [package] = reg.packages()
    assert package["ModelPackageArn"] == out["model_package_arn"]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelLifeCycle"]["Stage"] == "Dev" and package["ModelLifeCycle"]["StageStatus"] == "Pending"
    assert best in package["ModelLifeCycle"]["StageDescription"]
    assert package["CreatedBy"]["IamIdentity"]["Arn"].startswith(f"arn:aws:sts::{DEV}:assumed-role/mlgovreg-data-scientist/")
    meta = package["CustomerMetadataProperties"]
    metrics = reg.store.metrics[best]
    assert meta["mlflow_run_id"] == best and meta["mlflow_experiment"] == "credit-risk"
    assert meta["registered_by"] == "ds@example.com"
    assert len(meta["code_version"]) == 40 or meta["code_version"] == "unknown"
    assert {k: float(v) for k, v in meta.items() if k.startswith("metric:")} == {f"metric:{k}": v for k, v in metrics.items()}
    bucket = reg.store.bucket
    prefix = f"models/{reg.group}/{best}/"
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == f"s3://{bucket}/{prefix}model.tar.gz"
    assert container["Image"] == f"{GOV}.dkr.ecr.{REGION}.amazonaws.com/mlgovreg/models:sklearn-serving"
    statistics = package["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics == {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/{prefix}metrics.json"}
    # the artifacts: the run's model folder as a tarball, the metrics next to it, both under the artifact key
    assert reg.objects() == [f"{prefix}metrics.json", f"{prefix}model.tar.gz"]
    s3 = reg.gov("s3")
    tar_object = s3.get_object(Bucket=bucket, Key=f"{prefix}model.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(tar_object["Body"].read()), mode="r:gz") as tar:
        model = json.load(tar.extractfile("model.json"))  # type: ignore[arg-type]
    assert model["type"] == "logistic_regression" and len(model["coefficients"]) == len(model["features"])
    assert tar_object.get("ServerSideEncryption") == "aws:kms"
    assert tar_object.get("SSEKMSKeyId") == reg.store.key_arn
    document = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}metrics.json")["Body"].read())
    assert document["metrics"] == metrics and document["mlflow_run_id"] == best


def test_lower_is_better_and_other_metric_pick_other_runs(reg: RegEnv):
    by_accuracy = json.loads(reg.register("--experiment", "credit-risk", "--best-by", "accuracy").output)
    assert by_accuracy["run_id"] == _best(reg, "accuracy")
    worst_auc = min(reg.store.runs, key=lambda r: reg.store.metrics[r]["auc"])
    lowest = reg.register("--experiment", "credit-risk", "--best-by", "auc", "--lower-is-better")
    assert json.loads(lowest.output)["run_id"] == worst_auc
    assert len(reg.packages()) == 2


def test_uploads_carry_no_encryption_headers(reg: RegEnv, monkeypatch):
    install, calls = record_calls("s3", "PutObject")
    install(monkeypatch)
    assert reg.register("--run-id", reg.store.runs[0]).exit_code == 0
    assert len(calls) == 2
    for params in calls:
        assert not {k for k in params if k.startswith("SSE") or k == "ServerSideEncryption"}, params


def test_table_output_names_the_version(reg: RegEnv):
    result = reg.register("--run-id", reg.store.runs[0], json_output=False)
    assert result.exit_code == 0, result.output
    assert "model-package" in result.output and reg.store.runs[0] in result.output


def test_run_id_not_found(reg: RegEnv):
    result = reg.register("--run-id", "0123456789abcdef0123456789abcdef")
    assert result.exit_code == EXIT_INPUT
    assert f"run 0123456789abcdef0123456789abcdef not found in {reg.store.tracking_uri}" in result.output
    assert reg.packages() == [] and reg.objects() == []


def test_experiment_not_found(reg: RegEnv):
    result = reg.register("--experiment", "nope", "--best-by", "auc")
    assert result.exit_code == EXIT_INPUT and "experiment 'nope' not found" in result.output


def test_run_without_the_metric(reg: RegEnv):
    result = reg.register("--run-id", reg.store.no_auc_run, "--require-metric", "auc")
    assert result.exit_code == EXIT_INPUT
    assert f"run {reg.store.no_auc_run} has no metric 'auc'" in result.output and "loss" in result.output
    # by experiment: the only run with auc has no model artifact -> named as such; without auc at all -> refused
    result = reg.register("--experiment", "no-auc", "--best-by", "f1")
    assert result.exit_code == EXIT_INPUT and "has the metric 'f1'" in result.output
    assert reg.packages() == [] and reg.objects() == []


def test_run_without_model_artifacts(reg: RegEnv):
    result = reg.register("--run-id", reg.store.no_model_run)
    assert result.exit_code == EXIT_INPUT and "no artifacts under 'model'" in result.output
    assert reg.packages() == [] and reg.objects() == []


def test_flags_either_run_or_experiment(reg: RegEnv):
    assert reg.register().exit_code == EXIT_INPUT
    assert reg.register("--run-id", "x", "--experiment", "credit-risk", "--best-by", "auc").exit_code == EXIT_INPUT
    result = reg.register("--experiment", "credit-risk")
    assert result.exit_code == EXIT_INPUT and "--best-by" in result.output


def test_duplicate_refused_unless_forced(reg: RegEnv):
    run = reg.store.runs[1]
    first = json.loads(reg.register("--run-id", run).output)
    again = reg.register("--run-id", run)
    assert again.exit_code == EXIT_RULE
    assert first["model_package_arn"] in again.output and "--force" in again.output
    assert len(reg.packages()) == 1
    forced = reg.register("--run-id", run, "--force")
    assert forced.exit_code == 0, forced.output
    out = json.loads(forced.output)
    assert out["version"] == 2 and out["forced"] is True
    # the first version still points at its own artifact; the forced one has its own folder
    assert out["model_data_url"].endswith(f"/{run}/r2/model.tar.gz")
    assert len(reg.objects()) == 4
    assert len(reg.packages()) == 2


def test_upload_failing_half_way_leaves_nothing(reg: RegEnv, monkeypatch):
    fail_on("s3", "PutObject", nth=2)(monkeypatch)  # the model uploads, metrics.json fails
    result = reg.register("--run-id", reg.store.runs[0])
    assert result.exit_code == EXIT_AWS
    assert "uploading the artifacts failed, nothing was registered" in result.output and "injected failure" in result.output
    assert reg.objects() == []
    assert reg.packages() == []


def test_registry_failure_takes_the_uploads_back(reg: RegEnv, monkeypatch):
    fail_on("sagemaker", "CreateModelPackage")(monkeypatch)
    result = reg.register("--run-id", reg.store.runs[0])
    assert result.exit_code == EXIT_AWS and "registering the version failed" in result.output
    assert reg.objects() == [] and reg.packages() == []
    # and a clean retry works (nothing left over blocks it)
    monkeypatch.undo()
    assert reg.register("--run-id", reg.store.runs[0]).exit_code == 0
    assert len(reg.packages()) == 1


def test_registrant_defaults_to_the_caller(reg: RegEnv):
    result = reg.run("register", "--use-case", reg.use_case, "--tracking-uri", reg.store.tracking_uri, "--run-id", reg.store.runs[2])
    assert result.exit_code == 0, result.output
    registrant = json.loads(result.output)["registered_by"]
    assert registrant.startswith(f"arn:aws:sts::{DEV}:assumed-role/mlgovreg-data-scientist/")
    assert reg.packages()[0]["CustomerMetadataProperties"]["registered_by"] == registrant


def test_unknown_use_case(reg: RegEnv):
    result = reg.run("register", "--use-case", "nope", "--tracking-uri", reg.store.tracking_uri, "--run-id", "x")
    assert result.exit_code == EXIT_INPUT and "unknown use case 'nope'" in result.output
