"""Python Lambda functions created straight in the sandbox (no Terraform) for the patch tests."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from sandbox_accounts import GOV

LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def python_zip(source: str) -> bytes:
    """A deployment package holding ``source`` as app.py (handler ``app.handler``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", source)
    return buf.getvalue()


def create_python_function(aws: Callable[..., Any], source: str, account: str = GOV,
                           statements: tuple[dict[str, Any], ...] = (), **extra: Any) -> str:
    """A fresh function (and its execution role with ``statements``, which the sandbox's authorisation
    patches hold it to) in ``account``; returns its ARN. Timeout 30 s unless given."""
    name = f"fn-{uuid.uuid4().hex[:8]}"
    role = aws("iam", account).create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    if statements:
        aws("iam", account).put_role_policy(RoleName=f"{name}-role", PolicyName="function",
                                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    return aws("lambda", account).create_function(
        FunctionName=name, Runtime="python3.11", Role=role["Role"]["Arn"], Handler="app.handler",
        Code={"ZipFile": python_zip(source)}, **{"Timeout": 30, **extra},
    )["FunctionArn"]
