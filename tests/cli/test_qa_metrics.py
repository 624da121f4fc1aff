"""QA metric arithmetic: rank-based AUC (ties count one half), accuracy at a threshold, percentiles."""

from __future__ import annotations

import itertools

import pytest

from mlgov_cli.qa_metrics import QaSample, accuracy, auc, percentile


def brute_auc(scores: list[float], labels: list[int]) -> float:
    pos = [s for s, l in zip(scores, labels) if l == 1]
    neg = [s for s, l in zip(scores, labels) if l == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_auc_perfect_inverse_and_known_value() -> None:
    assert auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    # sklearn's roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


def test_auc_ties_count_one_half() -> None:
    assert auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]) == 0.5
    # one positive tied with one negative, the other positive above both negatives: (1 + 0.5 + 1 + 1) / 4
    assert auc([0.3, 0.5, 0.5, 0.9], [0, 0, 1, 1]) == pytest.approx(0.875)
    scores = [0.1, 0.3, 0.3, 0.3, 0.6, 0.6, 0.9, 0.2, 0.2]
    labels = [0, 1, 0, 1, 0, 1, 1, 0, 1]
    assert auc(scores, labels) == pytest.approx(brute_auc(scores, labels))


def test_auc_undefined_for_one_class_and_length_mismatch() -> None:
    assert auc([0.1, 0.9], [1, 1]) is None
    assert auc([], []) is None
    with pytest.raises(ValueError):
        auc([0.1], [0, 1])


def test_accuracy_threshold_is_inclusive() -> None:
    assert accuracy([0.5, 0.49, 0.9, 0.1], [1, 0, 1, 1]) == 0.75
    assert accuracy([0.7, 0.7], [1, 0], threshold=0.8) == 0.5
    assert accuracy([], []) is None


def test_percentiles_interpolate_linearly() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)  # numpy.percentile(range(1, 101), 95)
    assert percentile([7.0], 95) == 7.0
    assert percentile([10.0, 20.0], 0) == 10.0 and percentile([10.0, 20.0], 100) == 20.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_sample_metrics_count_errors_and_leave_out_undefined_values() -> None:
    sample = QaSample()
    for score, label, latency in [(0.9, 1, 10.0), (0.2, 0, 20.0), (None, 1, 30.0), (0.6, 0, 40.0)]:
        sample.add(score, label, latency)
    metrics = sample.metrics()
    assert metrics["error_count"] == 1 and metrics["requests"] == 4
    assert metrics["auc"] == 1.0 and metrics["accuracy"] == pytest.approx(2 / 3, abs=1e-6)
    assert metrics["p50_latency_ms"] == 25.0 and metrics["p95_latency_ms"] == pytest.approx(38.5)
    only_positive = QaSample()
    only_positive.add(0.9, 1, 5.0)
    assert "auc" not in only_positive.metrics()
