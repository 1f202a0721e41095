# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every public function of every module_utils file carries type hints (mypy, run by tests/lint.sh, checks them)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

MODULE_UTILS = Path(__file__).resolve().parents[4] / 'plugins' / 'module_utils'

FILES = sorted(str(p.relative_to(MODULE_UTILS)) for p in MODULE_UTILS.rglob('*.py'))


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


def test_every_module_utils_file_is_checked():
    assert len(FILES) > 20 and '_module.py' in FILES and '_auth_methods/_base.py' in FILES


@pytest.mark.parametrize('name', FILES)
def test_public_functions_are_hinted(name):
    tree = ast.parse((MODULE_UTILS / name).read_text())
    missing = {qualname: gaps for qualname, node in public_functions(tree) for gaps in [unhinted(node)] if gaps}
    assert missing == {}
