# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""deviceImages and provisioningPolicies responses, checked against the Graph v1.0 description."""

from __future__ import annotations

import pytest

from .checks import graph_error, graph_ok
from .sandbox import GOOD_IMAGE_ID, HUGE_IMAGE_ID, NOT_GENERALIZED_IMAGE_ID, RG_ID, SETTLE, SUB_A, VE, VNET_ID

IMAGES = f'{VE}/deviceImages'
POLICIES = f'{VE}/provisioningPolicies'
ANCS = f'{VE}/onPremisesConnections'


def _image_body(name, source, version='1.0.0'):
    return {'displayName': name, 'version': version, 'sourceImageResourceId': source}


@pytest.fixture(scope='module')
def image(api):
    body = _image_body('verify-image', GOOD_IMAGE_ID)
    created = graph_ok(api.graph('POST', IMAGES, body=body), 'post', 201, request_body=body)
    assert created['status'] == 'pending'
    api.advance(SETTLE)
    return created


@pytest.fixture(scope='module')
def anc(api):
    body = {'displayName': 'verify-policy-anc', 'connectionType': 'azureADJoin', 'subscriptionId': SUB_A,
            'resourceGroupId': RG_ID, 'virtualNetworkId': VNET_ID, 'subnetId': f'{VNET_ID}/subnets/cloudpcs'}
    return graph_ok(api.graph('POST', ANCS, body=body), 'post', 201, request_body=body)


def test_image_becomes_ready(api, image):
    got = graph_ok(api.graph('GET', f'{IMAGES}/{image["id"]}'), 'get', 200)
    assert got['status'] == 'ready' and got['errorCode'] is None
    assert got['sourceImageResourceId'].lower() == GOOD_IMAGE_ID.lower()
    assert got['operatingSystem']


def test_image_list_and_select(api, image):
    page = graph_ok(api.graph('GET', IMAGES), 'get', 200)
    assert image['id'] in {i['id'] for i in page['value']}
    selected = graph_ok(api.graph('GET', IMAGES, params={'$select': 'id,displayName,status'}), 'get', 200)
    assert all(set(i) - {'id', 'displayName', 'status'} <= {k for k in i if k.startswith('@')} for i in selected['value'])


def test_failed_upload_has_a_spec_error_code(api):
    body = _image_body('verify-image-notgeneralized', NOT_GENERALIZED_IMAGE_ID)
    created = graph_ok(api.graph('POST', IMAGES, body=body), 'post', 201, request_body=body)
    api.advance(SETTLE)
    got = graph_ok(api.graph('GET', f'{IMAGES}/{created["id"]}'), 'get', 200)
    assert got['status'] == 'failed' and got['errorCode'] == 'sourceImageNotGeneralized', got


def test_evolvable_error_code_needs_the_prefer_header(api):
    """Members after unknownFutureValue in the published enum come back only when the client opts in."""
    body = _image_body('verify-image-huge', HUGE_IMAGE_ID)
    created = graph_ok(api.graph('POST', IMAGES, body=body), 'post', 201, request_body=body)
    api.advance(SETTLE)
    plain = graph_ok(api.graph('GET', f'{IMAGES}/{created["id"]}'), 'get', 200)
    assert plain['status'] == 'failed' and plain['errorCode'] == 'unknownFutureValue', plain
    prefer = {'Prefer': 'include-unknown-enum-members'}
    full = graph_ok(api.graph('GET', f'{IMAGES}/{created["id"]}', headers=prefer), 'get', 200)
    assert full['errorCode'] == 'sourceImageSizeExceedsLimitation', full


def test_get_source_images(api):
    for path in (f'{IMAGES}/getSourceImages', f'{IMAGES}/microsoft.graph.getSourceImages()'):
        page = graph_ok(api.graph('GET', path), 'get', 200)
        ids = {i['resourceId'].lower() for i in page['value']}
        assert GOOD_IMAGE_ID.lower() in ids, page
        assert all(i['subscriptionId'] == SUB_A for i in page['value'] if i['resourceId'].lower() == GOOD_IMAGE_ID.lower())


def test_image_delete_then_not_found(api):
    body = _image_body('verify-image-delete', GOOD_IMAGE_ID)
    created = graph_ok(api.graph('POST', IMAGES, body=body), 'post', 201, request_body=body)
    graph_ok(api.graph('DELETE', f'{IMAGES}/{created["id"]}'), 'delete', 204)
    graph_error(api.graph('GET', f'{IMAGES}/{created["id"]}'), 'get', 404)


def test_policy_lifecycle_and_in_use_rules(api, image, anc):
    body = {
        'displayName': 'verify-policy', 'description': 'spec verifier', 'imageType': 'custom', 'imageId': image['id'],
        'imageDisplayName': image['displayName'], 'provisioningType': 'dedicated',
        'domainJoinConfigurations': [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': anc['id']}],
    }
    # Microsoft documents that an ANC can't be assigned to a policy during its first health check: a Graph error
    # envelope (the code is the emulator's choice), then the same body is accepted once the check has finished.
    graph_error(api.graph('POST', POLICIES, body=body), 'post', 400)
    api.advance(SETTLE)
    policy = graph_ok(api.graph('POST', POLICIES, body=body), 'post', 201, request_body=body)
    assert policy['domainJoinConfigurations'][0]['onPremisesConnectionId'] == anc['id']
    try:
        graph_ok(api.graph('GET', f'{POLICIES}/{policy["id"]}'), 'get', 200)
        page = graph_ok(api.graph('GET', POLICIES), 'get', 200)
        assert policy['id'] in {p['id'] for p in page['value']}
        in_use = graph_ok(api.graph('GET', f'{ANCS}/{anc["id"]}', params={'$select': 'id,inUse'}), 'get', 200)
        assert in_use['inUse'] is True
        # In-use objects cannot be deleted; the refusal is a Graph error envelope (status is the emulator's choice).
        refused = api.graph('DELETE', f'{ANCS}/{anc["id"]}')
        assert 400 <= refused.status < 500, refused
        graph_error(refused, 'delete', refused.status)
        refused = api.graph('DELETE', f'{IMAGES}/{image["id"]}')
        assert 400 <= refused.status < 500, refused
        graph_error(refused, 'delete', refused.status)
        # Graph documents 204 No Content for a policy update; the change shows on the next read.
        patch = {'description': 'spec verifier, updated'}
        graph_ok(api.graph('PATCH', f'{POLICIES}/{policy["id"]}', body=patch), 'patch', 204, request_body=patch)
        reread = graph_ok(api.graph('GET', f'{POLICIES}/{policy["id"]}'), 'get', 200)
        assert reread['description'] == 'spec verifier, updated'
        immutable = {'provisioningType': 'shared'}
        graph_error(api.graph('PATCH', f'{POLICIES}/{policy["id"]}', body=immutable), 'patch', 400)
        assign = {'assignments': [{'target': {'@odata.type': 'microsoft.graph.cloudPcManagementGroupAssignmentTarget',
                                              'groupId': '64ff06de-9c00-4a5a-98b5-7f5abe26ffff'}}]}
        graph_ok(api.graph('POST', f'{POLICIES}/{policy["id"]}/assign', body=assign), 'post', 204, request_body=assign)
    finally:
        # Only a policy without assignments can be deleted (Windows 365 "Delete provisioning policies").
        unassign = {'assignments': []}
        graph_ok(api.graph('POST', f'{POLICIES}/{policy["id"]}/assign', body=unassign), 'post', 204, request_body=unassign)
        graph_ok(api.graph('DELETE', f'{POLICIES}/{policy["id"]}'), 'delete', 204)
    graph_error(api.graph('GET', f'{POLICIES}/{policy["id"]}'), 'get', 404)
    not_in_use = graph_ok(api.graph('GET', f'{ANCS}/{anc["id"]}', params={'$select': 'id,inUse'}), 'get', 200)
    assert not_in_use['inUse'] is False


def test_gallery_images_list(api):
    graph_ok(api.graph('GET', f'{VE}/galleryImages'), 'get', 200)


def test_count_annotation_on_lists(api, image):
    for path in (IMAGES, POLICIES, ANCS):
        page = graph_ok(api.graph('GET', path, params={'$count': 'true'}), 'get', 200)
        assert page['@odata.count'] == len(page['value']), page


def test_beta_retry_upload_of_a_failed_image(api):
    """retryUpload is beta-only (not in the v1.0 description): 204 without a body, then a valid pending image."""
    body = _image_body('verify-image-retry', NOT_GENERALIZED_IMAGE_ID)
    created = graph_ok(api.graph('POST', IMAGES, body=body), 'post', 201, request_body=body)
    api.advance(SETTLE)
    retry = api.graph('POST', f'{IMAGES}/{created["id"]}/retryUpload', version='beta')
    assert retry.status == 204 and not retry.text.strip(), retry
    again = graph_ok(api.graph('GET', f'{IMAGES}/{created["id"]}'), 'get', 200)
    assert again['status'] == 'pending' and again['errorCode'] is None
