# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import sys

import pytest

from . import specs as _specs

# w365_sandbox.launcher is imported by module path; make the repo root importable however pytest was started.
if str(_specs.REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_specs.REPO_ROOT))


@pytest.fixture(autouse=True)
def _official_specs():
    """Every test here reads the official API descriptions: skip with the reason when they are absent."""
    return _specs.require_specs()


@pytest.fixture(scope='session')
def emulator():
    """One emulator per test worker on the verifier seed; simulated time moves only when a test advances it."""
    _specs.require_specs()
    from tests.helpers.sandbox import start_sandbox

    from .sandbox import SEED_PATH
    box = start_sandbox(SEED_PATH, time_scale=1.0)
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(scope='session')
def api(emulator):
    from .sandbox import SandboxApi
    client = SandboxApi(emulator)
    yield client
    client.session.close()


@pytest.fixture(scope='module')
def demo():
    """A sandbox on the shipped demo seed (what `make demo` starts from), one per test module: (client, seed)."""
    _specs.require_specs()
    from tests.helpers.sandbox import start_sandbox

    from .sandbox import SandboxApi
    box = start_sandbox(_specs.REPO_ROOT / 'w365_sandbox' / 'seeds' / 'demo.yml', time_scale=1.0)
    client = SandboxApi(box)
    try:
        yield client, box.seed
    finally:
        client.session.close()
        box.stop()
