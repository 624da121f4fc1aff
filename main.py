"""CDKTF app entry point: config -> one Terraform stack per account under terraform/<stack>/.

The only module that reads the environment or the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambda_src")]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from mlgov_config import ConfigError, MlgovConfig, load_config  # noqa: E402
from mlgov_config.terraform_text import terraform_config  # noqa: E402


def build_app(config: MlgovConfig, outdir: Path):
    # Imported here: loading the provider bindings costs ~15 s, which config errors should not pay.
    from cdktf import App

    from stacks.bootstrap import BootstrapStack
    from stacks.dev import DevStack
    from stacks.governance import GovernanceStack
    from stacks.workload import ProdStack, TestStack

    app = App(outdir=str(outdir))
    # Every config string reaches Terraform as literal text (mlgov_config/terraform_text.py).
    literal = terraform_config(config)
    stacks = [cls(app, literal) for cls in (GovernanceStack, DevStack, TestStack, ProdStack)]
    names = [s.role.value for s in stacks]
    if literal.platform.gitops is not None:
        # Built last: each account's plan role reads what the account's stack above creates.
        names.append(BootstrapStack(app, literal, stacks).node.id)
    return app, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=Path(os.environ.get("MLGOV_CONFIG_DIR", ROOT / "config")))
    parser.add_argument("--out", type=Path, default=ROOT / "terraform")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"config error, nothing synthesized:\n{err}", file=sys.stderr)
        return 2
    from stacks.export import export_stacks

    with tempfile.TemporaryDirectory(prefix="mlgov-synth-") as tmp:
        app, names = build_app(config, Path(tmp))
        app.synth()
        for path in export_stacks(Path(tmp), args.out, names):
            print(f"synthesized {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
