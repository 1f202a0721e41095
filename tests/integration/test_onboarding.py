# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege onboarding (w365_automation_identity) on a fresh sandbox tenant, then the role grants signed in
as the onboarded identity; the identity's ABAC condition stops everything else."""

from __future__ import annotations

import base64
import json
import os
import ssl
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.helpers.role_grant import role_assignments

SEED = Path(__file__).resolve().parent / 'seeds' / 'onboard.yml'
TENANT = '7b000000-0000-4000-8000-0000000000a1'
SUB = '7b000000-0000-4000-8000-00000000005b'
SUB_SCOPE = '/subscriptions/%s' % SUB
W365 = '7b000000-0000-4000-8000-000000005e01'
OTHER = '7b000000-0000-4000-8000-0000000000f1'
ADMIN_CLIENT = '7b000000-0000-4000-8000-00000000c001'
OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'
NET_USER = '7eabc9a4-85f7-4f71-b8ab-75daaccc1033'
RBAC_ADMIN = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
PASSPHRASE = 'onboard-passphrase-never-shown-3'
ADMIN_PASSWORD = 'Admin-Onboard-Pw-never-shown-1!'


@pytest.fixture
def box(sandbox_factory):
    return sandbox_factory(SEED)


def admin_auth(box):
    return dict(box.endpoints(), tenant_id=TENANT, auth_method='username_password', client_id=ADMIN_CLIENT,
                username='admin@onboardco.onmicrosoft.com', password=ADMIN_PASSWORD)


def identity_auth(box, client_id, path):
    return dict(box.endpoints(), tenant_id=TENANT, auth_method='client_certificate', client_id=client_id,
                client_certificate_path=str(path), client_certificate_password=PASSPHRASE)


def play(auth, tasks):
    """Sign-in options come from play vars (as from a vault): the play's own text holds no secret."""
    return [{'hosts': 'localhost', 'gather_facts': False, 'vars': {'w365_auth': auth},
             'module_defaults': {'group/w365.cloudpc.w365': {k: '{{ w365_auth.%s }}' % k for k in auth}},
             'tasks': tasks}]


def onboard_task(path, register='onboard', **extra):
    args = dict(display_name='w365-rollout', certificate_path=str(path), certificate_passphrase=PASSPHRASE,
                subscription_id=SUB)
    args.update(extra)
    return {'name': register, 'w365.cloudpc.w365_automation_identity': args, 'register': register}


def run(box, run_playbook, plays, **kwargs):
    box.clear_requests()
    res = run_playbook(plays, **kwargs)
    for secret in (PASSPHRASE, ADMIN_PASSWORD):
        assert secret not in res.stdout and secret not in res.stderr
    return res, box.writes()


def test_onboarding_then_rollout_as_the_conditioned_identity(box, run_playbook, tmp_path):
    pem = tmp_path / 'keys' / 'w365-rollout.pem'
    pem.parent.mkdir()

    # Check mode on a fresh tenant: predicts everything, writes nothing (no request, no file).
    res, writes = run(box, run_playbook, play(admin_auth(box), [onboard_task(pem)]), check=True, diff=True)
    out = res.result('onboard')
    assert res.rc == 0, res
    assert out['changed'] is True and writes == [] and not pem.exists()
    assert out['certificate']['renewed'] is True and out['graph_permissions'] == ['Application.Read.All',
                                                                                  'CloudPC.ReadWrite.All']
    assert [r['role_name'] for r in out['role_assignments']] == ['Reader', 'Role Based Access Control Administrator']
    assert out['diff']['before']['app'] is None

    # The real run: app, service principal, two Graph grants, the certificate, two role assignments. At -vvvv the
    # passphrase and the password still appear nowhere (run() checks stdout and stderr).
    res, writes = run(box, run_playbook, play(admin_auth(box), [onboard_task(pem)]), diff=True, verbosity=4)
    out = res.result('onboard')
    assert res.rc == 0, res
    assert out['changed'] is True and out['drift'] == []
    assert [(w['method'], w['path'].split('?')[0].rsplit('/', 1)[-1]) for w in writes][:5] == [
        ('POST', 'applications'), ('POST', 'servicePrincipals'), ('POST', 'appRoleAssignments'),
        ('POST', 'appRoleAssignments'), ('PATCH', out['app']['object_id'])]
    assert sorted(w['method'] for w in writes if w['service'] == 'arm') == ['PUT', 'PUT']
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    assert b'ENCRYPTED PRIVATE KEY' in pem.read_bytes()
    assert out['certificate']['encrypted'] is True and out['certificate']['expires']
    client_id, sp_id = out['app']['app_id'], out['service_principal_id']
    assert out['inventory'] == {'tenant_id': TENANT, 'client_id': client_id, 'auth_method': 'client_certificate',
                                'client_certificate_path': str(pem), 'subscription_id': SUB,
                                'client_certificate_password': out['inventory']['client_certificate_password']}
    mine = [ra for ra in role_assignments(box) if ra['properties']['principalId'] == sp_id]
    by_role = {ra['properties']['roleDefinitionId'].rsplit('/', 1)[-1]: ra['properties'] for ra in mine}
    assert sorted(by_role) == sorted(['acdd72a7-3385-48ef-bd42-f606fba81ae7', RBAC_ADMIN])
    condition = by_role[RBAC_ADMIN]['condition']
    assert W365 in condition and OWNER not in condition and by_role[RBAC_ADMIN]['conditionVersion'] == '2.0'

    # Second run and a check-mode run: nothing to do, reads only.
    res, writes = run(box, run_playbook, play(admin_auth(box), [onboard_task(pem), onboard_task(pem, 'again')]),
                      diff=True)
    assert res.rc == 0, res
    assert writes == [], writes
    assert res.result('onboard')['changed'] is False and res.result('onboard')['certificate']['renewed'] is False
    assert res.result('onboard')['diff']['before'] == res.result('onboard')['diff']['after']
    res, writes = run(box, run_playbook, play(admin_auth(box), [onboard_task(pem)]), check=True)
    assert res.rc == 0 and writes == [] and res.result('onboard')['changed'] is False, res

    # The rollout's role grants, signed in as the onboarded identity with its certificate, converge.
    grant = {'name': 'grant', 'register': 'grant', 'w365.cloudpc.w365_role_grant': dict(
        purpose='network_connection', subscription_id=SUB, resource_group='rg-pcs', virtual_network='vnet-pcs')}
    res, writes = run(box, run_playbook, play(identity_auth(box, client_id, pem), [grant]))
    assert res.rc == 0, res
    assert res.result('grant')['changed'] is True and len(writes) == 3
    res, writes = run(box, run_playbook, play(identity_auth(box, client_id, pem), [grant]))
    assert res.rc == 0 and writes == [] and res.result('grant')['changed'] is False, res

    # ... and so does an Azure network connection (Graph, CloudPC.ReadWrite.All of the identity).
    anc = {'name': 'anc', 'register': 'anc', 'w365.cloudpc.w365_anc': dict(
        name='anc-onboarded', join_type='entra_join', subscription_id=SUB, resource_group='rg-pcs',
        virtual_network='vnet-pcs', subnet='snet-pcs', wait=False)}
    res, writes = run(box, run_playbook, play(identity_auth(box, client_id, pem), [anc]))
    assert res.rc == 0 and res.result('anc')['changed'] is True, res
    res, writes = run(box, run_playbook, play(identity_auth(box, client_id, pem), [anc]))
    assert res.rc == 0 and writes == [] and res.result('anc')['changed'] is False, res

    # A Windows 365 role for another principal: Azure's ABAC denial, surfaced by the module.
    other = dict(grant, name='other', register='other', ignore_errors=True)
    other['w365.cloudpc.w365_role_grant'] = dict(grant['w365.cloudpc.w365_role_grant'], principal_id=OTHER,
                                                 resource_group='rg-pcs')
    res, writes = run(box, run_playbook, play(identity_auth(box, client_id, pem), [other]))
    failed = res.result('other')
    assert res.stats['localhost']['ignored'] == 1, res
    assert failed['error']['status'] == 403 and failed['error']['code'] == 'AuthorizationFailed'
    assert 'ABAC condition not fulfilled' in failed['error']['message']
    assert not [ra for ra in role_assignments(box) if ra['properties']['principalId'] == OTHER]

    # Owner for the Windows 365 service principal, straight through ARM: denied the same way.
    status, body = arm_put_as(box, client_id, pem, OWNER, W365)
    assert status == 403 and body['error']['code'] == 'AuthorizationFailed', body
    assert 'ABAC condition not fulfilled' in body['error']['message']
    status, body = arm_put_as(box, client_id, pem, NET_USER, OTHER)
    assert status == 403, body


@pytest.mark.parametrize('in_process', [True, False], ids=['in-process', 'module-process'])
def test_drift_is_reported_and_left_alone(box, run_playbook, tmp_path, in_process):
    pem = tmp_path / 'id.pem'
    res, _writes = run(box, run_playbook, play(admin_auth(box), [onboard_task(pem)]), in_process=in_process)
    assert res.rc == 0, res
    sp_id = res.result('onboard')['service_principal_id']
    # Someone gives the identity Owner by hand: reported as drift, never removed.
    status, body = arm_put_as_admin(box, OWNER, sp_id)
    assert status == 201, body
    res, writes = run(box, run_playbook, play(admin_auth(box), [onboard_task(pem)]), in_process=in_process,
                      diff=True)
    out = res.result('onboard')
    assert res.rc == 0, res
    assert out['changed'] is False and writes == []
    assert out['diff']['before'] == out['diff']['after'], out['diff']
    assert any('Owner on %s' % SUB_SCOPE in d for d in out['drift']), out['drift']
    assert any('Owner on' in w for w in res.result('onboard').get('warnings', [])), out
    assert [ra for ra in role_assignments(box) if ra['properties']['principalId'] == sp_id
            and ra['properties']['roleDefinitionId'].endswith(OWNER)]

    # Someone grants it AppRoleAssignment.ReadWrite.All and revokes CloudPC.ReadWrite.All: the extra permission is
    # reported (and kept), the missing consent granted again and reported.
    graph_token = admin_token(box, 'https://graph.microsoft.com/.default')
    grants = graph_call(box, graph_token, 'GET', 'servicePrincipals/%s/appRoleAssignments' % sp_id)[1]['value']
    cloudpc = next(a for a in grants if a['appRoleId'] == '3b4349e1-8cf5-45a3-95b7-69d1751d3e6a')
    assert graph_call(box, graph_token, 'DELETE', 'servicePrincipals/%s/appRoleAssignments/%s'
                      % (sp_id, cloudpc['id']))[0] == 204
    status, body = graph_call(box, graph_token, 'POST', 'servicePrincipals/%s/appRoleAssignments' % sp_id, {
        'principalId': sp_id, 'resourceId': cloudpc['resourceId'], 'appRoleId': '06b708a9-e830-4db3-a914-8e69da51d44f'})
    assert status == 201, body
    res, writes = run(box, run_playbook, play(admin_auth(box), [onboard_task(pem)]), in_process=in_process)
    out = res.result('onboard')
    assert res.rc == 0 and out['changed'] is True, res
    assert [(w['method'], w['path'].split('?')[0].rsplit('/', 1)[-1]) for w in writes] == [
        ('POST', 'appRoleAssignments')]
    assert any('AppRoleAssignment.ReadWrite.All' in d and 'its own rights' in d for d in out['drift']), out['drift']
    assert any('consent to CloudPC.ReadWrite.All was missing' in d for d in out['drift']), out['drift']
    assert 'AppRoleAssignment.ReadWrite.All' in out['graph_permissions']


def test_bad_input_fails_before_any_request(box, run_playbook, tmp_path):
    task = onboard_task(tmp_path / 'x.pem')
    task['w365.cloudpc.w365_automation_identity'].pop('certificate_passphrase')
    task['ignore_errors'] = True
    res, writes = run(box, run_playbook, play(admin_auth(box), [task]))
    out = res.result('onboard')
    assert res.stats['localhost']['ignored'] == 1 and out['option'] == 'certificate_passphrase', out
    assert writes == [] and not [r for r in box.requests() if r.get('service') in ('graph', 'arm')]


def test_an_administrator_without_subscription_rights_changes_nothing(box, run_playbook, tmp_path):
    auth = dict(admin_auth(box), username='entra-admin@onboardco.onmicrosoft.com',
                password='Entra-Admin-Pw-never-shown-2!')
    task = dict(onboard_task(tmp_path / 'x.pem'), ignore_errors=True)
    for check in (True, False):
        res, writes = run(box, run_playbook, play(auth, [task]), check=check)
        out = res.result('onboard')
        assert res.stats['localhost']['ignored'] == 1, res
        assert 'may not create role assignments on %s' % SUB_SCOPE in out['msg'] and out['changed'] is False
        assert writes == [] and not (tmp_path / 'x.pem').exists()


def test_two_onboarding_runs_at_once_converge(box, tmp_path, run_playbook):
    from tests.helpers.role_grant import run_together

    task = onboard_task(tmp_path / 'unused.pem', credential_type='none')
    first, second = run_together(tmp_path, [play(admin_auth(box), [task]), play(admin_auth(box), [task])])
    assert first.rc == 0 and second.rc == 0, (first, second)
    app_ids = {r.result('onboard')['app']['app_id'] for r in (first, second)}
    sps = {r.result('onboard')['service_principal_id'] for r in (first, second)}
    assert len(app_ids) == 1 and len(sps) == 1, (app_ids, sps)
    mine = [ra['properties']['roleDefinitionId'].rsplit('/', 1)[-1] for ra in role_assignments(box)
            if ra['properties']['principalId'] in sps]
    assert sorted(mine) == sorted(['acdd72a7-3385-48ef-bd42-f606fba81ae7', RBAC_ADMIN])
    res, writes = run(box, run_playbook, play(admin_auth(box), [task]))
    assert res.rc == 0 and writes == [] and res.result('onboard')['changed'] is False, res
    assert res.result('onboard')['app']['app_id'] in app_ids


def test_a_sign_in_without_the_graph_rights_changes_nothing(box, run_playbook, tmp_path):
    auth = dict(admin_auth(box), client_id='7b000000-0000-4000-8000-00000000c002')
    task = dict(onboard_task(tmp_path / 'x.pem'), ignore_errors=True)
    for check in (True, False):
        res, writes = run(box, run_playbook, play(auth, [task]), check=check)
        out = res.result('onboard')
        assert res.stats['localhost']['ignored'] == 1, res
        assert 'lacks the delegated permission AppRoleAssignment.ReadWrite.All' in out['msg'], out['msg']
        assert out['changed'] is False and writes == [] and not (tmp_path / 'x.pem').exists()


# ---- raw ARM calls ---------------------------------------------------------------------------------------------
def _token(box, credential):
    return credential.get_token('https://management.azure.com/.default').token


def _put(box, token, role, principal):
    name = str(uuid.uuid4())
    url = '%s%s/providers/Microsoft.Authorization/roleAssignments/%s?api-version=2022-04-01' % (
        box.url, SUB_SCOPE, name)
    body = {'properties': {'roleDefinitionId': '%s/providers/Microsoft.Authorization/roleDefinitions/%s'
                                               % (SUB_SCOPE, role),
                           'principalId': principal, 'principalType': 'ServicePrincipal'}}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method='PUT',
                                 headers={'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=box.ca_bundle)) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def arm_put_as(box, client_id, pem, role, principal):
    from azure.identity import CertificateCredential
    credential = CertificateCredential(TENANT, client_id, certificate_path=str(pem), password=PASSPHRASE,
                                       authority=box.url, disable_instance_discovery=True,
                                       connection_verify=box.ca_bundle)
    return _put(box, _token(box, credential), role, principal)


def admin_token(box, scope):
    """A password grant straight at the sandbox's token endpoint (MSAL's user-realm lookup drops the port)."""
    form = urllib.parse.urlencode({'grant_type': 'password', 'client_id': ADMIN_CLIENT, 'password': ADMIN_PASSWORD,
                                   'username': 'admin@onboardco.onmicrosoft.com', 'scope': scope}).encode()
    req = urllib.request.Request('%s/%s/oauth2/v2.0/token' % (box.url, TENANT), data=form, method='POST')
    with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=box.ca_bundle)) as resp:
        return json.loads(resp.read())['access_token']


def arm_put_as_admin(box, role, principal):
    return _put(box, admin_token(box, 'https://management.azure.com/.default'), role, principal)


def graph_call(box, token, method, path, body=None):
    req = urllib.request.Request('%s/v1.0/%s' % (box.url, path), method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=box.ca_bundle)) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


PLAYBOOK = Path(__file__).resolve().parents[2] / 'playbooks' / 'onboard.yml'


def test_playbook_with_federated_credential_then_workload_identity_sign_in(box, run_playbook, tmp_path):
    """playbooks/onboard.yml (role onboard_tenant) with a workload identity federation credential instead of a
    certificate; the identity then signs in with a federated token and reads the role grants."""
    federated = {'name': 'awx-k8s', 'issuer': 'https://oidc.example.test/cluster-1',
                 'subject': 'system:serviceaccount:awx:awx-ee'}
    extra = {'w365_onboard_auth': admin_auth(box), 'onboard_tenant_credential_type': 'federated',
             'onboard_tenant_federated_credential': federated, 'onboard_tenant_subscription_id': SUB}
    res, writes = run(box, run_playbook, PLAYBOOK, extra_vars=extra, check=True)
    assert res.rc == 0 and writes == [], res
    res, writes = run(box, run_playbook, PLAYBOOK, extra_vars=extra)
    out = res.result('w365.cloudpc.onboard_tenant : Set up the automation identity')
    assert res.rc == 0 and out['changed'] is True, res
    posts = [w['path'].split('?')[0].rsplit('/', 1)[-1] for w in writes if w['method'] == 'POST']
    assert posts[-1] == 'federatedIdentityCredentials'
    assert out['certificate'] is None and out['inventory']['auth_method'] == 'workload_identity'
    res, writes = run(box, run_playbook, PLAYBOOK, extra_vars=extra)
    assert res.rc == 0 and writes == [] and res.changed_count() == 0, res

    # The platform's token (what Kubernetes writes to the pod): iss/sub/aud as registered.
    token_file = tmp_path / 'federated-token'
    token_file.write_text(unsigned_jwt({'iss': federated['issuer'], 'sub': federated['subject'],
                                        'aud': 'api://AzureADTokenExchange', 'exp': int(time.time()) + 600,
                                        'iat': int(time.time())}))
    auth = dict(box.endpoints(), tenant_id=TENANT, auth_method='workload_identity',
                client_id=out['inventory']['client_id'], federated_token_file=str(token_file))
    info = {'name': 'info', 'register': 'info', 'w365.cloudpc.w365_role_grant_info': dict(
        purpose='network_connection', subscription_id=SUB, resource_group='rg-pcs', virtual_network='vnet-pcs')}
    res, writes = run(box, run_playbook, play(auth, [info]))
    assert res.rc == 0, res
    assert res.result('info')['principal_id'] == W365 and res.result('info')['complete'] is False


def unsigned_jwt(claims):
    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b'=').decode()
    return '%s.%s.%s' % (b64({'alg': 'RS256', 'typ': 'JWT'}), b64(claims), b64({'sig': 'none'}))


def test_expiring_certificate_is_renewed_and_the_old_one_kept(box, run_playbook, tmp_path):
    pem = tmp_path / 'id.pem'
    short = onboard_task(pem, certificate_validity_days=10, renew_within_days=5)
    res, _writes = run(box, run_playbook, play(admin_auth(box), [short]))
    assert res.rc == 0, res
    first = res.result('onboard')['certificate']
    client_id = res.result('onboard')['app']['app_id']
    # Ten days left, and the task now renews within twenty: check mode predicts, the run renews.
    longer = onboard_task(pem, renew_within_days=20)
    res, writes = run(box, run_playbook, play(admin_auth(box), [longer]), check=True)
    out = res.result('onboard')
    assert res.rc == 0 and writes == [] and out['changed'] is True and out['certificate']['renewed'] is True, res
    assert any('a new one would be made' in d for d in out['drift']), out['drift']
    res, writes = run(box, run_playbook, play(admin_auth(box), [longer]))
    out = res.result('onboard')
    assert res.rc == 0 and out['changed'] is True, res
    assert [w['method'] for w in writes] == ['PATCH']
    assert out['certificate']['thumbprint'] != first['thumbprint'] and out['certificate']['expires'] > first['expires']
    assert (tmp_path / 'id.pem.previous').exists() and stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    # Both certificates sign in: jobs still holding the old file keep working until it expires.
    for path in (pem, tmp_path / 'id.pem.previous'):
        status, body = arm_put_as(box, client_id, path, OWNER, W365)
        assert status == 403 and 'ABAC' in body['error']['message'], body
