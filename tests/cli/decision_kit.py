"""The decision path deployed straight into a sandbox server (no Terraform), for the CLI tests.

What the governance stack creates for it, in the same shape: the decision function (the real
lambda_src/model_decisions zip, run by the sandbox's Lambda runner) under its role
``mlgov-model-decisions-lambda``, the IAM-authorised REST API ``mlgov-decisions`` (POST /decisions,
AWS_PROXY), the governance table and an alarm topic. The function's environment names the groups (the
stack writes them from config); tests take group names from a batch configured ahead, so the function's
worker stays warm across a batch instead of starting cold for every test.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

from governance_testkit import create_governance_table

from mlgov_core import release
from modules.lambda_package import build_zip
from modules.python_function import LAMBDA_SRC

FUNCTION = "mlgov-model-decisions"
DECIDER_ROLE = f"arn:aws:iam::111111111111:role/{FUNCTION}-lambda"
API = "mlgov-decisions"
TABLE = "mlgov-model-stage-governance"
BATCH = 32  # groups per environment update: the environment stays well under Lambda's 4 KB
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


class DecisionPath:
    def __init__(self, client: Any, region: str, account: str) -> None:
        """``client(service)``: a boto3 client of the governance account (an operator session)."""
        self.client, self.region, self.account = client, region, account
        self.groups: dict[str, str] = {}
        self.gates: dict[str, dict[str, list[str]]] = {}
        self._free: list[str] = []
        create_governance_table(client("dynamodb"), TABLE)
        self.topic = client("sns").create_topic(Name="mlgov-governance-alarms")["TopicArn"]
        role = client("iam").create_role(RoleName=f"{FUNCTION}-lambda", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
        # What the stack grants it (stacks/governance.py _decision_path), the sandbox enforcing it.
        client("iam").put_role_policy(RoleName=f"{FUNCTION}-lambda", PolicyName="least-privilege", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"],
                 "Resource": f"arn:aws:sagemaker:{region}:{account}:model-package/*"},
                {"Effect": "Allow", "Action": ["sagemaker:CreateModelPackage"], "Resource": [
                    f"arn:aws:sagemaker:{region}:{account}:model-package-group/apv-*{release.SUFFIX}",
                    f"arn:aws:sagemaker:{region}:{account}:model-package/apv-*{release.SUFFIX}/*"]},
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                 "Resource": f"arn:aws:dynamodb:{region}:{account}:table/{TABLE}"},
                {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": f"arn:aws:sns:{region}:{account}:*"}]}))
        zip_path = Path(tempfile.mkdtemp(prefix="decisions-zip-")) / "model_decisions.zip"
        build_zip(LAMBDA_SRC, "model_decisions", zip_path)
        self.function_arn = client("lambda").create_function(
            FunctionName=FUNCTION, Runtime="python3.11", Role=role["Role"]["Arn"], Timeout=30,
            Handler="model_decisions.handler.lambda_handler", Code={"ZipFile": zip_path.read_bytes()},
            Environment={"Variables": self._environment()},
        )["FunctionArn"]
        self._api()

    def _environment(self) -> dict[str, str]:
        return {
            "GOVERNANCE_TABLE_NAME": TABLE, "USE_CASE_BY_GROUP": json.dumps(self.groups),
            "GATES_BY_GROUP": json.dumps(self.gates), "ALARM_TOPIC_ARN": self.topic,
            "MODEL_PACKAGE_ARN_PREFIX": f"arn:aws:sagemaker:{self.region}:{self.account}:model-package/",
            "RELEASED_GROUPS": json.dumps(sorted(self.groups)), "DECISION_ROLE_ARN": DECIDER_ROLE,
            "POWERTOOLS_SERVICE_NAME": "model-decisions",
        }

    def _api(self) -> None:
        apigateway = self.client("apigateway")
        api = apigateway.create_rest_api(name=API)["id"]
        root = next(r["id"] for r in apigateway.get_resources(restApiId=api)["items"] if r["path"] == "/")
        resource = apigateway.create_resource(restApiId=api, parentId=root, pathPart="decisions")["id"]
        apigateway.put_method(restApiId=api, resourceId=resource, httpMethod="POST", authorizationType="AWS_IAM")
        apigateway.put_integration(
            restApiId=api, resourceId=resource, httpMethod="POST", type="AWS_PROXY", integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{self.function_arn}/invocations")
        apigateway.create_deployment(restApiId=api, stageName="v1")

    def deployed(self) -> bool:
        return any(f["FunctionName"] == FUNCTION for f in self.client("lambda").list_functions().get("Functions", []))

    def take_group(self, use_case: str, test_gates: list[str], prod_gates: list[str]) -> str:
        """A group name the function knows, with these gates (a new batch, one configuration update, when used up)."""
        if not self._free:
            batch = uuid.uuid4().hex[:6]
            self._free = [f"apv-{batch}-{i:02d}" for i in range(BATCH)]
            self.groups = {group: use_case for group in self._free}
            self.gates = {group: {"Test": list(test_gates), "Prod": list(prod_gates)} for group in self._free}
            self.client("lambda").update_function_configuration(FunctionName=FUNCTION,
                                                                Environment={"Variables": self._environment()})
        return self._free.pop(0)
