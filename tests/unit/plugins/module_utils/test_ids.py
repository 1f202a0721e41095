# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import (
    parse_resource_id, resolve_network, resource_group_id, same_id, subnet_id, subscription_scope,
    virtual_network_id)

SUB = '6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b'
OTHER_SUB = '00000000-1111-2222-3333-444444444444'
VNET = '/subscriptions/%s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-weu' % SUB
SUBNET = VNET + '/subnets/cloudpc'


def test_builders_compose():
    assert subscription_scope(SUB) == '/subscriptions/' + SUB
    assert resource_group_id(SUB, 'rg-net') == '/subscriptions/%s/resourceGroups/rg-net' % SUB
    assert virtual_network_id(SUB, 'rg-net', 'vnet-weu') == VNET
    assert subnet_id(SUB, 'rg-net', 'vnet-weu', 'cloudpc') == SUBNET


def test_parse_subnet_id():
    p = parse_resource_id(SUBNET)
    assert p['subscription_id'] == SUB
    assert p['resource_group'] == 'rg-net'
    assert p['provider'] == 'Microsoft.Network'
    assert p['type'] == 'Microsoft.Network/virtualNetworks/subnets'
    assert p['name'] == 'cloudpc'
    assert p['children'] == {'virtualnetworks': 'vnet-weu', 'subnets': 'cloudpc'}


def test_parse_is_case_insensitive_on_keywords():
    p = parse_resource_id('/SUBSCRIPTIONS/%s/RESOURCEGROUPS/RG/PROVIDERS/Microsoft.Network/virtualNetworks/v' % SUB)
    assert p['resource_group'] == 'RG' and p['name'] == 'v'


@pytest.mark.parametrize('bad', ['', 'vnet', '/subscriptions', '/tenants/x', '/subscriptions/%s/resourceGroups' % SUB,
                                 VNET + '/subnets', '/subscriptions/%s//resourceGroups/x' % SUB,
                                 '/subscriptions/%s/resourceGroups/rg/foo/bar' % SUB])
def test_parse_rejects(bad):
    with pytest.raises(ValueError):
        parse_resource_id(bad)


def test_same_id():
    assert same_id(SUBNET, SUBNET.upper())
    assert same_id(SUBNET + '/', SUBNET)
    assert not same_id(SUBNET, VNET)
    assert same_id(None, None)
    assert not same_id(None, SUBNET)


def test_resolve_names():
    t = resolve_network(SUB, 'rg-net', 'vnet-weu', 'cloudpc')
    assert t.subnet_id == SUBNET
    assert t.virtual_network_id == VNET
    assert t.resource_group_id == '/subscriptions/%s/resourceGroups/rg-net' % SUB


def test_resolve_subnet_id_alone_fills_every_level():
    t = resolve_network(subnet=SUBNET)
    assert t == (SUB, '/subscriptions/%s/resourceGroups/rg-net' % SUB, VNET, SUBNET)


def test_resolve_vnet_id_plus_subnet_name():
    t = resolve_network(virtual_network=VNET, subnet='cloudpc')
    assert t.subnet_id == SUBNET


def test_resolve_agreeing_duplicates_differing_in_case():
    t = resolve_network(SUB.upper(), 'RG-NET', VNET, SUBNET)
    assert t.subnet_id.lower() == SUBNET.lower()


def test_resolve_subscription_only():
    t = resolve_network(SUB)
    assert t == (SUB, None, None, None)


def test_resolve_accepts_subscription_scope():
    assert resolve_network('/subscriptions/' + SUB).subscription_id == SUB


def test_resolve_conflict_names_both_options():
    with pytest.raises(W365ConfigError) as e:
        resolve_network(OTHER_SUB, subnet=SUBNET)
    assert e.value.option == 'subscription_id'
    assert 'subnet' in str(e.value)


def test_resolve_conflicting_vnet_name():
    with pytest.raises(W365ConfigError) as e:
        resolve_network(virtual_network='vnet-other', subnet=SUBNET)
    assert e.value.option == 'virtual_network'


def test_resolve_missing_parent_names_option_and_alternative():
    with pytest.raises(W365ConfigError) as e:
        resolve_network(SUB, virtual_network='vnet-weu')
    assert e.value.option == 'resource_group'
    assert 'full resource ID' in str(e.value)


def test_resolve_missing_subscription():
    with pytest.raises(W365ConfigError) as e:
        resolve_network(resource_group='rg')
    assert e.value.option == 'subscription_id'


def test_resolve_custom_option_names_in_errors():
    with pytest.raises(W365ConfigError) as e:
        resolve_network(SUB, virtual_network='v', option_names={'resource_group': 'virtual_network_resource_group'})
    assert e.value.option == 'virtual_network_resource_group'


@pytest.mark.parametrize('kwargs,option', [
    ({'subscription_id': 'not-a-guid'}, 'subscription_id'),
    ({'subscription_id': SUB, 'resource_group': 'bad/name'}, 'resource_group'),
    ({'subscription_id': SUB, 'resource_group': 'rg.'}, 'resource_group'),
    ({'subscription_id': SUB, 'resource_group': 'rg', 'virtual_network': '-vnet'}, 'virtual_network'),
    ({'subnet': VNET}, 'subnet'),
    ({'virtual_network': SUBNET}, 'virtual_network'),
    ({'virtual_network': '/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/images/x' % SUB},
     'virtual_network'),
    ({'resource_group': VNET}, 'resource_group'),
    ({'subnet': '/subscriptions/nope/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s'},
     'subnet'),
])
def test_resolve_rejects_bad_input(kwargs, option):
    with pytest.raises(W365ConfigError) as e:
        resolve_network(**kwargs)
    assert e.value.option == option
