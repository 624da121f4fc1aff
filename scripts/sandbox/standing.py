"""`make sandbox-server`: a sandbox server that stays up for `make plan|apply|drift SANDBOX=1`.

    python -m sandbox.standing --port 5055 [--state-dir DIR] [--config DIR]

Prepared as the demo prepares its own (sandbox.demo.deployed_sandbox): the configured accounts are
members of the configured organisation, and the governance account has QuickSight's service role.
Prints the MLGOV_ENDPOINT_URL to export; runs until Ctrl-C or SIGTERM. Moto keeps its state in
memory, so a new server starts empty, and so do the local states of SANDBOX=1 (build/terraform/sandbox/,
removed at start: a state describing resources a stopped server took with it would only mislead).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
from pathlib import Path

from mlgov_config import AccountRole, load_config
from mlgov_config.errors import ConfigError
from sandbox.accounts import assume
from sandbox.quicksight_subscription import subscribe
from sandbox.server import make_server

REPO_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / ".sandbox" / "standing")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config")
    args = parser.parse_args(argv)
    try:
        platform = load_config(args.config).platform
    except ConfigError as error:
        print(f"sandbox-server: {error}", file=sys.stderr)
        return 1
    shutil.rmtree(REPO_ROOT / "build" / "terraform" / "sandbox", ignore_errors=True)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = make_server(args.port, state_dir=str(args.state_dir))
    except OSError as error:
        print(f"sandbox-server: port {args.port}: {error.strerror} (choose another with SANDBOX_PORT=...)", file=sys.stderr)
        return 1
    url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, name="mlgov-sandbox", daemon=True).start()

    from sandbox.patches._organization import set_organization

    set_organization(platform.organization_id, sorted(platform.accounts.values()))
    dashboard = platform.governance.dashboard
    if dashboard.enabled:
        governance = assume(url, platform.home_region,
                            f"arn:aws:iam::{platform.account_id(AccountRole.GOVERNANCE)}:role/{platform.terraform_role_name}",
                            "sandbox-server")
        subscribe(governance.client("iam"), dashboard.service_role_name)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    print(f"sandbox server ready; in another shell:\n  export MLGOV_ENDPOINT_URL={url}\n"
          "  make plan STACK=governance SANDBOX=1 && make apply STACK=governance SANDBOX=1\n(Ctrl-C stops it)", flush=True)
    stopped.wait()
    server.shutdown()
    server.server_close()
    from sandbox import lambda_runner

    lambda_runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
