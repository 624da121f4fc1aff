"""moto resolves PutEvents' EventBusName ARN to a bus of that name in the caller's own account (ResourceNotFound) and enforces no bus policy: route to the owner's bus and evaluate its policy."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from ._common import caller_identity, parse_arn, wrap
from ._organization import principal_org_context
from ._policy import statement_applies

log = logging.getLogger(__name__)
_sender = threading.local()  # account of a cross-account PutEvents while the owner's rules deliver


def bus_owner(value: str | None, account: str, region: str) -> tuple[str, str, str] | None:
    """(account, region, bus name) when EventBusName is an event-bus ARN of another account or region."""
    arn = parse_arn(value)
    if not arn or arn["service"] != "events" or not arn["resource"].startswith("event-bus/"):
        return None
    owner = (arn["account"], arn["region"] or region, arn["resource"].split("/", 1)[1])
    return owner if owner[:2] != (account, region) else None


def allowed(policy: str | None, bus_arn: str, entry: dict[str, Any], caller: dict[str, str]) -> bool:
    """EventBridge resource-policy decision for one entry sent from another account: Deny wins, an Allow is needed."""
    if not policy:
        return False
    # aws:PrincipalArn of an assumed-role session is the role's ARN, not the session's (as on AWS).
    context = {
        "events:source": [entry.get("Source", "")], "events:detail-type": [entry.get("DetailType", "")],
        "aws:principalaccount": [caller["account"]], "aws:principalarn": [caller.get("role_arn") or caller["arn"]],
        **principal_org_context(caller["account"]),
    }  # fmt: skip
    applicable = [s for s in json.loads(policy).get("Statement", []) if statement_applies(s, "events:PutEvents", bus_arn, caller, context)]
    if any(s.get("Effect") == "Deny" for s in applicable):
        return False
    return any(s.get("Effect") == "Allow" for s in applicable)


def apply() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.events.models import Rule, events_backends
    from moto.events.responses import EventsHandler

    @wrap(EventsHandler, "put_events")
    def put_events(orig: Any, self: Any) -> Any:
        entries = self._get_param("Entries") or []
        account, region = self.current_account, self.region
        targets = [bus_owner(e.get("EventBusName"), account, region) for e in entries]
        if len(entries) > 10 or not any(targets):
            return orig(self)
        principal_id, arn = caller_identity(self.access_key, account)
        role_arn = arn
        if ":assumed-role/" in arn:  # arn:aws:sts::<acct>:assumed-role/<role>/<session> -> the role's ARN
            role_arn = f"arn:aws:iam::{account}:role/{arn.split('/')[1]}"
        caller = {"account": account, "arn": arn, "role_arn": role_arn}
        for entry, owner in zip(entries, targets):
            if owner is None:
                continue
            bus = events_backends[owner[0]][owner[1]].describe_event_bus(owner[2])  # ResourceNotFoundException if absent
            if not allowed(bus.policy, bus.arn, entry, caller):
                log.warning("events: PutEvents by %s (source %s) refused by the policy of %s", arn, entry.get("Source"), bus.arn)
                raise JsonRESTError(
                    "AccessDeniedException",
                    f"User: {arn} is not authorized to perform: events:PutEvents on resource: {bus.arn} "
                    "because no resource-based policy allows the events:PutEvents action",
                )  # fmt: skip
        results: list[dict[str, Any]] = []
        for entry, owner in zip(entries, targets):
            if owner is None:
                results += self.events_backend.put_events([entry])
                continue
            _sender.account = account  # the event's "account" is the sender's, as on AWS
            try:
                results += events_backends[owner[0]][owner[1]].put_events([{**entry, "EventBusName": owner[2]}])
            finally:
                _sender.account = None
        return json.dumps({"FailedEntryCount": len([r for r in results if "ErrorCode" in r]), "Entries": results})

    @wrap(Rule, "send_to_targets")
    def send_to_targets(orig: Any, self: Any, original_event: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        sender = getattr(_sender, "account", None)
        if sender:
            original_event = {**original_event, "account": sender}
        return orig(self, original_event, *args, **kwargs)
