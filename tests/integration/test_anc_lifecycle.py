# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""w365_anc / w365_anc_info under ansible-playbook against the sandbox: the lifecycle for both join types.

Each test uses its own connection names, so tests sharing the module's sandbox do not see each other's writes
in a way that matters; write counts are taken from the request log right after clearing it.
"""

from __future__ import annotations

import pytest

from tests.helpers.anc import (
    ANC_PATH, HUB_VNET_ID, JOIN_PW, OU1, OU2, RG_ID, VNET_ID, WRONG_JOIN_PW, anc_task, entra_args, hybrid_args,
    run, start_anc_sandbox)


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    sandbox = start_anc_sandbox(tmp_path_factory, 'anc-sandbox')
    yield sandbox
    sandbox.stop()


def test_entra_join_lifecycle(box, run_playbook):
    name = 'anc-entra-life'

    # Check mode predicts the create and sends nothing.
    res, writes = run(box, run_playbook, [anc_task(name, **entra_args())], check=True, diff=True)
    out = res.result('out')
    assert res.rc == 0, str(res)
    assert out['changed'] is True and writes == []
    assert out['connection']['id'] is None and out['connection']['join_type'] == 'entra_join'
    assert out['diff']['before'] == {} and out['diff']['after']['name'] == name

    # Create, with diff.
    res, writes = run(box, run_playbook, [anc_task(name, **entra_args())], diff=True)
    out = res.result('out')
    assert res.rc == 0, str(res)
    assert out['changed'] is True
    assert [(w['method'], w['path']) for w in writes] == [('POST', ANC_PATH)]
    assert writes[0]['body']['connectionType'] == 'azureADJoin'
    assert not any(k.startswith('adDomain') for k in writes[0]['body'])
    conn = out['connection']
    assert conn['name'] == name and conn['join_type'] == 'entra_join' and conn['id']
    assert conn['subnet_id'].lower() == (VNET_ID + '/subnets/snet-a').lower()
    assert conn['resource_group_id'].lower() == RG_ID.lower()
    assert conn['in_use'] is False
    assert conn['virtual_network_location'] == 'westeurope'
    assert out['diff']['before'] == {} and out['diff']['after']['subnet_id'] == conn['subnet_id']

    # Second run: nothing differs, nothing is written. Check mode agrees.
    for check in (False, True):
        res, writes = run(box, run_playbook, [anc_task(name, **entra_args())], check=check)
        assert res.rc == 0, str(res)
        assert res.result('out')['changed'] is False
        assert writes == []

    # IDs instead of names, in other letter case, are the same connection.
    args = dict(join_type='entra_join', resource_group=RG_ID.upper(),
                subnet=(VNET_ID + '/subnets/snet-a').lower())
    res, writes = run(box, run_playbook, [anc_task(name, **args)])
    assert res.rc == 0, str(res)
    assert res.result('out')['changed'] is False and writes == []

    # The info module sees it, by name and in the full list.
    res, writes = run(box, run_playbook, [
        {'name': 'one', 'w365.cloudpc.w365_anc_info': {'name': name}, 'register': 'one'},
        {'name': 'all', 'w365.cloudpc.w365_anc_info': {}, 'register': 'all'},
    ], check=True)
    assert res.rc == 0, str(res)
    assert writes == []
    one = res.result('one')
    assert one['changed'] is False and [c['id'] for c in one['connections']] == [conn['id']]
    assert one['connections'][0]['in_use'] is False
    assert one['connections'][0]['health_check_status'] in ('pending', 'running', 'passed')
    assert name in [c['name'] for c in res.result('all')['connections']]

    # Move to another subnet by name only: one PATCH with only the subnet; waits out the running checks.
    res, writes = run(box, run_playbook, [anc_task(name, subnet='snet-b', wait=True, wait_timeout=120)], diff=True)
    out = res.result('out')
    assert res.rc == 0, str(res)
    assert out['changed'] is True
    assert [(w['method'], w['path'], w['body']) for w in writes] == [
        ('PATCH', '%s/%s' % (ANC_PATH, conn['id']), {'subnetId': VNET_ID + '/subnets/snet-b'})]
    assert out['diff']['before']['subnet_id'].endswith('/snet-a')
    assert out['diff']['after']['subnet_id'].endswith('/snet-b')
    assert out['connection']['health_check_status'] == 'passed'
    assert out['connection']['health_checks'], 'a finished run lists its checks'

    # Delete: check mode first, then for real, then again (nothing to do).
    res, writes = run(box, run_playbook, [anc_task(name, state='absent')], check=True)
    assert res.result('out')['changed'] is True and writes == []
    res, writes = run(box, run_playbook, [anc_task(name, state='absent')], diff=True)
    assert res.rc == 0, str(res)
    assert res.result('out')['changed'] is True
    assert [(w['method'], w['path']) for w in writes] == [('DELETE', '%s/%s' % (ANC_PATH, conn['id']))]
    assert res.result('out')['diff']['before']['name'] == name
    res, writes = run(box, run_playbook, [anc_task(name, state='absent')])
    assert res.result('out')['changed'] is False and writes == []


def test_hybrid_join_lifecycle(box, run_playbook):
    name = 'anc-hybrid-life'
    user_password = box.auth_vars(0, 'user')['password']

    res, writes = run(box, run_playbook, [anc_task(name, **hybrid_args())], check=True, diff=True)
    assert res.rc == 0, str(res)
    assert res.result('out')['changed'] is True and writes == []
    assert res.result('out')['diff']['after']['ad_domain_password'] == '(set)'

    # Created with a password AD does not accept: the checks fail and fail_on_unhealthy lists them.
    res, writes = run(box, run_playbook, [anc_task(name, wait=True, wait_timeout=120, fail_on_unhealthy=True,
                                                   **hybrid_args(ad_domain_password=WRONG_JOIN_PW))])
    out = res.result('out')
    assert res.rc != 0 and res.entry('out')['status'] == 'failed' and out['changed'] is True
    assert 'Active Directory domain join: adJoinCheckIncorrectCredentials' in out['msg']
    assert 'update the password' in out['msg']  # the service's recommended action
    assert [c['error_type'] for c in out['failed_checks']] == ['adJoinCheckIncorrectCredentials']
    assert [(w['method'], w['path']) for w in writes] == [('POST', ANC_PATH)]
    body = writes[0]['body']
    assert body['connectionType'] == 'hybridAzureADJoin'
    assert body['virtualNetworkId'] == HUB_VNET_ID and body['resourceGroupId'] == RG_ID
    assert body['organizationalUnit'] == OU1 and body['adDomainUsername'] == 'svcjoin@corp.ancco.com'
    conn = out['connection']
    assert conn['join_type'] == 'hybrid_join' and conn['ad_domain_name'] == 'corp.ancco.com'
    assert conn['health_check_status'] == 'failed'

    # Second run, with the right password but update_password=on_create: nothing differs, nothing is sent.
    res, writes = run(box, run_playbook, [anc_task(name, **hybrid_args())])
    assert res.rc == 0, str(res)
    assert res.result('out')['changed'] is False and writes == []

    # Rotation with update_password=always: one updateAdDomainPassword call, checks pass, no secret shown at -vvvv.
    res, writes = run(box, run_playbook, [anc_task(name, wait=True, wait_timeout=120, fail_on_unhealthy=True,
                                                   update_password='always', **hybrid_args())],
                      diff=True, verbosity=4)
    out = res.result('out')
    assert res.rc == 0, str(res)
    assert out['changed'] is True
    assert [(w['method'], w['path']) for w in writes] == [
        ('POST', '%s/%s/updateAdDomainPassword' % (ANC_PATH, conn['id']))]
    assert out['diff']['after']['ad_domain_password'] == '(set)'
    assert 'ad_domain_password' not in out['diff']['before']
    assert out['connection']['health_check_status'] == 'passed'
    for secret in (JOIN_PW, WRONG_JOIN_PW, user_password):
        assert secret not in res.stdout and secret not in res.stderr
        assert secret not in repr(res.results)

    # Update subnet (by full ID, in another vnet) and OU together: one PATCH with exactly what differs.
    new_subnet = VNET_ID + '/subnets/snet-b'
    res, writes = run(box, run_playbook, [anc_task(name, subnet=new_subnet, organizational_unit=OU2, wait=True,
                                                   wait_timeout=120, fail_on_unhealthy=True)], diff=True)
    out = res.result('out')
    assert res.rc == 0, str(res)
    assert out['changed'] is True
    assert [(w['method'], w['body']) for w in writes] == [
        ('PATCH', {'virtualNetworkId': VNET_ID, 'subnetId': new_subnet, 'organizationalUnit': OU2})]
    assert out['diff']['before']['organizational_unit'] == OU1
    assert out['diff']['after']['organizational_unit'] == OU2
    assert out['diff']['before']['subnet_id'].endswith('/snet-hub')
    assert out['connection']['subnet_id'] == new_subnet
    assert out['connection']['health_check_status'] == 'passed'

    # Same again, now idempotent; the OU in other letter case and spacing is the same OU.
    res, writes = run(box, run_playbook, [anc_task(name, subnet=new_subnet, organizational_unit=OU2.lower().replace(
        ',', ', '))])
    assert res.rc == 0, str(res)
    assert res.result('out')['changed'] is False and writes == []

    # An explicit re-run of the checks is an action: reported as a change, one POST.
    res, writes = run(box, run_playbook, [anc_task(name, run_health_checks=True, wait=True, wait_timeout=120,
                                                   fail_on_unhealthy=True)])
    assert res.rc == 0, str(res)
    assert res.result('out')['changed'] is True
    assert [(w['method'], w['path']) for w in writes] == [('POST', '%s/%s/runHealthChecks' % (ANC_PATH, conn['id']))]

    res, writes = run(box, run_playbook, [anc_task(name, state='absent')])
    assert res.rc == 0, str(res)
    assert [w['method'] for w in writes] == ['DELETE']
