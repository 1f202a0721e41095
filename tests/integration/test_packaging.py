"""The collection builds with ansible-galaxy, the tarball installs, and ansible-doc renders every module from it."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

from tests.helpers.playbook import clean_env

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("w365_*.py"))


def _run(cmd, env=None, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd, check=False)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_build_install_and_document(tmp_path):
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    dist = tmp_path / "dist"
    installed = tmp_path / "collections"
    # Only the fresh install may be visible: a collections path that already holds w365.cloudpc (the working
    # tree link that the test harness uses) would make ansible-galaxy skip the install as "already installed".
    env = clean_env({"ANSIBLE_COLLECTIONS_PATH": str(installed)})
    _run([BIN / "ansible-galaxy", "collection", "build", "--output-path", dist, REPO], env=env, cwd=tmp_path)
    tarball = dist / f"w365-cloudpc-{galaxy['version']}.tar.gz"
    assert tarball.exists()

    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    # what users need is in, and development leftovers are not
    for required in ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "README.md", "requirements.txt",
                     *(f"plugins/modules/{m}.py" for m in MODULES)):
        assert required in names, f"{required} missing from the tarball"
    for name in names:
        assert not name.startswith((".venv", ".build", ".git/", "tests/output")), f"{name} should not be shipped"

    _run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", installed, tarball], env=env,
         cwd=tmp_path)
    assert (installed / "ansible_collections" / "w365" / "cloudpc" / "MANIFEST.json").exists()

    listing = json.loads(_run([BIN / "ansible-doc", "-t", "module", "-l", "--json", "w365.cloudpc"], env=env).stdout)
    assert sorted(name.split(".")[-1] for name in listing) == MODULES

    docs = json.loads(_run([BIN / "ansible-doc", "--json", *(f"w365.cloudpc.{m}" for m in MODULES)], env=env).stdout)
    for module in MODULES:
        doc = docs[f"w365.cloudpc.{module}"]
        assert doc["doc"]["short_description"], module
        assert doc["examples"].strip(), f"{module} has no EXAMPLES"
        assert doc["return"], f"{module} has no RETURN"
        assert {"check_mode", "diff_mode"} <= set(doc["doc"].get("attributes", {})), f"{module} lacks attributes"
        # the shared sign-in options come from the doc fragment; w365_signin (the interactive device-code sign-in)
        # takes only what that sign-in needs
        wanted = {"tenant_id", "client_id"} if module == "w365_signin" else {"tenant_id", "client_secret", "auth_method"}
        assert wanted <= set(doc["doc"]["options"]), module
    # every module is in the action group, so module_defaults can carry sign-in options once
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    assert sorted(runtime["action_groups"]["w365"]) == MODULES
