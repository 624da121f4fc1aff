"""Incompatible construct props fail at synth time with a message naming the field."""

from __future__ import annotations

import pytest

from modules.artifact_store import ArtifactStoreProps
from modules.break_glass_alarm import BreakGlassAlarmProps
from modules.encryption_key import EncryptionKeyProps
from modules.governance_table import GovernanceTableProps
from modules.iam_role import AccountRoleProps
from modules.model_registry import ModelRegistryProps
from modules.naming import Names
from modules.python_function import PythonFunctionProps
from modules.secure_bucket import SecureBucketProps

NAMES = Names("mlgov", "eu-west-1", "111111111111")


def test_bucket_without_customer_managed_key_is_refused():
    with pytest.raises(ValueError, match="kms_key_arn"):
        SecureBucketProps(bucket_name="b", owner_account="111111111111", kms_key_arn=None, access_log_target=None)


def test_bucket_without_access_log_target_is_refused():
    with pytest.raises(ValueError, match="access_log_target"):
        SecureBucketProps(bucket_name="b", owner_account="111111111111", kms_key_arn="arn:aws:kms:eu-west-1:111111111111:key/k")


def test_table_without_point_in_time_recovery_is_refused():
    with pytest.raises(ValueError, match="point_in_time_recovery"):
        GovernanceTableProps(table_name="t", kms_key_arn="k", point_in_time_recovery=False)


def test_function_without_dead_letter_queue_is_refused():
    with pytest.raises(ValueError, match="dead_letter_queue_arn"):
        PythonFunctionProps(function_name="f", source_dir="registry_sync", account_id="1", region="r", kms_key_arn="k")


def test_function_async_retries_bounded_by_lambda_limit():
    with pytest.raises(ValueError, match="max_async_retries"):
        PythonFunctionProps(function_name="f", source_dir="registry_sync", account_id="1", region="r", kms_key_arn="k",
                            dead_letter_queue_arn="q", max_async_retries=3)


def test_registry_refuses_external_principals():
    with pytest.raises(ValueError, match="allow_external_principals"):
        ModelRegistryProps(names=NAMES, groups=(), decider_role_arn=NAMES.decision_function_role_arn,
                           allow_external_principals=True)


def test_role_trusting_an_account_root_is_refused():
    with pytest.raises(ValueError, match="trusted_principals"):
        AccountRoleProps(role_name="r", description="d", trusted_principals=("arn:aws:iam::222222222222:root",), statements=())


def test_key_deletion_window_and_alias_are_checked():
    with pytest.raises(ValueError, match="deletion_window_in_days"):
        EncryptionKeyProps(alias="alias/a", description="d", owner_account="1", region="r", deletion_window_in_days=3)
    with pytest.raises(ValueError, match="alias"):
        EncryptionKeyProps(alias="a", description="d", owner_account="1", region="r")


def test_artifact_store_accounts_cannot_be_both_reader_and_writer():
    with pytest.raises(ValueError, match="both readers and writers"):
        ArtifactStoreProps(names=NAMES, reader_accounts=("222222222222",), writer_accounts=("222222222222",))


@pytest.mark.parametrize(("field", "value"), [("role_arn", "mlgov-table-break-glass"), ("retry_attempts", 186),
                                              ("max_event_age_seconds", 30)])
def test_break_glass_alarm_props_out_of_range_are_refused(field, value):
    props = {"rule_name": "r", "role_arn": "arn:aws:iam::111111111111:role/mlgov-table-break-glass", field: value}
    with pytest.raises(ValueError, match=field):
        BreakGlassAlarmProps(**props)
