# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every public function of these module_utils files carries type hints (mypy, run by tests/lint.sh, checks them)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

MODULE_UTILS = Path(__file__).resolve().parents[4] / 'plugins' / 'module_utils'

HINTED = ('_anc', '_clouds', '_converge', '_errors', '_grants', '_health_checks', '_ids', '_images', '_inventory',
          '_resource', '_retry', '_service_principal', '_signin_checks', '_token_cache', '_waiter')
# Not yet hinted: _arm, _auth, _auth_methods, _graph, _module, _preflight.


def public_functions(tree):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith('_'):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith('_'):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and (not item.name.startswith('_') or item.name == '__init__'):
                    yield '%s.%s' % (node.name, item.name), item


def unhinted(node):
    args = node.args
    params = [a for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg not in ('self', 'cls')]
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    missing = [a.arg for a in params if a.annotation is None]
    if node.returns is None:
        missing.append('return')
    return missing


@pytest.mark.parametrize('name', HINTED)
def test_public_functions_are_hinted(name):
    tree = ast.parse((MODULE_UTILS / ('%s.py' % name)).read_text())
    missing = {qualname: gaps for qualname, node in public_functions(tree) for gaps in [unhinted(node)] if gaps}
    assert missing == {}
