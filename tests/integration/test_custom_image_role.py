# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The custom_image role writes nothing for an image Windows 365 would refuse (issue 12, finding 4): the source is
checked before the Reader grant, not only before the upload."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

SEED = yaml.safe_load((Path(__file__).resolve().parent / 'seeds' / 'image.yml').read_text(encoding='utf-8'))
SUB_B = '7d0c6f4e-1a2b-4c3d-8e9f-0000000006bb'
RAW = '/subscriptions/%s/resourceGroups/rg-elsewhere/providers/Microsoft.Compute/images/win11-raw' % SUB_B
GOOD = '/subscriptions/%s/resourceGroups/rg-elsewhere/providers/Microsoft.Compute/images/win11-elsewhere' % SUB_B


def role_play(box, source, name):
    return [{
        'hosts': 'localhost', 'gather_facts': False,
        'module_defaults': {'group/w365.cloudpc.w365': box.auth_vars(0, 'app')},
        'roles': [{'role': 'w365.cloudpc.custom_image', 'vars': {
            'custom_image_name': name, 'custom_image_version': '1.0.0', 'custom_image_source_image_id': source}}],
    }]


def test_an_unfit_source_fails_before_the_reader_grant(sandbox_factory, run_playbook):
    seed = copy.deepcopy(SEED)
    # Subscription B: Windows 365 holds no Reader there, so the role would grant it first.
    images = seed['tenants'][0]['subscriptions'][1]['resource_groups'][0]['images']
    images.append({'name': 'win11-raw', 'os': 'Windows 11 Enterprise', 'generation': 2, 'generalized': False})
    box = sandbox_factory(seed)

    box.clear_requests()
    res = run_playbook(role_play(box, RAW, 'Raw'))
    assert res.rc != 0
    assert box.writes() == []
    failed = [r for r in res.results if r['status'] == 'failed']
    assert len(failed) == 1 and 'generalized' in failed[0]['result']['msg']

    # A fit source from the same subscription goes ahead: grant, then upload.
    box.clear_requests()
    res = run_playbook(role_play(box, GOOD, 'Elsewhere'))
    assert res.rc == 0, res.stdout[-3000:]
    assert [w['method'] for w in box.writes()] == ['PUT', 'POST']
