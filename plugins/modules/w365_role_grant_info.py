#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_role_grant_info
short_description: Report which Azure roles the Windows 365 service principal has, lacks, or holds from before 2023
version_added: 1.0.0
description:
  - For a purpose and its scopes, returns which of the role assignments Windows 365 needs exist, which are
    missing, and any legacy B(Network Contributor) assignments on the resource group and virtual network.
  - Never changes anything. Reads one role assignment list per scope, server-side filtered to the principal.
  - An assignment counts only when its own scope equals the required scope (case-insensitively); assignments
    inherited from a parent scope do not.
  - The caller needs read access to role assignments at each scope (Reader is enough).
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
  - w365.cloudpc.attributes.info_module
options:
  purpose:
    description:
      - V(network_connection) - Reader on the subscription, Windows 365 Network Interface Contributor on the
        resource group, Windows 365 Network User on the virtual network.
      - V(custom_image) - Reader on the subscription.
    type: str
    required: true
    choices: [network_connection, custom_image]
  subscription_id:
    description:
      - The subscription (ID). May be left out when O(resource_group) or O(virtual_network) is a full resource ID.
      - If not set, the environment variable E(AZURE_SUBSCRIPTION_ID) is used.
    type: str
  resource_group:
    description:
      - The resource group of the Azure network connection (where Windows 365 creates the network interfaces), as a
        name or a full resource ID. It gets B(Windows 365 Network Interface Contributor).
      - Defaults to the resource group of O(virtual_network) when that is a full resource ID and
        O(virtual_network_resource_group) is not set.
      - Only for O(purpose=network_connection).
    type: str
  virtual_network_resource_group:
    description:
      - The resource group of O(virtual_network) when it differs from O(resource_group) (a hub network), as a name
        or a full resource ID. Only for O(purpose=network_connection).
    type: str
  virtual_network:
    description:
      - The virtual network of the Azure network connection, as a name or a full resource ID. It gets
        B(Windows 365 Network User).
      - Required for O(purpose=network_connection).
    type: str
  principal_id:
    description:
      - Object ID of the principal to check. By default the Windows 365 service principal
        (app ID C(0af06dc6-e4b5-4f28-818e-e78e62d137a5)) is looked up in the tenant through Microsoft Graph.
    type: str
seealso:
  - module: w365.cloudpc.w365_role_grant
'''

EXAMPLES = r'''
- name: Which Windows 365 roles are missing for this network?
  w365.cloudpc.w365_role_grant_info:
    purpose: network_connection
    subscription_id: 00000000-0000-0000-0000-000000000000
    resource_group: rg-cloudpc-net
    virtual_network: vnet-cloudpc-weu
  register: w365_roles

- name: Stop when something is missing
  ansible.builtin.assert:
    that: w365_roles.complete
    fail_msg: "Missing: {{ w365_roles.missing | map(attribute='role_name') | join(', ') }}"
'''

RETURN = r'''
principal_id:
  description: Object ID of the principal checked.
  returned: success
  type: str
  sample: 3a5f1c2e-0000-4000-8000-1234567890ab
complete:
  description: True when no required assignment is missing.
  returned: success
  type: bool
granted:
  description: The required assignments that exist.
  returned: success
  type: list
  elements: dict
  contains:
    role_name:
      description: Display name of the role.
      type: str
      sample: Reader
    role_definition_id:
      description: Role definition ID as Azure reports it.
      type: str
    scope:
      description: The scope the assignment is made at.
      type: str
    assignment_id:
      description: Role assignment ID.
      type: str
    description:
      description: The assignment's description as Azure returns it.
      type: str
    created_by_collection:
      description:
        - Whether the description carries the marker C(Created by w365.cloudpc) that this collection puts on the
          assignments it creates. Only those are removed by M(w365.cloudpc.w365_role_grant) with C(state=absent)
          and by the teardown playbook.
      type: bool
missing:
  description: The required assignments that do not exist (RV(missing[].assignment_id) is null).
  returned: success
  type: list
  elements: dict
  contains:
    role_name:
      description: Display name of the role.
      type: str
      sample: Windows 365 Network User
    role_definition_id:
      description: Role definition ID at subscription level.
      type: str
    scope:
      description: The scope the assignment belongs at.
      type: str
    assignment_id:
      description: Always null.
      type: str
legacy:
  description: Network Contributor assignments of the principal on the resource group and virtual network, which
    Windows 365 used before November 2023 and no longer needs.
  returned: success
  type: list
  elements: dict
  contains:
    role_name:
      description: Always V(Network Contributor).
      type: str
    role_definition_id:
      description: Role definition ID as Azure reports it.
      type: str
    scope:
      description: The scope the assignment is made at.
      type: str
    assignment_id:
      description: Role assignment ID.
      type: str
'''

from ansible_collections.w365.cloudpc.plugins.module_utils import _grants
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module


def main():
    module = W365Module(argument_spec=_grants.grant_target_argument_spec(), supports_check_mode=True,
                        required_if=_grants.GRANT_TARGET_REQUIRED_IF)

    params = module.params

    def body():
        target = _grants.resolve_target(params)
        principal_id = _grants.resolve_principal(module, params['principal_id'])
        return principal_id, _grants.check_grants(module, principal_id, params['purpose'], target)

    principal_id, report = module.run(body, 'Reading Azure role assignments failed')
    module.exit(False, principal_id=principal_id, complete=not report.missing, granted=report.granted,
                missing=report.missing, legacy=report.legacy)


if __name__ == '__main__':
    main()
