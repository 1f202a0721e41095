# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests by cost: tests/conftest.py gives every test one tier marker (fast, sandbox, playbook)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import conftest

REPO = Path(__file__).resolve().parents[2]


class Item:
    def __init__(self, path, fixtures=(), marks=()):
        self.path = REPO / path
        self.fixturenames = list(fixtures)
        self.marks = [getattr(pytest.mark, m) for m in marks]

    def get_closest_marker(self, name):
        return next((m for m in self.marks if m.name == name), None)

    def add_marker(self, mark):
        self.marks.append(mark)

    def tiers(self):
        return sorted({m.name for m in self.marks} & {'fast', 'sandbox', 'playbook'})


@pytest.mark.parametrize('path, fixtures, marks, tier', [
    ('tests/unit/plugins/module_utils/test_ids.py', ('tmp_path',), (), ['fast']),
    ('tests/unit/plugins/module_utils/test_client_sandbox.py', ('sb', 'core'), (), ['sandbox']),
    ('tests/unit/emulator/test_graph.py', ('contoso', 'launch', '_shared'), (), ['sandbox']),
    ('tests/unit/emulator_spec/test_graph_anc.py', ('ancs', 'api', 'emulator'), (), ['sandbox']),
    ('tests/unit/emulator/test_process.py', (), ('sandbox',), ['sandbox']),
    ('tests/unit/plugins/module_utils/test_module_playbook.py', ('run_playbook',), (), ['playbook']),
    ('tests/integration/test_anc_lifecycle.py', ('sandbox',), (), ['playbook']),
    ('tests/unit/test_ee.py', (), ('slow',), []),
])
def test_each_test_gets_the_tier_of_what_it_starts(path, fixtures, marks, tier):
    item = Item(path, fixtures, marks)
    conftest.pytest_collection_modifyitems(None, [item])
    assert item.tiers() == tier


def test_every_sandbox_fixture_is_known():
    """A fixture that starts a sandbox must be in SANDBOX_FIXTURES, or its tests would count as fast."""
    import re
    fixtures = {}
    # tests/integration is the playbook tier by its path.
    for conf in [REPO / 'tests' / 'conftest.py', *(REPO / 'tests' / 'unit').rglob('*.py')]:
        text = conf.read_text(encoding='utf-8')
        for match in re.finditer(r'@pytest\.fixture[^\n]*\ndef (\w+)\((.*?)\):\n(.*?)(?=\n(?:@|def |\Z))', text, re.S):
            name, args, body = match.groups()
            fixtures[name] = ({a.strip() for a in args.split(',')}, body)
    starters = {name for name, (_args, body) in fixtures.items()
                if re.search(r'\b(start_sandbox|start_emulator|start)\(', body)}
    assert {'sandbox', 'sandbox_factory', 'core', '_shared', 'emulator', 'demo'} <= starters
    # Fixtures built on these are covered: pytest lists every fixture a test uses, directly or not, in fixturenames.
    assert starters <= conftest.SANDBOX_FIXTURES
