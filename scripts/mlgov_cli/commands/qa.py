"""QA: `mlgov qa` runs integration checks against a use case's test API and reports QA metrics.

As the test account's metrics-publisher role (execute-api:Invoke on POST /predict, events:PutEvents
on the governance metrics bus):
1. health check: one valid request answers 200 with prediction, variant and model_version == --version;
2. bad request: malformed JSON is refused with a 4xx;
3. every labelled sample row is sent as {"instances": [features]}; latency is measured per request;
4. auc, accuracy, p50/p95 latency, error count go on the metrics bus as a "Model Metrics Reported"
   event (docs/metrics-events.md, kind qa, stage Test), where metrics-ingest records them.
Exit 1 when an integration check fails (after a failed health check nothing is measured or reported).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import click
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from mlgov_cli.api_client import DEFAULT_STAGE, ApiAnswer, InferenceApiClient, find_api_id, inference_api_name, predict_url
from mlgov_cli.context import Context
from mlgov_cli.errors import AwsFailure, CliError, RuleViolation, aws_failure
from mlgov_cli.options import use_case_config
from mlgov_cli.output import console, emit, progress_console
from mlgov_cli.qa_metrics import QaSample
from mlgov_config import AccountRole
from mlgov_core import timeparse

SESSION_NAME = "mlgov-qa"
BAD_REQUEST_BODY = b'{"instances": [1, 2'  # not JSON: API Gateway's validator or the proxy answers 400


# ---------------------------------------------------------------- input

def read_sample(path: Path) -> list[tuple[list[float], int]]:
    """Rows of {"features": [numbers], "label": 0|1}, one JSON object a line; blank lines are skipped.

    A .csv file is read as `mlgov train --sample` writes it: feature columns, then the label.
    """
    if path.suffix == ".csv":
        from mlgov_cli.training import read_labelled_sample

        try:
            _, features, labels = read_labelled_sample(path)
        except (OSError, ValueError, IndexError, StopIteration) as error:
            raise CliError(f"cannot read the sample {path}: {error}") from None
        if not features:
            raise CliError(f"{path}: the sample has no rows")
        return list(zip(features, labels, strict=True))
    rows: list[tuple[list[float], int]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read the sample {path}: {error}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise CliError(f"{where}: not JSON ({error.msg})") from None
        if not isinstance(row, dict) or set(row) - {"features", "label"} or "features" not in row or "label" not in row:
            raise CliError(f'{where}: expected {{"features": [...], "label": 0|1}}, got {line.strip()[:120]}')
        features, label = row["features"], row["label"]
        if (not isinstance(features, list) or not features
                or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and math.isfinite(f) for f in features)):
            raise CliError(f"{where}: features must be a non-empty list of finite numbers")
        if label not in (0, 1) or isinstance(label, bool):
            raise CliError(f"{where}: label must be 0 or 1, got {label!r}")
        rows.append((features, int(label)))
    if not rows:
        raise CliError(f"{path}: the sample has no rows")
    return rows


def extract_score(body: Any) -> float | None:
    """The positive-class score in a proxy answer {"prediction": ...}; None if there is none.

    Accepts the shapes endpoints commonly return: {"predictions": [s]}, [s], [[s]], s, {"score": s},
    and class probabilities [p0, p1] (the last one is the positive class).
    """
    if not isinstance(body, dict) or "prediction" not in body:
        return None
    value = body["prediction"]
    for _ in range(4):
        if isinstance(value, dict):
            value = next((value[k] for k in ("predictions", "scores", "score", "probability") if k in value), None)
        elif isinstance(value, list):
            value = value[-1] if value and not isinstance(value[0], list) and len(value) > 1 else (value[0] if value else None)
        else:
            break
    if isinstance(value, bool) or value is None:
        return None
    try:
        score = float(value)
    except (TypeError, ValueError):
        return None
    return score if math.isfinite(score) else None


# ---------------------------------------------------------------- checks

def health_check(client: Any, features: list[float], version: int) -> dict[str, Any]:
    answer: ApiAnswer = client.post({"instances": [features]})
    problems = []
    if answer.status != 200:
        problems.append(f"HTTP {answer.status}: {json.dumps(answer.body, default=str)[:200]}")
    else:
        body = answer.body if isinstance(answer.body, dict) else {}
        missing = [k for k in ("prediction", "variant", "model_version") if k not in body]
        if missing:
            problems.append(f"answer lacks {', '.join(missing)}")
        if "model_version" in body and body["model_version"] != version:
            problems.append(f"model_version is {body['model_version']!r}, expected {version}: the test endpoint serves another version")
    detail = "; ".join(problems) or (f"200, variant {answer.body.get('variant')}, model_version {version}, "
                                     f"{answer.latency_ms:.0f} ms")
    return {"check": "health", "passed": not problems, "detail": detail, "status": answer.status}


def bad_request_check(client: Any) -> dict[str, Any]:
    answer: ApiAnswer = client.post(None, raw=BAD_REQUEST_BODY)
    passed = 400 <= answer.status < 500
    return {"check": "bad request refused", "passed": passed, "status": answer.status,
            "detail": f"malformed JSON -> HTTP {answer.status}" + ("" if passed else " (expected 4xx)")}


def measure(client: Any, rows: list[tuple[list[float], int]], on_row: Callable[[], None] = lambda: None) -> QaSample:
    sample = QaSample()
    for features, label in rows:
        try:
            answer: ApiAnswer = client.post({"instances": [features]})
            score = extract_score(answer.body) if answer.status == 200 else None
            sample.add(score, label, answer.latency_ms)
        except AwsFailure:
            sample.add(None, label, 0.0)
        on_row()
    return sample


# ---------------------------------------------------------------- AWS plumbing (replaceable in tests)

def make_api_client(ctx: Context, session: boto3.Session, url: str) -> Any:
    return InferenceApiClient(session, url, region=ctx.config.platform.home_region)


def resolve_url(ctx: Context, role_name: str, use_case: str, api_id: str | None, stage: str) -> str:
    if api_id is None:
        apigateway = ctx.client(AccountRole.TEST, role_name, "apigateway", SESSION_NAME)
        api_id = find_api_id(apigateway, inference_api_name(ctx.names.endpoint(use_case, AccountRole.TEST.value)))
    return predict_url(api_id, ctx.config.platform.home_region, stage, ctx.endpoint_url)


def metrics_detail(group: str, version: int, metrics: dict[str, float], reported_by: str,
                   window: tuple[str, str], reported_at: str, *, variant: str | None = None) -> dict[str, Any]:
    """The event detail (schema version 1), validated with the same model metrics-ingest uses.

    QA metrics (stage Test) by default; with ``variant``, production metrics of that prod variant.
    """
    from mlgov_core import metrics as metrics_events

    kind = metrics_events.Kind.PRODUCTION if variant else metrics_events.Kind.QA
    detail = {"schema_version": metrics_events.SCHEMA_VERSION, "model_package_group": group, "model_version": version,
              "stage": "Prod" if variant else "Test", "kind": kind.value, "window": {"start": window[0], "end": window[1]},
              "metrics": metrics, "reported_by": reported_by, "reported_at": reported_at,
              **({"variant": variant} if variant else {})}
    try:
        metrics_events.MetricsDetail.model_validate(detail)
    except ValidationError as error:
        raise CliError(f"the QA metrics do not form a valid metrics event: {error}") from None
    return detail


def publish(events: Any, bus_arn: str, detail: dict[str, Any]) -> str:
    from mlgov_core import metrics as metrics_events

    try:
        answer = events.put_events(Entries=[{"EventBusName": bus_arn, "Source": metrics_events.SOURCE,
                                             "DetailType": metrics_events.DETAIL_TYPE, "Detail": json.dumps(detail)}])
    except (ClientError, BotoCoreError) as error:
        raise aws_failure(f"PutEvents on {bus_arn}", error) from None
    entry = (answer.get("Entries") or [{}])[0]
    if answer.get("FailedEntryCount") or "EventId" not in entry:
        raise AwsFailure(f"the metrics bus refused the event: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}")
    return entry["EventId"]


@contextmanager
def row_progress(ctx: Context, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for a person watching; nothing in --json mode or without a terminal."""
    if ctx.json_output or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("sending sample"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=progress_console, transient=True) as bar:
        task = bar.add_task("rows", total=total)
        yield lambda: bar.advance(task)


# ---------------------------------------------------------------- command

@click.command("qa")
@click.option("--use-case", required=True, help="The use case whose test deployment is checked.")
@click.option("--version", type=click.IntRange(min=1), required=True, help="The version the test endpoint must serve.")
@click.option("--sample", "sample_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help='Labelled rows: JSON lines {"features": [...], "label": 0|1}, or the CSV that `mlgov train --sample` writes.')
@click.option("--as-role", "role_name", help="Role in the test account (default: <prefix>-metrics-publisher).")
@click.option("--api-id", help="The test REST API id (default: looked up by name with GetRestApis).")
@click.option("--api-stage", default=DEFAULT_STAGE, show_default=True, help="The API Gateway stage.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="Score threshold for accuracy.")
@click.option("--no-publish", is_flag=True, help="Measure and print, but do not put the metrics on the bus.")
@click.pass_obj
def qa(ctx: Context, use_case: str, version: int, sample_path: Path, role_name: str | None, api_id: str | None,
       api_stage: str, threshold: float, no_publish: bool) -> None:
    """Integration checks and QA metrics for VERSION of a use case, through its test API (SigV4)."""
    uc = use_case_config(ctx, use_case)
    rows = read_sample(sample_path)
    role_name = role_name or f"{ctx.config.platform.name_prefix}-metrics-publisher"
    group = uc.model_package_group.name
    try:
        session = ctx.session(AccountRole.TEST, role_name, SESSION_NAME)
        url = resolve_url(ctx, role_name, use_case, api_id, api_stage)
    except (ClientError, BotoCoreError) as error:
        raise aws_failure(f"acting as {role_name} in the test account", error) from None
    client = make_api_client(ctx, session, url)
    result: dict[str, Any] = {"use_case": use_case, "group": group, "version": version, "url": url, "role": role_name,
                              "checks": [], "metrics": {}, "published": False, "event_id": None,
                              "bus": ctx.names.metrics_bus_arn()}

    health = health_check(client, rows[0][0], version)
    result["checks"].append(health)
    if not health["passed"]:
        _print(ctx, result)
        raise RuleViolation(f"health check failed: {health['detail']}; nothing measured or reported")
    result["checks"].append(bad_request_check(client))

    started = timeparse.now_iso()
    with row_progress(ctx, len(rows)) as advance:
        sample = measure(client, rows, advance)
    ended = timeparse.now_iso()
    checks_passed = all(c["passed"] for c in result["checks"])
    metrics = {**sample.metrics(threshold), "checks_passed": 1.0 if checks_passed else 0.0}
    result["metrics"] = metrics
    if "auc" not in metrics:
        result["warning"] = "AUC is undefined: the answered rows hold only one class"

    if not no_publish:
        test_account = ctx.config.platform.account_id(AccountRole.TEST)
        reported_by = ctx.names.partition.arn("sts", "", test_account, f"assumed-role/{role_name}/{SESSION_NAME}")
        detail = metrics_detail(group, version, metrics, reported_by, (started, ended), ended)
        events = ctx.client(AccountRole.TEST, role_name, "events", SESSION_NAME)
        result["event_id"] = publish(events, result["bus"], detail)
        result["published"] = True
        result["reported_at"] = ended
    result["passed"] = checks_passed
    _print(ctx, result)
    if not checks_passed:
        failed = [c["check"] for c in result["checks"] if not c["passed"]]
        raise RuleViolation(f"integration check(s) failed: {', '.join(failed)}")


def _print(ctx: Context, result: dict[str, Any]) -> None:
    if ctx.json_output:
        print(json.dumps(result, default=str, indent=2, sort_keys=True))
        return
    emit(ctx, [{"check": c["check"], "result": "pass" if c["passed"] else "FAIL", "detail": c["detail"]}
               for c in result["checks"]], ["check", "result", "detail"],
         title=f"QA of {result['group']} version {result['version']}")
    if result["metrics"]:
        emit(ctx, [{"metric": k, "value": f"{v:g}"} for k, v in sorted(result["metrics"].items())],
             ["metric", "value"], title="QA metrics")
    if result.get("warning"):
        console.print(f"warning: {result['warning']}")
    if result["published"]:
        console.print(f"reported to {result['bus']} (event {result['event_id']}); metrics-ingest records them in the "
                      "table and the version's registry metadata")


COMMANDS = (qa,)
