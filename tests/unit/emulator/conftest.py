"""Fixtures for the emulator's behaviour tests: emulator processes on the demo seed or on small test seeds."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from .api import Api, start

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "w365_sandbox" / "seeds" / "demo.yml"


@pytest.fixture(scope="session")
def demo_seed():
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


@pytest.fixture
def seed(demo_seed):
    """A fresh deep copy of the demo seed that a test may change before starting an emulator."""
    return copy.deepcopy(demo_seed)


@pytest.fixture(scope="session")
def _shared(tmp_path_factory):
    """One emulator process per test session (per xdist worker), reset to a new world by each test."""
    box, api = start(DEMO, tmp_path_factory.mktemp("shared-emu"))
    api.close()
    yield box
    box.stop()


@pytest.fixture
def launch(_shared):
    """launch(seed_dict_or_path=DEMO, time_scale=1.0) -> Api on a freshly reset world (POST /_emulator/reset)."""
    made = []

    def _launch(seed=DEMO, time_scale=1.0):
        if not isinstance(seed, dict):
            seed = yaml.safe_load(Path(seed).read_text(encoding="utf-8"))
        api = Api(_shared)
        made.append(api)
        reply = api.request("POST", "/_emulator/reset", body={"seed": seed, "time_scale": time_scale})
        assert reply.status == 200, reply
        return api

    yield _launch
    for api in made:
        api.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One emulator on the demo seed shared by a module's read-only tests."""
    box, api = start(DEMO, tmp_path_factory.mktemp("emu"), time_scale=1.0)
    yield api
    api.close()
    box.stop()
