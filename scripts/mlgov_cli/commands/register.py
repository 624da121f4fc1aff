"""Data scientist: `train` candidates into MLflow, `register` a run as a version of the shared group,
`register-external` a model built outside SageMaker into the governance table.

register, step by step (seed step 3; each step as the dev account's data-scientist role):
1. find the run (by id, or the best finished run of an experiment by a metric) in MLflow;
2. refuse if a version of the group already carries this run id (unless --force);
3. upload the run's ``model`` artifacts as model.tar.gz, and metrics.json, to the governance
   artifact store, content-addressed (``models/<group>/<sha256>/<file>``) and write-once: a
   conditional create (``If-None-Match: *``, the only PUT the bucket policy admits under models/)
   with an S3-verified SHA-256 checksum. If the key exists (412), it holds the same bytes only if
   S3's stored checksum matches: then it is reused, otherwise refused. No encryption headers: the
   bucket's default encryption applies the artifact key (SSE-KMS) and its policy refuses any other;
4. CreateModelPackage into the shared group by its ARN, PendingManualApproval, lifecycle Dev/Pending,
   with the artifact's sha256 and S3 version id in the metadata (information: the bucket enforces).
If step 3 or 4 fails nothing is registered. Uploaded objects stay (nobody may delete under models/);
being content-addressed, a retry reuses them instead of adding copies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError

from mlgov_cli.context import Context, person
from mlgov_cli.errors import AwsFailure, CliError, RuleViolation, aws_failure
from mlgov_cli.options import use_case_config
from mlgov_cli.mlflow_source import MlflowSource, RunInfo, RunNotFound, TrackingError, package_model
from mlgov_cli.output import emit, emit_object, progress
from mlgov_config import AccountRole, UseCaseConfig
from mlgov_core import keys, records, rules, store, timeparse

RUN_ID_KEY = "mlflow_run_id"
EXPERIMENT_KEY = "mlflow_experiment"
CODE_VERSION_KEY = "code_version"
DEFAULT_IMAGE_TAG = "sklearn-serving"
ARTIFACT_SHA256_KEY = "artifact:sha256"
ARTIFACT_VERSION_KEY = "artifact:version_id"
# A serving image by digest: a tag can be moved to other bytes, a digest cannot.
IMAGE_BY_DIGEST = re.compile(r"^(?P<repository>[a-z0-9][a-z0-9.-]*(:[0-9]+)?/[a-z0-9._/-]+)@sha256:[0-9a-f]{64}$")
MODEL_ARCHIVE = "model.tar.gz"
METRICS_FILE = "metrics.json"
# CustomerMetadataProperties: at most 50 entries, keys <= 128 and values <= 256 characters, and keys
# from letters, digits, spaces and _.:/=+-@ (SageMaker API reference).
MAX_METADATA_ENTRIES = 50
_METADATA_KEY = re.compile(r"^[\w\s.:/=+\-@]{1,128}$")


def _use_case(ctx: Context, name: str) -> UseCaseConfig:
    return use_case_config(ctx, name)


# --- train -----------------------------------------------------------------------------------------


@click.command("train")
@click.option("--experiment", default="credit-risk", show_default=True, help="MLflow experiment to log the candidates in.")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", required=True,
              help="MLflow tracking URI: file://<dir>/mlruns in the sandbox, the tracking server ARN on AWS ($MLFLOW_TRACKING_URI).")
@click.option("--sample", "sample_path", type=click.Path(dir_okay=False), help="Also write a labelled QA sample (CSV) here.")
@click.option("--sample-rows", default=200, show_default=True, type=click.IntRange(10, 100_000))
@click.option("--rows", default=2000, show_default=True, type=click.IntRange(100, 1_000_000),
              help="Applicants in the generated training snapshot (a quarter is held out for validation).")
@click.option("--data-seed", default=None, type=int,
              help="Seed of the generated snapshot: a new seed stands for newer data (default: the built-in one).")
@click.pass_obj
def train_command(ctx: Context, experiment: str, tracking_uri: str, sample_path: str | None, sample_rows: int,
                  rows: int, data_seed: int | None) -> None:
    """Train the candidate credit-risk models on the built-in data set and log one MLflow run each."""
    from mlgov_cli import training

    with progress(ctx, f"training {len(training.CANDIDATES)} candidates on {rows} rows into {experiment} ..."):
        try:
            runs = training.train_candidates_detailed(tracking_uri, experiment, rows=rows,
                                                      seed=training.SEED if data_seed is None else data_seed)
        except Exception as err:  # MlflowException, OSError: a clear line, not a trace
            raise AwsFailure(f"training into {tracking_uri} failed: {err}") from None
    if sample_path:
        training.write_labelled_sample(sample_path, sample_rows)
    rows = [{"run_id": r.run_id, "candidate": r.candidate, **r.metrics} for r in runs]
    emit(ctx, rows, ("run_id", "candidate", "auc", "accuracy"), title=f"MLflow experiment {experiment}")


# --- register --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredArtifact:
    key: str
    sha256: str  # hex
    version_id: str
    reused: bool


class ArtifactConflict(Exception):
    """The content-addressed key exists with other bytes (S3's checksum differs or is missing)."""


def content_key(group: str, body: bytes, file_name: str) -> tuple[str, str]:
    """(key, sha256 hex): models/<group>/<sha256>/<file>, so the key names its bytes."""
    digest = hashlib.sha256(body).hexdigest()
    return f"models/{group}/{digest}/{file_name}", digest


def put_once(s3: Any, bucket: str, group: str, file_name: str, body: bytes, content_type: str) -> StoredArtifact:
    """Write-once upload; an existing key is reused only when S3's own SHA-256 checksum matches."""
    key, digest = content_key(group, body, file_name)
    checksum = base64.b64encode(bytes.fromhex(digest)).decode()
    try:
        # No ServerSideEncryption / SSEKMSKeyId: the default (artifact key) applies; any other key is denied.
        # ChecksumAlgorithm: S3 verifies the bytes and keeps the checksum (Object Lock also needs one).
        written = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*",
                                ChecksumAlgorithm="SHA256")
        return StoredArtifact(key, digest, written.get("VersionId", ""), reused=False)
    except ClientError as err:
        if err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 412 and \
                err.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    if head.get("ChecksumSHA256") != checksum:
        raise ArtifactConflict(f"s3://{bucket}/{key} exists but S3's SHA-256 checksum is {head.get('ChecksumSHA256')!r}, "
                               f"not {checksum!r} of these bytes; it is not this artifact")
    return StoredArtifact(key, digest, head.get("VersionId", ""), reused=True)


def _image(ctx: Context, image: str | None, image_tag: str, ecr: Any) -> tuple[str, str | None]:
    """(image reference, note): --image must be by digest; else the tag, resolved to its digest if it exists."""
    names = ctx.names
    repository = f"{names.governance_account}.dkr.{names.partition.service_host('ecr', names.region)}/{names.model_repository}"
    if image is not None:
        match = IMAGE_BY_DIGEST.fullmatch(image)
        if not match:
            raise CliError(f"--image {image!r}: give the serving image by digest (<repository>@sha256:<64 hex digits>); "
                           "a tag can later point at other bytes")
        if match["repository"] != repository:
            raise CliError(f"--image {image!r}: the image must be in the governance model repository {repository}")
        return image, None
    try:
        found = ecr.batch_get_image(registryId=names.governance_account, repositoryName=names.model_repository,
                                    imageIds=[{"imageTag": image_tag}]).get("images", [])
    except (ClientError, BotoCoreError):
        found = []
    digest = (found[0].get("imageId", {}).get("imageDigest") if found else None) or ""
    if re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        return f"{repository}@{digest}", None
    return f"{repository}:{image_tag}", (f"image tag {image_tag!r} not found in {repository}: the version references the tag, "
                                          "not a digest; give --image <repository>@sha256:<digest> to pin it")


def _pages(call: Any, result_key: str, **kw: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        response = call(**kw, **({"NextToken": token} if token else {}))
        yield from response.get(result_key, [])
        token = response.get("NextToken")
        if not token:
            return


def versions_of_run(sagemaker: Any, group_arn: str, run_id: str) -> list[dict[str, Any]]:
    """Versions of the group whose metadata names this MLflow run (List, then Describe each: the list has no metadata)."""
    found = []
    for summary in _pages(sagemaker.list_model_packages, "ModelPackageSummaryList", ModelPackageGroupName=group_arn,
                          ModelPackageType="Versioned", MaxResults=100):
        described = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        if (described.get("CustomerMetadataProperties") or {}).get(RUN_ID_KEY) == run_id:
            found.append(described)
    return sorted(found, key=lambda d: d.get("ModelPackageVersion", 0))


def _metric_value(value: float) -> str:
    return repr(float(value))


def build_metadata(run: RunInfo, artifact: StoredArtifact | None = None) -> tuple[dict[str, str], list[str]]:
    """CustomerMetadataProperties for a run, and the metrics left out (name not allowed, or over the limit).

    No ``registered_by``: the registry's CreatedBy is the registrant, and the registration guard
    rejects a version whose metadata claims one (only trusted writers set reserved keys).
    """
    metadata = {RUN_ID_KEY: run.run_id, EXPERIMENT_KEY: run.experiment_name[:256], CODE_VERSION_KEY: run.code_version[:256]}
    if artifact is not None:  # before the metrics: these entries never fall off the 50-entry limit
        metadata[ARTIFACT_SHA256_KEY] = artifact.sha256
        if artifact.version_id:
            metadata[ARTIFACT_VERSION_KEY] = artifact.version_id[:256]
    skipped = []
    for name in sorted(run.metrics):
        key = f"{records.METRIC_PREFIX}{name}"
        if len(metadata) >= MAX_METADATA_ENTRIES or not _METADATA_KEY.match(key):
            skipped.append(name)
            continue
        metadata[key] = _metric_value(run.metrics[name])
    return metadata, skipped


def _pick_run(source: MlflowSource, run_id: str | None, experiment: str | None, best_by: str | None,
              lower_is_better: bool, required: tuple[str, ...]) -> RunInfo:
    if bool(run_id) == bool(experiment):
        raise CliError("give either --run-id, or --experiment with --best-by")
    if experiment and not best_by:
        raise CliError("--experiment needs --best-by METRIC (the metric that picks the best run)")
    try:
        run = source.run(run_id) if run_id else source.best_run(experiment, best_by, lower_is_better)  # type: ignore[arg-type]
    except RunNotFound as err:
        raise CliError(str(err)) from None
    except TrackingError as err:
        raise AwsFailure(str(err)) from None
    for metric in (*required, *((best_by,) if best_by else ())):
        if metric not in run.metrics:
            have = ", ".join(sorted(run.metrics)) or "none"
            raise CliError(f"run {run.run_id} has no metric {metric!r} (its metrics: {have})")
    if run.status != "FINISHED":
        raise CliError(f"run {run.run_id} is {run.status}, not FINISHED; register only completed runs")
    return run


@click.command("register")
@click.option("--use-case", required=True, help="Use case whose shared model package group receives the version.")
@click.option("--run-id", help="The MLflow run to register.")
@click.option("--experiment", help="Pick the best finished run of this MLflow experiment (with --best-by).")
@click.option("--best-by", metavar="METRIC", help="Metric that picks the best run (higher is better unless --lower-is-better); with --run-id, a metric the run must have.")
@click.option("--lower-is-better", is_flag=True, help="For --best-by: the lowest value wins (e.g. a loss).")
@click.option("--require-metric", "required", multiple=True, metavar="METRIC", help="Refuse the run unless it has this metric (repeatable).")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", required=True,
              help="MLflow tracking URI: file://<dir>/mlruns in the sandbox, the tracking server ARN on AWS ($MLFLOW_TRACKING_URI).")
@click.option("--as-role", "role_name", help="IAM role assumed in the dev account (default <prefix>-data-scientist).")
@click.option("--registered-by", help="Who registers (an email): the role session name, so the registry's CreatedBy names the person.")
@click.option("--image", help="Serving image by digest, <governance model repository>@sha256:<digest> (default: --image-tag resolved to its digest).")
@click.option("--image-tag", default=DEFAULT_IMAGE_TAG, show_default=True, help="Serving image tag in the governance model repository, used without --image.")
@click.option("--force", is_flag=True, help="Register even if a version of this run exists already.")
@click.pass_obj
def register_command(ctx: Context, use_case: str, run_id: str | None, experiment: str | None, best_by: str | None,
                     lower_is_better: bool, required: tuple[str, ...], tracking_uri: str, role_name: str | None,
                     registered_by: str | None, image: str | None, image_tag: str, force: bool) -> None:
    """Register an MLflow run as a new version of the use case's shared model package group (Dev, pending approval)."""
    uc = _use_case(ctx, use_case)
    if AccountRole.DEV not in uc.shared_with:
        raise CliError(f"use case {use_case!r} is not shared with dev (shared_with: {[r.value for r in uc.shared_with]}); "
                       "the data scientist cannot register into it")
    names, platform = ctx.names, ctx.config.platform
    group = uc.model_package_group.name
    group_arn = names.group_arn(group)
    role_name = role_name or f"{platform.name_prefix}-data-scientist"
    # The registrant's source identity (and session name): what CreatedBy records and SoD compares.
    registrant_person = person(registered_by, "--registered-by") if registered_by else ctx.operator
    if image is not None:
        _image(ctx, image, image_tag, None)  # refuse a tag reference before any work is done

    source = MlflowSource(tracking_uri)
    with progress(ctx, "reading the run from MLflow ..."):
        run = _pick_run(source, run_id, experiment, best_by, lower_is_better, required)

    try:
        sagemaker = ctx.client(AccountRole.DEV, role_name, "sagemaker", person=registrant_person)
        s3 = ctx.client(AccountRole.DEV, role_name, "s3", person=registrant_person)
        ecr = ctx.client(AccountRole.DEV, role_name, "ecr", person=registrant_person)
        registrant = ctx.client(AccountRole.DEV, role_name, "sts", person=registrant_person).get_caller_identity()["Arn"]
    except (ClientError, BotoCoreError) as err:
        raise aws_failure(f"assuming {role_name} in the dev account", err) from None

    with progress(ctx, f"checking {group} for versions of run {run.run_id} ..."):
        try:
            existing = versions_of_run(sagemaker, group_arn, run.run_id)
        except (ClientError, BotoCoreError) as err:
            raise aws_failure(f"listing the versions of {group_arn} (needs sagemaker:ListModelPackages and DescribeModelPackage)", err) from None
    if existing and not force:
        versions = ", ".join(f"{d['ModelPackageArn']}" for d in existing)
        raise RuleViolation(f"run {run.run_id} is already registered as {versions}; use --force to register it again")

    bucket = names.artifact_bucket
    metrics_doc = {"mlflow_run_id": run.run_id, "mlflow_experiment": run.experiment_name, "code_version": run.code_version,
                   "metrics": dict(sorted(run.metrics.items()))}

    with tempfile.TemporaryDirectory(prefix="mlgov-register-") as tmp:
        with progress(ctx, f"downloading the model of run {run.run_id} ..."):
            try:
                model_dir = source.download_model(run.run_id, Path(tmp))
            except RunNotFound as err:
                raise CliError(str(err)) from None
            except TrackingError as err:
                raise AwsFailure(str(err)) from None
            archive = package_model(model_dir)

        step = "uploading the artifacts"
        image_ref, image_note = _image(ctx, image, image_tag, ecr)
        try:
            with progress(ctx, f"uploading to s3://{bucket}/models/{group}/ ..."):
                model = put_once(s3, bucket, group, MODEL_ARCHIVE, archive, "application/gzip")
                metrics = put_once(s3, bucket, group, METRICS_FILE,
                                   json.dumps(metrics_doc, indent=2, sort_keys=True).encode(), "application/json")
            model_key, metrics_key = model.key, metrics.key
            metadata, skipped = build_metadata(run, model)
            step = "registering the version"
            with progress(ctx, f"registering into {group_arn} ..."):
                response = sagemaker.create_model_package(
                    ModelPackageGroupName=group_arn,
                    ModelPackageDescription=_description(run, best_by)[:1024],
                    ModelApprovalStatus=rules.ApprovalStatus.PENDING.value,
                    ModelLifeCycle={"Stage": rules.Stage.DEV.value, "StageStatus": rules.StageStatus.PENDING.value,
                                    "StageDescription": f"Registered from MLflow run {run.run_id} by {registrant}"[:1024]},
                    InferenceSpecification={
                        "Containers": [{
                            "Image": image_ref,
                            "ModelDataUrl": f"s3://{bucket}/{model_key}",
                        }],
                        "SupportedContentTypes": ["application/json"],
                        "SupportedResponseMIMETypes": ["application/json"],
                    },
                    ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                                  "S3Uri": f"s3://{bucket}/{metrics_key}"}}},
                    CustomerMetadataProperties=metadata,
                )
        except ArtifactConflict as err:
            raise RuleViolation(f"{step} failed, nothing was registered: {err}") from None
        except (ClientError, BotoCoreError) as err:
            # Uploaded objects stay: models/ is write-once and undeletable; a retry reuses them (same keys).
            raise aws_failure(f"{step} failed, nothing was registered", err) from None

    arn = response["ModelPackageArn"]
    result = {"model_package_arn": arn, "version": int(arn.rsplit("/", 1)[1]), "model_package_group": group,
              "group_arn": group_arn, "run_id": run.run_id, "experiment": run.experiment_name,
              "registered_by": registrant, "model_data_url": f"s3://{bucket}/{model_key}",
              "metrics_uri": f"s3://{bucket}/{metrics_key}", "metrics": run.metrics, "skipped_metrics": skipped,
              "forced": bool(existing), "artifact_sha256": model.sha256, "artifact_version_id": model.version_id,
              "artifact_reused": model.reused, "image": image_ref, **({"image_note": image_note} if image_note else {})}
    if ctx.json_output:
        emit_object(ctx, result, "")
        return
    # Plain lines, not a table: a terminal-width table would fold the ARN that people copy.
    click.echo(f"registered version {result['version']} of {group} (Dev, PendingManualApproval)\n"
               f"  model package  {arn}\n"
               f"  mlflow run     {run.run_id} (experiment {run.experiment_name}, code {run.code_version})\n"
               f"  registered by  {registrant}\n"
               f"  model data     {result['model_data_url']} (sha256 {model.sha256})\n"
               f"  image          {image_ref}\n"
               f"  metrics        {', '.join(f'{k}={v:g}' for k, v in sorted(run.metrics.items()))} ({result['metrics_uri']})")
    if image_note:
        click.echo(f"note: {image_note}", err=True)
    if skipped:
        click.echo(f"note: metrics not written to the metadata (name not allowed or over {MAX_METADATA_ENTRIES} entries): "
                   f"{', '.join(skipped)}; they are in {result['metrics_uri']}", err=True)


def _description(run: RunInfo, best_by: str | None) -> str:
    how = f"best by {best_by} in" if best_by else "from"
    metrics = ", ".join(f"{k}={v:g}" for k, v in sorted(run.metrics.items()))
    return f"MLflow run {run.run_id} {how} experiment {run.experiment_name}: {metrics}"


# --- register-external -----------------------------------------------------------------------------

# External versions live in their own namespace of the table: model group "<group>-external",
# numbered by a counter item. Their numbers never collide with the SageMaker group's versions (which
# SageMaker numbers itself), `list --use-case` still shows them (same use case), and reconcile, which
# rebuilds only what the registry knows (source = sagemaker), leaves them alone.
# The partition prefixes live in mlgov_core.keys: the table guard limits this command's role to them.
EXTERNAL_GROUP_SUFFIX, COUNTER_PK_PREFIX, LABEL_PK_PREFIX = keys.EXTERNAL_GROUP_SUFFIX, keys.COUNTER_PK_PREFIX, keys.LABEL_PK_PREFIX
COUNTER_SK = "VERSION"
LABEL_SK = "LABEL"
external_group = keys.external_group


def _parse_metrics(pairs: tuple[str, ...]) -> dict[str, str]:
    metrics: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise CliError(f"--metric {pair!r}: expected NAME=NUMBER")
        try:
            number = Decimal(value)
        except ArithmeticError:
            raise CliError(f"--metric {pair!r}: {value!r} is not a number") from None
        if not number.is_finite():
            raise CliError(f"--metric {pair!r}: {value!r} is not a finite number")
        metrics[name] = value
    return metrics


def external_items(group: str, version: int, use_case: str, claim: dict[str, Any], recorded_at: str) -> tuple[dict, dict]:
    """(state, history) for an external version, with the attributes and keys of records.build_items."""
    ext_group = external_group(group)
    metadata: dict[str, str] = dict(claim["customer_metadata"])
    at = claim["registered_at"]
    stage, status, approval = rules.Stage.DEV.value, rules.StageStatus.PENDING.value, rules.ApprovalStatus.PENDING.value
    vid = keys.version_id(ext_group, version)
    idem = records.idempotency_key(f"external:{ext_group}/{claim['version_label']}", approval, stage, status, at)
    common = {
        "pk": keys.version_pk(ext_group, version), "version": version, "version_key": keys.version_key(version),
        "version_id": vid, "source": rules.SOURCE_EXTERNAL, "approval_status": approval, "stage": stage, "status": status,
        "stage_description": f"Registered from {claim['external_source']} ({claim['version_label']})",
        "description": claim.get("description") or None,
        "metrics": records.parse_metrics(metadata), "qa_metrics": {}, "customer_metadata": metadata,
        "registered_by": claim["registered_by"], "created_at": at, "last_modified": at, "recorded_at": recorded_at,
        "idempotency_key": idem, "external_source": claim["external_source"], "version_label": claim["version_label"],
        "artifact_uri": claim["artifact_uri"],
    }
    state = {**common, "sk": keys.STATE_SORT_KEY, "item_type": "state", "model_group": ext_group, "use_case": use_case,
             "stage_status": keys.stage_status_key(stage, status)}
    history = {**common, "sk": keys.history_sk(at, idem), "item_type": "history", "change_day": timeparse.day_of(at),
               "change_key": keys.change_key(at, vid)}
    return ({k: v for k, v in state.items() if v is not None}, {k: v for k, v in history.items() if v is not None})


def _same_model(stored: dict[str, Any], claim: dict[str, Any]) -> bool:
    """Same source, artifact and metrics: a repeat of the same registration (whoever repeats it)."""
    def metrics(c: dict[str, Any]) -> dict[str, str]:
        return {k: str(v) for k, v in c["customer_metadata"].items() if k.startswith(records.METRIC_PREFIX)}
    return (stored.get("external_source"), stored.get("artifact_uri"), metrics(stored)) == (
        claim["external_source"], claim["artifact_uri"], metrics(claim))


def _label_pk(group: str, label: str) -> str:
    return f"{LABEL_PK_PREFIX}{external_group(group)}#{label}"


def _deserialize(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def _claim_label(dynamodb: Any, table: str, group: str, label: str, claim: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The label's claim item (version number and the request), creating it if new; (claim, created)."""
    from boto3.dynamodb.types import TypeSerializer

    pk = _label_pk(group, label)
    got = dynamodb.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": LABEL_SK}}, ConsistentRead=True).get("Item")
    if got:
        return _deserialize(got), False
    counter = dynamodb.update_item(
        TableName=table, Key={"pk": {"S": f"{COUNTER_PK_PREFIX}{external_group(group)}"}, "sk": {"S": COUNTER_SK}},
        UpdateExpression="ADD next_version :one", ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
    version = int(counter["Attributes"]["next_version"]["N"])
    item = {"pk": pk, "sk": LABEL_SK, "item_type": "external_label", "version": version, **claim}
    serializer = TypeSerializer()
    try:
        dynamodb.put_item(TableName=table, Item={k: serializer.serialize(v) for k, v in item.items()},
                          ConditionExpression="attribute_not_exists(pk)")
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        # A concurrent call claimed the label first; its number wins (ours stays unused).
        got = dynamodb.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": LABEL_SK}}, ConsistentRead=True)["Item"]
        return _deserialize(got), False
    return item, True


@click.command("register-external")
@click.option("--use-case", required=True, help="Use case the external model belongs to.")
@click.option("--version-label", required=True, help="The model's own version label in its source system (unique per use case).")
@click.option("--source", "external_source", required=True, help="Where the model comes from (e.g. databricks, vendor name).")
@click.option("--artifact-uri", required=True, help="Where the model artifact is (e.g. s3://..., https://...).")
@click.option("--metric", "metric_pairs", multiple=True, metavar="NAME=VALUE", help="Evaluation metric (repeatable).")
@click.option("--registered-by", required=True, help="Who registers it (an email).")
@click.option("--description", default="", help="Free text recorded with the version.")
@click.pass_obj
def register_external_command(ctx: Context, use_case: str, version_label: str, external_source: str, artifact_uri: str,
                              metric_pairs: tuple[str, ...], registered_by: str, description: str) -> None:
    """Record a model from outside SageMaker in the governance table (Dev, pending); idempotent per version label."""
    uc = _use_case(ctx, use_case)
    registrar = person(registered_by, "--registered-by")  # the external registrar's source identity
    if not version_label.strip() or "#" in version_label:
        raise CliError(f"--version-label {version_label!r}: must be non-empty and without '#'")
    metrics = _parse_metrics(metric_pairs)
    group = uc.model_package_group.name
    metadata = {"external_source": external_source, "version_label": version_label, "artifact_uri": artifact_uri,
                records.REGISTERED_BY_KEY: registered_by,
                **{f"{records.METRIC_PREFIX}{k}": v for k, v in metrics.items()}}
    claim = {"version_label": version_label, "external_source": external_source, "artifact_uri": artifact_uri,
             "registered_by": registered_by, "description": description, "customer_metadata": metadata,
             "registered_at": timeparse.now_iso()}
    table = ctx.names.governance_table
    try:
        dynamodb = ctx.table_writer_client(ctx.names.external_registrar_role, "dynamodb", registrar)
        with progress(ctx, f"recording {version_label} in {table} ..."):
            stored, created = _claim_label(dynamodb, table, group, version_label, claim)
            same = _same_model(stored, claim)
            if not created and not same:
                raise RuleViolation(
                    f"version label {version_label!r} of {use_case} is already recorded as "
                    f"{external_group(group)} version {int(stored['version'])} with a different source, artifact or metrics; "
                    "use a new label for a new model")
            version = int(stored["version"])
            state, history = external_items(group, version, uc.name, stored, timeparse.now_iso())
            outcome = store.write_change(table, state, history, client=dynamodb)
    except (ClientError, BotoCoreError) as err:
        raise aws_failure(f"writing {table}", err) from None
    result = {"model_group": external_group(group), "version": version, "version_id": state["version_id"],
              "version_label": version_label, "source": rules.SOURCE_EXTERNAL, "external_source": external_source,
              "result": "recorded" if created or outcome == store.WriteResult.RECORDED else "already recorded",
              "stage": state["stage"], "status": state["status"]}
    if ctx.json_output:
        emit_object(ctx, result, "")
        return
    emit(ctx, [result], ("model_group", "version", "version_label", "external_source", "stage", "status", "result"),
         title=f"external model of {use_case}")


COMMANDS = (train_command, register_command, register_external_command)
