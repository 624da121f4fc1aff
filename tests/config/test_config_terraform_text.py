"""Config text is text: Terraform's template sequences are kept as written (the stacks escape them,
mlgov_config/terraform_text.py), and the one sequence nothing can carry through cdktf is refused.

Class "Terraform-safe strings", loader side: cdktf's token marker refused in 5 places (values, list
entries, keys), named by file and field, exit 2 from main.py; template text accepted and kept plain.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config_edits import CREDIT_RISK, PLATFORM, refusal, replace_line
from mlgov_config import load_config

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_TEXT = "${path.cwd} %{ if true }x%{ endif } $${already}"

# (case, file, line as committed, line as edited, field the message must name)
TOKEN_MARKERS = [
    ("use case description", CREDIT_RISK, "description: Probability of default for retail credit applications",
     "description: 'see ${TfToken[TOKEN.3]}'", "field 'description'"),
    ("group description", CREDIT_RISK, "  description: Central registry of credit-risk model versions",
     "  description: '#{TfToken[TOKEN.1]}'", "field 'model_package_group.description'"),
    ("owner", CREDIT_RISK, "  business: head-of-retail-credit@example.com",
     "  business: 'x&{TfToken[TOKEN.9]}'", "field 'owners.business'"),
    ("gate (list entry)", CREDIT_RISK, "    - auc >= 0.75", "    - 'TfToken[ >= 0.75'", "field 'gates.prod.0'"),
    ("tag key", PLATFORM, "default_tags:", "default_tags:\n  'TfToken[x]': y", "field 'default_tags.TfToken[x]'"),
]


@pytest.mark.parametrize("case", TOKEN_MARKERS, ids=[c[0] for c in TOKEN_MARKERS])
def test_cdktfs_token_marker_is_refused_naming_file_and_field(config_dir, case):
    _, rel, old, new, field = case
    replace_line(config_dir, rel, old, new)
    message = refusal(config_dir)
    assert f"{config_dir / rel}: {field}:" in message, message
    assert "TfToken[" in message and "cdktf" in message, message


def test_main_py_refuses_the_marker_with_exit_2_and_no_traceback(config_dir, tmp_path):
    replace_line(config_dir, CREDIT_RISK, "  description: Central registry of credit-risk model versions",
                 "  description: '${TfToken[TOKEN.1]}'")
    proc = subprocess.run([sys.executable, "main.py", "--config", str(config_dir), "--out", str(tmp_path / "out")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "model_package_group.description" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_template_sequences_are_accepted_and_the_loaded_config_keeps_them_plain(config_dir):
    # The CLI and the Lambda functions read this config: they must see the text as written, unescaped.
    replace_line(config_dir, CREDIT_RISK, "  description: Central registry of credit-risk model versions",
                 f"  description: '{TEMPLATE_TEXT}'")
    replace_line(config_dir, CREDIT_RISK, "description: Probability of default for retail credit applications",
                 f"description: '{TEMPLATE_TEXT}'")
    use_case = load_config(config_dir).use_cases["credit-risk"]
    assert use_case.model_package_group.description == TEMPLATE_TEXT
    assert use_case.description == TEMPLATE_TEXT
