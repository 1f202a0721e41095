"""Run ansible-playbook the way users do, against the sandbox, and read back every task result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".build" / "collections"
CALLBACKS = Path(__file__).resolve().parent / "callback"
# Turns the in-process execution of the collection's modules off when "0"/"false" (plugins/plugin_utils/_inprocess.py);
# inherited from the test run's environment unless run_playbook(in_process=...) says otherwise.
IN_PROCESS_ENV = "W365_IN_PROCESS"

# Variables a developer's shell may carry that would change how modules sign in or trust TLS.
_SCRUBBED_PREFIXES = ("AZURE_", "MSI_", "IDENTITY_", "ARM_")
_SCRUBBED = {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"}


def ensure_collection_link() -> None:
    link = COLLECTIONS / "ansible_collections" / "w365" / "cloudpc"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO)


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    results: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def result(self, task_name: str, host: str | None = None) -> dict:
        """The last captured result of the task with this name (optionally on one host)."""
        for entry in reversed(self.results):
            if entry["task"] == task_name and (host is None or entry["host"] == host):
                return entry["result"]
        raise KeyError(f"no result for task {task_name!r}; tasks seen: {sorted({e['task'] for e in self.results})}")

    def entry(self, task_name: str, host: str | None = None) -> dict:
        for entry in reversed(self.results):
            if entry["task"] == task_name and (host is None or entry["host"] == host):
                return entry
        raise KeyError(task_name)

    def changed_count(self) -> int:
        return sum(host.get("changed", 0) for host in self.stats.values())

    def failed_count(self) -> int:
        return sum(host.get("failures", 0) + host.get("unreachable", 0) for host in self.stats.values())

    def __str__(self) -> str:  # shown by pytest when an assertion about the run fails
        return f"rc={self.rc}\n--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-3000:]}"


def run_playbook(
    tmp_path: Path,
    playbook,
    *,
    extra_vars: dict | None = None,
    check: bool = False,
    diff: bool = False,
    verbosity: int = 0,
    env: dict | None = None,
    inventory=None,
    forks: int | None = None,
    limit: str | None = None,
    timeout: float = 600,
    args=(),
    in_process: bool | None = None,
) -> PlaybookResult:
    """Run ansible-playbook; `playbook` is a path or a list of plays; `inventory` a path or INI text.

    `in_process`: True / False runs the collection's modules in the controller process / as module processes
    (env W365_IN_PROCESS, read by plugins/plugin_utils/_inprocess.py); None (default) keeps what the environment
    of the test run says, so `W365_IN_PROCESS=0 pytest tests/integration` runs the whole suite the old way.
    """
    ensure_collection_link()
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    if isinstance(playbook, (str, os.PathLike)) and Path(playbook).exists():
        playbook_path = Path(playbook)
    else:
        playbook_path = tmp_path / "playbook.yml"
        playbook_path.write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")
    if inventory is None:
        inventory_path = tmp_path / "inventory.ini"
        inventory_path.write_text(
            f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n", encoding="utf-8"
        )
    elif isinstance(inventory, (str, os.PathLike)) and Path(inventory).exists():
        inventory_path = Path(inventory)
    else:
        inventory_path = tmp_path / "inventory.ini"
        inventory_path.write_text(str(inventory), encoding="utf-8")
    capture = tmp_path / f"capture-{os.getpid()}-{len(list(tmp_path.glob('capture-*')))}.json"
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory_path), str(playbook_path)]
    if extra_vars:
        vars_file = tmp_path / "extra_vars.json"
        vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
        cmd += ["-e", f"@{vars_file}"]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    if forks:
        cmd += ["--forks", str(forks)]
    if limit:
        cmd += ["--limit", limit]
    cmd += list(args)
    run_env = clean_env(
        {
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
            "ANSIBLE_CALLBACKS_ENABLED": "capture",
            "W365_CAPTURE_FILE": str(capture),
            **({} if in_process is None else {IN_PROCESS_ENV: "1" if in_process else "0"}),
            **(env or {}),
        }
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, cwd=str(tmp_path), timeout=timeout,
                          check=False)
    results, stats = [], {}
    if capture.exists():
        data = json.loads(capture.read_text(encoding="utf-8"))
        results, stats = data["results"], data["stats"]
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, results, stats)
