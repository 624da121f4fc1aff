"""Exit codes (the CLI's contract with CI and scripts), the errors that carry them, and `aws_errors`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from botocore.exceptions import BotoCoreError, ClientError

EXIT_OK = 0
EXIT_RULE = 1  # a governance rule or gate said no (check failed, self-approval, gate not met)
EXIT_INPUT = 2  # bad input: config, flags, unknown version or run
EXIT_AWS = 3  # the registry, table or store failed


class CliError(click.ClickException):
    """An error with a clear message and its exit code; never a stack trace."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class RuleViolation(CliError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_RULE)


class AwsFailure(CliError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_AWS)


def aws_failure(action: str, error: Exception) -> AwsFailure:
    """Exit 3, naming what was being done and AWS's own error code and message."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return AwsFailure(f"{action} failed: {details.get('Code', 'error')}: {details.get('Message', error)}")
    return AwsFailure(f"{action} failed: {error}")


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Any AWS failure (denied, throttled, unreachable) becomes exit 3 with what was being done."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise aws_failure(action, error) from None
