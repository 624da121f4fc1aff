"""The sandbox server as a child process: start on a free port, talk to its control API, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 60


class SandboxProcess:
    """Context manager; leaves nothing running on exit, even after an error."""

    def __init__(self, state_dir: Path, log_path: Path) -> None:
        self.state_dir = state_dir
        self.log_path = log_path
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> "SandboxProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SCRIPTS_DIR), os.environ.get("PYTHONPATH", "")])}
        # Port 0: the OS picks a free port and the server reports it on its READY line.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox.server", "--port", "0", "--state-dir", str(self.state_dir)],
            stdout=subprocess.PIPE, stderr=log, text=True, env=env,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY "):
                self.url = f"http://127.0.0.1:{int(line.split()[1])}"
                return self
            if not line and self.proc.poll() is not None:
                break
        self.__exit__(None, None, None)
        raise RuntimeError(f"sandbox server did not start; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_mlgov/{path}", method=method, data=data)
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - loopback only
            return json.loads(response.read() or b"{}")

    def drain(self, timeout_seconds: int = 120) -> None:
        if not self._call("POST", f"drain?timeout={timeout_seconds}").get("drained"):
            raise RuntimeError(f"Lambda invocations still running after {timeout_seconds} s")

    def set_organization(self, organization_id: str | None, accounts: list[str]) -> dict:
        """Which accounts are in the organisation (aws:PrincipalOrgID); returns the membership now."""
        return self._call("PUT", "organization", {"id": organization_id, "accounts": accounts})

    def invocations(self) -> list[dict]:
        return self._call("GET", "invocations")["invocations"]
