"""`mlgov qa`: URL building and SigV4 signing of the API client, and the command end to end with an
injected fake inference API, moto in process, and the governance metrics bus captured through a
rule to an SQS queue (the event is read back and parsed as metrics-ingest would)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from governance_testkit import PROD_ACCOUNT, REGION, TEST_ACCOUNT, aws_env, capture_metrics_bus, repo_config, run  # noqa: F401

from mlgov_cli import api_client
from mlgov_cli.api_client import ApiAnswer, InferenceApiClient, find_api_id, predict_url
from mlgov_cli.commands import qa as qa_command
from mlgov_cli.context import Context
from mlgov_cli.errors import CliError
from mlgov_cli.qa_metrics import auc
from mlgov_config import AccountRole
from mlgov_core import metrics


# ------------------------------------------------------------------ api_client: URL and signing

def test_predict_url_on_aws_and_in_the_sandbox() -> None:
    assert predict_url("a1b2c3", "eu-west-1") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/v1/predict"
    assert predict_url("a1b2c3", "eu-west-1", "prod") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod/predict"
    assert (predict_url("a1b2c3", "eu-west-1", endpoint_url="http://127.0.0.1:5000/")
            == "http://127.0.0.1:5000/_mlgov/execute-api/a1b2c3/v1/predict")
    assert api_client.inference_api_name("mlgov-credit-risk-test") == "mlgov-credit-risk-test-inference"


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                         aws_session_token="session-token", region_name=REGION)


def test_requests_are_signed_for_execute_api_in_the_region() -> None:
    client = InferenceApiClient(_session(), predict_url("abc123", REGION))
    request = client.signed_request(b'{"instances": [[1, 2]]}')
    auth = request.headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert f"/{REGION}/execute-api/aws4_request" in auth
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "x-amz-security-token"} <= set(signed)
    assert request.headers["X-Amz-Security-Token"] == "session-token"
    assert request.headers["Content-Type"] == "application/json"


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Recorder.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        ok = body.startswith(b"{") and body.endswith(b"}")
        payload = json.dumps({"prediction": {"predictions": [0.25]}, "variant": "AllTraffic", "model_version": 3}
                             if ok else {"message": "Invalid request body"}).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


def test_post_sends_the_signed_request_and_times_it() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        client = InferenceApiClient(_session(), predict_url("abc123", REGION, endpoint_url=endpoint))
        good = client.post({"instances": [[1.5, 2]]})
        bad = client.post(None, raw=b'{"instances": [1')
    finally:
        server.shutdown()
    assert good.status == 200 and good.body["model_version"] == 3 and good.latency_ms > 0
    assert qa_command.extract_score(good.body) == 0.25
    assert bad.status == 400 and bad.body == {"message": "Invalid request body"}
    first = _Recorder.seen[0]
    assert first["path"] == "/_mlgov/execute-api/abc123/v1/predict"
    assert json.loads(first["body"]) == {"instances": [[1.5, 2]]}
    assert first["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")


@pytest.mark.parametrize("body, score", [
    ({"prediction": {"predictions": [0.3]}}, 0.3), ({"prediction": [0.3]}, 0.3), ({"prediction": [[0.3]]}, 0.3),
    ({"prediction": 0.3}, 0.3), ({"prediction": {"score": 0.3}}, 0.3), ({"prediction": [0.7, 0.3]}, 0.3),
    ({"prediction": "0.3"}, 0.3), ({"prediction": None}, None), ({"prediction": "yes"}, None),
    ({"message": "boom"}, None), ("text", None), ({"prediction": True}, None),
])
def test_extract_score_shapes(body: Any, score: float | None) -> None:
    assert qa_command.extract_score(body) == score


# ------------------------------------------------------------------ the command

@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The repository config as it is: qa needs only credit-risk."""
    return repo_config(tmp_path, with_fraud=False)


@pytest.fixture
def bus(aws_env: None, config_dir: Path) -> Any:
    """The governance metrics bus (policy: the test account, source mlgov.metrics) with a rule to an SQS queue."""
    return capture_metrics_bus(Context(config_dir=config_dir))


ROWS = [([1.0, 0.2], 1, 0.9), ([2.0, 0.1], 0, 0.2), ([3.0, 0.5], 1, 0.6), ([4.0, 0.3], 0, 0.7),
        ([5.0, 0.9], 1, 0.4), ([6.0, 0.4], 0, 0.1)]


class FakeApi:
    """Answers like the inference proxy: a score per features, fixed latencies, 400 for malformed JSON."""

    def __init__(self, version: int = 3, bad_request_status: int = 400, failing: set[float] = frozenset()) -> None:
        self.version, self.bad_request_status, self.failing = version, bad_request_status, failing
        self.scores = {tuple(f): s for f, _, s in ROWS}
        self.requests: list[Any] = []
        self.latencies = iter(float(ms) for ms in range(10, 1000, 10))

    def post(self, payload: Any, *, raw: bytes | None = None) -> ApiAnswer:
        self.requests.append(raw if raw is not None else payload)
        if raw is not None:
            return ApiAnswer(self.bad_request_status, {"message": "Invalid request body"}, 1.0)
        features = tuple(payload["instances"][0])
        if features[0] in self.failing:
            return ApiAnswer(502, {"message": "the model failed"}, next(self.latencies))
        return ApiAnswer(200, {"prediction": {"predictions": [self.scores[features]]}, "variant": "AllTraffic",
                               "model_version": self.version}, next(self.latencies))


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.jsonl"
    path.write_text("".join(json.dumps({"features": f, "label": y}) + "\n" for f, y, _ in ROWS) + "\n")
    return path


def install(monkeypatch: pytest.MonkeyPatch, fake: FakeApi) -> dict[str, Any]:
    made: dict[str, Any] = {}

    def factory(ctx: Context, session: boto3.Session, url: str) -> FakeApi:
        made.update(url=url, session=session)
        return fake

    monkeypatch.setattr(qa_command, "make_api_client", factory)
    return made


def test_qa_checks_measures_and_reports_on_the_metrics_bus(bus: Any, config_dir: Path, sample: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi()
    made = install(monkeypatch, fake)
    # the test API is found by name in the test account (GetRestApis as the publisher role)
    ctx = Context(config_dir=config_dir)
    apigw = ctx.client(AccountRole.TEST, "mlgov-metrics-publisher", "apigateway")
    api_id = apigw.create_rest_api(name="mlgov-credit-risk-test-inference")["id"]

    result = run(config_dir, "--json", "qa", "--use-case", "credit-risk", "--version", "3", "--sample", str(sample))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert made["url"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com/v1/predict"
    assert [c["check"] for c in summary["checks"]] == ["health", "bad request refused"]
    assert all(c["passed"] for c in summary["checks"]) and summary["passed"] and summary["published"]
    # 1 health + 1 bad request + 6 rows
    assert len(fake.requests) == 8 and fake.requests[1] == qa_command.BAD_REQUEST_BODY
    assert fake.requests[2:] == [{"instances": [f]} for f, _, _ in ROWS]

    expected_auc = auc([s for _, _, s in ROWS], [y for _, y, _ in ROWS])
    m = summary["metrics"]
    assert m["auc"] == pytest.approx(expected_auc, abs=1e-6)
    assert m["accuracy"] == pytest.approx(4 / 6, abs=1e-6)  # 0.9/1, 0.2/0, 0.6/1, 0.7/0 wrong, 0.4/1 wrong, 0.1/0
    # latencies of the rows: 20..70 ms (the health check took 10 ms)
    assert m["p50_latency_ms"] == 45.0 and m["p95_latency_ms"] == pytest.approx(67.5)
    assert m["error_count"] == 0 and m["requests"] == 6 and m["checks_passed"] == 1

    events = bus()
    assert len(events) == 1
    event = events[0]
    assert event["source"] == "mlgov.metrics" and event["detail-type"] == "Model Metrics Reported"
    # The event reached the governance bus through its policy (test account only, source mlgov.metrics).
    # EventBridge sets "account" to the sender's, the test account (moto drops it; the sandbox's patch sets it).
    assert event["account"] == TEST_ACCOUNT
    parsed = metrics.parse_metrics_event(event, account_for_kind={metrics.Kind.QA: TEST_ACCOUNT,
                                                                  metrics.Kind.PRODUCTION: PROD_ACCOUNT},
                                         known_groups=frozenset({"credit-risk"}))
    detail = parsed.detail
    assert (detail.schema_version, detail.kind.value, detail.stage, detail.model_package_group, detail.model_version) == \
        (1, "qa", "Test", "credit-risk", 3)
    assert float(detail.metrics["auc"]) == pytest.approx(expected_auc, abs=1e-6)
    assert detail.reported_by == f"arn:aws:sts::{TEST_ACCOUNT}:assumed-role/mlgov-metrics-publisher/mlgov-qa"
    assert detail.window is not None and detail.window.start <= detail.window.end == detail.reported_at


def test_qa_table_output_and_errors_counted(bus: Any, config_dir: Path, sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, FakeApi(failing={3.0}))
    result = run(config_dir, "qa", "--use-case", "credit-risk", "--version", "3", "--sample", str(sample), "--api-id", "abc")
    assert result.exit_code == 0, result.output
    assert "health" in result.output and "p95_latency_ms" in result.output and "reported to" in result.output
    detail = bus()[0]["detail"]
    assert detail["metrics"]["error_count"] == 1 and detail["metrics"]["requests"] == 6


def test_failed_health_check_exits_1_and_reports_nothing(bus: Any, config_dir: Path, sample: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeApi(version=2)
    install(monkeypatch, fake)
    result = run(config_dir, "qa", "--use-case", "credit-risk", "--version", "3", "--sample", str(sample), "--api-id", "abc")
    assert result.exit_code == 1
    assert "health check failed" in result.output and "model_version is 2, expected 3" in result.output
    assert len(fake.requests) == 1 and bus() == []


def test_accepted_bad_request_exits_1_but_reports_the_metrics(bus: Any, config_dir: Path, sample: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, FakeApi(bad_request_status=200))
    result = run(config_dir, "qa", "--use-case", "credit-risk", "--version", "3", "--sample", str(sample), "--api-id", "abc")
    assert result.exit_code == 1 and "bad request refused" in result.output
    assert bus()[0]["detail"]["metrics"]["checks_passed"] == 0


def test_no_publish_and_bad_input(bus: Any, config_dir: Path, sample: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, FakeApi())
    ok = run(config_dir, "--json", "qa", "--use-case", "credit-risk", "--version", "3", "--sample", str(sample),
             "--api-id", "abc", "--no-publish")
    assert ok.exit_code == 0 and json.loads(ok.output)["published"] is False and bus() == []

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"features": [1, 2], "label": 1}\n{"features": [1, "x"], "label": 0}\n')
    result = run(config_dir, "qa", "--use-case", "credit-risk", "--version", "3", "--sample", str(broken), "--api-id", "abc")
    assert result.exit_code == 2 and "broken.jsonl:2: features must be a non-empty list of finite numbers" in result.output
    broken.write_text('{"features": [1, 2], "label": 2}\n')
    result = run(config_dir, "qa", "--use-case", "credit-risk", "--version", "3", "--sample", str(broken), "--api-id", "abc")
    assert result.exit_code == 2 and "label must be 0 or 1" in result.output
    result = run(config_dir, "qa", "--use-case", "nope", "--version", "3", "--sample", str(sample), "--api-id", "abc")
    assert result.exit_code == 2 and "unknown use case 'nope'" in result.output


def test_find_api_id_by_name(aws_env: None) -> None:
    apigw = boto3.client("apigateway", region_name=REGION)
    wanted = apigw.create_rest_api(name="mlgov-credit-risk-test-inference")["id"]
    apigw.create_rest_api(name="something-else")
    assert find_api_id(apigw, "mlgov-credit-risk-test-inference") == wanted
    with pytest.raises(CliError, match="found 0: is the test stack applied"):
        find_api_id(apigw, "mlgov-fraud-test-inference")
