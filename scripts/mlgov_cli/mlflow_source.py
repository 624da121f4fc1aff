"""Reading runs from MLflow for `mlgov register`: one run by id, or the best run of an experiment.

The tracking URI is whatever MLflow accepts: a local store in the sandbox (``file://<dir>/mlruns``;
MLflow 3 needs MLFLOW_ALLOW_FILE_STORE=true for it, set here), or on AWS the SageMaker managed
tracking server's ARN, which the ``sagemaker-mlflow`` plugin turns into signed requests.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL_ARTIFACT_PATH = "model"
CODE_VERSION_TAGS = ("code_version", "mlflow.source.git.commit")  # ours first, then MLflow's own
UNKNOWN_CODE_VERSION = "unknown"
_PAGE = 200


class RunNotFound(LookupError):
    """The run, the experiment or the metric asked for does not exist (bad input)."""


class TrackingError(RuntimeError):
    """The tracking server failed for another reason (unreachable, denied)."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    experiment_name: str
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def code_version(self) -> str:
        for tag in CODE_VERSION_TAGS:
            if self.tags.get(tag):
                return self.tags[tag]
        return UNKNOWN_CODE_VERSION


def allow_local_store(tracking_uri: str) -> None:
    """MLflow 3.x refuses file stores unless MLFLOW_ALLOW_FILE_STORE is set; the sandbox uses one on purpose."""
    if tracking_uri.startswith("file:") or ("://" not in tracking_uri and not tracking_uri.startswith("arn:")):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


class MlflowSource:
    """A thin, testable wrapper over MlflowClient with the errors `register` needs."""

    def __init__(self, tracking_uri: str, client: Any = None) -> None:
        self.tracking_uri = tracking_uri
        allow_local_store(tracking_uri)
        if client is None:
            from mlflow.tracking import MlflowClient

            client = MlflowClient(tracking_uri=tracking_uri)
        self.client = client

    # -- lookups -------------------------------------------------------------------------------------

    def run(self, run_id: str) -> RunInfo:
        from mlflow.exceptions import MlflowException

        try:
            run = self.client.get_run(run_id)
        except MlflowException as err:
            if _is_not_found(err):
                raise RunNotFound(f"run {run_id} not found in {self.tracking_uri}") from None
            raise TrackingError(f"MLflow at {self.tracking_uri} failed reading run {run_id}: {err.message}") from None
        return self._info(run)

    def best_run(self, experiment: str, metric: str, lower_is_better: bool = False) -> RunInfo:
        """The finished run with the best value of ``metric``; ties go to the earliest run (stable choice)."""
        from mlflow.entities import ViewType
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.get_experiment_by_name(experiment)
        except MlflowException as err:
            raise TrackingError(f"MLflow at {self.tracking_uri} failed looking up experiment {experiment!r}: {err.message}") from None
        if found is None:
            raise RunNotFound(f"experiment {experiment!r} not found in {self.tracking_uri}")
        best, best_value, finished, token = None, None, 0, None
        # All pages: how a store orders runs lacking the metric differs between backends, so the
        # choice is made here rather than trusting order_by alone.
        while True:
            page = self.client.search_runs(
                [found.experiment_id], filter_string="attributes.status = 'FINISHED'", run_view_type=ViewType.ACTIVE_ONLY,
                max_results=_PAGE, order_by=["attributes.start_time ASC"], page_token=token)
            for run in page:
                finished += 1
                value = run.data.metrics.get(metric)
                if value is None or math.isnan(value):
                    continue
                if best_value is None or (value < best_value if lower_is_better else value > best_value):
                    best, best_value = run, value
            token = page.token
            if not token:
                break
        if best is None:
            raise RunNotFound(f"no finished run of experiment {experiment!r} in {self.tracking_uri} has the metric "
                              f"{metric!r} ({finished} finished run(s) looked at)")
        return self._info(best, experiment_name=found.name)

    def _info(self, run: Any, experiment_name: str | None = None) -> RunInfo:
        if experiment_name is None:
            try:
                experiment_name = self.client.get_experiment(run.info.experiment_id).name
            except Exception:  # a deleted experiment still has its runs; the id is better than nothing
                experiment_name = run.info.experiment_id
        return RunInfo(run_id=run.info.run_id, experiment_id=run.info.experiment_id, experiment_name=experiment_name,
                       status=run.info.status, metrics=dict(run.data.metrics), params=dict(run.data.params),
                       tags=dict(run.data.tags))

    # -- artifacts -----------------------------------------------------------------------------------

    def download_model(self, run_id: str, dst: Path, artifact_path: str = MODEL_ARTIFACT_PATH) -> Path:
        """Download the run's model folder; RunNotFound if the run logged nothing there."""
        from mlflow.artifacts import download_artifacts
        from mlflow.exceptions import MlflowException

        try:
            listed = self.client.list_artifacts(run_id, artifact_path)
        except MlflowException as err:
            raise TrackingError(f"listing artifacts of run {run_id} failed: {err.message}") from None
        if not listed:
            raise RunNotFound(f"run {run_id} has no artifacts under {artifact_path!r} (log the model there)")
        try:
            local = download_artifacts(run_id=run_id, artifact_path=artifact_path, dst_path=str(dst),
                                       tracking_uri=self.tracking_uri)
        except MlflowException as err:
            raise TrackingError(f"downloading {artifact_path!r} of run {run_id} failed: {err.message}") from None
        return Path(local)


def _is_not_found(err: Any) -> bool:
    # A malformed id is as much "no such run" as a well-formed unknown one.
    return getattr(err, "error_code", "") in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND")


def package_model(model_dir: Path) -> bytes:
    """model.tar.gz of the folder's contents at the archive root (SageMaker unpacks it into /opt/ml/model).

    Deterministic: sorted names, zero times and owners, so the same run always gives the same bytes.
    """
    buffer = io.BytesIO()
    with tempfile.SpooledTemporaryFile() as raw:
        with tarfile.open(fileobj=raw, mode="w") as tar:
            for path in sorted(p for p in model_dir.rglob("*")):
                info = tar.gettarinfo(str(path), arcname=str(path.relative_to(model_dir)))
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                if path.is_file():
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
        raw.seek(0)
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
            gz.write(raw.read())
    return buffer.getvalue()
