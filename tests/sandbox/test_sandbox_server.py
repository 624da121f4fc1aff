"""server entry point (READY line, control endpoints, SIGTERM) and events_input_template."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid

import requests
from sandbox_accounts import GOV


def test_server_process_ready_and_sigterm(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": os.path.join(root, "scripts")}
    cmd = [sys.executable, "-m", "sandbox.server", "--port", str(port), "--state-dir", str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == f"READY {port}"
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/_mlgov/health", timeout=10).json() == {"status": "ok"}
        assert requests.post(f"{base}/_mlgov/drain", timeout=10).json() == {"drained": True}
        assert requests.get(f"{base}/_mlgov/invocations", timeout=10).json() == {"invocations": []}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_input_transformer_and_account_in_delivered_events(aws):
    sqs, events = aws("sqs", GOV), aws("events", GOV)
    url = sqs.create_queue(QueueName=f"tmpl-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"r-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["mlgov.tmpl"]}))
    transformer = {"InputPathsMap": {"src": "$.source", "n": "$.detail.n"}, "InputTemplate": '{"src": <src>, "n": <n>, "text": "from <src>"}'}
    events.put_targets(Rule=rule, Targets=[{"Id": "raw", "Arn": arn}, {"Id": "tx", "Arn": arn, "InputTransformer": transformer}])
    try:
        entry = {"Source": "mlgov.tmpl", "DetailType": "t", "Detail": json.dumps({"n": 2})}
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    finally:
        events.remove_targets(Rule=rule, Ids=["raw", "tx"])
        events.delete_rule(Name=rule)
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert {"src": "mlgov.tmpl", "n": 2, "text": "from mlgov.tmpl"} in bodies
    assert [b["account"] for b in bodies if "account" in b] == [GOV]


def test_apply_all_is_idempotent(aws):
    from moto.sagemaker.responses import SageMakerResponse
    from sandbox.patches import apply_all

    before = SageMakerResponse.create_model_package
    apply_all()
    assert SageMakerResponse.create_model_package is before
