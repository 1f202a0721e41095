"""Start and stop an emulator process from tests (used by tests/conftest.py and benchmarks)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# The directory that holds the w365_sandbox package: the child process imports it from there.
PACKAGE_PARENT = Path(__file__).resolve().parents[1]


@dataclass
class EmulatorProcess:
    url: str
    ca_bundle: str
    pid: int
    identity_header: str = ""
    control_token: str = field(default="", repr=False)
    _popen: subprocess.Popen | None = field(default=None, repr=False)
    _workdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then wait; SIGKILL only if the process ignores SIGTERM."""
        popen = self._popen
        if popen is not None and popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
            try:
                popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=timeout)
        if popen is not None:
            for stream in (popen.stdout, popen.stderr):
                if stream is not None:
                    stream.close()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def control_headers(self) -> dict:
        """The header every call to the control API (/_emulator/...) must carry."""
        return {"Authorization": f"Bearer {self.control_token}"}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_emulator(seed_path, time_scale: float = 1.0, extra_args=(), timeout: float = 30.0) -> EmulatorProcess:
    """Run `python -m w365_sandbox` on `seed_path` and wait until its ready file appears.

    Raises RuntimeError with the emulator's stderr if it exits or does not become ready in time.
    """
    workdir = tempfile.TemporaryDirectory(prefix="w365-emulator-")
    ready = Path(workdir.name) / "ready.json"
    cmd = [
        sys.executable, "-m", "w365_sandbox",
        "--seed", str(seed_path),
        "--ready-file", str(ready),
        "--time-scale", str(time_scale),
        "--state-dir", workdir.name,
        *extra_args,
    ]
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_PARENT), env.get("PYTHONPATH", "")) if p)
    # The machine may set PYTHONDONTWRITEBYTECODE; cache the emulator's bytecode outside the work tree instead,
    # so the many short-lived emulators of a test run don't each recompile it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "w365-emulator-pycache"))
    err_path = Path(workdir.name) / "stderr.log"
    err = open(err_path, "wb")  # a file, not a pipe: a chatty emulator must never block on a full pipe
    popen = subprocess.Popen(cmd, cwd=str(PACKAGE_PARENT), env=env, stdout=subprocess.DEVNULL, stderr=err)
    err.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready.exists():
            try:
                info = json.loads(ready.read_text(encoding="utf-8"))
            except ValueError:  # written but not yet complete
                info = None
            if info:
                return EmulatorProcess(
                    url=info["url"], ca_bundle=info["ca_bundle"], pid=info["pid"],
                    identity_header=info.get("identity_header", ""), control_token=info.get("control_token", ""),
                    _popen=popen, _workdir=workdir,
                )
        if popen.poll() is not None:
            break
        time.sleep(0.05)
    if popen.poll() is None:
        popen.kill()
        popen.wait()
    message = err_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    workdir.cleanup()
    raise RuntimeError(f"emulator did not start (exit code {popen.returncode}): {message.strip()}")
