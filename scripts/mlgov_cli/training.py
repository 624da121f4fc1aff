"""A tiny, deterministic credit-risk data set and two or three candidate models, tracked in MLflow.

Nothing is downloaded: the data is generated with a seeded numpy generator, so every run of the demo
sees the same rows, the same candidates and the same metrics. The models are plain logistic
regressions fitted with Newton's method (no scikit-learn): the point is a realistic MLflow
experiment to register from, not state-of-the-art modelling.

The model artifact is a JSON document under the run's artifact path ``model`` (``model/model.json``):
feature names, the standardisation (mean, scale) and the coefficients. ``score`` applies it.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FEATURES: tuple[str, ...] = ("income", "debt_ratio", "age", "late_payments")
LABEL = "default"
SEED = 20240601
ROWS = 2000
VALIDATION_FRACTION = 0.25
MODEL_ARTIFACT_PATH = "model"  # `mlgov register` packages this artifact folder
MODEL_FILE = "model.json"
CODE_VERSION_TAG = "code_version"


@dataclass(frozen=True)
class Dataset:
    features: tuple[str, ...]
    x: np.ndarray  # rows x len(features), raw units
    y: np.ndarray  # 0/1

    def columns(self, names: Sequence[str]) -> np.ndarray:
        return self.x[:, [self.features.index(n) for n in names]]

    def split(self, validation_fraction: float = VALIDATION_FRACTION, seed: int = SEED) -> tuple["Dataset", "Dataset"]:
        order = np.random.default_rng(seed + 1).permutation(len(self.y))
        cut = int(round(len(self.y) * (1 - validation_fraction)))
        train, valid = order[:cut], order[cut:]
        return Dataset(self.features, self.x[train], self.y[train]), Dataset(self.features, self.x[valid], self.y[valid])


def generate(rows: int = ROWS, seed: int = SEED) -> Dataset:
    """Applicants with income, debt ratio, age and late payments; default drawn from a logistic formula plus noise."""
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(mean=np.log(45_000), sigma=0.45, size=rows), -2)
    debt_ratio = np.round(rng.beta(2.0, 4.0, size=rows), 3)
    age = rng.integers(21, 76, size=rows).astype(float)
    late_payments = rng.poisson(lam=1.2, size=rows).astype(float)
    logit = (
        -1.2
        - 1.1 * (np.log(income) - np.log(45_000)) / 0.45
        + 4.5 * (debt_ratio - 0.33)
        - 0.015 * (age - 45)
        + 0.7 * (late_payments - 1.2)
        + rng.normal(0.0, 0.5, size=rows)  # what the features cannot explain
    )
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return Dataset(FEATURES, np.column_stack([income, debt_ratio, age, late_payments]), y)


# --- model -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One candidate: a feature subset and an L2 penalty (on standardised coefficients, not the intercept)."""

    name: str
    features: tuple[str, ...]
    l2: float


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("logreg-all-l2-0.1", FEATURES, 0.1),
    Candidate("logreg-all-l2-300", FEATURES, 300.0),
    Candidate("logreg-debt-late", ("debt_ratio", "late_payments"), 0.1),
)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 50) -> tuple[np.ndarray, float]:
    """Newton/IRLS on standardised features; returns (coefficients, intercept)."""
    n, k = x.shape
    design = np.column_stack([np.ones(n), x])
    beta = np.zeros(k + 1)
    penalty = np.diag([0.0] + [l2] * k)
    for _ in range(iterations):
        p = _sigmoid(design @ beta)
        gradient = design.T @ (y - p) - penalty @ beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta[1:], float(beta[0])


def train(candidate: Candidate, data: Dataset) -> dict[str, Any]:
    """The model document: what `score` needs, JSON-serialisable."""
    x = data.columns(candidate.features)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    coefficients, intercept = fit_logistic((x - mean) / scale, data.y.astype(float), candidate.l2)
    return {
        "type": "logistic_regression",
        "name": candidate.name,
        "features": list(candidate.features),
        "mean": mean.round(10).tolist(),
        "scale": scale.round(10).tolist(),
        "coefficients": coefficients.round(10).tolist(),
        "intercept": round(intercept, 10),
        "l2": candidate.l2,
    }


def score(model: dict[str, Any], rows: np.ndarray) -> np.ndarray:
    """Probability of default for rows whose columns are ``model["features"]``."""
    z = (np.asarray(rows, dtype=float) - np.array(model["mean"])) / np.array(model["scale"])
    return _sigmoid(z @ np.array(model["coefficients"]) + model["intercept"])


# --- metrics ---------------------------------------------------------------------------------------


def auc(y: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """ROC AUC by ranks (Mann-Whitney U), ties given their average rank."""
    y, scores = np.asarray(y).astype(int), np.asarray(scores, dtype=float)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs both classes in the labels")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0  # 1-based average rank of the tie block
        i = j + 1
    rank_sum = ranks[y == 1].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def accuracy(y: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float = 0.5) -> float:
    return float(np.mean((np.asarray(scores) >= threshold).astype(int) == np.asarray(y).astype(int)))


def evaluate(model: dict[str, Any], data: Dataset) -> dict[str, float]:
    scores = score(model, data.columns(model["features"]))
    return {"auc": round(auc(data.y, scores), 6), "accuracy": round(accuracy(data.y, scores), 6)}


# --- MLflow ----------------------------------------------------------------------------------------


def code_version(repo: Path | None = None) -> str:
    """The git commit of the code that trained the model, or "unknown" outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo or Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else "unknown"


def prepare_tracking(tracking_uri: str) -> None:
    """MLflow 3 refuses a local file store unless allowed; the sandbox uses one on purpose."""
    if tracking_uri.startswith("file:") or "://" not in tracking_uri and not tracking_uri.startswith("arn:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


@dataclass
class TrainedRun:
    run_id: str
    candidate: str
    metrics: dict[str, float] = field(default_factory=dict)


def train_candidates_detailed(tracking_uri: str, experiment: str, rows: int = ROWS, seed: int = SEED,
                              candidates: Sequence[Candidate] = CANDIDATES) -> list[TrainedRun]:
    """Train every candidate on the same split and log one MLflow run each (params, metrics, model, tags)."""
    prepare_tracking(tracking_uri)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    train_set, valid_set = generate(rows, seed).split(seed=seed)
    version = code_version()
    runs: list[TrainedRun] = []
    for candidate in candidates:
        model = train(candidate, train_set)
        metrics = evaluate(model, valid_set)
        run = client.create_run(experiment_id, run_name=candidate.name,
                                tags={CODE_VERSION_TAG: version, "mlgov.candidate": candidate.name})
        run_id = run.info.run_id
        try:
            for key, value in {"features": ",".join(candidate.features), "l2": candidate.l2, "rows": rows,
                               "seed": seed, "validation_fraction": VALIDATION_FRACTION}.items():
                client.log_param(run_id, key, value)
            for key, value in metrics.items():
                client.log_metric(run_id, key, value)
            client.log_dict(run_id, model, f"{MODEL_ARTIFACT_PATH}/{MODEL_FILE}")
            client.set_terminated(run_id, "FINISHED")
        except Exception:
            client.set_terminated(run_id, "FAILED")
            raise
        runs.append(TrainedRun(run_id, candidate.name, metrics))
    return runs


def train_candidates(tracking_uri: str, experiment: str) -> list[str]:
    """Run ids of the logged candidates, in training order."""
    return [run.run_id for run in train_candidates_detailed(tracking_uri, experiment)]


def write_labelled_sample(path: str | Path, n: int = 200, seed: int = SEED + 7) -> Path:
    """A labelled sample for QA: a CSV with the feature columns and the label, from a fresh draw of the same process.

    A different seed from training, so QA sees applicants the candidates were not fitted on.
    """
    data = generate(n, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*data.features, LABEL])
        for row, label in zip(data.x, data.y, strict=True):
            writer.writerow([_plain_number(v) for v in row] + [int(label)])
    return path


def read_labelled_sample(path: str | Path) -> tuple[list[str], list[list[float]], list[int]]:
    """(feature names, rows, labels) from a file written by write_labelled_sample."""
    with Path(path).open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows, labels = [], []
        for record in reader:
            rows.append([float(v) for v in record[:-1]])
            labels.append(int(record[-1]))
    return header[:-1], rows, labels


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def model_json(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, sort_keys=True)
