"""mlgov: model governance from the command line. `mlgov --help`, `mlgov <command> --help`."""

from __future__ import annotations

import sys
from importlib import metadata

import click
from botocore.exceptions import BotoCoreError, ClientError

from mlgov_cli.context import context_from_env
from mlgov_cli.errors import aws_failure

COMMAND_MODULES = (
    # Each module defines click commands and a COMMANDS tuple; added here in persona order.
    "onboard",  # ML engineer: onboard a use case (config file from a template)
    "check",  # ML engineer / CI: every deployment in config is approved for its stage and passes its gates
    "register",  # data scientist: train, register (MLflow run -> shared group), register-external
    "approve",  # approver: approve, reject (separation of duties, QA gates)
    "promote",  # release: promote a version to test or a prod variant (edits deployments, prints the diff)
    "audit",  # compliance officer: status, list, history
    "reconcile",  # compliance officer: rebuild/repair the table from the registry
    "qa",  # QA: integration checks and QA metrics through the test API
    "report",  # compliance officer: governance report (HTML + Markdown)
    "dashboard",  # compliance officer: the governance dashboard as a local page (the lake's views on DuckDB)
    "analytics",  # platform operator: rebuild the analytics lake from the table (backfill)
)


class MlgovGroup(click.Group):
    """The one place an AWS failure no command caught (no or expired credentials, no connection,
    throttling) becomes a one-line error with exit 3 instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (ClientError, BotoCoreError) as error:
            raise aws_failure(f"mlgov {ctx.invoked_subcommand or ''}".strip(), error) from None


def installed_version() -> str:
    try:
        return metadata.version("mlgov")
    except metadata.PackageNotFoundError:
        return "unknown (the mlgov distribution is not installed; `pip install -e .` in the repository)"


def _print_version(click_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not click_ctx.resilient_parsing:
        click.echo(f"mlgov {installed_version()}")
        click_ctx.exit()


@click.group(cls=MlgovGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the installed mlgov version and exit.")
@click.option("--config", "config_dir", type=click.Path(file_okay=False), help="Config folder (default: config/ or $MLGOV_CONFIG_DIR).")
@click.option("--json", "json_output", is_flag=True, help="Machine-readable JSON output.")
@click.option("--endpoint-url", help="Send every AWS call here (the local sandbox); default $MLGOV_ENDPOINT_URL or AWS.")
@click.pass_context
def cli(click_ctx: click.Context, config_dir: str | None, json_output: bool, endpoint_url: str | None) -> None:
    """Multi-account ML model governance: onboard, register, approve, promote, QA, audit."""
    click_ctx.obj = context_from_env(config_dir, json_output, endpoint_url)


def _load_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        module = importlib.import_module(f"mlgov_cli.commands.{name}")
        for command in module.COMMANDS:
            cli.add_command(command)


_load_commands()


def main() -> None:
    cli(prog_name="mlgov")


if __name__ == "__main__":
    sys.exit(main())
