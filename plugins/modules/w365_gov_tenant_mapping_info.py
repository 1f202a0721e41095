#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_gov_tenant_mapping_info
short_description: Read the Windows 365 Government GCC setup - the tenant mapping and the Windows 365 service principal
version_added: 1.1.0
description:
  - Reads the Microsoft Graph beta C(crossCloudGovernmentOrganizationMapping) of the commercial GCC tenant (the task's
    own sign-in), with the Azure Government tenant's token from O(gov_auth), and looks up the Windows 365 service
    principal in the Azure Government tenant.
  - Microsoft supports reading the mapping for a delegated (user) sign-in only, with C(CloudPC.Read.All).
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
  - w365.cloudpc.attributes.info_module
notes:
  - Needs O(cloud=gcc) and O(gov_auth).
seealso:
  - module: w365.cloudpc.w365_gov_tenant_mapping
'''

EXAMPLES = r'''
- name: Is the GCC tenant mapped?
  w365.cloudpc.w365_gov_tenant_mapping_info:
    cloud: gcc
    gov_auth: "{{ w365_gov_auth }}"
  register: gcc

- name: Fail when it is not
  ansible.builtin.assert:
    that: gcc.mapped
'''

RETURN = r'''
mapped:
  description: Whether the GCC tenant is mapped to the O(gov_auth) tenant.
  returned: always
  type: bool
mapping:
  description: The tenant mapping, or null when there is none.
  returned: always
  type: dict
  contains:
    id:
      description: The GCC tenant ID.
      type: str
    organization_ids_in_us_gov_cloud:
      description: The mapped Azure Government tenant IDs.
      type: list
      elements: str
gov_tenant_id:
  description: The Azure Government tenant ID, from the O(gov_auth) sign-in.
  returned: always
  type: str
service_principal:
  description: The Windows 365 service principal in the Azure Government tenant.
  returned: always
  type: dict
  contains:
    app_id:
      description: The Windows 365 app ID.
      type: str
    object_id:
      description: Its object ID, or null when missing.
      type: str
    present:
      description: Whether it exists.
      type: bool
'''

from ansible_collections.w365.cloudpc.plugins.module_utils import _gov_mapping
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module


def main():
    module = W365Module(argument_spec={}, supports_check_mode=True)

    def body():
        _gov_mapping.require_gcc(module, 'w365_gov_tenant_mapping_info')
        return _gov_mapping.info(module)

    result = module.run(body, 'Windows 365 GCC tenant mapping')
    module.exit(False, **result)


if __name__ == '__main__':
    main()
