# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validators themselves: they accept the published examples and reject wrong payloads.

Without the negative cases a validator that accepted everything would make every emulator check pass.
"""

from __future__ import annotations

import copy
import json

import pytest

from . import specs

ONPREM = '/deviceManagement/virtualEndpoint/onPremisesConnections'
ONPREM_ID = ONPREM + '/{cloudPcOnPremisesConnection-id}'
IMAGES = '/deviceManagement/virtualEndpoint/deviceImages'
POLICIES = '/deviceManagement/virtualEndpoint/provisioningPolicies'


def _graph_examples():
    if not specs.specs_available():
        return []
    return specs.load_example('graph/examples.json')['examples']


def _graph_requests():
    if not specs.specs_available():
        return []
    return specs.load_example('graph/examples.json')['requests']


def _arm_examples():
    """(spec, operationId, example file, status, body) for every shipped x-ms-example."""
    if not specs.specs_available():
        return []
    found = []
    root = specs.specs_dir() / 'examples' / 'arm'
    for path in sorted(root.rglob('*.json')):
        spec_name = path.relative_to(root).parts[0]
        ops = [
            op_id for op_id, (_p, _m, op) in specs._arm_operations(spec_name).items()
            if any(str(ex.get('x-subset-example', '')).endswith('/' + path.name) for ex in op.get('x-ms-examples', {}).values())
        ]
        assert len(ops) == 1, f'{path.name}: cited by {ops}'
        example = json.loads(path.read_text(encoding='utf-8'))
        for status, response in example['responses'].items():
            found.append(pytest.param(spec_name, ops[0], int(status), response.get('body'), id=f'{path.name}-{status}'))
    return found


def _status_of(example):
    return 200 if example['status'] == '2XX' else 404


def _anc_example():
    return copy.deepcopy(next(e for e in _graph_examples() if e['title'] == 'Get cloudPcOnPremisesConnection')['body'])


def _image_example():
    return copy.deepcopy(next(e for e in _graph_examples() if e['title'] == 'Get cloudPcDeviceImage')['body'])


# --------------------------------------------------------------------------------------------- positives

@pytest.mark.parametrize('example', _graph_examples(), ids=lambda e: e['title'])
def test_graph_examples_validate(example):
    checked = specs.validate_graph(example['path'], example['method'], _status_of(example), example['body'])
    assert checked.response == example['status']


@pytest.mark.parametrize('example', _graph_requests(), ids=lambda e: e['title'])
def test_graph_request_examples_validate(example):
    specs.validate_graph_request(example['path'], example['method'], example['body'])


@pytest.mark.parametrize('spec_name, operation_id, status, body', _arm_examples())
def test_arm_examples_validate(spec_name, operation_id, status, body):
    checked = specs.validate_arm(spec_name, operation_id, status, body)
    assert checked.response == str(status)


def test_arm_examples_are_all_used():
    assert len(_arm_examples()) >= 7


def test_arm_example_request_body_validates():
    example = specs.load_example('arm/resources/2025-04-01/CreateResourceGroup.json')
    specs.validate_arm_request('resources', 'ResourceGroups_CreateOrUpdate', example['parameters']['parameters'])


@pytest.mark.parametrize('spec_name, operation_id', [
    ('authorization', 'RoleAssignments_Create'),
    ('network', 'Subnets_Get'),
    ('resources', 'ResourceGroups_Get'),
    ('resources', 'Subscriptions_Get'),
])
def test_arm_plain_error_validates(spec_name, operation_id):
    specs.validate_arm(spec_name, operation_id, 404, {'error': {'code': 'NotFound', 'message': 'not found'}})


def test_graph_concrete_paths_match_templates():
    assert specs.match_graph_path('/v1.0/deviceManagement/virtualEndpoint/deviceImages/getSourceImages') == \
        IMAGES + '/microsoft.graph.getSourceImages()'
    assert specs.match_graph_path('https://127.0.0.1:1/v1.0' + IMAGES + '/abc?$select=id') == IMAGES + '/{cloudPcDeviceImage-id}'
    assert specs.match_graph_path(IMAGES + '/$count') == IMAGES + '/$count'
    assert specs.match_graph_path('/v1.0' + ONPREM + '/x/runHealthChecks').endswith('/microsoft.graph.runHealthChecks')
    assert specs.match_graph_path('/v1.0' + ONPREM + '/x/microsoft.graph.updateAdDomainPassword').endswith('updateAdDomainPassword')


def test_graph_nullable_refs_accept_null():
    body = _image_example()
    body['errorCode'] = None
    body['osStatus'] = None
    specs.validate_graph(IMAGES + '/x', 'get', 200, body)
    anc = _anc_example()
    anc['healthCheckStatusDetail'] = None
    specs.validate_graph(ONPREM + '/x', 'get', 200, anc)


def test_graph_odata_annotations_are_allowed():
    anc = _anc_example()
    page = {'@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#x', '@odata.nextLink': 'https://x/next', 'value': [anc]}
    specs.validate_graph(ONPREM, 'get', 200, page)


def test_graph_rule_one_is_needed():
    """The published document, taken literally, rejects an ordinary payload: the normalisation is not cosmetic."""
    from openapi_schema_validator import OAS30Validator
    components = copy.deepcopy(specs.load_spec('graph')['components'])
    root = {'components': components, '$ref': '#/components/schemas/microsoft.graph.cloudPcOnPremisesConnection'}
    raw = {'components': components, 'allOf': [{'$ref': root['$ref']}]}
    assert list(OAS30Validator(raw).iter_errors(_anc_example()))
    specs.validate_graph(ONPREM_ID, 'get', 200, _anc_example())


# --------------------------------------------------------------------------------------------- negatives

def _rejects(fn, *args, match=None, **kwargs):
    with pytest.raises(specs.SpecMismatch, match=match) as info:
        fn(*args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize('mutate, match', [
    (lambda b: b.update(healthCheckStatus='bogus'), r'\$\.healthCheckStatus: .bogus. is not one of'),
    (lambda b: b.update(healthCheckStatus=None), r'\$\.healthCheckStatus'),
    (lambda b: b.update(inUse='yes'), r'\$\.inUse: .yes. is not of type .boolean.'),
    (lambda b: b.update(displayName=42), r'\$\.displayName'),
    (lambda b: b.update(connectionType='hybrid'), r'\$\.connectionType'),
    (lambda b: b.update(virtualNetworkLocaton='westeurope'), r'virtualNetworkLocaton: property not declared'),
    (lambda b: b.update(healthCheckStatusDetails={}), r'healthCheckStatusDetails: property not declared'),
    (lambda b: b['healthCheckStatusDetail']['healthChecks'][0].update(errorType='dnsCheckBroken'), r'healthChecks\[0\]\.errorType'),
    (lambda b: b['healthCheckStatusDetail']['healthChecks'][0].update(startDateTime='yesterday'), r'healthChecks\[0\]\.startDateTime'),
    (lambda b: b['healthCheckStatusDetail']['healthChecks'][0].update(recommendedActions='x'), r'recommendedActions: property not declared'),
    (lambda b: b['healthCheckStatusDetail'].update(healthChecks={}), r'healthCheckStatusDetail\.healthChecks'),
])
def test_graph_anc_wrong_payloads_fail(mutate, match):
    body = _anc_example()
    mutate(body)
    _rejects(specs.validate_graph, '/v1.0' + ONPREM + '/abc', 'GET', 200, body, match=match)


def test_graph_strict_can_be_turned_off_but_types_still_checked():
    body = _anc_example()
    body['virtualNetworkLocaton'] = 'x'
    specs.validate_graph(ONPREM_ID, 'get', 200, body, strict=False)
    body['inUse'] = 'no'
    _rejects(specs.validate_graph, ONPREM_ID, 'get', 200, body, strict=False, match='inUse')


@pytest.mark.parametrize('mutate, match', [
    (lambda b: b.update(errorCode='imageBroken'), r'\$\.errorCode'),
    (lambda b: b.update(status='done'), r'\$\.status'),
    (lambda b: b.update(expirationDate='2025-11-11T00:00:00Z'), r'\$\.expirationDate'),
    (lambda b: b.update(sizeInGB='64'), r'\$\.sizeInGB'),
])
def test_graph_image_wrong_payloads_fail(mutate, match):
    body = _image_example()
    mutate(body)
    _rejects(specs.validate_graph, IMAGES + '/x', 'get', 200, body, match=match)


def test_graph_collection_shape_is_checked():
    _rejects(specs.validate_graph, ONPREM, 'get', 200, [_anc_example()], match='is not of type')
    _rejects(specs.validate_graph, ONPREM, 'get', 200, {'value': _anc_example()}, match=r'\$\.value')
    _rejects(specs.validate_graph, ONPREM, 'get', 200, {'value': [], '@odata.nextLink': 3}, match='nextLink')
    _rejects(specs.validate_graph, IMAGES + '/getSourceImages', 'get', 200, {'value': [{'resourceId': 5}]}, match='resourceId')


@pytest.mark.parametrize('payload, match', [
    ({'error': {'message': 'x'}}, "'code' is a required property"),
    ({'error': {'code': 'x'}}, "'message' is a required property"),
    ({'code': 'x', 'message': 'y'}, "'error' is a required property"),
    ({'error': {'code': 'x', 'message': 'y', 'innerError': {'date': '22/11/2026'}}}, r'innerError\.date'),
    ({'error': {'code': 'x', 'message': 'y', 'innererror': {}}}, 'innererror: property not declared'),
])
def test_graph_error_shape_is_checked(payload, match):
    _rejects(specs.validate_graph, ONPREM_ID, 'get', 404, payload, match=match)


def test_graph_body_presence_is_checked():
    _rejects(specs.validate_graph, ONPREM_ID + '/microsoft.graph.runHealthChecks', 'post', 204, {'ok': True}, match='declares no body')
    _rejects(specs.validate_graph, ONPREM_ID, 'delete', 204, {'id': 'x'}, match='declares no body')
    _rejects(specs.validate_graph, ONPREM_ID, 'get', 200, None, match='declares a JSON body')


def test_graph_204_means_no_body_even_where_2xx_declares_one():
    specs.validate_graph(POLICIES + '/x', 'patch', 204, None)
    _rejects(specs.validate_graph, POLICIES + '/x', 'patch', 204, {'id': 'x'}, match='declares no body')
    _rejects(specs.validate_graph, POLICIES + '/x', 'patch', 200, None, match='declares a JSON body')


def test_graph_unknown_operations_fail():
    _rejects(specs.validate_graph, '/deviceManagement/virtualEndpoint/cloudPCs', 'get', 200, {}, match='no Graph operation')
    _rejects(specs.validate_graph, IMAGES + '/getSourceImages', 'post', 200, {}, match='has no POST')
    _rejects(specs.validate_graph, '/beta' + ONPREM, 'get', 200, {'value': []}, match='v1.0 only')


@pytest.mark.parametrize('body, match', [
    ({'displayName': 'x', 'connectionType': 'hybridADJoin'}, 'connectionType'),
    ({'displayName': 'x', 'adDomainPassword': 5}, 'adDomainPassword'),
    ({'displayName': 'x', 'type': 'azureADJoin'}, 'type: property not declared'),
])
def test_graph_request_bodies_are_checked(body, match):
    _rejects(specs.validate_graph_request, ONPREM, 'post', body, match=match)


def test_graph_update_password_body_is_checked():
    path = ONPREM_ID + '/microsoft.graph.updateAdDomainPassword'
    _rejects(specs.validate_graph_request, path, 'post', {'password': 'x'}, match='password: property not declared')
    _rejects(specs.validate_graph_request, path, 'post', None, match='declares a JSON body')


def test_graph_policy_request_is_checked():
    body = {'displayName': 'p', 'imageType': 'custom', 'imageId': 'i', 'provisioningType': 'dedicated',
            'domainJoinConfigurations': [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': 'a'}]}
    specs.validate_graph_request(POLICIES, 'post', body)
    body['domainJoinConfigurations'][0]['domainJoinType'] = 'entraJoin'
    _rejects(specs.validate_graph_request, POLICIES, 'post', body, match='domainJoinType')


def _arm_body(name):
    example = specs.load_example(name)
    return copy.deepcopy(example['responses']['200']['body'])


@pytest.mark.parametrize('example, spec_name, operation_id, mutate, match', [
    ('arm/network/2026-03-01/SubnetGet.json', 'network', 'Subnets_Get',
     lambda b: b['properties'].update(addressPrefix=['10.0.0.0/24']), r'properties\.addressPrefix'),
    ('arm/network/2026-03-01/SubnetGet.json', 'network', 'Subnets_Get',
     lambda b: b['properties'].update(provisioningState='Done'), r'provisioningState'),
    ('arm/network/2026-03-01/SubnetGet.json', 'network', 'Subnets_Get',
     lambda b: b['properties'].update(adressPrefix='10.0.0.0/24'), r'adressPrefix: property not declared'),
    ('arm/network/2026-03-01/VirtualNetworkGet.json', 'network', 'VirtualNetworks_Get',
     lambda b: b['properties'].update(subnets={}), r'properties\.subnets'),
    ('arm/network/2026-03-01/VirtualNetworkGet.json', 'network', 'VirtualNetworks_Get',
     lambda b: b['properties']['addressSpace'].update(addressPrefixes='10.0.0.0/16'), r'addressPrefixes'),
    ('arm/network/2026-03-01/VirtualNetworkGet.json', 'network', 'VirtualNetworks_Get',
     lambda b: b.update(tags={'a': 1}), r'\$\.tags\.a'),
    ('arm/authorization/2022-04-01/RoleAssignments_Get.json', 'authorization', 'RoleAssignments_Get',
     lambda b: b['properties'].update(principalType='App'), r'principalType'),
    ('arm/authorization/2022-04-01/RoleAssignments_Get.json', 'authorization', 'RoleAssignments_Get',
     lambda b: b.update(principalId='x'), r'\$\.principalId: property not declared'),
    ('arm/authorization/2022-04-01/RoleAssignments_Get.json', 'authorization', 'RoleAssignments_Get',
     lambda b: b['properties'].update(createdOn='yesterday'), r'properties\.createdOn'),
    ('arm/authorization/2022-04-01/GetRoleDefinitionById.json', 'authorization', 'RoleDefinitions_GetById',
     lambda b: b['properties'].update(permissions={'actions': []}), r'properties\.permissions'),
    ('arm/resources/2022-12-01/GetSubscription.json', 'resources', 'Subscriptions_Get',
     lambda b: b.update(state='On'), r'\$\.state'),
    ('arm/resources/2022-12-01/GetSubscription.json', 'resources', 'Subscriptions_Get',
     lambda b: b['subscriptionPolicies'].update(spendingLimit='Maybe'), r'spendingLimit'),
])
def test_arm_wrong_payloads_fail(example, spec_name, operation_id, mutate, match):
    body = _arm_body(example)
    specs.validate_arm(spec_name, operation_id, 200, body)
    mutate(body)
    _rejects(specs.validate_arm, spec_name, operation_id, 200, body, match=match)


def test_arm_resource_group_needs_location():
    body = _arm_body('arm/resources/2025-04-01/CreateResourceGroup.json')
    del body['location']
    _rejects(specs.validate_arm, 'resources', 'ResourceGroups_Get', 200, body, match="'location' is a required property")
    _rejects(specs.validate_arm_request, 'resources', 'ResourceGroups_CreateOrUpdate', {'tags': {}}, match='location')


def test_arm_role_assignment_request_is_checked():
    good = {'properties': {'roleDefinitionId': '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r',
                           'principalId': 'p', 'principalType': 'ServicePrincipal'}}
    specs.validate_arm_request('authorization', 'RoleAssignments_Create', good)
    _rejects(specs.validate_arm_request, 'authorization', 'RoleAssignments_Create', good['properties'], match="'properties' is a required")
    bad = copy.deepcopy(good)
    del bad['properties']['principalId']
    _rejects(specs.validate_arm_request, 'authorization', 'RoleAssignments_Create', bad, match='principalId')


def test_arm_error_shape_is_checked():
    _rejects(specs.validate_arm, 'network', 'Subnets_Get', 404, {'error': {'code': 1, 'message': 'm'}}, match='code')
    _rejects(specs.validate_arm, 'network', 'Subnets_Get', 404, {'code': 'NotFound', 'message': 'm'}, match='not declared')
    _rejects(specs.validate_arm, 'authorization', 'RoleAssignments_Delete', 200, None, match='declares a JSON body')


def test_arm_status_and_operation_lookup():
    assert specs.validate_arm('authorization', 'RoleAssignments_Delete', 204, None).response == '204'
    assert specs.validate_arm('resources', 'ResourceGroups_CreateOrUpdate', 409,
                              {'error': {'code': 'Conflict', 'message': 'x'}}).response == 'default'
    _rejects(specs.validate_arm, 'network', 'VirtualNetworks_ListAll', 200, {}, match='no operation')
    with pytest.raises(KeyError):
        specs.validate_arm('compute', 'Images_Get', 200, {})


def test_arm_api_versions():
    assert specs.arm_api_version('network', 'Subnets_Get') == '2026-03-01'
    assert specs.arm_api_version('authorization', 'RoleAssignments_Get') == '2022-04-01'
    assert specs.arm_api_version('resources', 'ResourceGroups_Get') == '2025-04-01'
    assert specs.arm_api_version('resources', 'Subscriptions_Get') == '2022-12-01'


def test_missing_specs_skip_with_reason(monkeypatch, tmp_path):
    monkeypatch.setenv('W365_SHARED_DIR', str(tmp_path))
    assert not specs.specs_available()
    with pytest.raises(pytest.skip.Exception, match='official API descriptions are not shipped'):
        specs.require_specs()


def test_arm_optional_properties_accept_null_like_oav():
    """Azure's validator (oav) reads optional Swagger properties as nullable; required ones stay non-null."""
    body = _arm_body('arm/authorization/2022-04-01/RoleAssignments_Get.json')
    body['properties'].update(condition=None, conditionVersion=None, description=None, createdBy=None)
    specs.validate_arm('authorization', 'RoleAssignments_Get', 200, body)
    body['properties']['condition'] = 5
    _rejects(specs.validate_arm, 'authorization', 'RoleAssignments_Get', 200, body, match=r'properties\.condition')
    group = _arm_body('arm/resources/2025-04-01/CreateResourceGroup.json')
    group['location'] = None
    _rejects(specs.validate_arm, 'resources', 'ResourceGroups_Get', 200, group, match=r'\$\.location')
    request = {'properties': {'roleDefinitionId': 'r', 'principalId': None}}
    _rejects(specs.validate_arm_request, 'authorization', 'RoleAssignments_Create', request, match='principalId')


@pytest.mark.parametrize('name', sorted(specs.SPEC_FILES))
def test_documents_are_valid_api_descriptions(name):
    """The inputs themselves load as OpenAPI 3.0 / Swagger 2.0 (the validators the specs README names)."""
    from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator
    validator = OpenAPIV30SpecValidator if name == 'graph' else OpenAPIV2SpecValidator
    errors = list(validator(copy.deepcopy(specs.load_spec(name))).iter_errors())
    assert not errors, errors[:3]
