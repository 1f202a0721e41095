"""Fixtures for the emulator's behaviour tests: emulator processes on the demo seed or on small test seeds."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from .api import start

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "tests" / "emulator" / "seeds" / "demo.yml"


@pytest.fixture(scope="session")
def demo_seed():
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


@pytest.fixture
def seed(demo_seed):
    """A fresh deep copy of the demo seed that a test may change before starting an emulator."""
    return copy.deepcopy(demo_seed)


@pytest.fixture
def launch(tmp_path):
    """launch(seed_dict_or_path, time_scale=1.0) -> Api; the emulator stops when the test ends."""
    running = []

    def _launch(seed=DEMO, time_scale=1.0, extra_args=()):
        proc, api = start(seed, tmp_path, time_scale=time_scale, extra_args=extra_args)
        running.append((proc, api))
        return api

    yield _launch
    for proc, api in running:
        api.close()
        proc.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One emulator on the demo seed shared by a module's read-only tests."""
    proc, api = start(DEMO, tmp_path_factory.mktemp("emu"), time_scale=1.0)
    yield api
    api.close()
    proc.stop()
