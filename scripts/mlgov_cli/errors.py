"""Exit codes (the CLI's contract with CI and scripts), the errors that carry them, and `aws_errors`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from botocore.exceptions import (BotoCoreError, ClientError, CredentialRetrievalError, HTTPClientError,
                                 NoAuthTokenError, NoCredentialsError, PartialCredentialsError, SSOError,
                                 TokenRetrievalError)
from botocore.exceptions import ConnectionError as BotoConnectionError

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


# Failures of the caller's credentials or connection, not of what was asked: each gets a hint on what to do.
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
# Throttling codes botocore itself retries (botocore/retries/standard.py); we see them after its retries.
THROTTLED_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
                             "TooManyRequestsException", "ProvisionedThroughputExceededException",
                             "RequestLimitExceeded", "RequestThrottled", "SlowDown", "BandwidthLimitExceeded"})
MAX_MESSAGE = 400  # AWS's own message, shortened: the line stays one readable line


def one_line(text: object, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line (whitespace collapsed), at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def explain(error: Exception) -> str:
    """What went wrong with an AWS call, in words that say what to do about it."""
    if isinstance(error, (NoCredentialsError, PartialCredentialsError, NoAuthTokenError)):
        return ("no AWS credentials found: sign in (aws sso login, AWS_PROFILE) or set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY")
    if isinstance(error, (TokenRetrievalError, SSOError, CredentialRetrievalError)):
        return f"the AWS credentials could not be refreshed (sign in again): {one_line(error)}"
    if isinstance(error, BotoConnectionError | HTTPClientError):
        return f"cannot reach AWS: {one_line(error)}"
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = details.get("Code", "error"), one_line(details.get("Message") or error)
        if code in EXPIRED_CODES:
            return f"the AWS credentials have expired (sign in again): {code}: {message}"
        if code in THROTTLED_CODES:
            return f"AWS throttled the call, still after retries (try again later): {code}: {message}"
        return f"{code}: {message}"
    return one_line(error)


def aws_failure(action: str, error: Exception) -> AwsFailure:
    """Exit 3, naming what was being done and AWS's own error code and message, on one line."""
    return AwsFailure(f"{one_line(action)} failed: {explain(error)}")


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Any AWS failure (denied, throttled, unreachable) becomes exit 3 with what was being done."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise aws_failure(action, error) from None
