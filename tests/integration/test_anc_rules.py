# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""w365_anc under ansible-playbook against the sandbox: the service's rules and every refusal before a write."""

from __future__ import annotations

import pytest

from tests.helpers.anc import (
    ANC_PATH, JOIN_PW, OU1, SUB, VNET_ID, anc_task, entra_args, graph_writes, hybrid_args, run, seed_dict,
    start_anc_sandbox, task)


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    sandbox = start_anc_sandbox(tmp_path_factory, 'anc-rules')
    yield sandbox
    sandbox.stop()


# Cases also run in check mode, which must refuse them the same way.
CHECK_MODE_TOO = (0, 2, 4, 7, 11, 16)
BAD_SUBNET_ID = VNET_ID + '/subnetz/snet-a'

# (task args, option the message must name)
INVALID = [
    (dict(name='anc-new-1', **hybrid_args(ad_domain_username='CORP\\svcjoin')), 'ad_domain_username'),
    (dict(name='anc-new-2', **hybrid_args(ad_domain_username='svcjoin')), 'ad_domain_username'),
    (dict(name='anc-new-3', **hybrid_args(organizational_unit='corp.ancco.com/CloudPCs')), 'organizational_unit'),
    (dict(name='anc-new-4', **hybrid_args(organizational_unit='OU=CloudPCs')), 'organizational_unit'),
    (dict(name='anc-new-5', ad_domain_name='corp.ancco.com', **entra_args()), 'ad_domain_name'),
    (dict(name='anc-new-6', organizational_unit=OU1, **entra_args()), 'organizational_unit'),
    (dict(name='anc-new-7', ad_domain_password=JOIN_PW, **entra_args()), 'ad_domain_password'),
    (dict(name='anc-new-8', **dict(entra_args(), subnet=BAD_SUBNET_ID)), 'subnet'),
    (dict(name='anc-new-9', **dict(entra_args(), subscription_id='ANC Production')), 'subscription_id'),
    (dict(name='anc-new-10', **dict(entra_args(), resource_group='/subscriptions/%s/resourceGroupz/rg' % SUB)),
     'resource_group'),
    (dict(name='anc-new-11', **dict(entra_args(), virtual_network='vnet with spaces')), 'virtual_network'),
    (dict(name='anc-new-12', **{k: v for k, v in entra_args().items() if k != 'join_type'}), 'join_type'),
    (dict(name='anc-new-13', **{k: v for k, v in entra_args().items() if k != 'subnet'}), 'subnet'),
    (dict(name='anc-new-14', **hybrid_args(ad_domain_password=None)), 'ad_domain_password'),
    (dict(name='anc-new-15', **hybrid_args(ad_domain_name='corp')), 'ad_domain_name'),
    (dict(name='anc-new-16', wait_timeout=0, **entra_args()), 'wait_timeout'),
    # Rules that depend on the existing connection.
    (dict(name='anc-seed-entra', join_type='hybrid_join'), 'join_type'),
    (dict(name='anc-seed-hybrid', join_type='entra_join'), 'join_type'),
    (dict(name='anc-seed-entra', organizational_unit=OU1), 'organizational_unit'),
    (dict(name='anc-seed-hybrid', ad_domain_password=JOIN_PW, update_password='always',
          virtual_network=VNET_ID), 'subnet'),
    (dict(name='anc-seed-hybrid', virtual_network='vnet-cloudpc'), 'resource_group'),
    (dict(name='anc-twice', subnet='snet-a'), 'name'),
]


def test_invalid_input_fails_naming_the_option_before_any_write(box, run_playbook):
    tasks = []
    for i, (args, _option) in enumerate(INVALID):
        args = {k: v for k, v in args.items() if v is not None and k != 'name'}
        tasks.append(task('case%d' % i, INVALID[i][0]['name'], ignore_errors=True, **args))
        if i in CHECK_MODE_TOO:
            tasks.append(task('check%d' % i, INVALID[i][0]['name'], check=True, ignore_errors=True, **args))
    res, writes = run(box, run_playbook, tasks)
    assert writes == []
    for i, (args, option) in enumerate(INVALID):
        for register in ['case%d' % i] + (['check%d' % i] if i in CHECK_MODE_TOO else []):
            entry = res.entry(register)
            msg = entry['result'].get('msg', '')
            assert entry['status'] == 'ignored', (register, args, entry['result'])
            assert option in msg, (register, args, msg)
            assert entry['result'].get('option') == option, (register, entry['result'])
            assert JOIN_PW not in msg
    assert 'does not allow changing the join type' in res.result('case16')['msg']
    duplicate = res.result('case%d' % (len(INVALID) - 1))['msg']
    assert 'anc-twice' in duplicate and duplicate.count('5a1e0a9c-0000-4000-8000-00000000a00') == 2


def test_missing_required_option_is_refused_by_ansible(box, run_playbook):
    res, writes = run(box, run_playbook, [{'name': 'out', 'w365.cloudpc.w365_anc': {'join_type': 'entra_join'},
                                           'ignore_errors': True}])
    assert writes == []
    assert 'name' in res.result('out')['msg'] and 'required' in res.result('out')['msg']


def test_delete_refused_while_in_use_names_the_policies(box, run_playbook):
    res, writes = run(box, run_playbook, [
        task('predict', 'anc-in-use', check=True, ignore_errors=True, state='absent'),
        task('delete', 'anc-in-use', ignore_errors=True, state='absent'),
    ])
    assert writes == [], 'no DELETE may be sent'
    for register in ('predict', 'delete'):
        out = res.result(register)
        assert res.entry(register)['status'] == 'ignored'
        assert 'Policy Alpha, Policy Beta' in out['msg']
        assert 'Policy Unrelated' not in out['msg']
        assert out['provisioning_policies'] == ['Policy Alpha', 'Policy Beta']
        assert out['changed'] is False and out['connection']['in_use'] is True


def test_delete_refused_while_cloud_pcs_or_dr_settings_use_it(box, run_playbook):
    """issue 14 item 1: in use means more than a provisioning policy, and the refusal names the real blocker."""
    res, writes = run(box, run_playbook, [
        task('delete', 'anc-used-by-pcs', ignore_errors=True, state='absent'),
        task('info', 'anc-used-by-pcs', module='w365.cloudpc.w365_anc_info'),
        task('other', 'anc-seed-entra', module='w365.cloudpc.w365_anc_info'),
    ])
    assert writes == [], 'no DELETE may be sent'
    out = res.result('delete')
    assert res.entry('delete')['status'] == 'ignored' and out['changed'] is False
    assert '2 Cloud PCs: CPC-alice-01, CPC-bob-01' in out['msg']
    assert 'disaster recovery' in out['msg'] and 'DR Europe' in out['msg'] and 'No DR' not in out['msg']
    assert 'deprovision' in out['msg']
    assert out['cloud_pcs'] == ['CPC-alice-01', 'CPC-bob-01'] and out['user_settings'] == ['DR Europe']
    assert out['provisioning_policies'] == []
    assert out['connection']['in_use'] is True and out['connection']['in_use_by_cloud_pc'] is True
    [info] = res.result('info')['connections']
    assert info['in_use_by'] == {'provisioning_policies': [], 'cloud_pcs': ['CPC-alice-01', 'CPC-bob-01'],
                                 'user_settings': ['DR Europe'], 'unreadable': []}
    [other] = res.result('other')['connections']
    assert other['in_use'] is True and other['in_use_by']['provisioning_policies'] == ['Policy Unrelated']


def test_duplicate_names_are_listed_not_guessed(box, run_playbook):
    res, writes = run(box, run_playbook, [
        task('delete', 'anc-twice', ignore_errors=True, state='absent'),
        task('info', 'anc-twice', module='w365.cloudpc.w365_anc_info'),
    ])
    assert writes == []
    assert res.entry('delete')['status'] == 'ignored'
    assert len(res.result('info')['connections']) == 2


def test_app_only_write_is_explained_and_reads_work(box, run_playbook):
    res, writes = run(box, run_playbook, [
        dict(anc_task('anc-app-only', **entra_args()), ignore_errors=True),
        {'name': 'info', 'w365.cloudpc.w365_anc_info': {'name': 'anc-seed-hybrid'}, 'register': 'info'},
    ], principal='app')
    out = res.result('out')
    assert res.entry('out')['status'] == 'ignored'
    assert out['error']['status'] == 403
    assert 'delegated-only' in out['msg'] and 'auth_method: username_password' in out['msg']
    assert out['error']['request_id']
    assert [w['status'] for w in writes] == [403]
    info = res.result('info')
    assert info['auth_method'] == 'client_secret'
    [conn] = info['connections']
    assert conn['join_type'] == 'hybrid_join' and conn['organizational_unit'] == OU1
    assert conn['health_check_status'] == 'passed' and len(conn['health_checks']) >= 5
    assert box.auth_vars(0, 'app')['client_secret'] not in res.stdout


def test_name_filter_rejected_falls_back_to_client_side_match(box, run_playbook):
    box.clear_faults()
    box.fault({'method': 'GET', 'path': 'onPremisesConnections$', 'status': 400, 'count': 1, 'service': 'graph'})
    try:
        res, writes = run(box, run_playbook, [anc_task('anc-seed-entra', subnet='snet-a')])
    finally:
        box.clear_faults()
    assert res.rc == 0, str(res)
    assert res.result('out')['changed'] is False and writes == []
    gets = [r for r in box.requests() if r['service'] == 'graph' and r['path'].endswith('onPremisesConnections')]
    assert [r['status'] for r in gets] == [400, 200]
    assert "displayName eq 'anc-seed-entra'" in gets[0]['query'].get('$filter', '')
    assert '$filter' not in gets[1]['query'] and 'inUse' in gets[1]['query']['$select']


def test_anc_limit_checked_before_create(sandbox_factory, run_playbook):
    box = sandbox_factory(seed_dict())
    seeded = len(box.seed['tenants'][0]['network_connections'])
    res, writes = run(box, run_playbook, [anc_task('anc-over-limit', anc_limit=seeded, **entra_args())])
    out = res.result('out')
    assert res.rc != 0 and writes == []
    assert 'anc_limit is %d' % seeded in out['msg'] and 'already has %d' % seeded in out['msg']
    res, writes = run(box, run_playbook, [anc_task('anc-over-limit', anc_limit=seeded + 1, **entra_args())])
    assert res.rc == 0, str(res)
    assert [w['method'] for w in writes] == ['POST']


def test_edits_wait_for_running_checks(sandbox_factory, run_playbook):
    # Checks that take an hour, at real time: edits must wait for them or be refused.
    box = sandbox_factory(seed_dict(pending_seconds=0, running_seconds=3600), time_scale=1)
    name = 'anc-busy'
    res, writes = run(box, run_playbook, [anc_task(name, **entra_args())])
    assert res.rc == 0, str(res)
    assert res.result('out')['connection']['health_check_status'] == 'running'

    # Edits and deletes are refused (in check mode too), a run with nothing to change is fine (and
    # run_health_checks does not start a second run), and a wait that runs out fails with the last state seen.
    res, writes = run(box, run_playbook, [
        task('edit_check', name, check=True, ignore_errors=True, subnet='snet-b'),
        task('edit', name, ignore_errors=True, subnet='snet-b'),
        task('delete_check', name, check=True, ignore_errors=True, state='absent'),
        task('delete', name, ignore_errors=True, state='absent'),
        task('noop', name, subnet='snet-a', run_health_checks=True),
        task('timeout', name, ignore_errors=True, wait=True, wait_timeout=2),
    ])
    assert writes == []
    for register in ('edit_check', 'edit', 'delete_check', 'delete'):
        out = res.result(register)
        assert res.entry(register)['status'] == 'ignored', register
        assert out['option'] == 'wait' and 'wait: true' in out['msg'] and 'running' in out['msg']
    assert res.result('noop')['changed'] is False
    out = res.result('timeout')
    assert res.entry('timeout')['status'] == 'ignored'
    assert 'timed out after 2 s' in out['msg'] and out['connection']['health_check_status'] == 'running'

    # With wait: true the edit waits for the last seconds of the checks, then sends one PATCH. The PATCH restarts
    # the hour-long checks, so the wait that follows runs out: the task fails but reports the change it made.
    box.advance(3590 - _elapsed_check_seconds(box))
    res, writes = run(box, run_playbook, [anc_task(name, subnet='snet-b', wait=True, wait_timeout=15)])
    out = res.result('out')
    assert res.rc != 0 and out['changed'] is True and 'timed out' in out['msg']
    assert [(w['method'], w['body']) for w in writes] == [('PATCH', {'subnetId': VNET_ID + '/subnets/snet-b'})]
    log = [(r['method'], r['path']) for r in box.requests() if r['service'] == 'graph']
    first_patch = log.index(('PATCH', writes[0]['path']))
    polls = [entry for entry in log[:first_patch] if entry == ('GET', writes[0]['path'])]
    assert len(polls) >= 2, 'the module should have polled the running checks before writing'
    assert out['connection']['subnet_id'].endswith('/snet-b')


def _elapsed_check_seconds(box):
    """Sandbox seconds since the busy connection's checks started (from its healthCheckStatusDetail)."""
    import datetime

    def parse(text):
        return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))

    state = box.state()
    for anc in state['tenants'][0]['network_connections']:
        if anc['displayName'] == 'anc-busy':
            return (parse(state['now']) - parse(anc['healthCheckStatusDetail']['startDateTime'])).total_seconds()
    raise AssertionError('anc-busy is not in the sandbox state')


def test_health_checks_fail_without_grants_then_pass(box, run_playbook):
    name = 'anc-no-grants'
    args = dict(join_type='entra_join', subscription_id=SUB, resource_group='rg-nogrants',
                virtual_network='vnet-nogrants', subnet='snet-n')
    res, writes = run(box, run_playbook, [anc_task(name, wait=True, wait_timeout=120, fail_on_unhealthy=True,
                                                   **args)])
    out = res.result('out')
    assert res.rc != 0 and out['changed'] is True
    assert [w['method'] for w in writes] == ['POST']
    failed = sorted(c['error_type'] for c in out['failed_checks'])
    assert failed == ['permissionCheckNoWindows365NetworkInterfaceContributorRole',
                      'permissionCheckNoWindows365NetworkUserRole']
    for error_type in failed:
        assert error_type in out['msg']
    assert 'Reader' not in ' '.join(failed)

    # Grant the roles with w365_role_grant, then re-run the checks: they pass.
    grant = {'name': 'grant', 'w365.cloudpc.w365_role_grant': {
        'purpose': 'network_connection', 'subscription_id': SUB, 'resource_group': 'rg-nogrants',
        'virtual_network': 'vnet-nogrants'}}
    res, writes = run(box, run_playbook, [grant, anc_task(name, run_health_checks=True, wait=True,
                                                          wait_timeout=120, fail_on_unhealthy=True)])
    assert res.rc == 0, str(res)
    out = res.result('out')
    assert out['changed'] is True and out['connection']['health_check_status'] == 'passed'
    assert [w['path'] for w in writes if w['service'] == 'graph'] == [
        '%s/%s/runHealthChecks' % (ANC_PATH, out['connection']['id'])]
    assert not [c for c in out['connection']['health_checks'] if c['status'] == 'failed']


def test_info_lists_everything_sorted_with_details(box, run_playbook):
    res, writes = run(box, run_playbook, [{'name': 'info', 'w365.cloudpc.w365_anc_info': {}, 'register': 'info'},
                                          {'name': 'nothing', 'w365.cloudpc.w365_anc_info': {'name': 'no-such-anc'},
                                           'register': 'nothing'}], check=True)
    assert res.rc == 0, str(res)
    assert writes == [] and graph_writes(box) == []
    connections = res.result('info')['connections']
    names = [c['name'] for c in connections]
    assert names == sorted(names, key=str.lower)
    by_name = {c['name']: c for c in connections}
    assert by_name['anc-in-use']['in_use'] is True and by_name['anc-seed-hybrid']['in_use'] is False
    assert by_name['anc-seed-entra']['join_type'] == 'entra_join'
    assert res.result('nothing')['connections'] == []


def test_inputs_that_cannot_work_are_refused_before_any_write(box, run_playbook):
    """update_password=always without a password, control characters in names, a subnet that does not exist."""
    cases = [
        ('always_no_pw', 'anc-seed-hybrid', dict(update_password='always'), 'update_password'),
        ('newline_name', 'anc-new\nline', entra_args(), 'name'),
        ('tab_name', 'anc-new\tx', entra_args(), 'name'),
        ('ou_control', 'anc-new-ou', hybrid_args(organizational_unit='OU=Cloud\x07PCs,DC=corp,DC=ancco,DC=com'),
         'organizational_unit'),
        ('missing_subnet', 'anc-new-nosubnet', entra_args(subnet='snet-missing'), 'subnet'),
        ('missing_vnet', 'anc-new-novnet', dict(entra_args(), virtual_network='vnet-missing'), 'subnet'),
        ('move_to_missing', 'anc-seed-entra', dict(subnet='snet-missing'), 'subnet'),
    ]
    tasks = []
    for register, name, args, dummy in cases:
        tasks.append(task(register, name, ignore_errors=True, **args))
        tasks.append(task(register + '_check', name, check=True, ignore_errors=True, **args))
    res, writes = run(box, run_playbook, tasks)
    assert writes == []
    for register, name, args, option in cases:
        for reg in (register, register + '_check'):
            entry = res.entry(reg)
            assert entry['status'] == 'ignored', (reg, entry['result'])
            assert entry['result'].get('option') == option, (reg, entry['result'])
            assert JOIN_PW not in entry['result']['msg']
    assert 'snet-missing' in res.result('missing_subnet')['msg']
    # One ARM read of the subnet per create, none for the runs refused offline.
    arm_reads = [r for r in box.requests() if r['service'] == 'arm']
    assert len(arm_reads) == 6 and all('/subnets/' in r['path'] and r['method'] == 'GET' for r in arm_reads), arm_reads
