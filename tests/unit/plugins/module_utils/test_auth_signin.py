# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sign-in that real tenants accept (issue 13): default delegated clients, remedies by AADSTS code, one failed
sign-in per task, token claims decoded for the preflight."""
from __future__ import annotations

import core_sandbox as world
import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _signin_checks as sc
from ansible_collections.w365.cloudpc.plugins.module_utils._auth import auth_error, auth_method_for, remedy_for
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365AuthError, W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._module import _AuthErrorMapping

GRAPH_CLI = '14d82eec-204b-4c2f-b7e8-296a70dab67e'
AZURE_CLI = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'


def endpoints(sb):
    return resolve_endpoints('public', sb.url, sb.url, sb.url)


def token_posts(sb):
    return [r for r in sb.requests() if r['service'] == 'entra' and r['method'] == 'POST']


def test_username_password_never_defaults_to_the_azure_cli_for_graph(sb):
    """The Azure CLI's Graph tokens carry no Cloud PC scope: Graph goes through Graph Command Line Tools, ARM
    through the Azure CLI (pre-authorized user_impersonation), unless the task names its own public client."""
    ep = endpoints(sb)
    params = {'auth_method': 'username_password', 'tenant_id': world.PUBLIC_TENANT, 'username': world.USER,
              'password': world.USER_PASSWORD}
    cred = auth_method_for(params, ep, sb.ca_bundle, environ={}).credential()
    graph = sc.decode_claims(cred.get_token(ep.graph_scope).token)
    arm = sc.decode_claims(cred.get_token(ep.arm_scope).token)
    assert graph['appid'] == GRAPH_CLI and 'CloudPC.ReadWrite.All' in graph['scp'].split()
    assert arm['appid'] == AZURE_CLI and arm['scp'] == 'user_impersonation'
    assert [p['body']['client_id'] for p in token_posts(sb)] == [GRAPH_CLI, AZURE_CLI]


@pytest.mark.parametrize('code, option', [
    ('AADSTS7000215', 'client_secret'), ('AADSTS7000222', 'client_secret'), ('AADSTS50126', 'password'),
    ('AADSTS50076', 'device_code'), ('AADSTS50079', 'device_code'), ('AADSTS700016', 'client_id'),
    ('AADSTS90002', 'tenant_id'), ('AADSTS65001', 'client_id'), ('AADSTS700027', 'client_certificate_path'),
    ('AADSTS50053', 'password'), ('AADSTS7000218', 'client_id'),
])
def test_remedy_by_aadsts_code_names_the_option(code, option):
    what, remedy = remedy_for(code)
    assert what and option in remedy
    assert 'w365_auth.' in remedy  # the rollout inventory variable, not just the module option


def test_auth_error_carries_remedy_and_never_the_secret():
    from azure.core.exceptions import ClientAuthenticationError
    secret = 'Very-Secret-Value-1'
    exc = ClientAuthenticationError(message='ClientSecretCredential.get_token failed: (invalid_client) AADSTS7000215: '
                                            'Invalid client secret provided %s. Trace ID: x' % secret)
    err = auth_error(exc, 'client_secret', [secret])
    assert err.aadsts == 'AADSTS7000215' and 'client_secret' in err.remedy
    assert secret not in str(err) and secret not in str(err.to_dict())
    assert 'Remedy:' in str(err) and err.to_dict()['remedy'] == err.remedy
    mfa = auth_error(ClientAuthenticationError(message='AADSTS50076: Due to a configuration change...'),
                     'username_password')
    assert 'device_code' in mfa.remedy


def test_a_failed_sign_in_is_not_repeated_within_a_task(sb):
    """Issue 12 finding 5: a wrong password is tried once, whatever the task asks for afterwards."""
    ep = endpoints(sb)
    params = {'auth_method': 'username_password', 'tenant_id': world.PUBLIC_TENANT, 'username': world.USER,
              'password': 'Wrong-Password-9'}
    auth = auth_method_for(params, ep, sb.ca_bundle, environ={})
    cred = _AuthErrorMapping(auth.credential(), auth.name, ['Wrong-Password-9'], tenant_id=world.PUBLIC_TENANT)
    for scope in (ep.graph_scope, ep.arm_scope, ep.graph_scope):
        with pytest.raises(W365AuthError) as e:
            cred.get_token(scope)
        assert 'AADSTS50126' in str(e.value) and 'password' in e.value.remedy
    assert len(token_posts(sb)) == 1


def test_the_sign_in_wrapper_never_shows_its_secrets():
    cred = _AuthErrorMapping(object(), 'client_secret', ['S3cret-Value-1'], tenant_id=world.PUBLIC_TENANT)
    assert 'S3cret-Value-1' not in repr(cred) and 'S3cret-Value-1' not in str(cred)


def test_device_code_without_a_sign_in_fails_offline(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    ep = resolve_endpoints('public')
    with pytest.raises(W365ConfigError) as e:
        auth_method_for({'auth_method': 'device_code', 'tenant_id': 'contoso.onmicrosoft.com',
                         'token_cache_allow_unencrypted': True}, ep, environ={})
    assert 'w365.cloudpc.signin' in str(e.value) and 'contoso.onmicrosoft.com' in str(e.value)


def jwt(claims):
    import base64
    import json
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b'=').decode()
    return 'eyJhbGciOiJIUzI1NiJ9.%s.c2ln' % part


INTUNE_ADMIN = '3a2c62db-5318-420d-8d74-23affee5d9d5'
USER_GRAPH = {'idtyp': 'user', 'appid': GRAPH_CLI, 'upn': 'a@x', 'scp': 'CloudPC.ReadWrite.All Application.Read.All',
              'wids': [INTUNE_ADMIN], 'amr': ['pwd']}
USER_ARM = {'idtyp': 'user', 'appid': AZURE_CLI, 'upn': 'a@x', 'scp': 'user_impersonation', 'amr': ['pwd']}
OPS = ['anc_read', 'anc_write', 'principal_lookup', 'role_grant']


def statuses(checks):
    return {c['name']: c['status'] for c in checks}


def test_sign_in_checks_per_operation():
    checks, dummy = sc.signin_checks({'graph': jwt(USER_GRAPH), 'arm': jwt(USER_ARM)}, OPS)
    assert statuses(checks) == {'sign_in_anc_read': 'passed', 'sign_in_anc_write': 'passed',
                                'sign_in_principal_lookup': 'passed', 'sign_in_role_grant': 'warning'}
    mfa = dict(USER_ARM, amr=['pwd', 'mfa'])
    assert statuses(sc.signin_checks({'arm': jwt(mfa)}, ['role_grant'])[0]) == {'sign_in_role_grant': 'passed'}
    # the Azure CLI's Graph token: no Cloud PC scope at all
    cli = dict(USER_GRAPH, appid=AZURE_CLI, scp='AuditLog.Read.All Directory.AccessAsUser.All Group.ReadWrite.All')
    checks, dummy = sc.signin_checks({'graph': jwt(cli)}, ['anc_write'], client_hint='hint')
    assert checks[0]['status'] == 'failed' and 'CloudPC.ReadWrite.All' in checks[0]['remedy'] and 'hint' in \
        checks[0]['remedy']
    # a user without the directory role
    norole = dict(USER_GRAPH, wids=[])
    check = sc.signin_checks({'graph': jwt(norole)}, ['anc_write'])[0][0]
    assert check['status'] == 'failed' and 'Intune Administrator' in check['remedy']
    # app-only: warning by default, failure in a tenant known to refuse it
    app = {'idtyp': 'app', 'appid': 'c', 'roles': ['CloudPC.ReadWrite.All']}
    assert sc.signin_checks({'graph': jwt(app)}, ['anc_write'])[0][0]['status'] == 'warning'
    assert sc.signin_checks({'graph': jwt(app)}, ['anc_write'], 'refused')[0][0]['status'] == 'failed'
    assert sc.signin_checks({'graph': jwt(app)}, ['image_write'], 'refused')[0][0]['status'] == 'passed'
    assert sc.decode_claims('not-a-jwt') == {}


def test_environment_client_id_is_not_the_users_client():
    """AWX's Azure credential exports AZURE_CLIENT_ID (an app-only app): a task's user sign-in does not use it."""
    from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.username_password import (
        default_clients)
    ep = resolve_endpoints('public')
    env = {'AZURE_CLIENT_ID': 'c0ffee00-0000-4000-8000-000000000001', 'AZURE_SECRET': 's', 'AZURE_TENANT': 't'}
    task = {'username': 'u@x', 'password': 'p'}
    assert auth_method_for(task, ep, environ=env).user_client_id() is None
    assert default_clients(None) == (GRAPH_CLI, AZURE_CLI)
    own = dict(task, client_id='c0ffee00-0000-4000-8000-000000000001')
    assert auth_method_for(own, ep, environ=env).user_client_id() == own['client_id']
    all_env = {'AZURE_CLIENT_ID': 'c1', 'AZURE_USERNAME': 'u@x', 'AZURE_PASSWORD': 'p', 'AZURE_TENANT_ID': 't'}
    assert auth_method_for({}, ep, environ=all_env).user_client_id() == 'c1'
