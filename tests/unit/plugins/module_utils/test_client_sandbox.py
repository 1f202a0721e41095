# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client layer over real HTTPS against the sandbox: sign-in methods, Graph paging and errors, ARM errors."""
from __future__ import annotations

import core_sandbox as world
import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _arm
from ansible_collections.w365.cloudpc.plugins.module_utils._auth import build_credential
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import API_NETWORK
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365AuthError
from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient, odata_quote
from ansible_collections.w365.cloudpc.plugins.module_utils._retry import RetrySettings
from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import find_windows365_principal

ANCS = 'deviceManagement/virtualEndpoint/onPremisesConnections'
FAST = RetrySettings(max_attempts=3, max_total_wait=5.0, backoff_factor=0.05)


def endpoints(sb, cloud='public'):
    return resolve_endpoints(cloud, sb.url, sb.url, sb.url)


def params(sb, tenant=world.PUBLIC_TENANT, **extra):
    base = {'auth_method': 'auto', 'tenant_id': tenant}
    base.update(extra)
    return base


def graph(sb, cloud='public', retry=FAST, **auth):
    ep = endpoints(sb, cloud)
    credential, method = build_credential(params(sb, **auth), ep, sb.ca_bundle, environ={})
    return GraphClient(credential, ep, sb.ca_bundle, retry), method


def app_graph(sb, retry=FAST):
    return graph(sb, retry=retry, client_id=world.OWNER_APP, client_secret=world.SECRET)[0]


def token_requests(sb):
    return [r for r in sb.requests() if r['service'] == 'entra' and r['method'] == 'POST']


# -- Graph ------------------------------------------------------------------------------------------------------------

def test_list_follows_next_links_across_pages(sb):
    items = app_graph(sb).list(ANCS)
    assert sorted(i['displayName'] for i in items) == sorted(
        'anc-%d%s' % (i, "-o'brien" if i == 3 else '') for i in range(world.ANC_COUNT))
    pages = [r for r in sb.requests() if r['service'] == 'graph' and r['method'] == 'GET']
    # 5 items at 2 per page: 3 pages, each fetched once.
    assert len(pages) == 3


def test_select_and_filter_are_sent_in_odata_form(sb):
    g = app_graph(sb)
    found = g.list(ANCS, params={'$filter': 'displayName eq %s' % odata_quote("anc-3-o'brien"),
                                 '$select': 'id,displayName,inUse'})
    assert [f['displayName'] for f in found] == ["anc-3-o'brien"]
    assert set(found[0]) - {'@odata.type'} <= {'id', 'displayName', 'inUse'} and 'inUse' in found[0]


def test_get_or_none_and_404_error_mapping(sb):
    g = app_graph(sb)
    missing = '00000000-0000-4000-8000-000000000000'
    assert g.get_or_none('%s/%s' % (ANCS, missing)) is None
    with pytest.raises(W365ApiError) as e:
        g.get('%s/%s' % (ANCS, missing))
    err = e.value
    assert err.status == 404 and err.code and err.service == 'graph' and err.method == 'GET'
    assert err.request_id and err.request_id in str(err)
    assert str(err).startswith('HTTP 404 %s: ' % err.code)
    assert err.to_dict()['request_id'] == err.request_id


def test_windows365_principal_lookup(sb):
    assert find_windows365_principal(app_graph(sb)) == world.W365_SP


def test_graph_token_uses_cloud_audience_not_override(sb):
    app_graph(sb).get(ANCS)
    scopes = [r['body'].get('scope') for r in token_requests(sb)]
    assert scopes == ['https://graph.microsoft.com/.default']


def test_gcc_high_tenant_needs_gcc_high_audiences(sb):
    g, dummy = graph(sb, cloud='gcc_high', tenant=world.HIGH_TENANT, client_id=world.HIGH_APP,
                     client_secret=world.SECRET)
    assert g.list(ANCS) == []
    assert [r['body'].get('scope') for r in token_requests(sb)] == ['https://graph.microsoft.us/.default']
    # The same tenant refuses a public-cloud token: the audience table is what makes national clouds work.
    g, dummy = graph(sb, cloud='public', tenant=world.HIGH_TENANT, client_id=world.HIGH_APP,
                     client_secret=world.SECRET)
    with pytest.raises((W365ApiError, W365AuthError)):
        g.list(ANCS)


# -- sign-in methods --------------------------------------------------------------------------------------------------

def test_client_secret(sb):
    g, method = graph(sb, client_id=world.OWNER_APP, client_secret=world.SECRET)
    assert method == 'client_secret'
    assert len(g.list(ANCS)) == world.ANC_COUNT


def test_wrong_secret_is_an_auth_error_with_aadsts_and_no_secret(sb):
    wrong = 'wrong-secret-XYZ-123'
    g, dummy = graph(sb, client_id=world.OWNER_APP, client_secret=wrong)
    with pytest.raises(W365AuthError) as e:
        g.get(ANCS)
    assert 'AADSTS7000215' in str(e.value)
    assert wrong not in str(e.value) and wrong not in repr(e.value.to_dict())
    assert not [r for r in sb.requests() if r['service'] == 'graph']


def test_client_certificate(sb):
    g, method = graph(sb, client_id=world.CERT_APP, client_certificate_path=str(sb.cert_file))
    assert method == 'client_certificate'
    assert len(g.list(ANCS)) == world.ANC_COUNT
    assert token_requests(sb)[0]['body'].get('client_assertion') == '***'


def test_encrypted_client_certificate(sb):
    g, method = graph(sb, client_id=world.CERT_APP, client_certificate_path=str(sb.encrypted_cert_file),
                      client_certificate_password='cert-Pw-1')
    assert len(g.list(ANCS)) == world.ANC_COUNT


def test_encrypted_certificate_wrong_password_fails_offline(sb):
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
    with pytest.raises(W365ConfigError) as e:
        graph(sb, client_id=world.CERT_APP, client_certificate_path=str(sb.encrypted_cert_file),
              client_certificate_password='not-the-password')
    assert e.value.option == 'client_certificate_password' and 'not-the-password' not in str(e.value)
    assert sb.requests() == []


def test_workload_identity(sb):
    token_file = sb.tmp / 'federated-token'
    token_file.write_text(world.federated_token())
    g, method = graph(sb, client_id=world.FED_APP, federated_token_file=str(token_file))
    assert method == 'workload_identity'
    assert len(g.list(ANCS)) == world.ANC_COUNT


def test_workload_identity_wrong_subject_is_auth_error(sb):
    token_file = sb.tmp / 'federated-token-bad'
    token_file.write_text(world.federated_token(subject='repo:someone/else:ref:refs/heads/main'))
    g, dummy = graph(sb, client_id=world.FED_APP, federated_token_file=str(token_file))
    with pytest.raises(W365AuthError) as e:
        g.get(ANCS)
    assert 'AADSTS70021' in str(e.value)


def test_username_password_delegated_against_custom_authority(sb):
    """MSAL's user-realm lookup would go to port 443 of the sandbox host; the layer must skip it."""
    g, method = graph(sb, auth_method='username_password', username=world.USER, password=world.USER_PASSWORD)
    assert method == 'username_password'
    assert len(g.list(ANCS)) == world.ANC_COUNT
    assert not [r for r in sb.requests() if 'userrealm' in r['path']]
    entra = token_requests(sb)
    assert entra[-1]['principal_kind'] == 'user' and entra[-1]['body'].get('password') == '***'


def test_username_password_wrong_password(sb):
    g, dummy = graph(sb, username=world.USER, password='nope-Wrong-1')
    with pytest.raises(W365AuthError) as e:
        g.get(ANCS)
    assert 'AADSTS50126' in str(e.value) and 'nope-Wrong-1' not in str(e.value)


def test_managed_identity_app_service_protocol(sb, monkeypatch):
    monkeypatch.setenv('IDENTITY_ENDPOINT', '%s/_msi/%s/token' % (sb.url, world.PUBLIC_TENANT))
    monkeypatch.setenv('IDENTITY_HEADER', sb.process.identity_header)
    ep = endpoints(sb)
    import os
    credential, method = build_credential({'auth_method': 'auto'}, ep, sb.ca_bundle, environ=dict(os.environ))
    assert method == 'managed_identity'
    assert len(GraphClient(credential, ep, sb.ca_bundle, FAST).list(ANCS)) == world.ANC_COUNT


# -- ARM --------------------------------------------------------------------------------------------------------------

VNET_PATH = '/subscriptions/%s/resourceGroups/rg-core/providers/Microsoft.Network/virtualNetworks/vnet-core' % (
    world.SUB)


def test_arm_rest_reads_and_scopes(sb):
    subnets = arm_rest(sb).list(VNET_PATH + '/subnets', API_NETWORK)
    assert sorted(s['name'] for s in subnets) == ['snet-0', 'snet-1', 'snet-2']
    assert [r['body'].get('scope') for r in token_requests(sb)] == ['https://management.azure.com/.default']


def test_arm_404_is_none_and_other_errors_raise(sb):
    client = arm_rest(sb)
    missing = VNET_PATH.replace('vnet-core', 'no-such-vnet')
    assert client.get_or_none(missing, API_NETWORK) is None
    with pytest.raises(W365ApiError) as e:
        client.get(missing, API_NETWORK)
    assert e.value.status == 404 and e.value.service == 'arm' and e.value.request_id


def test_arm_403_carries_code_and_request_id(sb):
    with pytest.raises(W365ApiError) as e:
        arm_rest(sb, client_id=world.READER_APP).get(VNET_PATH, API_NETWORK)
    err = e.value
    assert err.status == 403 and err.code == 'AuthorizationFailed'
    assert err.request_id and 'request id %s' % err.request_id in str(err)
    assert 'Microsoft.Network/virtualNetworks/read' in err.message


def authorization(sb, client_id=world.OWNER_APP):
    ep = endpoints(sb)
    credential, dummy = build_credential(params(sb, client_id=client_id, client_secret=world.SECRET), ep,
                                         sb.ca_bundle, environ={})
    return _arm.authorization_client(credential, world.SUB, ep, sb.ca_bundle, FAST)


def test_authorization_client_reads_and_its_errors_are_converted(sb):
    """azure-mgmt-authorization, the one SDK left (role-assignment writes), through arm_call / arm_list."""
    found = _arm.arm_list(authorization(sb).role_assignments.list_for_scope, '/subscriptions/' + world.SUB,
                          filter="atScope() and assignedTo('%s')" % world.oid(2))
    assert [a.principal_id for a in found] == [world.oid(2)]
    with pytest.raises(W365ApiError) as e:
        _arm.arm_list(authorization(sb, world.READER_APP).role_assignments.list_for_scope,
                      '/subscriptions/' + world.SUB)
    assert e.value.status == 403 and e.value.code == 'AuthorizationFailed' and e.value.request_id


def arm_rest(sb, client_id=world.OWNER_APP):
    ep = endpoints(sb)
    credential, dummy = build_credential(params(sb, client_id=client_id, client_secret=world.SECRET), ep,
                                         sb.ca_bundle, environ={})
    return _arm.ArmRestClient(credential, ep, sb.ca_bundle, FAST)


def test_arm_rest_client_reads_without_any_mgmt_sdk(sb):
    client = arm_rest(sb)
    sub = '/subscriptions/' + world.SUB
    found = client.list(sub + '/providers/Microsoft.Authorization/roleAssignments', '2022-04-01',
                        params={'$filter': "atScope() and assignedTo('%s')" % world.oid(2)})
    assert [a['properties']['principalId'] for a in found] == [world.oid(2)]
    vnet = client.get(sub + '/resourceGroups/rg-core/providers/Microsoft.Network/virtualNetworks/vnet-core',
                      '2024-05-01')
    assert vnet['name'] == 'vnet-core'
    assert client.get_or_none(sub + '/resourceGroups/rg-core/providers/Microsoft.Network/virtualNetworks/nope',
                              '2024-05-01') is None
    gets = [r for r in sb.requests() if r['service'] == 'arm']
    assert [r['query'].get('api-version') for r in gets] == ['2022-04-01', '2024-05-01', '2024-05-01']
    assert [r['body'].get('scope') for r in token_requests(sb)] == ['https://management.azure.com/.default']


def test_arm_rest_client_errors_carry_status_code_and_request_id(sb):
    client = arm_rest(sb, client_id=world.READER_APP)
    with pytest.raises(W365ApiError) as e:
        client.get('/subscriptions/%s/resourceGroups/rg-core/providers/Microsoft.Network/virtualNetworks/vnet-core'
                   % world.SUB, '2024-05-01')
    err = e.value
    assert err.status == 403 and err.code == 'AuthorizationFailed' and err.service == 'arm'
    assert err.request_id and 'request id %s' % err.request_id in str(err)
    assert world.SECRET not in str(err)
