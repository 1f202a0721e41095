#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_anc_info
short_description: List Windows 365 Azure network connections with their health checks
version_added: 1.0.0
description:
  - Lists the tenant's Azure network connections (Microsoft Graph C(cloudPcOnPremisesConnection)), all of them or
    those with a given name, including whether each is in use and the details of its last health-check run.
  - Reads work with application (app-only) sign-in as well as delegated sign-in.
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
  - w365.cloudpc.attributes.info_module
options:
  name:
    description:
      - Return only the connection with this display name (exact match). Without it, every connection is returned.
    type: str
seealso:
  - module: w365.cloudpc.w365_anc
'''

EXAMPLES = r'''
- name: All connections of the tenant
  w365.cloudpc.w365_anc_info:
    tenant_id: "{{ tenant_id }}"
    client_id: "{{ client_id }}"
    client_secret: "{{ client_secret }}"
  register: ancs

- name: Names of the connections whose health checks failed
  ansible.builtin.debug:
    msg: "{{ ancs.connections | selectattr('health_check_status', 'equalto', 'failed') | map(attribute='name') }}"

- name: One connection, by name
  w365.cloudpc.w365_anc_info:
    name: anc-weu-hybrid
  register: anc

- name: Failed checks with what to do about them
  ansible.builtin.debug:
    msg: "{{ anc.connections[0].health_checks | selectattr('status', 'equalto', 'failed') }}"
  when: anc.connections | length > 0
'''

RETURN = r'''
connections:
  description:
    - The connections found, sorted by name. Empty when none matches.
    - Each has the same keys as RV(w365.cloudpc.w365_anc#module:connection), and RV(connections[].in_use_by).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Graph ID of the connection.
      type: str
    name:
      description: Display name.
      type: str
    join_type:
      description: V(entra_join) or V(hybrid_join); a join type unknown to this module is returned as Graph names it.
      type: str
    subscription_id:
      description: Subscription ID.
      type: str
    subscription_name:
      description: Subscription display name.
      type: str
    resource_group_id:
      description: Resource group ID for the Cloud PCs' network interfaces.
      type: str
    virtual_network_id:
      description: Virtual network ID.
      type: str
    subnet_id:
      description: Subnet ID.
      type: str
    virtual_network_location:
      description: Azure region of the virtual network.
      type: str
    ad_domain_name:
      description: AD domain name (V(hybrid_join) only).
      type: str
    ad_domain_username:
      description: Domain-join account (V(hybrid_join) only).
      type: str
    organizational_unit:
      description: OU for computer accounts (V(hybrid_join) only).
      type: str
    in_use:
      description:
        - Whether the connection is in use (Graph C(inUse)) - by a provisioning policy, also as an alternate
          connection, by a Cloud PC, or as the cross-region disaster recovery backup connection in user settings.
      type: bool
    in_use_by_cloud_pc:
      description: Whether a Cloud PC uses the connection (Graph C(inUseByCloudPc)).
      type: bool
    in_use_by:
      description:
        - For a connection in use, what uses it; null for a connection not in use. Read only when some connection
          is in use (three list reads for the whole task).
      type: dict
      contains:
        provisioning_policies:
          description: Names of the provisioning policies that reference it, also as an alternate connection.
          type: list
          elements: str
        cloud_pcs:
          description: Names of the Cloud PCs provisioned on it (Graph C(onPremisesConnectionName) equals its name).
          type: list
          elements: str
        user_settings:
          description: Names of the Cloud PC user settings that use it as cross-region disaster recovery backup.
          type: list
          elements: str
        unreadable:
          description: The lists the caller may not read (with HTTP status and error code); their part is unknown.
          type: list
          elements: str
    health_check_status:
      description: Overall health-check status, for example C(passed), C(failed), C(warning) or C(running).
      type: str
    health_check_start_date_time:
      description: When the last health-check run started.
      type: str
    health_check_end_date_time:
      description: When the last health-check run ended.
      type: str
    health_checks:
      description:
        - The individual checks of the last run, each with C(name), C(status), C(error_type), C(explanation) and
          C(remedy) (from the collection's table of error types, null for a type it does not know),
          C(recommended_action), C(additional_detail), C(correlation_id), C(start_date_time) and C(end_date_time).
        - C(error_type) is an open string; see the collection's C(docs/anc.md) for remedies.
      type: list
      elements: dict
auth_method:
  description: The sign-in method used.
  returned: always
  type: str
'''

from ansible_collections.w365.cloudpc.plugins.module_utils import _anc
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module


def main():
    module = W365Module(argument_spec=dict(name=dict(type='str')), supports_check_mode=True)
    items = module.run(lambda: _anc.list_by_name(module.graph, module.params['name']),
                       'could not list Azure network connections')
    connections = sorted((_anc.to_result(item) for item in items),
                         key=lambda c: ((c['name'] or '').lower(), c['id'] or ''))
    # For each connection in use, name what uses it (policies, Cloud PCs, disaster-recovery user settings).
    _anc.describe_use(module.graph, connections)
    module.exit(False, connections=connections)


if __name__ == '__main__':
    main()
