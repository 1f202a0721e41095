# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ARM responses (raw HTTP), checked against the Swagger documents the SDKs are generated from."""

from __future__ import annotations

import uuid

import pytest

from . import specs
from .checks import arm_error, arm_ok
from .sandbox import (
    APP_B, GRAPH_SCOPE, READER_APP, RG, RG_B_ID, RG_ID, ROLE_NETWORK_USER, ROLE_READER, SUB_A, SUB_B, TENANT_A,
    TENANT_B, VNET, VNET_ID, W365_SP_A, W365_SP_B,
)

V_NET = '2026-03-01'
V_AUTH = '2022-04-01'
V_RG = '2025-04-01'
V_SUB = '2022-12-01'
RA = 'providers/Microsoft.Authorization/roleAssignments'
RD = 'providers/Microsoft.Authorization/roleDefinitions'


def test_api_versions_are_the_documents_own():
    assert V_NET == specs.arm_api_version('network', 'Subnets_Get')
    assert V_AUTH == specs.arm_api_version('authorization', 'RoleAssignments_Create')
    assert V_RG == specs.arm_api_version('resources', 'ResourceGroups_Get')
    assert V_SUB == specs.arm_api_version('resources', 'Subscriptions_Get')


# ------------------------------------------------------------------------------------- resources

def test_subscription_get(api):
    sub = arm_ok(api.arm('GET', f'/subscriptions/{SUB_A}', V_SUB), 'resources', 'Subscriptions_Get', 200)
    assert sub['subscriptionId'] == SUB_A and sub['tenantId'] == TENANT_A['id'] and sub['state'] == 'Enabled'
    assert sub['displayName'] == TENANT_A['subscriptions'][0]['name']


def test_subscription_of_another_tenant_is_refused(api):
    reply = api.arm('GET', f'/subscriptions/{SUB_B}', V_SUB)
    arm_error(reply, 'resources', 'Subscriptions_Get', 401, code='InvalidAuthenticationTokenTenant')


def test_resource_group_get_list_create(api):
    rg = arm_ok(api.arm('GET', f'/subscriptions/{SUB_A}/resourcegroups/{RG}', V_RG), 'resources', 'ResourceGroups_Get', 200)
    assert rg['id'].lower() == RG_ID.lower() and rg['location'] == 'westeurope'
    assert rg['properties']['provisioningState'] == 'Succeeded'
    listed = arm_ok(api.arm('GET', f'/subscriptions/{SUB_A}/resourcegroups', V_RG), 'resources', 'ResourceGroups_List', 200)
    assert {'rg-verify', 'rg-empty'} <= {g['name'] for g in listed['value']}
    body = {'location': 'westeurope', 'tags': {'purpose': 'verifier'}}
    path = f'/subscriptions/{SUB_A}/resourcegroups/rg-verify-new'
    created = arm_ok(api.arm('PUT', path, V_RG, body=body), 'resources', 'ResourceGroups_CreateOrUpdate', 201, request_body=body)
    assert created['tags'] == {'purpose': 'verifier'}
    again = arm_ok(api.arm('PUT', path, V_RG, body=body), 'resources', 'ResourceGroups_CreateOrUpdate', 200, request_body=body)
    assert again['id'] == created['id']


def test_resource_group_not_found(api):
    reply = api.arm('GET', f'/subscriptions/{SUB_A}/resourcegroups/rg-missing', V_RG)
    arm_error(reply, 'resources', 'ResourceGroups_Get', 404, code='ResourceGroupNotFound')


# --------------------------------------------------------------------------------------- network

def test_vnet_get_and_list(api):
    vnet = arm_ok(api.arm('GET', VNET_ID, V_NET), 'network', 'VirtualNetworks_Get', 200)
    assert vnet['properties']['addressSpace']['addressPrefixes'] == ['10.20.0.0/16']
    assert vnet['properties']['dhcpOptions']['dnsServers'] == ['10.20.0.4']
    assert vnet['tags'] == {'purpose': 'verifier'}
    assert {s['name'] for s in vnet['properties']['subnets']} == {'cloudpcs', 'busy', 'aci'}
    listed = arm_ok(api.arm('GET', f'{RG_ID}/providers/Microsoft.Network/virtualNetworks', V_NET),
                    'network', 'VirtualNetworks_List', 200)
    assert [v['name'] for v in listed['value']] == [VNET]


def test_subnet_get_and_list(api):
    subnet = arm_ok(api.arm('GET', f'{VNET_ID}/subnets/cloudpcs', V_NET), 'network', 'Subnets_Get', 200)
    prefixes = [subnet['properties'].get('addressPrefix')] + subnet['properties'].get('addressPrefixes', [])
    assert '10.20.1.0/24' in prefixes
    delegated = arm_ok(api.arm('GET', f'{VNET_ID}/subnets/aci', V_NET), 'network', 'Subnets_Get', 200)
    services = [d['properties']['serviceName'] for d in delegated['properties']['delegations']]
    assert services == ['Microsoft.ContainerInstance/containerGroups']
    listed = arm_ok(api.arm('GET', f'{VNET_ID}/subnets', V_NET), 'network', 'Subnets_List', 200)
    assert {s['name'] for s in listed['value']} == {'cloudpcs', 'busy', 'aci'}


def test_network_not_found(api):
    arm_error(api.arm('GET', f'{RG_ID}/providers/Microsoft.Network/virtualNetworks/nope', V_NET),
              'network', 'VirtualNetworks_Get', 404)
    arm_error(api.arm('GET', f'{VNET_ID}/subnets/nope', V_NET), 'network', 'Subnets_Get', 404)


# --------------------------------------------------------------------------------- authorization

def test_role_definition_get_and_list(api):
    scope = f'/subscriptions/{SUB_A}'
    got = arm_ok(api.arm('GET', f'{scope}/{RD}/{ROLE_READER}', V_AUTH), 'authorization', 'RoleDefinitions_Get', 200)
    assert got['properties']['roleName'] == 'Reader' and got['name'] == ROLE_READER
    listed = arm_ok(api.arm('GET', f'{scope}/{RD}', V_AUTH, params={'$filter': "roleName eq 'Windows 365 Network User'"}),
                    'authorization', 'RoleDefinitions_List', 200)
    assert [d['name'] for d in listed['value']] == [ROLE_NETWORK_USER]
    everything = arm_ok(api.arm('GET', f'{scope}/{RD}', V_AUTH), 'authorization', 'RoleDefinitions_List', 200)
    assert len(everything['value']) >= 5


def test_role_assignment_lists(api):
    scope = VNET_ID
    flt = f"atScope() and assignedTo('{W365_SP_A}')"
    listed = arm_ok(api.arm('GET', f'{scope}/{RA}', V_AUTH, params={'$filter': flt}),
                    'authorization', 'RoleAssignments_ListForScope', 200)
    roles = {a['properties']['roleDefinitionId'].rsplit('/', 1)[1] for a in listed['value']}
    # atScope() includes assignments inherited from parents (Reader on the subscription).
    assert {ROLE_NETWORK_USER, ROLE_READER} <= roles
    by_principal = arm_ok(api.arm('GET', f'{scope}/{RA}', V_AUTH, params={'$filter': f"principalId eq '{W365_SP_A}'"}),
                          'authorization', 'RoleAssignments_ListForScope', 200)
    assert {a['properties']['principalId'] for a in by_principal['value']} == {W365_SP_A}


def _assignment_body(role, principal):
    return {'properties': {'roleDefinitionId': f'/subscriptions/{SUB_A}/{RD}/{role}', 'principalId': principal,
                           'principalType': 'ServicePrincipal'}}


def test_role_assignment_create_get_duplicate_delete(api):
    scope = RG_ID
    name = str(uuid.uuid4())
    body = _assignment_body(ROLE_NETWORK_USER, W365_SP_A)
    created = arm_ok(api.arm('PUT', f'{scope}/{RA}/{name}', V_AUTH, body=body), 'authorization', 'RoleAssignments_Create',
                     201, request_body=body)
    assert created['name'] == name and created['properties']['scope'].lower() == scope.lower()
    got = arm_ok(api.arm('GET', f'{scope}/{RA}/{name}', V_AUTH), 'authorization', 'RoleAssignments_Get', 200)
    assert got['properties']['principalId'] == W365_SP_A
    duplicate = api.arm('PUT', f'{scope}/{RA}/{uuid.uuid4()}', V_AUTH, body=body)
    arm_error(duplicate, 'authorization', 'RoleAssignments_Create', 409, code='RoleAssignmentExists')
    deleted = api.arm('DELETE', f'{scope}/{RA}/{name}', V_AUTH)
    assert deleted.status in (200, 204), deleted
    arm_ok(deleted, 'authorization', 'RoleAssignments_Delete', deleted.status)
    arm_error(api.arm('GET', f'{scope}/{RA}/{name}', V_AUTH), 'authorization', 'RoleAssignments_Get', 404)


def test_role_assignment_principal_not_found(api):
    body = {'properties': {'roleDefinitionId': f'/subscriptions/{SUB_B}/{RD}/{ROLE_READER}', 'principalId': W365_SP_B,
                           'principalType': 'ServicePrincipal'}}
    reply = api.arm('PUT', f'{RG_B_ID}/{RA}/{uuid.uuid4()}', V_AUTH, tenant=TENANT_B, app=APP_B, body=body)
    arm_error(reply, 'authorization', 'RoleAssignments_Create', 400, code='PrincipalNotFound')


def test_role_assignment_authorization_failed(api):
    body = _assignment_body(ROLE_READER, W365_SP_A)
    reply = api.arm('PUT', f'{RG_ID}/{RA}/{uuid.uuid4()}', V_AUTH, app=READER_APP, body=body)
    arm_error(reply, 'authorization', 'RoleAssignments_Create', 403, code='AuthorizationFailed')


# ---------------------------------------------------------------------------------------- errors

def test_missing_api_version(api):
    reply = api.arm('GET', f'/subscriptions/{SUB_A}/resourcegroups/{RG}', None)
    assert reply.status == 400, reply
    arm_error(reply, 'resources', 'ResourceGroups_Get', 400)


def test_401_without_token_and_with_a_graph_token(api):
    reply = api.call('GET', f'/subscriptions/{SUB_A}/resourcegroups/{RG}', params={'api-version': V_RG})
    arm_error(reply, 'resources', 'ResourceGroups_Get', 401)
    token = api.token(TENANT_A, GRAPH_SCOPE)
    reply = api.arm('GET', f'/subscriptions/{SUB_A}/resourcegroups/{RG}', V_RG, token=token)
    arm_error(reply, 'resources', 'ResourceGroups_Get', 401, code='InvalidAuthenticationTokenAudience')


@pytest.mark.parametrize('path, spec_name, operation_id', [
    (f'{VNET_ID}', 'network', 'VirtualNetworks_Get'),
    (f'{RG_ID}/{RA}', 'authorization', 'RoleAssignments_ListForScope'),
])
def test_token_of_another_tenant_is_refused(api, path, spec_name, operation_id):
    reply = api.arm('GET', path, V_NET if spec_name == 'network' else V_AUTH, tenant=TENANT_B, app=APP_B)
    assert reply.status in (401, 403), reply
    arm_error(reply, spec_name, operation_id, reply.status)


def test_resource_group_head_patch_and_conflicts(api):
    path = f'/subscriptions/{SUB_A}/resourcegroups/{RG}'
    arm_ok(api.arm('HEAD', path, V_RG), 'resources', 'ResourceGroups_CheckExistence', 204)
    arm_ok(api.arm('HEAD', f'/subscriptions/{SUB_A}/resourcegroups/rg-missing', V_RG),
           'resources', 'ResourceGroups_CheckExistence', 404)
    patch = {'tags': {'owner': 'verifier'}}
    patched = arm_ok(api.arm('PATCH', f'/subscriptions/{SUB_A}/resourcegroups/rg-empty', V_RG, body=patch),
                     'resources', 'ResourceGroups_Update', 200, request_body=patch)
    assert patched['tags'] == {'owner': 'verifier'}
    moved = {'location': 'eastus'}
    arm_error(api.arm('PUT', path, V_RG, body=moved), 'resources', 'ResourceGroups_CreateOrUpdate', 409)
    arm_error(api.arm('PUT', f'/subscriptions/{SUB_A}/resourcegroups/rg-nolocation', V_RG, body={'tags': {}}),
              'resources', 'ResourceGroups_CreateOrUpdate', 400)


def test_unsupported_method_is_an_arm_error(api):
    reply = api.arm('DELETE', f'/subscriptions/{SUB_A}/resourcegroups/rg-empty', V_RG)
    assert reply.status == 405, reply
    arm_error(reply, 'resources', 'ResourceGroups_Delete', 405)


def test_vnets_in_subscription(api):
    """VirtualNetworks_ListAll is not in the subset; it answers the same VirtualNetworkListResult as List."""
    listed = arm_ok(api.arm('GET', f'/subscriptions/{SUB_A}/providers/Microsoft.Network/virtualNetworks', V_NET),
                    'network', 'VirtualNetworks_List', 200)
    assert VNET_ID.lower() in {v['id'].lower() for v in listed['value']}
    assert len(listed['value']) == 3


def test_403_read_without_a_role(api):
    from .sandbox import NO_RIGHTS_APP
    reply = api.arm('GET', VNET_ID, V_NET, app=NO_RIGHTS_APP)
    arm_error(reply, 'network', 'VirtualNetworks_Get', 403, code='AuthorizationFailed')
