"""The built-in data set, the candidates, the AUC, `mlgov train` and the QA sample writer."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from mlgov_cli import training


def test_data_is_deterministic_and_plausible():
    a, b = training.generate(), training.generate()
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert a.x.shape == (2000, 4) and 0.15 < a.y.mean() < 0.4
    train, valid = a.split()
    assert len(train.y) == 1500 and len(valid.y) == 500


def test_auc_by_ranks():
    assert training.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert training.auc([0, 1], [0.5, 0.5]) == 0.5  # ties count half
    assert training.auc([1, 1, 0], [0.9, 0.8, 0.1]) == 1.0
    rng = np.random.default_rng(0)
    y, s = rng.integers(0, 2, 300), rng.random(300)
    pairs = [(p > n) + 0.5 * (p == n) for p in s[y == 1] for n in s[y == 0]]
    assert training.auc(y, s) == pytest.approx(np.mean(pairs))
    with pytest.raises(ValueError):
        training.auc([1, 1], [0.2, 0.3])


def test_candidates_differ_and_beat_chance():
    train, valid = training.generate().split()
    results = {c.name: training.evaluate(training.train(c, train), valid) for c in training.CANDIDATES}
    assert len({r["auc"] for r in results.values()}) == len(results)
    assert all(r["auc"] > 0.7 for r in results.values())
    assert max(r["auc"] for r in results.values()) >= 0.75  # the credit-risk prod gate is auc >= 0.75


def test_train_command_logs_runs(tmp_path):
    from mlflow.tracking import MlflowClient

    from mlgov_cli.main import cli

    uri = (tmp_path / "mlruns").as_uri()
    sample = tmp_path / "qa.csv"
    result = CliRunner().invoke(cli, ["--json", "train", "--experiment", "credit-risk", "--tracking-uri", uri,
                                      "--sample", str(sample), "--sample-rows", "50"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["candidate"] for r in rows] == [c.name for c in training.CANDIDATES]
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(rows[0]["run_id"])
    assert run.data.metrics["auc"] == rows[0]["auc"] and "l2" in run.data.params
    assert run.data.tags["code_version"]
    assert [a.path for a in client.list_artifacts(run.info.run_id, "model")] == ["model/model.json"]
    features, samples, labels = training.read_labelled_sample(sample)
    assert features == list(training.FEATURES) and len(samples) == len(labels) == 50 and set(labels) <= {0, 1}


def test_train_on_a_newer_snapshot_logs_its_size_and_seed(tmp_path):
    from mlflow.tracking import MlflowClient

    from mlgov_cli.main import cli

    uri = (tmp_path / "mlruns").as_uri()
    args = ["--json", "train", "--experiment", "retrain", "--tracking-uri", uri]
    default = json.loads(CliRunner().invoke(cli, args, catch_exceptions=False).output)
    newer = json.loads(CliRunner().invoke(cli, [*args, "--rows", "4000", "--data-seed", "7"], catch_exceptions=False).output)
    params = MlflowClient(tracking_uri=uri).get_run(newer[0]["run_id"]).data.params
    assert (params["rows"], params["seed"]) == ("4000", "7")
    assert newer[0]["auc"] != default[0]["auc"], "another snapshot gives another fit"
