"""ML engineer: `mlgov onboard` a use case: config/use_cases/<name>.yaml from a jinja2 template.

The rendered file is validated with the whole config on a temporary copy first: nothing is written
if it is invalid, and an existing file is never overwritten.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import click
import jinja2
import yaml

from mlgov_cli.context import Context
from mlgov_cli.errors import CliError
from mlgov_config import AccountRole, ConfigError, load_config
from mlgov_config.loader import USE_CASE_DIR
from mlgov_config.models import RiskTier

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "use_case.yaml.j2"


def yaml_scalar(value: object) -> str:
    """A YAML scalar for ``value``: plain when that reads back the same, quoted otherwise."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def render(values: dict[str, object]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)
    env.filters["yaml"] = yaml_scalar
    return env.get_template(TEMPLATE).render(**values)


def parse_shared_with(text: str) -> list[str]:
    roles = [r.strip().lower() for r in text.split(",") if r.strip()]
    known = [r.value for r in AccountRole if r != AccountRole.GOVERNANCE]
    bad = [r for r in roles if r not in known]
    if bad or not roles:
        raise CliError(f"--shared-with {text!r}: list account roles among {known}, comma-separated")
    return roles


def validate_in_copy(config_dir: Path, name: str, text: str) -> None:
    """Load the whole config with the new file added, on a temporary copy; refuse if anything is invalid."""
    with tempfile.TemporaryDirectory(prefix="mlgov-onboard-") as tmp:
        copy = Path(tmp) / "config"
        shutil.copytree(config_dir, copy)
        (copy / USE_CASE_DIR).mkdir(exist_ok=True)
        (copy / USE_CASE_DIR / f"{name}.yaml").write_text(text)
        try:
            config = load_config(copy)
        except ConfigError as error:
            message = str(error).replace(str(copy), str(config_dir))
            raise CliError(f"use case {name!r} would be invalid; nothing written:\n{message}") from None
    if name not in config.use_cases:
        raise CliError(f"use case {name!r} was not loaded from {name}.yaml; nothing written")


@click.command("onboard")
@click.argument("name")
@click.option("--description", required=True, help="What the model is for (one line).")
@click.option("--group", "group", metavar="NAME", help="Model package group name (default: NAME); SageMaker's pattern.")
@click.option("--group-description", default=None, help="Description of the group (default: derived from the use case).")
@click.option("--business", required=True, metavar="EMAIL", help="Business owner.")
@click.option("--ds-lead", required=True, metavar="EMAIL", help="Data science lead.")
@click.option("--ml-engineer", required=True, metavar="EMAIL", help="ML engineer.")
@click.option("--risk-tier", required=True, type=click.Choice([t.value for t in RiskTier]), help="Model risk tier.")
@click.option("--line-of-business", required=True, metavar="SLUG",
              help="Business unit the dashboard groups by, e.g. retail-credit (lower-case letters, digits, '-').")
@click.option("--shared-with", default="dev,test,prod", show_default=True, metavar="ROLES",
              help="Consumer account roles that receive the group (comma-separated: dev,test,prod).")
@click.option("--gate", "prod_gates", multiple=True, metavar="'METRIC OP N'",
              help="A Prod QA gate, e.g. 'auc >= 0.75' (repeatable).")
@click.option("--test-gate", "test_gates", multiple=True, metavar="'METRIC OP N'", help="A Test gate (repeatable).")
@click.option("--dry-run", is_flag=True, help="Validate and print the file; write nothing.")
@click.pass_obj
def onboard(ctx: Context, name: str, description: str, group: str | None, group_description: str | None,
            business: str, ds_lead: str, ml_engineer: str, risk_tier: str, line_of_business: str, shared_with: str,
            prod_gates: tuple[str, ...], test_gates: tuple[str, ...], dry_run: bool) -> None:
    """Onboard use case NAME: write config/use_cases/NAME.yaml and print the pull-request steps.

    Refuses (exit 2, nothing written) if the file exists or the result would not validate with the
    rest of the config (name, group name pattern, a group already used, bad gate, ...).

    \b
    Example:
      mlgov onboard credit-risk --description "Probability of default" --group credit-risk \\
        --business head-of-credit@example.com --ds-lead ds-lead@example.com \\
        --ml-engineer mle@example.com --risk-tier high --line-of-business retail-credit \\
        --shared-with dev,test,prod \\
        --gate "auc >= 0.75" --gate "p95_latency_ms <= 200"
    """
    config_dir = Path(ctx.config_dir)
    if not name or Path(name).name != name or name.startswith("."):
        raise CliError(f"{name!r} is not a use-case name: lower-case letters, digits and '-'")
    if not (config_dir / "platform.yaml").is_file():
        raise CliError(f"{config_dir} has no platform.yaml: run onboard against the repository's config folder (--config)")
    path = config_dir / USE_CASE_DIR / f"{name}.yaml"
    if path.exists():
        raise CliError(f"{path} already exists; onboard never overwrites a use case (edit it in a pull request)")
    text = render({
        "name": name, "description": description.strip(), "group": group or name,
        "group_description": group_description if group_description is not None else f"Central registry of {name} model versions",
        "business": business, "ds_lead": ds_lead, "ml_engineer": ml_engineer, "risk_tier": risk_tier,
        "line_of_business": line_of_business,
        "shared_with": parse_shared_with(shared_with), "prod_gates": list(prod_gates), "test_gates": list(test_gates),
    })
    validate_in_copy(config_dir, name, text)
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x") as handle:  # exclusive: never overwrite a file created meanwhile
                handle.write(text)
        except FileExistsError:
            raise CliError(f"{path} already exists; onboard never overwrites a use case") from None
    steps = [
        f"review {path}" + (" (dry run: not written)" if dry_run else ""),
        "make synth  (regenerates terraform/<stack>/ from config: the group, its RAM shares and policy)",
        f"git add {path} terraform/ && git commit -m 'Onboard use case {name}'",
        "open a pull request; CI runs `mlgov check` and the synth/validate tests; apply after review",
    ]
    if ctx.json_output:
        click.echo(json.dumps({"use_case": name, "file": str(path), "written": not dry_run, "group": group or name,
                               "next_steps": steps, "content": text}, indent=2, sort_keys=True))
        return
    if dry_run:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {path} (use case {name}, group {group or name})")
    click.echo("next steps:")
    for number, step in enumerate(steps, 1):
        click.echo(f"  {number}. {step}")


COMMANDS = (onboard,)
