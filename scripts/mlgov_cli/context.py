"""What every command needs: the validated config, AWS sessions per account role, output mode.

On AWS, base credentials come from the standard chain (profile, SSO, environment) and each account
is reached by assuming the named role there. In the sandbox, --endpoint-url (or MLGOV_ENDPOINT_URL)
points every client at the local emulator.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from mlgov_config import AccountRole, ConfigError, MlgovConfig, load_config
from mlgov_cli.errors import EXPIRED_CODES, THROTTLED_CODES, AwsFailure, CliError, aws_failure, one_line
from modules.naming import Names

REPO_ROOT = Path(__file__).resolve().parents[2]

# STS's SourceIdentity: 2 to 64 of letters, digits and _+=,.@- ("aws:" is reserved; no colon anyway).
# RoleSessionName takes the same, so one value names the person in both.
PERSON = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)


def person(value: str | None, what: str) -> str:
    """A person's name as STS takes it for a source identity; CliError naming ``what`` otherwise."""
    value = (value or "").strip()
    if not PERSON.fullmatch(value):
        raise CliError(f"{what} {value!r} cannot be a source identity: use 2 to 64 of letters, digits and _+=,.@- "
                       "(an email address works)")
    return value


@dataclass
class Context:
    config_dir: Path
    json_output: bool = False
    endpoint_url: str | None = None
    _sessions: dict[tuple[str, str], boto3.Session] = field(default_factory=dict)

    @cached_property
    def config(self) -> MlgovConfig:
        try:
            return load_config(self.config_dir)
        except ConfigError as err:
            raise CliError(f"config error:\n{err}") from None

    @cached_property
    def caller_session(self) -> boto3.Session:
        """The caller's own credentials, found once per command; boto3's default session would keep
        the credentials of whatever ran first in this process."""
        return boto3.Session()

    @cached_property
    def names(self) -> Names:
        return Names.from_config(self.config)

    @cached_property
    def operator(self) -> str:
        """The person running a command that names nobody else (reconcile, check --as-role)."""
        try:
            name = os.environ.get("MLGOV_OPERATOR") or getpass.getuser()
        except (KeyError, OSError):
            name = None
        return person(name, "the operator ($MLGOV_OPERATOR, else the login name)")

    def session(self, role: AccountRole, role_name: str, session_name: str = "mlgov-cli",
                person: str | None = None) -> boto3.Session:
        """A session in the account of ``role`` as IAM role ``role_name`` (cached per account, role and person).

        People's roles (modules/iam_role.py) trust only an AssumeRole that sets a source identity: pass
        ``person`` (a value from ``person()``), which becomes both the source identity and the session
        name, so CreatedBy/LastModifiedBy and CloudTrail name them. Pipeline and operator roles get none.
        """
        key = (role.value, role_name, person)
        if key not in self._sessions:
            platform = self.config.platform
            arn = self.names.partition.iam_arn(platform.account_id(role), f"role/{role_name}")
            sts = self.caller_session.client("sts", region_name=platform.home_region, endpoint_url=self.endpoint_url)
            extra = {"SourceIdentity": person} if person else {}
            try:
                creds = sts.assume_role(RoleArn=arn, RoleSessionName=person or session_name, **extra)["Credentials"]
            except ClientError as error:
                details = error.response.get("Error", {})
                if details.get("Code") in EXPIRED_CODES | THROTTLED_CODES:  # not a refusal: say what to do
                    raise aws_failure(f"assuming {arn}", error) from None
                who = f" as {person!r}" if person else " without a source identity"
                raise AwsFailure(f"STS refused to let these credentials assume {arn}{who}: "
                                 f"{details.get('Code', 'error')}: {one_line(details.get('Message', error))}") from None
            except BotoCoreError as error:  # no credentials, no connection
                raise aws_failure(f"assuming {arn}", error) from None
            self._sessions[key] = boto3.Session(
                aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"], region_name=platform.home_region)
        return self._sessions[key]

    def client(self, role: AccountRole, role_name: str, service: str, session_name: str = "mlgov-cli",
               person: str | None = None) -> Any:
        return self.session(role, role_name, session_name, person).client(service, endpoint_url=self.endpoint_url)

    def governance_client(self, service: str, session_name: str = "mlgov-cli") -> Any:
        """The governance account as the platform's operator role (terraform_role_name): for tools and
        tests; the commands read as reader_client's role. The table's resource policy refuses its writes."""
        return self.client(AccountRole.GOVERNANCE, self.config.platform.terraform_role_name, service, session_name)

    def reader_client(self, service: str, as_role: str | None = None) -> Any:
        """The governance account for the read commands (status, list, history, report, check, reconcile
        --dry-run): ``as_role`` (--as-role), else the compliance officer's read-only role. People's roles
        need the operator as source identity; the platform's operator role takes none."""
        role_name = as_role or self.names.compliance_officer_role
        operator_role = role_name == self.config.platform.terraform_role_name
        return self.client(AccountRole.GOVERNANCE, role_name, service, person=None if operator_role else self.operator)

    def table_writer_client(self, role_name: str, service: str, person: str) -> Any:
        """The governance account as one of the table's people's writer roles (modules/table_guard.py)."""
        return self.client(AccountRole.GOVERNANCE, role_name, service, person=person)


def context_from_env(config_dir: str | None, json_output: bool, endpoint_url: str | None) -> Context:
    return Context(
        config_dir=Path(config_dir or os.environ.get("MLGOV_CONFIG_DIR") or REPO_ROOT / "config"),
        json_output=json_output,
        endpoint_url=endpoint_url or os.environ.get("MLGOV_ENDPOINT_URL") or None,
    )
