# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Graph paths, ARM api-versions, service limits and retry defaults are written once (fast, no network)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from ansible_collections.w365.cloudpc.plugins.module_utils import _constants, _retry
from ansible_collections.w365.cloudpc.plugins.modules import w365_anc, w365_preflight

PLUGINS = Path(__file__).resolve().parents[4] / 'plugins'
API_VERSION = re.compile(r'^\d{4}-\d\d-\d\d(-preview)?$')


def test_anc_limit_default_comes_from_the_constants():
    assert w365_anc.argument_spec()['anc_limit']['default'] == _constants.DEFAULT_ANC_LIMIT
    source = (PLUGINS / 'modules' / 'w365_preflight.py').read_text(encoding='utf-8')
    assert "anc_limit=dict(type='int', default=DEFAULT_ANC_LIMIT)" in source
    assert w365_preflight.DEFAULT_ANC_LIMIT is _constants.DEFAULT_ANC_LIMIT


def _code_strings(path):
    """String literals in code (docstrings and the DOCUMENTATION/EXAMPLES/RETURN blocks left out)."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body and \
                isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            skip.add(id(node.body[0].value))
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) in ('DOCUMENTATION', 'EXAMPLES', 'RETURN')
                                                for t in node.targets):
            skip.add(id(node.value))
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip]


def test_api_versions_and_graph_paths_live_only_in_constants():
    offenders = []
    for path in sorted(PLUGINS.rglob('*.py')):
        if path.name == '_constants.py':
            continue
        for text in _code_strings(path):
            if API_VERSION.match(text) or text.startswith('deviceManagement/'):
                offenders.append('%s: %r' % (path.relative_to(PLUGINS), text))
    assert offenders == []


def test_retry_defaults_are_written_once():
    from ansible_collections.w365.cloudpc.plugins.module_utils._module import auth_argument_spec
    spec = auth_argument_spec()
    assert spec['api_retries']['default'] == _retry.DEFAULT_API_RETRIES
    assert spec['api_retry_max_wait']['default'] == _retry.DEFAULT_API_RETRY_MAX_WAIT
    assert spec['api_timeout']['default'] == _retry.DEFAULT_API_TIMEOUT
    settings = _retry.RetrySettings()
    assert (settings.max_attempts, settings.max_total_wait, settings.timeout) == (
        _retry.DEFAULT_API_RETRIES + 1, _retry.DEFAULT_API_RETRY_MAX_WAIT, _retry.DEFAULT_API_TIMEOUT)


def test_one_backoff_formula():
    assert [_retry.backoff(1.0, n, 30) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    for name in ('_waiter.py', '_grants.py'):
        assert 'backoff(' in (PLUGINS / 'module_utils' / name).read_text(encoding='utf-8'), name
