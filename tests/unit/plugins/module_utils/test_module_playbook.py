# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""W365Module as users meet it: ansible-playbook, AnsiballZ, environment variables, -vvvv output."""
from __future__ import annotations

from pathlib import Path

import core_sandbox as world
import pytest

from tests.helpers.playbook import run_playbook

LIBRARY = str(Path(__file__).resolve().parent / 'library')


def endpoints(sb):
    return {'authority_host': sb.url, 'graph_endpoint': sb.url, 'arm_endpoint': sb.url, 'ca_bundle': sb.ca_bundle}


def play(tasks, defaults=None):
    return [{'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'w365_core_probe': defaults or {}}, 'tasks': tasks}]


def probe(name, ignore_errors=False, **options):
    task = {'name': name, 'w365_core_probe': options}
    if ignore_errors:
        task['ignore_errors'] = True
    return task


@pytest.fixture
def run(tmp_path):
    def runner(plays, env=None, **kwargs):
        return run_playbook(tmp_path, plays, env=dict({'ANSIBLE_LIBRARY': LIBRARY}, **(env or {})), **kwargs)
    return runner


def test_sign_in_from_task_options_graph_only_and_no_secret_in_verbose_output(sb, run):
    defaults = dict(endpoints(sb), tenant_id=world.PUBLIC_TENANT, client_id=world.OWNER_APP,
                    client_secret=world.SECRET)
    result = run(play([probe('graph'), probe('arm', action='arm', subscription_id=world.SUB)], defaults),
                 verbosity=4, diff=True)
    assert result.rc == 0, result
    graph = result.result('graph')
    assert graph['auth_method'] == 'client_secret' and graph['count'] == world.ANC_COUNT
    assert graph['azure_mgmt_imported'] == []  # Graph-only work never loads an azure.mgmt package
    assert graph['diff'] == {'before': {}, 'after': {'count': world.ANC_COUNT}}
    arm = result.result('arm')
    assert arm['count'] == 3 and arm['azure_mgmt_imported'] == []  # ARM reads are plain REST
    assert world.SECRET not in result.stdout + result.stderr


def test_environment_only_both_families(sb, run):
    env = {'AZURE_TENANT': world.PUBLIC_TENANT, 'AZURE_CLIENT_ID': world.OWNER_APP, 'AZURE_SECRET': world.SECRET,
           'AZURE_SUBSCRIPTION_ID': world.SUB, 'REQUESTS_CA_BUNDLE': sb.ca_bundle,
           'AZURE_AUTHORITY_HOST': sb.url}
    result = run(play([probe('env', action='arm', graph_endpoint=sb.url, arm_endpoint=sb.url)]), env=env,
                 verbosity=4)
    assert result.rc == 0, result
    r = result.result('env')
    assert r['auth_method'] == 'client_secret' and r['count'] == 3
    assert r['subscription_id'] == world.SUB and r['ca_bundle'] == sb.ca_bundle
    assert world.SECRET not in result.stdout + result.stderr


def test_task_username_password_beats_awx_secret_in_env(sb, run):
    env = {'AZURE_TENANT': world.PUBLIC_TENANT, 'AZURE_CLIENT_ID': world.OWNER_APP, 'AZURE_SECRET': world.SECRET}
    result = run(play([probe('delegated', username=world.USER, password=world.USER_PASSWORD, **endpoints(sb))]),
                 env=env, verbosity=4)
    assert result.rc == 0, result
    assert result.result('delegated')['auth_method'] == 'username_password'
    tokens = [r for r in sb.requests() if r['service'] == 'entra' and r['method'] == 'POST']
    assert [t['principal_kind'] for t in tokens] == ['user']
    assert world.USER_PASSWORD not in result.stdout + result.stderr


def test_bad_input_fails_before_any_request(sb, run):
    result = run(play([
        probe('missing secret', ignore_errors=True, auth_method='client_secret', tenant_id=world.PUBLIC_TENANT,
              client_id=world.OWNER_APP, **endpoints(sb)),
        probe('dod', ignore_errors=True, cloud='dod', **endpoints(sb)),
        probe('http endpoint', ignore_errors=True, graph_endpoint='http://127.0.0.1:1', tenant_id=world.PUBLIC_TENANT,
              client_id=world.OWNER_APP, client_secret=world.SECRET),
    ]))
    missing = result.result('missing secret')
    assert [result.entry(t)['status'] for t in ('missing secret', 'dod', 'http endpoint')] == ['ignored'] * 3  # failed, with ignore_errors
    assert 'client_secret (env AZURE_CLIENT_SECRET or AZURE_SECRET)' in missing['msg']
    assert missing['error']['option'] == 'auth_method'
    assert 'not available' in result.result('dod')['msg']
    assert result.result('http endpoint')['msg'].startswith('graph_endpoint: must be an https:// URL')
    assert sb.requests() == []


def test_service_error_and_retry_bound_reach_the_task_result(sb, run):
    sb.fault({'method': 'GET', 'path': r'/onPremisesConnections$', 'status': 429, 'retry_after': 1,
              'service': 'graph'})
    result = run(play([
        probe('forbidden', ignore_errors=True, action='arm', subscription_id=world.SUB, client_id=world.READER_APP),
        probe('throttled', ignore_errors=True, api_retries=1, api_retry_max_wait=30),
    ], dict(endpoints(sb), tenant_id=world.PUBLIC_TENANT, client_id=world.OWNER_APP, client_secret=world.SECRET)))
    forbidden = result.result('forbidden')
    assert forbidden['msg'].startswith('probe arm: HTTP 403 AuthorizationFailed: ')
    assert 'request id %s' % forbidden['error']['request_id'] in forbidden['msg']
    assert forbidden['error']['status'] == 403 and forbidden['auth_method'] == 'client_secret'
    throttled = result.result('throttled')
    assert throttled['msg'].startswith('probe graph: HTTP 429 TooManyRequests')
    assert 'gave up after 2 attempts' in throttled['msg']
    graph_gets = [r for r in sb.requests() if r['service'] == 'graph']
    assert [r['status'] for r in graph_gets] == [429, 429]


def test_cloud_from_azure_cloud_environment(sb, run):
    env = {'AZURE_CLOUD_ENVIRONMENT': 'AzureUSGovernment'}
    result = run(play([probe('high', client_id=world.HIGH_APP, client_secret=world.SECRET,
                             tenant_id=world.HIGH_TENANT, **endpoints(sb))]), env=env)
    assert result.rc == 0, result
    assert result.result('high')['cloud'] == 'gcc_high'
    assert [r['body']['scope'] for r in sb.requests() if r['service'] == 'entra' and r['method'] == 'POST'] == \
        ['https://graph.microsoft.us/.default']


MODULE_ARGS = {
    'w365.cloudpc.w365_anc': {'name': 'anc-x'},
    'w365.cloudpc.w365_anc_info': {},
    'w365.cloudpc.w365_custom_image': {'name': 'img', 'version': '1.0.0',
                                       'source_image_id': '/subscriptions/%s/resourceGroups/rg/providers/'
                                                          'Microsoft.Compute/images/i' % world.SUB},
    'w365.cloudpc.w365_custom_image_info': {},
    'w365.cloudpc.w365_provisioning_policy': {'name': 'pol-x'},
    'w365.cloudpc.w365_provisioning_policy_info': {},
    'w365.cloudpc.w365_preflight': {'subscription_id': world.SUB, 'resource_group': 'rg-core',
                                    'virtual_network': 'vnet-core', 'subnet': 'cloudpcs'},
    'w365.cloudpc.w365_role_grant': {'purpose': 'custom_image', 'subscription_id': world.SUB},
    'w365.cloudpc.w365_role_grant_info': {'purpose': 'custom_image', 'subscription_id': world.SUB},
}


def test_every_module_fails_cleanly_on_refused_sign_in_inputs(sb, run):
    """No traceback for a malformed tenant_id (every module) or a wrong certificate password (the two modules that
    built their clients outside the error handling); the option is named, the password never shown."""
    password = 'Wrong-Cert-Pw-never-printed'
    tasks = []
    for module, args in MODULE_ARGS.items():
        tasks.append({'name': 'tenant ' + module, module: dict(args, tenant_id='contoso tenant!', **endpoints(sb)),
                      'ignore_errors': True})
        tasks.append({'name': 'cert ' + module, 'ignore_errors': True,
                      module: dict(args, tenant_id=world.PUBLIC_TENANT, client_id=world.CERT_APP,
                                   client_certificate_path=str(sb.encrypted_cert_file),
                                   client_certificate_password=password, **endpoints(sb))})
    result = run([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], verbosity=3)
    for module in MODULE_ARGS:
        for kind, option in (('tenant', 'tenant_id'), ('cert', 'client_certificate_password')):
            out = result.result('%s %s' % (kind, module))
            assert result.entry('%s %s' % (kind, module))['status'] == 'ignored', (module, out)
            assert out.get('option') == option and 'contoso tenant!' not in out['msg'], (module, out)
            assert out['error']['type'] == 'W365ConfigError' and 'MODULE FAILURE' not in out['msg'], (module, out)
    # ansible-core may attach the failing call stack at -vvv; the library's own error must not be in it.
    assert 'ValueError' not in result.stdout + result.stderr and 'TypeError' not in result.stdout + result.stderr
    assert password not in result.stdout + result.stderr
    assert sb.requests() == []
