# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of w365_anc: validation, join types, minimal PATCH, result and health-check shaping."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _anc
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

SUB = '11111111-2222-3333-4444-555555555555'
RG = '/subscriptions/%s/resourceGroups/rg-cpc' % SUB
VNET = RG + '/providers/Microsoft.Network/virtualNetworks/vnet-cpc'
SUBNET = VNET + '/subnets/cloudpcs'
TARGET = SimpleNamespace(subscription_id=SUB, resource_group_id=RG, virtual_network_id=VNET, subnet_id=SUBNET)


def hybrid_params(**overrides):
    params = dict(name='anc-hybrid', state='present', join_type='hybrid_join', subscription_id=SUB,
                  resource_group='rg-cpc', virtual_network='vnet-cpc', subnet='cloudpcs',
                  ad_domain_name='corp.contoso.com', ad_domain_username='svcjoin@corp.contoso.com',
                  ad_domain_password='S3cret!pw', organizational_unit='OU=CloudPCs,DC=corp,DC=contoso,DC=com',
                  wait_timeout=1800, anc_limit=50)
    params.update(overrides)
    return params


def graph_obj(**overrides):
    obj = {
        'id': 'c0ffee00-0000-0000-0000-000000000001', 'displayName': 'anc-hybrid',
        'connectionType': 'hybridAzureADJoin', 'subscriptionId': SUB, 'subscriptionName': 'Sub',
        'resourceGroupId': RG, 'virtualNetworkId': VNET, 'subnetId': SUBNET, 'virtualNetworkLocation': 'westeurope',
        'adDomainName': 'corp.contoso.com', 'adDomainUsername': 'svcjoin@corp.contoso.com',
        'organizationalUnit': 'OU=CloudPCs,DC=corp,DC=contoso,DC=com', 'healthCheckStatus': 'passed', 'inUse': False,
    }
    obj.update(overrides)
    return obj


class TestJoinTypes:
    @pytest.mark.parametrize('option,graph', [('entra_join', 'azureADJoin'), ('hybrid_join', 'hybridAzureADJoin')])
    def test_round_trip(self, option, graph):
        assert _anc.join_type_to_graph(option) == graph
        assert _anc.join_type_from_graph(graph) == option

    def test_graph_value_compared_case_insensitively(self):
        assert _anc.join_type_from_graph('AzureAdJoin') == 'entra_join'

    def test_unknown_graph_value_passes_through(self):
        assert _anc.join_type_from_graph('unknownFutureValue') == 'unknownFutureValue'
        assert _anc.join_type_from_graph(None) is None

    def test_unknown_option_names_option(self):
        with pytest.raises(W365ConfigError) as err:
            _anc.join_type_to_graph('domain_join')
        assert err.value.option == 'join_type'


class TestUpn:
    @pytest.mark.parametrize('value', ['svcjoin@corp.contoso.com', 'first.last@contoso.com', 'a-b_c@x-y.co'])
    def test_valid(self, value):
        _anc.validate_upn(value)

    @pytest.mark.parametrize('value', ['dcadmin', 'CORP\\svcjoin', 'a@b@c.com', '@corp.com', 'user@corp',
                                       'user@-corp.com', 'us er@corp.com', '.user@corp.com', 'user@corp..com'])
    def test_invalid_names_option_and_fix(self, value):
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_upn(value)
        assert err.value.option == 'ad_domain_username'
        assert 'svcDomainJoin@corp.contoso.com' in str(err.value)


class TestOrganizationalUnit:
    @pytest.mark.parametrize('value', [
        'OU=CloudPCs,DC=corp,DC=contoso,DC=com',
        'ou=Cloud PCs, ou=Devices, dc=corp, dc=com',
        'OU=Sales\\, EMEA,DC=corp,DC=com',
        'CN=Computers,DC=corp,DC=com',
    ])
    def test_valid(self, value):
        _anc.validate_organizational_unit(value)

    @pytest.mark.parametrize('value', [
        'CloudPCs', 'corp.contoso.com/CloudPCs', 'OU=CloudPCs', 'DC=corp,DC=com', 'OU=CloudPCs,,DC=corp',
        'OU=,DC=corp,DC=com', 'OU=A,DC=corp,OU=B,DC=com', 'OU=A\\', 'OU=A,DC=corp,XX=1', '=A,DC=corp',
    ])
    def test_invalid(self, value):
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_organizational_unit(value)
        assert err.value.option == 'organizational_unit'
        assert 'OU=CloudPCs,DC=corp,DC=contoso,DC=com' in str(err.value)

    def test_split_keeps_escaped_comma(self):
        assert _anc.split_dn('OU=Sales\\, EMEA,DC=corp') == [('OU', 'Sales\\, EMEA'), ('DC', 'corp')]

    def test_dn_domain(self):
        assert _anc.dn_domain('OU=X,DC=Corp,DC=Contoso,DC=com') == 'corp.contoso.com'


class TestValidateOptions:
    def test_good_hybrid_passes_without_warnings(self):
        assert _anc.validate_options(hybrid_params()) == []

    @pytest.mark.parametrize('option', _anc.HYBRID_ONLY_OPTIONS)
    def test_hybrid_field_with_entra_join(self, option):
        params = dict(name='a', state='present', join_type='entra_join')
        params[option] = hybrid_params()[option]
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_options(params)
        assert err.value.option == option
        assert 'hybrid_join' in str(err.value)

    def test_bad_domain_name(self):
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_options(hybrid_params(ad_domain_name='corp'))
        assert err.value.option == 'ad_domain_name'

    def test_too_long_domain(self):
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_options(hybrid_params(ad_domain_name=('a' * 60 + '.') * 5 + 'com'))
        assert err.value.option == 'ad_domain_name'

    def test_ou_outside_domain_is_a_warning(self):
        warnings = _anc.validate_options(hybrid_params(organizational_unit='OU=X,DC=other,DC=com'))
        assert len(warnings) == 1 and 'outside ad_domain_name' in warnings[0]

    @pytest.mark.parametrize('option,value', [('name', '  '), ('name', 'x' * 300), ('wait_timeout', 0),
                                              ('anc_limit', 0), ('ad_domain_password', '')])
    def test_bad_values(self, option, value):
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_options(hybrid_params(**{option: value}))
        assert err.value.option == option

    def test_absent_skips_field_checks(self):
        assert _anc.validate_options(dict(name='a', state='absent', ad_domain_username='bad')) == []

    def test_error_never_contains_password(self):
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_options(dict(name='a', join_type='entra_join', ad_domain_password='S3cret!pw'))
        assert 'S3cret' not in str(err.value)


class TestAgainstCurrent:
    def test_join_type_change_refused(self):
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_against_current({'join_type': 'entra_join'}, graph_obj())
        assert err.value.option == 'join_type'
        assert 'does not allow changing the join type' in str(err.value)

    def test_same_join_type_ok(self):
        _anc.validate_against_current({'join_type': 'hybrid_join'}, graph_obj())

    def test_hybrid_fields_on_existing_entra_connection(self):
        with pytest.raises(W365ConfigError) as err:
            _anc.validate_against_current({'organizational_unit': 'OU=A,DC=b,DC=c'},
                                          graph_obj(connectionType='azureADJoin'))
        assert err.value.option == 'organizational_unit'


class TestMissingForCreate:
    def test_entra_complete(self):
        assert _anc.missing_for_create(dict(join_type='entra_join'), TARGET) == []

    def test_entra_without_network(self):
        assert _anc.missing_for_create(dict(join_type='entra_join'), None) == [
            'subscription_id', 'resource_group', 'subnet']

    def test_subnet_without_resource_group(self):
        target = SimpleNamespace(subscription_id=SUB, resource_group_id=None, virtual_network_id=VNET,
                                 subnet_id=SUBNET)
        assert _anc.missing_for_create(dict(join_type='entra_join'), target) == ['resource_group']

    def test_hybrid(self):
        assert _anc.missing_for_create(hybrid_params(ad_domain_password=None, ad_domain_name=''), TARGET) == [
            'ad_domain_name', 'ad_domain_password']

    def test_nothing(self):
        assert _anc.missing_for_create(dict(name='a'), None)[0] == 'join_type'


class TestResolveTarget:
    def test_names(self):
        target = _anc.resolve_target(dict(subscription_id=SUB, resource_group='rg-cpc', virtual_network='vnet-cpc',
                                          subnet='cloudpcs'))
        assert tuple(target) == (SUB, RG, VNET, SUBNET)

    def test_nothing_given(self):
        assert _anc.resolve_target(dict(name='x')) is None

    def test_vnet_in_other_resource_group(self):
        target = _anc.resolve_target(dict(subscription_id=SUB, resource_group='rg-cpc',
                                          virtual_network_resource_group='rg-hub', virtual_network='vnet-hub',
                                          subnet='s1'))
        assert target.resource_group_id == RG
        assert target.subnet_id == '/subscriptions/%s/resourceGroups/rg-hub/providers/Microsoft.Network/' \
                                   'virtualNetworks/vnet-hub/subnets/s1' % SUB

    def test_subnet_id_with_resource_group_name_and_no_subscription(self):
        hub_subnet = '/subscriptions/%s/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/v/subnets/s' % SUB
        target = _anc.resolve_target(dict(resource_group='rg-cpc', subnet=hub_subnet))
        assert tuple(target) == (SUB, RG, hub_subnet.rsplit('/subnets/', 1)[0], hub_subnet)

    def test_two_subscriptions_refused(self):
        other = '/subscriptions/99999999-2222-3333-4444-555555555555/resourceGroups/r/providers/' \
                'Microsoft.Network/virtualNetworks/v/subnets/s'
        with pytest.raises(W365ConfigError) as err:
            _anc.resolve_target(dict(resource_group=RG, subnet=other))
        # The one resolver names the option whose ID brought the second subscription (w365_role_grant did too).
        assert err.value.option == 'resource_group'

    def test_subnet_name_on_existing_connection_uses_its_vnet(self):
        target = _anc.resolve_target(dict(subnet='other'), graph_obj())
        assert target.subnet_id == VNET + '/subnets/other' and target.resource_group_id is None
        assert target.subscription_id == SUB

    def test_subnet_name_on_create_needs_vnet(self):
        with pytest.raises(W365ConfigError) as err:
            _anc.resolve_target(dict(subscription_id=SUB, subnet='other'))
        assert err.value.option in ('virtual_network', 'resource_group')

    @pytest.mark.parametrize('option,value', [
        ('subnet', '/subscriptions/%s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v' % SUB),
        ('virtual_network', '/subscriptions/not-a-guid/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v'),
        ('resource_group', '/subscriptions/%s/resourceGroups' % SUB),
        ('subscription_id', 'my-subscription'),
        ('subnet', 'bad name!'),
    ])
    def test_malformed_ids_name_the_option(self, option, value):
        params = dict(subscription_id=SUB, resource_group='rg-cpc', virtual_network='vnet-cpc', subnet='cloudpcs')
        params[option] = value
        if option == 'virtual_network':
            params.update(subscription_id=None, resource_group=None, subnet='s')
        with pytest.raises(W365ConfigError) as err:
            _anc.resolve_target(params)
        assert err.value.option == option


class TestNetworkConsistency:
    def test_consistent(self):
        _anc.check_network_consistency(graph_obj())

    def test_subnet_outside_new_vnet(self):
        with pytest.raises(W365ConfigError) as err:
            other_vnet = RG + '/providers/Microsoft.Network/virtualNetworks/other'
            _anc.check_network_consistency(graph_obj(virtualNetworkId=other_vnet))
        assert err.value.option == 'subnet'

    def test_subscription_change_alone(self):
        with pytest.raises(W365ConfigError) as err:
            _anc.check_network_consistency(graph_obj(subscriptionId='99999999-2222-3333-4444-555555555555'))
        assert err.value.option == 'resource_group'


class TestBodies:
    def test_create_hybrid(self):
        body = _anc.create_body(hybrid_params(), TARGET)
        assert body == {
            'displayName': 'anc-hybrid', 'connectionType': 'hybridAzureADJoin', 'subscriptionId': SUB,
            'resourceGroupId': RG, 'virtualNetworkId': VNET, 'subnetId': SUBNET, 'adDomainName': 'corp.contoso.com',
            'adDomainUsername': 'svcjoin@corp.contoso.com', 'adDomainPassword': 'S3cret!pw',
            'organizationalUnit': 'OU=CloudPCs,DC=corp,DC=contoso,DC=com'}

    def test_create_entra_has_no_ad_fields(self):
        body = _anc.create_body(dict(name='e', join_type='entra_join'), TARGET)
        assert body['connectionType'] == 'azureADJoin'
        assert not any(key.startswith('adDomain') or key == 'organizationalUnit' for key in body)

    def test_predicted_created_drops_password(self):
        predicted = _anc.predicted_created(_anc.create_body(hybrid_params(), TARGET))
        assert 'adDomainPassword' not in predicted and predicted['healthCheckStatus'] == 'pending'

    def test_nothing_differs(self):
        assert _anc.patch_body(graph_obj(), _anc.desired_body(hybrid_params(), TARGET)) == {}

    def test_ids_and_names_compare_case_insensitively(self):
        target = SimpleNamespace(subscription_id=SUB.upper(), resource_group_id=RG.upper(),
                                 virtual_network_id=VNET.lower(), subnet_id=SUBNET.upper())
        params = hybrid_params(ad_domain_name='CORP.contoso.com.', ad_domain_username='SvcJoin@Corp.Contoso.com',
                               organizational_unit='ou=cloudpcs, dc=corp, dc=contoso, dc=com')
        assert _anc.patch_body(graph_obj(), _anc.desired_body(params, target)) == {}

    def test_only_differences_are_patched(self):
        new_subnet = VNET + '/subnets/other'
        target = SimpleNamespace(subscription_id=SUB, resource_group_id=RG, virtual_network_id=VNET,
                                 subnet_id=new_subnet)
        params = hybrid_params(organizational_unit='OU=New,DC=corp,DC=contoso,DC=com')
        patch = _anc.patch_body(graph_obj(), _anc.desired_body(params, target))
        assert patch == {'subnetId': new_subnet, 'organizationalUnit': 'OU=New,DC=corp,DC=contoso,DC=com'}

    def test_omitted_options_are_left_alone(self):
        patch = _anc.patch_body(graph_obj(), _anc.desired_body({'name': 'anc-hybrid'}, None))
        assert patch == {}

    def test_rename_by_case_is_a_change(self):
        assert _anc.patch_body(graph_obj(), {'displayName': 'ANC-Hybrid'}) == {'displayName': 'ANC-Hybrid'}

    def test_value_set_where_service_has_null(self):
        patch = _anc.patch_body(graph_obj(organizationalUnit=None), {'organizationalUnit': 'OU=A,DC=b,DC=c'})
        assert patch == {'organizationalUnit': 'OU=A,DC=b,DC=c'}

    def test_password_and_join_type_never_patched(self):
        assert _anc.patch_body(graph_obj(), {'adDomainPassword': 'x', 'connectionType': 'azureADJoin'}) == {}

    def test_apply_patch(self):
        after = _anc.apply_patch(graph_obj(), {'subnetId': 'x'})
        assert after['subnetId'] == 'x' and after['displayName'] == 'anc-hybrid'


class TestLookupHelpers:
    def test_quotes_doubled(self):
        assert _anc.name_filter("Bob's ANC") == "displayName eq 'Bob''s ANC'"

    def test_match_name_is_exact(self):
        items = [{'displayName': 'anc'}, {'displayName': 'ANC'}, {'displayName': 'anc-2'}]
        assert _anc.match_name(items, 'anc') == [{'displayName': 'anc'}]

    def test_duplicate_message_lists_ids(self):
        msg = _anc.duplicate_name_message('anc', [{'id': 'a'}, {'id': 'b'}])
        assert 'a, b' in msg and '2 Azure network connections' in msg

    def test_policies_using(self):
        anc_id = 'C0FFEE00-0000-0000-0000-000000000001'
        policies = [
            {'displayName': 'Zeta', 'domainJoinConfigurations': [{'onPremisesConnectionId': anc_id.lower()}]},
            {'displayName': 'alpha', 'domainJoinConfigurations': [
                {'regionName': 'westeurope'}, {'onPremisesConnectionId': anc_id}]},
            {'displayName': 'legacy', 'domainJoinConfiguration': {'onPremisesConnectionId': anc_id}},
            {'displayName': 'other', 'domainJoinConfigurations': [{'onPremisesConnectionId': 'x'}]},
            {'displayName': 'empty', 'domainJoinConfigurations': None},
        ]
        assert _anc.policies_using(policies, anc_id) == ['alpha', 'legacy', 'Zeta']

    def test_in_use_message(self):
        assert 'P1, P2' in _anc.in_use_message('anc', ['P1', 'P2'])
        unknown = _anc.in_use_message('anc', [])
        assert 'none of these could be named' in unknown and 'Cloud PC' in unknown and 'disaster recovery' in unknown

    def test_cloud_pcs_and_user_settings_using(self):
        anc_id = 'C0FFEE00-0000-0000-0000-000000000001'
        pcs = [{'displayName': 'CPC-b', 'onPremisesConnectionName': 'ANC-weu'},
               {'displayName': 'CPC-a', 'onPremisesConnectionName': 'anc-weu'},
               {'displayName': 'CPC-x', 'onPremisesConnectionName': 'anc-neu'},
               {'displayName': 'CPC-none', 'onPremisesConnectionName': None}]
        assert _anc.cloud_pcs_using(pcs, 'anc-weu') == ['CPC-a', 'CPC-b']
        settings = [
            {'displayName': 'DR', 'crossRegionDisasterRecoverySetting': {'disasterRecoveryNetworkSetting': {
                '@odata.type': '#microsoft.graph.cloudPcDisasterRecoveryAzureConnectionSetting',
                'onPremisesConnectionId': anc_id.lower()}}},
            {'displayName': 'hosted', 'crossRegionDisasterRecoverySetting': {'disasterRecoveryNetworkSetting': {
                'regionName': 'westus', 'regionGroup': 'usEast'}}},
            {'displayName': 'off', 'crossRegionDisasterRecoverySetting': None},
            {'displayName': 'old'},
        ]
        assert _anc.user_settings_using(settings, anc_id) == ['DR']

    def test_in_use_message_names_every_blocker_and_its_remedy(self):
        blockers = {'provisioning_policies': ['Pol'], 'cloud_pcs': ['CPC-%02d' % i for i in range(12)],
                    'user_settings': ['DR Europe'], 'unreadable': ['Cloud PC user settings (HTTP 403 Forbidden)']}
        msg = _anc.in_use_message('anc-weu', blockers)
        assert 'provisioning policies (also as an alternate connection): Pol' in msg
        assert '12 Cloud PCs: CPC-00' in msg and 'and 2 more' in msg and 'CPC-11' not in msg
        assert 'user settings: DR Europe' in msg and 'deprovision' in msg
        assert 'could not list: Cloud PC user settings (HTTP 403 Forbidden)' in msg

    def test_blockers_from_reads_each_list_once_and_reports_refusals(self):
        from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError

        calls = []

        class Graph:
            def list(self, path, params=None, version='v1.0'):
                calls.append((path.rsplit('/', 1)[-1], version))
                if path.endswith('userSettings'):
                    raise W365ApiError(403, 'Forbidden', 'no')
                if path.endswith('cloudPCs'):
                    return [{'displayName': 'CPC-1', 'onPremisesConnectionName': 'anc'}]
                return []

        conns = [{'id': 'a', 'name': 'anc', 'in_use': True}, {'id': 'b', 'name': 'free', 'in_use': False}]
        _anc.describe_use(Graph(), conns)
        assert calls == [('provisioningPolicies', 'v1.0'), ('cloudPCs', 'v1.0'), ('userSettings', 'beta')]
        assert conns[0]['in_use_by']['cloud_pcs'] == ['CPC-1'] and conns[1]['in_use_by'] is None
        assert conns[0]['in_use_by']['unreadable'] == ['Cloud PC user settings (HTTP 403 Forbidden)']
        calls[:] = []
        _anc.describe_use(Graph(), [{'id': 'b', 'name': 'free', 'in_use': False}])
        assert calls == []


class TestResults:
    def test_to_result(self):
        detail = {'startDateTime': '2026-01-01T00:00:00Z', 'endDateTime': '2026-01-01T00:30:00Z', 'healthChecks': [
            {'displayName': 'Azure subnet IP address usage', 'status': 'passed', 'errorType': None},
            {'displayName': 'Azure virtual network readiness', 'status': 'failed',
             'errorType': 'somethingMicrosoftAddsNext', 'recommendedAction': 'Fix it', 'additionalDetail': 'x',
             'correlationId': 'c', 'startDateTime': 's', 'endDateTime': 'e'}]}
        result = _anc.to_result(graph_obj(healthCheckStatus='failed', healthCheckStatusDetail=detail))
        assert result['join_type'] == 'hybrid_join' and result['name'] == 'anc-hybrid'
        assert result['subnet_id'] == SUBNET and result['in_use'] is False
        assert result['health_check_end_date_time'] == '2026-01-01T00:30:00Z'
        assert result['health_checks'][1] == {
            'name': 'Azure virtual network readiness', 'status': 'failed', 'error_type': 'somethingMicrosoftAddsNext',
            'explanation': None, 'remedy': None, 'recommended_action': 'Fix it', 'additional_detail': 'x', 'correlation_id': 'c',
            'start_date_time': 's', 'end_date_time': 'e'}
        assert _anc.failed_checks(result) == [result['health_checks'][1]]
        msg = _anc.unhealthy_message(result)
        assert 'Azure virtual network readiness: somethingMicrosoftAddsNext' in msg and 'Fix it' in msg
        assert 'subnet IP' not in msg

    def test_beta_additional_details(self):
        assert _anc.shape_health_check({'additionalDetails': 'd'})['additional_detail'] == 'd'

    def test_no_password_key_in_result(self):
        result = _anc.to_result(dict(graph_obj(), adDomainPassword='S3cret!pw'))
        assert 'S3cret!pw' not in repr(result)

    def test_diff_view(self):
        view = _anc.diff_view(_anc.to_result(graph_obj()), password_sent=True)
        assert view['ad_domain_password'] == '(set)' and 'health_checks' not in view
        assert _anc.diff_view(None) == {}

    def test_checks_done(self):
        assert not _anc.checks_done({'healthCheckStatus': 'running'})
        assert not _anc.checks_done({'healthCheckStatus': 'pending'})
        assert _anc.checks_done({'healthCheckStatus': 'warning'})
        assert _anc.checks_done(None)

    def test_unhealthy_without_details(self):
        assert 'without details' in _anc.unhealthy_message({'name': 'a', 'health_checks': []})


@pytest.mark.parametrize('status, method', [
    ('passed', _anc.ROTATION_ACTION), ('warning', _anc.ROTATION_ACTION), ('informational', _anc.ROTATION_ACTION),
    ('failed', _anc.ROTATION_PATCH), ('pending', _anc.ROTATION_PATCH), (None, _anc.ROTATION_PATCH),
])
def test_password_rotation_uses_the_action_only_on_a_successful_connection(status, method):
    """Issue 14.5: updateAdDomainPassword is documented for a successful connection; otherwise PATCH."""
    assert _anc.password_rotation_method({'healthCheckStatus': status}) == method


def test_the_403_hint_names_only_auth_methods_and_options_that_exist():
    """Issue 14.7: the app-only refusal hint must not send users to an auth_method the collection lacks."""
    import re

    from ansible_collections.w365.cloudpc.plugins.doc_fragments.auth import ModuleDocFragment
    from ansible_collections.w365.cloudpc.plugins.module_utils._module import auth_argument_spec
    import yaml

    choices = set(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']['auth_method']['choices'])
    known = choices | set(auth_argument_spec())
    named = set(re.findall(r'\b[a-z]+(?:_[a-z]+)+\b', _anc.APP_ONLY_WRITE_HINT))
    assert named and named <= known, named - known
    assert re.search(r'auth_method: (\w+)', _anc.APP_ONLY_WRITE_HINT).group(1) in choices
