# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cloud=gcc signs in twice (issue 15): option validation, endpoints, and the unsupported-cloud override."""
from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import resolve_endpoints, resolve_gov_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module

T = '72f988bf-86f1-41af-91ab-2d7cd011db47'
GOV_T = '0c0ffee0-0000-4000-8000-00000000a00a'
C = '11111111-2222-3333-4444-555555555555'
GOV_C = '22222222-3333-4444-5555-666666666666'
SECRET = 'commercial-secret-value-1'
GOV_SECRET = 'gov-secret-value-never-shown-2'
SCRUB = ('AZURE_TENANT_ID', 'AZURE_TENANT', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_SECRET',
         'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_FEDERATED_TOKEN_FILE',
         'AZURE_USERNAME', 'AZURE_AD_USER', 'AZURE_PASSWORD', 'AZURE_CLOUD_ENVIRONMENT', 'AZURE_AUTHORITY_HOST',
         'REQUESTS_CA_BUNDLE', 'IDENTITY_ENDPOINT', 'MSI_ENDPOINT')


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in SCRUB:
        monkeypatch.delenv(name, raising=False)


def run(args, body, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as e:
            module = W365Module(argument_spec={})
            body(module)
    return e.value.code, json.loads(capsys.readouterr().out)


def commercial(**extra):
    return dict(tenant_id=T, client_id=C, client_secret=SECRET, **extra)


def gov(**extra):
    return dict(dict(tenant_id=GOV_T, client_id=GOV_C, client_secret=GOV_SECRET), **extra)


def test_gcc_without_gov_tenant_fails_naming_what_to_add(capsys):
    code, result = run(commercial(cloud='gcc'), lambda m: m.exit(False), capsys)
    assert code == 1
    assert result['option'] == 'gov_auth'
    assert 'gov_auth' in result['msg'] and 'tenant_id' in result['msg'] and 'w365_gov_auth' in result['msg']


def test_gcc_gov_tenant_must_differ_from_commercial(capsys):
    code, result = run(commercial(cloud='gcc', gov_auth=gov(tenant_id=T)), lambda m: m.exit(False), capsys)
    assert code == 1 and result['option'] == 'gov_auth.tenant_id'
    assert SECRET not in json.dumps(result) and GOV_SECRET not in json.dumps(result)


def test_gcc_gov_sign_in_incomplete_names_the_gov_option(capsys):
    code, result = run(commercial(cloud='gcc', gov_auth={'tenant_id': GOV_T, 'auth_method': 'client_secret'}),
                       lambda m: m.exit(False), capsys)
    assert code == 1 and result['option'].startswith('gov_auth.')
    assert 'Azure Government' in result['msg'] and 'client_id' in result['msg']


def test_gcc_gov_sign_in_ignores_the_commercial_environment(capsys, monkeypatch):
    """AZURE_CLIENT_SECRET belongs to the commercial sign-in: it never completes the Government one."""
    monkeypatch.setenv('AZURE_CLIENT_SECRET', 'env-secret-value-3')
    code, result = run(dict(tenant_id=T, client_id=C, cloud='gcc',
                            gov_auth={'tenant_id': GOV_T, 'client_id': GOV_C, 'auth_method': 'client_secret'}),
                       lambda m: m.exit(False), capsys)
    assert code == 1 and result['option'].startswith('gov_auth.')
    assert 'env-secret-value-3' not in json.dumps(result)


def test_gcc_splits_the_sign_ins(capsys):
    seen = {}

    def body(module):
        seen['graph_authority'] = module.endpoints.authority_host
        seen['gov_authority'] = module.gov_endpoints.authority_host
        seen['gov_graph'] = module.gov_endpoints.graph_scope
        seen['arm_scope'] = module.gov_endpoints.arm_scope
        seen['arm_tenant'] = module.arm_tenant_id
        seen['arm_is_gov'] = module.arm_credential is module.gov_credential
        seen['graph_not_gov'] = module.credential is not module.gov_credential
        module.exit(False, echoed='x %s y' % GOV_SECRET)

    code, result = run(commercial(cloud='gcc', gov_auth=gov()), body, capsys)
    assert code == 0, result
    assert seen == {'graph_authority': 'https://login.microsoftonline.com',
                    'gov_authority': 'https://login.microsoftonline.us',
                    'gov_graph': 'https://graph.microsoft.us/.default',
                    'arm_scope': 'https://management.usgovcloudapi.net/.default',
                    'arm_tenant': GOV_T, 'arm_is_gov': True, 'graph_not_gov': True}
    assert GOV_SECRET not in json.dumps(result)


def test_gov_auth_with_another_cloud_warns(capsys):
    from ansible.module_utils.common import warnings as module_warnings
    module_warnings._global_warnings.clear()
    code, result = run(commercial(gov_auth=gov()), lambda m: m.exit(False), capsys)
    text = json.dumps(result)
    assert code == 0 and 'gov_auth is used only with cloud=gcc' in text
    assert GOV_SECRET not in text


def test_gcc_high_is_one_tenant_in_us_government():
    e = resolve_endpoints('gcc_high')
    assert (e.authority_host, e.graph_endpoint) == ('https://login.microsoftonline.us', 'https://graph.microsoft.us')


@pytest.mark.parametrize('cloud', ['dod', 'china'])
def test_unsupported_clouds_refused_with_source_unless_overridden(cloud):
    with pytest.raises(W365ConfigError) as e:
        resolve_endpoints(cloud)
    assert 'learn.microsoft.com' in str(e.value) and 'allow_unsupported_cloud' in str(e.value)
    assert resolve_endpoints(cloud, allow_unsupported=True).cloud == cloud


def test_allow_unsupported_cloud_option(capsys):
    code, result = run(commercial(cloud='dod'), lambda m: m.exit(False), capsys)
    assert code == 1 and result['option'] == 'cloud'
    code, result = run(commercial(cloud='dod', allow_unsupported_cloud=True), lambda m: m.exit(False), capsys)
    assert code == 0, result


def test_gov_endpoint_overrides_are_checked_by_name():
    with pytest.raises(W365ConfigError) as e:
        resolve_gov_endpoints(authority_host='http://login.example')
    assert e.value.option == 'gov_auth.authority_host'
    e = resolve_gov_endpoints(authority_host='https://localhost:8443', graph_endpoint='https://localhost:8443')
    assert e.graph_scope == 'https://graph.microsoft.us/.default' and not e.standard_authority
