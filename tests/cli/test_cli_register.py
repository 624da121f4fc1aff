"""`mlgov register`: a real MLflow file store, the sandbox registry and artifact store, the faults."""

from __future__ import annotations

import hashlib
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
    # The registrant is the registry's CreatedBy (the session named after the person), never metadata.
    assert package["CreatedBy"]["IamIdentity"]["Arn"].endswith("/ds@example.com") and "registered_by" not in meta
    assert len(meta["code_version"]) == 40 or meta["code_version"] == "unknown"
    assert {k: float(v) for k, v in meta.items() if k.startswith("metric:")} == {f"metric:{k}": v for k, v in metrics.items()}
    bucket = reg.store.bucket
    container = package["InferenceSpecification"]["Containers"][0]
    # no image tagged sklearn-serving in the sandbox's repository: the tag stays, with a note saying so
    assert container["Image"] == f"{GOV}.dkr.ecr.{REGION}.amazonaws.com/mlgovreg/models:sklearn-serving"
    assert "not a digest" in out["image_note"]
    # the artifacts, content-addressed: models/<group>/<sha256 of the bytes>/<file>, under the artifact key
    s3 = reg.gov("s3")
    model_key = container["ModelDataUrl"].removeprefix(f"s3://{bucket}/")
    tar_object = s3.get_object(Bucket=bucket, Key=model_key)
    tar_bytes = tar_object["Body"].read()
    digest = hashlib.sha256(tar_bytes).hexdigest()
    assert model_key == f"models/{reg.group}/{digest}/model.tar.gz"
    assert meta["artifact:sha256"] == digest == out["artifact_sha256"]
    assert meta["artifact:version_id"] == tar_object["VersionId"] == out["artifact_version_id"]
    assert tar_object.get("ObjectLockMode") == "COMPLIANCE"  # the bucket's default retention applied
    statistics = package["ModelMetrics"]["ModelQuality"]["Statistics"]
    metrics_key = statistics["S3Uri"].removeprefix(f"s3://{bucket}/")
    metrics_bytes = s3.get_object(Bucket=bucket, Key=metrics_key)["Body"].read()
    assert metrics_key == f"models/{reg.group}/{hashlib.sha256(metrics_bytes).hexdigest()}/metrics.json"
    assert statistics["ContentType"] == "application/json"
    assert reg.objects() == sorted([metrics_key, model_key])
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:gz") as tar:
        model = json.load(tar.extractfile("model.json"))  # type: ignore[arg-type]
    assert model["type"] == "logistic_regression" and len(model["coefficients"]) == len(model["features"])
    assert tar_object.get("ServerSideEncryption") == "aws:kms"
    assert tar_object.get("SSEKMSKeyId") == reg.store.key_arn
    document = json.loads(metrics_bytes)
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
        # write-once: a conditional create with an S3-verified checksum
        assert params["IfNoneMatch"] == "*" and params["ChecksumAlgorithm"] == "SHA256", params


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
    # the same bytes: the forced version reuses the first one's write-once objects (no copies)
    assert out["model_data_url"] == first["model_data_url"] and out["artifact_reused"] is True
    assert out["artifact_version_id"] == first["artifact_version_id"]
    assert len(reg.objects()) == 2
    assert len(reg.packages()) == 2


def test_upload_failing_half_way_registers_nothing_and_a_retry_reuses_the_upload(reg: RegEnv, monkeypatch):
    fail_on("s3", "PutObject", nth=2)(monkeypatch)  # the model uploads, metrics.json fails
    result = reg.register("--run-id", reg.store.runs[0])
    assert result.exit_code == EXIT_AWS
    assert "uploading the artifacts failed, nothing was registered" in result.output and "injected failure" in result.output
    assert reg.packages() == []
    [left] = reg.objects()  # write-once: nobody deletes it, not even the registrant
    assert left.endswith("/model.tar.gz")
    monkeypatch.undo()
    retry = reg.register("--run-id", reg.store.runs[0])
    assert retry.exit_code == 0, retry.output
    out = json.loads(retry.output)
    assert out["artifact_reused"] is True and out["model_data_url"].endswith(left)
    assert len(reg.objects()) == 2 and len(reg.packages()) == 1


def test_registry_failure_registers_nothing_and_a_retry_reuses_the_uploads(reg: RegEnv, monkeypatch):
    fail_on("sagemaker", "CreateModelPackage")(monkeypatch)
    result = reg.register("--run-id", reg.store.runs[0])
    assert result.exit_code == EXIT_AWS and "registering the version failed" in result.output
    assert reg.packages() == []
    uploaded = reg.objects()
    assert len(uploaded) == 2
    # a clean retry works: the existing write-once objects hold the same bytes and are reused
    monkeypatch.undo()
    assert reg.register("--run-id", reg.store.runs[0]).exit_code == 0
    assert len(reg.packages()) == 1 and reg.objects() == uploaded


def test_registrant_is_the_caller_the_registry_records(reg: RegEnv):
    result = reg.run("register", "--use-case", reg.use_case, "--tracking-uri", reg.store.tracking_uri, "--run-id", reg.store.runs[2])
    assert result.exit_code == 0, result.output
    registrant = json.loads(result.output)["registered_by"]
    assert registrant.startswith(f"arn:aws:sts::{DEV}:assumed-role/mlgovreg-data-scientist/")
    assert reg.packages()[0]["CreatedBy"]["IamIdentity"]["Arn"] == registrant


def test_unknown_use_case(reg: RegEnv):
    result = reg.run("register", "--use-case", "nope", "--tracking-uri", reg.store.tracking_uri, "--run-id", "x")
    assert result.exit_code == EXIT_INPUT and "unknown use case 'nope'" in result.output


def test_an_existing_key_with_other_bytes_is_refused(reg: RegEnv, monkeypatch):
    """An existing key is reused only when S3's own checksum matches the bytes; otherwise nothing is registered."""
    from mlgov_cli.commands import register as command

    run = reg.store.runs[0]
    first = json.loads(reg.register("--run-id", run).output)
    model_key = first["model_data_url"].removeprefix(f"s3://{reg.store.bucket}/")
    original = command.content_key
    # every file maps onto the model's key: the model matches (reused), metrics.json does not
    monkeypatch.setattr(command, "content_key", lambda group, body, name: (model_key, original(group, body, name)[1]))
    result = reg.register("--run-id", run, "--force")
    assert result.exit_code == EXIT_RULE, result.output
    assert model_key in result.output and "not this artifact" in result.output
    assert len(reg.packages()) == 1


def test_image_must_be_given_by_digest(reg: RegEnv):
    repository = f"{GOV}.dkr.ecr.{REGION}.amazonaws.com/mlgovreg/models"
    for image in (f"{repository}:latest", f"{repository}@sha256:abc", f"{repository}"):
        result = reg.register("--run-id", reg.store.runs[0], "--image", image)
        assert result.exit_code == EXIT_INPUT, result.output
        assert f"--image {image!r}" in result.output and "digest" in result.output
        assert "Traceback" not in result.output
    other = f"{GOV}.dkr.ecr.{REGION}.amazonaws.com/elsewhere@sha256:{'0' * 64}"
    result = reg.register("--run-id", reg.store.runs[0], "--image", other)
    assert result.exit_code == EXIT_INPUT and "governance model repository" in result.output
    assert reg.packages() == [] and reg.objects() == []
    pinned = f"{repository}@sha256:{'ab' * 32}"
    result = reg.register("--run-id", reg.store.runs[0], "--image", pinned)
    assert result.exit_code == 0, result.output
    assert reg.packages()[0]["InferenceSpecification"]["Containers"][0]["Image"] == pinned


def test_default_tag_is_resolved_to_its_digest(reg: RegEnv):
    ecr = reg.gov("ecr")
    try:
        ecr.create_repository(repositoryName="mlgovreg/models")
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + "1" * 64, "size": 1, "mediaType": "application/vnd.docker.container.image.v1+json"},
                           "layers": []})
    try:
        digest = ecr.put_image(repositoryName="mlgovreg/models", imageManifest=manifest, imageTag="sklearn-serving")["image"]["imageId"]["imageDigest"]
    except ecr.exceptions.ImageAlreadyExistsException:
        digest = ecr.batch_get_image(repositoryName="mlgovreg/models", imageIds=[{"imageTag": "sklearn-serving"}])["images"][0]["imageId"]["imageDigest"]
    try:
        result = reg.register("--run-id", reg.store.runs[1])
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        assert out["image"] == f"{GOV}.dkr.ecr.{REGION}.amazonaws.com/mlgovreg/models@{digest}" and "image_note" not in out
    finally:
        ecr.delete_repository(repositoryName="mlgovreg/models", force=True)
