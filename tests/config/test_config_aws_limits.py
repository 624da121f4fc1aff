"""What AWS would refuse at apply is refused by the loader: derived names over AWS's limits (naming the
field that makes them long, the name and the limit), and bucket names, role and layer ARNs and e-mail
addresses that break AWS's rules."""

from __future__ import annotations

import pytest

from config_edits import CREDIT_RISK, PLATFORM, refusal, replace_line
from mlgov_config import load_config
from mlgov_config.aws_rules import bucket_name, email_address, layer_arn, role_arn
from modules.naming import NAME_LIMITS, Names

LAYER = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:18"
PREFIX_21 = "abcdefghijklmnopqrstu"  # the longest name_prefix the pattern allows

# ------------------------------------------------------------------ derived names

def _long_use_case(config_dir):
    """A 40-character use case: its name fits the pattern, its prod endpoint's function role does not."""
    name = "u" * 40
    text = (config_dir / CREDIT_RISK).read_text().replace("name: credit-risk\n", f"name: {name}\n", 1)
    (config_dir / CREDIT_RISK).unlink()
    (config_dir / "use_cases" / f"{name}.yaml").write_text(text)
    return f"use_cases/{name}.yaml"


def test_a_long_use_case_name_is_refused_naming_the_field_the_name_and_the_limit(config_dir):
    rel = _long_use_case(config_dir)
    message = refusal(config_dir)
    assert f"{rel}: field 'name': makes the IAM role name 'mlgov-{'u' * 40}-prod-inference-lambda' refused by AWS: " \
           f"{len('mlgov-' + 'u' * 40 + '-prod-inference-lambda')} characters; AWS allows 1 to 64" in message, message
    assert f"'mlgov-{'u' * 40}-prod-data-quality-monitor'" in message  # the monitor's role too
    assert "Lambda function name" not in message and "SageMaker endpoint name" not in message  # 61 and 51 fit
    assert "Traceback" not in message


def _platform(config_dir, prefix: str, region: str) -> None:
    replace_line(config_dir, PLATFORM, "name_prefix: mlgov", f"name_prefix: {prefix}")
    replace_line(config_dir, PLATFORM, "home_region: eu-west-1", f"home_region: {region}")
    replace_line(config_dir, PLATFORM, LAYER, LAYER.replace("eu-west-1", region))
    replace_line(config_dir, CREDIT_RISK, "s3://mlgov-artifacts-111111111111-eu-west-1/",
                 f"s3://{prefix}-artifacts-111111111111-{region}/")


def test_the_longest_prefix_and_region_together_overflow_the_mlflow_bucket(config_dir):
    _platform(config_dir, PREFIX_21, "ap-southeast-1")
    message = refusal(config_dir)
    expected = f"{PREFIX_21}-mlflow-artifacts-222222222222-ap-southeast-1"
    assert f"platform.yaml: field 'name_prefix, home_region': makes the S3 bucket name {expected!r} refused by AWS: " \
           f"{len(expected)} characters; AWS allows 3 to 63" in message, message


def test_the_longest_prefix_fits_with_a_short_region(config_dir):
    _platform(config_dir, PREFIX_21, "eu-west-1")  # 61 characters: fits
    assert load_config(config_dir).platform.name_prefix == PREFIX_21


@pytest.mark.parametrize("prefix, rule", [
    ("xn--ml", "starting with 'xn--'"),
    ("sthree-ml", "starting with 'sthree-'"),
    ("amzn-s3-demo-ml", "starting with 'amzn-s3-demo-'"),
])
def test_a_prefix_that_s3_reserves_is_refused_through_the_bucket_names(config_dir, prefix, rule):
    replace_line(config_dir, PLATFORM, "name_prefix: mlgov", f"name_prefix: {prefix}")
    message = refusal(config_dir)
    assert f"field 'name_prefix, home_region': makes the S3 bucket name '{prefix}-artifacts-111111111111-eu-west-1'" in message
    assert rule in message, message


def test_every_derived_name_of_the_committed_config_fits_and_has_a_limit():
    config = load_config("config")
    names = Names.from_config(config).derived_names(config.platform, tuple(config.use_cases.values()))
    assert {n.resource for n in names} == set(NAME_LIMITS)  # the table lists no kind the stacks do not create
    assert [n for n in names if n.problem()] == []


@pytest.mark.parametrize("resource, name, too_long", [
    ("aws_iam_role", "r" * 64, "r" * 65),
    ("aws_lambda_function", "f" * 64, "f" * 65),
    ("aws_sagemaker_endpoint", "e" * 63, "e" * 64),
    ("aws_sqs_queue", "q" * 80, "q" * 81),
    ("aws_cloudwatch_event_rule", "r" * 64, "r" * 65),
    ("aws_s3_bucket", "b" * 63, "b" * 64),
    ("aws_dynamodb_table", "t" * 255, "tt"),
])
def test_the_limits_cut_at_aws_s_numbers(resource, name, too_long):
    from modules.naming import DerivedName

    assert DerivedName(resource, name, "f").problem() is None
    assert "AWS allows" in DerivedName(resource, too_long, "f").problem()


# ------------------------------------------------------------------ AWS's rules for values in config

BUCKETS_REFUSED = [
    ("ab", "3 to 63"), ("a" * 64, "3 to 63"), ("My-Bucket", "lower-case"), ("-bucket", "starting and ending"),
    ("bucket-", "starting and ending"), ("my..bucket", "adjacent periods"), ("my_bucket", "lower-case"),
    ("192.168.5.4", "IP address"), ("xn--bucket", "'xn--'"), ("sthree-bucket", "'sthree-'"),
    ("amzn-s3-demo-bucket", "'amzn-s3-demo-'"), ("bucket-s3alias", "'-s3alias'"), ("bucket--ol-s3", "'--ol-s3'"),
    ("bucket.mrap", "'.mrap'"), ("bucket--x-s3", "'--x-s3'"), ("bucket--table-s3", "'--table-s3'"),
]


@pytest.mark.parametrize("value, rule", BUCKETS_REFUSED, ids=[b[0][:20] for b in BUCKETS_REFUSED])
def test_bucket_rules(value, rule):
    with pytest.raises(ValueError) as refused:
        bucket_name(value)
    assert rule in str(refused.value)


@pytest.mark.parametrize("value", ["abc", "mlgov-terraform-state-111111111111", "my.bucket.1", "a" * 63, "1.2.3.4.5"])
def test_bucket_names_s3_takes(value):
    assert bucket_name(value) == value


def test_the_state_bucket_is_refused_by_s3_s_rules_in_the_loader(config_dir):
    replace_line(config_dir, PLATFORM, "bucket: mlgov-terraform-state-111111111111", "bucket: xn--terraform-state")
    message = refusal(config_dir)
    assert "platform.yaml: field 'state_backend.bucket': S3 reserves bucket names starting with 'xn--'" in message, message


ROLES_REFUSED = [
    ("arn:aws:iam::111111111111:root", "not an IAM role ARN"),
    ("arn:aws:iam::111111111111:user/alice", "not an IAM role ARN"),
    ("arn:aws:sts::111111111111:assumed-role/r/session", "not an IAM role ARN"),
    ("arn:aws:iam::11111111111:role/r", "not an IAM role ARN"),
    ("arn:awsx:iam::111111111111:role/r", "not an IAM role ARN"),
    ("arn:aws:iam::111111111111:role/", "role name ''"),
    ("arn:aws:iam::111111111111:role/sso/", "role name ''"),
    ("arn:aws:iam::111111111111:role/" + "r" * 65, "1 to 64"),
    ("arn:aws:iam::111111111111:role/bad name", "role name 'bad name'"),
    ("arn:aws:iam::111111111111:role/" + "p/" * 256 + "r", "path is 513"),
    ("arn:aws:iam::111111111111:role/r\n", "role name 'r\\n'"),
]


@pytest.mark.parametrize("value, rule", ROLES_REFUSED, ids=[r[0][-24:] for r in ROLES_REFUSED])
def test_trust_arn_rules(value, rule):
    with pytest.raises(ValueError) as refused:
        role_arn(value)
    assert rule in str(refused.value), str(refused.value)


@pytest.mark.parametrize("value", [
    "arn:aws:iam::111111111111:role/mlgov-cd-pipeline", "arn:aws:iam::222222222222:role/sso/team/users",
    "arn:aws-us-gov:iam::111111111111:role/r", "arn:aws-cn:iam::111111111111:role/a+b=c,d.e@f_g-h", "arn:aws:iam::111111111111:role/" + "r" * 64,
])
def test_trust_arns_iam_takes(value):
    assert role_arn(value) == value


def test_a_trust_arn_with_a_too_long_role_name_is_refused_naming_the_list_entry(config_dir):
    replace_line(config_dir, PLATFORM, "    - arn:aws:iam::111111111111:role/mlgov-cd-pipeline",
                 "    - arn:aws:iam::111111111111:role/" + "p" * 65)
    message = refusal(config_dir)
    assert "field 'role_trust.deployer.0': the role name" in message and "1 to 64" in message, message


LAYERS_REFUSED = [
    ("arn:aws:lambda:eu-west-1:017000801446:layer:Powertools", "not a Lambda layer version ARN"),
    ("arn:aws:lambda:eu-west-1:017000801446:layer:Powertools:0", "positive whole number"),
    ("arn:aws:lambda:eu-west-1:017000801446:layer:Powertools:07", "positive whole number"),
    ("arn:aws:lambda:eu-west-1:017000801446:layer:Powertools:-1", "positive whole number"),
    ("arn:aws:lambda:eu-west-1:017000801446:layer:Power.tools:3", "layer name"),
    ("arn:aws:lambda:eu-west-1:017000801446:layer:" + "p" * 141 + ":3", "1 to 140"),
    ("arn:aws:lambda:eu-west-1:17000801446:layer:Powertools:3", "not a Lambda layer version ARN"),
    ("arn:aws:lambda:europe:017000801446:layer:Powertools:3", "not a Lambda layer version ARN"),
    ("arn:aws:lambda:eu-west-1:017000801446:function:Powertools:3", "not a Lambda layer version ARN"),
]


@pytest.mark.parametrize("value, rule", LAYERS_REFUSED, ids=[v[0][-20:] for v in LAYERS_REFUSED])
def test_layer_arn_rules(value, rule):
    with pytest.raises(ValueError) as refused:
        layer_arn(value)
    assert rule in str(refused.value), str(refused.value)


def test_layer_arns_lambda_takes():
    assert layer_arn(LAYER) == LAYER
    assert layer_arn("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:layer:my_layer-2:1")


def test_a_layer_of_another_region_is_refused(config_dir):
    replace_line(config_dir, PLATFORM, LAYER, LAYER.replace("eu-west-1", "us-east-1"))
    message = refusal(config_dir)
    assert "field 'governance.powertools_layer_arn': the layer is in 'us-east-1'" in message
    assert "home_region 'eu-west-1'" in message, message


EMAILS_REFUSED = [
    ("plainaddress", "not an e-mail address"), ("@example.com", "not an e-mail address"),
    ("a..b@example.com", "not an e-mail address"), (".a@example.com", "not an e-mail address"),
    ('"quoted"@example.com', "not an e-mail address"), ("a b@example.com", "not an e-mail address"),
    ("a@localhost", "domain 'localhost'"), ("a@example..com", "domain"), ("a@-example.com", "domain"),
    ("a@example.c0m", "domain"), ("a@[192.168.0.1]", "domain"), ("jürgen@example.com", "not an e-mail address"),
    ("a@exämple.com", "domain"), ("a" * 65 + "@example.com", "at most 64"), ("a@" + "b" * 64 + ".com", "domain"),
    ("a@" + ("b" * 60 + ".") * 5 + "com", "254"), ("a@example.com\n", "domain"),
]


@pytest.mark.parametrize("value, rule", EMAILS_REFUSED, ids=[e[0][:24] for e in EMAILS_REFUSED])
def test_email_rules(value, rule):
    with pytest.raises(ValueError) as refused:
        email_address(value)
    assert rule in str(refused.value), str(refused.value)


@pytest.mark.parametrize("value", ["head-of-retail-credit@example.com", "first.last+tag@sub.example.co.uk",
                                   "o'brien@example.org", "x@xn--bcher-kva.example", "a@b.io"])
def test_email_addresses_accepted(value):
    assert email_address(value) == value


@pytest.mark.parametrize("rel, old, new, field", [
    (CREDIT_RISK, "  business: head-of-retail-credit@example.com", "  business: head of retail credit", "owners.business"),
    (PLATFORM, '  alarm_email: ""', "  alarm_email: ops@example", "governance.alarm_email"),
])
def test_bad_addresses_in_config_are_refused_naming_the_field(config_dir, rel, old, new, field):
    replace_line(config_dir, rel, old, new)
    assert f"field '{field}'" in refusal(config_dir)


def test_an_alarm_address_is_optional_and_checked_when_given(config_dir):
    replace_line(config_dir, PLATFORM, '  alarm_email: ""', "  alarm_email: ml-ops@example.com")
    assert load_config(config_dir).platform.governance.alarm_email == "ml-ops@example.com"
