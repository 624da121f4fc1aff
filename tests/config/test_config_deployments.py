"""The `deployments` section of a use case: bad values are refused naming file, field and value.

Each case copies the real config dir (fixture `config_dir`), applies one change to the credit-risk
use case and checks the ConfigError. Valid variations load with the values the stacks will use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from mlgov_config import AccountRole, ConfigError, load_config
from mlgov_config.models import ProdDeployment
from mlgov_config.models import TestDeployment as QaDeployment  # "Test*" would look like a test class

CREDIT_RISK = "use_cases/credit-risk.yaml"

Change = Callable[[dict[str, Any]], None]


def edit_use_case(config_dir: Path, change: Change) -> Path:
    path = config_dir / CREDIT_RISK
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def prod_variants(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["deployments"]["prod"]["variants"]


def weights(*values: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        variants = prod_variants(data)
        assert len(variants) == len(values), "the real config has two prod variants"
        for variant, value in zip(variants, values):
            variant["weight"] = value

    return change


def variant_key(index: int, key: str, value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        prod_variants(data)[index][key] = value

    return change


def on_test(key: str, value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        data["deployments"]["test"][key] = value

    return change


def monitoring_key(key: str, value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        data["deployments"]["prod"]["monitoring"][key] = value

    return change


def one_variant(data: dict[str, Any]) -> None:
    data["deployments"]["prod"]["variants"] = [{**prod_variants(data)[0], "weight": 100}]


def duplicate_names(data: dict[str, Any]) -> None:
    for variant in prod_variants(data):
        variant["name"] = "champion"


def shared_with(*roles: str) -> Change:
    def change(data: dict[str, Any]) -> None:
        data["shared_with"] = list(roles)

    return change


def deployments_key(key: str, value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        data["deployments"][key] = value

    return change


# (id, change, expected field (prefix of the dotted path in the message), values the message must name)
CASES: list[tuple[str, Change, str, tuple[str, ...]]] = [
    # weights
    ("weight zero", weights(0, 100), "deployments.prod.variants.0.weight", ("0",)),
    ("weight negative", weights(110, -10), "deployments.prod.variants.1.weight", ("-10",)),
    ("weights sum to 110", weights(90, 20), "deployments.prod.variants", ("110",)),
    ("weights sum to 0.75", weights(0.5, 0.25), "deployments.prod.variants", ("0.75",)),
    ("weights sum to 50", weights(25, 25), "deployments.prod.variants", ("50",)),
    ("weight not exact in float32", weights(0.9, 0.1), "deployments.prod.variants.0.weight", ("0.9", "float32")),
    ("weight string", weights("ninety", 10), "deployments.prod.variants.0.weight", ("ninety",)),
    # variant names and count
    ("duplicate variant names", duplicate_names, "deployments.prod.variants", ("champion", "unique")),
    ("one prod variant", one_variant, "deployments.prod.variants", ("champion",)),
    ("no prod variants", lambda d: d["deployments"]["prod"].update(variants=[]), "deployments.prod.variants", ("[]",)),
    ("variant name with underscore", variant_key(1, "name", "chal_lenger"), "deployments.prod.variants.1.name", ("chal_lenger",)),
    # instance types
    ("prod instance type without ml.", variant_key(0, "instance_type", "m5.large"), "deployments.prod.variants.0.instance_type", ("m5.large",)),
    ("prod instance type ec2 form", variant_key(1, "instance_type", "ml.m5"), "deployments.prod.variants.1.instance_type", ("ml.m5",)),
    ("test instance type without ml.", on_test("instance_type", "t3.medium"), "deployments.test.instance_type", ("t3.medium",)),
    ("test instance type upper case", on_test("instance_type", "ML.M5.LARGE"), "deployments.test.instance_type", ("ML.M5.LARGE",)),
    ("monitor instance type", monitoring_key("instance_type", "m5.xlarge"), "deployments.prod.monitoring.instance_type", ("m5.xlarge",)),
    # versions and counts
    ("test version 0", on_test("version", 0), "deployments.test.version", ("0",)),
    ("prod version 0", variant_key(1, "version", 0), "deployments.prod.variants.1.version", ("0",)),
    ("test version negative", on_test("version", -1), "deployments.test.version", ("-1",)),
    ("test version not a number", on_test("version", "latest"), "deployments.test.version", ("latest",)),
    ("instance count 0", variant_key(0, "instance_count", 0), "deployments.prod.variants.0.instance_count", ("0",)),
    # where the group is shared
    ("test deployment, group not shared with test", shared_with("dev", "prod"), "deployments.test", ("['dev', 'prod']",)),
    ("prod deployment, group not shared with prod", shared_with("dev", "test"), "deployments.prod", ("['dev', 'test']",)),
    # monitoring
    ("baseline uri https", monitoring_key("baseline_s3_uri", "https://bucket.s3.amazonaws.com/baseline/"),
     "deployments.prod.monitoring.baseline_s3_uri", ("https://bucket.s3.amazonaws.com/baseline/",)),
    ("baseline uri not a folder", monitoring_key("baseline_s3_uri", "s3://mlgov-artifacts/baseline"),
     "deployments.prod.monitoring.baseline_s3_uri", ("s3://mlgov-artifacts/baseline",)),
    ("baseline uri upper-case bucket", monitoring_key("baseline_s3_uri", "s3://MyBucket/baseline/"),
     "deployments.prod.monitoring.baseline_s3_uri", ("s3://MyBucket/baseline/",)),
    ("schedule not cron", monitoring_key("schedule_expression", "rate(1 hour)"),
     "deployments.prod.monitoring.schedule_expression", ("rate(1 hour)",)),
    ("capture percent 0", lambda d: d["deployments"]["prod"].update(data_capture_percent=0),
     "deployments.prod.data_capture_percent", ("0",)),
    # a prod deployment without its monitoring section is an error too (no silent default)
    ("prod without monitoring", lambda d: d["deployments"]["prod"].pop("monitoring"), "deployments.prod.monitoring", ("required",)),
    # prod releases (mlgov_core.release)
    ("prod variant without release", lambda d: prod_variants(d)[0].pop("release"), "deployments.prod.variants.0.release", ("required",)),
    ("prod release 0", variant_key(1, "release", 0), "deployments.prod.variants.1.release", ("0",)),
    ("group too long for its release group", lambda d: d["model_package_group"].update(name="g" * 51),
     "model_package_group.name", ("51 characters", "at most 50", "-prod-release")),
    ("group named like a release group", lambda d: d["model_package_group"].update(name="credit-prod-release"),
     "model_package_group.name", ("credit-prod-release", "release groups")),
    # unknown keys
    ("unknown deployments key", deployments_key("staging", {"version": 1}), "deployments.staging", ("staging", "unknown key")),
    ("unknown test key", on_test("weight", 100), "deployments.test.weight", ("unknown key", "100")),
    ("unknown variant key", variant_key(0, "colour", "blue"), "deployments.prod.variants.0.colour", ("blue", "unknown key")),
]

@pytest.mark.parametrize(("change", "field", "values"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_bad_deployments_are_rejected_naming_file_field_and_value(
    config_dir: Path, change: Change, field: str, values: tuple[str, ...]
):
    path = edit_use_case(config_dir, change)

    with pytest.raises(ConfigError) as excinfo:
        load_config(config_dir)

    err = excinfo.value
    message = str(err)
    assert err.path == str(path), message
    assert str(path) in message
    assert f"field '{field}" in message, message
    for value in values:
        assert value in message, f"{value!r} not named in:\n{message}"


def test_one_bad_variant_names_its_index_not_its_neighbour(config_dir: Path):
    """With the second variant broken, the message points at variants.1, never variants.0."""
    edit_use_case(config_dir, variant_key(1, "instance_type", "m5.large"))

    with pytest.raises(ConfigError) as excinfo:
        load_config(config_dir)

    message = str(excinfo.value)
    assert "deployments.prod.variants.1.instance_type" in message
    assert "variants.0" not in message


# --- valid variations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [(0.75, 0.25), (50, 50), (0.5, 0.5), (99, 1), (87.5, 12.5)],
    ids=["fractions 0.75/0.25", "percentages 50/50", "fractions 0.5/0.5", "percentages 99/1", "percentages 87.5/12.5"],
)
def test_valid_weights_load_unchanged(config_dir: Path, values: tuple[float, float]):
    edit_use_case(config_dir, weights(*values))

    prod = load_config(config_dir).use_cases["credit-risk"].deployments.prod

    assert isinstance(prod, ProdDeployment)
    assert [v.weight for v in prod.variants] == list(values)
    assert [v.name for v in prod.variants] == ["champion", "challenger"]


def test_three_variants_in_fractions_load(config_dir: Path):
    def three(data: dict[str, Any]) -> None:
        first = prod_variants(data)[0]
        data["deployments"]["prod"]["variants"] = [
            {**first, "name": "a", "weight": 0.5}, {**first, "name": "b", "weight": 0.25}, {**first, "name": "c", "weight": 0.25},
        ]

    edit_use_case(config_dir, three)

    prod = load_config(config_dir).use_cases["credit-risk"].deployments.prod
    assert [(v.name, v.weight) for v in prod.variants] == [("a", 0.5), ("b", 0.25), ("c", 0.25)]


def test_real_deployments_load_as_configured():
    cfg = load_config(Path(__file__).resolve().parents[2] / "config")
    deployments = cfg.use_cases["credit-risk"].deployments

    assert set(deployments.by_role()) == {AccountRole.TEST, AccountRole.PROD}
    assert isinstance(deployments.test, QaDeployment)
    assert deployments.test.version >= 1 and deployments.test.instance_type.startswith("ml.")
    assert len(deployments.prod.variants) >= 2
    assert sum(v.weight for v in deployments.prod.variants) in (1, 100)
    assert deployments.prod.monitoring.baseline_s3_uri.endswith("/")


def test_test_only_deployment_needs_only_test_shared(config_dir: Path):
    """A use case may deploy to test alone; then prod need not be in shared_with."""

    def test_only(data: dict[str, Any]) -> None:
        data["shared_with"] = ["dev", "test"]
        del data["deployments"]["prod"]

    edit_use_case(config_dir, test_only)

    deployments = load_config(config_dir).use_cases["credit-risk"].deployments
    assert set(deployments.by_role()) == {AccountRole.TEST}
    assert deployments.prod is None
