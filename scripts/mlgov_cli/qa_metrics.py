"""QA metrics from a labelled sample: rank-based AUC, accuracy at a threshold, latency percentiles.

Pure functions, no numpy: the CLI computes them from a few thousand requests at most.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve by ranks (Mann-Whitney U); tied scores share their average rank.

    Equals the probability that a random positive scores higher than a random negative, a tie
    counting one half. None when the sample holds only one class (AUC is undefined then).
    """
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    positives = sum(1 for label in labels if label == 1)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average = (start + end) / 2 + 1  # ranks are 1-based
        for position in range(start, end + 1):
            ranks[order[position]] = average
        start = end + 1
    positive_rank_sum = sum(rank for rank, label in zip(ranks, labels) if label == 1)
    return (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def accuracy(scores: Sequence[float], labels: Sequence[int], threshold: float = 0.5) -> float | None:
    """Share of rows where (score >= threshold) equals the label; None for an empty sample."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    if not scores:
        return None
    correct = sum(1 for score, label in zip(scores, labels) if int(score >= threshold) == label)
    return correct / len(scores)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not between 0 and 100")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class QaSample:
    """What one QA run measured: a score per answered row, a latency per request, failures."""

    scores: list[float] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, score: float | None, label: int, latency_ms: float) -> None:
        self.latencies_ms.append(latency_ms)
        if score is None:
            self.errors += 1
        else:
            self.scores.append(score)
            self.labels.append(label)

    def metrics(self, threshold: float = 0.5) -> dict[str, float]:
        """The reportable metrics; undefined values (AUC of a single class, nothing answered) are left out."""
        values: dict[str, float | None] = {
            "auc": auc(self.scores, self.labels),
            "accuracy": accuracy(self.scores, self.labels, threshold),
            "p50_latency_ms": percentile(self.latencies_ms, 50),
            "p95_latency_ms": percentile(self.latencies_ms, 95),
            "error_count": float(self.errors),
            "requests": float(len(self.latencies_ms)),
        }
        return {name: round(value, 6) for name, value in values.items() if value is not None}
