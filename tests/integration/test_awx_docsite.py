# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make docs` builds the documentation site offline: module pages and every guide listed in extra-docs.yml."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_docs_site_builds_with_every_guide(tmp_path):
    env = {**os.environ, 'DOCS_BUILD_DIR': str(tmp_path), 'DOCS_LENIENT': '0'}
    proc = subprocess.run(['bash', str(REPO / 'docs' / 'build.sh')], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    html = tmp_path / 'html'
    landing = (html / 'index.html').read_text()
    assert 'Welcome to my Ansible collection documentation' not in landing  # antsibull-docs' placeholder
    assert 'Where to start' in landing and 'getting_started.html' in landing
    pages = html / 'collections' / 'w365' / 'cloudpc'
    guides = yaml.safe_load((REPO / 'docs' / 'docsite' / 'extra-docs.yml').read_text())['sections'][0]['toctree']
    for guide in guides:
        assert (pages / 'docsite' / f'{guide}.html').is_file(), guide
    modules = sorted(p.stem for p in (REPO / 'plugins' / 'modules').glob('w365_*.py'))
    assert modules
    for module in modules:
        assert (pages / f'{module}_module.html').is_file(), module
    awx = (pages / 'docsite' / 'awx.html').read_text()
    assert 'w365_tenant_credentials' in awx and 'w365_tenant_map.yml' in awx
