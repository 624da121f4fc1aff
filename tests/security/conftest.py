"""What several attack modules start from, on the one shared sandbox story."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.attacks import artifact_location, personas


@pytest.fixture(scope="module")
def released(sandbox_story) -> dict[str, Any]:
    """The personas and the artifact object the first released version references."""
    deployed, lifecycle = sandbox_story.deployed, sandbox_story.lifecycle
    who = personas(deployed)
    bucket, key = artifact_location(who["governance_admin"].client("sagemaker"), lifecycle.model_package_arns[lifecycle.first])
    return {"deployed": deployed, "who": who, "admin_s3": who["governance_admin"].client("s3"),
            "scientist_s3": who["data_scientist"].client("s3"), "bucket": bucket, "key": key}
