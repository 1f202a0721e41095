# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Races and lost answers (issue 18): runs of the same thing at once end with one of each resource, and a create
whose answer was lost after the service carried it out is adopted, never repeated.

Slow creates come from the sandbox's fault injection (docs/sandbox.md "Fault injection"): `latency_ms` makes a
create take effect only after a delay, so two runs both read "absent" and both create; `response_delay_ms`
applies it at once and answers late; `answer_lost` applies it and drops the connection.
"""

from __future__ import annotations

import os
import threading

import pytest

from tests.helpers.anc import ANC_PATH, entra_args, play, start_anc_sandbox
from tests.helpers.playbook import run_playbook

TRIALS = 10


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    sandbox = start_anc_sandbox(tmp_path_factory, 'race-sandbox')
    yield sandbox
    sandbox.stop()


def _ancs(box, name):
    return [a for a in box.state()['tenants'][0]['network_connections'] if a['displayName'] == name]


def _anc_run(box, workdir, name, **extra):
    tasks = [{'name': 'anc', 'w365.cloudpc.w365_anc': dict(name=name, **entra_args(), **extra), 'register': 'anc'}]
    return run_playbook(workdir, play(box, tasks), extra_vars={'w365_test_auth': box.auth_vars(0, 'user')})


def _concurrently(*calls):
    results = [None] * len(calls)

    def runner(i, call):
        results[i] = call()

    threads = [threading.Thread(target=runner, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return results


@pytest.mark.parametrize('fault, trials', [
    ({'latency_ms': 1000}, TRIALS),        # the create takes effect late: both runs read "absent" and both create
    # ... and its answer comes late too, so each run sees the other's create before its own answer
    ({'latency_ms': 600, 'response_delay_ms': 800}, 3),
], ids=['slow-apply', 'slow-apply-and-answer'])
def test_two_concurrent_anc_creates_end_with_one(box, tmp_path, fault, trials):
    box.clear_faults()
    box.fault({'method': 'POST', 'path': 'onPremisesConnections$', **fault})
    try:
        duplicated_creates = 0
        for trial in range(trials):
            name = 'anc-race-%s-%d' % ('-'.join(sorted(fault)), trial)
            box.clear_requests()
            first, second = _concurrently(*(
                (lambda k=k: _anc_run(box, tmp_path / ('t%d-%d' % (trial, k)), name)) for k in (1, 2)))
            for res in (first, second):
                assert res.rc == 0, str(res)
            ancs = _ancs(box, name)
            assert len(ancs) == 1, (trial, ancs)
            # Both runs report the one connection that remains.
            reported = {first.result('anc')['connection']['id'], second.result('anc')['connection']['id']}
            assert reported == {ancs[0]['id']}, (trial, reported, ancs)
            posts = [w for w in box.writes() if w['method'] == 'POST' and w['path'] == ANC_PATH]
            duplicated_creates += len(posts) == 2
        # The fault did make the runs race (otherwise this test proves nothing).
        assert duplicated_creates >= (trials + 1) // 2, duplicated_creates
    finally:
        box.clear_faults()


def test_anc_create_answer_lost_is_read_back_not_repeated(box, tmp_path):
    """Processed, then the answer lost: the task succeeds with the connection the lost create made, no second
    create is sent, and a rerun changes nothing."""
    name = 'anc-lost-answer'
    box.clear_faults()
    box.fault({'method': 'POST', 'path': 'onPremisesConnections$', 'answer_lost': True, 'count': 1})
    box.clear_requests()
    try:
        res = _anc_run(box, tmp_path / 'one', name)
    finally:
        box.clear_faults()
    assert res.rc == 0, str(res)
    posts = [w for w in box.writes() if w['method'] == 'POST' and w['path'] == ANC_PATH]
    assert len(posts) == 1 and posts[0]['answer_delivered'] is False
    ancs = _ancs(box, name)
    assert len(ancs) == 1
    out = res.result('anc')
    assert out['changed'] is True and out['connection']['id'] == ancs[0]['id']
    box.clear_requests()
    again = _anc_run(box, tmp_path / 'two', name)
    assert again.rc == 0 and again.result('anc')['changed'] is False, str(again)
    assert [w for w in box.writes() if w['service'] == 'graph'] == []


def test_anc_create_dropped_before_the_service_acted_is_sent_again(box, tmp_path):
    """Dropped before the service acted: the read-back finds nothing, so the create is sent once more."""
    name = 'anc-dropped'
    box.clear_faults()
    box.fault({'method': 'POST', 'path': 'onPremisesConnections$', 'drop': True, 'count': 1})
    box.clear_requests()
    try:
        res = _anc_run(box, tmp_path / 'one', name)
    finally:
        box.clear_faults()
    assert res.rc == 0, str(res)
    posts = [w for w in box.writes() if w['method'] == 'POST' and w['path'] == ANC_PATH]
    assert [p['status'] for p in posts] == [0, 201]
    assert len(_ancs(box, name)) == 1


def test_duplicates_that_exist_are_managed_by_id(box, tmp_path):
    """The way out of duplicates made before this fix: the name fails naming both IDs; id selects one, and
    state=absent with an id deletes exactly that one."""
    name = 'anc-dupes'
    box.clear_faults()
    ids = [_create_raw(box, name), _create_raw(box, name)]
    res = _anc_run(box, tmp_path / 'byname', name)
    assert res.rc != 0
    msg = res.result('anc')['msg']
    assert all(i in msg for i in ids) and 'id' in msg
    keep, extra = sorted(ids)
    tasks = [
        {'name': 'keep', 'w365.cloudpc.w365_anc': dict(name=name, id=keep, **entra_args()), 'register': 'keep'},
        {'name': 'drop', 'w365.cloudpc.w365_anc': dict(name=name, id=extra, state='absent', wait=True),
         'register': 'drop'},
        {'name': 'after', 'w365.cloudpc.w365_anc': dict(name=name, **entra_args()), 'register': 'after'},
    ]
    box.advance(600)  # first health checks over: a delete is accepted
    res = run_playbook(tmp_path / 'byid', play(box, tasks), extra_vars={'w365_test_auth': box.auth_vars(0, 'user')})
    assert res.rc == 0, str(res)
    assert res.result('keep')['changed'] is False and res.result('keep')['connection']['id'] == keep
    assert res.result('drop')['changed'] is True
    assert res.result('after')['changed'] is False and res.result('after')['connection']['id'] == keep
    assert [a['id'] for a in _ancs(box, name)] == [keep]


def _create_raw(box, name):
    """POST a connection straight to Graph (as another tool would), returning its id."""
    import json
    import ssl
    import urllib.parse
    import urllib.request

    from tests.helpers.anc import RG_ID, VNET_ID, SUB

    auth = box.auth_vars(0, 'user')
    ctx = ssl.create_default_context(cafile=box.ca_bundle)
    # Microsoft Graph Command Line Tools: the Azure CLI client's Graph tokens carry no Cloud PC scope.
    form = urllib.parse.urlencode({'grant_type': 'password', 'client_id': '14d82eec-204b-4c2f-b7e8-296a70dab67e',
                                   'username': auth['username'], 'password': auth['password'],
                                   'scope': 'https://graph.microsoft.com/.default'}).encode()
    req = urllib.request.Request('%s/%s/oauth2/v2.0/token' % (box.url, auth['tenant_id']), data=form)
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        token = json.loads(resp.read())['access_token']
    body = {'displayName': name, 'connectionType': 'azureADJoin', 'subscriptionId': SUB, 'resourceGroupId': RG_ID,
            'virtualNetworkId': VNET_ID, 'subnetId': VNET_ID + '/subnets/snet-a'}
    req = urllib.request.Request(box.url + ANC_PATH, data=json.dumps(body).encode(), method='POST',
                                 headers={'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        return json.loads(resp.read())['id']


def test_two_concurrent_rollouts_of_one_tenant_end_with_one_of_each(sandbox_factory, tmp_path):
    """Two playbooks/rollout.yml runs of the same tenant at once, every create slow: one ANC per name, one upload
    per image, no duplicate role assignment, and both runs succeed."""
    from tests.helpers.role_grant import run_together
    from tests.integration.test_rollout import IMAGES, ROLLOUT, SEED_PATH, TENANT_IDS, write_inventory

    slow = [
        {'method': 'POST', 'path': 'onPremisesConnections$', 'latency_ms': 1500},
        {'method': 'POST', 'path': 'deviceImages$', 'latency_ms': 1500},
        {'method': 'PUT', 'path': '/roleAssignments/', 'latency_ms': 1500},
    ]
    # Two trials in CI (about 90 s); W365_ROLLOUT_RACE_TRIALS=10 for the ten-trial measurement.
    for trial in range(int(os.environ.get('W365_ROLLOUT_RACE_TRIALS', '2'))):
        box = sandbox_factory(SEED_PATH)
        for rule in slow:
            box.fault(rule)
        inventory = write_inventory(tmp_path / ('inv%d' % trial), box, tenants=('contoso',))
        results = run_together(tmp_path / ('trial%d' % trial), [ROLLOUT, ROLLOUT], inventory=inventory,
                               extra_vars={'w365_report_dir': str(tmp_path / ('reports%d' % trial))}, forks=5)
        for res in results:
            assert res.rc == 0, str(res)
        tenant = next(t for t in box.state()['tenants'] if t['id'] == TENANT_IDS['contoso'])
        names = [a['displayName'] for a in tenant['network_connections']]
        for region in ('westeurope', 'northeurope'):
            assert names.count('anc-contoso-%s' % region) == 1, (trial, names)
        images = [(i['displayName'], i['version']) for i in tenant['device_images']]
        wanted = (IMAGES['contoso'][0]['name'], IMAGES['contoso'][0]['version'])
        assert images.count(wanted) == 1, (trial, images)
        triples = [(ra['properties']['principalId'].lower(), ra['properties']['roleDefinitionId'].lower(),
                    ra['properties']['scope'].lower()) for ra in tenant['role_assignments']]
        assert len(triples) == len(set(triples)), (trial, triples)
        # Both runs did race: each sent its own creates.
        posts = [w for w in box.writes() if w['method'] == 'POST' and w['path'] == ANC_PATH]
        assert len(posts) > 2, posts
        box.stop()


@pytest.mark.parametrize('kind', ['handshake_failure', 'reset'])
def test_a_tls_fault_on_the_first_connection_is_survived(box, tmp_path, kind):
    """A TLS handshake that fails (alert, or reset) on a module's first connection: the connection is retried and the
    task succeeds (nothing was sent, so retrying is safe for any request)."""
    box.clear_faults()
    box.fault({'tls': kind, 'count': 1})
    tasks = [{'name': 'info', 'w365.cloudpc.w365_anc_info': {}, 'register': 'info'}]
    res = run_playbook(tmp_path / kind, play(box, tasks), extra_vars={'w365_test_auth': box.auth_vars(0, 'user')})
    # The control call below opens a new connection: it works only if the module's connection took the fault.
    hits = [f['hits'] for f in box.faults()]
    box.clear_faults()
    assert hits == [1]
    assert res.rc == 0, str(res)
