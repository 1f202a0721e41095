# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every onPremisesConnections response the emulator sends, checked against the Graph v1.0 description."""

from __future__ import annotations

import pytest

from .checks import graph_error, graph_ok
from .sandbox import (AD, JOIN, OU, RG_ID, ROLE_NETWORK_USER, ROLE_NIC_CONTRIBUTOR, SETTLE, SUB_A, SUBNET_ID, VE,
                      VNET_ID, W365_SP_A)

ANCS = f'{VE}/onPremisesConnections'
SELECT_EXTRA = 'id,displayName,healthCheckStatus,inUse,healthCheckStatusDetail'


def _cloud_body(name, subnet='cloudpcs'):
    return {
        'displayName': name, 'connectionType': 'azureADJoin', 'subscriptionId': SUB_A, 'resourceGroupId': RG_ID,
        'virtualNetworkId': VNET_ID, 'subnetId': f'{VNET_ID}/subnets/{subnet}',
    }


def _hybrid_body(name, password=None):
    body = _cloud_body(name)
    body.update(connectionType='hybridAzureADJoin', adDomainName=AD['name'], adDomainUsername=JOIN['upn'],
                adDomainPassword=password or JOIN['password'], organizationalUnit=OU)
    return body


def create(api, body):
    reply = api.graph('POST', ANCS, body=body)
    created = graph_ok(reply, 'post', 201, request_body=body)
    return created


@pytest.fixture(scope='module')
def ancs(api):
    """Three connections made through the API: two cloud-joined, one hybrid."""
    made = [create(api, _cloud_body(f'verify-anc-{i}')) for i in (1, 2)]
    made.append(create(api, _hybrid_body('verify-anc-hybrid')))
    return made


def settle(api):
    """Let running health checks finish: the service refuses changes while they run (409, checked elsewhere)."""
    api.advance(SETTLE)


def test_create_answers_pending_without_the_password(api, ancs):
    for anc in ancs:
        assert anc['healthCheckStatus'] in ('pending', 'running')
        assert anc['id'] and anc['virtualNetworkLocation'] == 'westeurope'
        assert anc['subnetId'].lower() == SUBNET_ID.lower()
        assert not anc.get('adDomainPassword')


def test_list_without_select_omits_select_only_properties(api, ancs):
    page = graph_ok(api.graph('GET', ANCS), 'get', 200)
    mine = [a for a in page['value'] if a['id'] in {x['id'] for x in ancs}]
    assert len(mine) == 3
    for item in page['value']:
        assert 'inUse' not in item and 'healthCheckStatusDetail' not in item, item


def test_list_with_select_returns_selected_properties(api, ancs):
    page = graph_ok(api.graph('GET', ANCS, params={'$select': SELECT_EXTRA}), 'get', 200)
    assert len(page['value']) >= 3
    for item in page['value']:
        assert isinstance(item['inUse'], bool), item
        assert 'healthCheckStatusDetail' in item, item
        extra = {k for k in item if not k.startswith('@')} - set(SELECT_EXTRA.split(','))
        assert not extra, f'$select returned unselected properties {extra}'


def test_list_with_filter_on_display_name(api, ancs):
    reply = api.graph('GET', ANCS, params={'$filter': "displayName eq 'verify-anc-2'"})
    page = graph_ok(reply, 'get', 200)
    assert [a['id'] for a in page['value']] == [ancs[1]['id']]


def test_list_with_top_pages_with_next_link(api, ancs):
    everything = graph_ok(api.graph('GET', ANCS), 'get', 200)['value']
    reply = api.graph('GET', ANCS, params={'$top': '1'})
    seen, pages = [], 0
    while True:
        page = graph_ok(reply, 'get', 200)
        assert len(page['value']) <= 1
        seen += [a['id'] for a in page['value']]
        pages += 1
        link = page.get('@odata.nextLink')
        if not link:
            break
        assert pages < 100
        reply = api.graph('GET', link)
    assert pages >= 3
    assert seen == [a['id'] for a in everything]


def test_get_and_get_with_select(api, ancs):
    anc = graph_ok(api.graph('GET', f'{ANCS}/{ancs[2]["id"]}'), 'get', 200)
    assert anc['connectionType'] == 'hybridAzureADJoin'
    assert anc['adDomainUsername'] == JOIN['upn'] and anc['organizationalUnit'] == OU
    assert 'inUse' not in anc
    selected = graph_ok(api.graph('GET', f'{ANCS}/{ancs[2]["id"]}', params={'$select': SELECT_EXTRA}), 'get', 200)
    assert selected['inUse'] is False


def test_patch_answers_the_updated_object(api, ancs):
    settle(api)
    body = {'displayName': 'verify-anc-1-renamed'}
    reply = api.graph('PATCH', f'{ANCS}/{ancs[0]["id"]}', body=body)
    assert reply.status in (200, 204), reply
    # The v1.0 description (and update page) declare the updated object as the 2XX body.
    updated = graph_ok(reply, 'patch', 200, request_body=body)
    assert updated['displayName'] == 'verify-anc-1-renamed'


def _detail(api, anc_id):
    return graph_ok(api.graph('GET', f'{ANCS}/{anc_id}', params={'$select': 'id,healthCheckStatus,healthCheckStatusDetail'}),
                    'get', 200)


def test_run_health_checks_and_the_detail(api, ancs):
    settle(api)
    reply = api.graph('POST', f'{ANCS}/{ancs[1]["id"]}/runHealthChecks')
    graph_ok(reply, 'post', 204)
    api.advance(SETTLE)
    anc = _detail(api, ancs[1]['id'])
    assert anc['healthCheckStatus'] in ('passed', 'warning', 'failed'), anc
    checks = anc['healthCheckStatusDetail']['healthChecks']
    assert checks and all(c['displayName'] and c['status'] for c in checks)


def test_namespaced_action_path_is_served(api, ancs):
    """Graph accepts the bound action with its namespace, as the description spells the path."""
    settle(api)
    reply = api.graph('POST', f'{ANCS}/{ancs[0]["id"]}/microsoft.graph.runHealthChecks')
    graph_ok(reply, 'post', 204)


def test_failed_checks_carry_spec_error_types(api):
    """Computed failures (wrong AD password, busy subnet) produce errorType values from the published enum."""
    bad = create(api, _hybrid_body('verify-anc-badpw', password='wrong-password-for-join'))
    busy = create(api, _cloud_body('verify-anc-busy', subnet='busy'))
    api.advance(SETTLE)
    bad_detail = _detail(api, bad['id'])
    assert bad_detail['healthCheckStatus'] == 'failed'
    errors = {c['errorType'] for c in bad_detail['healthCheckStatusDetail']['healthChecks'] if c['status'] == 'failed'}
    assert 'adJoinCheckIncorrectCredentials' in errors
    assert all(c['recommendedAction'] for c in bad_detail['healthCheckStatusDetail']['healthChecks'] if c['status'] == 'failed')
    busy_detail = _detail(api, busy['id'])
    assert busy_detail['healthCheckStatus'] == 'warning', busy_detail


def test_update_ad_domain_password(api, ancs):
    settle(api)
    body = {'adDomainPassword': JOIN['password']}
    reply = api.graph('POST', f'{ANCS}/{ancs[2]["id"]}/updateAdDomainPassword', body=body)
    graph_ok(reply, 'post', 204, request_body=body)


def _service_grants(api):
    """(role GUID, scope) of the Windows 365 service principal's assignments on rg-verify and below."""
    from .checks import arm_ok
    from .specs import arm_api_version
    reply = api.arm('GET', f'{RG_ID}/providers/Microsoft.Authorization/roleAssignments',
                    arm_api_version('authorization', 'RoleAssignments_ListForScope'),
                    params={'$filter': f"principalId eq '{W365_SP_A}'"})
    listed = arm_ok(reply, 'authorization', 'RoleAssignments_ListForScope', 200)
    return {(a['properties']['roleDefinitionId'].rsplit('/', 1)[-1], a['properties']['scope'].lower())
            for a in listed['value']}


def test_delete_then_not_found(api):
    import uuid

    from .checks import arm_ok
    from .specs import arm_api_version
    anc = create(api, _cloud_body('verify-anc-delete'))
    settle(api)
    seeded = {(ROLE_NIC_CONTRIBUTOR, RG_ID.lower()), (ROLE_NETWORK_USER, VNET_ID.lower())}
    assert seeded <= _service_grants(api)
    graph_ok(api.graph('DELETE', f'{ANCS}/{anc["id"]}'), 'delete', 204)
    graph_error(api.graph('GET', f'{ANCS}/{anc["id"]}'), 'get', 404)
    graph_error(api.graph('DELETE', f'{ANCS}/{anc["id"]}'), 'delete', 404)
    # Graph: "permissions to the service are removed from the specified Azure resources", even though the seeded
    # connections still use rg-verify and vnet-verify. Put them back for the other tests of this shared world.
    assert not seeded & _service_grants(api)
    version = arm_api_version('authorization', 'RoleAssignments_Create')
    for role, scope in sorted(seeded):
        definition = f'/subscriptions/{SUB_A}/providers/Microsoft.Authorization/roleDefinitions/{role}'
        body = {'properties': {'roleDefinitionId': definition, 'principalId': W365_SP_A,
                               'principalType': 'ServicePrincipal'}}
        arm_ok(api.arm('PUT', f'{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}', version,
                       body=body), 'authorization', 'RoleAssignments_Create', 201, request_body=body)
    assert seeded <= _service_grants(api)


def test_checks_bite_on_real_emulator_output(api, ancs):
    """The same checks reject a real answer once one field is wrong, so the passes above are not vacuous."""
    from . import specs
    reply = api.graph('GET', f'{ANCS}/{ancs[2]["id"]}', params={'$select': SELECT_EXTRA})
    specs.validate_graph(reply.url, 'get', 200, reply.body)
    for key, bad in (('healthCheckStatus', 'ok'), ('inUse', 'false'), ('displayname', 'x')):
        broken = dict(reply.body, **{key: bad})
        with pytest.raises(specs.SpecMismatch, match=key):
            specs.validate_graph(reply.url, 'get', 200, broken)
