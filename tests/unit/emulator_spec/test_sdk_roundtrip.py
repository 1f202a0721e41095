# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real Azure SDK clients round-trip against the emulator over TLS.

This is also where shapes the spec subset does not describe are checked: virtual network usages, the caller's
permissions and Microsoft.Compute images are deserialized by the shipped SDK models and the fields the collection
reads must come out populated (a wrong wire name deserializes silently to None, so each field is asserted).
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from . import specs
from .sandbox import (
    ARM_SCOPE, GOOD_IMAGE_ID, GRAPH_SCOPE, OWNER_APP, RG, RG_ID, ROLE_NETWORK_USER, ROLE_READER, SETTLE, SUB_A, SUBNET_ID,
    TENANT_A, VE, VNET, VNET_ID, W365_SP_A,
)

WINDOWS365_APP_ID = '0af06dc6-e4b5-4f28-818e-e78e62d137a5'


@pytest.fixture(scope='module')
def sdk(emulator):
    with pytest.MonkeyPatch.context() as mp:
        # The machine may point REQUESTS_CA_BUNDLE at the system bundle; azure-core's transport honours it.
        mp.setenv('REQUESTS_CA_BUNDLE', emulator.ca_bundle)
        mp.delenv('AZURE_REGIONAL_AUTHORITY_NAME', raising=False)
        from azure.identity import ClientSecretCredential
        credential = ClientSecretCredential(
            TENANT_A['id'], OWNER_APP['client_id'], OWNER_APP['secret'], authority=emulator.url,
            disable_instance_discovery=True, connection_verify=emulator.ca_bundle,
        )
        arm_kwargs = {'base_url': emulator.url, 'credential_scopes': [ARM_SCOPE], 'connection_verify': emulator.ca_bundle}
        yield SimpleNamespace(url=emulator.url, ca=emulator.ca_bundle, credential=credential, arm_kwargs=arm_kwargs)
        credential.close()


def test_credential_gets_both_audiences(sdk):
    import time
    for scope in (GRAPH_SCOPE, ARM_SCOPE):
        token = sdk.credential.get_token(scope)
        assert token.token.count('.') == 2
        assert token.expires_on > time.time() + 60


def test_network_client(sdk):
    from azure.mgmt.network import NetworkManagementClient
    with NetworkManagementClient(sdk.credential, SUB_A, **sdk.arm_kwargs) as net:
        vnet = net.virtual_networks.get(RG, VNET)
        assert vnet.id.lower() == VNET_ID.lower() and vnet.location == 'westeurope'
        assert vnet.address_space.address_prefixes == ['10.20.0.0/16']
        assert vnet.dhcp_options.dns_servers == ['10.20.0.4']
        assert [v.name for v in net.virtual_networks.list(RG)] == [VNET]
        subnet = net.subnets.get(RG, VNET, 'cloudpcs')
        assert (subnet.address_prefix or subnet.address_prefixes[0]) == '10.20.1.0/24'
        assert {s.name for s in net.subnets.list(RG, VNET)} == {'cloudpcs', 'busy', 'aci'}
        # No usages operation in the spec subset: the SDK model is the reference for this shape.
        usages = {u.id.lower(): u for u in net.virtual_networks.list_usage(RG, VNET)}
        usage = usages[SUBNET_ID.lower()]
        assert usage.name.value and usage.unit == 'Count'
        assert usage.limit == 251 and usage.current_value == 10


def test_authorization_client(sdk):
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
    scope = f'/subscriptions/{SUB_A}'
    with AuthorizationManagementClient(sdk.credential, SUB_A, **sdk.arm_kwargs) as auth:
        readers = list(auth.role_definitions.list(scope, filter="roleName eq 'Reader'"))
        assert [r.role_name for r in readers] == ['Reader'] and readers[0].name == ROLE_READER
        assert readers[0].permissions[0].actions == ['*/read']
        got = auth.role_definitions.get(scope, ROLE_NETWORK_USER)
        assert got.role_name == 'Windows 365 Network User' and got.role_type == 'BuiltInRole'
        flt = f"atScope() and assignedTo('{W365_SP_A}')"
        mine = list(auth.role_assignments.list_for_scope(VNET_ID, filter=flt))
        assert any(a.scope.lower() == VNET_ID.lower() and a.role_definition_id.endswith(ROLE_NETWORK_USER) for a in mine)
        name = str(uuid.uuid4())
        params = RoleAssignmentCreateParameters(role_definition_id=f'{scope}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_READER}',
                                                principal_id=W365_SP_A, principal_type='ServicePrincipal')
        created = auth.role_assignments.create(RG_ID, name, params)
        assert created.name == name and created.principal_id == W365_SP_A and created.scope.lower() == RG_ID.lower()
        with pytest.raises(HttpResponseError) as info:
            auth.role_assignments.create(RG_ID, str(uuid.uuid4()), params)
        assert info.value.status_code == 409 and info.value.error.code == 'RoleAssignmentExists'
        assert auth.role_assignments.get(RG_ID, name).id == created.id
        auth.role_assignments.delete(RG_ID, name)
        assert name not in {a.name for a in auth.role_assignments.list_for_scope(RG_ID, filter='atScope()')}
        # No permissions operation in the spec subset: checked through the SDK's Permission model.
        perms = list(auth.permissions.list_for_resource_group(RG))
        assert perms and perms[0].actions == ['*'] and perms[0].not_actions == []


def test_resource_client(sdk):
    from azure.mgmt.resource.resources import ResourceManagementClient
    with ResourceManagementClient(sdk.credential, SUB_A, **sdk.arm_kwargs) as res:
        rg = res.resource_groups.get(RG)
        assert rg.location == 'westeurope' and rg.properties.provisioning_state == 'Succeeded'
        assert {'rg-verify', 'rg-empty'} <= {g.name for g in res.resource_groups.list()}
        made = res.resource_groups.create_or_update('rg-verify-sdk', {'location': 'northeurope', 'tags': {'a': 'b'}})
        assert made.id.lower() == f'/subscriptions/{SUB_A}/resourcegroups/rg-verify-sdk' and made.tags == {'a': 'b'}
        # No Microsoft.Compute document here and no compute SDK installed: the generic resource model is the
        # reference; the properties the image checks read are asserted by wire name. 2024-03-01 is the
        # Microsoft.Compute version the collection reads images with.
        image = res.resources.get_by_id(GOOD_IMAGE_ID, api_version='2024-03-01')
        assert image.type == 'Microsoft.Compute/images' and image.location == 'westeurope'
        os_disk = image.properties['storageProfile']['osDisk']
        assert os_disk['osType'] == 'Windows' and os_disk['osState'] == 'Generalized'
        assert image.properties['hyperVGeneration'] == 'V2'


def _graph_client(sdk):
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy, HeadersPolicy, RetryPolicy
    policies = [HeadersPolicy({'Accept': 'application/json'}), RetryPolicy(retry_total=2),
                BearerTokenCredentialPolicy(sdk.credential, GRAPH_SCOPE)]
    return PipelineClient(base_url=sdk.url, policies=policies, connection_verify=sdk.ca)


def test_graph_pipeline_client(sdk, api):
    from azure.core.rest import HttpRequest
    with _graph_client(sdk) as client:
        url = client.format_url(f'/v1.0/{VE}/onPremisesConnections')
        body = {'displayName': 'verify-sdk-anc', 'connectionType': 'azureADJoin', 'subscriptionId': SUB_A,
                'resourceGroupId': RG_ID, 'virtualNetworkId': VNET_ID, 'subnetId': SUBNET_ID}
        created = client.send_request(HttpRequest('POST', url, json=body))
        assert created.status_code == 201, created.text()
        specs.validate_graph(url, 'post', 201, created.json())
        listed = client.send_request(HttpRequest('GET', url, params={'$select': 'id,displayName,inUse'}))
        assert listed.status_code == 200
        specs.validate_graph(url, 'get', 200, listed.json())
        assert created.json()['id'] in {a['id'] for a in listed.json()['value']}
        api.advance(SETTLE)  # no delete while the automatic health checks run
        deleted = client.send_request(HttpRequest('DELETE', f'{url}/{created.json()["id"]}'))
        assert deleted.status_code == 204


def test_graph_service_principal_lookup(sdk):
    """No servicePrincipal in the spec subset: checked against the documented directory-object shape."""
    from azure.core.rest import HttpRequest
    with _graph_client(sdk) as client:
        by_key = client.send_request(HttpRequest('GET', client.format_url(f"/v1.0/servicePrincipals(appId='{WINDOWS365_APP_ID}')")))
        assert by_key.status_code == 200, by_key.text()
        assert by_key.json()['id'] == W365_SP_A and by_key.json()['appId'] == WINDOWS365_APP_ID
        listed = client.send_request(HttpRequest('GET', client.format_url('/v1.0/servicePrincipals'),
                                                 params={'$filter': f"appId eq '{WINDOWS365_APP_ID}'"}))
        assert listed.status_code == 200
        assert [sp['id'] for sp in listed.json()['value']] == [W365_SP_A]


def test_sdk_api_versions_are_the_documented_ones(sdk, api):
    """The responses checked above are only evidence if the SDKs speak the api-versions those documents describe."""
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    assert api.call('DELETE', '/_emulator/requests').status == 204
    with NetworkManagementClient(sdk.credential, SUB_A, **sdk.arm_kwargs) as net:
        net.subnets.get(RG, VNET, 'cloudpcs')
        list(net.virtual_networks.list(RG))
    with AuthorizationManagementClient(sdk.credential, SUB_A, **sdk.arm_kwargs) as auth:
        list(auth.role_assignments.list_for_scope(RG_ID, filter='atScope()'))
        list(auth.role_definitions.list(RG_ID, filter="roleName eq 'Reader'"))
    with ResourceManagementClient(sdk.credential, SUB_A, **sdk.arm_kwargs) as res:
        res.resource_groups.get(RG)
    log = api.call('GET', '/_emulator/requests').body['requests']
    expected = {
        '/providers/microsoft.network/': specs.arm_api_version('network', 'Subnets_Get'),
        '/providers/microsoft.authorization/': specs.arm_api_version('authorization', 'RoleAssignments_ListForScope'),
        '/resourcegroups/': specs.arm_api_version('resources', 'ResourceGroups_Get'),
    }
    seen = set()
    for entry in log:
        path = entry['path'].lower()
        marker = next((m for m in expected if m in path), None)
        if marker is None:
            continue
        seen.add(marker)
        assert entry['query'].get('api-version') == expected[marker], entry
    assert seen == set(expected)


def test_wrong_secret_surfaces_as_entra_error(sdk):
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import ClientSecretCredential
    wrong = 'not-the-verifier-secret'
    credential = ClientSecretCredential(TENANT_A['id'], OWNER_APP['client_id'], wrong, authority=sdk.url,
                                        disable_instance_discovery=True, connection_verify=sdk.ca)
    with pytest.raises(ClientAuthenticationError) as info:
        credential.get_token(ARM_SCOPE)
    text = str(info.value)
    assert 'AADSTS7000215' in text
    assert wrong not in text and OWNER_APP['secret'] not in text
