"""lambda_logging_config: LoggingConfig is stored and read back as AWS reports it (defaults filled in)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

from sandbox_accounts import GOV

from sandbox.patches.lambda_logging_config import effective


def _create(aws, **extra) -> str:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = aws("iam", GOV).create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return event\n")
    aws("lambda", GOV).create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler",
                                       Code={"ZipFile": buf.getvalue()}, **extra)  # fmt: skip
    return name


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
