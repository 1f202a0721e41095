# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one network-target resolver (NIC resource group vs virtual network resource group), one table for the three
modules that use it: w365_anc (_anc.resolve_target), w365_role_grant(_info) (_grants.resolve_target) and
w365_preflight (_preflight_run.resolve)."""
from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _anc, _grants, _preflight_run
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

SUB = '7e000001-0000-4000-8000-0000000050b1'
OTHER = '7e000002-0000-4000-8000-0000000050b1'


def rg(name, sub=SUB):
    return '/subscriptions/%s/resourceGroups/%s' % (sub, name)


def vnet(group, name='vnet', sub=SUB):
    return rg(group, sub) + '/providers/Microsoft.Network/virtualNetworks/' + name


def subnet(group, name='snet', vnet_name='vnet', sub=SUB):
    return vnet(group, vnet_name, sub) + '/subnets/' + name


def anc(params):
    return _anc.resolve_target(params)


def grants(params):
    # Role grants have no subnet option: the subnet column does not apply.
    params = {k: v for k, v in params.items() if k != 'subnet'}
    return _grants.resolve_target(dict(params, purpose='network_connection'))


def preflight(params):
    full = dict.fromkeys(('subscription_id', 'resource_group', 'virtual_network_resource_group', 'virtual_network',
                          'subnet'))
    full.update(params)
    return _preflight_run.resolve(full)


RESOLVERS = {'anc': anc, 'grants': grants, 'preflight': preflight}

# (case, options, expected (subscription, NIC group, vnet, subnet) or option named, per resolver where they differ;
#  an entry 'all' applies to every resolver without its own entry). Grants see no subnet; preflight needs one.
S = dict(subscription_id=SUB)
TABLE = [
    ('names in one group', dict(S, resource_group='rg', virtual_network='vnet', subnet='snet'),
     {'all': (SUB, rg('rg'), vnet('rg'), subnet('rg')), 'grants': (SUB, rg('rg'), vnet('rg'), None)}),
    ('hub vnet in its own group', dict(S, resource_group='rg-pcs', virtual_network_resource_group='rg-hub',
                                       virtual_network='vnet', subnet='snet'),
     {'all': (SUB, rg('rg-pcs'), vnet('rg-hub'), subnet('rg-hub')), 'grants': (SUB, rg('rg-pcs'), vnet('rg-hub'), None)}),
    ('vnet group without NIC group', dict(S, virtual_network_resource_group='rg-hub', virtual_network='vnet',
                                          subnet='snet'),
     # w365_anc leaves the NIC group unset (its create then asks for resource_group); the others need it now.
     {'anc': (SUB, None, vnet('rg-hub'), subnet('rg-hub')), 'all': 'resource_group'}),
    ('vnet ID alone', dict(virtual_network=vnet('rg-hub'), subnet='snet'),
     {'anc': (SUB, None, vnet('rg-hub'), subnet('rg-hub')), 'grants': (SUB, rg('rg-hub'), vnet('rg-hub'), None),
      'preflight': (SUB, rg('rg-hub'), vnet('rg-hub'), subnet('rg-hub'))}),
    ('subnet ID with NIC group name', dict(resource_group='rg-pcs', virtual_network=vnet('rg-hub'),
                                           subnet=subnet('rg-hub')),
     {'all': (SUB, rg('rg-pcs'), vnet('rg-hub'), subnet('rg-hub')), 'grants': (SUB, rg('rg-pcs'), vnet('rg-hub'), None)}),
    ('vnet name without any group', dict(S, virtual_network='vnet', subnet='snet'), {'all': 'resource_group'}),
    ('NIC group ID in another subscription', dict(resource_group=rg('rg', OTHER), virtual_network=vnet('rg-hub'),
                                                  subnet=subnet('rg-hub')),
     {'all': 'resource_group'}),
    ('subscription_id disagrees with the vnet ID', dict(subscription_id=OTHER, virtual_network=vnet('rg-hub'),
                                                        subnet=subnet('rg-hub')),
     {'all': 'subscription_id'}),
    ('subscription_id disagrees with the NIC group ID', dict(S, resource_group=rg('rg', OTHER),
                                                             virtual_network_resource_group='rg-hub',
                                                             virtual_network='vnet', subnet='snet'),
     {'all': 'subscription_id'}),
    ('bad vnet name', dict(S, resource_group='rg', virtual_network='vnet with spaces', subnet='snet'),
     {'all': 'virtual_network'}),
    ('bad NIC group name looked up as vnet group', dict(S, resource_group='rg/x', virtual_network='vnet',
                                                        subnet='snet'),
     {'all': 'resource_group'}),
    ('bad vnet group name', dict(S, resource_group='rg', virtual_network_resource_group='rg/x',
                                 virtual_network='vnet', subnet='snet'),
     {'all': 'virtual_network_resource_group'}),
]


@pytest.mark.parametrize('resolver', sorted(RESOLVERS))
@pytest.mark.parametrize('case,options,expected', TABLE, ids=[row[0] for row in TABLE])
def test_one_resolver_for_three_modules(resolver, case, options, expected):
    want = expected.get(resolver, expected.get('all'))
    if want is None:
        pytest.skip('%s: not applicable' % resolver)
    if isinstance(want, str):
        with pytest.raises(W365ConfigError) as err:
            RESOLVERS[resolver](options)
        assert err.value.option == want, (case, str(err.value))
    else:
        assert tuple(RESOLVERS[resolver](options)) == want, case


def test_existing_connection_fills_subscription_and_vnet_for_w365_anc():
    current = {'subscriptionId': SUB, 'virtualNetworkId': vnet('rg-hub'), 'resourceGroupId': rg('rg-pcs')}
    assert tuple(_anc.resolve_target({'subnet': 'other'}, current)) == (SUB, None, vnet('rg-hub'),
                                                                        subnet('rg-hub', 'other'))
    assert tuple(_anc.resolve_target({'resource_group': 'rg-new'}, current)) == (SUB, rg('rg-new'), None, None)
