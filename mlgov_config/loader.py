"""Load and validate the config directory; the only place that reads config files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mlgov_config.errors import ConfigError
from mlgov_config.models import AccountRole, MlgovConfig, PlatformConfig, UseCaseConfig
from mlgov_config.name_limits import check_platform, check_use_case
from mlgov_config.partition_check import platform_problems, use_case_problems
from mlgov_config.strict_yaml import read_yaml, shown
from mlgov_config.terraform_text import token_marker_problems
from mlgov_core.release import is_release_group, release_group

SAGEMAKER_NAME_MAX = 63

PLATFORM_FILE = "platform.yaml"
USE_CASE_DIR = "use_cases"


def _read_mapping(path: Path) -> dict[str, Any]:
    data = read_yaml(path)
    if data is None:
        raise ConfigError(str(path), ["file is empty"])
    if not isinstance(data, dict):
        raise ConfigError(str(path), [f"top level must be a mapping, got {type(data).__name__}"])
    return data


def _problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "<top level>"
        if err["type"] == "extra_forbidden":
            problems.append(f"field '{field}': unknown key (value {shown(err['input'])})")
        elif err["type"] == "missing":
            problems.append(f"field '{field}': required but missing")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"field '{field}': {msg} (value {shown(err['input'])})")
    return problems


def _validate(model: type, data: dict[str, Any], path: Path):
    """Strict, as JSON: no boolean is taken for a number, no number for text (enums still read from text)."""
    markers = token_marker_problems(data)
    if markers:
        raise ConfigError(str(path), markers)
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise ConfigError(str(path), _problems(exc)) from None


def _check_baseline(uc: UseCaseConfig, platform: PlatformConfig, path: Path) -> None:
    """The Model Monitor baseline must be in the governance-owned prefix of the artifact store."""
    prod = uc.deployments.prod
    if prod is None:
        return
    uri, prefix = prod.monitoring.baseline_s3_uri, platform.baseline_uri_prefix()
    if not uri.startswith(prefix) or len(uri) == len(prefix) or "/../" in uri or "/./" in uri:
        raise ConfigError(str(path), [
            f"field 'deployments.prod.monitoring.baseline_s3_uri': must be a folder under {prefix} (the artifact "
            f"store's prefix that only the governance account writes), e.g. {prefix}{uc.name}/v1/ (value {uri!r})"])


def _check_release_group(uc: UseCaseConfig, path: Path) -> None:
    """A group shared with prod gets a release group named after it (mlgov_core.release): it must fit too."""
    name = uc.model_package_group.name
    if is_release_group(name):
        raise ConfigError(str(path), [f"field 'model_package_group.name': {name[:70]!r} ends in {release_group('')!r}, "
                                      "which names prod release groups; choose another name"])
    if AccountRole.PROD in uc.shared_with and len(release_group(name)) > SAGEMAKER_NAME_MAX:
        raise ConfigError(str(path), [
            f"field 'model_package_group.name': {name[:70]!r} is {len(name)} characters; shared with prod it may have at "
            f"most {SAGEMAKER_NAME_MAX - len(release_group(''))}, because its prod release group {release_group('<name>')!r} "
            f"must fit SageMaker's {SAGEMAKER_NAME_MAX}"])


def _use_case_files(use_case_dir: Path) -> list[Path]:
    """Every <name>.yaml; anything else there (but hidden files) is refused rather than silently skipped."""
    try:
        entries = sorted(use_case_dir.iterdir())
    except OSError as exc:
        raise ConfigError(str(use_case_dir), [f"cannot be listed: {exc.strerror or exc.__class__.__name__}"]) from None
    strays = [p.name for p in entries if not p.name.startswith(".") and p.suffix != ".yaml"]
    if strays:
        raise ConfigError(str(use_case_dir), [f"{shown(strays)} would be ignored: this folder holds only <name>.yaml "
                                              "files (lower-case extension), one per use case"])
    return [p for p in entries if p.suffix == ".yaml"]


def load_config(config_dir: Path | str) -> MlgovConfig:
    """Validate every file; raise ConfigError on the first bad file, before anything is built."""
    config_dir = Path(config_dir)
    platform_path = config_dir / PLATFORM_FILE
    platform: PlatformConfig = _validate(PlatformConfig, _read_mapping(platform_path), platform_path)
    check_platform(platform, platform_path)
    if problems := platform_problems(platform):
        raise ConfigError(str(platform_path), problems)

    use_case_dir = config_dir / USE_CASE_DIR
    if not use_case_dir.is_dir():
        raise ConfigError(str(use_case_dir), ["folder not found; it holds one <name>.yaml per use case"])
    use_cases: dict[str, UseCaseConfig] = {}
    group_owner: dict[str, Path] = {}
    for path in _use_case_files(use_case_dir):
        uc: UseCaseConfig = _validate(UseCaseConfig, _read_mapping(path), path)
        if uc.name != path.stem:
            raise ConfigError(str(path), [f"field 'name': {uc.name!r} must equal the file name {path.stem!r}"])
        undefined = [r.value for r in uc.shared_with if r not in platform.accounts]
        if undefined:
            raise ConfigError(str(path), [f"field 'shared_with': account role(s) {undefined} not defined in {platform_path}"])
        for role in uc.deployments.by_role():
            if role not in uc.shared_with:
                raise ConfigError(str(path), [f"field 'deployments.{role.value}': the group is not shared with "
                                              f"{role.value!r} (add it to shared_with, value {[r.value for r in uc.shared_with]!r})"])
        _check_baseline(uc, platform, path)
        if problems := use_case_problems(uc, platform):
            raise ConfigError(str(path), problems)
        _check_release_group(uc, path)
        check_use_case(platform, uc, path)
        group = uc.model_package_group.name
        if group.lower() in group_owner:  # SageMaker's names ignore case
            raise ConfigError(
                str(path),
                [f"field 'model_package_group.name': {group!r} is already used (ignoring case) by {group_owner[group.lower()]}"],
            )
        group_owner[group.lower()] = path
        use_cases[uc.name] = uc
    return MlgovConfig(platform=platform, use_cases=use_cases)


__all__ = ["AccountRole", "load_config"]
