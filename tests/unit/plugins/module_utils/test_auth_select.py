# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sign-in method choice and option/env precedence: pure, no network."""
from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils._auth import (
    auth_inputs, auth_method_for, secret_values, select_method)
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

T = '72f988bf-86f1-41af-91ab-2d7cd011db47'
C = '11111111-2222-3333-4444-555555555555'
ENDPOINTS = resolve_endpoints('public')


def choose(params, env=None):
    env = env or {}
    inputs, from_task = auth_inputs(params, env)
    return select_method(params.get('auth_method', 'auto'), inputs, from_task, env)


@pytest.mark.parametrize('params,env,expected', [
    ({'client_secret': 's'}, {}, 'client_secret'),
    ({}, {'AZURE_CLIENT_SECRET': 's'}, 'client_secret'),
    ({}, {'AZURE_SECRET': 's'}, 'client_secret'),  # AWX's name
    ({'client_certificate_path': '/c.pem'}, {}, 'client_certificate'),
    ({}, {'AZURE_FEDERATED_TOKEN_FILE': '/t'}, 'workload_identity'),
    ({'username': 'u@x', 'password': 'p'}, {}, 'username_password'),
    ({}, {'AZURE_AD_USER': 'u@x', 'AZURE_PASSWORD': 'p'}, 'username_password'),
    ({'username': 'u@x'}, {}, 'azure_cli'),  # half a password grant is not one
    ({}, {'IDENTITY_ENDPOINT': 'http://localhost:42356/msi/token'}, 'managed_identity'),
    ({}, {'MSI_ENDPOINT': 'http://localhost/msi'}, 'managed_identity'),
    ({'client_id': C}, {}, 'azure_cli'),
    ({}, {}, 'azure_cli'),
    # auto order: secret before certificate before federated token before password
    ({'client_secret': 's', 'client_certificate_path': '/c'}, {}, 'client_secret'),
    ({'client_certificate_path': '/c', 'federated_token_file': '/t'}, {}, 'client_certificate'),
    ({'federated_token_file': '/t', 'username': 'u', 'password': 'p'}, {}, 'workload_identity'),
    # inputs beat the managed identity environment
    ({'client_secret': 's'}, {'IDENTITY_ENDPOINT': 'http://x'}, 'client_secret'),
])
def test_auto(params, env, expected):
    assert choose(params, env) == expected


def test_task_options_beat_environment_in_auto():
    """AWX exports AZURE_CLIENT_SECRET; a task that sets username/password means delegated sign-in."""
    env = {'AZURE_CLIENT_ID': C, 'AZURE_SECRET': 'awx-secret', 'AZURE_TENANT': T}
    assert choose({'username': 'admin@contoso.com', 'password': 'p'}, env) == 'username_password'


def test_task_value_equal_to_env_counts_as_env():
    env = {'AZURE_CLIENT_SECRET': 's', 'AZURE_USERNAME': 'u', 'AZURE_PASSWORD': 'p'}
    assert choose({'client_secret': 's'}, env) == 'client_secret'


def test_explicit_method_wins_over_auto_signals():
    assert choose({'auth_method': 'azure_cli', 'client_secret': 's'}) == 'azure_cli'


def test_option_beats_env_per_value():
    inputs, from_task = auth_inputs({'tenant_id': 'task-tenant'}, {'AZURE_TENANT_ID': 'env-tenant'})
    assert inputs['tenant_id'] == 'task-tenant' and 'tenant_id' in from_task


def test_env_family_order():
    inputs, dummy = auth_inputs({}, {'AZURE_TENANT_ID': 'a', 'AZURE_TENANT': 'b'})
    assert inputs['tenant_id'] == 'a'
    inputs, dummy = auth_inputs({}, {'AZURE_TENANT': 'b', 'AZURE_USERNAME': 'u1', 'AZURE_AD_USER': 'u2'})
    assert inputs['tenant_id'] == 'b' and inputs['username'] == 'u1'


def test_empty_string_option_falls_back_to_env():
    inputs, from_task = auth_inputs({'tenant_id': ''}, {'AZURE_TENANT_ID': 'env'})
    assert inputs['tenant_id'] == 'env' and not from_task


@pytest.mark.parametrize('method,params,missing', [
    ('client_secret', {'client_id': C}, ['tenant_id', 'client_secret']),
    ('client_certificate', {'tenant_id': T}, ['client_id', 'client_certificate_path']),
    ('workload_identity', {'tenant_id': T, 'client_id': C}, ['federated_token_file']),
    ('username_password', {'tenant_id': T, 'username': 'u'}, ['password']),
])
def test_explicit_method_missing_inputs_named_with_env_vars(method, params, missing):
    with pytest.raises(W365ConfigError) as e:
        auth_method_for(dict(params, auth_method=method), ENDPOINTS, environ={})
    text = str(e.value)
    assert e.value.option == 'auth_method'
    for option in missing:
        assert option in text
    if 'tenant_id' in missing:
        assert 'AZURE_TENANT_ID or AZURE_TENANT' in text
    if 'password' in missing:
        assert 'AZURE_PASSWORD' in text


def test_missing_certificate_file_fails_offline(tmp_path):
    with pytest.raises(W365ConfigError) as e:
        auth_method_for({'auth_method': 'auto', 'tenant_id': T, 'client_id': C,
                         'client_certificate_path': str(tmp_path / 'nope.pem')}, ENDPOINTS, environ={})
    assert e.value.option == 'client_certificate_path'


@pytest.mark.parametrize('method, option', [('client_certificate', 'client_certificate_path'),
                                            ('workload_identity', 'federated_token_file')])
def test_a_required_file_that_is_a_directory_fails_offline(tmp_path, method, option):
    with pytest.raises(W365ConfigError) as e:
        auth_method_for({'auth_method': method, 'tenant_id': T, 'client_id': C, option: str(tmp_path)},
                        ENDPOINTS, environ={})
    assert e.value.option == option


def test_cli_and_managed_identity_pass_only_the_inputs_given():
    cli = auth_method_for({'auth_method': 'azure_cli', 'tenant_id': T}, ENDPOINTS, environ={})
    assert cli.given('tenant_id', 'client_id') == {'tenant_id': T}
    assert auth_method_for({'auth_method': 'managed_identity'}, ENDPOINTS, environ={}).given('client_id') == {}


def test_username_password_defaults_client_to_azure_cli():
    method = auth_method_for({'auth_method': 'username_password', 'tenant_id': T, 'username': 'u', 'password': 'p'},
                             ENDPOINTS, environ={})
    assert method.name == 'username_password' and method.delegated


def test_managed_identity_and_cli_need_nothing():
    assert auth_method_for({'auth_method': 'managed_identity'}, ENDPOINTS, environ={}).name == 'managed_identity'
    assert auth_method_for({'auth_method': 'azure_cli'}, ENDPOINTS, environ={}).name == 'azure_cli'


def test_secret_values_cover_env():
    assert sorted(secret_values({'password': 'p1'}, {'AZURE_SECRET': 's1', 'AZURE_CLIENT_CERTIFICATE_PASSWORD': 'c1'})) \
        == ['c1', 'p1', 's1']


def test_unknown_method():
    with pytest.raises(W365ConfigError):
        choose({'auth_method': 'kerberos'})
