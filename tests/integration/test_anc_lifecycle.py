# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""w365_anc / w365_anc_info under ansible-playbook against the sandbox: the lifecycle for both join types.

Each test uses its own connection names, so tests sharing the module's sandbox do not see each other's writes
in a way that matters; write counts are taken from the request log right after clearing it.
"""

from __future__ import annotations

import pytest

from tests.helpers.anc import (
    ANC_PATH, HUB_VNET_ID, JOIN_PW, OU1, OU2, RG_ID, SUB, VNET_ID, WRONG_JOIN_PW, entra_args, hybrid_args, run,
    start_anc_sandbox, task)


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    sandbox = start_anc_sandbox(tmp_path_factory, 'anc-sandbox')
    yield sandbox
    sandbox.stop()


def test_entra_join_lifecycle(box, run_playbook):
    name = 'anc-entra-life'
    ids_in_other_case = dict(join_type='entra_join', resource_group=RG_ID.upper(),
                             subnet=(VNET_ID + '/subnets/snet-a').lower())
    res, writes = run(box, run_playbook, [
        task('predict', name, check=True, diff=True, **entra_args()),
        task('create', name, diff=True, **entra_args()),
        task('again', name, **entra_args()),
        task('again_check', name, check=True, **entra_args()),
        task('by_ids', name, **ids_in_other_case),
        task('one', name, module='w365.cloudpc.w365_anc_info'),
        task('all', None, module='w365.cloudpc.w365_anc_info'),
    ])
    assert res.rc == 0, str(res)
    # One create request in the whole run: check mode, the reruns and the info module sent nothing.
    assert [(w['method'], w['path']) for w in writes] == [('POST', ANC_PATH)]
    assert writes[0]['body']['connectionType'] == 'azureADJoin'
    assert not any(k.startswith('adDomain') for k in writes[0]['body'])

    predict = res.result('predict')
    assert predict['changed'] is True and predict['connection']['id'] is None
    assert predict['connection']['join_type'] == 'entra_join'
    assert predict['diff']['before'] == {} and predict['diff']['after']['name'] == name

    create = res.result('create')
    conn = create['connection']
    assert create['changed'] is True and conn['id']
    assert conn['name'] == name and conn['join_type'] == 'entra_join'
    assert conn['subnet_id'].lower() == (VNET_ID + '/subnets/snet-a').lower()
    assert conn['resource_group_id'].lower() == RG_ID.lower()
    assert conn['in_use'] is False and conn['virtual_network_location'] == 'westeurope'
    assert conn['health_check_status'] in ('pending', 'running')
    assert create['diff']['before'] == {} and create['diff']['after']['subnet_id'] == conn['subnet_id']
    for register in ('again', 'again_check', 'by_ids'):
        assert res.result(register)['changed'] is False, register
    one = res.result('one')
    assert one['changed'] is False and [c['id'] for c in one['connections']] == [conn['id']]
    assert name in [c['name'] for c in res.result('all')['connections']]

    # Move to another subnet by name only: one PATCH with only the subnet, after waiting out the first checks.
    res, writes = run(box, run_playbook, [task('move', name, diff=True, subnet='snet-b', wait=True,
                                               wait_timeout=120)])
    out = res.result('move')
    assert res.rc == 0, str(res)
    assert out['changed'] is True
    assert [(w['method'], w['path'], w['body']) for w in writes] == [
        ('PATCH', '%s/%s' % (ANC_PATH, conn['id']), {'subnetId': VNET_ID + '/subnets/snet-b'})]
    assert out['diff']['before']['subnet_id'].endswith('/snet-a')
    assert out['diff']['after']['subnet_id'].endswith('/snet-b')
    assert out['connection']['health_check_status'] == 'passed'
    assert out['connection']['health_checks'], 'a finished run lists its checks'

    # Delete: check mode first, then for real, then again (nothing left to do).
    res, writes = run(box, run_playbook, [
        task('predict', name, check=True, state='absent'),
        task('delete', name, diff=True, state='absent'),
        task('again', name, state='absent'),
    ])
    assert res.rc == 0, str(res)
    assert [(w['method'], w['path']) for w in writes] == [('DELETE', '%s/%s' % (ANC_PATH, conn['id']))]
    assert res.result('predict')['changed'] is True
    assert res.result('delete')['changed'] is True
    assert res.result('delete')['diff']['before']['name'] == name
    assert res.result('again')['changed'] is False

    # Graph: deleting a connection removes the service's permissions on its resource group and vnet (also those
    # the other connections of this module rely on); granting them again is the fix the teardown playbook applies.
    res, writes = run(box, run_playbook, [task('regrant', None, module='w365.cloudpc.w365_role_grant',
                                               purpose='network_connection', subscription_id=SUB,
                                               resource_group='rg-cloudpc', virtual_network='vnet-cloudpc')])
    assert res.rc == 0, str(res)
    assert sorted(g['role_name'] for g in res.result('regrant')['grants'] if g['changed']) == [
        'Windows 365 Network Interface Contributor', 'Windows 365 Network User']


def test_hybrid_join_lifecycle(box, run_playbook):
    name = 'anc-hybrid-life'
    user_password = box.auth_vars(0, 'user')['password']

    # Check mode, then a create with a password AD does not accept: the checks fail and fail_on_unhealthy lists
    # them. A rerun with the right password under update_password=on_create sends nothing.
    res, writes = run(box, run_playbook, [
        task('predict', name, check=True, diff=True, **hybrid_args()),
        task('create', name, wait=True, wait_timeout=120, fail_on_unhealthy=True, ignore_errors=True,
             **hybrid_args(ad_domain_password=WRONG_JOIN_PW)),
        task('again', name, **hybrid_args()),
    ])
    assert res.rc == 0, str(res)
    assert [(w['method'], w['path']) for w in writes] == [('POST', ANC_PATH)]
    body = writes[0]['body']
    assert body['connectionType'] == 'hybridAzureADJoin'
    assert body['virtualNetworkId'] == HUB_VNET_ID and body['resourceGroupId'] == RG_ID
    assert body['organizationalUnit'] == OU1 and body['adDomainUsername'] == 'svcjoin@corp.ancco.com'
    assert res.result('predict')['changed'] is True
    assert res.result('predict')['diff']['after']['ad_domain_password'] == '(set)'
    create = res.result('create')
    assert res.entry('create')['status'] == 'ignored' and create['changed'] is True
    assert 'Active Directory domain join: adJoinCheckIncorrectCredentials' in create['msg']
    assert 'update the password' in create['msg']  # the service's recommended action
    assert [c['error_type'] for c in create['failed_checks']] == ['adJoinCheckIncorrectCredentials']
    conn = create['connection']
    assert conn['join_type'] == 'hybrid_join' and conn['ad_domain_name'] == 'corp.ancco.com'
    assert conn['organizational_unit'] == OU1 and conn['health_check_status'] == 'failed'
    assert res.result('again')['changed'] is False

    # Rotation with update_password=always on the FAILED connection: one PATCH of adDomainPassword (Graph documents
    # updateAdDomainPassword for a successful connection; issue 14.5), checks pass, no secret at -vvvv.
    res, writes = run(box, run_playbook, [
        task('rotate', name, wait=True, wait_timeout=120, fail_on_unhealthy=True, update_password='always',
             **hybrid_args()),
    ], diff=True, verbosity=4)
    out = res.result('rotate')
    assert res.rc == 0, str(res)
    assert out['changed'] is True
    assert [(w['method'], w['path']) for w in writes] == [('PATCH', '%s/%s' % (ANC_PATH, conn['id']))]
    assert list(writes[0]['body']) == ['adDomainPassword']
    assert out['diff']['after']['ad_domain_password'] == '(set)'
    assert 'ad_domain_password' not in out['diff']['before']
    assert out['connection']['health_check_status'] == 'passed'
    for secret in (JOIN_PW, WRONG_JOIN_PW, user_password):
        assert secret not in res.stdout and secret not in res.stderr
        assert secret not in repr(res.results)

    # The same rotation on the now HEALTHY connection uses the action; when the service refuses the action, the
    # password goes by PATCH instead.
    res, writes = run(box, run_playbook, [
        task('rotate2', name, wait=True, wait_timeout=120, fail_on_unhealthy=True, update_password='always',
             **hybrid_args()),
    ])
    assert res.rc == 0, str(res)
    assert [(w['method'], w['path']) for w in writes] == [
        ('POST', '%s/%s/updateAdDomainPassword' % (ANC_PATH, conn['id']))]
    box.fault({'method': 'POST', 'path': 'updateAdDomainPassword$', 'status': 400, 'count': 1, 'service': 'graph'})
    res, writes = run(box, run_playbook, [
        task('rotate3', name, wait=True, wait_timeout=120, fail_on_unhealthy=True, update_password='always',
             **hybrid_args()),
    ])
    box.clear_faults()
    assert res.rc == 0, str(res)
    assert [(w['method'], w['path']) for w in writes] == [
        ('POST', '%s/%s/updateAdDomainPassword' % (ANC_PATH, conn['id'])), ('PATCH', '%s/%s' % (ANC_PATH, conn['id']))]
    assert res.result('rotate3')['connection']['health_check_status'] == 'passed'

    # Update subnet (by full ID, in another vnet) and OU together: one PATCH with exactly what differs. The same
    # again (OU in other case and spacing) changes nothing; an explicit re-run of the checks is one POST.
    new_subnet = VNET_ID + '/subnets/snet-b'
    res, writes = run(box, run_playbook, [
        task('update', name, diff=True, subnet=new_subnet, organizational_unit=OU2, wait=True, wait_timeout=120,
             fail_on_unhealthy=True),
        task('again', name, subnet=new_subnet, organizational_unit=OU2.lower().replace(',', ', ')),
        task('recheck', name, run_health_checks=True, wait=True, wait_timeout=120, fail_on_unhealthy=True),
    ])
    assert res.rc == 0, str(res)
    assert [(w['method'], w['path'], w['body']) for w in writes] == [
        ('PATCH', '%s/%s' % (ANC_PATH, conn['id']),
         {'virtualNetworkId': VNET_ID, 'subnetId': new_subnet, 'organizationalUnit': OU2}),
        ('POST', '%s/%s/runHealthChecks' % (ANC_PATH, conn['id']), None)]
    out = res.result('update')
    assert out['changed'] is True
    assert out['diff']['before']['organizational_unit'] == OU1
    assert out['diff']['after']['organizational_unit'] == OU2
    assert out['diff']['before']['subnet_id'].endswith('/snet-hub')
    assert out['connection']['subnet_id'] == new_subnet
    assert out['connection']['health_check_status'] == 'passed'
    assert res.result('again')['changed'] is False
    assert res.result('recheck')['changed'] is True
    assert res.result('recheck')['connection']['health_check_status'] == 'passed'

    res, writes = run(box, run_playbook, [task('delete', name, state='absent')])
    assert res.rc == 0, str(res)
    assert [w['method'] for w in writes] == ['DELETE']
