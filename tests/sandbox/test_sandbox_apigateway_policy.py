"""apigateway_policy_readback: a REST API's resource policy reads back JSON-escaped, as API Gateway returns it."""

from __future__ import annotations

import json

from sandbox_accounts import GOV

POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "Callers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{GOV}:root"},
                                                  "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}


def test_policy_reads_back_escaped_and_unescapes_to_what_was_put(aws):
    apigateway = aws("apigateway")
    api = apigateway.create_rest_api(name="policy-readback")["id"]
    apigateway.update_rest_api(restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(POLICY)}])
    read = apigateway.get_rest_api(restApiId=api)["policy"]
    assert read.startswith('{\\"Version\\"'), read[:40]
    # What the provider does with it: unquote the escaped string, then parse the JSON.
    assert json.loads(json.loads(f'"{read}"')) == POLICY
