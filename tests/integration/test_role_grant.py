# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""w365_role_grant / w365_role_grant_info under ansible-playbook against the sandbox.

Every test starts its own sandbox from seeds/role_grants.yml: the subscription Reader grant is shared by all
networks, so tests sharing one world would see each other's grants.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers.role_grant import create_principal, role_assignments, run_together, triples

SEED = Path(__file__).resolve().parent / 'seeds' / 'role_grants.yml'
SUB = '7a000000-0000-4000-8000-00000000005b'
SUB_SCOPE = '/subscriptions/%s' % SUB
W365 = '7a000000-0000-4000-8000-000000005e01'
W365_APP_ID = '0af06dc6-e4b5-4f28-818e-e78e62d137a5'
READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
NIC = '1f135831-5bbe-4924-9016-264044c00788'
NET_USER = '7eabc9a4-85f7-4f71-b8ab-75daaccc1033'
NET_CONTRIB = '4d97b98b-1d4f-4787-a291-c67834d212e7'
CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c'
SECRETS = ('granter-secret-never-shown-7', 'reader-secret-never-shown-8', 'nosp-secret-never-shown-9',
           'fresh-secret-never-shown-10', 'nograph-secret-never-shown-11', 'Owner-Sandbox-Pw-1!')


def rg(name):
    return '%s/resourceGroups/%s' % (SUB_SCOPE, name)


def vnet(group, name):
    return '%s/providers/Microsoft.Network/virtualNetworks/%s' % (rg(group), name)


def needed(group, vnet_id):
    """The three (role, scope) pairs a network needs, lower case like helpers.triples()."""
    return sorted([(READER, SUB_SCOPE.lower()), (NIC, rg(group).lower()), (NET_USER, vnet_id.lower())])


def lookalikes(box):
    """The seeded assignments no grant of this module may ever touch (names ...01d1 to ...01d3)."""
    return [ra for ra in role_assignments(box) if ra['name'].startswith('7a000000-0000-4000-8000-0000000001d')]


@pytest.fixture
def box(sandbox_factory):
    return sandbox_factory(SEED)


def play(box, tasks, tenant=0, principal='app'):
    """Sign-in options come from play vars, as from a vault, so the play's own text holds no secret."""
    auth = box.auth_vars(tenant, principal)
    return [{
        'hosts': 'localhost', 'gather_facts': False,
        'vars': {'w365_auth': auth},
        'module_defaults': {'group/w365.cloudpc.w365': {key: '{{ w365_auth.%s }}' % key for key in auth}},
        'tasks': tasks,
    }]


def grant(register='out', **args):
    return {'name': register, 'w365.cloudpc.w365_role_grant': args, 'register': register}


def info(register='info', **args):
    return {'name': register, 'w365.cloudpc.w365_role_grant_info': args, 'register': register}


def pcs(**extra):
    return dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-pcs',
                virtual_network='vnet-pcs', **extra)


def run(box, run_playbook, tasks, tenant=0, principal='app', **kwargs):
    """Clear the request log, run the play; returns (result, the Graph/ARM write requests it sent)."""
    box.clear_requests()
    result = run_playbook(play(box, tasks, tenant, principal), **kwargs)
    return result, box.writes()


def test_grant_lifecycle_check_mode_idempotence_diff_and_absent(box, run_playbook):
    untouched_before = lookalikes(box)
    assert len(untouched_before) == 3

    # Check mode: reads, predicts three creations, writes nothing.
    res, writes = run(box, run_playbook, [grant(**pcs())], check=True, diff=True)
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is True and writes == []
    assert [(g['role_name'], g['changed'], g['assignment_id']) for g in out['grants']] == [
        ('Reader', True, None), ('Windows 365 Network Interface Contributor', True, None),
        ('Windows 365 Network User', True, None)]
    assert out['diff']['before']['grants'] == []
    assert len(out['diff']['after']['grants']) == 3
    assert not set(triples(box, W365)) & set(needed('rg-pcs', vnet('rg-pcs', 'vnet-pcs')))

    # Real run: exactly three PUTs, one per missing role, and the service principal was found by app ID.
    res, writes = run(box, run_playbook, [grant(**pcs())], diff=True)
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is True and out['principal_id'] == W365
    assert sorted(w['method'] for w in writes) == ['PUT', 'PUT', 'PUT']
    assert all(w['status'] == 201 for w in writes)
    created = {(g['role_definition_id'].rsplit('/', 1)[-1], g['scope'].lower()): g for g in out['grants']}
    assert sorted(created) == needed('rg-pcs', vnet('rg-pcs', 'vnet-pcs'))
    assert all(g['changed'] and g['present'] and g['assignment_id'] for g in out['grants'])
    assert out['diff']['before'] == {'grants': [], 'legacy_grants': []}
    assert out['diff']['after']['grants'] == sorted([
        'Reader on %s' % SUB_SCOPE,
        'Windows 365 Network Interface Contributor on %s' % rg('rg-pcs'),
        'Windows 365 Network User on %s' % vnet('rg-pcs', 'vnet-pcs')])
    mine = [t for t in triples(box, W365) if t in needed('rg-pcs', vnet('rg-pcs', 'vnet-pcs'))]
    assert mine == needed('rg-pcs', vnet('rg-pcs', 'vnet-pcs'))

    # Second run, the info module, and check-mode runs of present and absent: reads only.
    res, writes = run(box, run_playbook, [grant(**pcs()), info(**pcs())], diff=True)
    out, facts = res.result('out'), res.result('info')
    assert res.rc == 0, res
    assert writes == [], writes
    assert out['changed'] is False and all(not g['changed'] for g in out['grants'])
    assert out['diff']['before'] == out['diff']['after']
    assert facts['changed'] is False and facts['complete'] is True
    assert facts['missing'] == [] and facts['legacy'] == []
    assert sorted(g['assignment_id'] for g in facts['granted']) == sorted(g['assignment_id'] for g in created.values())

    res, writes = run(box, run_playbook, [grant(**pcs()), grant('gone', state='absent', **pcs())], check=True)
    assert res.rc == 0, res
    assert writes == [], writes
    assert res.result('out')['changed'] is False
    assert res.result('gone')['changed'] is True
    assert [(g['role_name'], g['present'], g['changed']) for g in res.result('gone')['grants']] == [
        ('Reader', True, False), ('Windows 365 Network Interface Contributor', False, True),
        ('Windows 365 Network User', False, True)]

    # absent: deletes the resource group and vnet roles it granted; the subscription Reader, which other
    # connections and images of the subscription share, stays by default; the look-alikes stay.
    res, writes = run(box, run_playbook, [grant(state='absent', **pcs())], diff=True)
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is True
    assert sorted(w['method'] for w in writes) == ['DELETE', 'DELETE']
    not_reader = [g for key, g in created.items() if key[0] != READER]
    assert sorted(w['path'].rsplit('/', 1)[-1] for w in writes) == sorted(
        g['assignment_id'].rsplit('/', 1)[-1] for g in not_reader)
    assert [(g['role_name'], g['present'], g['changed']) for g in out['grants']] == [
        ('Reader', True, False), ('Windows 365 Network Interface Contributor', False, True),
        ('Windows 365 Network User', False, True)]
    assert out['diff']['after']['grants'] == ['Reader on %s' % SUB_SCOPE]
    assert (READER, SUB_SCOPE.lower()) in triples(box, W365)
    untouched_after = lookalikes(box)
    assert untouched_after == untouched_before

    res, writes = run(box, run_playbook, [grant(state='absent', **pcs())])
    assert res.rc == 0, res
    assert res.result('out')['changed'] is False and writes == []

    # keep_subscription_reader: false takes the Reader away too, exactly that one assignment.
    res, writes = run(box, run_playbook, [grant(state='absent', keep_subscription_reader=False, **pcs())])
    assert res.rc == 0, res
    assert res.result('out')['changed'] is True
    assert [(w['method'], w['path'].rsplit('/', 1)[-1]) for w in writes] == [
        ('DELETE', created[(READER, SUB_SCOPE.lower())]['assignment_id'].rsplit('/', 1)[-1])]
    assert not set(triples(box, W365)) & set(needed('rg-pcs', vnet('rg-pcs', 'vnet-pcs')))
    assert lookalikes(box) == untouched_before

    res, writes = run(box, run_playbook, [grant(state='absent', keep_subscription_reader=False, **pcs())])
    assert res.rc == 0, res
    assert res.result('out')['changed'] is False and writes == []


def test_absent_removes_only_what_the_collection_created(box, run_playbook):
    """issue 12 finding 1: a grant that existed before is never removed, whatever the options."""
    handmade = dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-handmade',
                    virtual_network='vnet-handmade')
    nic_id = '%s/providers/Microsoft.Authorization/roleAssignments/7a000000-0000-4000-8000-0000000001e1' \
        % rg('rg-handmade')
    # present: only the missing Reader is created, and it carries the collection's marker.
    res, writes = run(box, run_playbook, [grant(**handmade)])
    assert res.rc == 0, res
    assert [w['method'] for w in writes] == ['PUT']
    assert writes[0]['body']['properties']['description'].startswith('Created by w365.cloudpc')
    by_role = dict((g['role_name'], g) for g in res.result('out')['grants'])
    assert by_role['Reader']['created_by_collection'] is True and by_role['Reader']['changed'] is True
    assert by_role['Windows 365 Network Interface Contributor']['created_by_collection'] is False
    stored = [ra for ra in role_assignments(box) if ra['properties']['principalId'] == W365
              and ra['properties']['scope'].lower() == SUB_SCOPE.lower()]
    assert [ra['properties']['description'] for ra in stored] == [writes[0]['body']['properties']['description']]

    # absent, even with keep_subscription_reader=false: the Reader it made goes, the hand-made grants stay.
    res, writes = run(box, run_playbook, [grant(state='absent', keep_subscription_reader=False, **handmade)])
    out = res.result('out')
    assert res.rc == 0, res
    assert [(w['method'], w['path'].rsplit('/', 1)[-1]) for w in writes] == [
        ('DELETE', by_role['Reader']['assignment_id'].rsplit('/', 1)[-1])]
    kept = dict((g['role_name'], g['kept_reason']) for g in out['grants'] if g['present'])
    assert sorted(kept) == ['Windows 365 Network Interface Contributor', 'Windows 365 Network User']
    assert all('not created by w365.cloudpc' in reason for reason in kept.values())
    assert (NIC, rg('rg-handmade').lower()) in triples(box, W365)
    assert (NET_USER, vnet('rg-handmade', 'vnet-handmade').lower()) in triples(box, W365)

    # The user names one hand-made assignment by ID: exactly that one goes.
    res, writes = run(box, run_playbook, [grant(state='absent', remove_assignment_ids=[nic_id], **handmade)])
    assert res.rc == 0, res
    assert [(w['method'], w['path'].lower()) for w in writes] == [('DELETE', nic_id.lower())]
    assert (NET_USER, vnet('rg-handmade', 'vnet-handmade').lower()) in triples(box, W365)

    # An ID that is not one of these grants is refused before any write.
    res, writes = run(box, run_playbook, [grant(state='absent', remove_assignment_ids=[
        '%s/providers/Microsoft.Authorization/roleAssignments/7a000000-0000-4000-8000-0000000001d1' % rg('rg-pcs')],
        **handmade)])
    assert res.rc != 0 and writes == []
    assert 'remove_assignment_ids' in res.result('out')['msg']


def test_concurrent_runs_end_with_one_assignment_each(box, tmp_path):
    race = dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-race',
                virtual_network='vnet-race')
    # Hold the first role assignment PUT of each run for a while: both runs then read "missing" before the first
    # write lands, however unevenly the two processes start on a busy machine (up to the latency).
    box.fault({'method': 'PUT', 'path': '/providers/Microsoft.Authorization/roleAssignments/', 'latency_ms': 8000,
               'count': 2})
    box.clear_requests()
    first, second = run_together(tmp_path, [play(box, [grant(**race)]), play(box, [grant(**race)])])
    assert first.rc == 0, first
    assert second.rc == 0, second
    puts = [r for r in box.requests() if r['method'] == 'PUT']
    assert any(r['status'] == 409 for r in puts), 'the runs did not race; no RoleAssignmentExists seen'
    assert {r['status'] for r in puts} <= {201, 409}
    # One assignment per role and scope, and each was created by exactly one of the two runs.
    assert triples(box, W365) == sorted(
        needed('rg-race', vnet('rg-race', 'vnet-race'))
        + [(NET_CONTRIB, rg('rg-legacy').lower()), (NET_CONTRIB, vnet('rg-legacy', 'vnet-legacy').lower()),
           (NET_USER, rg('rg-pcs').lower()), (CONTRIBUTOR, vnet('rg-pcs', 'vnet-pcs').lower()),
           (NIC, rg('rg-handmade').lower()), (NET_USER, vnet('rg-handmade', 'vnet-handmade').lower())])
    grants = [first.result('out')['grants'], second.result('out')['grants']]
    for a, b in zip(*grants):
        assert a['scope'] == b['scope'] and a['assignment_id'] == b['assignment_id']
        assert [a['changed'], b['changed']].count(True) == 1
    assert sum(r.result('out')['changed'] for r in (first, second)) >= 1


def test_hub_network_grants_and_health_check_permission_failures_go_away(box, run_playbook):
    hub = dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-spoke',
               virtual_network_resource_group='rg-hub', virtual_network='vnet-hub')
    anc = {'name': 'anc', 'w365.cloudpc.w365_anc': {'name': 'anc-spoke', 'run_health_checks': True, 'wait': True},
           'register': 'anc'}

    res, _writes = run(box, run_playbook, [anc], principal='user')
    assert res.rc == 0, res
    failing = {c['error_type'] for c in res.result('anc')['connection']['health_checks'] if c['status'] == 'failed'}
    assert {'permissionCheckNoSubscriptionReaderRole', 'permissionCheckNoWindows365NetworkInterfaceContributorRole',
            'permissionCheckNoWindows365NetworkUserRole'} <= failing

    res, writes = run(box, run_playbook, [info(**hub), grant(**hub)])
    assert res.rc == 0, res
    missing = [m['scope'] for m in res.result('info')['missing']]
    assert missing == [SUB_SCOPE, rg('rg-spoke'), vnet('rg-hub', 'vnet-hub')]
    assert len(writes) == 3
    assert sorted((g['role_definition_id'].rsplit('/', 1)[-1], g['scope'].lower())
                  for g in res.result('out')['grants']) == needed('rg-spoke', vnet('rg-hub', 'vnet-hub'))

    res, _writes = run(box, run_playbook, [anc], principal='user')
    assert res.rc == 0, res
    checks = res.result('anc')['connection']['health_checks']
    assert checks, res.result('anc')
    assert not [c for c in checks if (c.get('error_type') or '').startswith('permissionCheck')], checks


def test_legacy_network_contributor_cleanup(box, run_playbook):
    legacy = dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-legacy',
                  virtual_network='vnet-legacy')
    # Check mode: without remove_legacy_grants the old grants are reported and left alone; with it, their
    # removal is predicted. Nothing is written either way.
    res, writes = run(box, run_playbook, [info(**legacy), grant('keep', **legacy),
                                          grant(remove_legacy_grants=True, **legacy)], check=True, diff=True)
    out, facts = res.result('out'), res.result('info')
    assert res.rc == 0, res
    assert writes == []
    assert sorted(e['scope'] for e in facts['legacy']) == [rg('rg-legacy'), vnet('rg-legacy', 'vnet-legacy')]
    assert {e['role_name'] for e in facts['legacy']} == {'Network Contributor'}
    assert all(e['present'] and not e['changed'] for e in res.result('keep')['legacy_grants'])
    assert out['changed'] is True
    assert out['diff']['after']['legacy_grants'] == [] and len(out['diff']['before']['legacy_grants']) == 2

    res, writes = run(box, run_playbook, [grant(remove_legacy_grants=True, **legacy)])
    out = res.result('out')
    assert res.rc == 0, res
    # New roles first, then the old ones go: the service is never without access.
    assert [w['method'] for w in writes] == ['PUT', 'PUT', 'PUT', 'DELETE', 'DELETE']
    assert sorted(w['path'].rsplit('/', 1)[-1] for w in writes[3:]) == [
        '7a000000-0000-4000-8000-0000000001c1', '7a000000-0000-4000-8000-0000000001c2']
    assert all(not e['present'] and e['changed'] for e in out['legacy_grants'])
    assert NET_CONTRIB not in {role for role, _scope in triples(box, W365)}

    res, writes = run(box, run_playbook, [grant(remove_legacy_grants=True, **legacy), info(**legacy)])
    assert res.rc == 0, res
    assert writes == [] and res.result('out')['changed'] is False
    assert res.result('info')['legacy'] == [] and res.result('info')['complete'] is True


def test_custom_image_purpose_grants_subscription_reader_only(box, run_playbook):
    res, writes = run(box, run_playbook, [grant(purpose='custom_image', subscription_id=SUB)])
    out = res.result('out')
    assert res.rc == 0, res
    assert len(writes) == 1 and writes[0]['path'].lower().startswith(SUB_SCOPE.lower() + '/providers/')
    assert [(g['role_name'], g['scope']) for g in out['grants']] == [('Reader', SUB_SCOPE)]
    assert out['legacy_grants'] == []
    # The Reader now also counts for a network in that subscription; only the other two are missing there.
    res, _writes = run(box, run_playbook, [info(**pcs())])
    assert [m['role_name'] for m in res.result('info')['missing']] == [
        'Windows 365 Network Interface Contributor', 'Windows 365 Network User']


def test_principal_not_found_is_ridden_out_for_a_new_service_principal(box, run_playbook):
    fresh_sub = '7c000000-0000-4000-8000-00000000005b'

    # Without retries the replication delay surfaces as Azure's own error, pointing at the option.
    just_made = '7c000000-0000-4000-8000-0000000000e9'
    create_principal(box, 'freshco.onmicrosoft.com', just_made)
    res, _writes = run(box, run_playbook, [grant(purpose='custom_image', subscription_id=fresh_sub,
                                                 principal_id=just_made, principal_replication_timeout=0)], tenant=2)
    out = res.result('out')
    assert res.rc != 0
    assert res.entry('out')['status'] == 'failed'
    assert 'principal_replication_timeout' in out['msg'] and 'PrincipalNotFound' in out['msg']
    assert out['error']['status'] == 400 and out['error']['code'] == 'PrincipalNotFound'
    assert out['error']['request_id']
    assert [r['status'] for r in box.requests() if r['method'] == 'PUT'] == [400]

    # `az ad sp create --id <W365 app>` a moment ago: found through Graph, then retried until Azure knows it.
    # The run goes on in the background; once Azure has refused it, replication "completes" (sandbox clock).
    fresh_sp = '7c000000-0000-4000-8000-000000005e01'
    create_principal(box, 'freshco.onmicrosoft.com', fresh_sp, app_id=W365_APP_ID)
    box.clear_requests()
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(run_playbook, play(box, [grant(purpose='custom_image', subscription_id=fresh_sub)],
                                                 tenant=2))
        deadline = time.monotonic() + 120
        while not any(r['method'] == 'PUT' and r['status'] == 400 for r in box.requests()):
            assert time.monotonic() < deadline and not pending.done(), 'no PrincipalNotFound seen'
            time.sleep(0.2)
        box.advance(1800)
        res = pending.result()
    out = res.result('out')
    assert res.rc == 0, res
    assert out['changed'] is True and out['principal_id'] == fresh_sp
    statuses = [r['status'] for r in box.requests() if r['method'] == 'PUT']
    assert statuses[-1] == 201 and statuses[:-1] and set(statuses[:-1]) == {400}, statuses
    assert triples(box, fresh_sp, tenant_index=2) == [(READER, ('/subscriptions/%s' % fresh_sub).lower())]


def test_caller_without_rights_gets_the_explanation(box, run_playbook):
    denied = dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-denied',
                  virtual_network='vnet-denied')
    reader_app = '7a000000-0000-4000-8000-00000000c002'
    res, writes = run(box, run_playbook, [grant(**denied)], principal=reader_app)
    out = res.result('out')
    assert res.rc != 0
    assert [w['status'] for w in writes] == [403]
    for part in (SUB_SCOPE, 'Reader', 'Owner', 'User Access Administrator', 'Role Based Access Control Administrator',
                 'AuthorizationFailed', 'HTTP 403'):
        assert part in out['msg'], out['msg']
    assert out['error']['code'] == 'AuthorizationFailed' and out['error']['request_id']

    # Reading needs only Reader: the info module works for the same caller.
    res, writes = run(box, run_playbook, [info(**denied)], principal=reader_app)
    assert res.rc == 0, res
    assert writes == [] and len(res.result('info')['missing']) == 3


BAD_INPUT = [
    (dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-pcs', virtual_network='vnet-pcs',
          principal_id='not-a-guid'), 'principal_id'),
    (dict(purpose='custom_image', subscription_id=SUB, virtual_network='vnet-pcs'), 'virtual_network'),
    (dict(purpose='network_connection', subscription_id=SUB, virtual_network='vnet-pcs'), 'resource_group'),
    (dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-pcs'), 'virtual_network'),
    (dict(purpose='network_connection', subscription_id=SUB, resource_group='rg-pcs',
          virtual_network='/subscriptions/%s/resourceGroups/rg-pcs/providers/Microsoft.Network/subnets/x' % SUB),
     'virtual_network'),
    (dict(purpose='custom_image', subscription_id='production'), 'subscription_id'),
    (dict(purpose='custom_image', subscription_id=SUB, principal_replication_timeout=-1),
     'principal_replication_timeout'),
    (dict(purpose='custom_image', subscription_id=SUB, remove_legacy_grants=True), 'remove_legacy_grants'),
]


def test_bad_input_fails_naming_the_option_before_any_request(box, run_playbook):
    tasks = [dict(grant('bad%d' % i, **args), ignore_errors=True) for i, (args, _option) in enumerate(BAD_INPUT)]
    for module in ('w365.cloudpc.w365_role_grant', 'w365.cloudpc.w365_role_grant_info'):
        args = dict(BAD_INPUT[0][0])
        tasks.append({'name': module, module: args, 'ignore_errors': True})
    res, _writes = run(box, run_playbook, tasks)
    assert res.rc == 0, res  # every failure was ignored; each is checked below
    for i, (_args, option) in enumerate(BAD_INPUT):
        assert res.entry('bad%d' % i)['status'] == 'ignored', option  # failed, then ignored
        assert option in res.result('bad%d' % i)['msg'], res.result('bad%d' % i)['msg']
    for module in ('w365.cloudpc.w365_role_grant', 'w365.cloudpc.w365_role_grant_info'):
        assert res.entry(module)['status'] == 'ignored' and 'principal_id' in res.result(module)['msg']
    assert [r for r in box.requests() if r['service'] in ('graph', 'arm')] == []


def test_tenant_without_windows365_service_principal(box, run_playbook):
    nosp_sub = '7b000000-0000-4000-8000-00000000005b'
    res, writes = run(box, run_playbook, [grant(purpose='custom_image', subscription_id=nosp_sub)], tenant=1)
    out = res.result('out')
    assert res.rc != 0
    assert out['msg'].count('az ad sp create --id %s' % W365_APP_ID) == 1, out['msg']
    assert out['error']['type'] == 'ServicePrincipalMissing'
    assert writes == []


def test_service_principal_lookup_without_graph_rights_points_at_principal_id(box, run_playbook):
    owner_without_graph = '7a000000-0000-4000-8000-00000000c003'
    res, writes = run(box, run_playbook, [grant(**pcs())], principal=owner_without_graph)
    out = res.result('out')
    assert res.rc != 0 and writes == []
    for part in ('Application.Read.All', 'principal_id', 'HTTP 403', 'Authorization_RequestDenied'):
        assert part in out['msg'], out['msg']
    assert out['error']['status'] == 403 and out['error']['request_id']

    # With the object ID given, Graph is not needed at all: the same caller grants the roles.
    res, writes = run(box, run_playbook, [grant(principal_id=W365, **pcs())], principal=owner_without_graph)
    assert res.rc == 0, res
    assert len(writes) == 3 and res.result('out')['principal_id'] == W365
    assert not [r for r in box.requests() if r['service'] == 'graph']


def test_no_secret_in_output_at_full_verbosity(box, run_playbook):
    box.clear_requests()
    res = run_playbook(play(box, [grant(**pcs()), info(**pcs())], principal='user'), verbosity=4, diff=True)
    assert res.rc == 0, res
    text = res.stdout + res.stderr
    for secret in SECRETS:
        assert secret not in text
    failed = run_playbook(play(box, [grant(state='absent', **pcs())], principal='7a000000-0000-4000-8000-00000000c002'),
                          verbosity=4)
    assert failed.rc != 0
    for secret in SECRETS:
        assert secret not in failed.stdout + failed.stderr
