# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the health-check tables of docs/anc.md and the troubleshooting guide from plugins/module_utils/_health_checks.

Usage (from the repository root, with the collection importable as ansible_collections.w365.cloudpc):
    .venv/bin/python docs/gen_health_checks.py          # rewrite the generated blocks
    .venv/bin/python docs/gen_health_checks.py --check  # exit 1 when a generated block is out of date
"""

from __future__ import annotations

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKDOWN = os.path.join(ROOT, 'docs', 'anc.md')
RST = os.path.join(ROOT, 'docs', 'docsite', 'rst', 'troubleshooting_health_checks.rst')

MD_BEGIN = '<!-- BEGIN GENERATED: health-check table (docs/gen_health_checks.py; edit plugins/module_utils/_health_checks.py) -->'
MD_END = '<!-- END GENERATED: health-check table -->'
RST_BEGIN = '.. BEGIN GENERATED: health-check tables (docs/gen_health_checks.py; edit plugins/module_utils/_health_checks.py)'
RST_END = '.. END GENERATED: health-check tables'


def _table():
    try:
        from ansible_collections.w365.cloudpc.plugins.module_utils import _health_checks
    except ImportError:
        sys.path.insert(0, os.path.join(ROOT, '.build', 'collections'))
        from ansible_collections.w365.cloudpc.plugins.module_utils import _health_checks
    return _health_checks


def _md_cell(text):
    return text.replace('|', '\\|')


def markdown():
    lines = ['| `error_type` | what it means | remedy |', '| --- | --- | --- |']
    for _key, title, _prefix, rows in _table().by_category():
        for name, explanation, remedy in rows:
            lines.append('| `%s` | %s | %s |' % (name, _md_cell(explanation), _md_cell(remedy)))
    return '\n'.join(lines)


def _rst_text(text):
    # Option names and error types read as literals; everything else is plain prose.
    return re.sub(r'\*', r'\\*', text)


def rst():
    out = ['']  # blank lines around the block: the marker comments must not run into the tables
    for _key, title, prefix, rows in _table().by_category():
        if not rows:
            continue
        heading = '%s (``%s...``)' % (title, prefix) if prefix else title
        out += [heading, '-' * len(heading), '', '.. list-table::', '  :header-rows: 1', '  :widths: 30 35 35', '',
                '  * - errorType', '    - What it means', '    - Remedy']
        for name, explanation, remedy in rows:
            out += ['  * - ``%s``' % name, '    - %s' % _rst_text(explanation), '    - %s' % _rst_text(remedy)]
        out.append('')
    return '\n'.join(out)


def _replace(text, begin, end, body, path):
    pattern = re.compile(re.escape(begin) + r'\n.*?\n' + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit('%s: markers %r ... %r not found' % (path, begin, end))
    return pattern.sub(lambda _m: begin + '\n' + body + '\n' + end, text)


def render():
    """{path: (current text, generated text)}."""
    result = {}
    for path, begin, end, body in ((MARKDOWN, MD_BEGIN, MD_END, markdown()), (RST, RST_BEGIN, RST_END, rst())):
        with open(path, encoding='utf-8') as handle:
            current = handle.read()
        result[path] = (current, _replace(current, begin, end, body, path))
    return result


def main(argv):
    stale = []
    for path, (current, generated) in render().items():
        if current == generated:
            continue
        if '--check' in argv:
            stale.append(path)
        else:
            with open(path, 'w', encoding='utf-8') as handle:
                handle.write(generated)
    if stale:
        sys.stderr.write('out of date (run docs/gen_health_checks.py): %s\n' % ', '.join(stale))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
