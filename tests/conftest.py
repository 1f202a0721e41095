"""Shared fixtures: the sandbox emulator and ansible-playbook runs against it (see docs/dev/architecture.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".build" / "collections"

# Make `tests.*` and `ansible_collections.w365.cloudpc.*` importable in every test. The collection link must exist
# before its directory goes on sys.path: Python caches "no such directory" for a path entry, and a fresh clone has
# no link until ensure_collection_link() makes it.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.helpers.playbook import ensure_collection_link, run_playbook as _run_playbook  # noqa: E402
from tests.helpers.sandbox import start_sandbox  # noqa: E402

ensure_collection_link()
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

DEMO_SEED = REPO / "w365_sandbox" / "seeds" / "demo.yml"

# Tests by cost. Every test gets one tier marker: `playbook` (ansible-playbook or a module process: everything in
# tests/integration, and any test using run_playbook), `sandbox` (a sandbox process: any test using one of these
# fixtures, or marked so by its module), else `fast` unless marked `slow`. `make test-fast` runs `-m fast`.
# The fixtures that start a sandbox process; a test's `fixturenames` holds every fixture it uses directly or
# through others (`sb` through `core`, `launch` through `_shared`, `api` through `emulator`).
SANDBOX_FIXTURES = frozenset((
    "sandbox", "sandbox_factory",  # tests/conftest.py
    "core",  # tests/unit/plugins/module_utils/conftest.py
    "_shared", "demo",  # tests/unit/emulator/conftest.py (and the `demo` of emulator_spec/conftest.py)
    "emulator",  # tests/unit/emulator_spec/conftest.py
))
PLAYBOOK_FIXTURES = frozenset(("run_playbook",))


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "integration" in item.path.parts or fixtures & PLAYBOOK_FIXTURES or item.get_closest_marker("playbook"):
            item.add_marker(pytest.mark.playbook)
        elif fixtures & SANDBOX_FIXTURES or item.get_closest_marker("sandbox"):
            item.add_marker(pytest.mark.sandbox)
        elif not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.fast)


@pytest.fixture
def sandbox_factory(tmp_path):
    """Start sandboxes from a seed path or dict; each is stopped when the test ends."""
    started = []

    def factory(seed, **kwargs):
        kwargs.setdefault("workdir", tmp_path)
        box = start_sandbox(seed, **kwargs)
        started.append(box)
        return box

    yield factory
    for box in started:
        box.stop()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One sandbox on the demo seed, shared by the tests of a module."""
    box = start_sandbox(DEMO_SEED, workdir=tmp_path_factory.mktemp("sandbox"))
    yield box
    box.stop()


@pytest.fixture
def run_playbook(tmp_path):
    """Call as run_playbook(playbook, check=..., diff=..., ...); files go to the test's tmp_path."""
    counter = {"n": 0}

    def runner(playbook, **kwargs):
        counter["n"] += 1
        return _run_playbook(tmp_path / f"run{counter['n']}", playbook, **kwargs)

    return runner
