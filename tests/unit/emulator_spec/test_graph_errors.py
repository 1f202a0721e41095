# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Graph error responses: each status the emulator uses is an ODataError with a matching request id."""

from __future__ import annotations

import uuid

from .checks import graph_error, graph_ok
from .sandbox import ARM_SCOPE, RG_B_ID, SUB_B, TENANT_A, TENANT_B, VE, VNET_B_ID

ANCS = f'{VE}/onPremisesConnections'
IMAGES = f'{VE}/deviceImages'
POLICIES = f'{VE}/provisioningPolicies'


def test_400_bad_input(api):
    body = {'displayName': 'verify-bad', 'connectionType': 'notAJoinType'}
    graph_error(api.graph('POST', ANCS, body=body), 'post', 400)
    graph_error(api.graph('POST', IMAGES, body={'displayName': 'x'}), 'post', 400)
    graph_error(api.graph('POST', POLICIES, body={'description': 'no name'}), 'post', 400)


def test_401_without_a_token(api):
    reply = api.call('GET', f'/v1.0/{ANCS}')
    graph_error(reply, 'get', 401)


def test_401_with_an_arm_token(api):
    token = api.token(TENANT_A, ARM_SCOPE)
    graph_error(api.graph('GET', ANCS, token=token), 'get', 401, code='InvalidAuthenticationToken')


def test_403_app_only_anc_write_when_forbidden(api):
    body = {'displayName': 'verify-forbidden', 'connectionType': 'azureADJoin', 'subscriptionId': SUB_B,
            'resourceGroupId': RG_B_ID, 'virtualNetworkId': VNET_B_ID, 'subnetId': f'{VNET_B_ID}/subnets/cloudpcs'}
    reply = api.graph('POST', ANCS, tenant=TENANT_B, principal='app', body=body)
    graph_error(reply, 'post', 403)
    # Reads stay allowed app-only (CloudPC.Read.All).
    graph_ok(api.graph('GET', ANCS, tenant=TENANT_B, principal='app'), 'get', 200)


def test_404_for_each_collection(api):
    missing = str(uuid.uuid4())
    for collection in (ANCS, IMAGES, POLICIES):
        graph_error(api.graph('GET', f'{collection}/{missing}'), 'get', 404)
    graph_error(api.graph('PATCH', f'{ANCS}/{missing}', body={'displayName': 'x'}), 'patch', 404)
    graph_error(api.graph('POST', f'{ANCS}/{missing}/runHealthChecks'), 'post', 404,
                path=f'/v1.0/{ANCS}/{missing}/microsoft.graph.runHealthChecks')


def test_409_patch_while_checks_run(api):
    from .sandbox import RG_ID, SUB_A, VNET_ID
    body = {'displayName': 'verify-busy-patch', 'connectionType': 'azureADJoin', 'subscriptionId': SUB_A,
            'resourceGroupId': RG_ID, 'virtualNetworkId': VNET_ID, 'subnetId': f'{VNET_ID}/subnets/cloudpcs'}
    anc = graph_ok(api.graph('POST', ANCS, body=body), 'post', 201, request_body=body)
    reply = api.graph('PATCH', f'{ANCS}/{anc["id"]}', body={'displayName': 'verify-busy-patch-2'})
    graph_error(reply, 'patch', 409)


def test_patch_join_type_is_refused(api):
    from .sandbox import RG_ID, SUB_A, VNET_ID
    body = {'displayName': 'verify-jointype', 'connectionType': 'azureADJoin', 'subscriptionId': SUB_A,
            'resourceGroupId': RG_ID, 'virtualNetworkId': VNET_ID, 'subnetId': f'{VNET_ID}/subnets/cloudpcs'}
    anc = graph_ok(api.graph('POST', ANCS, body=body), 'post', 201, request_body=body)
    reply = api.graph('PATCH', f'{ANCS}/{anc["id"]}', body={'connectionType': 'hybridAzureADJoin'})
    assert 400 <= reply.status < 500, reply
    graph_error(reply, 'patch', reply.status)


def test_405_method_not_allowed(api):
    graph_error(api.graph('PUT', ANCS, body={}), 'post', 405, path=f'/v1.0/{ANCS}')
    graph_error(api.graph('DELETE', f'{IMAGES}/getSourceImages'), 'get', 405, path=f'/v1.0/{IMAGES}/getSourceImages')


def test_403_without_cloudpc_permissions(api):
    from .sandbox import NO_RIGHTS_APP
    reply = api.graph('GET', ANCS, principal='app', app=NO_RIGHTS_APP)
    graph_error(reply, 'get', 403)
