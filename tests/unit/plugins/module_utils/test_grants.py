"""Pure role-grant logic: which (role, scope) pairs a purpose needs, and how read assignments are classified."""

from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _grants as g
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    ROLE_NETWORK_CONTRIBUTOR,
    ROLE_READER,
    ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR,
    ROLE_W365_NETWORK_USER,
)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import resolve_network

SUB = '11111111-2222-3333-4444-555555555555'
PRINCIPAL = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
OTHER = 'ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee'
RG = '/subscriptions/%s/resourceGroups/rg-net' % SUB
VNET = RG + '/providers/Microsoft.Network/virtualNetworks/vnet1'


def target():
    return resolve_network(subscription_id=SUB, resource_group='rg-net', virtual_network='vnet1')


def assignment(role, scope, principal=PRINCIPAL, name='x1'):
    return {
        'id': '%s/providers/Microsoft.Authorization/roleAssignments/%s' % (scope, name),
        'name': name,
        'scope': scope,
        'role_definition_id': '/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s' % (SUB, role),
        'principal_id': principal,
        'principal_type': 'ServicePrincipal',
    }


class TestRequiredGrants:
    def test_network_connection_needs_three_roles_at_three_scopes(self):
        grants = g.required_grants('network_connection', target())
        assert grants == [
            (ROLE_READER, '/subscriptions/%s' % SUB),
            (ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR, RG),
            (ROLE_W365_NETWORK_USER, VNET),
        ]

    def test_custom_image_needs_subscription_reader_only(self):
        grants = g.required_grants('custom_image', resolve_network(subscription_id=SUB))
        assert grants == [(ROLE_READER, '/subscriptions/%s' % SUB)]

    def test_network_connection_without_vnet_names_the_option(self):
        with pytest.raises(W365ConfigError) as err:
            g.required_grants('network_connection', resolve_network(subscription_id=SUB, resource_group='rg-net'))
        assert err.value.option == 'virtual_network'

    def test_missing_subscription_names_the_option(self):
        with pytest.raises(W365ConfigError) as err:
            g.required_grants('custom_image', resolve_network())
        assert err.value.option == 'subscription_id'

    def test_unknown_purpose(self):
        with pytest.raises(W365ConfigError) as err:
            g.required_grants('avd', target())
        assert err.value.option == 'purpose'

    def test_legacy_only_for_network_connection(self):
        assert g.legacy_grants('network_connection', target()) == [
            (ROLE_NETWORK_CONTRIBUTOR, RG), (ROLE_NETWORK_CONTRIBUTOR, VNET)]
        assert g.legacy_grants('custom_image', target()) == []


class TestValidation:
    @pytest.mark.parametrize('value', ['', None, 'not-a-guid', "x') or true or ('", PRINCIPAL + 'x'])
    def test_principal_id_must_be_a_guid(self, value):
        with pytest.raises(W365ConfigError) as err:
            g.validate_principal_id(value)
        assert err.value.option == 'principal_id'

    def test_principal_id_is_lowered(self):
        assert g.validate_principal_id(PRINCIPAL.upper()) == PRINCIPAL

    def test_role_guid_from_any_scope_form(self):
        assert g.role_guid('/providers/Microsoft.Authorization/roleDefinitions/%s' % ROLE_READER.upper()) == ROLE_READER
        assert g.role_guid(assignment(ROLE_READER, RG)['role_definition_id'] + '/') == ROLE_READER

    def test_scope_subscription(self):
        assert g.scope_subscription(VNET) == SUB
        with pytest.raises(W365ConfigError):
            g.scope_subscription('/providers/Microsoft.Management/managementGroups/mg1')


class TestClassify:
    def run(self, assignments, purpose='network_connection'):
        required = g.required_grants(purpose, target())
        legacy = g.legacy_grants(purpose, target())
        by_scope = {}
        for scope in g.unique_scopes(required, legacy):
            # atScope() returns everything at the scope and above: hand every assignment to every scope.
            by_scope[g.norm_scope(scope)] = assignments
        return g.classify(PRINCIPAL, required, legacy, by_scope)

    def test_nothing_granted(self):
        report = self.run([])
        assert report.granted == [] and report.legacy == []
        assert [m['role_name'] for m in report.missing] == [
            'Reader', 'Windows 365 Network Interface Contributor', 'Windows 365 Network User']
        assert all(m['assignment_id'] is None for m in report.missing)
        assert report.missing[2]['role_definition_id'].endswith('/roleDefinitions/' + ROLE_W365_NETWORK_USER)

    def test_all_granted_compares_case_insensitively(self):
        found = [assignment(ROLE_READER.upper(), '/SUBSCRIPTIONS/%s' % SUB.upper(), PRINCIPAL.upper(), 'a'),
                 assignment(ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR, RG.lower(), name='b'),
                 assignment(ROLE_W365_NETWORK_USER, VNET + '/', name='c')]
        report = self.run(found)
        assert report.missing == []
        assert [e['assignment_id'].rsplit('/', 1)[-1] for e in report.granted] == ['a', 'b', 'c']

    def test_inherited_assignment_does_not_count_at_a_child_scope(self):
        # Reader on the subscription is visible at the vnet via atScope(), but the vnet needs Network User itself;
        # and a Network User at the resource group (a parent of the vnet) is not Network User on the vnet.
        report = self.run([assignment(ROLE_READER, '/subscriptions/%s' % SUB),
                           assignment(ROLE_W365_NETWORK_USER, RG, name='parent')])
        assert [e['role_name'] for e in report.granted] == ['Reader']
        assert {(m['role_name'], m['scope']) for m in report.missing} == {
            ('Windows 365 Network Interface Contributor', RG), ('Windows 365 Network User', VNET)}

    def test_other_principal_and_other_role_do_not_count(self):
        report = self.run([assignment(ROLE_READER, '/subscriptions/%s' % SUB, principal=OTHER),
                           assignment('b24988ac-6180-42a0-ab88-20f7382dd24c', RG)])
        assert report.granted == []
        assert len(report.missing) == 3

    def test_legacy_network_contributor_found_on_rg_and_vnet_only(self):
        report = self.run([assignment(ROLE_NETWORK_CONTRIBUTOR, RG, name='l1'),
                           assignment(ROLE_NETWORK_CONTRIBUTOR, VNET, name='l2'),
                           assignment(ROLE_NETWORK_CONTRIBUTOR, '/subscriptions/%s' % SUB, name='l3')])
        assert sorted(e['assignment_id'].rsplit('/', 1)[-1] for e in report.legacy) == ['l1', 'l2']
        assert {e['role_name'] for e in report.legacy} == {'Network Contributor'}

    def test_custom_image_ignores_legacy(self):
        report = self.run([assignment(ROLE_NETWORK_CONTRIBUTOR, RG)], purpose='custom_image')
        assert report.legacy == [] and len(report.missing) == 1

    def test_sdk_objects_become_dicts(self):
        class Obj:
            id = 'i'
            name = 'n'
            scope = RG
            role_definition_id = 'r'
            principal_id = PRINCIPAL
            principal_type = 'ServicePrincipal'
            description = 'Created by w365.cloudpc for Windows 365'
        assert g.assignment_to_dict(Obj()) == {'id': 'i', 'name': 'n', 'scope': RG, 'role_definition_id': 'r',
                                               'principal_id': PRINCIPAL, 'principal_type': 'ServicePrincipal',
                                               'description': 'Created by w365.cloudpc for Windows 365'}


NAMES = {'reader': '10000000-0000-4000-8000-000000000001', 'nic': '10000000-0000-4000-8000-000000000002',
         'user': '10000000-0000-4000-8000-000000000003'}


class TestMarkedRemoval:
    """Removal deletes only what carries the collection's marker (issue 12 finding 1)."""

    def report(self, marked=('nic',)):
        found = [assignment(ROLE_READER, '/subscriptions/%s' % SUB, name=NAMES['reader']),
                 assignment(ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR, RG, name=NAMES['nic']),
                 assignment(ROLE_W365_NETWORK_USER, VNET, name=NAMES['user'])]
        for a in found:
            key = [k for k, v in NAMES.items() if v == a['name']][0]
            a['description'] = g.grant_description('network_connection') if key in marked else 'made by hand'
        return found

    def ensure(self, monkeypatch, found, **kwargs):
        deleted, created = [], []
        required = g.required_grants('network_connection', target())

        def check(module, principal_id, purpose, tgt):
            return g.classify(principal_id, required, [], dict((g.norm_scope(r.scope), found) for r in required))

        def create(module, principal_id, grant, replication_timeout, description=None):
            created.append(description)
            return True, assignment(grant.role, grant.scope, name='new')

        monkeypatch.setattr(g, 'delete_assignment', lambda module, entry: deleted.append(entry['assignment_id']))
        monkeypatch.setattr(g, 'create_assignment', create)
        report = check(None, PRINCIPAL, 'network_connection', target())
        ensure = g.ensure_absent if kwargs.pop('state') == 'absent' else g.ensure_present
        changed, after = ensure(None, PRINCIPAL, 'network_connection', target(), report, **kwargs)
        return (changed, after.grants, after.legacy, report), deleted, created

    def test_marker_is_recognised(self):
        assert g.is_marked(g.grant_description('custom_image'))
        assert g.is_marked(g.grant_description())
        assert not g.is_marked(None) and not g.is_marked('') and not g.is_marked('Created by hand')

    def test_absent_keeps_what_existed_before_whatever_the_options(self, monkeypatch):
        (changed, grants, _legacy, _r), deleted, _c = self.ensure(monkeypatch, self.report(marked=('nic',)),
                                                                  state='absent')
        assert changed is True
        assert [d.rsplit('/', 1)[-1] for d in deleted] == [NAMES['nic']]
        kept = dict((e['role_name'], e['kept_reason']) for e in grants if e['present'])
        assert set(kept) == {'Reader', 'Windows 365 Network User'}
        assert 'not created by w365.cloudpc' in kept['Reader'] and 'remove_assignment_ids' in kept['Reader']

    def test_absent_with_nothing_of_ours_sends_no_delete(self, monkeypatch):
        (changed, grants, _l, _r), deleted, _c = self.ensure(monkeypatch, self.report(marked=()), state='absent',
                                                             check_mode=False)
        assert changed is False and deleted == []
        assert all(e['present'] and e['kept_reason'] for e in grants)

    def test_shared_reader_of_ours_is_kept_when_asked(self, monkeypatch):
        (_c, grants, _l, _r), deleted, _x = self.ensure(monkeypatch, self.report(marked=('reader', 'nic', 'user')),
                                                        state='absent', keep_roles=(ROLE_READER,))
        assert len(deleted) == 2
        reader = [e for e in grants if e['role_name'] == 'Reader'][0]
        assert reader['present'] and 'keep_subscription_reader' in reader['kept_reason']

    def test_an_assignment_named_by_id_is_removed_even_unmarked(self, monkeypatch):
        found = self.report(marked=())
        names = g.validate_assignment_ids([found[0]['id'], NAMES['user'].upper()])
        (_c, _g, _l, _r), deleted, _x = self.ensure(monkeypatch, found, state='absent', remove_ids=names,
                                                    keep_roles=(ROLE_READER,))
        assert sorted(d.rsplit('/', 1)[-1] for d in deleted) == sorted([NAMES['reader'], NAMES['user']])

    def test_a_named_id_that_is_not_such_a_grant_is_refused_before_any_delete(self, monkeypatch):
        with pytest.raises(W365ConfigError) as err:
            self.ensure(monkeypatch, self.report(), state='absent',
                        remove_ids=['20000000-0000-4000-8000-000000000009'])
        assert err.value.option == 'remove_assignment_ids'
        with pytest.raises(W365ConfigError):
            g.validate_assignment_ids(['not-an-id'])

    def test_present_creates_marked_assignments(self, monkeypatch):
        (changed, grants, _l, _r), _d, created = self.ensure(monkeypatch, [], state='present')
        assert changed and len(created) == 3 and all(g.is_marked(d) for d in created)
        assert 'network connection' in created[0]
        (_c, grants, _l, _r), _d, _created = self.ensure(monkeypatch, [], state='present', check_mode=True)
        assert all(e['created_by_collection'] and e['changed'] for e in grants)


class TestMessages:
    def test_forbidden_names_scope_role_and_granting_roles(self):
        text = g.explain_forbidden('create', VNET, ['Windows 365 Network User'])
        for part in (VNET, 'Windows 365 Network User', 'Owner', 'User Access Administrator',
                     'Role Based Access Control Administrator'):
            assert part in text


class TestBackoff:
    def test_bounded_by_timeout_and_growing(self):
        delays = g.backoff_delays(60, first=1, cap=16, jitter=lambda: 0.5)
        assert delays[:5] == [1, 2, 4, 8, 16]
        assert sum(delays) == pytest.approx(60)
        assert max(delays) <= 16

    def test_zero_timeout_means_no_retry(self):
        assert g.backoff_delays(0) == []


class TestResolveTarget:
    def params(self, **kw):
        base = dict(purpose='network_connection', subscription_id=None, resource_group=None,
                    virtual_network_resource_group=None, virtual_network=None)
        base.update(kw)
        return base

    def test_names(self):
        t = g.resolve_target(self.params(subscription_id=SUB, resource_group='rg-net', virtual_network='vnet1'))
        assert (t.subscription_id, t.resource_group_id, t.virtual_network_id) == (SUB, RG, VNET)

    def test_vnet_id_alone_uses_its_resource_group(self):
        t = g.resolve_target(self.params(virtual_network=VNET))
        assert (t.subscription_id, t.resource_group_id, t.virtual_network_id) == (SUB, RG, VNET)

    def test_hub_vnet_in_other_resource_group(self):
        t = g.resolve_target(self.params(subscription_id=SUB, resource_group='rg-pcs',
                                         virtual_network_resource_group='rg-hub', virtual_network='vnet-hub'))
        assert t.resource_group_id == '/subscriptions/%s/resourceGroups/rg-pcs' % SUB
        assert t.virtual_network_id == '/subscriptions/%s/resourceGroups/rg-hub/providers/Microsoft.Network/' \
                                       'virtualNetworks/vnet-hub' % SUB

    def test_vnet_rg_without_resource_group_names_resource_group(self):
        with pytest.raises(W365ConfigError) as err:
            g.resolve_target(self.params(subscription_id=SUB, virtual_network_resource_group='rg-hub',
                                         virtual_network='vnet-hub'))
        assert err.value.option == 'resource_group'

    def test_vnet_name_without_resource_group(self):
        with pytest.raises(W365ConfigError) as err:
            g.resolve_target(self.params(subscription_id=SUB, virtual_network='vnet1'))
        assert err.value.option == 'resource_group'

    def test_subscriptions_must_agree(self):
        other = '99999999-2222-3333-4444-555555555555'
        with pytest.raises(W365ConfigError) as err:
            g.resolve_target(self.params(subscription_id=other, virtual_network=VNET))
        assert err.value.option == 'subscription_id' and 'virtual_network' in str(err.value)

    def test_resource_group_id_in_other_subscription(self):
        other_rg = '/subscriptions/99999999-2222-3333-4444-555555555555/resourceGroups/x'
        with pytest.raises(W365ConfigError) as err:
            g.resolve_target(self.params(resource_group=other_rg, virtual_network=VNET))
        assert err.value.option == 'resource_group'

    def test_custom_image_refuses_network_options(self):
        with pytest.raises(W365ConfigError) as err:
            g.resolve_target(self.params(purpose='custom_image', subscription_id=SUB, virtual_network='v'))
        assert err.value.option == 'virtual_network'

    def test_custom_image_needs_subscription(self):
        with pytest.raises(W365ConfigError) as err:
            g.resolve_target(self.params(purpose='custom_image'))
        assert err.value.option == 'subscription_id'
        t = g.resolve_target(self.params(purpose='custom_image', subscription_id=SUB))
        assert g.required_grants('custom_image', t) == [(ROLE_READER, '/subscriptions/%s' % SUB)]

    def test_bad_subscription(self):
        with pytest.raises(W365ConfigError) as err:
            g.resolve_target(self.params(purpose='custom_image', subscription_id='prod'))
        assert err.value.option == 'subscription_id'
