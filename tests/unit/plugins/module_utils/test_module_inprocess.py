# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""W365Module in-process (fast): argument spec, env fallbacks, masking, exit/diff; and the Graph-only import rule."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError
from ansible_collections.w365.cloudpc.plugins.module_utils._module import (
    W365Module, auth_argument_spec, subscription_id_option)

T = '72f988bf-86f1-41af-91ab-2d7cd011db47'
C = '11111111-2222-3333-4444-555555555555'
SCRUB = ('AZURE_TENANT_ID', 'AZURE_TENANT', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_SECRET',
         'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_FEDERATED_TOKEN_FILE',
         'AZURE_USERNAME', 'AZURE_AD_USER', 'AZURE_PASSWORD', 'AZURE_CLOUD_ENVIRONMENT', 'AZURE_AUTHORITY_HOST',
         'AZURE_SUBSCRIPTION_ID', 'REQUESTS_CA_BUNDLE', 'IDENTITY_ENDPOINT', 'MSI_ENDPOINT')


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in SCRUB:
        monkeypatch.delenv(name, raising=False)


def run(args, body, capsys, **module_kwargs):
    """Build a W365Module from `args`, call body(module); return (exit code, result JSON)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as e:
            module = W365Module(argument_spec=dict(subscription_id=subscription_id_option()), **module_kwargs)
            body(module)
    return e.value.code, json.loads(capsys.readouterr().out)


def test_exit_adds_auth_method_and_diff_only_in_diff_mode(capsys):
    args = {'tenant_id': T, 'client_id': C, 'client_secret': 's3cr3t-value'}
    code, result = run(args, lambda m: m.exit(True, diff={'before': {'a': 1}, 'after': {'a': 2}}, thing=1), capsys)
    assert code == 0 and result['changed'] and result['auth_method'] == 'client_secret' and result['thing'] == 1
    assert 'diff' not in result
    code, result = run(dict(args, _ansible_diff=True), lambda m: m.exit(False, diff={'before': {}, 'after': {}}),
                       capsys)
    assert result['diff'] == {'before': {}, 'after': {}}


def test_env_secret_is_masked_like_a_no_log_option(capsys, monkeypatch):
    monkeypatch.setenv('AZURE_SECRET', 'env-secret-value-9')
    code, result = run({'tenant_id': T, 'client_id': C},
                       lambda m: m.exit(False, echoed='token was env-secret-value-9'), capsys)
    assert result['auth_method'] == 'client_secret'
    assert 'env-secret-value-9' not in json.dumps(result)


def test_warnings_never_carry_a_secret(capsys, monkeypatch):
    """ansible-core 2.19 masks no_log values in results but not in module warnings: W365Module.warn masks them,
    task options and secrets taken from the environment alike."""
    def body(module):
        module.warn('organizational_unit looks like a password: task-secret-value-7')
        module.warn('and this one: env-secret-value-9')
        module.exit(False)

    code, result = run({'tenant_id': T, 'client_id': C, 'client_secret': 'task-secret-value-7'}, body, capsys)
    text = json.dumps(result)
    assert code == 0 and 'looks like a password' in text
    assert 'task-secret-value-7' not in text
    # Warnings are process-wide in module_utils (one module run per process): start the second run afresh.
    from ansible.module_utils.common import warnings as module_warnings
    module_warnings._global_warnings.clear()
    monkeypatch.setenv('AZURE_SECRET', 'env-secret-value-9')
    code, result = run({'tenant_id': T, 'client_id': C}, body, capsys)
    text = json.dumps(result)
    assert code == 0 and 'and this one' in text
    assert 'env-secret-value-9' not in text


def test_fail_api_message_and_error(capsys):
    err = W365ApiError(403, 'AuthorizationFailed', 'no access', request_id='rid-1', service='arm')
    code, result = run({'tenant_id': T, 'client_id': C, 'client_secret': 'x'},
                       lambda m: m.fail_api(err, 'Reading the vnet'), capsys)
    assert code == 1 and result['failed']
    assert result['msg'] == 'Reading the vnet: HTTP 403 AuthorizationFailed: no access (request id rid-1)'
    assert result['error']['status'] == 403 and result['error']['request_id'] == 'rid-1'


@pytest.mark.parametrize('env,cloud', [('AzureCloud', 'public'), ('AzureUSGovernment', 'gcc_high'),
                                       ('gcc', 'gcc')])
def test_cloud_environment_variable(capsys, monkeypatch, env, cloud):
    monkeypatch.setenv('AZURE_CLOUD_ENVIRONMENT', env)
    args = {'tenant_id': T, 'client_id': C, 'client_secret': 'x'}
    if cloud == 'gcc':  # GCC signs in to its Azure Government tenant too (docs/government-clouds.md)
        args['gov_auth'] = {'tenant_id': '0c0ffee0-0000-4000-8000-00000000a00a', 'client_id': C, 'client_secret': 'y'}
    code, result = run(args, lambda m: m.exit(False, cloud=m.endpoints.cloud), capsys)
    assert result['cloud'] == cloud


def test_task_cloud_beats_env(capsys, monkeypatch):
    monkeypatch.setenv('AZURE_CLOUD_ENVIRONMENT', 'AzureUSGovernment')
    code, result = run({'tenant_id': T, 'client_id': C, 'client_secret': 'x', 'cloud': 'public'},
                       lambda m: m.exit(False, cloud=m.endpoints.cloud), capsys)
    assert result['cloud'] == 'public'


def test_unknown_cloud_environment_fails_naming_value(capsys, monkeypatch):
    monkeypatch.setenv('AZURE_CLOUD_ENVIRONMENT', 'AzureGermanCloud')
    code, result = run({'tenant_id': T, 'client_id': C, 'client_secret': 'x'}, lambda m: m.exit(False), capsys)
    assert code == 1 and 'AzureGermanCloud' in result['msg'] and 'cloud' in result['msg']


def test_subscription_env_fallback_and_task_precedence(capsys, monkeypatch):
    monkeypatch.setenv('AZURE_SUBSCRIPTION_ID', 'env-sub')
    base = {'tenant_id': T, 'client_id': C, 'client_secret': 'x'}
    code, result = run(base, lambda m: m.exit(False, sub=m.params['subscription_id']), capsys)
    assert result['sub'] == 'env-sub'
    code, result = run(dict(base, subscription_id='task-sub'), lambda m: m.exit(False, sub=m.params['subscription_id']),
                       capsys)
    assert result['sub'] == 'task-sub'


def test_required_subscription_satisfied_by_env(monkeypatch):
    """ansible applies fallbacks before the required check, so required + env works."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    monkeypatch.setenv('AZURE_SUBSCRIPTION_ID', 'env-sub')
    result = ArgumentSpecValidator({'subscription_id': subscription_id_option(required=True)}).validate({})
    assert result.error_messages == [] and result.validated_parameters['subscription_id'] == 'env-sub'


def test_spec_matches_the_doc_fragment():
    import yaml
    from ansible_collections.w365.cloudpc.plugins.doc_fragments.auth import ModuleDocFragment
    docs = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    spec = auth_argument_spec()
    assert set(docs) == set(spec)
    for name, doc in docs.items():
        assert doc.get('type', 'str') == spec[name].get('type', 'str'), name
        assert doc.get('default') == spec[name].get('default'), name
        assert doc.get('choices') == spec[name].get('choices'), name
    assert {n for n, s in spec.items() if s.get('no_log')} == {'client_secret', 'client_certificate_password',
                                                               'password'}


def test_azure_cli_missing_is_an_auth_error(capsys, monkeypatch, tmp_path):
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365Error
    monkeypatch.setenv('PATH', str(tmp_path))  # no `az` here

    def body(module):
        try:
            module.graph.get('deviceManagement/virtualEndpoint/onPremisesConnections')
        except W365Error as e:
            module.fail_api(e, 'Listing')

    code, result = run({'auth_method': 'azure_cli', 'graph_endpoint': 'https://127.0.0.1:9'}, body, capsys)
    assert code == 1 and result['auth_method'] == 'azure_cli'
    assert result['msg'].startswith('Listing: sign-in with auth_method=azure_cli failed: ')
    assert 'Azure CLI' in result['msg'] and result['error']['type'] == 'W365AuthError'


GRAPH_PATH = r'''
import sys, json
sys.path.insert(0, sys.argv[1])
from ansible_collections.w365.cloudpc.plugins.module_utils._auth import build_credential
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module
from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import find_windows365_principal
from ansible_collections.w365.cloudpc.plugins.module_utils._waiter import wait_until
ep = resolve_endpoints('public')
cred, method = build_credential({'tenant_id': 't', 'client_id': 'c', 'client_secret': 's'}, ep, environ={})
GraphClient(cred, ep)
print(json.dumps(sorted(m for m in sys.modules if m.startswith('azure.'))))
'''


@pytest.mark.slow  # a new Python process
def test_graph_path_never_imports_azure_mgmt():
    from tests.helpers.playbook import COLLECTIONS
    out = subprocess.run([sys.executable, '-c', GRAPH_PATH, str(COLLECTIONS)], capture_output=True, text=True,
                         check=True).stdout
    loaded = json.loads(out)
    assert 'azure.identity' in loaded and 'azure.core' in loaded
    assert not [m for m in loaded if m.startswith('azure.mgmt')]
