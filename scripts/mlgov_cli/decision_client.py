"""`mlgov approve` / `reject` ask; the decision function in the governance account decides.

The CLI signs POST /decisions as the approver role; API Gateway verifies the signature and hands
the caller's identity to the decision function, which applies mlgov_core (separation of duties, no
skipping, rejected is final, the QA gates on recorded evidence) and is the only principal allowed to
write the decision into the registry. Nothing here can make a decision the function refuses.
"""

from __future__ import annotations

from typing import Any

from mlgov_cli.api_client import InferenceApiClient, api_url, find_api_id
from mlgov_cli.context import Context
from mlgov_cli.decisions import clean_reason, session_name_for, use_case_for_group
from mlgov_cli.errors import AwsFailure, CliError, RuleViolation, aws_errors
from mlgov_config import AccountRole
from mlgov_core.rules import Stage, StageStatus

DECISIONS_PATH = "decisions"


def decide(ctx: Context, *, group: str, version: int, target: Stage, decision: StageStatus, reason: str | None,
           as_role: str | None, approver: str | None) -> dict[str, Any]:
    """The decision function's answer for an accepted decision; RuleViolation with its reason otherwise."""
    body = {"group": group, "version": version, "stage": target.value, "decision": decision.value,
            "reason": clean_reason(reason)}
    use_case = use_case_for_group(ctx, group)
    session_name = session_name_for(approver)
    role = as_role or f"{ctx.config.platform.name_prefix}-model-approver"
    with aws_errors(f"assuming {role} in the governance account"):
        session = ctx.session(AccountRole.GOVERNANCE, role, person=session_name)
        apigateway = session.client("apigateway", endpoint_url=ctx.endpoint_url)
    api_id = find_api_id(apigateway, ctx.names.decision_api, stack="governance")
    region = ctx.config.platform.home_region
    client = InferenceApiClient(session, api_url(api_id, region, DECISIONS_PATH, endpoint_url=ctx.endpoint_url), region=region)
    answer = client.post(body)
    message = answer.body.get("message") if isinstance(answer.body, dict) else str(answer.body)[:500]
    if answer.status == 200 and isinstance(answer.body, dict):
        return {**answer.body, "use_case": use_case.name}
    if answer.status == 409:
        raise RuleViolation(f"the decision function refused: {message}")
    if answer.status in (400, 404):
        raise CliError(f"the decision function cannot decide on this: {message}")
    raise AwsFailure(f"POST /{DECISIONS_PATH} answered {answer.status}: {message}")
