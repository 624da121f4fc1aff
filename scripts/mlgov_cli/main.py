"""mlgov: model governance from the command line. `mlgov --help`, `mlgov <command> --help`."""

from __future__ import annotations

import sys

import click

from mlgov_cli.context import context_from_env

COMMAND_MODULES = (
    # Each module defines click commands and a COMMANDS tuple; added here in persona order.
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
