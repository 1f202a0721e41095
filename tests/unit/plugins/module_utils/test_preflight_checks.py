"""Pure preflight rules: subnet capacity with Azure's reserved addresses and the DR half, ANC limit, hybrid inputs."""

from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _preflight as pf


class TestSubnetCapacity:
    def test_slash24_counts_five_reserved(self):
        facts = pf.subnet_capacity(['10.0.1.0/24'], used=0, planned=0)
        assert facts['total_addresses'] == 256
        assert facts['reserved_addresses'] == 5
        assert facts['usable_addresses'] == 251
        # DR keeps half of the usable addresses, rounded up.
        assert facts['dr_minimum_free'] == 126
        assert facts['max_cloud_pcs_keeping_dr_free'] == 125

    def test_multiple_prefixes_reserve_per_prefix(self):
        facts = pf.subnet_capacity(['10.0.1.0/26', '10.0.2.0/26'], used=3, planned=1)
        assert facts['total_addresses'] == 128
        assert facts['usable_addresses'] == 118
        assert facts['free_addresses'] == 115
        assert facts['free_after_provisioning'] == 114

    def test_passes_when_half_stays_free(self):
        check = pf.subnet_capacity_check(['10.0.1.0/24'], used=12, planned=100)
        assert check['status'] == pf.PASSED
        assert check['data']['free_after_provisioning'] == 139

    def test_boundary_exactly_half_free_passes(self):
        # 251 usable, 126 must stay free: used + planned = 125 is the most that passes.
        assert pf.subnet_capacity_check(['10.0.1.0/24'], used=25, planned=100)['status'] == pf.PASSED
        check = pf.subnet_capacity_check(['10.0.1.0/24'], used=26, planned=100)
        assert check['status'] == pf.WARNING
        assert '50%' in check['remedy']
        assert 'at most 99' in check['remedy']

    def test_fails_when_planned_exceeds_free(self):
        check = pf.subnet_capacity_check(['10.0.1.0/28'], used=4, planned=10)
        # /28: 16 - 5 = 11 usable, 7 free
        assert check['status'] == pf.FAILED
        assert check['data']['free_addresses'] == 7
        assert 'at least 28 usable addresses' in check['remedy']

    def test_subnet_already_more_than_half_used_warns_even_with_zero_planned(self):
        check = pf.subnet_capacity_check(['10.0.1.0/24'], used=200, planned=0)
        assert check['status'] == pf.WARNING

    def test_no_prefix_fails(self):
        assert pf.subnet_capacity_check([], used=0, planned=1)['status'] == pf.FAILED

    def test_tiny_subnet_never_negative_usable(self):
        facts = pf.subnet_capacity(['10.0.0.0/30'], used=0, planned=0)
        assert facts['usable_addresses'] == 0


class TestAncLimit:
    def test_under_limit(self):
        assert pf.anc_limit_check(['a', 'b'], 50, 'c')['status'] == pf.PASSED

    def test_at_limit_fails_for_new(self):
        check = pf.anc_limit_check(['a', 'b'], 2, 'c')
        assert check['status'] == pf.FAILED
        assert 'anc_limit' in check['remedy']

    def test_at_limit_passes_when_it_already_exists(self):
        check = pf.anc_limit_check(['a', 'b'], 2, 'b')
        assert check['status'] == pf.PASSED
        assert check['data']['already_exists'] is True

    def test_last_slot_warns(self):
        assert pf.anc_limit_check(['a'], 2, 'c')['status'] == pf.WARNING


class TestHybridInputs:
    def test_entra_join_needs_nothing(self):
        assert pf.hybrid_inputs_check('entra_join')['status'] == pf.PASSED

    def test_entra_join_with_hybrid_fields_fails(self):
        check = pf.hybrid_inputs_check('entra_join', ad_domain_name='corp.contoso.com', password_given=True)
        assert check['status'] == pf.FAILED
        assert check['data']['options'] == ['ad_domain_name', 'ad_domain_password']

    def test_well_formed_hybrid(self):
        check = pf.hybrid_inputs_check('hybrid_join', 'corp.contoso.com', 'svc-join@corp.contoso.com', True,
                                       'OU=CloudPCs,DC=corp,DC=contoso,DC=com')
        assert check['status'] == pf.PASSED

    @pytest.mark.parametrize('kwargs,needle', [
        ({'ad_domain_name': 'corp'}, 'ad_domain_name'),
        ({'ad_domain_name': 'bad_name.contoso.com'}, 'ad_domain_name'),
        ({'ad_domain_username': 'CORP\\svc'}, 'ad_domain_username'),
        ({'ad_domain_username': 'svc-join'}, 'ad_domain_username'),
        ({'password_given': False}, 'ad_domain_password is missing'),
        ({'organizational_unit': 'CloudPCs'}, 'organizational_unit'),
        ({'organizational_unit': 'OU=CloudPCs'}, 'organizational_unit'),
    ])
    def test_each_bad_input_named(self, kwargs, needle):
        args = dict(ad_domain_name='corp.contoso.com', ad_domain_username='svc@corp.contoso.com',
                    password_given=True, organizational_unit=None)
        args.update(kwargs)
        check = pf.hybrid_inputs_check('hybrid_join', **args)
        assert check['status'] == pf.FAILED
        assert needle in check['detail']
        # Only the broken input is reported.
        assert len(check['data']['problems']) == 1

    def test_all_problems_listed_at_once(self):
        check = pf.hybrid_inputs_check('hybrid_join')
        assert len(check['data']['problems']) == 3

    def test_escaped_comma_in_ou(self):
        check = pf.hybrid_inputs_check('hybrid_join', 'corp.contoso.com', 'svc@corp.contoso.com', True,
                                       r'OU=Cloud\, PCs,DC=corp,DC=contoso,DC=com')
        assert check['status'] == pf.PASSED

    def test_dns_warning_for_hybrid_on_azure_dns(self):
        assert pf.hybrid_dns_check('hybrid_join', [])['status'] == pf.WARNING
        assert pf.hybrid_dns_check('hybrid_join', ['10.0.0.4'])['status'] == pf.PASSED
        assert pf.hybrid_dns_check('entra_join', [])['status'] == pf.PASSED


class TestGrants:
    GRANT = {'role_name': 'Reader', 'scope': '/subscriptions/S'}

    def test_all_granted(self):
        assert pf.grants_check([self.GRANT], [])['status'] == pf.PASSED

    def test_missing_is_warning_listing_them(self):
        check = pf.grants_check([], [self.GRANT])
        assert check['status'] == pf.WARNING
        assert 'Reader on /subscriptions/S' in check['detail']

    def test_legacy_warns(self):
        assert pf.grants_check([self.GRANT], [], legacy=[{'role_name': 'Network Contributor', 'scope': '/x'}])[
            'status'] == pf.WARNING

    def test_permission_scopes_case_insensitive(self):
        check = pf.grant_permission_check([self.GRANT], {'/subscriptions/s': True})
        assert check['status'] == pf.PASSED

    def test_permission_missing_fails_naming_scope_and_roles(self):
        check = pf.grant_permission_check([self.GRANT], {'/subscriptions/s': False})
        assert check['status'] == pf.FAILED
        assert '/subscriptions/S' in check['remedy']
        assert 'User Access Administrator' in check['remedy']

    def test_nothing_missing_passes(self):
        assert pf.grant_permission_check([], {})['status'] == pf.PASSED

    @pytest.mark.parametrize('perms,expected', [
        ([{'actions': ['*'], 'not_actions': []}], True),
        ([{'actions': ['*'], 'not_actions': ['Microsoft.Authorization/*/Write']}], False),
        ([{'actions': ['Microsoft.Authorization/roleAssignments/*']}], True),
        ([{'actions': ['*/read']}], False),
        ([{'actions': ['*/read']}, {'actions': ['Microsoft.Authorization/roleAssignments/write']}], True),
        ([], False),
    ])
    def test_has_permission(self, perms, expected):
        assert pf.has_permission(perms, 'Microsoft.Authorization/roleAssignments/write') is expected


class TestShape:
    def test_summary_verdict(self):
        checks = [pf.make_check('a', pf.PASSED, ''), pf.make_check('b', pf.WARNING, 'w', 'r'),
                  pf.skipped('c', 'x failed')]
        summary = pf.summarize(checks)
        assert summary['status'] == pf.WARNING
        assert summary['skipped'] == 1
        checks.append(pf.make_check('d', pf.FAILED, 'f', 'r'))
        summary = pf.summarize(checks)
        assert summary['status'] == pf.FAILED
        assert summary['failed_checks'] == ['d']

    def test_unknown_status_rejected(self):
        with pytest.raises(ValueError):
            pf.make_check('a', 'ok', '')

    def test_region(self):
        assert pf.region_check('westeurope', 'West Europe')['status'] == pf.PASSED
        check = pf.region_check('westeurope', 'northeurope')
        assert check['status'] == pf.FAILED
        assert 'northeurope' in check['remedy']

    def test_region_must_be_supported_by_windows365(self):
        from ansible_collections.w365.cloudpc.plugins.module_utils._constants import SUPPORTED_ANC_REGIONS
        assert pf.region_check('West Europe', None, SUPPORTED_ANC_REGIONS)['status'] == pf.PASSED
        check = pf.region_check('chinanorth3', None, SUPPORTED_ANC_REGIONS)
        assert check['status'] == pf.FAILED
        assert 'resourceAvailabilityCheckUnsupportedVNetRegion' in check['detail']
        assert 'supported_regions' in check['remedy']
        # a region Microsoft added later is accepted once the caller lists it
        assert pf.region_check('chinanorth3', None, ['China North 3'])['status'] == pf.PASSED
        # no list: only the deployment's own region is compared
        assert pf.region_check('chinanorth3')['status'] == pf.PASSED

    def test_api_error_check_keeps_status_and_request_id(self):
        class Err:
            def to_dict(self):
                return {'status': 403, 'code': 'AuthorizationFailed', 'message': 'no', 'request_id': 'rid-1'}
        check = pf.api_error_check('subnet', 'the subnet', Err())
        assert check['status'] == pf.FAILED
        assert '403' in check['detail'] and 'rid-1' in check['detail']


# --- supported regions, live (issue 14.4) ---------------------------------------------------------------------

def test_regions_from_graph_keep_windows365_and_their_status():
    names, statuses = pf.supported_regions_from_graph([
        {'displayName': 'West Europe', 'regionStatus': 'available', 'supportedSolution': 'windows365'},
        {'displayName': 'westus2', 'regionStatus': 'restricted', 'supportedSolution': 'windows365'},
        {'displayName': 'brazilsouth', 'regionStatus': 'unavailable', 'supportedSolution': 'windows365'},
        {'displayName': 'swedencentral', 'regionStatus': 'available', 'supportedSolution': 'devBox'},
    ])
    assert names == ['westeurope', 'westus2', 'brazilsouth']
    assert statuses == {'westeurope': 'available', 'westus2': 'restricted', 'brazilsouth': 'unavailable'}


@pytest.mark.parametrize('location, status', [('westeurope', pf.PASSED), ('westus2', pf.WARNING),
                                              ('brazilsouth', pf.FAILED), ('swedencentral', pf.FAILED)])
def test_region_status_from_graph_decides_the_check(location, status):
    names = ['westeurope', 'westus2', 'brazilsouth']
    statuses = {'westeurope': 'available', 'westus2': 'restricted', 'brazilsouth': 'unavailable'}
    check = pf.region_check(location, None, names, source=pf.REGIONS_FROM_GRAPH, statuses=statuses)
    assert check['status'] == status, check
    assert check['data']['regions_source'] == 'graph' and 'from graph' in check['detail']


def test_region_check_says_the_built_in_list_was_used_and_why():
    check = pf.region_check('westeurope', None, ['westeurope'], source=pf.REGIONS_BUILT_IN,
                            source_note='Graph refused supportedRegions (HTTP 403)')
    assert check['status'] == pf.PASSED
    assert check['data']['regions_source'] == 'built-in' and '403' in check['data']['regions_source_note']
    assert 'built-in' in check['detail']


def test_built_in_region_list_matches_microsofts_government_list():
    from ansible_collections.w365.cloudpc.plugins.module_utils._constants import SUPPORTED_ANC_REGIONS

    # Microsoft's requirements page, Government tab: US Gov Virginia and US Gov Arizona (no US Gov Texas).
    assert [r for r in SUPPORTED_ANC_REGIONS if r.startswith('usgov')] == ['usgovarizona', 'usgovvirginia']


# --- caller permissions (issue 14.6) ---------------------------------------------------------------------------

def test_an_undetermined_permission_warns_and_never_says_cannot_grant():
    grant = {'role_name': 'Reader', 'scope': '/subscriptions/s'}
    check = pf.grant_permission_check([grant], {'/subscriptions/s': None})
    assert check['status'] == pf.WARNING
    assert 'cannot create' not in check['detail'] and check['data']['unknown'] == [grant]
    # A scope missing from the map is unknown too, not "cannot".
    assert pf.grant_permission_check([grant], {})['status'] == pf.WARNING


def test_subscription_scope_is_told_apart():
    assert pf.is_subscription_scope('/subscriptions/1111')
    assert pf.is_subscription_scope('/subscriptions/1111/')
    assert not pf.is_subscription_scope('/subscriptions/1111/resourceGroups/rg')


def test_token_object_id_reads_the_oid_claim():
    import base64
    import json

    def jwt(claims):
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b'=').decode()
        return 'e30.%s.sig' % body

    assert pf.token_object_id(jwt({'oid': 'ABC-1'})) == 'abc-1'
    assert pf.token_object_id(jwt({'sub': 'x'})) is None
    assert pf.token_object_id('not-a-token') is None
