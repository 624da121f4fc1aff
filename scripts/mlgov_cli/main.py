"""mlgov: model governance from the command line. `mlgov --help`, `mlgov <command> --help`."""

from __future__ import annotations

import sys

import click

from mlgov_cli.context import context_from_env

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
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
