"""Release: `mlgov promote` a version to test, or to prod as a weighted variant, by editing config.

The edit is a round trip through ruamel.yaml (comments, key order and quoting stay), validated with
mlgov_config on a temporary copy of the whole config folder before the real file is replaced. The
printed unified diff is what goes into the pull request; `mlgov check` re-verifies it in CI.
"""

from __future__ import annotations

import difflib
import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from mlgov_cli import decisions
from mlgov_cli.commands.check import read_releases, read_states
from mlgov_cli.context import Context
from mlgov_cli.errors import CliError, RuleViolation
from mlgov_cli.options import stage_type
from mlgov_cli.output import progress
from mlgov_config import ConfigError, load_config
from mlgov_config.loader import USE_CASE_DIR
from mlgov_core import release
from mlgov_core.rules import Stage

# Weights are rebalanced on a grid that float32 holds exactly: whole percent, or 1/1024 steps.
FINE_UNIT = 2.0 ** -10


def use_case_file(ctx: Context, use_case: str) -> Path:
    return Path(ctx.config_dir) / USE_CASE_DIR / f"{use_case}.yaml"


def _yaml(mapping: int, sequence: int, offset: int) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def round_trip_yaml(text: str) -> tuple[Any, YAML]:
    """Load for a round trip with the file's own indentation, so untouched lines stay byte-identical.

    ruamel.yaml writes one indentation style; the style that reproduces the file exactly is chosen
    (else the one closest to it, so the diff shows the least noise).
    """
    best: tuple[int, YAML] | None = None
    old_lines = text.splitlines()
    for mapping in (2, 4):
        for offset in sorted({0, 2, mapping}):
            yaml = _yaml(mapping, offset + 2, offset)
            rendered = dump(yaml, yaml.load(text))
            if rendered == text:
                return yaml.load(text), yaml
            noise = sum(1 for line in difflib.ndiff(old_lines, rendered.splitlines()) if line[:1] in "+-")
            if best is None or noise < best[0]:
                best = (noise, yaml)
    assert best is not None
    return best[1].load(text), best[1]


def dump(yaml: YAML, data: Any) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def weight_total(weights: list[float]) -> int:
    """The total the file uses: 1 for fractions, 100 for percentages."""
    return 1 if weights and sum(weights) <= 1 + 1e-9 else 100


def rebalance(weights: list[float], chosen: int, new_weight: float, total: int) -> list[int | float]:
    """Set variant ``chosen`` to ``new_weight`` and scale the others so the weights sum to ``total``."""
    others = [i for i in range(len(weights)) if i != chosen]
    remaining = total - new_weight
    if not others:
        raise CliError("--rebalance needs at least one other variant to take the rest of the weight")
    if remaining <= 0:
        raise CliError(f"--weight {new_weight:g} leaves nothing for the other variants (weights total {total}, and prod "
                       "runs at least two variants with weight > 0); point the other variant at this version instead")
    unit = 1.0 if total == 100 and float(new_weight).is_integer() else FINE_UNIT
    units = remaining / unit
    if not float(units).is_integer():
        raise CliError(f"--weight {new_weight:g} cannot be rebalanced exactly: use a weight on a {unit:g} grid")
    units = int(units)
    if units < len(others):
        raise CliError(f"--weight {new_weight:g} leaves too little for {len(others)} other variant(s)")
    old = [max(weights[i], 0.0) for i in others]
    base = sum(old) or float(len(others))
    quotas = [(w if sum(old) else 1.0) / base * units for w in old]
    shares = [math.floor(q) for q in quotas]
    for i in sorted(range(len(others)), key=lambda i: quotas[i] - shares[i], reverse=True)[: units - sum(shares)]:
        shares[i] += 1
    for i, share in enumerate(shares):  # every variant keeps a weight > 0
        if share == 0:
            shares[i] = 1
            shares[max(range(len(shares)), key=lambda j: shares[j])] -= 1
    result: list[int | float] = [_number(w) for w in weights]
    result[chosen] = _number(new_weight)
    for i, share in zip(others, shares):
        result[i] = _number(share * unit)
    return result


def set_release(entry: Any, release_number: int | None) -> None:
    """The variant's release right after its version (what prod builds from, mlgov_core.release)."""
    if release_number is None:
        return
    if "release" in entry or not hasattr(entry, "insert"):
        entry["release"] = release_number
    else:
        entry.insert(list(entry).index("version") + 1, "release", release_number)


def edit_deployments(data: Any, *, to: str, version: int, variant: str | None, weight: float | None,
                     instance_type: str | None, rebalance_weights: bool, all_variants: bool = False,
                     release_number: int | None = None) -> str:
    """Apply the promotion to the loaded document in place; returns a one-line summary."""
    deployments = data.get("deployments")
    if deployments is None:
        deployments = data["deployments"] = CommentedMap()
    elif not isinstance(deployments, dict):
        raise CliError("'deployments' in the use-case file is not a mapping; fix the file first")
    if hasattr(deployments, "fa"):
        deployments.fa.set_block_style()
    if to == "test":
        test = deployments.get("test")
        if test is None:
            test = CommentedMap([("version", version)])
            if instance_type:
                test["instance_type"] = instance_type
            deployments.insert(0, "test", test)
            return f"deployments.test: added with version {version}"
        before = test.get("version")
        test["version"] = version
        if instance_type:
            test["instance_type"] = instance_type
        return f"deployments.test.version: {before} -> {version}"

    prod = deployments.get("prod")
    if prod is None or not isinstance(prod.get("variants"), list):
        raise CliError("deployments.prod is not in the use-case file: add it by hand in a pull request (it needs the "
                       "monitoring settings and at least two variants); promote then edits or adds variants")
    variants = prod["variants"]
    if all_variants:
        return serve_everywhere(variants, version, instance_type, release_number)
    original_total = weight_total([float(v.get("weight") or 0) for v in variants if isinstance(v, dict)])
    index = next((i for i, v in enumerate(variants) if isinstance(v, dict) and v.get("name") == variant), None)
    if index is None:
        if weight is None:
            raise CliError(f"variant {variant!r} is new: give its --weight "
                           f"(existing variants: {[v.get('name') for v in variants]})")
        entry = CommentedMap([("name", variant), ("version", version), ("weight", _number(weight))])
        set_release(entry, release_number)
        if instance_type:
            entry["instance_type"] = instance_type
        variants.append(entry)
        index = len(variants) - 1
        summary = f"deployments.prod.variants: added {variant} with version {version}, weight {weight:g}"
    else:
        entry = variants[index]
        summary = f"deployments.prod.variants[{variant}].version: {entry.get('version')} -> {version}"
        entry["version"] = version
        set_release(entry, release_number)
        if weight is not None:
            summary += f", weight {entry.get('weight')} -> {weight:g}"
            entry["weight"] = _number(weight)
        if instance_type:
            entry["instance_type"] = instance_type
    if rebalance_weights:
        if weight is None:
            raise CliError("--rebalance needs --weight (the chosen variant's new weight)")
        new = rebalance([float(v.get("weight") or 0) for v in variants], index, weight, original_total)
        for v, w in zip(variants, new):
            v["weight"] = w
        summary += "; other weights rebalanced: " + ", ".join(f"{v.get('name')}={v['weight']}" for v in variants)
    return summary


def serve_everywhere(variants: list, version: int, instance_type: str | None, release_number: int | None = None) -> str:
    """The end of an A/B test: every variant serves the winner, so it takes all traffic.

    Prod keeps at least two variants with weight > 0 (config rule), so the weights stay as they are
    and the next challenger only needs its variant's version changed.
    """
    moved = []
    for entry in variants:
        if entry.get("version") != version:
            moved.append(f"{entry.get('name')} {entry.get('version')} -> {version}")
        entry["version"] = version
        set_release(entry, release_number)
        if instance_type:
            entry["instance_type"] = instance_type
    return (f"deployments.prod.variants: all {len(variants)} variants serve version {version} (100% of traffic)"
            + (f"; {', '.join(moved)}" if moved else ""))


def prod_release_problems(ctx: Context, as_role: str | None, group: str, version: int, number: int | None) -> list[str]:
    """The release the Prod approval recorded on the version must exist and point back to it."""
    if number is None:
        return [f"version {version} of {group} records no prod release ({release.RELEASE_KEY} metadata): its Prod "
                "approval through the decision path creates one"]
    found = read_releases(ctx, as_role, "mlgov-promote", [(group, number)])
    return release.problems(found[(group, number)], group, version, number)


def validate_with(config_dir: Path, path: Path, new_text: str) -> None:
    """Load the whole config with the new file on a temporary copy; refuse (exit 2) if invalid."""
    with tempfile.TemporaryDirectory(prefix="mlgov-promote-") as tmp:
        copy = Path(tmp) / "config"
        shutil.copytree(config_dir, copy)
        (copy / USE_CASE_DIR / path.name).write_text(new_text)
        try:
            load_config(copy)
        except ConfigError as error:
            message = str(error).replace(str(copy), str(config_dir))
            hint = "\n(use --rebalance to scale the other variants so the total stays 100 or 1)" if "weights sum" in message else ""
            raise CliError(f"the promoted config would be invalid; nothing written:\n{message}{hint}") from None


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@click.command("promote")
@click.argument("group")
@click.argument("version", type=click.IntRange(min=1))
@click.option("--to", "target", type=stage_type(Stage.TEST, Stage.PROD), required=True,
              help="test: deployments.test; prod: a variant of deployments.prod.")
@click.option("--variant", metavar="NAME", help="Prod variant to point at VERSION (added if new; then --weight is required).")
@click.option("--weight", type=click.FloatRange(min=0, min_open=True), help="The prod variant's traffic weight.")
@click.option("--instance-type", metavar="ml.TYPE", help="Instance type for the test endpoint or the prod variant.")
@click.option("--rebalance", is_flag=True, help="Scale the other variants' weights so the total stays 100 (or 1).")
@click.option("--all-variants", is_flag=True,
              help="Point every prod variant at VERSION, weights unchanged: the A/B winner takes all traffic.")
@click.option("--dry-run", is_flag=True, help="Check and print the diff; write nothing.")
@click.option("--as-role", "as_role", metavar="ROLE",
              help="Governance-account role for the registry read (default: <prefix>-compliance-officer, read-only).")
@click.pass_obj
def promote(ctx: Context, group: str, version: int, target: Stage, variant: str | None, weight: float | None,
            instance_type: str | None, rebalance: bool, all_variants: bool, dry_run: bool, as_role: str | None) -> None:
    """Put VERSION of GROUP into the use case's `deployments`, after checking it may run there.

    The version must be approved for the target stage in the registry (never rejected) and pass the
    use case's gates for that stage (the same checks as `mlgov check`; exit 1 if not, exit 2 if the
    version does not exist). Then config/use_cases/<use case>.yaml is edited keeping comments and
    order, validated (exit 2 and nothing written if invalid), written, and the diff printed.

    \b
    Examples:
      mlgov promote credit-risk 3 --to test
      mlgov promote credit-risk 3 --to prod --variant challenger --weight 20 --rebalance
      mlgov promote credit-risk 3 --to prod --all-variants
    """
    to = target.value.lower()
    if to == "test" and (variant or weight is not None or rebalance or all_variants):
        raise CliError("--variant, --weight, --rebalance and --all-variants are for --to prod; test runs one version")
    if all_variants and (variant or weight is not None or rebalance):
        raise CliError("--all-variants keeps every variant's weight: it takes no --variant, --weight or --rebalance")
    if to == "prod" and not (variant or all_variants):
        raise CliError("--to prod needs --variant NAME (and --weight for a new variant), or --all-variants")
    use_case = decisions.use_case_for_group(ctx, group)
    path = use_case_file(ctx, use_case.name)
    if not path.is_file():
        raise CliError(f"{path} not found: the use case {use_case.name!r} must live in that file to be promoted")

    with progress(ctx, f"checking version {version} of {group} for {target.value}"):
        state = read_states(ctx, as_role, "mlgov-promote", [(group, version)])[(group, version)]
    if state is None:
        raise CliError(decisions.not_found_message(group, version))
    problems = decisions.deployment_problems(use_case, target, group, version, state)
    release_number = decisions.released_as(state) if target == Stage.PROD else None
    if target == Stage.PROD and not problems:
        problems = prod_release_problems(ctx, as_role, group, version, release_number)
    if problems:
        raise RuleViolation(f"cannot promote version {version} of {group} to {to}:\n" + "\n".join(problems))

    old_text = path.read_text()
    data, yaml = round_trip_yaml(old_text)
    summary = edit_deployments(data, to=to, version=version, variant=variant, weight=weight,
                               instance_type=instance_type, rebalance_weights=rebalance, all_variants=all_variants,
                               release_number=release_number)
    new_text = dump(yaml, data)
    shown = display_path(path)
    diff = "".join(difflib.unified_diff(old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                        fromfile=f"a/{shown}", tofile=f"b/{shown}"))
    if diff:
        validate_with(Path(ctx.config_dir), path, new_text)
    written = bool(diff) and not dry_run
    if written:
        write_atomically(path, new_text)
    if ctx.json_output:
        click.echo(json.dumps({"file": str(path), "use_case": use_case.name, "group": group, "version": version,
                               "to": to, "variant": variant, "changed": bool(diff), "written": written,
                               "dry_run": dry_run, "summary": summary if diff else "no change", "diff": diff},
                              indent=2, sort_keys=True))
        return
    if not diff:
        click.echo(f"{shown} already deploys version {version} there: nothing to change")
        return
    click.echo(diff, nl=False)
    click.echo(f"\n{summary}")
    if dry_run:
        click.echo(f"dry run: {shown} not written")
    else:
        click.echo(f"wrote {shown}; commit it with `make synth` output and open a pull request (CI runs `mlgov check`)")


COMMANDS = (promote,)
