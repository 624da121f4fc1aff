"""The dashboard's headline figures, from the views' results alone.

These are the numbers a test compares with the governance table (and `mlgov report`): versions per
stage and status, pending versions, approvals and rejections, separation-of-duties breaches.
A decision is a history row with a decider (the lake's projection sets it only for approvals and
rejections), so nothing here re-derives a governance rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlgov_core import rules

Rows = Sequence[Mapping[str, Any]]


def headline(results: Mapping[str, Rows]) -> dict[str, Any]:
    """{"versions", "stage_status": {stage: {status: n}}, "pending", "approvals", "rejections", "sod_breaches"}."""
    counts = results.get("stage_status_counts", ())
    audit = results.get("audit_trail", ())
    statuses = [s.value for s in rules.StageStatus]
    stages = [s.value for s in rules.STAGE_ORDER]
    for row in counts:  # a stage outside the mapping (Unmapped) is shown, never dropped
        if row["stage"] not in stages:
            stages.append(row["stage"])
        if row["status"] not in statuses:
            statuses.append(row["status"])
    matrix = {stage: dict.fromkeys(statuses, 0) for stage in stages}
    for row in counts:
        matrix[row["stage"]][row["status"]] += int(row["versions"])
    decisions = [row for row in audit if row.get("decider")]
    return {
        "versions": sum(sum(by_status.values()) for by_status in matrix.values()),
        "stage_status": matrix,
        "pending": sum(by_status.get(rules.StageStatus.PENDING.value, 0) for by_status in matrix.values()),
        "approvals": sum(1 for row in decisions if row.get("status") == rules.StageStatus.APPROVED.value),
        "rejections": sum(1 for row in decisions if row.get("status") == rules.StageStatus.REJECTED.value),
        "sod_breaches": sum(int(row.get("breaches") or 0) for row in results.get("sod_breaches", ())),
    }
