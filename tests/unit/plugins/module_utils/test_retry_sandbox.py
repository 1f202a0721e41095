# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy against faults injected into the sandbox (POST /_emulator/faults)."""
from __future__ import annotations

import random
import time

import core_sandbox as world
import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _arm
from ansible_collections.w365.cloudpc.plugins.module_utils._auth import build_credential
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365ConfigError, W365Error
from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient
from ansible_collections.w365.cloudpc.plugins.module_utils._retry import RetrySettings, backoff_delay

ANCS = 'deviceManagement/virtualEndpoint/onPremisesConnections'
ANCS_RE = r'/onPremisesConnections$'
RA_RE = r'/providers/Microsoft.Authorization/roleAssignments$'
SCOPE = '/subscriptions/' + world.SUB


def clients(sb, retry):
    ep = resolve_endpoints('public', sb.url, sb.url, sb.url)
    credential, dummy = build_credential({'auth_method': 'client_secret', 'tenant_id': world.PUBLIC_TENANT,
                                          'client_id': world.OWNER_APP, 'client_secret': world.SECRET},
                                         ep, sb.ca_bundle, environ={})
    # Fetch the token first so faults on Graph/ARM paths never meet the token request.
    credential.get_token(ep.graph_scope)
    credential.get_token(ep.arm_scope)
    graph = GraphClient(credential, ep, sb.ca_bundle, retry)
    # The one azure-mgmt SDK the collection still uses (role-assignment writes) gets the same policy.
    authorization = _arm.authorization_client(credential, world.SUB, ep, sb.ca_bundle, retry)
    return graph, authorization


def hits(sb, service, path_suffix, method='GET'):
    return [r['status'] for r in sb.requests()
            if r['service'] == service and r['method'] == method and r['path'].endswith(path_suffix)]


def test_graph_429_with_retry_after_then_success(sb):
    graph, dummy = clients(sb, RetrySettings(max_attempts=5, max_total_wait=10))
    sb.fault({'method': 'GET', 'path': ANCS_RE, 'status': 429, 'retry_after': 1, 'count': 2, 'service': 'graph'})
    started = time.monotonic()
    page = graph.get(ANCS)
    elapsed = time.monotonic() - started
    assert len(page['value']) == world.PAGE_SIZE
    assert hits(sb, 'graph', '/onPremisesConnections') == [429, 429, 200]
    assert elapsed >= 2.0  # Retry-After: 1, honoured twice


def test_graph_gives_up_after_attempts_with_clear_error(sb):
    graph, dummy = clients(sb, RetrySettings(max_attempts=3, max_total_wait=30, backoff_factor=0.05))
    sb.fault({'method': 'GET', 'path': ANCS_RE, 'status': 429, 'service': 'graph'})
    with pytest.raises(W365ApiError) as e:
        graph.list(ANCS)
    err = e.value
    assert hits(sb, 'graph', '/onPremisesConnections') == [429, 429, 429]
    assert err.status == 429 and err.code == 'TooManyRequests' and err.request_id
    assert 'gave up after 3 attempts' in str(err) and 'api_retries=2' in str(err)
    assert err.to_dict()['detail'].startswith('gave up after 3 attempts')


def test_graph_gives_up_at_once_when_retry_after_passes_the_wait_bound(sb):
    graph, dummy = clients(sb, RetrySettings(max_attempts=5, max_total_wait=2))
    sb.fault({'method': 'GET', 'path': ANCS_RE, 'status': 503, 'retry_after': 30, 'service': 'graph'})
    started = time.monotonic()
    with pytest.raises(W365ApiError) as e:
        graph.get(ANCS)
    assert time.monotonic() - started < 2
    assert hits(sb, 'graph', '/onPremisesConnections') == [503]
    assert e.value.status == 503
    assert 'waiting 30.0 s more would pass api_retry_max_wait=2 s' in str(e.value)


def test_graph_503_without_retry_after_uses_backoff(sb):
    graph, dummy = clients(sb, RetrySettings(max_attempts=4, max_total_wait=10, backoff_factor=0.05))
    sb.fault({'method': 'GET', 'path': ANCS_RE, 'status': 503, 'count': 2, 'service': 'graph'})
    assert len(graph.get(ANCS)['value']) == world.PAGE_SIZE
    assert hits(sb, 'graph', '/onPremisesConnections') == [503, 503, 200]


def test_post_is_not_repeated_after_500_but_is_after_503(sb):
    graph, dummy = clients(sb, RetrySettings(max_attempts=4, max_total_wait=10, backoff_factor=0.05))
    anc = graph.list(ANCS)[0]
    action = '%s/%s/runHealthChecks' % (ANCS, anc['id'])
    sb.clear_requests()
    sb.fault({'method': 'POST', 'path': r'/runHealthChecks$', 'status': 500, 'count': 1, 'service': 'graph'})
    with pytest.raises(W365ApiError) as e:
        graph.post(action)
    assert e.value.status == 500
    assert hits(sb, 'graph', '/runHealthChecks', 'POST') == [500]
    sb.clear_faults()
    sb.clear_requests()
    sb.fault({'method': 'POST', 'path': r'/runHealthChecks$', 'status': 503, 'count': 1, 'service': 'graph'})
    assert graph.post(action) is None
    assert hits(sb, 'graph', '/runHealthChecks', 'POST') == [503, 204]


def test_dropped_connection_on_get_is_retried(sb):
    graph, dummy = clients(sb, RetrySettings(max_attempts=3, max_total_wait=10, backoff_factor=0.05))
    sb.fault({'method': 'GET', 'path': ANCS_RE, 'drop': True, 'count': 1, 'service': 'graph'})
    assert len(graph.get(ANCS)['value']) == world.PAGE_SIZE
    assert hits(sb, 'graph', '/onPremisesConnections') == [0, 200]


def test_arm_429_then_success_through_sdk(sb):
    dummy, authorization = clients(sb, RetrySettings(max_attempts=4, max_total_wait=10))
    sb.fault({'method': 'GET', 'path': RA_RE, 'status': 429, 'retry_after': 1, 'count': 1, 'service': 'arm'})
    found = _arm.arm_list(authorization.role_assignments.list_for_scope, SCOPE,
                          filter="atScope() and assignedTo('%s')" % world.oid(2))
    assert [a.principal_id for a in found] == [world.oid(2)]
    assert hits(sb, 'arm', '/roleAssignments') == [429, 200]


def test_arm_final_503_is_raised_not_returned(sb):
    """azure-core alone would hand the SDK the last 503; the policy raises W365ApiError with ARM's request id."""
    dummy, authorization = clients(sb, RetrySettings(max_attempts=2, max_total_wait=10, backoff_factor=0.05))
    sb.fault({'method': 'GET', 'path': RA_RE, 'status': 503, 'service': 'arm'})
    with pytest.raises(W365ApiError) as e:
        list(authorization.role_assignments.list_for_scope(SCOPE))  # even without arm_call
    err = e.value
    assert err.service == 'arm' and err.status == 503 and err.request_id
    assert 'gave up after 2 attempts' in str(err)
    assert hits(sb, 'arm', '/roleAssignments') == [503, 503]


def test_zero_retries_means_one_attempt(sb):
    graph, dummy = clients(sb, RetrySettings.from_params({'api_retries': 0, 'api_retry_max_wait': 60}))
    sb.fault({'method': 'GET', 'path': ANCS_RE, 'status': 429, 'retry_after': 1, 'service': 'graph'})
    with pytest.raises(W365ApiError):
        graph.get(ANCS)
    assert hits(sb, 'graph', '/onPremisesConnections') == [429]


def test_backoff_is_jittered_and_bounded():
    settings = RetrySettings(backoff_factor=0.8, max_backoff=30)
    rng = random.Random(7)
    for n in range(1, 10):
        ceiling = min(30, 0.8 * 2 ** (n - 1))
        values = {backoff_delay(settings, n, rng) for dummy in range(50)}
        assert all(ceiling / 2 <= v <= ceiling for v in values)
        assert len(values) > 1


@pytest.mark.parametrize('params,option', [({'api_retries': -1}, 'api_retries'),
                                           ({'api_retry_max_wait': -5}, 'api_retry_max_wait')])
def test_retry_settings_validation(params, option):
    with pytest.raises(W365ConfigError) as e:
        RetrySettings.from_params(params)
    assert e.value.option == option


def test_retry_settings_defaults_are_documented_values():
    s = RetrySettings.from_params({})
    assert (s.max_attempts, s.max_total_wait, s.timeout) == (5, 120.0, 60.0)
    assert RetrySettings() == s  # the defaults are written once (_retry.DEFAULT_*)


@pytest.mark.parametrize('timeout', [0, -1])
def test_api_timeout_must_be_positive(timeout):
    with pytest.raises(W365ConfigError) as e:
        RetrySettings.from_params({'api_timeout': timeout})
    assert e.value.option == 'api_timeout'


# --- through W365Module: the options reach Graph, ARM and the token endpoint --------------------------------------

def module_for(sb, monkeypatch, env=None, **options):
    """An in-process W365Module signed in to the core sandbox (token fetched lazily, so faults can meet it)."""
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module
    for name in ('AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_SECRET', 'W365_API_TIMEOUT'):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    args = dict(tenant_id=world.PUBLIC_TENANT, client_id=world.OWNER_APP, client_secret=world.SECRET,
                authority_host=sb.url, graph_endpoint=sb.url, arm_endpoint=sb.url, ca_bundle=sb.ca_bundle)
    args.update(options)
    with patch_module_args(args):
        return W365Module(argument_spec={})


def test_sign_in_honours_api_retry_max_wait(sb, monkeypatch):
    """A token-endpoint 429 with a long Retry-After fails at once instead of being waited out (azure-identity's own
    retry policy would sleep the full Retry-After, three times)."""
    module = module_for(sb, monkeypatch, api_retry_max_wait=5)
    sb.fault({'method': 'POST', 'path': r'/oauth2/v2\.0/token$', 'status': 429, 'retry_after': 20,
              'service': 'entra'})
    started = time.monotonic()
    with pytest.raises(W365Error) as e:
        module.graph.get(ANCS)
    assert time.monotonic() - started < 5
    assert hits(sb, 'entra', '/token', 'POST') == [429]
    assert 'api_retry_max_wait=5 s' in str(e.value) and world.SECRET not in str(e.value)


def test_sign_in_retries_a_short_retry_after_within_the_bound(sb, monkeypatch):
    module = module_for(sb, monkeypatch, api_retry_max_wait=10)
    sb.fault({'method': 'POST', 'path': r'/oauth2/v2\.0/token$', 'status': 429, 'retry_after': 1, 'count': 1,
              'service': 'entra'})
    assert len(module.graph.get(ANCS)['value']) == world.PAGE_SIZE
    assert hits(sb, 'entra', '/token', 'POST') == [429, 200]


def test_api_timeout_bounds_a_graph_read_and_names_service_method_and_url(sb, monkeypatch):
    module = module_for(sb, monkeypatch, api_timeout=1, api_retries=0)
    module.graph.get(ANCS)  # token first
    sb.fault({'method': 'GET', 'path': ANCS_RE, 'latency_ms': 4000, 'service': 'graph'})
    started = time.monotonic()
    with pytest.raises(W365ApiError) as e:
        module.graph.get(ANCS, params={'$filter': "displayName eq 'code=abc'"})
    assert time.monotonic() - started < 3.5
    err = e.value
    assert err.code == 'Timeout' and err.service == 'graph' and err.method == 'GET'
    assert 'Microsoft Graph' in str(err) and 'within 1 s' in str(err) and 'api_timeout' in str(err)
    assert err.url.endswith('/v1.0/' + ANCS) and 'filter' not in str(err) and 'abc' not in str(err)


def test_api_timeout_from_the_environment_bounds_an_arm_read(sb, monkeypatch):
    module = module_for(sb, monkeypatch, env={'W365_API_TIMEOUT': '1'}, api_retries=0)
    assert module.retry.timeout == 1
    vnet_path = '/subscriptions/%s/resourceGroups/rg-core/providers/Microsoft.Network/virtualNetworks/vnet-core' % (
        world.SUB)
    module.arm.get(vnet_path, '2024-05-01')
    sb.fault({'method': 'GET', 'path': r'/virtualNetworks/vnet-core$', 'latency_ms': 4000, 'service': 'arm'})
    with pytest.raises(W365ApiError) as e:
        module.arm.get(vnet_path, '2024-05-01')
    assert e.value.code == 'Timeout' and 'Azure Resource Manager' in str(e.value)
    assert 'api-version' not in str(e.value)


def test_api_timeout_bounds_the_token_request(sb, monkeypatch):
    module = module_for(sb, monkeypatch, api_timeout=1)
    sb.fault({'method': 'POST', 'path': r'/oauth2/v2\.0/token$', 'latency_ms': 4000, 'service': 'entra'})
    started = time.monotonic()
    with pytest.raises(W365ApiError) as e:
        module.graph.get(ANCS)
    assert time.monotonic() - started < 3.5
    assert e.value.code == 'Timeout' and 'Microsoft Entra ID' in str(e.value) and sb.url in str(e.value)


def test_dropped_post_is_not_repeated_and_says_what_to_do(sb, monkeypatch):
    module = module_for(sb, monkeypatch)
    anc = module.graph.list(ANCS)[0]
    sb.clear_requests()
    sb.fault({'method': 'POST', 'path': r'/runHealthChecks$', 'drop': True, 'count': 1, 'service': 'graph'})
    with pytest.raises(W365ApiError) as e:
        module.graph.post('%s/%s/runHealthChecks' % (ANCS, anc['id']))
    assert hits(sb, 'graph', '/runHealthChecks', 'POST') == [0]
    err = e.value
    assert err.code == 'ConnectionDropped' and err.method == 'POST' and err.url.endswith('/runHealthChecks')
    assert 'may have been applied' in str(err) and 'Microsoft Graph' in str(err)
