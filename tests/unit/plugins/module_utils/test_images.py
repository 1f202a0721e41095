"""Pure logic of custom device images: validation, identity, plans, error explanations, result mapping."""

from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _images
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

SUB = '11111111-2222-3333-4444-555555555555'
SRC = '/subscriptions/%s/resourceGroups/rg-images/providers/Microsoft.Compute/images/win11-golden' % SUB


def graph_image(**overrides):
    image = {
        'id': 'img-1',
        'displayName': 'Win11 Golden',
        'version': '1.0.0',
        'sourceImageResourceId': SRC,
        'status': 'ready',
        'errorCode': None,
        'operatingSystem': 'Windows 11 Enterprise',
        'osBuildNumber': '22631',
        'osStatus': 'supported',
        'expirationDate': '2028-11-22',
        'lastModifiedDateTime': '2026-11-22T04:00:00Z',
    }
    image.update(overrides)
    return image


@pytest.mark.parametrize('version', ['0.0.1', '1.5.13', '10.0.22631', '0.0.0'])
def test_valid_versions(version):
    assert _images.validate_version(version) == version


@pytest.mark.parametrize('version', [None, '', '1', '1.0', '1.0.0.0', 'v1.0.0', '1.0.x', '01.0.0', '1.-1.0',
                                     ' 1.0.0', '1.0.0 ', '1.0.0\n'])
def test_invalid_versions_name_the_option(version):
    with pytest.raises(W365ConfigError) as info:
        _images.validate_version(version)
    assert info.value.option == 'version'
    assert 'Major.Minor.Patch' in str(info.value)


def test_managed_image_id_is_parsed():
    parsed = _images.parse_source_image_id(SRC.upper().replace('/SUBSCRIPTIONS/', '/subscriptions/'))
    assert parsed['subscription_id'] == SUB
    assert parsed['resource_group'] == 'RG-IMAGES'
    assert parsed['name'] == 'WIN11-GOLDEN'


GALLERY = ('/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0'
           % SUB)


def test_gallery_image_version_is_accepted_and_goes_to_beta():
    """Issue 14.3: Microsoft's device images page accepts an Azure Compute Gallery image version (preview)."""
    parsed = _images.parse_source_image_id(GALLERY)
    assert parsed['kind'] == _images.GALLERY_IMAGE_VERSION
    assert (parsed['gallery'], parsed['definition'], parsed['version']) == ('g', 'd', '1.0.0')
    assert parsed['definition_id'] == GALLERY.rsplit('/versions/', 1)[0]
    assert _images.graph_version_for(parsed) == 'beta'
    assert [p for p, _v in _images.source_reads(parsed)] == [GALLERY, parsed['definition_id']]
    assert _images.graph_version_for(_images.parse_source_image_id(SRC)) == 'v1.0'


@pytest.mark.parametrize('bad', [GALLERY.replace('/versions/1.0.0', '/versions/latest'),
                                 GALLERY.rsplit('/versions/', 1)[0],
                                 GALLERY.rsplit('/images/', 1)[0]])
def test_gallery_ids_without_one_version_are_refused(bad):
    with pytest.raises(W365ConfigError) as info:
        _images.parse_source_image_id(bad)
    assert info.value.option == 'source_image_id'
    assert 'version' in str(info.value)


def _managed(os_state='Generalized', generation='V2', os_type='Windows', size=64, data_disks=0):
    props = {'storageProfile': {'osDisk': {'osType': os_type, 'osState': os_state, 'diskSizeGB': size},
                                'dataDisks': [{'lun': n} for n in range(data_disks)]}}
    if generation:
        props['hyperVGeneration'] = generation
    return {'properties': props}


def _problems(doc, max_gb=64):
    facts = _images.source_facts(_images.parse_source_image_id(SRC), [doc])
    return [p['requirement'] for p in _images.requirement_problems(facts, max_gb)]


def test_a_good_managed_image_meets_the_requirements():
    assert _problems(_managed()) == []


@pytest.mark.parametrize('doc, expected', [
    (_managed(os_state='Specialized'), ['generalized']),
    (_managed(generation='V1'), ['generation_2']),
    (_managed(generation=None), ['generation_2']),  # Azure's default for an image without hyperVGeneration is V1
    (_managed(os_type='Linux'), ['windows']),
    (_managed(data_disks=2), ['no_data_disks']),
    (_managed(size=127), ['os_disk_size']),
    (_managed(os_state='Specialized', generation='V1', size=512), ['generalized', 'generation_2', 'os_disk_size']),
])
def test_each_broken_requirement_is_named(doc, expected):
    assert _problems(doc) == expected


def test_the_os_disk_limit_is_an_option():
    assert _problems(_managed(size=127), max_gb=128) == []


def test_gallery_facts_come_from_the_version_and_its_definition():
    source = _images.parse_source_image_id(GALLERY)
    version = {'properties': {'storageProfile': {'osDiskImage': {'sizeInGB': 64}, 'dataDiskImages': [{'lun': 0}]}}}
    definition = {'properties': {'osType': 'Windows', 'osState': 'Specialized', 'hyperVGeneration': 'V2'}}
    facts = _images.source_facts(source, [version, definition])
    assert [p['requirement'] for p in _images.requirement_problems(facts)] == ['generalized', 'no_data_disks']
    message = _images.requirements_message(source, _images.requirement_problems(facts))
    assert GALLERY in message and 'sysprep' in message


@pytest.mark.parametrize('bad', [None, '', 'win11-golden', '/subscriptions/not-a-guid/resourceGroups/rg/providers/'
                                 'Microsoft.Compute/images/x', SRC + '/extra',
                                 SRC.replace('Microsoft.Compute/images', 'Microsoft.Compute/disks')])
def test_bad_source_ids_are_refused(bad):
    with pytest.raises(W365ConfigError) as info:
        _images.parse_source_image_id(bad)
    assert info.value.option == 'source_image_id'


def test_identity_is_name_case_insensitive_and_version_numeric():
    images = [graph_image(id='a', version='1.0.0'), graph_image(id='b', version='1.1.0'),
              graph_image(id='c', displayName='Other', version='1.1.0')]
    assert _images.find_image(images, 'win11 golden', '1.1.0')['id'] == 'b'
    assert _images.find_image(images, 'Win11 Golden', '2.0.0') is None
    assert _images.find_image(images, 'Win11', '1.0.0') is None
    assert [i['id'] for i in _images.find_images(images, name='WIN11 GOLDEN')] == ['a', 'b']
    assert [i['id'] for i in _images.find_images(images, version='1.1.0')] == ['b', 'c']
    assert len(_images.find_images(images)) == 3


def test_same_source_compares_ids_case_insensitively():
    assert _images.same_source(SRC, SRC.lower() + '/')
    assert not _images.same_source(SRC, SRC.replace('win11-golden', 'win11-other'))


def test_immutable_conflict_says_to_raise_the_version():
    other = SRC.replace('win11-golden', 'win11-other')
    message = _images.immutable_conflict(graph_image(version='1.4.2'), other)
    assert 'Raise version' in message
    assert '1.4.3' in message
    assert other in message
    assert _images.immutable_conflict(graph_image(), SRC.lower()) is None


@pytest.mark.parametrize('current,state,retry,expected', [
    (None, 'present', False, 'create'),
    ({'status': 'pending'}, 'present', False, 'wait'),
    ({'status': 'ready'}, 'present', False, 'ready'),
    ({'status': 'failed'}, 'present', False, 'failed'),
    ({'status': 'failed'}, 'present', True, 'retry'),
    ({'status': 'ready', 'sourceImageResourceId': SRC + 'x'}, 'present', True, 'conflict'),
    ({'status': 'ready'}, 'absent', False, 'delete'),
    (None, 'absent', False, 'absent'),
])
def test_plan(current, state, retry, expected):
    if current is not None:
        current = graph_image(**current)
    assert _images.plan(current, SRC, state, retry) == expected


@pytest.mark.parametrize('code', sorted(_images.ERROR_CODES))
def test_every_known_code_has_explanation_and_remedy_whatever_its_case(code):
    for spelled in (code, code.upper(), code.swapcase()):
        error = _images.explain_error(spelled)
        assert error['known'] is True
        assert error['code'] == spelled
        assert error['explanation'] and error['remedy']


def test_both_published_spellings_of_vm_already_joined_are_known():
    assert _images.explain_error('vmAlreadyAzureAdJoined')['known']
    assert _images.explain_error('vmAlreadyAzureAdjoined')['known']


def test_every_code_of_the_published_enum_is_explained():
    enum = ['internalServerError', 'sourceImageNotFound', 'osVersionNotSupported', 'sourceImageInvalid',
            'sourceImageNotGeneralized', 'unknownFutureValue', 'vmAlreadyAzureAdJoined',
            'paidSourceImageNotSupport', 'sourceImageNotSupportCustomizeVMName',
            'sourceImageSizeExceedsLimitation']
    assert all(_images.explain_error(code)['known'] for code in enum)


def test_specific_remedies():
    assert 'sysprep' in _images.explain_error('SOURCEIMAGENOTGENERALIZED')['remedy']
    remedy = _images.explain_error('osVersionNotSupported')['remedy']
    assert 'Enterprise' in remedy and 'Generation 2' in remedy
    assert 'Reader' in _images.explain_error('sourceImageNotFound')['remedy']
    assert '64 GB' in _images.explain_error('sourceImageSizeExceedsLimitation')['remedy']


def test_unknown_code_is_passed_through():
    error = _images.explain_error('brandNewReason')
    assert error == {'code': 'brandNewReason', 'known': False, 'explanation': None, 'remedy': None}
    assert 'brandNewReason' in _images.failure_message(graph_image(status='failed', errorCode='brandNewReason'))
    assert _images.explain_error(None) is None


def test_failure_message_carries_code_explanation_and_remedy():
    message = _images.failure_message(graph_image(status='failed', errorCode='sourceImageNotGeneralized'))
    assert 'sourceImageNotGeneralized' in message
    assert 'img-1' in message
    assert 'sysprep' in message


def test_to_result_maps_every_field():
    result = _images.to_result(graph_image(status='failed', errorCode='osVersionNotSupported'))
    assert result == {
        'id': 'img-1', 'name': 'Win11 Golden', 'version': '1.0.0', 'source_image_id': SRC, 'status': 'failed',
        'error_code': 'osVersionNotSupported',
        'error_explanation': _images.ERROR_CODES['osversionnotsupported'][0],
        'error_remedy': _images.ERROR_CODES['osversionnotsupported'][1],
        'operating_system': 'Windows 11 Enterprise', 'os_build_number': '22631', 'os_status': 'supported',
        'expiration_date': '2028-11-22', 'last_modified': '2026-11-22T04:00:00Z',
    }
    assert _images.to_result(None) == {}
    assert _images.to_result(graph_image())['error_explanation'] is None


def test_create_body_and_prediction():
    assert _images.create_body('n', '1.0.0', SRC) == {
        'displayName': 'n', 'version': '1.0.0', 'sourceImageResourceId': SRC}
    assert _images.predicted_upload('n', '1.0.0', SRC)['status'] == 'pending'


def test_policies_using_only_counts_custom_policies_pointing_at_the_image():
    policies = [
        {'id': 'p1', 'displayName': 'Sales', 'imageType': 'custom', 'imageId': 'IMG-1'},
        {'id': 'p2', 'displayName': 'Gallery', 'imageType': 'gallery', 'imageId': 'img-1'},
        {'id': 'p3', 'displayName': 'Other', 'imageType': 'custom', 'imageId': 'img-2'},
    ]
    using = _images.policies_using(policies, 'img-1')
    assert [p['id'] for p in using] == ['p1']
    message = _images.in_use_message(graph_image(), using)
    assert "'Sales'" in message and 'p1' in message


def test_source_image_mapping():
    assert _images.source_image_to_result({
        'resourceId': SRC, 'displayName': 'win11-golden', 'subscriptionId': SUB,
        'subscriptionDisplayName': 'Prod'}) == {
        'resource_id': SRC, 'name': 'win11-golden', 'subscription_id': SUB, 'subscription_name': 'Prod', 'category': 'managedImage'}
