"""moto drops a function's DeadLetterConfig (never stored or returned), so the sandbox could not route failed async invocations to it."""

from __future__ import annotations

from typing import Any

from ._common import wrap


def apply() -> None:
    from moto.awslambda.models import LambdaFunction

    @wrap(LambdaFunction, "__init__")
    def init(orig: Any, self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        orig(self, account_id, spec, *args, **kwargs)
        self.dead_letter_config = spec.get("DeadLetterConfig") or None

    @wrap(LambdaFunction, "update_configuration")
    def update_configuration(orig: Any, self: Any, config_updates: dict[str, Any]) -> Any:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = config_updates["DeadLetterConfig"] or None
        return orig(self, config_updates)

    @wrap(LambdaFunction, "get_configuration")
    def get_configuration(orig: Any, self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = orig(self, *args, **kwargs)
        if getattr(self, "dead_letter_config", None) and self.dead_letter_config.get("TargetArn"):
            config["DeadLetterConfig"] = self.dead_letter_config
        return config
