"""moto's EventBridge cannot deliver to Lambda (or SNS) targets without Docker: put_events answers 500; deliver them via lambda_runner (async) and SNS publish."""

from __future__ import annotations

import copy
import json
from typing import Any

from ._common import wrap


def _event_for_target(target: dict[str, Any], event: dict[str, Any]) -> Any:
    from moto.events.utils import EventTemplateParser

    if "Input" in target:
        return json.loads(target["Input"])
    transformer = target.get("InputTransformer")
    if transformer:
        rendered = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
        return json.loads(rendered) if isinstance(rendered, str) and rendered[:1] in "{[\"" else rendered
    return event


def apply() -> None:
    from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
    from moto.events.models import Rule
    from moto.sns.models import sns_backends

    from .. import lambda_runner

    @wrap(Rule, "send_to_targets")
    def send_to_targets(orig: Any, self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        ours = [t for t in self.targets if t["Arn"].split(":")[2] in ("lambda", "sns")]
        if not ours:
            return orig(self, original_event, transform_input)
        rest = copy.copy(self)
        rest.targets = [t for t in self.targets if t not in ours]
        orig(rest, original_event, transform_input)
        if not self.event_pattern.matches_event(original_event):  # the rule's State: events_rule_state
            return
        event = copy.deepcopy(original_event)
        if isinstance(event.get("time"), (int, float)):
            event["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))
        for target in ours:
            payload = _event_for_target(target, event) if transform_input else event
            arn = target["Arn"].split(":")
            if arn[2] == "sns":
                sns_backends[arn[4]][arn[3]].publish(json.dumps(payload), arn=target["Arn"])
                continue
            dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
            lambda_runner.submit(target["Arn"], payload, source=f"events:{self.arn}", dead_letter_arn=dead_letter)
