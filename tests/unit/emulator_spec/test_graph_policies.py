# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning policies (create, read, update, assign, unassign, delete, beta apply), every rule the sandbox enforces
on them, Entra groups and gallery images: answers and request bodies checked against the Graph v1.0 description.

Each refusal is also checked to leave nothing behind (a refused create creates nothing; a refused assign keeps the
old assignments)."""

from __future__ import annotations

import pytest

from .checks import graph_error, graph_ok
from .sandbox import NO_RIGHTS_APP, SETTLE, SUB_A, TENANT_A, VE

POLICIES = f'{VE}/provisioningPolicies'
ANCS = f'{VE}/onPremisesConnections'
GALLERY = f'{VE}/galleryImages'
CLOUD_ANC = '11e36365-605f-4e39-a1e7-b24ab4f28c7c'    # seeded-cloud, azureADJoin, passed
HYBRID_ANC = '7a76b916-0790-4cd1-83f0-43793cc0a117'   # seeded-hybrid, hybridAzureADJoin
READY_IMAGE = '94f8b068-9c7b-428a-8807-fae970d1c92c'  # seeded-image, ready
FAILED_IMAGE = 'c3ecb90e-69c6-4259-ada1-e02d2760226d'  # seeded-image-failed
USERS = '0b6e1f7a-3c1d-4e59-9d3a-6f0e2a1b7c01'        # security group
TEAM = '0b6e1f7a-3c1d-4e59-9d3a-6f0e2a1b7c02'         # Microsoft 365 group
NEWSLETTER = '0b6e1f7a-3c1d-4e59-9d3a-6f0e2a1b7c03'   # distribution list
PLAN = '51855c77-4d2e-4736-be67-6dca605f2b57'         # a service plan id (frontline)
GAL_OK = 'microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc'
GAL_NEAR_END = 'microsoftwindowsdesktop_windows-ent-cpc_win11-23h2-ent-cpc-m365'
GAL_PAST_END = 'microsoftwindowsdesktop_windows-ent-cpc_win11-23h2-ent-cpc'
GAL_EXPIRED = 'microsoftwindowsdesktop_windows-ent-cpc_win10-22h2-ent-cpc-m365'
TARGET = 'microsoft.graph.cloudPcManagementGroupAssignmentTarget'


def _policy(name, **over):
    body = {'displayName': name, 'description': 'psand', 'imageType': 'custom', 'imageId': READY_IMAGE,
            'provisioningType': 'dedicated', 'enableSingleSignOn': True, 'cloudPcNamingTemplate': 'CPC-%USERNAME:4%-%RAND:5%',
            'windowsSetting': {'locale': 'en-GB'},
            'domainJoinConfigurations': [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': CLOUD_ANC}]}
    body.update(over)
    return body


def _assign(*targets):
    return {'assignments': [{'target': {'@odata.type': f'#{TARGET}', **t}} for t in targets]}


def _named(api, name):
    page = graph_ok(api.graph('GET', POLICIES, params={'$filter': f"displayName eq '{name}'"}), 'get', 200)
    return page['value']


@pytest.fixture(scope='module')
def failed_anc(api):
    """An ANC whose checks failed: the Windows 365 principal has no role on rg-noroles."""
    vnet = f'/subscriptions/{SUB_A}/resourceGroups/rg-noroles/providers/Microsoft.Network/virtualNetworks/vnet-noroles'
    body = {'displayName': 'psand-failed-anc', 'connectionType': 'azureADJoin', 'subscriptionId': SUB_A,
            'resourceGroupId': f'/subscriptions/{SUB_A}/resourceGroups/rg-noroles', 'virtualNetworkId': vnet,
            'subnetId': f'{vnet}/subnets/cloudpcs'}
    anc = graph_ok(api.graph('POST', ANCS, body=body), 'post', 201, request_body=body)
    api.advance(SETTLE)
    got = graph_ok(api.graph('GET', f'{ANCS}/{anc["id"]}'), 'get', 200)
    assert got['healthCheckStatus'] == 'failed', got
    return anc


def test_policy_lifecycle_create_read_update_assign_unassign_delete(api):
    body = _policy('psand-lifecycle')
    created = graph_ok(api.graph('POST', POLICIES, body=body), 'post', 201, request_body=body)
    pid = created['id']
    assert created['imageDisplayName'] == 'seeded-image' and created['cloudPcNamingTemplate'] == body['cloudPcNamingTemplate']
    assert created['domainJoinConfigurations'] == [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': CLOUD_ANC,
                                                    'regionName': None, 'regionGroup': None}]
    assert [p['id'] for p in _named(api, 'PSAND-LIFECYCLE')] == [pid]  # $filter eq is case-insensitive
    # PATCH: 204, the change shows on the next read; untouched settings stay.
    patch = {'description': 'changed', 'cloudPcNamingTemplate': 'W365-%RAND:6%', 'imageType': 'gallery', 'imageId': GAL_OK}
    graph_ok(api.graph('PATCH', f'{POLICIES}/{pid}', body=patch), 'patch', 204, request_body=patch)
    got = graph_ok(api.graph('GET', f'{POLICIES}/{pid}'), 'get', 200)
    assert (got['description'], got['cloudPcNamingTemplate'], got['imageId'], got['enableSingleSignOn']) == (
        'changed', 'W365-%RAND:6%', GAL_OK, True)
    assert got['imageDisplayName'] == 'Windows 11 Enterprise 24H2' and 'assignments' not in got
    # assign (replaces), read back through $expand and the assignments navigation
    assign = _assign({'groupId': USERS}, {'groupId': TEAM})
    graph_ok(api.graph('POST', f'{POLICIES}/{pid}/assign', body=assign), 'post', 204, request_body=assign)
    expanded = graph_ok(api.graph('GET', f'{POLICIES}/{pid}', params={'$expand': 'assignments'}), 'get', 200)
    assert sorted(a['target']['groupId'] for a in expanded['assignments']) == sorted([USERS, TEAM])
    nav = graph_ok(api.graph('GET', f'{POLICIES}/{pid}/assignments'), 'get', 200)
    assert len(nav['value']) == 2
    one = graph_ok(api.graph('GET', f'{POLICIES}/{pid}/assignments/{nav["value"][0]["id"]}'), 'get', 200)
    assert one['target']['groupId'] in (USERS, TEAM)
    count = api.graph('GET', f'{POLICIES}/{pid}/assignments/$count')
    assert count.status == 200 and count.text.strip() == '2', count
    listed = graph_ok(api.graph('GET', POLICIES, params={'$expand': 'assignments', '$filter': "displayName eq 'psand-lifecycle'"}),
                      'get', 200)
    assert len(listed['value'][0]['assignments']) == 2
    # $select does not hide what $expand asked for (OData: expanded navigation properties are returned either way)
    selected = graph_ok(api.graph('GET', POLICIES, params={
        '$select': 'id,displayName', '$expand': 'assignments', '$filter': "displayName eq 'psand-lifecycle'"}), 'get', 200)
    assert len(selected['value'][0]['assignments']) == 2 and 'description' not in selected['value'][0]
    single = graph_ok(api.graph('GET', f'{POLICIES}/{pid}', params={'$select': 'id', '$expand': 'assignments'}), 'get', 200)
    assert len(single['assignments']) == 2
    assign = _assign({'groupId': USERS})
    graph_ok(api.graph('POST', f'{POLICIES}/{pid}/assign', body=assign), 'post', 204, request_body=assign)
    assert len(graph_ok(api.graph('GET', f'{POLICIES}/{pid}/assignments'), 'get', 200)['value']) == 1
    # a policy that still has assignments can't be deleted; unassigning (an empty list) makes it deletable
    error = graph_error(api.graph('DELETE', f'{POLICIES}/{pid}'), 'delete', 409, 'Conflict')
    assert 'assign' in error['message'] and error['innerError']['client-request-id'] and error['innerError']['date']
    graph_ok(api.graph('GET', f'{POLICIES}/{pid}'), 'get', 200)
    unassign = {'assignments': []}
    graph_ok(api.graph('POST', f'{POLICIES}/{pid}/microsoft.graph.assign', body=unassign), 'post', 204, request_body=unassign)
    graph_ok(api.graph('DELETE', f'{POLICIES}/{pid}'), 'delete', 204)
    graph_error(api.graph('GET', f'{POLICIES}/{pid}'), 'get', 404)


def test_policy_with_alternate_ancs_and_microsoft_hosted_network(api):
    body = _policy('psand-hybrid', domainJoinConfigurations=[
        {'domainJoinType': 'hybridAzureADJoin', 'onPremisesConnectionId': HYBRID_ANC}])
    hybrid = graph_ok(api.graph('POST', POLICIES, body=body), 'post', 201, request_body=body)
    body = _policy('psand-hosted', domainJoinConfigurations=[
        {'domainJoinType': 'azureADJoin', 'regionName': 'automatic', 'regionGroup': 'europeUnion'},
        {'domainJoinType': 'azureADJoin', 'regionName': 'westeurope', 'regionGroup': 'europeUnion'}])
    hosted = graph_ok(api.graph('POST', POLICIES, body=body), 'post', 201, request_body=body)
    assert [d['regionName'] for d in hosted['domainJoinConfigurations']] == ['automatic', 'westeurope']
    for pol in (hybrid, hosted):
        graph_ok(api.graph('DELETE', f'{POLICIES}/{pol["id"]}'), 'delete', 204)


def _refused_create(api, body, words):
    name = body['displayName']
    error = graph_error(api.graph('POST', POLICIES, body=body), 'post', 400, 'BadRequest')
    for word in words:
        assert word.lower() in error['message'].lower(), error
    assert _named(api, name) == [], 'a refused create must create nothing'


DJ = 'domainJoinConfigurations'


@pytest.mark.parametrize('over, words', [
    pytest.param({DJ: [{'domainJoinType': 'hybridAzureADJoin', 'onPremisesConnectionId': CLOUD_ANC}]},
                 ['hybridAzureADJoin', 'azureADJoin'], id='join-type-differs-from-the-anc'),
    pytest.param({DJ: [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': '00000000-0000-4000-8000-000000000001'}]},
                 ['not found'], id='anc-unknown'),
    pytest.param({DJ: [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': CLOUD_ANC},
                       {'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': CLOUD_ANC}]},
                 ['twice'], id='anc-listed-twice'),
    pytest.param({DJ: [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': CLOUD_ANC},
                       {'domainJoinType': 'hybridAzureADJoin', 'onPremisesConnectionId': HYBRID_ANC}]},
                 ['same domainJoinType'], id='mixed-join-types'),
    pytest.param({DJ: [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': CLOUD_ANC},
                       {'domainJoinType': 'azureADJoin', 'regionName': 'westeurope', 'regionGroup': 'europeUnion'}]},
                 ['not both'], id='anc-and-hosted-network-mixed'),
    pytest.param({DJ: [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': CLOUD_ANC, 'regionName': 'westeurope'}]},
                 ['either'], id='anc-and-region-in-one-entry'),
    pytest.param({DJ: [{'domainJoinType': 'hybridAzureADJoin', 'regionName': 'westeurope', 'regionGroup': 'europeUnion'}]},
                 ['Microsoft-hosted'], id='hosted-network-hybrid-join'),
    pytest.param({DJ: [{'domainJoinType': 'azureADJoin', 'regionName': 'marsnorth', 'regionGroup': 'europeUnion'}]},
                 ['marsnorth'], id='hosted-network-unknown-region'),
    pytest.param({DJ: [{'domainJoinType': 'azureADJoin', 'regionName': 'automatic', 'regionGroup': 'atlantis'}]},
                 ['regionGroup'], id='hosted-network-unknown-region-group'),
    pytest.param({DJ: [{'domainJoinType': 'azureADJoin'}]}, ['onPremisesConnectionId'], id='entry-without-network'),
    pytest.param({'imageId': FAILED_IMAGE}, ['seeded-image-failed', 'ready'], id='custom-image-not-ready'),
    pytest.param({'imageId': '00000000-0000-4000-8000-000000000002'}, ['not found'], id='custom-image-unknown'),
    pytest.param({'imageType': 'gallery', 'imageId': GAL_EXPIRED}, ['expired'], id='gallery-image-expired'),
    pytest.param({'imageType': 'gallery', 'imageId': 'microsoftwindowsdesktop_windows-ent-cpc_nope'}, ['not found'],
                 id='gallery-image-unknown'),
    pytest.param({'cloudPcNamingTemplate': 'CONTOSO-%USERNAME:5%-%RAND:5%'}, ['15'], id='naming-template-too-long'),
    pytest.param({'cloudPcNamingTemplate': 'CPC_%RAND:5%'}, ['letters'], id='naming-template-bad-character'),
    pytest.param({'cloudPcNamingTemplate': 'CPC-%USERNAME:6%'}, ['%RAND'], id='naming-template-without-rand'),
    pytest.param({'cloudPcNamingTemplate': 'CPC-%RAND:4%'}, ['at least 5'], id='naming-template-rand-too-short'),
    pytest.param({'cloudPcNamingTemplate': 'CONTOSOCPC-%RAND:5%'}, ['prefix', '10'], id='naming-template-prefix-too-long'),
    pytest.param({'provisioningType': 'shared'}, ['%USERNAME', 'dedicated'], id='naming-template-username-on-shared'),
    pytest.param({'cloudPcNamingTemplate': 'CPC %RAND:5%'}, ['letters'], id='naming-template-blank'),
    pytest.param({'cloudPcNamingTemplate': 'CPC-%SERIAL%-%RAND:5%'}, ['tokens'], id='naming-template-unknown-token'),
    pytest.param({'displayName': 'psand <bad>'}, ['< > &'], id='name-forbidden-characters'),
    pytest.param({'provisioningType': 'sharedByUser'}, ['provisioningType'], id='provisioning-type-beta-only'),
    pytest.param({'enableSingleSignOn': 'yes'}, ['boolean'], id='sso-not-boolean'),
])
def test_create_refusals(api, over, words):
    body = _policy(over.pop('displayName', 'psand-refused'), **over)
    _refused_create(api, body, words)


def test_a_failed_anc_is_refused(api, failed_anc):
    dj = [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': failed_anc['id']}]
    body = _policy('psand-failed', domainJoinConfigurations=dj)
    _refused_create(api, body, ['failed its health checks'])


def test_gallery_images_dates_and_statuses(api):
    page = graph_ok(api.graph('GET', GALLERY), 'get', 200)
    status = {i['id']: i['status'] for i in page['value']}
    assert status == {GAL_OK: 'supported', GAL_NEAR_END: 'supported', GAL_PAST_END: 'supportedWithWarning',
                      GAL_EXPIRED: 'notSupported'}
    one = graph_ok(api.graph('GET', f'{GALLERY}/{GAL_NEAR_END}'), 'get', 200)
    assert one['startDate'] < one['endDate'] < one['expirationDate']
    # past its end date but not expired: still usable for new Cloud PCs
    body = _policy('psand-past-end', imageType='gallery', imageId=GAL_PAST_END.upper())
    pol = graph_ok(api.graph('POST', POLICIES, body=body), 'post', 201, request_body=body)
    assert pol['imageId'] == GAL_PAST_END and pol['imageDisplayName'] == 'Windows 11 Enterprise 23H2'
    graph_ok(api.graph('DELETE', f'{POLICIES}/{pol["id"]}'), 'delete', 204)
    graph_error(api.graph('GET', f'{GALLERY}/nope'), 'get', 404)


@pytest.fixture
def policy(api):
    body = _policy('psand-assign-rules')
    pol = graph_ok(api.graph('POST', POLICIES, body=body), 'post', 201, request_body=body)
    start = _assign({'groupId': USERS})
    graph_ok(api.graph('POST', f'{POLICIES}/{pol["id"]}/assign', body=start), 'post', 204, request_body=start)
    yield pol
    api.graph('POST', f'{POLICIES}/{pol["id"]}/assign', body={'assignments': []})
    api.graph('DELETE', f'{POLICIES}/{pol["id"]}')


@pytest.mark.parametrize('body, words', [
    pytest.param(_assign({'groupId': NEWSLETTER}), ['Verify Newsletter', 'security'], id='distribution-list'),
    pytest.param(_assign({'groupId': USERS, 'servicePlanId': PLAN}), ['servicePlanId', 'null'], id='service-plan-on-dedicated'),
    pytest.param(_assign({'groupId': USERS}, {'groupId': USERS.upper()}), ['twice'], id='group-twice'),
    pytest.param(_assign({'groupId': 'Verify Cloud PC Users'}), ['GUID'], id='group-by-name'),
    pytest.param({'assignments': [{'target': {'@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget'}}]},
                 [TARGET], id='not-a-group-target'),
    pytest.param({'assignments': [{'target': {'@odata.type': f'#{TARGET}', 'groupId': USERS, 'allotmentLicensesCount': 2}}]},
                 ['allotmentLicensesCount'], id='beta-only-target-field'),
    pytest.param({'assignments': [], 'other': 1}, ['other'], id='unknown-parameter'),
    pytest.param({}, ['assignments'], id='no-assignments-parameter'),
])
def test_assign_refusals_keep_the_old_assignments(api, policy, body, words):
    error = graph_error(api.graph('POST', f'{POLICIES}/{policy["id"]}/assign', body=body), 'post', 400, 'BadRequest')
    for word in words:
        assert word.lower() in error['message'].lower(), error
    nav = graph_ok(api.graph('GET', f'{POLICIES}/{policy["id"]}/assignments'), 'get', 200)
    assert [a['target']['groupId'] for a in nav['value']] == [USERS]


def test_shared_policy_assignments_need_a_service_plan(api):
    body = _policy('psand-shared', provisioningType='shared', cloudPcNamingTemplate='FLX-%RAND:6%')
    pol = graph_ok(api.graph('POST', POLICIES, body=body), 'post', 201, request_body=body)
    try:
        graph_error(api.graph('POST', f'{POLICIES}/{pol["id"]}/assign', body=_assign({'groupId': USERS})), 'post', 400)
        assign = _assign({'groupId': USERS, 'servicePlanId': PLAN})
        graph_ok(api.graph('POST', f'{POLICIES}/{pol["id"]}/assign', body=assign), 'post', 204, request_body=assign)
        nav = graph_ok(api.graph('GET', f'{POLICIES}/{pol["id"]}/assignments'), 'get', 200)
        assert nav['value'][0]['target'] == {'@odata.type': f'#{TARGET}', 'groupId': USERS, 'servicePlanId': PLAN}
    finally:
        api.graph('POST', f'{POLICIES}/{pol["id"]}/assign', body={'assignments': []})
        graph_ok(api.graph('DELETE', f'{POLICIES}/{pol["id"]}'), 'delete', 204)


def test_update_refusals_change_nothing(api, policy):
    pid = policy['id']
    for patch, word in (({'provisioningType': 'shared'}, 'provisioningType'),
                        ({'imageId': FAILED_IMAGE}, 'ready'),
                        ({'cloudPcNamingTemplate': 'X-%RAND:2%'}, '%RAND'),
                        ({DJ: [{'domainJoinType': 'hybridAzureADJoin', 'onPremisesConnectionId': CLOUD_ANC}]}, 'azureADJoin'),
                        ({'inUse': True}, 'inUse')):
        error = graph_error(api.graph('PATCH', f'{POLICIES}/{pid}', body=patch), 'patch', 400, 'BadRequest')
        assert word.lower() in error['message'].lower(), error
    got = graph_ok(api.graph('GET', f'{POLICIES}/{pid}'), 'get', 200)
    assert (got['imageId'], got['cloudPcNamingTemplate'], got['provisioningType']) == (
        READY_IMAGE, 'CPC-%USERNAME:4%-%RAND:5%', 'dedicated')


def test_apply_is_beta_and_recorded(api, policy):
    pid = policy['id']
    # v1.0 has no apply (beta only): the segment is unknown there
    _group_error(api.graph('POST', f'{POLICIES}/{pid}/apply', body={'policySettings': 'region'}), 400, 'BadRequest')
    reply = api.graph('POST', f'{POLICIES}/{pid}/apply', body={'policySettings': 'region,singleSignOn'}, version='beta')
    assert reply.status == 204 and not reply.text.strip(), reply
    bad = api.graph('POST', f'{POLICIES}/{pid}/apply', body={'policySettings': 'image'}, version='beta')
    assert bad.status == 400 and bad.body['error']['code'] == 'BadRequest', bad
    state = api.call('GET', '/_emulator/state').body
    tenant = next(t for t in state['tenants'] if t['id'] == TENANT_A['id'])
    applies = [a for a in tenant['policy_applies'] if a['policyId'] == pid]
    assert [a['policySettings'] for a in applies] == ['region,singleSignOn']
    assert [p['assignments'] for p in tenant['provisioning_policies'] if p['id'] == pid] == [
        [{'groupId': USERS, 'servicePlanId': None}]]


def test_policies_need_cloudpc_permissions(api):
    error = graph_error(api.graph('GET', POLICIES, principal='app', app=NO_RIGHTS_APP), 'get', 403)
    assert 'CloudPC.Read.All' in error['message']
    body = _policy('psand-forbidden')
    error = graph_error(api.graph('POST', POLICIES, principal='app', app=NO_RIGHTS_APP, body=body), 'post', 403)
    assert 'CloudPC.ReadWrite.All' in error['message'] and _named(api, 'psand-forbidden') == []


# ---- Entra groups (no Graph description in ../shared/specs: the shape is checked here) --------------------------
def _group_error(reply, status, code):
    assert reply.status == status, reply
    error = reply.body['error']
    assert error['code'] == code and error['message'] and error['innerError']['request-id'], reply
    return error


def test_groups_by_name_and_id(api):
    page = api.graph('GET', 'groups', params={'$filter': "displayName eq 'verify cloud pc users'", '$select': 'id,displayName'})
    assert page.status == 200, page
    assert page.body['value'] == [{'id': USERS, 'displayName': 'Verify Cloud PC Users'}]
    assert page.body['@odata.context'].endswith('#groups(id,displayName)')
    every = api.graph('GET', 'groups', params={'$top': '2'})
    assert every.status == 200 and len(every.body['value']) == 2 and '@odata.nextLink' in every.body, every
    one = api.graph('GET', f'groups/{TEAM}')
    assert one.status == 200 and one.body['groupTypes'] == ['Unified'] and one.body['securityEnabled'] is False, one
    assert one.body['mail'] == 'VerifyM365Team@verifier-a.onmicrosoft.com'
    starts = api.graph('GET', 'groups', params={'$filter': "startswith(displayName,'Verify N')"})
    assert [g['id'] for g in starts.body['value']] == [NEWSLETTER]
    _group_error(api.graph('GET', 'groups/00000000-0000-4000-8000-00000000abcd'), 404, 'Request_ResourceNotFound')
    _group_error(api.graph('GET', 'groups/Verify Cloud PC Users'), 400, 'Request_BadRequest')
    _group_error(api.graph('GET', 'groups', params={'$filter': "nope eq 'x'"}), 400, 'BadRequest')
    _group_error(api.graph('POST', 'groups', body={'displayName': 'x'}), 405, 'MethodNotAllowed')


def test_groups_need_a_group_read_permission(api):
    """The owner app has CloudPC.ReadWrite.All and Application.Read.All only: the directory refuses."""
    error = _group_error(api.graph('GET', 'groups', principal='app'), 403, 'Authorization_RequestDenied')
    assert error['message'] == 'Insufficient privileges to complete the operation.'
    _group_error(api.graph('GET', f'groups/{USERS}', principal='app'), 403, 'Authorization_RequestDenied')


def test_a_patch_checks_only_what_it_changes(api):
    """An ANC that fails a later check does not block editing the policy's other settings; choosing it again does."""
    import uuid

    from .sandbox import ROLE_NETWORK_USER, ROLE_NIC_CONTRIBUTOR, W365_SP_A
    rg = f'/subscriptions/{SUB_A}/resourceGroups/rg-noroles'
    vnet = f'{rg}/providers/Microsoft.Network/virtualNetworks/vnet-noroles'
    grants = []
    for scope, role in ((rg, ROLE_NIC_CONTRIBUTOR), (vnet, ROLE_NETWORK_USER)):
        path = f'{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}'
        body = {'properties': {'roleDefinitionId': f'/subscriptions/{SUB_A}/providers/Microsoft.Authorization/roleDefinitions/{role}',
                               'principalId': W365_SP_A, 'principalType': 'ServicePrincipal'}}
        reply = api.arm('PUT', path, '2022-04-01', body=body)
        assert reply.status == 201, reply
        grants.append(path)
    body = {'displayName': 'psand-later-fail', 'connectionType': 'azureADJoin', 'subscriptionId': SUB_A,
            'resourceGroupId': rg, 'virtualNetworkId': vnet, 'subnetId': f'{vnet}/subnets/cloudpcs'}
    anc = graph_ok(api.graph('POST', ANCS, body=body), 'post', 201, request_body=body)
    api.advance(SETTLE)
    assert graph_ok(api.graph('GET', f'{ANCS}/{anc["id"]}'), 'get', 200)['healthCheckStatus'] == 'passed'
    dj = [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': anc['id']}]
    pol = graph_ok(api.graph('POST', POLICIES, body=_policy('psand-later-fail', domainJoinConfigurations=dj)), 'post', 201)
    try:
        for path in grants:
            assert api.arm('DELETE', path, '2022-04-01').status == 200
        assert api.graph('POST', f'{ANCS}/{anc["id"]}/runHealthChecks').status == 204
        api.advance(SETTLE)
        assert graph_ok(api.graph('GET', f'{ANCS}/{anc["id"]}'), 'get', 200)['healthCheckStatus'] == 'failed'
        patch = {'description': 'still editable'}
        graph_ok(api.graph('PATCH', f'{POLICIES}/{pol["id"]}', body=patch), 'patch', 204, request_body=patch)
        again = {DJ: dj}
        error = graph_error(api.graph('PATCH', f'{POLICIES}/{pol["id"]}', body=again), 'patch', 400, 'BadRequest')
        assert 'failed its health checks' in error['message']
    finally:
        graph_ok(api.graph('DELETE', f'{POLICIES}/{pol["id"]}'), 'delete', 204)
        graph_ok(api.graph('DELETE', f'{ANCS}/{anc["id"]}'), 'delete', 204)
