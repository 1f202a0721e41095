# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import CLOUDS, cloud_from_name, resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

# The facts sheet §5 table, restated independently of the code.
EXPECTED = {
    'public': ('https://login.microsoftonline.com', 'https://graph.microsoft.com', 'https://management.azure.com'),
    'gcc': ('https://login.microsoftonline.com', 'https://graph.microsoft.com', 'https://management.usgovcloudapi.net'),
    'gcc_high': ('https://login.microsoftonline.us', 'https://graph.microsoft.us',
                 'https://management.usgovcloudapi.net'),
    'dod': ('https://login.microsoftonline.us', 'https://dod-graph.microsoft.us',
            'https://management.usgovcloudapi.net'),
    'china': ('https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn',
              'https://management.chinacloudapi.cn'),
}


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_table(name):
    c = CLOUDS[name]
    assert (c.authority_host, c.graph_endpoint, c.arm_endpoint) == EXPECTED[name]


@pytest.mark.parametrize('name', ['public', 'gcc', 'gcc_high'])
def test_supported_clouds_resolve_with_audience_scopes(name):
    e = resolve_endpoints(name)
    authority, graph, arm = EXPECTED[name]
    assert (e.authority_host, e.graph_endpoint, e.arm_endpoint) == (authority, graph, arm)
    assert e.graph_scope == graph + '/.default'
    assert e.arm_scope == arm + '/.default'
    assert e.standard_authority


@pytest.mark.parametrize('name', ['dod', 'china'])
def test_unsupported_clouds_fail_with_microsofts_reason(name):
    with pytest.raises(W365ConfigError) as e:
        resolve_endpoints(name)
    assert e.value.option == 'cloud'
    assert 'Cloud PC' in str(e.value) and 'not available' in str(e.value)


def test_overrides_change_urls_but_never_scopes():
    e = resolve_endpoints('gcc_high', authority_host='https://127.0.0.1:8443/', graph_endpoint='https://127.0.0.1:8443',
                          arm_endpoint='https://127.0.0.1:8443')
    assert e.authority_host == 'https://127.0.0.1:8443'
    assert e.graph_endpoint == e.arm_endpoint == 'https://127.0.0.1:8443'
    assert e.graph_scope == 'https://graph.microsoft.us/.default'
    assert e.arm_scope == 'https://management.usgovcloudapi.net/.default'
    assert not e.standard_authority


def test_gcc_splits_graph_and_arm_audiences():
    e = resolve_endpoints('gcc')
    assert e.graph_scope == 'https://graph.microsoft.com/.default'
    assert e.arm_scope == 'https://management.usgovcloudapi.net/.default'


@pytest.mark.parametrize('option,value', [('authority_host', 'http://login.example'),
                                          ('graph_endpoint', 'graph.microsoft.com'),
                                          ('arm_endpoint', 'https://x.example/?a=1')])
def test_override_must_be_https(option, value):
    with pytest.raises(W365ConfigError) as e:
        resolve_endpoints('public', **{option: value})
    assert e.value.option == option


@pytest.mark.parametrize('text,name', [('AzureCloud', 'public'), ('AzureUSGovernment', 'gcc_high'),
                                       ('azurechinacloud', 'china'), ('GCC', 'gcc'), ('gcc-high', 'gcc_high'),
                                       (None, 'public'), ('', 'public')])
def test_cloud_names(text, name):
    assert cloud_from_name(text) == name


def test_unknown_cloud():
    with pytest.raises(W365ConfigError) as e:
        cloud_from_name('AzureGermanCloud')
    assert 'AzureGermanCloud' in str(e.value) and 'gcc_high' in str(e.value)
