"""moto drops a function's LoggingConfig (never stored or returned), so every re-plan of a function with logging_config wants to add it again."""

from __future__ import annotations

from typing import Any

from ._common import wrap

# AWS fills these in when they are not given: Text format to /aws/lambda/<name>; JSON logs at INFO.
DEFAULT_FORMAT = "Text"
DEFAULT_JSON_LEVEL = "INFO"


def effective(config: dict[str, Any] | None, function_name: str) -> dict[str, Any]:
    """The LoggingConfig AWS reports for a function created/updated with ``config``."""
    result = {"LogFormat": DEFAULT_FORMAT, "LogGroup": f"/aws/lambda/{function_name}", **(config or {})}
    if result["LogFormat"] == "JSON":
        result.setdefault("ApplicationLogLevel", DEFAULT_JSON_LEVEL)
        result.setdefault("SystemLogLevel", DEFAULT_JSON_LEVEL)
    else:  # AWS refuses log levels with the Text format and never reports them
        result.pop("ApplicationLogLevel", None)
        result.pop("SystemLogLevel", None)
    return result


def apply() -> None:
    from moto.awslambda.models import LambdaFunction

    @wrap(LambdaFunction, "__init__")
    def init(orig: Any, self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        orig(self, account_id, spec, *args, **kwargs)
        self.logging_config = effective(spec.get("LoggingConfig"), self.function_name)

    @wrap(LambdaFunction, "update_configuration")
    def update_configuration(orig: Any, self: Any, config_updates: dict[str, Any]) -> Any:
        if "LoggingConfig" in config_updates:
            # UpdateFunctionConfiguration merges: fields not given keep their value (the format decides the levels).
            given = config_updates["LoggingConfig"] or {}
            current = getattr(self, "logging_config", None) or effective(None, self.function_name)
            merged = {**current, **given}
            if given.get("LogFormat") and given["LogFormat"] != current.get("LogFormat"):
                merged = {k: v for k, v in merged.items() if k in given or k in ("LogFormat", "LogGroup")}
            self.logging_config = effective(merged, self.function_name)
        return orig(self, config_updates)

    @wrap(LambdaFunction, "get_configuration")
    def get_configuration(orig: Any, self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = orig(self, *args, **kwargs)
        config["LoggingConfig"] = getattr(self, "logging_config", None) or effective(None, self.function_name)
        return config
