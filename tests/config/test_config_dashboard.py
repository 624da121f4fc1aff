"""platform.governance.dashboard: QuickSight namespace, groups, service role and identity region, refused by field."""

from __future__ import annotations

import pytest

from config_edits import PLATFORM, refusal, replace_line
from mlgov_config import load_config

# (case, the line as shipped, the line edited, words the refusal must contain)
REFUSED = [
    ("namespace with a slash", "    namespace: default", "    namespace: team/a", "dashboard.namespace"),
    ("group with a slash", "    compliance_officer_group: mlgov-compliance-officers",
     "    compliance_officer_group: ops/officers", "compliance_officer_group"),
    ("empty admin group", "    admin_group: mlgov-platform-admins", "    admin_group: ''", "admin_group"),
    ("readers own the dashboard", "    admin_group: mlgov-platform-admins", "    admin_group: mlgov-compliance-officers",
     "readers must not own"),
    ("role path instead of a name", "    service_role_name: aws-quicksight-service-role-v0",
     "    service_role_name: service-role/aws-quicksight-service-role-v0", "service_role_name"),
    ("unknown identity region", "    identity_region: eu-west-1", "    identity_region: eu-west-9", "identity_region"),
    ("identity region in another partition", "    identity_region: eu-west-1", "    identity_region: cn-north-1",
     "governance.dashboard.identity_region"),
    ("enabled not a boolean", "    enabled: true", "    enabled: sometimes", "enabled"),
    ("unknown key", "    namespace: default", "    namespace: default\n    spice: true", "spice"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_bad_dashboard_setting_is_refused_naming_file_and_field(config_dir, case):
    _, old, new, words = case
    replace_line(config_dir, PLATFORM, old, new)
    message = refusal(config_dir)
    assert PLATFORM in message and words in message, message


def test_the_shipped_dashboard_settings(config_dir):
    settings = load_config(config_dir).platform.governance.dashboard
    assert settings.enabled is True  # on in the shipped config
    assert (settings.namespace, settings.compliance_officer_group, settings.admin_group, settings.service_role_name) == (
        "default", "mlgov-compliance-officers", "mlgov-platform-admins", "aws-quicksight-service-role-v0")


def test_identity_region_defaults_to_the_home_region(config_dir):
    replace_line(config_dir, PLATFORM, "    identity_region: eu-west-1\n", "")
    platform = load_config(config_dir).platform
    assert platform.governance.dashboard.identity_region is None and platform.quicksight_identity_region() == "eu-west-1"


def test_another_identity_region_of_the_partition_is_kept(config_dir):
    replace_line(config_dir, PLATFORM, "    identity_region: eu-west-1", "    identity_region: us-east-1")
    assert load_config(config_dir).platform.quicksight_identity_region() == "us-east-1"
