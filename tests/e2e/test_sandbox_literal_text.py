"""Config text reaches AWS as written: the story's group description holds Terraform template sequences
(tests/sandbox_story.py), applied through Terraform into the sandbox and read back from the registry.

Without the escaping of mlgov_config/terraform_text.py Terraform evaluates them at plan time (the
working directory's path, `x`, `${already}`) and this test fails; the report of issue 9 shows that run.
"""

from __future__ import annotations

import pytest

from sandbox_story import LITERAL_DESCRIPTION

pytestmark = [pytest.mark.sandbox, pytest.mark.terraform]


def test_a_group_description_with_template_sequences_reaches_the_registry_literally(sandbox_story):
    sagemaker = sandbox_story.deployed.governance().client("sagemaker")
    described = sagemaker.describe_model_package_group(ModelPackageGroupName="credit-risk")
    assert described["ModelPackageGroupDescription"] == LITERAL_DESCRIPTION
