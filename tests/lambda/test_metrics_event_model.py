"""Parsing of the "Model Metrics Reported" event (schema version 1): strict types, errors name field and value."""

from decimal import Decimal

import pytest
from metrics_testkit import PROD_ACCOUNT, SETTINGS, TEST_ACCOUNT, production_event, qa_event

from mlgov_core import keys, metrics
from mlgov_core.metrics import Kind, MetricsEventError, parse_metrics_event
from mlgov_core.events import MalformedEventError


def parse(event, now=None):
    return parse_metrics_event(event, account_for_kind=SETTINGS.account_for_kind,
                               known_groups=frozenset(SETTINGS.use_case_by_group), now=now)


def test_fixtures_parse_and_times_are_normalized():
    qa = parse(qa_event()).detail
    assert (qa.kind, qa.stage, qa.variant, qa.reported_at) == (Kind.QA, "Test", None, "2025-03-06T09:30:01.250Z")
    prod = parse(production_event()).detail
    assert prod.reported_at == "2025-03-10T12:00:04.000Z"  # from epoch milliseconds
    assert (prod.window.start, prod.window.end) == ("2025-03-10T11:00:00.000Z", "2025-03-10T12:00:00.000Z")
    assert prod.metrics["invocations"] == Decimal("18234")


def test_metrics_event_error_is_a_malformed_event_error():
    assert issubclass(MetricsEventError, MalformedEventError)


def test_qa_may_name_the_variant_it_ran_against_but_keeps_one_latest_item():
    event = parse(qa_event(variant="variant-a"))
    latest, _ = metrics.build_items(event, model_package_arn="arn", recorded_at="2025-03-06T10:00:00.000Z")
    assert latest["sk"] == keys.metrics_sk("qa") == "METRICS#qa"
    assert latest["variant"] == "variant-a"


def test_production_latest_item_is_per_variant():
    latest, history = metrics.build_items(parse(production_event()), model_package_arn="arn", recorded_at="x")
    assert latest["sk"] == "METRICS#production#variant-a"
    assert history["sk"].startswith("HIST#2025-03-10T12:00:04.000Z#")
    assert {"model_group", "use_case", "stage_status"}.isdisjoint(latest) and "change_day" not in latest


def test_idempotency_key_depends_on_the_report_not_the_delivery():
    key = metrics.idempotency_key
    base = parse(qa_event()).detail
    assert key(parse(dict(qa_event(), id="other", time="2025-03-06T10:00:00Z")).detail) == key(base)
    assert key(parse(qa_event(reported_at="2025-03-06T09:30:01.251Z")).detail) != key(base)
    assert key(parse(qa_event(metrics={"auc": 0.913})).detail) != key(base)
    assert key(parse(qa_event(variant="variant-b")).detail) != key(base)


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        (qa_event(metrics={"auc": True}), "detail.metrics.auc=True: must be a JSON number"),
        (qa_event(metrics={"auc": "0.9"}), "detail.metrics.auc='0.9': must be a JSON number"),
        (qa_event(metrics={"auc": float("inf")}), "detail.metrics.auc=inf: must be a finite number"),
        (qa_event(metrics={"big": 10**40}), "detail.metrics.big=1000"),
        (qa_event(metrics={"reported_at": 1}), "detail.metrics.reported_at.[key]='reported_at': reserved name"),
        (qa_event(metrics={"a" * 65: 1}), "metric names must match [a-z0-9_]{1,64}"),
        (qa_event(metrics={f"m{i}": i for i in range(33)}), "detail.metrics="),
        (qa_event(model_version="1"), "detail.model_version='1'"),
        (qa_event(model_version=True), "detail.model_version=True"),
        (qa_event(model_version=0), "detail.model_version=0"),
        (qa_event(model_version=None), "detail.model_version=<missing>"),
        (qa_event(schema_version="1"), "detail.schema_version='1': unsupported schema version"),
        (qa_event(schema_version=None), "detail.schema_version=<missing>"),
        (qa_event(variant="variant a"), "detail.variant='variant a'"),
        (qa_event(model_package_group="fraud_detection"), "detail.model_package_group='fraud_detection'"),
        (qa_event(reported_by="qa (ci)"), "detail.reported_by='qa (ci)'"),
        (qa_event(reported_by=None), "detail.reported_by=<missing>"),
        (qa_event(reported_at="yesterday"), "detail.reported_at='yesterday'"),
        (qa_event(window={"start": "2025-03-06T10:00:00Z", "end": "2025-03-06T09:00:00Z"}), "detail.window.end='2025-03-06T09:00:00.000Z': before window.start"),
        (qa_event(window={"start": "2025-03-06T10:00:00Z"}), "detail.window.end=<missing>"),
        (qa_event(metric={"auc": 0.9}), "detail.metric={'auc': 0.9}: Extra inputs are not permitted"),
        (qa_event(model_package_arn="arn:aws:sagemaker:eu-west-1:123456789012:model-package/fraud-detection/2"),
         "not version 1 of group 'fraud-detection'"),
        (dict(qa_event(), source="aws.sagemaker"), "source='aws.sagemaker'"),
        (dict(qa_event(), **{"detail-type": "Metrics"}), "detail-type='Metrics'"),
        ("not an event", "expected a JSON object, got str"),
    ],
)
def test_malformed_events_name_field_and_value(event, needle):
    with pytest.raises(MetricsEventError) as raised:
        parse(event)
    assert needle in str(raised.value)


def test_every_problem_is_reported_at_once():
    event = qa_event(metrics={"auc": float("nan")}, stage="Staging", schema_version=2)
    with pytest.raises(MetricsEventError) as raised:
        parse(event)
    message = str(raised.value)
    assert all(field in message for field in ("detail.metrics.auc", "detail.stage", "detail.schema_version"))


def test_accounts_decide_which_kind_may_come_from_where():
    assert parse(dict(qa_event(), account=TEST_ACCOUNT))
    assert parse(dict(production_event(), account=PROD_ACCOUNT))
    with pytest.raises(MetricsEventError, match="account='123456789012'"):
        parse(dict(qa_event(), account="123456789012"))


def test_reports_slightly_ahead_of_the_clock_are_accepted():
    assert parse(qa_event(), now="2025-03-06T09:26:02.000Z")  # 4 minutes of clock skew
    with pytest.raises(MetricsEventError, match="in the future"):
        parse(qa_event(), now="2025-03-06T09:25:00.000Z")
