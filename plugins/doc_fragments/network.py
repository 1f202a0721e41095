# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """The network options that w365_anc, w365_role_grant and w365_preflight read the same way
    (``_ids.resolve_network_target``).

    Only what is identical in all three lives here. ``resource_group`` (whether it defaults to the virtual
    network's resource group differs) and ``subnet`` (not in w365_role_grant) stay in each module: an option a
    module documents itself replaces the fragment's description of it as a whole.
    """

    DOCUMENTATION = r'''
options:
  virtual_network_resource_group:
    description:
      - Resource group of O(virtual_network) when it is not O(resource_group), for example a hub network's. Name
        (inside O(subscription_id)) or full resource ID.
    type: str
  virtual_network:
    description:
      - The virtual network, by name or full resource ID.
      - A name is looked up in O(virtual_network_resource_group) when that is set, else in O(resource_group); a full
        resource ID carries its own subscription and resource group.
    type: str
'''
