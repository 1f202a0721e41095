# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ANC modules talk only to Graph: loading them and their Graph client must not pull in any azure.mgmt SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Imports the modules in a new Python process.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[4]

PROBE = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import ansible_collections.w365.cloudpc.plugins.modules.w365_anc
import ansible_collections.w365.cloudpc.plugins.modules.w365_anc_info
from ansible_collections.w365.cloudpc.plugins.module_utils import _graph  # what module.graph loads on first use
import azure.core.pipeline
print(json.dumps(sorted(m for m in sys.modules if m.startswith('azure'))))
'''


def test_no_azure_mgmt_import():
    out = subprocess.run([sys.executable, '-c', PROBE, str(REPO / '.build' / 'collections')], capture_output=True,
                         text=True, check=True, cwd=str(REPO))
    loaded = json.loads(out.stdout)
    assert 'azure.core.pipeline' in loaded  # the probe really loaded the Graph stack
    assert not [m for m in loaded if m.startswith('azure.mgmt')]
