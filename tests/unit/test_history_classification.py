"""rules.classify_change: the one reading of a version's history (CLI `history` and the report)."""

from __future__ import annotations

import pytest

from mlgov_core.rules import Change, classify_change


def state(stage: str, status: str, approval: str, **extra) -> dict:
    return {"stage": stage, "status": status, "approval_status": approval, **extra}


DEV_PENDING = state("Dev", "Pending", "PendingManualApproval")
TEST_APPROVED = state("Test", "Approved", "Approved")


@pytest.mark.parametrize("previous, current, expected", [
    (None, DEV_PENDING, Change.REGISTERED),
    (DEV_PENDING, TEST_APPROVED, Change.APPROVED),
    (TEST_APPROVED, state("Prod", "Rejected", "Rejected"), Change.REJECTED),
    (TEST_APPROVED, state("Prod", "Pending", "Approved"), Change.PENDING),
    # QA metrics written into the registry re-send the same state: not a second approval.
    (TEST_APPROVED, state("Test", "Approved", "Approved", qa_metrics={"auc": 0.8}), Change.METADATA),
    # The registration event was lost: the first recorded item is the decision itself.
    (None, TEST_APPROVED, Change.APPROVED),
    (state("Test", "Approved", "PendingManualApproval"), TEST_APPROVED, Change.APPROVED),
])
def test_classify_change(previous, current, expected):
    assert classify_change(previous, current) is expected
