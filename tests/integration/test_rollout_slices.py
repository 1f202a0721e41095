# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12: an AWX job sliced across execution nodes runs parts of one inventory as separate jobs at once. When a
tenant's two regions land in two slices, each slice has its own "first host of the tenant" and both try the tenant's
image: the image is still uploaded once, each connection created once, no role assignment duplicated, and each
slice's report says which hosts (and which AWX job) it covers."""
from __future__ import annotations

import json
import threading

from tests.helpers.playbook import run_playbook
from tests.integration.test_rollout import IMAGES, ROLLOUT, SEED_PATH, TENANT_IDS, write_inventory


def test_two_slices_of_one_tenant_upload_once_and_create_one_of_each(sandbox_factory, tmp_path):
    box = sandbox_factory(SEED_PATH)
    # Slow uploads and grants, so the two slices really overlap on the tenant's shared writes.
    box.fault({'method': 'POST', 'path': 'deviceImages$', 'latency_ms': 1500})
    box.fault({'method': 'PUT', 'path': '/roleAssignments/', 'latency_ms': 500})
    inventory = write_inventory(tmp_path / 'inv', box, tenants=('contoso',))
    slices = {1: 'contoso_westeurope', 2: 'contoso_northeurope'}
    results, errors = {}, []
    barrier = threading.Barrier(len(slices))

    def run_slice(number, host):
        try:
            barrier.wait()
            results[number] = run_playbook(
                tmp_path / ('slice%d' % number), ROLLOUT, inventory=inventory, limit=host,
                extra_vars={'w365_report_dir': str(tmp_path / ('reports%d' % number)),
                            'awx_job_id': 5100 + number, 'awx_workflow_job_id': 5100})
        except BaseException as err:  # re-raised below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run_slice, args=item) for item in slices.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    for res in results.values():
        assert res.rc == 0, str(res)

    tenant = next(t for t in box.state()['tenants'] if t['id'] == TENANT_IDS['contoso'])
    names = [a['displayName'] for a in tenant['network_connections']]
    for region in ('westeurope', 'northeurope'):
        assert names.count('anc-contoso-%s' % region) == 1, names
    wanted = (IMAGES['contoso'][0]['name'], IMAGES['contoso'][0]['version'])
    assert [(i['displayName'], i['version']) for i in tenant['device_images']].count(wanted) == 1
    triples = [(ra['properties']['principalId'].lower(), ra['properties']['roleDefinitionId'].lower(),
                ra['properties']['scope'].lower()) for ra in tenant['role_assignments']]
    assert len(triples) == len(set(triples)), triples

    for number, host in slices.items():
        report = json.loads((tmp_path / ('reports%d' % number) / 'rollout.json').read_text(encoding='utf-8'))
        assert report['scope']['hosts'] == [host], report['scope']
        assert report['scope']['awx_job_id'] == 5100 + number
