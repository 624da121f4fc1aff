"""moto has no Athena UpdateWorkGroup: a changed cutoff, output location or description of the
governance workgroup fails the apply with HTTP 500 instead of updating in place."""

from __future__ import annotations

import json
from typing import Any

from ._common import add_method

# ConfigurationUpdates members that replace the stored Configuration member of the same name.
SCALAR_UPDATES = ("EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled", "BytesScannedCutoffPerQuery",
                  "RequesterPaysEnabled", "EngineVersion", "AdditionalConfiguration", "ExecutionRole",
                  "CustomerContentEncryptionConfiguration", "EnableMinimumEncryptionConfiguration",
                  "QueryResultsS3AccessGrantsConfiguration", "IdentityCenterConfiguration")
# ResultConfigurationUpdates: member -> the Remove<member> flag that drops it.
RESULT_UPDATES = ("OutputLocation", "EncryptionConfiguration", "ExpectedBucketOwner", "AclConfiguration")


def updated(configuration: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """The workgroup Configuration after UpdateWorkGroup's ConfigurationUpdates, as AWS applies them:
    members not named keep their value, Remove* flags drop theirs."""
    result = {**configuration}
    for key in SCALAR_UPDATES:
        if key in updates:
            result[key] = updates[key]
    if updates.get("RemoveBytesScannedCutoffPerQuery"):
        result.pop("BytesScannedCutoffPerQuery", None)
    if "ResultConfigurationUpdates" in updates:
        given, results = updates["ResultConfigurationUpdates"], dict(result.get("ResultConfiguration") or {})
        for key in RESULT_UPDATES:
            if given.get(f"Remove{key}"):
                results.pop(key, None)
            elif key in given:
                results[key] = given[key]
        result["ResultConfiguration"] = results
    return result


def apply() -> None:
    from moto.athena.responses import AthenaResponse

    @add_method(AthenaResponse, "update_work_group")
    def update_work_group(self: Any) -> Any:
        work_group = self.athena_backend.work_groups.get(self._get_param("WorkGroup"))
        if work_group is None:
            return self.error("WorkGroup does not exist", 400)
        if self._get_param("Description") is not None:
            work_group.description = self._get_param("Description")
        if self._get_param("State") in ("ENABLED", "DISABLED"):
            work_group.state = self._get_param("State")  # the class attribute stays the default for others
        work_group.configuration = updated(work_group.configuration, self._get_param("ConfigurationUpdates") or {})
        return json.dumps({})
