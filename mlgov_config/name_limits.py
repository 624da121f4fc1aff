"""Names the stacks derive from config must fit AWS's limits: checked here, before synth, with the
same Names the stacks use (modules/naming.py has no CDKTF in it), naming the field that makes a
name too long. S3 bucket names also keep S3's other naming rules."""

from __future__ import annotations

from pathlib import Path

from mlgov_config.aws_rules import bucket_name
from mlgov_config.errors import ConfigError
from mlgov_config.models import PlatformConfig, UseCaseConfig

# modules.naming imports mlgov_config.models: importing it here, at load time, breaks the cycle
# whichever of the two a program imports first.


def _names(platform: PlatformConfig):
    from modules.naming import Names

    return Names.from_platform(platform)


def _problem(name) -> str | None:
    problem = name.problem()
    if problem is None and name.resource == "aws_s3_bucket":
        try:
            bucket_name(name.name)
        except ValueError as exc:
            problem = str(exc)
    return problem


def _refusals(names: list, platform: PlatformConfig, in_use_case: bool) -> list[str]:
    from modules.naming import NAME_LIMITS

    problems = []
    for name in names:
        problem = _problem(name)
        if problem:
            within = f" (with name_prefix {platform.name_prefix!r} of platform.yaml)" if in_use_case else ""
            problems.append(f"field '{name.field}': makes the {NAME_LIMITS[name.resource].what} {name.name!r} "
                            f"refused by AWS: {problem}{within}")
    return problems


def check_platform(platform: PlatformConfig, path: Path) -> None:
    """The names every installation creates, whatever its use cases."""
    problems = _refusals(_names(platform).derived_names(platform), platform, in_use_case=False)
    if problems:
        raise ConfigError(str(path), problems)


def check_use_case(platform: PlatformConfig, uc: UseCaseConfig, path: Path) -> None:
    problems = _refusals(_names(platform).use_case_names(uc), platform, in_use_case=True)
    if problems:
        raise ConfigError(str(path), problems)
