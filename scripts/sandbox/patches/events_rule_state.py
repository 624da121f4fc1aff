"""moto's rules deliver whatever their State; on AWS a DISABLED rule matches nothing and an ENABLED one skips read-only management events from CloudTrail, which only ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS receives.

The one place the sandbox decides whether a rule sees an event (events_lambda_targets relies on it).
"""

from __future__ import annotations

from typing import Any

from ._common import wrap

ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def receives(state: str, event: dict[str, Any]) -> bool:
    """Whether a rule in this state is matched against the event at all (its pattern decides the rest)."""
    if state == "DISABLED":
        return False
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    read_only_management = (str(event.get("detail-type", "")).endswith("via CloudTrail")
                            and detail.get("readOnly") is True and detail.get("managementEvent") is True)
    return state == ALL_MANAGEMENT_EVENTS or not read_only_management


def apply() -> None:
    from moto.events.models import Rule

    @wrap(Rule, "send_to_targets")
    def send_to_targets(orig: Any, self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if receives(self.state, original_event):
            orig(self, original_event, transform_input)
