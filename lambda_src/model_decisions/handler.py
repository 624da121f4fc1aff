"""Lambda entry point for the decision function: two doors, one core.

- POST /decisions through the IAM-authorised API: an approver's decision (mlgov_core.decision),
  credited to the identity API Gateway verified from the SigV4 signature.
- Registry state-change events from the default bus: the registration guard
  (mlgov_core.registration_guard), which rejects a version registered in a state only a decision
  may set.
"""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from botocore.exceptions import BotoCoreError, ClientError

from mlgov_core import aws, decision, evidence, registration_guard
from mlgov_core.events import parse_event
from mlgov_core.settings import ConfigurationError, stage_names_from_env, use_case_mapping

logger = Logger()
app = APIGatewayRestResolver()

GATES_ENV = "GATES_BY_GROUP"
PACKAGE_PREFIX_ENV = "MODEL_PACKAGE_ARN_PREFIX"
ALARM_TOPIC_ENV = "ALARM_TOPIC_ARN"
RELEASED_GROUPS_ENV = "RELEASED_GROUPS"
# Its own role: the guard accepts a prod release only when this role created it.
ROLE_ENV = "DECISION_ROLE_ARN"


def settings() -> decision.DecisionSettings:
    table = os.environ.get("GOVERNANCE_TABLE_NAME", "").strip()
    if not table:
        raise ConfigurationError("GOVERNANCE_TABLE_NAME is not set: the decision function needs the governance table")
    try:
        gates_by_group = json.loads(os.environ.get(GATES_ENV) or "{}")
        released = json.loads(os.environ.get(RELEASED_GROUPS_ENV) or "[]")
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{GATES_ENV} or {RELEASED_GROUPS_ENV} is not valid JSON ({error.msg})") from None
    return decision.DecisionSettings(table_name=table, use_case_by_group=use_case_mapping(os.environ),
                                     gates_by_group=gates_by_group, released_groups=frozenset(released),
                                     stage_names=stage_names_from_env(os.environ))


def _answer(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body, default=str))


@app.post("/decisions")
def post_decision() -> Response:
    caller = app.current_event.request_context.identity
    decided_by = caller.user_arn
    if not decided_by:  # the method is AWS_IAM: API Gateway never forwards an unsigned call
        return _answer(403, {"message": "the decision API needs a SigV4-signed request"})
    try:
        body = app.current_event.json_body
    except (ValueError, TypeError):
        return _answer(400, {"message": "the request body is not JSON"})
    if not isinstance(body, dict):
        return _answer(400, {"message": "the request body must be a JSON object"})
    config = settings()
    try:
        request = decision.parse_request(body)
        arn = f"{os.environ[PACKAGE_PREFIX_ENV]}{request.group.lower()}/{request.version}"
        dynamodb = aws.client("dynamodb")
        outcome = decision.decide(
            request, decided_by, config, package_arn=arn, sagemaker=aws.client("sagemaker"), dynamodb=dynamodb,
            qa_metrics=lambda group, version: evidence.recorded_qa_metrics(dynamodb, group, version,
                                                                          table_name=config.table_name),
        )
    except evidence.EvidenceError as error:
        return _answer(409, {"message": f"the recorded QA evidence cannot be read: {error}"})
    except decision.DecisionError as error:
        logger.info("decision refused", extra={"caller": decided_by, "status": error.status, "reason": str(error)})
        return _answer(error.status, {"message": str(error)})
    except (ClientError, BotoCoreError) as error:
        logger.exception("decision failed in AWS", extra={"caller": decided_by})
        return _answer(502, {"message": f"the registry or the table failed: {error}"})
    logger.info("decision recorded", extra=outcome.as_dict())
    return _answer(200, outcome.as_dict())


def _guard(event: dict[str, Any]) -> dict[str, Any]:
    outcome = registration_guard.enforce(
        parse_event(event), sagemaker=aws.client("sagemaker"), alarm=aws.client("sns"),
        alarm_topic_arn=os.environ[ALARM_TOPIC_ENV], decider_role_arn=os.environ.get(ROLE_ENV))
    if outcome.rejected:
        logger.warning("registration rejected by the guard", extra={"arn": outcome.arn, "violations": outcome.violations})
    return {"arn": outcome.arn, "checked": outcome.checked, "rejected": outcome.rejected}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("source") == "aws.sagemaker":
        # A malformed event raises, so Lambda's retries end in the dead-letter queue with it.
        return _guard(event)
    return app.resolve(event, context)
