# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sign-in that real tenants accept (issue 13), under ansible-playbook against the sandbox: the Azure CLI client
cannot do Cloud PC work, the customer's public client can, MFA users get the MFA remedy once, and a device-code
sign-in approved through the control API creates an ANC, then signs in silently, then fails before any write once
its refresh token has expired."""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SEED = yaml.safe_load((REPO / 'tests' / 'integration' / 'seeds' / 'anc.yml').read_text(encoding='utf-8'))
TENANT = '5a1e0a9c-0000-4000-8000-00000000a0c1'
SUB = '5a1e0a9c-0000-4000-8000-0000000050b1'
ADMIN = 'admin@ancco.onmicrosoft.com'
ADMIN_PW = 'Adm1n-Sandbox-Pw!'
MFA_USER = 'mfa-admin@ancco.onmicrosoft.com'
MFA_PW = 'Mfa-Admin-Sandbox-Pw!'
PUBLIC_APP = '5a1e0a9c-0000-4000-8000-0000000ab11c'
AZURE_CLI = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'
ANC_PATH = '/v1.0/deviceManagement/virtualEndpoint/onPremisesConnections'
SECRETS = (ADMIN_PW, MFA_PW)


def seed():
    s = copy.deepcopy(SEED)
    s['token_lifetime_seconds'] = 60  # azure-identity refreshes tokens this close to expiry: every run refreshes
    s['device_code_interval_seconds'] = 1
    t = s['tenants'][0]
    t['arm_mfa_enforced'] = True
    t['apps'].append({'client_id': PUBLIC_APP, 'object_id': '5a1e0a9c-0000-4000-8000-0000000ab110',
                      'display_name': 'w365-ops (public client)', 'public_client': True, 'graph_permissions': []})
    t['users'].append({'upn': MFA_USER, 'object_id': '5a1e0a9c-0000-4000-8000-0000000000a2', 'password': MFA_PW,
                       'mfa': 'required', 'directory_roles': ['Windows 365 Administrator']})
    t['role_assignments'].append({'principal_id': '5a1e0a9c-0000-4000-8000-0000000000a2', 'role': 'Owner',
                                  'scope': '/subscriptions/' + SUB})
    t['consents'] = [
        {'client_id': PUBLIC_APP, 'scopes': ['CloudPC.ReadWrite.All', 'Application.Read.All']},
        {'client_id': PUBLIC_APP, 'resource': 'arm', 'scopes': ['user_impersonation']},
    ]
    return s


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    from tests.helpers.sandbox import start_sandbox
    sandbox = start_sandbox(seed(), time_scale=60.0, workdir=tmp_path_factory.mktemp('signin'))
    yield sandbox
    sandbox.stop()


def auth(box, **extra):
    return dict({'tenant_id': TENANT, 'authority_host': box.url, 'graph_endpoint': box.url, 'arm_endpoint': box.url,
                 'ca_bundle': box.ca_bundle}, **extra)


def play(tasks):
    return [{'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/w365.cloudpc.w365': '{{ w365_test_auth }}'}, 'tasks': tasks}]


def anc(name, register='anc', ignore_errors=False):
    task = {'name': register, 'register': register,
            'w365.cloudpc.w365_anc': {'name': name, 'join_type': 'entra_join', 'subscription_id': SUB,
                                      'resource_group': 'rg-cloudpc',
                                      'virtual_network': 'vnet-cloudpc', 'subnet': 'snet-a'}}
    if ignore_errors:
        task['ignore_errors'] = True
    return task


def preflight(register='pre'):
    return {'name': register, 'register': register,
            'w365.cloudpc.w365_preflight': {'name': 'anc-x', 'subscription_id': SUB, 'resource_group': 'rg-cloudpc',
                                            'virtual_network': 'vnet-cloudpc', 'subnet': 'snet-a'}}


def graph_writes(box):
    return [w for w in box.writes() if w['service'] == 'graph']


def token_posts(box):
    return [r for r in box.requests() if r['service'] == 'entra' and r['method'] == 'POST']


def check(result, name):
    return next(c for c in result['checks'] if c['name'] == name)


def test_azure_cli_client_has_no_cloud_pc_scope_and_fails_before_any_write(box, run_playbook):
    box.clear_requests()
    creds = auth(box, auth_method='username_password', username=ADMIN, password=ADMIN_PW, client_id=AZURE_CLI)
    res = run_playbook(play([preflight(), anc('anc-cli', ignore_errors=True)]), extra_vars={'w365_test_auth': creds})
    pre = res.result('pre')
    assert not pre['passed']
    write = check(pre, 'sign_in_anc_write')
    assert write['status'] == 'failed' and 'CloudPC.ReadWrite.All' in write['detail']
    assert 'client_id' in write['remedy'] and 'Azure CLI' in write['remedy']
    # the ANC task, run anyway, is refused by Graph with the scope it needs, and nothing was written
    out = res.result('anc')
    assert res.entry('anc')['status'] == 'ignored' and '403' in out['msg'] and 'CloudPC' in out['msg'], out
    assert graph_writes(box) == []


def test_customer_public_client_with_consented_scopes_creates_the_anc(box, run_playbook):
    box.clear_requests()
    creds = auth(box, auth_method='username_password', username=ADMIN, password=ADMIN_PW, client_id=PUBLIC_APP)
    res = run_playbook(play([preflight(), anc('anc-public')]), extra_vars={'w365_test_auth': creds})
    assert res.rc == 0, res.stdout
    pre = res.result('pre')
    assert check(pre, 'sign_in_anc_write')['status'] == 'passed'
    # a password sign-in has no MFA: the role grants would be refused by ARM, and the preflight says so
    assert check(pre, 'sign_in_role_grant')['status'] == 'warning'
    assert 'device_code' in check(pre, 'sign_in_role_grant')['remedy']
    assert res.result('anc')['changed'] and len(graph_writes(box)) == 1
    assert {p['body']['client_id'] for p in token_posts(box)} == {PUBLIC_APP}


def test_mfa_user_password_sign_in_fails_once_with_the_mfa_remedy(box, run_playbook):
    box.clear_requests()
    creds = auth(box, auth_method='username_password', username=MFA_USER, password=MFA_PW, client_id=PUBLIC_APP)
    res = run_playbook(play([preflight()]), extra_vars={'w365_test_auth': creds}, verbosity=4)
    pre = res.result('pre')
    assert [c['name'] for c in pre['checks']] == ['sign_in'] and not pre['passed']
    sign_in = pre['checks'][0]
    assert 'AADSTS50076' in sign_in['detail'] and 'device_code' in sign_in['remedy']
    assert 'w365_auth.auth_method' in sign_in['remedy']
    assert len(token_posts(box)) == 1  # one failed sign-in, nothing retried
    assert not [r for r in box.requests() if r['service'] in ('graph', 'arm')]
    for secret in SECRETS:
        assert secret not in res.stdout + res.stderr


def approve_when_asked(box, upn, mfa=True, timeout=60, approve=True):
    """What the operator does in a browser: wait for the code the task shows, then sign in with it (or decline)."""
    done = {}

    def run():
        deadline = time.time() + timeout
        while time.time() < deadline:
            pending = [c for c in box.control('GET', 'devicecodes')['device_codes'] if c['status'] == 'pending']
            if pending:
                done['reply'] = box.control('POST', 'devicecodes/%s' % pending[0]['user_code'],
                                            {'upn': upn, 'mfa': mfa} if approve else {'approve': False})
                done['user_code'] = pending[0]['user_code']
                return
            time.sleep(0.2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def test_device_code_sign_in_then_silent_runs_then_expired(box, run_playbook, tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    env = {'HOME': str(home)}
    creds = auth(box, auth_method='device_code', client_id=PUBLIC_APP, token_cache_allow_unencrypted=True)
    signin = {'name': 'signin', 'register': 'signin', 'w365.cloudpc.w365_signin': {'timeout': 60}}
    grant = {'name': 'grant', 'register': 'grant',
             'w365.cloudpc.w365_role_grant': {'purpose': 'network_connection', 'subscription_id': SUB,
                                              'resource_group': 'rg-nogrants', 'virtual_network': 'vnet-nogrants'}}

    # 1. before any sign-in: the task fails offline, naming the sign-in to run
    box.clear_requests()
    res = run_playbook(play([anc('anc-dc')]), extra_vars={'w365_test_auth': creds}, env=env)
    assert res.rc != 0 and 'w365.cloudpc.signin' in res.result('anc')['msg']
    assert box.requests() == []

    # 2. the one-time sign-in (approved with MFA through the control API), then an ANC and MFA-gated role grants
    box.clear_requests()
    thread, approved = approve_when_asked(box, MFA_USER)
    res = run_playbook(play([signin, anc('anc-dc'), grant]), extra_vars={'w365_test_auth': creds}, env=env,
                       verbosity=4)
    thread.join(5)
    assert res.rc == 0, res.stdout[-3000:]
    assert approved['user_code'] in res.stdout  # shown live on the operator's terminal
    out = res.result('signin')
    assert out['changed'] and out['username'] == MFA_USER and out['claims']['arm']['mfa']
    assert res.result('anc')['changed'] and res.result('grant')['changed']
    record = home / '.IdentityService' / 'w365.cloudpc.records' / ('%s.%s.json' % (TENANT, PUBLIC_APP))
    assert record.is_file() and oct(record.stat().st_mode & 0o777) == '0o600'
    assert 'refresh' not in record.read_text().lower()  # the record names the account, it holds no token
    text = res.stdout + res.stderr
    assert 'eyJ' not in text  # no JWT (access or refresh token) in the output at -vvvv
    for secret in SECRETS:
        assert secret not in text

    # 3. a second run signs in silently: zero device-code requests, no change
    box.clear_requests()
    res = run_playbook(play([signin, anc('anc-dc'), grant]), extra_vars={'w365_test_auth': creds}, env=env)
    assert res.rc == 0, res.stdout[-3000:]
    assert not res.result('signin')['changed'] and res.changed_count() == 0
    assert not [r for r in box.requests() if r['path'].endswith('/devicecode')]
    assert box.writes() == []

    # 4. the refresh token expired: the task fails before any write, naming the sign-in to redo
    box.control('POST', 'refresh_tokens/expire', {'upn': MFA_USER})
    box.clear_requests()
    res = run_playbook(play([anc('anc-dc-2')]), extra_vars={'w365_test_auth': creds}, env=env)
    assert res.rc != 0
    msg = res.result('anc')['msg']
    assert 'w365.cloudpc.signin' in msg and TENANT in msg
    assert box.writes() == [] and not [r for r in box.requests() if r['service'] in ('graph', 'arm')]


def test_signin_playbook_signs_each_tenant_in_once(box, run_playbook, tmp_path):
    """playbooks/signin.yml: one device-code sign-in per tenant however many hosts (regions) it has; tenants with
    another sign-in method are left alone; a second run is ok and unchanged."""
    home = tmp_path / 'home'
    home.mkdir()
    dc = dict(auth(box, auth_method='device_code', client_id=PUBLIC_APP), token_cache_allow_unencrypted=True)
    inventory = tmp_path / 'hosts.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {
        'ancco_weu': {'w365_tenant': 'ancco', 'w365_region': 'westeurope', 'w365_auth': dc},
        'ancco_neu': {'w365_tenant': 'ancco', 'w365_region': 'northeurope', 'w365_auth': dc},
        'other_weu': {'w365_tenant': 'other', 'w365_region': 'westeurope',
                      'w365_auth': auth(box, client_id='x', client_secret='y')},
    }}}), encoding='utf-8')
    box.clear_requests()
    thread, approved = approve_when_asked(box, MFA_USER)
    res = run_playbook(REPO / 'playbooks' / 'signin.yml', inventory=inventory, env={'HOME': str(home)},
                       forks=5)
    thread.join(5)
    assert res.rc == 0, res.stdout[-3000:]
    assert approved['user_code'] in res.stdout
    assert len([r for r in box.requests() if r['path'].endswith('/devicecode')]) == 1
    assert res.changed_count() == 1
    again = run_playbook(REPO / 'playbooks' / 'signin.yml', inventory=inventory, env={'HOME': str(home)})
    assert again.rc == 0 and again.changed_count() == 0


def test_declined_or_mfa_less_device_code_sign_in_fails_with_the_reason(box, run_playbook, tmp_path):
    env = {'HOME': str(tmp_path)}
    creds = auth(box, auth_method='device_code', client_id=PUBLIC_APP, token_cache_allow_unencrypted=True)
    signin = {'name': 'signin', 'register': 'signin', 'w365.cloudpc.w365_signin': {'timeout': 60}}
    thread, dummy = approve_when_asked(box, MFA_USER, approve=False)
    res = run_playbook(play([signin]), extra_vars={'w365_test_auth': creds}, env=env)
    thread.join(5)
    assert res.rc != 0 and 'declined authorization' in res.result('signin')['msg']
    # an MFA-required user who skipped MFA in the browser: Entra's MFA error, nothing stored
    thread, dummy = approve_when_asked(box, MFA_USER, mfa=False)
    res = run_playbook(play([signin]), extra_vars={'w365_test_auth': creds}, env=env)
    thread.join(5)
    msg = res.result('signin')['msg']
    assert res.rc != 0 and 'AADSTS50076' in msg and 'Remedy' in msg
    assert not (tmp_path / '.IdentityService' / 'w365.cloudpc.records').exists()
