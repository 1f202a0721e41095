# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every create path under "processed, then the answer lost" and under slow racing creates (issue 18): image
uploads (POST deviceImages) and role assignments (PUT roleAssignments); the ANC path is in test_concurrency.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.role_grant import run_together, triples

SEEDS = Path(__file__).resolve().parent / 'seeds'
IMG_SUB = '7d0c6f4e-1a2b-4c3d-8e9f-0000000006aa'
IMG_SRC = '/subscriptions/%s/resourceGroups/rg-images/providers/Microsoft.Compute/images/' % IMG_SUB
IMAGES_PATH = '/v1.0/deviceManagement/virtualEndpoint/deviceImages'
RG_SUB = '7a000000-0000-4000-8000-00000000005b'
W365 = '7a000000-0000-4000-8000-000000005e01'


def _play(auth, tasks):
    return [{'hosts': 'localhost', 'gather_facts': False, 'vars': {'w365_auth': auth},
             'module_defaults': {'group/w365.cloudpc.w365': {k: '{{ w365_auth.%s }}' % k for k in auth}},
             'tasks': tasks}]


# -- image uploads ---------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def images_box(tmp_path_factory):
    from tests.helpers.sandbox import start_sandbox

    box = start_sandbox(SEEDS / 'image.yml', workdir=tmp_path_factory.mktemp('race-images'))
    yield box
    box.stop()


def _upload(box, name, wait=True):
    return _play(box.auth_vars(0, 'app'), [{'name': 'img', 'register': 'img', 'w365.cloudpc.w365_custom_image': {
        'name': name, 'version': '1.0.0', 'source_image_id': IMG_SRC + 'win11-golden-b', 'wait': wait}}])


def _images(box, name):
    return [i for i in box.state()['tenants'][0]['device_images'] if i['displayName'] == name]


def _image_posts(box):
    return [w for w in box.writes() if w['method'] == 'POST' and w['path'] == IMAGES_PATH]


def test_image_upload_answer_lost_is_adopted_not_repeated(images_box, run_playbook):
    box = images_box
    box.clear_faults()
    box.fault({'method': 'POST', 'path': 'deviceImages$', 'answer_lost': True, 'count': 1})
    box.clear_requests()
    try:
        res = run_playbook(_upload(box, 'Lost Answer'))
    finally:
        box.clear_faults()
    assert res.rc == 0, str(res)
    posts = _image_posts(box)
    assert len(posts) == 1 and posts[0]['answer_delivered'] is False
    images = _images(box, 'Lost Answer')
    assert len(images) == 1
    out = res.result('img')
    assert out['changed'] is True and out['image']['id'] == images[0]['id'] and out['image']['status'] == 'ready'
    box.clear_requests()
    again = run_playbook(_upload(box, 'Lost Answer'))
    assert again.rc == 0 and again.result('img')['changed'] is False and box.writes() == []


@pytest.mark.parametrize('fault', [{'latency_ms': 1500}, {'response_delay_ms': 1500}],
                         ids=['slow-apply', 'slow-answer'])
def test_two_concurrent_uploads_end_with_one_image(images_box, tmp_path, fault):
    box = images_box
    box.clear_faults()
    box.fault({'method': 'POST', 'path': 'deviceImages$', **fault})
    try:
        for trial in range(2):
            name = 'Race %s %d' % (next(iter(fault)), trial)
            box.clear_requests()
            results = run_together(tmp_path / str(trial), [_upload(box, name, wait=False)] * 2)
            for res in results:
                assert res.rc == 0, str(res)
            images = _images(box, name)
            assert len(images) == 1, images
            assert {r.result('img')['image']['id'] for r in results} == {images[0]['id']}
    finally:
        box.clear_faults()


# -- role assignments ------------------------------------------------------------------------------------------

@pytest.fixture
def grants_box(sandbox_factory):
    return sandbox_factory(SEEDS / 'role_grants.yml')


def _grant(box):
    return _play(box.auth_vars(0, 'app'), [{'name': 'grant', 'register': 'grant', 'w365.cloudpc.w365_role_grant': {
        'purpose': 'network_connection', 'subscription_id': RG_SUB, 'resource_group': 'rg-pcs',
        'virtual_network': 'vnet-pcs'}}])


def _puts(box):
    return [w for w in box.writes() if w['method'] == 'PUT' and '/roleAssignments/' in w['path']]


def test_role_assignment_answer_lost_converges(grants_box, run_playbook):
    """Each role assignment PUT is carried out and its answer lost: no duplicate, and the task (or a rerun)
    ends with exactly the three grants."""
    box = grants_box
    before = triples(box, W365)
    auth_path = '/providers/Microsoft.Authorization/roleAssignments/'
    for scope in ('^/subscriptions/[^/]+', 'resourceGroups/rg-pcs', 'virtualNetworks/vnet-pcs'):
        box.fault({'method': 'PUT', 'path': scope + auth_path, 'answer_lost': True, 'count': 1})
    box.clear_requests()
    res = run_playbook(_grant(box))
    box.clear_faults()
    puts = _puts(box)
    lost = [p for p in puts if p['answer_delivered'] is False]
    # Each of the three creates was carried out and its answer lost.
    assert len(lost) == 3 and all(p['status'] == 201 for p in lost), [(p['status'], p['path']) for p in puts]
    # The retried PUTs met the assignments this run made: the task succeeds and says it changed something.
    assert res.rc == 0, str(res)
    assert res.result('grant')['changed'] is True
    after = triples(box, W365)
    assert len(after) == len(set(after)), after  # no duplicate assignment
    assert len(set(after) - set(before)) == 3, (before, after)
    box.clear_requests()
    again = run_playbook(_grant(box))
    assert again.rc == 0 and again.result('grant')['changed'] is False and _puts(box) == []


@pytest.mark.parametrize('fault', [{'latency_ms': 1500}, {'response_delay_ms': 1500}],
                         ids=['slow-apply', 'slow-answer'])
def test_two_concurrent_grants_make_no_duplicate_assignment(grants_box, tmp_path, fault):
    box = grants_box
    box.fault({'method': 'PUT', 'path': '/roleAssignments/', **fault})
    try:
        results = run_together(tmp_path, [_grant(box)] * 2)
    finally:
        box.clear_faults()
    for res in results:
        assert res.rc == 0, str(res)
    after = triples(box, W365)
    assert len(after) == len(set(after)), after
    # Both runs raced on every missing grant: one created each, the other found it (RoleAssignmentExists).
    puts = _puts(box)
    assert len(puts) >= 4, puts
