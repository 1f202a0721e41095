# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one failure path: W365Module.run / fail_from_exception, and sign-in inputs refused by name (fast, no network)."""
from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError, W365AuthError, W365ConfigError, W365Error, W365WaitTimeout)
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import validate_tenant_id
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module

T = '72f988bf-86f1-41af-91ab-2d7cd011db47'
C = '11111111-2222-3333-4444-555555555555'
SECRET = 'fail-path-Secret-91'
ARGS = {'tenant_id': T, 'client_id': C, 'client_secret': SECRET}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ('AZURE_TENANT_ID', 'AZURE_TENANT', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_SECRET',
                 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_USERNAME',
                 'AZURE_PASSWORD', 'AZURE_CLOUD_ENVIRONMENT', 'IDENTITY_ENDPOINT', 'MSI_ENDPOINT'):
        monkeypatch.delenv(name, raising=False)


def run(args, body, capsys, what=None, result=None):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as e:
            module = W365Module(argument_spec={}, supports_check_mode=True)
            module.run(lambda: body(module), what, result=result)
            module.exit(False)
    out = capsys.readouterr()
    assert 'Traceback' not in out.out + out.err
    return e.value.code, json.loads(out.out)


def raising(err):
    def body(module):
        raise err
    return body


class Explained(W365Error):
    """Like _grants.GrantError: an explanation plus the service error it explains."""

    def __init__(self, msg, api_error):
        self.msg = msg
        self.api_error = api_error
        super().__init__('%s: %s' % (msg, api_error))


API = W365ApiError(409, 'Conflict', 'already there', request_id='rid-7', service='graph', method='POST',
                   url='https://graph.microsoft.com/v1.0/x?code=abc')

# error, what, expected msg, expected top-level option, expected error fields
CASES = [
    (W365ConfigError('name', 'must not be empty'), 'Thing', 'name: must not be empty', 'name',
     {'type': 'W365ConfigError', 'option': 'name'}),
    (API, 'Thing', 'Thing: HTTP 409 Conflict: already there (POST https://graph.microsoft.com/v1.0/x?code=***, '
                   'request id rid-7)', None,
     {'type': 'W365ApiError', 'status': 409, 'code': 'Conflict', 'request_id': 'rid-7', 'message': 'already there'}),
    (W365AuthError('sign-in with auth_method=client_secret failed: AADSTS7000215: bad', method='client_secret',
                   aadsts='AADSTS7000215'), 'Thing',
     'Thing: sign-in with auth_method=client_secret failed: AADSTS7000215: bad', None,
     {'type': 'W365AuthError', 'aadsts': 'AADSTS7000215'}),
    (W365WaitTimeout('health checks', 2), 'Thing',
     'timed out after 2 s waiting for health checks; the operation goes on in the service: run the task again to '
     'resume waiting, or raise wait_timeout', None, {'type': 'W365WaitTimeout', 'timeout': 2}),
    (Explained('Cannot grant Reader', API), 'Thing', 'Cannot grant Reader: ' + str(API), None,
     {'type': 'W365ApiError', 'status': 409, 'request_id': 'rid-7'}),
    (W365Error('no service principal yet'), 'Thing', 'no service principal yet', None, {'type': 'W365Error'}),
]


@pytest.mark.parametrize('err,what,msg,option,fields', CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_every_error_type_fails_the_same_way(capsys, err, what, msg, option, fields):
    code, result = run(ARGS, raising(err), capsys, what=what)
    assert code == 1 and result['failed'] and result['changed'] is False
    assert result['msg'] == msg
    assert result.get('option') == option
    assert result['auth_method'] == 'client_secret'
    assert {k: result['error'].get(k) for k in fields} == fields


def test_changed_and_carried_fields_reach_the_failure(capsys):
    state = {'changed': False}
    err = W365WaitTimeout('checks', 5, last={'id': 'a'}, hint='run again with wait: true')
    err.result = {'connection': {'id': 'a'}}

    def body(module):
        state['changed'] = True
        raise err
    code, result = run(ARGS, body, capsys, result=lambda: {'changed': state['changed']})
    assert result['changed'] is True and result['connection'] == {'id': 'a'}
    assert result['msg'].endswith('; run again with wait: true')


@pytest.mark.parametrize('tenant', ['bad tenant!', 'contoso.com/x', 'tenant\u00e9.com', 'a..b', '-x.com'])
def test_malformed_tenant_id_fails_naming_it_before_any_client(capsys, tenant):
    # Old code: W365Module accepted it and azure-identity raised a bare ValueError when the client was built.
    code, result = run(dict(ARGS, tenant_id=tenant), lambda m: m.graph, capsys)
    assert code == 1 and result['option'] == 'tenant_id'
    assert result['msg'].startswith('tenant_id: ') and 'GUID' in result['msg']
    assert tenant not in result['msg']


def test_malformed_tenant_id_from_the_environment_is_named_too(capsys, monkeypatch):
    monkeypatch.setenv('AZURE_TENANT_ID', 'not a tenant')
    code, result = run({'client_id': C, 'client_secret': SECRET}, lambda m: m.graph, capsys)
    assert code == 1 and result['option'] == 'tenant_id'


@pytest.mark.parametrize('tenant', [T, T.upper(), 'contoso.onmicrosoft.com', 'organizations', 'x-1.example.co.uk'])
def test_tenant_id_accepts_guid_and_domain_names(tenant):
    assert validate_tenant_id(tenant) == tenant


def test_wrong_certificate_password_fails_naming_the_option_without_the_password(capsys, tmp_path):
    import core_sandbox as world
    dummy, dummy2, encrypted = world.make_certificate(tmp_path)
    password = 'wrong-Cert-Pw-42'
    code, result = run({'tenant_id': T, 'client_id': C, 'client_certificate_path': str(encrypted),
                        'client_certificate_password': password}, lambda m: m.graph, capsys)
    assert code == 1 and result['option'] == 'client_certificate_password'
    assert 'Incorrect password' in result['msg']
    text = json.dumps(result)
    assert password not in text and 'PRIVATE KEY' not in text and 'BEGIN' not in text


def test_encrypted_key_without_password_names_the_password_option(capsys, tmp_path):
    import core_sandbox as world
    dummy, dummy2, encrypted = world.make_certificate(tmp_path)
    code, result = run({'tenant_id': T, 'client_id': C, 'client_certificate_path': str(encrypted)},
                       lambda m: m.graph, capsys)
    assert code == 1 and result['option'] == 'client_certificate_password'


def test_missing_ca_bundle_is_named_before_any_request(capsys, tmp_path):
    code, result = run(dict(ARGS, ca_bundle=str(tmp_path / 'no-such-ca.pem')), lambda m: m.graph.get('x'), capsys)
    assert code == 1 and result['option'] == 'ca_bundle' and 'no-such-ca.pem' in result['msg']


@pytest.mark.parametrize('option,value', [('authority_host', 'https://[::1'), ('graph_endpoint', 'https://h:99999'),
                                          ('arm_endpoint', 'https://bad host'), ('graph_endpoint', 'https://a\nb.com'),
                                          ('arm_endpoint', 'https://x.com/?sig=abc')])
def test_malformed_endpoint_is_named_without_a_traceback(capsys, option, value):
    # Old code: urlsplit's ValueError escaped as a traceback, or the URL went to the network.
    code, result = run(dict(ARGS, **{option: value}), lambda m: m.graph.get('x'), capsys)
    assert code == 1 and result['option'] == option and 'sig=abc' not in result['msg']


def test_a_refusal_carries_its_result_fields(capsys):
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365TaskFailed
    err = W365TaskFailed('connection x is in use by policy P', connection={'id': 'a'}, provisioning_policies=['P'])
    code, result = run(ARGS, raising(err), capsys, what='Azure network connection x',
                       result={'changed': True})
    assert result['msg'] == 'connection x is in use by policy P' and result['error']['type'] == 'W365TaskFailed'
    assert result['connection'] == {'id': 'a'} and result['provisioning_policies'] == ['P']
    assert result['changed'] is True and 'option' not in result
