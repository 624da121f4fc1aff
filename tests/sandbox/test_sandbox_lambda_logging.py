"""lambda_logging_config: LoggingConfig is stored and read back as AWS reports it (defaults filled in)."""

from __future__ import annotations


from sandbox_accounts import GOV
from sandbox_functions import create_python_function

from sandbox.patches.lambda_logging_config import effective


def _create(aws, **extra) -> str:
    return create_python_function(aws, "def handler(event, context):\n    return event\n", **extra).rsplit(":", 1)[1]


def test_effective_defaults():
    assert effective(None, "f") == {"LogFormat": "Text", "LogGroup": "/aws/lambda/f"}
    assert effective({"LogFormat": "JSON", "LogGroup": "/x"}, "f") == {
        "LogFormat": "JSON", "LogGroup": "/x", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}
    assert effective({"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"}, "f") == {"LogFormat": "Text", "LogGroup": "/aws/lambda/f"}


def test_logging_config_read_back_and_updated(aws):
    lam = aws("lambda", GOV)
    name = _create(aws, LoggingConfig={"LogFormat": "JSON", "LogGroup": "/aws/lambda/custom"})
    config = lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"]
    assert config == {"LogFormat": "JSON", "LogGroup": "/aws/lambda/custom", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}

    lam.update_function_configuration(FunctionName=name, LoggingConfig={"ApplicationLogLevel": "DEBUG"})
    config = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert (config["LogGroup"], config["ApplicationLogLevel"], config["SystemLogLevel"]) == ("/aws/lambda/custom", "DEBUG", "INFO")

    plain = _create(aws)
    assert lam.get_function_configuration(FunctionName=plain)["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{plain}"}
