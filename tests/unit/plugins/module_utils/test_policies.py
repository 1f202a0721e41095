# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provisioning policies: the pure logic (naming template, network resolution, image choice, diffs). No network."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _policies
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

ANC_A = {'id': 'AAAAAAAA-0000-0000-0000-000000000001', 'displayName': 'anc-weu', 'connectionType': 'azureADJoin',
         'healthCheckStatus': 'passed'}
ANC_B = {'id': 'bbbbbbbb-0000-0000-0000-000000000002', 'displayName': 'anc-neu', 'connectionType': 'azureADJoin',
         'healthCheckStatus': 'warning'}
ANC_H = {'id': 'cccccccc-0000-0000-0000-000000000003', 'displayName': 'anc-hybrid',
         'connectionType': 'hybridAzureADJoin', 'healthCheckStatus': 'passed'}
ANC_F = {'id': 'dddddddd-0000-0000-0000-000000000004', 'displayName': 'anc-failed', 'connectionType': 'azureADJoin',
         'healthCheckStatus': 'failed'}
CONNECTIONS = [ANC_A, ANC_B, ANC_H, ANC_F]


# ------------------------------------------------------------------ naming template (the portal's rules)

@pytest.mark.parametrize('template', [
    'CPC-%USERNAME:4%-%RAND:5%',   # 4 + 4 + 1 + 5 = 14
    'CPC%RAND:5%',
    'A-%USERNAME:3%%RAND:10%',     # 15 exactly
    '%rand:5%',                    # macros are case-insensitive
])
def test_naming_templates_the_portal_accepts(template):
    assert _policies.naming_template_problems(template) == []
    assert _policies.validate_naming_template(template) == template


@pytest.mark.parametrize('template, problem', [
    ('CPC-%USERNAME:4%', 'no %RAND:y% macro'),
    ('CPC-%RAND:4%', 'at least 5'),
    ('CPC-%USERNAME:6%-%RAND:5%', 'produces 16 characters'),
    ('CPC %RAND:5%', 'blanks'),
    ('CPC_%RAND:5%', 'letters'),
    ('CPC-%DATE:5%-%RAND:5%', 'unknown macro'),
    ('CPC-50%-%RAND:5%', 'not part of'),
    ('', 'empty'),
])
def test_naming_templates_the_portal_refuses(template, problem):
    problems = _policies.naming_template_problems(template)
    assert any(problem in p for p in problems), problems
    with pytest.raises(W365ConfigError) as err:
        _policies.validate_naming_template(template)
    assert err.value.option == 'naming_template'


def test_policy_name_characters_the_portal_refuses():
    assert _policies.validate_name('cpc standard (weu)') == 'cpc standard (weu)'
    for bad in ('a<b', 'a&b', 'a|b', 'a"b', 'a^b', '   '):
        with pytest.raises(W365ConfigError) as err:
            _policies.validate_name(bad)
        assert err.value.option == 'name'


def test_locale():
    for good in ('en-US', 'de-DE', 'zh-Hans-CN', 'fr'):
        assert _policies.validate_locale(good) == good
    with pytest.raises(W365ConfigError) as err:
        _policies.validate_locale('english')
    assert err.value.option == 'windows_language'


# ------------------------------------------------------------------ network

def test_network_entries_in_order_primary_first_with_alternates():
    entries = _policies.normalize_network([{'anc': 'anc-weu'}, {'anc': 'anc-neu', 'join_type': 'entra_join'}])
    configs, problems = _policies.resolve_network(entries, CONNECTIONS)
    assert problems == []
    assert [c['onPremisesConnectionId'] for c in configs] == [ANC_A['id'], ANC_B['id']]
    assert all(c['domainJoinType'] == 'azureADJoin' and c['regionName'] is None for c in configs)


def test_network_join_type_comes_from_and_must_match_the_connection():
    configs, problems = _policies.resolve_network(_policies.normalize_network([{'anc': 'anc-hybrid'}]), CONNECTIONS)
    assert problems == [] and configs[0]['domainJoinType'] == 'hybridAzureADJoin'
    _configs, problems = _policies.resolve_network(
        _policies.normalize_network([{'anc': 'anc-weu'}, {'anc': 'anc-hybrid', 'join_type': 'entra_join'}]),
        CONNECTIONS)
    assert [p[0] for p in problems] == ['network[1]']
    assert 'hybrid_join connection' in problems[0][1]


def test_network_missing_failed_and_duplicate_connections_are_problems_naming_the_entry():
    dup = dict(ANC_A, id='eeeeeeee-0000-0000-0000-000000000005')
    entries = _policies.normalize_network([{'anc': 'nope'}, {'anc': 'anc-failed'}, {'anc': 'anc-weu'}])
    _configs, problems = _policies.resolve_network(entries, CONNECTIONS + [dup])
    assert [p[0] for p in problems] == ['network[0]', 'network[1]', 'network[2]']
    assert 'does not exist' in problems[0][1]
    assert 'failed its health checks' in problems[1][1]
    assert ANC_A['id'] in problems[2][1] and dup['id'] in problems[2][1]


def test_microsoft_hosted_network():
    entries = _policies.normalize_network([{'region': 'WestEurope', 'region_group': 'EuropeUnion'}])
    configs, problems = _policies.resolve_network(entries, [])
    assert problems == []
    assert configs == [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': None, 'regionName': 'westeurope',
                        'regionGroup': 'europeUnion'}]


@pytest.mark.parametrize('network, option', [
    ([], 'network'),
    ([{}], 'network[0]'),
    ([{'anc': 'x', 'region': 'westeurope'}], 'network[0]'),
    ([{'region': 'westeurope', 'join_type': 'hybrid_join'}], 'network[0]'),
    ([{'region_group': 'atlantis'}], 'network[0]'),
    ([{'anc': 'x'}, {'anc': 'x'}], 'network[1]'),
    ([{'region': 'westeurope'}, {'region': 'northeurope'}], 'network'),
])
def test_bad_network_entries_are_refused_offline(network, option):
    with pytest.raises(W365ConfigError) as err:
        _policies.normalize_network(network)
    assert err.value.option == option


def test_network_compare_is_ordered_and_case_insensitive():
    current = [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': ANC_A['id'].lower(), 'regionName': None,
                'regionGroup': None},
               {'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': ANC_B['id'], 'regionName': None,
                'regionGroup': None}]
    desired, _ = _policies.resolve_network(_policies.normalize_network([{'anc': 'anc-weu'}, {'anc': 'anc-neu'}]),
                                           CONNECTIONS)
    assert _policies.same_network(current, desired)
    assert not _policies.same_network(list(reversed(current)), desired)  # swapping primary and alternate is a change
    assert not _policies.same_network(current[:1], desired)
    # A region group the service filled in is not a difference when the task does not name one.
    hosted = [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': None, 'regionName': 'westeurope',
               'regionGroup': 'europeUnion'}]
    want, _ = _policies.resolve_network(_policies.normalize_network([{'region': 'westeurope'}]), [])
    assert _policies.same_network(hosted, want)


def test_pending_connections_are_named():
    running = dict(ANC_B, healthCheckStatus='running')
    entries = _policies.normalize_network([{'anc': 'anc-weu'}, {'anc': 'anc-neu'}])
    assert _policies.pending_connections(entries, [ANC_A, running]) == ['anc-neu']


# ------------------------------------------------------------------ images

IMAGES = [
    {'id': 'i1', 'displayName': 'win11-corp', 'version': '1.0.0', 'status': 'ready'},
    {'id': 'i2', 'displayName': 'win11-corp', 'version': '1.0.2', 'status': 'ready'},
    {'id': 'i3', 'displayName': 'win11-corp', 'version': '1.0.10', 'status': 'pending'},
    {'id': 'i4', 'displayName': 'win11-broken', 'version': '1.0.0', 'status': 'failed'},
]


def test_custom_image_by_name_and_version_must_be_ready():
    assert _policies.resolve_custom_image(IMAGES, 'WIN11-corp', '1.0.2') == (IMAGES[1], None)
    image, problem = _policies.resolve_custom_image(IMAGES, 'win11-corp', '1.0.10')
    assert image is None and 'pending, not ready' in problem
    image, problem = _policies.resolve_custom_image(IMAGES, 'win11-corp', '2.0.0')
    assert image is None and 'no version 2.0.0' in problem
    image, problem = _policies.resolve_custom_image(IMAGES, 'nope', None)
    assert image is None and 'does not exist' in problem


def test_custom_image_without_version_is_the_highest_ready_one():
    assert _policies.resolve_custom_image(IMAGES, 'win11-corp', None) == (IMAGES[1], None)
    image, problem = _policies.resolve_custom_image(IMAGES, 'win11-broken', None)
    assert image is None and 'no version' in problem


GALLERY = [
    {'id': 'microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365',
     'displayName': 'Windows 11 Enterprise + Microsoft 365 Apps 24H2', 'skuName': 'win11-24h2-ent-cpc-m365',
     'endDate': '2026-10-13', 'expirationDate': '2027-04-13', 'status': 'supported'},
    {'id': 'microsoftwindowsdesktop_windows-ent-cpc_win10-22h2-ent-cpc-m365',
     'displayName': 'Windows 10 Enterprise + Microsoft 365 Apps 22H2', 'skuName': 'win10-22h2-ent-cpc-m365',
     'endDate': '2025-10-14', 'expirationDate': '2026-04-14', 'status': 'supportedWithWarning'},
]


def test_gallery_image_by_display_name_sku_or_id():
    day = datetime.date(2026, 1, 1)
    for name in ('windows 11 enterprise + microsoft 365 apps 24h2', 'win11-24h2-ent-cpc-m365', GALLERY[0]['id']):
        image, warnings, problem = _policies.resolve_gallery_image(GALLERY, name, day, 60)
        assert image is GALLERY[0] and problem is None and warnings == []
    image, _w, problem = _policies.resolve_gallery_image(GALLERY, 'Windows 12', day, 60)
    assert image is None and 'no Windows 365 gallery image' in problem


def test_gallery_image_dates():
    name = GALLERY[1]['skuName']
    # Past its end date: still usable until expiry, with a warning.
    image, warnings, problem = _policies.resolve_gallery_image(GALLERY, name, datetime.date(2026, 1, 1), 60)
    assert image is GALLERY[1] and problem is None and 'end date 2025-10-14' in warnings[0]
    # Past its expiry: refused.
    image, warnings, problem = _policies.resolve_gallery_image(GALLERY, name, datetime.date(2026, 4, 14), 60)
    assert image is None and 'expired on 2026-04-14' in problem
    # Near its end date: warned.
    image, warnings, problem = _policies.resolve_gallery_image(GALLERY, GALLERY[0]['skuName'],
                                                               datetime.date(2026, 9, 1), 60)
    assert image is GALLERY[0] and 'reaches its end date on 2026-10-13' in warnings[0]
    image, warnings, problem = _policies.resolve_gallery_image(GALLERY, GALLERY[0]['skuName'],
                                                               datetime.date(2026, 9, 1), 10)
    assert warnings == []


def test_image_option_checks():
    with pytest.raises(W365ConfigError):
        _policies.validate_image({'type': 'gallery', 'name': 'x', 'version': '1.0.0'})
    with pytest.raises(W365ConfigError):
        _policies.validate_image({'type': 'custom', 'name': 'x', 'version': '1.0'})


# ------------------------------------------------------------------ groups and assignments

def test_groups_ambiguous_missing_and_unsupported():
    g1 = {'id': 'b-2', 'displayName': 'SG', 'securityEnabled': True, 'groupTypes': []}
    g2 = {'id': 'a-1', 'displayName': 'SG', 'securityEnabled': True, 'groupTypes': []}
    assert _policies.match_groups('SG', [g1]) == (g1, None)
    group, problem = _policies.match_groups('SG', [g1, g2])
    assert group is None and 'a-1, b-2' in problem
    group, problem = _policies.match_groups('SG', [])
    assert group is None and 'does not exist' in problem
    dl = {'id': 'c', 'displayName': 'DL', 'securityEnabled': False, 'mailEnabled': True, 'groupTypes': []}
    assert 'neither a security group' in _policies.match_groups('DL', [dl])[1]
    m365 = dict(dl, groupTypes=['Unified'])
    assert _policies.match_groups('DL', [m365]) == (m365, None)


def test_assignment_options():
    with pytest.raises(W365ConfigError) as err:
        _policies.validate_assignments([{'group': 'a'}, {'group': 'A'}], 'dedicated')
    assert err.value.option == 'assignments[1]'
    with pytest.raises(W365ConfigError) as err:
        _policies.validate_assignments([{'group': 'a', 'service_plan_id': None}], 'shared')
    assert 'service_plan_id' in str(err.value)
    sp = '11111111-2222-3333-4444-555555555555'
    assert _policies.validate_assignments([{'group': 'a', 'service_plan_id': sp}], 'shared_by_user')


def test_assignments_compare_as_sets():
    policy = {'assignments': [{'id': 'p_g1', 'target': {'groupId': 'G1'}},
                              {'id': 'p_g2', 'target': {'groupId': 'g2', 'servicePlanId': None}}]}
    assert _policies.assignment_targets(policy) == _policies.desired_targets([('g2', None), ('g1', None)])
    assert _policies.assignment_targets(policy) != _policies.desired_targets([('g1', None)])
    body = _policies.assign_body([('g1', None), ('g2', 'sp')])
    assert body == {'assignments': [
        {'target': {'@odata.type': '#microsoft.graph.cloudPcManagementGroupAssignmentTarget', 'groupId': 'g1'}},
        {'target': {'@odata.type': '#microsoft.graph.cloudPcManagementGroupAssignmentTarget', 'groupId': 'g2',
                    'servicePlanId': 'sp'}}]}
    assert _policies.assign_body([]) == {'assignments': []}


# ------------------------------------------------------------------ desired body and patch

PARAMS = dict(name='cpc', description=None, provisioning_type=None, single_sign_on=None, local_admin=None,
              naming_template=None, windows_language=None, autopatch_group_id=None)

CURRENT = {
    'id': 'p1', 'displayName': 'cpc', 'description': '', 'provisioningType': 'dedicated', 'imageType': 'gallery',
    'imageId': 'MicrosoftWindowsDesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365',
    'imageDisplayName': 'Windows 11 Enterprise + Microsoft 365 Apps 24H2',
    'domainJoinConfigurations': [{'domainJoinType': 'azureADJoin', 'onPremisesConnectionId': ANC_A['id'],
                                  'regionName': None, 'regionGroup': None}],
    'enableSingleSignOn': False, 'localAdminEnabled': False, 'cloudPcNamingTemplate': None,
    'windowsSetting': {'locale': 'en-US'}, 'autopatch': None,
}


def test_omitted_options_send_nothing():
    assert _policies.desired_body(PARAMS) == {'displayName': 'cpc'}
    assert _policies.patch_body(CURRENT, _policies.desired_body(PARAMS)) == {}


def test_patch_holds_only_what_differs():
    params = dict(PARAMS, description='', single_sign_on=True, windows_language='EN-us', naming_template=None)
    image = {'id': CURRENT['imageId'].lower(), 'displayName': 'other wording'}
    desired = _policies.desired_body(params, CURRENT['domainJoinConfigurations'], image, 'gallery')
    assert _policies.patch_body(CURRENT, desired) == {'enableSingleSignOn': True}


def test_patch_of_image_sends_type_id_and_display_name():
    image = {'id': 'custom-id', 'displayName': 'win11-corp'}
    desired = _policies.desired_body(PARAMS, None, image, 'custom')
    assert _policies.patch_body(CURRENT, desired) == {'imageType': 'custom', 'imageId': 'custom-id',
                                                      'imageDisplayName': 'win11-corp'}
    notes = _policies.existing_cloud_pc_notes(_policies.patch_body(CURRENT, desired))
    assert notes and 'existing Cloud PCs keep' in notes[0]


def test_provisioning_type_is_immutable():
    assert _policies.immutable_conflict(CURRENT, dict(PARAMS, provisioning_type='dedicated')) is None
    err = _policies.immutable_conflict(CURRENT, dict(PARAMS, provisioning_type='shared'))
    assert err.option == 'provisioning_type'
    assert _policies.provisioning_type_name('sharedByEntraGroup') == 'shared_by_entra_group'


def test_create_body_has_description_and_type():
    body = _policies.create_body(_policies.desired_body(PARAMS))
    assert body['description'] == '' and body['provisioningType'] == 'dedicated'


def test_result_names_connections_and_groups():
    policy = dict(CURRENT, assignments=[{'id': 'x', 'target': {'groupId': 'G1'}}])
    result = _policies.to_result(policy, {ANC_A['id'].lower(): 'anc-weu'}, {'g1': 'SG-Users'})
    assert result['network'] == [{'anc': 'anc-weu', 'anc_id': ANC_A['id'], 'join_type': 'entra_join',
                                  'region': None, 'region_group': None}]
    assert result['assignments'] == [{'group_id': 'G1', 'group_name': 'SG-Users', 'service_plan_id': None}]
    assert result['windows_language'] == 'en-US' and result['provisioning_type'] == 'dedicated'
    assert set(_policies.diff_view(result)) == set(_policies.DIFF_KEYS)
