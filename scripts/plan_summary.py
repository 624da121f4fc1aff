"""`make plan-summary`: what each stack's saved plan would do, as one Markdown pull-request comment.

`summarize` and `render` are pure: `terraform show -json` of each saved plan in, Markdown out. They
count creates, updates, deletes and both kinds of replacement (delete-then-create takes the old
object away before the new one exists; create-then-delete is how a model version moves), list the
reasons Terraform gives and the drift it found, show each endpoint variant's model move with the
`mlgov check` verdict, and block on a destroy of a stateful resource (mlgov_config.stateful_types)
that config/allowed_destroys.yaml does not list. Only that reviewed file lets a destroy through:
labels do not count, since the apply on main cannot see them.

No attribute value of a plan is printed except the model moves' names, versions and weights, and
those only where Terraform has not marked them sensitive.

`python scripts/plan_summary.py [--plans build/plans] [--verdicts FILE]` prints the Markdown, writes
<plans>/summary.md and exits 1 when something is blocked (2 on bad input). FILE is the output of
`mlgov --json check` (it needs the registry, so the CLI computes it, not the summary).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgov_config.allowed_destroys import ALLOWED_DESTROYS_FILE, AllowedDestroys, load_allowed_destroys
from mlgov_config.errors import ConfigError
from mlgov_config.stateful_types import STATEFUL_TYPES

REPO_ROOT = Path(__file__).resolve().parent.parent
# The order merges apply stacks in; other stacks (bootstrap) come first, by name.
APPLY_ORDER = ("governance", "dev", "test", "prod")
# GitHub refuses a comment body over 65,536 characters; the margin leaves room for the truncation note.
COMMENT_LIMIT = 65_536
TRUNCATION_MARGIN = 1_000
SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
REPLACE_FIRST_DELETE, REPLACE_FIRST_CREATE = ("delete", "create"), ("create", "delete")
MODEL_VERSION = re.compile(r"-v(\d+)-[0-9a-f]{8}$")  # modules.naming Names.model + content_name's digest
PACKAGE_ARN = re.compile(r":model-package/(?P<group>[^/]+)/(?P<number>\d+)$")
RELEASE_SUFFIX = "-prod-release"  # mlgov_core.release.release_group
REASONS = {
    "replace_because_tainted": "tainted",
    "replace_because_cannot_update": "cannot update in place",
    "replace_by_request": "replacement requested (-replace)",
    "replace_by_triggers": "replace_triggered_by",
    "delete_because_no_resource_config": "no longer in the configuration",
    "delete_because_no_module": "its module is gone",
    "delete_because_wrong_repetition": "count/for_each changed",
    "delete_because_count_index": "count index gone",
    "delete_because_each_key": "for_each key gone",
    "delete_because_no_move_target": "moved to an address that does not exist",
}


class PlanError(ValueError):
    """A plan file that is not what `terraform show -json` writes; the message names file and field."""


# ------------------------------------------------------------------ reading one plan


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    actions: tuple[str, ...]
    reason: str = ""
    replace_paths: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        if self.actions == REPLACE_FIRST_DELETE:
            return "replace (delete first)"
        if self.actions == REPLACE_FIRST_CREATE:
            return "replace (create first)"
        return self.actions[0] if len(self.actions) == 1 else "+".join(self.actions)

    @property
    def destroys(self) -> bool:
        return "delete" in self.actions


@dataclass(frozen=True)
class Drift:
    address: str
    actions: tuple[str, ...]
    attributes: tuple[str, ...]  # the names of the top-level attributes that differ, never their values


@dataclass(frozen=True)
class Blocked:
    change: Change
    why: str  # what is lost


@dataclass(frozen=True)
class Allowed:
    change: Change
    reason: str  # the allow-list entry's


@dataclass(frozen=True)
class VariantState:
    model: str
    version: str
    package: str
    weight: str


@dataclass(frozen=True)
class Verdict:
    """One `mlgov check` row: the version config deploys there, and whether check lets it run."""

    version: int
    ok: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelMove:
    endpoint: str
    variant: str
    before: VariantState | None
    after: VariantState | None
    verdict: Verdict | None = None

    @property
    def refused(self) -> bool:
        """check says no to the version the plan puts behind the variant."""
        return (self.verdict is not None and self.after is not None and not self.verdict.ok
                and self.after.version == str(self.verdict.version))

    def verdict_text(self) -> str:
        if self.after is None:
            return "variant removed"
        if self.verdict is None:
            return "not checked"
        if self.after.version != str(self.verdict.version):
            return f"check judged version {self.verdict.version}, the plan deploys {self.after.version}"
        return "ok" if self.verdict.ok else "REFUSED: " + "; ".join(self.verdict.problems)


@dataclass
class StackSummary:
    stack: str
    planned: bool
    changes: list[Change] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    allowed: list[Allowed] = field(default_factory=list)
    moves: list[ModelMove] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocked) or any(m.refused for m in self.moves)

    @property
    def status(self) -> str:
        if not self.planned:
            return "not planned"
        if self.is_blocked:
            return "BLOCKED"
        return "changes" if self.changes else "no changes"


def _field(data: dict, name: str, kind: type, where: str) -> Any:
    value = data.get(name)
    if not isinstance(value, kind):
        raise PlanError(f"{where}: field '{name}' must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _path_text(path: Iterable[Any]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def read_changes(plan: dict, where: str) -> list[Change]:
    """The managed resources the plan changes (no-ops and data reads left out)."""
    changes = []
    for i, rc in enumerate(plan.get("resource_changes") or []):
        at = f"{where}: resource_changes[{i}]"
        if not isinstance(rc, dict):
            raise PlanError(f"{at}: must be an object")
        if rc.get("mode", "managed") != "managed":
            continue
        change = _field(rc, "change", dict, at)
        actions = tuple(_field(change, "actions", list, f"{at}.change"))
        if actions in (("no-op",), ("read",)):
            continue
        paths = change.get("replace_paths") or []
        changes.append(Change(
            address=_field(rc, "address", str, at), type=_field(rc, "type", str, at), actions=actions,
            reason=str(rc.get("action_reason") or ""),
            replace_paths=tuple(_path_text(p) for p in paths if isinstance(p, list)),
        ))
    return changes


def read_drift(plan: dict, where: str) -> list[Drift]:
    drifted = []
    for i, rd in enumerate(plan.get("resource_drift") or []):
        at = f"{where}: resource_drift[{i}]"
        change = _field(rd, "change", dict, at)
        before, after = change.get("before") or {}, change.get("after") or {}
        names = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)) \
            if isinstance(before, dict) and isinstance(after, dict) else []
        drifted.append(Drift(_field(rd, "address", str, at), tuple(_field(change, "actions", list, f"{at}.change")), tuple(names)))
    return drifted


# ------------------------------------------------------------------ model moves


def _masked(value: Any, sensitive: Any, unknown: Any = None) -> Any:
    """value with every part Terraform marks sensitive (or unknown) replaced by a placeholder."""
    if sensitive is True:
        return SENSITIVE
    if unknown is True:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _masked(v, sensitive.get(k) if isinstance(sensitive, dict) else None,
                           unknown.get(k) if isinstance(unknown, dict) else None) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, sensitive[i] if isinstance(sensitive, list) and i < len(sensitive) else None,
                        unknown[i] if isinstance(unknown, list) and i < len(unknown) else None) for i, v in enumerate(value)]
    return value


def _sides(rc: dict) -> tuple[dict | None, dict | None]:
    """(before, after) of one resource change, masked: only these are ever read for display."""
    change = rc.get("change") or {}
    before = change.get("before")
    after = change.get("after")
    unknown = change.get("after_unknown")
    if isinstance(after, dict) and isinstance(unknown, dict):
        # An unknown attribute is absent from `after`; put it back so its placeholder shows.
        after = {**{k: None for k, v in unknown.items() if v is True}, **after}
    old = _masked(before, change.get("before_sensitive")) if isinstance(before, dict) else None
    new = _masked(after, change.get("after_sensitive"), change.get("after_unknown")) if isinstance(after, dict) else None
    # A side that is sensitive as a whole is a placeholder, not an object: nothing of it is read.
    return (old if isinstance(old, dict) else None, new if isinstance(new, dict) else None)


def _by_name(plan: dict, kind: str, name_field: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """Resources of one type by their AWS name, as they are before and as they will be after the plan."""
    before, after = {}, {}
    for rc in plan.get("resource_changes") or []:
        if rc.get("type") != kind or rc.get("mode", "managed") != "managed":
            continue
        old, new = _sides(rc)
        if old and isinstance(old.get(name_field), str):
            before[old[name_field]] = old
        if new and isinstance(new.get(name_field), str):
            after[new[name_field]] = new
    return before, after


def _first(value: Any) -> dict:
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}


def _variant_state(variant: dict, models: dict[str, dict]) -> VariantState:
    model_name = variant.get("model_name")
    model = models.get(model_name) if isinstance(model_name, str) else None
    package = _first(model.get("primary_container")).get("model_package_name") if model else None
    version = "?"
    if isinstance(model_name, str) and (m := MODEL_VERSION.search(model_name)):
        version = m.group(1)
    elif model_name in (SENSITIVE, UNKNOWN):
        version = model_name
    package_text = package if isinstance(package, str) else "?"
    if isinstance(package, str) and (p := PACKAGE_ARN.search(package)):
        group, number = p["group"], p["number"]
        package_text = (f"release {number} of {group.removesuffix(RELEASE_SUFFIX)}" if group.endswith(RELEASE_SUFFIX)
                        else f"{group} version {number}")
        if version == "?" and not group.endswith(RELEASE_SUFFIX):
            version = number
    weight = variant.get("initial_variant_weight")
    weight_text = f"{weight:g}" if isinstance(weight, (int, float)) and not isinstance(weight, bool) else str(weight)
    return VariantState(str(model_name), version, package_text, weight_text)


def _variants(config: dict | None, models: dict[str, dict]) -> dict[str, VariantState]:
    if not config:
        return {}
    found = {}
    for variant in config.get("production_variants") or []:
        if isinstance(variant, dict) and isinstance(variant.get("variant_name"), str):
            found[variant["variant_name"]] = _variant_state(variant, models)
    return found


def model_moves(plan: dict, verdicts: dict[tuple[str, str], Verdict] | None = None) -> list[ModelMove]:
    """Per endpoint whose configuration changes, each variant's version and weight before and after.

    Read along the plan's references: endpoint -> endpoint_config_name -> its production variants ->
    model_name -> the model's model package ARN.
    """
    verdicts = verdicts or {}
    configs_before, configs_after = _by_name(plan, "aws_sagemaker_endpoint_configuration", "name")
    models_before, models_after = _by_name(plan, "aws_sagemaker_model", "name")
    moves = []
    for rc in plan.get("resource_changes") or []:
        if rc.get("type") != "aws_sagemaker_endpoint" or rc.get("mode", "managed") != "managed":
            continue
        old, new = _sides(rc)
        old_config = configs_before.get(old.get("endpoint_config_name")) if old else None
        new_config = configs_after.get(new.get("endpoint_config_name")) if new else None
        if old and new and old.get("endpoint_config_name") == new.get("endpoint_config_name"):
            continue
        endpoint = str((new or old or {}).get("name", rc.get("address")))
        before, after = _variants(old_config, models_before), _variants(new_config, models_after)
        for variant in sorted(set(before) | set(after)):
            moves.append(ModelMove(endpoint, variant, before.get(variant), after.get(variant), verdicts.get((endpoint, variant))))
    return moves


# ------------------------------------------------------------------ the guard and the summary


def guard(stack: str, changes: list[Change], allowed: AllowedDestroys) -> tuple[list[Blocked], list[Allowed]]:
    """Every change that destroys a stateful resource, blocked unless the allow-list names it.

    A create-first replacement counts too: the old bucket, key or table is still destroyed after.
    """
    blocked, passed = [], []
    for change in changes:
        if not change.destroys or change.type not in STATEFUL_TYPES:
            continue
        entry = allowed.allows(stack, change.address)
        if entry is None:
            blocked.append(Blocked(change, STATEFUL_TYPES[change.type]))
        else:
            passed.append(Allowed(change, entry.reason))
    return blocked, passed


def summarize(stack: str, plan: dict | None, allowed: AllowedDestroys,
              verdicts: dict[tuple[str, str], Verdict] | None = None, where: str = "plan") -> StackSummary:
    if plan is None:
        return StackSummary(stack, planned=False)
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise PlanError(f"{where}: not `terraform show -json` output of a plan (no 'format_version')")
    changes = read_changes(plan, where)
    blocked, passed = guard(stack, changes, allowed)
    return StackSummary(stack, True, changes, read_drift(plan, where), blocked, passed, model_moves(plan, verdicts))


# ------------------------------------------------------------------ Markdown


def _code(text: str) -> str:
    """A table cell in a code span: pipes escaped, backticks (never in an address) dropped."""
    return "`" + text.replace("`", "").replace("|", "\\|") + "`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True)
class Block:
    """A piece of the comment: required ones always print, optional ones only while they fit."""

    text: str
    required: bool = True
    omitted: str = ""  # names what is left out when the block does not fit


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


COUNT_COLUMNS = ("create", "update", "delete", "replace (delete first)", "replace (create first)")


def overview(summaries: list[StackSummary]) -> str:
    rows = []
    for s in summaries:
        if not s.planned:
            rows.append((f"**{s.stack}**", *(["-"] * (len(COUNT_COLUMNS) + 1)), "not planned"))
            continue
        counts = [str(s.count(k)) for k in COUNT_COLUMNS]
        if s.count("replace (delete first)"):
            counts[3] = f"⚠️ {counts[3]}"
        rows.append((f"**{s.stack}**", *counts, str(len(s.drift)), f"**{s.status}**" if s.is_blocked else s.status))
    return _table(("stack", *COUNT_COLUMNS, "drift", "status"), rows)


def stack_blocks(s: StackSummary, plans_hint: str) -> list[Block]:
    if not s.planned:
        return [Block(f"### {s.stack}: not planned\n\nNo `{plans_hint}/{s.stack}/plan.json`: run `make plan STACK={s.stack}`.")]
    blocks = [Block(f"### {s.stack}: {s.status}")]
    if s.blocked:
        blocks.append(Block(
            "**Blocked: destroys a stateful resource** (list it in `config/allowed_destroys.yaml` after review to let it through)\n\n"
            + _table(("address", "action", "reason", "what is lost"),
                     [(_code(b.change.address), b.change.kind, _cell(REASONS.get(b.change.reason, b.change.reason) or "-"), _cell(b.why))
                      for b in s.blocked])))
    refused = [m for m in s.moves if m.refused]
    if refused:
        blocks.append(Block("**Blocked: `mlgov check` refuses a version this plan deploys**\n\n" + "\n".join(
            f"- `{m.endpoint}` variant `{m.variant}`: version {m.after.version if m.after else '?'}: {_cell(m.verdict_text())}" for m in refused)))
    if s.allowed:
        blocks.append(Block("**Destroys allowed by `config/allowed_destroys.yaml`**\n\n" + _table(
            ("address", "action", "allow-list reason"), [(_code(a.change.address), a.change.kind, _cell(a.reason)) for a in s.allowed])))
    if s.moves:
        def side(state: VariantState | None, attr: str) -> str:
            return _cell(getattr(state, attr)) if state else "-"
        rows = [(_code(m.endpoint), _code(m.variant), f"{side(m.before, 'version')} → {side(m.after, 'version')}",
                 f"{side(m.before, 'weight')} → {side(m.after, 'weight')}", f"{side(m.before, 'package')} → {side(m.after, 'package')}",
                 _cell(m.verdict_text())) for m in s.moves]
        blocks.append(Block("**Model moves**\n\n" + _table(("endpoint", "variant", "version", "weight", "model package", "`mlgov check`"), rows),
                            required=False, omitted=f"{s.stack}: the model moves ({len(s.moves)} variants)"))
    dangerous = [c for c in s.changes if c.kind == "replace (delete first)"]
    if dangerous:
        blocks.append(Block("**⚠️ Replaced by deleting first** (the old object is gone before the new one exists)\n\n" + "\n".join(
            f"- {_code(c.address)}" + (f" forced by {', '.join(_code(p) for p in c.replace_paths)}" if c.replace_paths else "")
            for c in dangerous)))
    if s.changes:
        rows = [(_code(c.address), c.kind, _cell(REASONS.get(c.reason, c.reason) or "-"),
                 ", ".join(_code(p) for p in c.replace_paths) or "-") for c in s.changes]
        blocks.append(Block("<details><summary>All changes</summary>\n\n" + _table(("address", "action", "reason", "forces replacement"), rows)
                            + "\n\n</details>", required=False, omitted=f"{s.stack}: the list of all {len(s.changes)} changes"))
    if s.drift:
        rows = [(_code(d.address), "+".join(d.actions), ", ".join(_code(a) for a in d.attributes) or "-") for d in s.drift]
        blocks.append(Block("<details><summary>Drift: changed outside Terraform</summary>\n\n"
                            + _table(("address", "found", "attributes that differ"), rows) + "\n\n</details>",
                            required=False, omitted=f"{s.stack}: the drift list ({len(s.drift)} resources)"))
    return blocks


def render(summaries: list[StackSummary], unused: list[str] | None = None, plans_hint: str = "build/plans",
           limit: int = COMMENT_LIMIT) -> str:
    """The comment. While it is too long, the largest optional block goes; a note names each left out."""
    blocked = [s.stack for s in summaries if s.is_blocked]
    head = "## Terraform plan summary\n\n" + (
        f"**BLOCKED** in {', '.join(blocked)}: see below." if blocked else "Nothing blocked.") + "\n\n" + overview(summaries)
    blocks = [Block(head)] + [b for s in summaries for b in stack_blocks(s, plans_hint)]
    if unused:
        blocks.append(Block("**Allow-list entries no plan uses** (remove them once applied): " + ", ".join(_code(u) for u in unused),
                            required=False, omitted="the unused allow-list entries"))
    budget = limit - TRUNCATION_MARGIN
    dropped: set[int] = set()
    for i in sorted((i for i, b in enumerate(blocks) if not b.required), key=lambda i: -len(blocks[i].text)):
        if _length(b for j, b in enumerate(blocks) if j not in dropped) <= budget:
            break
        dropped.add(i)
    left_out = [b.omitted for i, b in enumerate(blocks) if i in dropped]
    text = "\n\n".join(b.text for i, b in enumerate(blocks) if i not in dropped)
    if len(text) > budget:
        text = text[:budget].rsplit("\n", 1)[0]
        left_out.append(f"everything after character {len(text):,}")
    if left_out:
        text += ("\n\n---\n**Truncated** to stay under GitHub's comment limit of 65,536 characters. Left out: "
                 + "; ".join(left_out) + f". `terraform show {plans_hint}/<stack>/tfplan` shows the whole plan.")
    return text + "\n"


def _length(blocks: Iterable[Block]) -> int:
    return sum(len(b.text) + 2 for b in blocks)


def unused_entries(summaries: list[StackSummary], allowed: AllowedDestroys) -> list[str]:
    used = {(s.stack, a.change.address) for s in summaries for a in s.allowed}
    planned = {s.stack for s in summaries if s.planned}
    return [f"{e.stack} {e.address}" for e in allowed.allowed_destroys if e.stack in planned and (e.stack, e.address) not in used]


# ------------------------------------------------------------------ the command


def verdicts_from_check(check: Any, where: str, endpoint_of: dict[tuple[str, str], str]) -> dict[tuple[str, str], Verdict]:
    """`mlgov --json check` rows keyed by (endpoint name, variant); endpoint_of maps (use case, stage) to the name."""
    rows = check.get("deployments") if isinstance(check, dict) else None
    if not isinstance(rows, list):
        raise PlanError(f"{where}: field 'deployments' must be a list (the output of `mlgov --json check`)")
    found = {}
    for i, row in enumerate(rows):
        at = f"{where}: deployments[{i}]"
        if not isinstance(row, dict):
            raise PlanError(f"{at}: must be an object")
        deployment = _field(row, "deployment", str, at)
        stage, _, variant = deployment.partition("/")
        endpoint = endpoint_of.get((_field(row, "use_case", str, at), stage))
        version = row.get("version")
        if endpoint is None or not isinstance(version, int) or isinstance(version, bool):
            raise PlanError(f"{at}: use_case {row.get('use_case')!r}, deployment {deployment!r}, version {version!r} is not a deployment of config")
        found[(endpoint, variant or "qa")] = Verdict(version, row.get("ok") is True, tuple(str(p) for p in row.get("problems") or []))
    return found


def stack_names(terraform_root: Path) -> list[str]:
    present = sorted(p.parent.name for p in terraform_root.glob("*/main.tf.json"))
    return sorted(present, key=lambda s: (APPLY_ORDER.index(s) + 1 if s in APPLY_ORDER else 0, s))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise PlanError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None


def endpoints_of_config(config_dir: Path) -> dict[tuple[str, str], str]:
    from mlgov_config import load_config
    from modules.naming import Names

    config = load_config(config_dir)
    names = Names.from_config(config)
    return {(uc, stage): names.endpoint(uc, stage) for uc in config.use_cases for stage in ("test", "prod")}


def build(plans_dir: Path, terraform_root: Path, allowed: AllowedDestroys,
          verdicts: dict[tuple[str, str], Verdict] | None) -> tuple[list[StackSummary], str]:
    summaries = []
    for stack in stack_names(terraform_root):
        path = plans_dir / stack / "plan.json"
        plan = _read_json(path) if path.exists() else None
        summaries.append(summarize(stack, plan, allowed, verdicts, where=str(path)))
    return summaries, render(summaries, unused_entries(summaries, allowed), plans_hint=_shown_path(plans_dir))


def _shown_path(path: Path) -> str:
    """Relative to the repository when inside it, as `make` users type it."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=Path, default=REPO_ROOT / "build" / "plans", help="the folder `make plan` writes")
    parser.add_argument("--terraform", type=Path, default=REPO_ROOT / "terraform", help="the committed stacks")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config")
    parser.add_argument("--allowed", type=Path, default=None, help=f"default: <config>/{ALLOWED_DESTROYS_FILE.name}")
    parser.add_argument("--verdicts", type=Path, default=None, help="`mlgov --json check` output")
    parser.add_argument("--out", type=Path, default=None, help="default: <plans>/summary.md")
    args = parser.parse_args(argv)
    try:
        allowed = load_allowed_destroys(args.allowed or args.config / ALLOWED_DESTROYS_FILE.name)
        verdicts = None
        if args.verdicts is not None:
            verdicts = verdicts_from_check(_read_json(args.verdicts), str(args.verdicts), endpoints_of_config(args.config))
        summaries, markdown = build(args.plans, args.terraform, allowed, verdicts)
    except (ConfigError, PlanError) as exc:
        print(f"plan-summary: {exc}", file=sys.stderr)
        return 2
    out = args.out or args.plans / "summary.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown)
    sys.stdout.write(markdown)
    return 1 if any(s.is_blocked for s in summaries) else 0


if __name__ == "__main__":
    sys.exit(main())
