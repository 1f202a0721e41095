# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""w365_provisioning_policy / w365_provisioning_policy_info under ansible-playbook against the sandbox.

The world is the ANC test seed (tests/integration/seeds/anc.yml: connections, seeded policies, Cloud PCs) plus a
connection whose health checks fail, custom images in three states and Entra groups. Write counts come from the
sandbox request log, cleared before each playbook run.
"""

from __future__ import annotations

import pytest

from tests.helpers.anc import SUB, graph_writes, play, seed_dict, task

POLICIES_PATH = '/v1.0/deviceManagement/virtualEndpoint/provisioningPolicies'
MODULE = 'w365.cloudpc.w365_provisioning_policy'
INFO = 'w365.cloudpc.w365_provisioning_policy_info'
NOGRANTS_SUBNET = ('/subscriptions/%s/resourceGroups/rg-nogrants/providers/Microsoft.Network/virtualNetworks/'
                   'vnet-nogrants/subnets/snet-n' % SUB)
SOURCE = '/subscriptions/%s/resourceGroups/rg-cloudpc/providers/Microsoft.Compute/images/win11' % SUB
GROUP_USERS = '5a1e0a9c-0000-4000-8000-00000000b001'
GROUP_ADMINS = '5a1e0a9c-0000-4000-8000-00000000b002'
GROUP_TWIN_1 = '5a1e0a9c-0000-4000-8000-00000000b003'
GROUP_TWIN_2 = '5a1e0a9c-0000-4000-8000-00000000b004'
GROUP_DL = '5a1e0a9c-0000-4000-8000-00000000b005'


def policy_seed():
    data = seed_dict()
    tenant = data['tenants'][0]
    tenant['users'][0]['graph_permissions'] = ['CloudPC.ReadWrite.All', 'Application.Read.All',
                                               'GroupMember.Read.All']
    tenant['network_connections'].append({
        'id': '5a1e0a9c-0000-4000-8000-00000000a00f', 'display_name': 'anc-failed', 'connection_type': 'azureADJoin',
        'subnet_id': NOGRANTS_SUBNET})
    tenant['device_images'] = [
        {'display_name': 'win11-corp', 'version': '1.0.0', 'source_image_resource_id': SOURCE, 'status': 'ready'},
        {'display_name': 'win11-corp', 'version': '1.0.1', 'source_image_resource_id': SOURCE, 'status': 'ready'},
        {'display_name': 'win11-corp', 'version': '1.0.2', 'source_image_resource_id': SOURCE, 'status': 'pending'},
        {'display_name': 'win11-broken', 'version': '1.0.0', 'source_image_resource_id': SOURCE, 'status': 'failed'},
    ]
    tenant['gallery_images'] = [
        {'sku_name': 'win11-24h2-ent-cpc-m365', 'display_name': 'Windows 11 Enterprise + Microsoft 365 Apps 24H2',
         'start_date': '-400d', 'end_date': '+300d', 'expiration_date': '+480d'},
        {'sku_name': 'win11-23h2-ent-cpc-m365', 'display_name': 'Windows 11 Enterprise + Microsoft 365 Apps 23H2',
         'start_date': '-800d', 'end_date': '+20d', 'expiration_date': '+200d'},
        {'sku_name': 'win11-23h2-ent-cpc', 'display_name': 'Windows 11 Enterprise 23H2',
         'start_date': '-800d', 'end_date': '-30d', 'expiration_date': '+150d'},
        {'sku_name': 'win10-22h2-ent-cpc-m365', 'display_name': 'Windows 10 Enterprise + Microsoft 365 Apps 22H2',
         'start_date': '-1500d', 'end_date': '-400d', 'expiration_date': '-220d'},
    ]
    tenant['groups'] = [
        {'id': GROUP_USERS, 'display_name': 'SG-CloudPC-Users'},
        {'id': GROUP_ADMINS, 'display_name': 'SG-CloudPC-Admins'},
        {'id': GROUP_TWIN_1, 'display_name': 'SG-Twin'},
        {'id': GROUP_TWIN_2, 'display_name': 'SG-Twin'},
        {'id': GROUP_DL, 'display_name': 'DL-Newsletter', 'mail_enabled': True, 'security_enabled': False},
    ]
    return data


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    from tests.helpers.sandbox import start_sandbox

    sandbox = start_sandbox(policy_seed(), workdir=tmp_path_factory.mktemp('policy-sandbox'))
    yield sandbox
    sandbox.stop()


def run(box, run_playbook, tasks, **kwargs):
    box.clear_requests()
    result = run_playbook(play(box, tasks), extra_vars={'w365_test_auth': box.auth_vars(0, 'user')}, **kwargs)
    return result, graph_writes(box)


def ptask(register, name, **args):
    return task(register, name, module=MODULE, **args)


def entra_policy(**overrides):
    args = dict(description='standard', network=[{'anc': 'anc-seed-entra'}, {'anc': 'anc-in-use'}],
                image={'type': 'custom', 'name': 'win11-corp', 'version': '1.0.0'}, single_sign_on=True,
                naming_template='CPC-%USERNAME:4%-%RAND:5%', windows_language='en-GB')
    args.update(overrides)
    return args


def policy_paths(writes):
    return [(w['method'], w['path']) for w in writes]


@pytest.mark.parametrize('in_process', [True, False], ids=['in-process', 'module-process'])
def test_create_update_delete_converge(box, run_playbook, in_process):
    name = 'pol-life-%s' % ('ip' if in_process else 'mp')
    res, writes = run(box, run_playbook, [
        ptask('predict', name, check=True, diff=True, **entra_policy()),
        ptask('create', name, diff=True, **entra_policy()),
        ptask('again', name, **entra_policy()),
        ptask('again_check', name, check=True, **entra_policy()),
        task('info', name, module=INFO),
    ], in_process=in_process)
    assert res.rc == 0, str(res)
    assert policy_paths(writes) == [('POST', POLICIES_PATH)]
    body = writes[0]['body']
    assert body['displayName'] == name and body['imageType'] == 'custom'
    assert [c['onPremisesConnectionId'] for c in body['domainJoinConfigurations']] == [
        '5a1e0a9c-0000-4000-8000-00000000a001', '5a1e0a9c-0000-4000-8000-00000000a003']
    assert body['cloudPcNamingTemplate'] == 'CPC-%USERNAME:4%-%RAND:5%'
    assert body['windowsSetting'] == {'locale': 'en-GB'} and body['enableSingleSignOn'] is True

    predict, create = res.result('predict'), res.result('create')
    assert predict['changed'] is True and predict['policy']['id'] is None
    assert predict['diff']['before'] == {}
    assert create['changed'] is True and create['policy']['id']
    for key in ('name', 'description', 'network', 'single_sign_on', 'naming_template', 'windows_language'):
        assert predict['policy'][key] == create['policy'][key], key
    assert [n['anc'] for n in create['policy']['network']] == ['anc-seed-entra', 'anc-in-use']
    assert create['policy']['image']['type'] == 'custom'
    assert create['policy']['image']['display_name'] == 'win11-corp'
    assert create['diff']['after']['network'] == create['policy']['network']
    assert res.result('again')['changed'] is False and res.result('again_check')['changed'] is False
    info = res.result('info')['policies']
    assert [p['id'] for p in info] == [create['policy']['id']]
    assert info[0]['network'] == create['policy']['network']
    policy_id = create['policy']['id']

    # Swap primary and alternate, newer image, turn SSO off: one PATCH with exactly those fields; the rerun is quiet.
    update = entra_policy(network=[{'anc': 'anc-in-use'}, {'anc': 'anc-seed-entra', 'join_type': 'entra_join'}],
                          image={'type': 'custom', 'name': 'win11-corp'}, single_sign_on=False)
    res, writes = run(box, run_playbook, [
        ptask('predict', name, check=True, diff=True, **update),
        ptask('update', name, diff=True, **update),
        ptask('again', name, **update),
        ptask('untouched', name),
    ], in_process=in_process)
    assert res.rc == 0, str(res)
    assert policy_paths(writes) == [('PATCH', '%s/%s' % (POLICIES_PATH, policy_id))]
    assert set(writes[0]['body']) == {'domainJoinConfigurations', 'imageType', 'imageId', 'imageDisplayName',
                                      'enableSingleSignOn'}
    out = res.result('update')
    assert [n['anc'] for n in out['policy']['network']] == ['anc-in-use', 'anc-seed-entra']
    assert out['diff']['before']['single_sign_on'] is True and out['diff']['after']['single_sign_on'] is False
    assert out['notes'] and 'existing Cloud PCs keep their settings' in out['notes'][0]
    assert res.result('predict')['policy']['network'] == out['policy']['network']
    assert res.result('predict')['notes'] == out['notes']
    assert res.result('again')['changed'] is False and res.result('untouched')['changed'] is False

    res, writes = run(box, run_playbook, [
        ptask('predict', name, check=True, state='absent'),
        ptask('delete', name, diff=True, state='absent'),
        ptask('again', name, state='absent'),
    ], in_process=in_process)
    assert res.rc == 0, str(res)
    assert policy_paths(writes) == [('DELETE', '%s/%s' % (POLICIES_PATH, policy_id))]
    assert res.result('predict')['changed'] is True and res.result('delete')['changed'] is True
    assert res.result('delete')['cloud_pcs_provisioned'] == 0
    assert res.result('delete')['diff']['before']['name'] == name
    assert res.result('again')['changed'] is False


BAD_INPUTS = [
    ('missing_anc', dict(network=[{'anc': 'anc-nowhere'}]), 'network[0]', 'does not exist'),
    ('failed_anc', dict(network=[{'anc': 'anc-seed-entra'}, {'anc': 'anc-failed'}]), 'network[1]',
     'failed its health checks'),
    ('join_mismatch', dict(network=[{'anc': 'anc-seed-hybrid', 'join_type': 'entra_join'}]), 'network[0]',
     'hybrid_join connection'),
    ('duplicate_anc_name', dict(network=[{'anc': 'anc-twice'}]), 'network[0]', '5a1e0a9c-0000-4000-8000-00000000a005'),
    ('image_pending', dict(image={'type': 'custom', 'name': 'win11-corp', 'version': '1.0.2'}), 'image',
     'not ready'),
    ('image_failed', dict(image={'type': 'custom', 'name': 'win11-broken'}), 'image', 'no version'),
    ('image_missing', dict(image={'type': 'custom', 'name': 'win12'}), 'image', 'does not exist'),
    ('gallery_missing', dict(image={'type': 'gallery', 'name': 'Windows 12 Enterprise'}), 'image',
     'no Windows 365 gallery image'),
    ('gallery_expired', dict(image={'type': 'gallery', 'name': 'Windows 10 Enterprise + Microsoft 365 Apps 22H2'}),
     'image', 'expired on'),
    ('naming', dict(naming_template='CPC-%USERNAME:8%-%RAND:5%'), 'naming_template', '15'),
    ('naming_no_rand', dict(naming_template='CPC-%USERNAME:4%'), 'naming_template', 'RAND'),
    ('hosted_hybrid', dict(network=[{'region': 'westeurope', 'join_type': 'hybrid_join'}]), 'network[0]',
     'entra_join'),
    ('locale', dict(windows_language='English'), 'windows_language', 'en-US'),
    ('shared_needs_plan', dict(provisioning_type='shared', assignments=[{'group': 'SG-CloudPC-Users'}]),
     'assignments[0]', 'service_plan_id'),
    ('dedicated_no_plan', dict(assignments=[{'group': 'SG-CloudPC-Users',
                                             'service_plan_id': '5a1e0a9c-0000-4000-8000-0000000000ff'}]),
     'assignments[0]', 'only for the shared'),
    ('mixed_join', dict(network=[{'anc': 'anc-seed-entra'}, {'anc': 'anc-seed-hybrid'}]), 'network',
     'share one join type'),
    ('hosted_and_anc', dict(network=[{'anc': 'anc-seed-entra'}, {'region': 'westeurope'}]), 'network',
     'not both'),
    ('group_missing', dict(assignments=[{'group': 'SG-Nobody'}]), 'assignments[0]', 'does not exist'),
    ('group_ambiguous', dict(assignments=[{'group': 'SG-CloudPC-Users'}, {'group': 'SG-Twin'}]), 'assignments[1]',
     '%s, %s' % (GROUP_TWIN_1, GROUP_TWIN_2)),
    ('group_distribution_list', dict(assignments=[{'group': 'DL-Newsletter'}]), 'assignments[0]',
     'neither a security group'),
]


def test_each_bad_input_is_refused_before_any_write(box, run_playbook):
    tasks = [ptask(key, 'pol-bad-%s' % key, ignore_errors=True, **entra_policy(**change))
             for key, change, _option, _text in BAD_INPUTS]
    # An existing policy asked for another provisioning type: refused, nothing written.
    tasks.append(ptask('immutable', 'Policy Unrelated', ignore_errors=True, provisioning_type='shared_by_user'))
    tasks.append(ptask('bad_name', 'pol|bad', ignore_errors=True, **entra_policy()))
    res, writes = run(box, run_playbook, tasks)
    assert writes == []
    for key, _change, option, text in BAD_INPUTS:
        out = res.result(key)
        assert res.entry(key)['status'] == 'ignored' and out['changed'] is False, (key, out)
        assert out.get('option') == option, (key, out.get('msg'))
        assert text in out['msg'], (key, out['msg'])
    assert res.result('immutable')['option'] == 'provisioning_type'
    assert res.result('bad_name')['option'] == 'name'


def test_create_needs_network_and_image(box, run_playbook):
    res, writes = run(box, run_playbook, [ptask('out', 'pol-incomplete', ignore_errors=True, description='x')])
    assert writes == []
    out = res.result('out')
    assert res.entry('out')['status'] == 'ignored' and out['option'] == 'network' and 'creating it needs network and image' in out['msg']


def test_microsoft_hosted_gallery_policy_and_info_lists_alternates(box, run_playbook):
    name = 'pol-hosted'
    args = dict(network=[{'region': 'westeurope', 'region_group': 'europeUnion'}],
                image={'type': 'gallery', 'name': 'win11-24h2-ent-cpc-m365'})
    res, writes = run(box, run_playbook, [
        ptask('create', name, **args),
        ptask('again', name, **args),
        task('alpha', 'Policy Alpha', module=INFO),
        task('gallery', None, module=INFO, gallery_images=True),
    ])
    assert res.rc == 0, str(res)
    assert policy_paths(writes) == [('POST', POLICIES_PATH)]
    assert writes[0]['body']['imageType'] == 'gallery'
    assert writes[0]['body']['imageId'] == 'microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365'
    assert writes[0]['body']['domainJoinConfigurations'] == [
        {'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': None, 'regionName': 'westeurope',
         'regionGroup': 'europeUnion'}]
    assert res.result('again')['changed'] is False
    alpha = res.result('alpha')['policies'][0]
    assert [(n['anc'], n['region']) for n in alpha['network']] == [(None, 'westeurope'), ('anc-in-use', None)]
    gallery = res.result('gallery')['gallery_images']
    assert any(g['sku_name'] == 'win11-24h2-ent-cpc-m365' and g['expiration_date'] for g in gallery)
    assert name in [p['name'] for p in res.result('gallery')['policies']]


def test_duplicate_policy_names_are_refused_naming_both(box, run_playbook):
    # Two policies of one name, made directly through Graph (the module would never create the second).
    res, _writes = run(box, run_playbook, [
        ptask('one', 'pol-dup', network=[{'anc': 'anc-seed-entra'}],
              image={'type': 'gallery', 'name': 'win11-24h2-ent-cpc-m365'})])
    assert res.rc == 0, str(res)
    first = res.result('one')['policy']['id']
    import requests

    headers = graph_headers(box, box.auth_vars(0, 'user'))
    created = requests.post(box.url + POLICIES_PATH, json={
        'displayName': 'pol-dup', 'description': '', 'imageType': 'gallery',
        'imageId': 'microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365',
        'imageDisplayName': 'x', 'domainJoinConfigurations': [
            {'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': '5a1e0a9c-0000-4000-8000-00000000a001'}]},
        headers=headers, verify=box.ca_bundle, timeout=30)
    assert created.status_code == 201, created.text
    second = created.json()['id']
    res, writes = run(box, run_playbook, [ptask('out', 'pol-dup', ignore_errors=True, description='changed'),
                                          ptask('gone', 'pol-dup', ignore_errors=True, state='absent')])
    assert writes == []
    for register in ('out', 'gone'):
        out = res.result(register)
        assert res.entry(register)['status'] == 'ignored' and first in out['msg'] and second in out['msg']


def graph_headers(box, auth):
    """A Graph token for the seeded admin through Microsoft Graph Command Line Tools, for a raw request."""
    import requests

    response = requests.post('%s/%s/oauth2/v2.0/token' % (box.url, auth['tenant_id']), data={
        'grant_type': 'password', 'client_id': '14d82eec-204b-4c2f-b7e8-296a70dab67e',
        'username': auth['username'], 'password': auth['password'],
        'scope': 'https://graph.microsoft.com/.default'}, verify=box.ca_bundle, timeout=30)
    assert response.status_code == 200, response.status_code
    return {'Authorization': 'Bearer %s' % response.json()['access_token']}


def test_assign_reassign_unassign_and_delete(box, run_playbook):
    name = 'pol-assign'
    base = entra_policy(network=[{'anc': 'anc-seed-entra'}])
    assigned = dict(base, assignments=[{'group': 'SG-CloudPC-Users'}, {'group': GROUP_ADMINS}])
    reordered = dict(base, assignments=[{'group': 'SG-CloudPC-Admins'}, {'group': GROUP_USERS}])
    res, writes = run(box, run_playbook, [
        ptask('predict', name, check=True, diff=True, **assigned),
        ptask('create', name, diff=True, **assigned),
        ptask('again', name, **reordered),
        ptask('left_alone', name, **base),
    ])
    assert res.rc == 0, str(res)
    policy_id = res.result('create')['policy']['id']
    assign_path = '%s/%s/assign' % (POLICIES_PATH, policy_id)
    assert policy_paths(writes) == [('POST', POLICIES_PATH), ('POST', assign_path)]
    assert sorted(a['target']['groupId'] for a in writes[1]['body']['assignments']) == [GROUP_USERS, GROUP_ADMINS]
    expected = sorted([{'group_id': GROUP_ADMINS, 'group_name': 'SG-CloudPC-Admins', 'service_plan_id': None},
                       {'group_id': GROUP_USERS, 'group_name': 'SG-CloudPC-Users', 'service_plan_id': None}],
                      key=lambda a: a['group_name'].lower())
    assert res.result('create')['policy']['assignments'] == expected
    assert res.result('predict')['policy']['assignments'] == expected
    assert res.result('create')['diff']['after']['assignments'] == expected
    for register in ('again', 'left_alone'):
        assert res.result(register)['changed'] is False, register

    # Delete refused while assigned (no write), then one group fewer (one assign), then delete with unassign.
    res, writes = run(box, run_playbook, [
        ptask('refused', name, ignore_errors=True, state='absent'),
        ptask('refused_check', name, check=True, ignore_errors=True, state='absent'),
        ptask('fewer', name, diff=True, **dict(base, assignments=[{'group': 'SG-CloudPC-Users'}])),
        task('info', name, module=INFO),
    ])
    assert policy_paths(writes) == [('POST', assign_path)]
    assert writes[0]['body']['assignments'][0]['target']['groupId'] == GROUP_USERS
    for register in ('refused', 'refused_check'):
        out = res.result(register)
        assert res.entry(register)['status'] == 'ignored' and out['changed'] is False
        assert 'unassign=true' in out['msg'] and GROUP_USERS in out['msg'] and 'SG-CloudPC-Admins' in out['msg']
    fewer = res.result('fewer')
    assert [a['group_name'] for a in fewer['diff']['before']['assignments']] == ['SG-CloudPC-Admins',
                                                                                 'SG-CloudPC-Users']
    assert [a['group_name'] for a in fewer['diff']['after']['assignments']] == ['SG-CloudPC-Users']
    assert res.result('info')['policies'][0]['assignments'][0]['group_name'] == 'SG-CloudPC-Users'

    res, writes = run(box, run_playbook, [
        ptask('unassign_all', name, **dict(base, assignments=[])),
        ptask('again', name, **dict(base, assignments=[])),
        ptask('reassign', name, **dict(base, assignments=[{'group': 'SG-CloudPC-Users'}])),
        ptask('predict', name, check=True, state='absent', unassign=True),
        ptask('delete', name, state='absent', unassign=True),
        ptask('gone', name, state='absent', unassign=True),
    ])
    assert res.rc == 0, str(res)
    assert policy_paths(writes) == [('POST', assign_path), ('POST', assign_path), ('POST', assign_path),
                                    ('DELETE', '%s/%s' % (POLICIES_PATH, policy_id))]
    assert writes[0]['body'] == {'assignments': []} and writes[2]['body'] == {'assignments': []}
    assert res.result('again')['changed'] is False
    assert res.result('predict')['changed'] is True and res.result('delete')['changed'] is True
    assert res.result('gone')['changed'] is False


def test_gallery_images_near_or_past_their_end_warn(box, run_playbook):
    near = dict(network=[{'anc': 'anc-seed-entra'}], image={'type': 'gallery', 'name': 'win11-23h2-ent-cpc-m365'})
    past = dict(near, image={'type': 'gallery', 'name': 'Windows 11 Enterprise 23H2'})
    res, writes = run(box, run_playbook, [
        ptask('near', 'pol-gallery-near', **near),
        ptask('near_quiet', 'pol-gallery-near', image_warning_days=10, **near),
        ptask('past', 'pol-gallery-past', **past),
    ])
    assert res.rc == 0, str(res)
    assert policy_paths(writes) == [('POST', POLICIES_PATH), ('POST', POLICIES_PATH)]
    assert any('reaches its end date' in w for w in res.result('near').get('warnings', []))
    assert not any('end date' in w for w in res.result('near_quiet').get('warnings', []))
    assert any('reached its end date' in w for w in res.result('past').get('warnings', []))


def _create_play(box, name):
    return play(box, [ptask('pol', name, network=[{'anc': 'anc-seed-entra'}],
                            image={'type': 'gallery', 'name': 'win11-24h2-ent-cpc-m365'},
                            assignments=[{'group': 'SG-CloudPC-Users'}])])


def _named(box, name):
    return [p for p in box.state()['tenants'][0]['provisioning_policies'] if p['displayName'] == name]


def test_create_whose_answer_is_lost_is_adopted_not_repeated(box, run_playbook):
    box.clear_faults()
    box.fault({'method': 'POST', 'path': 'provisioningPolicies$', 'answer_lost': True, 'count': 1})
    box.clear_requests()
    try:
        res = run_playbook(_create_play(box, 'pol-lost'), extra_vars={'w365_test_auth': box.auth_vars(0, 'user')})
    finally:
        box.clear_faults()
    assert res.rc == 0, str(res)
    posts = [w for w in graph_writes(box) if w['path'] == POLICIES_PATH]
    assert len(posts) == 1
    assert [p['id'] for p in _named(box, 'pol-lost')] == [res.result('pol')['policy']['id']]
    assert res.result('pol')['policy']['assignments'][0]['group_name'] == 'SG-CloudPC-Users'


def test_two_runs_creating_one_policy_end_with_one(box, tmp_path):
    from tests.helpers.role_grant import run_together

    box.clear_faults()
    box.fault({'method': 'POST', 'path': 'provisioningPolicies$', 'latency_ms': 1500})
    try:
        results = run_together(tmp_path, [_create_play(box, 'pol-race')] * 2,
                               extra_vars={'w365_test_auth': box.auth_vars(0, 'user')})
    finally:
        box.clear_faults()
    for res in results:
        assert res.rc == 0, str(res)
    kept = _named(box, 'pol-race')
    assert len(kept) == 1, kept
    assert {r.result('pol')['policy']['id'] for r in results} == {kept[0]['id']}
    for res in results:
        assert [a['group_name'] for a in res.result('pol')['policy']['assignments']] == ['SG-CloudPC-Users']
