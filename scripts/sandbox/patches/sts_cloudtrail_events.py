"""moto's STS records nothing; on AWS, CloudTrail puts each successful AssumeRole ("AWS API Call via CloudTrail", readOnly) on the role owner's default bus, where rules such as the break-glass alarm match it.

The record is shaped like CloudTrail's (IAM user guide, "Example AWS STS API events in CloudTrail
log"): eventSource/eventName, requestParameters (roleArn, roleSessionName, durationSeconds,
sourceIdentity when given: moto itself drops SourceIdentity), responseElements without credentials,
resources, ``readOnly: true`` and ``managementEvent: true``. userIdentity is the caller as the role's
account sees it: the full identity (type, arn, principalId, sessionIssuer) for a caller of the same
account, only the account and principal id (type AWSAccount) for a caller of another. It is put in
the region of the STS endpoint that served the call, as CloudTrail records it. Failed calls and the
SAML/web-identity variants are not recorded here.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

from ._common import caller_identity, parse_arn, wrap

log = logging.getLogger(__name__)

DETAIL_TYPE = "AWS API Call via CloudTrail"


def _user_identity(caller_account: str, owner: str, access_key: str) -> dict[str, Any]:
    from moto.sts.models import sts_backends

    principal_id, arn = caller_identity(access_key, caller_account)
    if caller_account != owner:
        return {"type": "AWSAccount", "principalId": principal_id, "accountId": caller_account}
    identity: dict[str, Any] = {"principalId": principal_id, "arn": arn, "accountId": caller_account,
                                "accessKeyId": access_key}
    if ":assumed-role/" in arn:
        assumed = sts_backends[caller_account]["aws"].get_assumed_role_from_access_key(access_key)
        issuer = assumed.role_arn if assumed else f"arn:aws:iam::{caller_account}:role/{arn.split('/')[1]}"
        return {**identity, "type": "AssumedRole", "sessionContext": {"sessionIssuer": {
            "type": "Role", "principalId": principal_id.split(":")[0], "arn": issuer, "accountId": caller_account,
            "userName": issuer.rsplit("/", 1)[-1]}}}
    if arn.endswith(":root"):
        return {**identity, "type": "Root"}
    return {**identity, "type": "IAMUser", "userName": arn.rsplit("/", 1)[-1]}


def record(params: dict[str, Any], assumed_user: dict[str, str], caller_account: str, access_key: str,
           region: str, source_ip: str, user_agent: str) -> dict[str, Any]:
    """The CloudTrail record of one successful AssumeRole, as the role's account receives it."""
    role_arn = params["RoleArn"]
    owner = parse_arn(role_arn)["account"]  # type: ignore[index]
    request: dict[str, Any] = {"roleArn": role_arn, "roleSessionName": params["RoleSessionName"]}
    response: dict[str, Any] = {"assumedRoleUser": {"assumedRoleId": assumed_user["AssumedRoleId"], "arn": assumed_user["Arn"]}}
    if params.get("DurationSeconds"):
        request["durationSeconds"] = int(params["DurationSeconds"])
    if params.get("SourceIdentity"):
        request["sourceIdentity"] = response["sourceIdentity"] = params["SourceIdentity"]
    return {
        "eventVersion": "1.08", "userIdentity": _user_identity(caller_account, owner, access_key),
        "eventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "awsRegion": region,
        "sourceIPAddress": source_ip, "userAgent": user_agent,
        "requestParameters": request, "responseElements": response,
        "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()),
        "readOnly": True, "resources": [{"ARN": role_arn, "accountId": owner, "type": "AWS::IAM::Role"}],
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": owner, "eventCategory": "Management",
    }  # fmt: skip


def emit(detail: dict[str, Any]) -> None:
    from moto.events.models import events_backends

    entry = {"Source": "aws.sts", "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail), "Resources": []}
    events_backends[detail["recipientAccountId"]][detail["awsRegion"]].put_events([entry])


def apply() -> None:
    from moto.sts.responses import TokenResponse as R

    @wrap(R, "assume_role")
    def assume_role(orig: Any, self: Any) -> Any:
        result = orig(self)
        params = {k: self._get_param(k) for k in ("RoleArn", "RoleSessionName", "DurationSeconds", "SourceIdentity")}
        source_ip = getattr(self.normalized_request, "remote_addr", None) or "127.0.0.1"
        try:
            emit(record(params, result.result["AssumedRoleUser"], self.current_account, self.access_key, self.region,
                        source_ip, self.headers.get("User-Agent", "")))
        except Exception:  # recording or delivery problems must not fail the STS call (as in AWS)
            log.exception("sandbox: the CloudTrail record of AssumeRole %s was not delivered", params["RoleArn"])
        return result
