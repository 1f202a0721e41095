#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_role_grant
short_description: Grant the Azure roles the Windows 365 service principal needs
version_added: 1.0.0
description:
  - Creates (or removes) the Azure role assignments the Windows 365 service principal needs before an Azure
    network connection or a custom device image works.
  - For O(purpose=network_connection) - B(Reader) on the subscription, B(Windows 365 Network Interface Contributor)
    on the resource group and B(Windows 365 Network User) on the virtual network.
    For O(purpose=custom_image) - B(Reader) on the subscription.
  - O(virtual_network) (the virtual network of the Azure network connection) is required for
    O(purpose=network_connection). O(resource_group), O(virtual_network_resource_group) and O(virtual_network) are
    only for O(purpose=network_connection); O(purpose=custom_image) refuses them.
  - Roles are identified by their fixed role definition GUIDs, never by display name (Microsoft's pages spell the
    names both "Windows365 ..." and "Windows 365 ...").
  - Existing assignments are looked up per scope, server-side filtered to the principal. An assignment counts only
    when its own scope equals the required scope (case-insensitively); assignments inherited from a parent scope
    do not.
  - The caller needs C(Microsoft.Authorization/roleAssignments/write) at each scope, that is Owner, User Access
    Administrator or Role Based Access Control Administrator. A caller without it gets an error naming the scope.
  - When two runs create the same assignment at once, Azure answers the second with C(RoleAssignmentExists); that
    run then reads the one assignment back and succeeds without reporting a change.
  - Every assignment it creates carries the description C(Created by w365.cloudpc for Windows 365 (...)). Removal
    deletes only assignments whose description starts with C(Created by w365.cloudpc), so a grant that existed
    before (made by hand, by the Intune portal, by Windows 365 itself or by a release of this collection older than
    the marker) is never removed unless named in O(remove_assignment_ids).
  - See the collection's C(docs/role-grants.md) for who must run it, legacy cleanup and replication delay.
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
  - w365.cloudpc.network
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  purpose:
    description:
      - What the roles are for; decides which roles at which scopes.
    type: str
    required: true
    choices: [network_connection, custom_image]
  subscription_id:
    description:
      - The subscription (ID) that gets Reader.
      - May be left out when O(resource_group) or O(virtual_network) is a full resource ID.
      - If not set, the environment variable E(AZURE_SUBSCRIPTION_ID) is used.
    type: str
  resource_group:
    description:
      - The resource group of the Azure network connection (where Windows 365 creates the network interfaces), as a
        name or a full resource ID. It gets B(Windows 365 Network Interface Contributor).
      - Defaults to the resource group of O(virtual_network) when that is a full resource ID and
        O(virtual_network_resource_group) is not set.
      - Only for O(purpose=network_connection); may be left out when O(virtual_network) is a full resource ID.
    type: str
  principal_id:
    description:
      - Object ID of the principal that gets the roles.
      - By default the object ID of the Windows 365 service principal (app ID C(0af06dc6-e4b5-4f28-818e-e78e62d137a5))
        is looked up in the tenant through Microsoft Graph. The lookup needs C(Application.Read.All) or
        C(Directory.Read.All); give the object ID here to skip it.
      - When the tenant has no such service principal the module fails and says how to create it.
    type: str
  state:
    description:
      - V(present) creates the missing assignments.
      - V(absent) deletes the assignments this collection created for the purpose - those whose role definition,
        exact scope and principal equal one of the required triples B(and) whose description carries the
        collection's marker. Inherited assignments, other roles, other principals and unmarked assignments are
        never touched; unmarked ones are returned with RV(grants[].kept_reason).
      - Reader on the subscription is shared by every network connection and custom image in that subscription,
        so V(absent) with O(purpose=network_connection) keeps it unless O(keep_subscription_reader=false).
    type: str
    default: present
    choices: [present, absent]
  keep_subscription_reader:
    description:
      - With O(state=absent) and O(purpose=network_connection), leave the B(Reader) assignment on the subscription
        in place, because other network connections and custom images in the same subscription rely on it.
      - Set to V(false) to remove it as well, for example when tearing down the last connection of a subscription.
      - Has no effect with O(state=present), nor with O(purpose=custom_image), where Reader is the grant itself.
    type: bool
    default: true
  remove_assignment_ids:
    description:
      - With O(state=absent), also delete these role assignments although they do not carry the collection's
        marker, for example grants made by hand or by a release of this collection older than the marker.
      - Each entry is a role assignment ID (as C(az role assignment list --query [].id) prints it) or its GUID name.
      - Each must be one of the assignments this task manages (a required role, at its exact scope, of the
        principal); anything else fails the task before any change. Naming the Reader assignment also overrides
        O(keep_subscription_reader).
      - Only with O(state=absent).
    type: list
    elements: str
    default: []
  remove_legacy_grants:
    description:
      - Also delete the B(Network Contributor) assignments of this principal on the same resource group and
        virtual network, which Windows 365 used before November 2023.
      - Only for O(purpose=network_connection). With O(state=present) the new roles are created first.
    type: bool
    default: false
  principal_replication_timeout:
    description:
      - How long, in seconds, to keep retrying when Azure answers C(PrincipalNotFound) because a newly created
        service principal has not replicated to Azure role-based access control yet.
      - Retries back off from 1 second, doubling up to 30 seconds between attempts. V(0) disables retrying.
    type: int
    default: 300
notes:
  - Microsoft's Graph page for deleting an Azure network connection says that permissions to the service are
    removed from the specified Azure resources when the connection is deleted. Other connections on the same
    resource group or virtual network then need their grants again (the teardown playbook re-asserts them).
seealso:
  - module: w365.cloudpc.w365_role_grant_info
  - module: w365.cloudpc.w365_anc
'''

EXAMPLES = r'''
- name: Grant the Windows 365 roles for an Azure network connection
  w365.cloudpc.w365_role_grant:
    purpose: network_connection
    subscription_id: 00000000-0000-0000-0000-000000000000
    resource_group: rg-cloudpc-net
    virtual_network: vnet-cloudpc-weu
    remove_legacy_grants: true

- name: Grant subscription Reader for custom images, for a known service principal object ID
  w365.cloudpc.w365_role_grant:
    purpose: custom_image
    subscription_id: 00000000-0000-0000-0000-000000000000
    principal_id: 11111111-1111-1111-1111-111111111111

- name: Remove the grants this collection made for a retired network connection (others are kept and reported)
  w365.cloudpc.w365_role_grant:
    purpose: network_connection
    virtual_network: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1
    state: absent
  register: removed

- name: Also remove a grant made by hand (or by an older release), named by its assignment ID
  w365.cloudpc.w365_role_grant:
    purpose: network_connection
    virtual_network: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1
    state: absent
    remove_assignment_ids:
      - 22222222-2222-2222-2222-222222222222   # the GUID name, or the full role assignment ID
'''

RETURN = r'''
principal_id:
  description: Object ID of the principal the roles are (or were) assigned to.
  returned: success
  type: str
  sample: 3a5f1c2e-0000-4000-8000-1234567890ab
grants:
  description: One entry per required role assignment (more than one only if Azure already held duplicates).
  returned: success
  type: list
  elements: dict
  contains:
    role_name:
      description: Display name of the role.
      type: str
      sample: Windows 365 Network User
    role_definition_id:
      description: Role definition ID as Azure reports it.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/7eabc9a4-85f7-4f71-b8ab-75daaccc1033
    scope:
      description: The scope the assignment is made at.
      type: str
    assignment_id:
      description: Role assignment ID; null when there is none (check mode, or after O(state=absent)).
      type: str
    description:
      description: The assignment's description as Azure returns it (the collection's marker on those it created).
      type: str
    created_by_collection:
      description: Whether the description carries the collection's marker C(Created by w365.cloudpc).
      type: bool
    present:
      description: Whether the assignment exists after this run (would exist, in check mode).
      type: bool
    changed:
      description: Whether this run created or deleted it (would, in check mode).
      type: bool
    kept_reason:
      description:
        - With O(state=absent), why an existing assignment was left in place (not created by the collection, or
          the shared subscription Reader); null otherwise.
      type: str
legacy_grants:
  description: Network Contributor assignments of the principal on the resource group and virtual network.
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
    present:
      description: Whether it exists after this run.
      type: bool
    changed:
      description: Whether this run deleted it (would, in check mode).
      type: bool
'''

from ansible_collections.w365.cloudpc.plugins.module_utils import _grants
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import ROLE_READER
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module
from ansible_collections.w365.cloudpc.plugins.module_utils._resource import ResourceTask


def argument_spec():
    return dict(
        _grants.grant_target_argument_spec(),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        remove_assignment_ids=dict(type='list', elements='str', default=[]),
        remove_legacy_grants=dict(type='bool', default=False),
        keep_subscription_reader=dict(type='bool', default=True),
        principal_replication_timeout=dict(type='int', default=300),
    )


class GrantTask(ResourceTask):
    """The role assignments of one principal for one purpose: the "resource" is the report of what exists."""

    def __init__(self, module):
        super().__init__(module)
        self.target = self.remove_ids = self.principal_id = None

    def check_inputs(self):
        params = self.params
        self.target = _grants.resolve_target(params)
        if params['principal_replication_timeout'] < 0:
            raise W365ConfigError('principal_replication_timeout', 'must be 0 or more seconds, got %d'
                                  % params['principal_replication_timeout'])
        if params['remove_legacy_grants'] and params['purpose'] != 'network_connection':
            raise W365ConfigError('remove_legacy_grants', 'only applies to purpose=network_connection')
        if params['remove_assignment_ids'] and params['state'] != 'absent':
            raise W365ConfigError('remove_assignment_ids', 'only applies to state=absent')
        self.remove_ids = _grants.validate_assignment_ids(params['remove_assignment_ids'])

    def read(self):
        self.principal_id = _grants.resolve_principal(self.module, self.params['principal_id'])
        return _grants.check_grants(self.module, self.principal_id, self.params['purpose'], self.target)

    def ensure_present(self, current):
        return _grants.ensure_present(
            self.module, self.principal_id, self.params['purpose'], self.target, current,
            remove_legacy=self.params['remove_legacy_grants'],
            replication_timeout=self.params['principal_replication_timeout'], check_mode=self.module.check_mode)

    def ensure_absent(self, current):
        return _grants.ensure_absent(
            self.module, self.principal_id, self.params['purpose'], self.target, current,
            remove_legacy=self.params['remove_legacy_grants'], check_mode=self.module.check_mode,
            keep_roles=self.kept_roles(), remove_ids=self.remove_ids)

    def kept_roles(self):
        """Roles that state=absent leaves alone: the subscription Reader that a network connection shares."""
        if self.params['purpose'] == 'network_connection' and self.params['keep_subscription_reader']:
            return (ROLE_READER,)
        return ()

    def exit(self, changed, current, after):
        diff = {
            'before': _grants.diff_view(current.granted, current.legacy),
            'after': _grants.diff_view([e for e in after.grants if e['present']],
                                       [e for e in after.legacy if e['present']]),
        }
        self.module.exit(changed, diff=diff, principal_id=self.principal_id, grants=after.grants,
                         legacy_grants=after.legacy)


def main():
    module = W365Module(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=_grants.GRANT_TARGET_REQUIRED_IF,
    )
    task = GrantTask(module)
    module.run(task.run, 'Reading or changing Azure role assignments failed', result=task.changes)


if __name__ == '__main__':
    main()
