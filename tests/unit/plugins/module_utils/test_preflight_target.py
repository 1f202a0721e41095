"""w365_preflight (module_utils._preflight_run.resolve) resolves its network options the way w365_anc does (NIC resource group vs vnet resource group)."""

from __future__ import annotations

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._preflight_run import resolve

SUB = "7e000001-0000-4000-8000-0000000050b1"
OTHER = "7e000002-0000-4000-8000-0000000050b1"


def params(**kwargs):
    base = dict(subscription_id=None, resource_group=None, virtual_network_resource_group=None,
                virtual_network=None, subnet=None)
    base.update(kwargs)
    return base


def test_names_in_one_resource_group():
    target = resolve(params(subscription_id=SUB, resource_group="rg", virtual_network="vnet", subnet="snet"))
    assert target.resource_group_id == "/subscriptions/%s/resourceGroups/rg" % SUB
    assert target.subnet_id == "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet" \
                               "/subnets/snet" % SUB


def test_vnet_in_a_hub_resource_group():
    target = resolve(params(subscription_id=SUB, resource_group="rg-nics", virtual_network_resource_group="rg-hub",
                            virtual_network="vnet", subnet="snet"))
    assert target.resource_group_id.endswith("/resourceGroups/rg-nics")
    assert "/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet" in target.virtual_network_id


def test_subnet_id_alone():
    subnet = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s" % SUB
    target = resolve(params(subnet=subnet))
    assert target.subscription_id == SUB
    assert target.resource_group_id.endswith("/resourceGroups/rg")


def test_no_network_means_no_network_checks():
    assert resolve(params()) is None


@pytest.mark.parametrize("kwargs,option", [
    (dict(subscription_id=SUB, resource_group="rg", virtual_network="vnet"), "subnet"),
    (dict(subnet="/subscriptions/x"), "subnet"),
    (dict(subscription_id=SUB, resource_group="/subscriptions/%s/resourceGroups/rg" % OTHER,
          virtual_network_resource_group="rg-hub", virtual_network="vnet", subnet="snet"), "subscription_id"),
])
def test_bad_network_options_name_the_option(kwargs, option):
    with pytest.raises(W365ConfigError) as err:
        resolve(params(**kwargs))
    assert err.value.option == option
