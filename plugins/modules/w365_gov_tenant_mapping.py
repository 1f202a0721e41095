#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: w365_gov_tenant_mapping
short_description: Set up Windows 365 Government GCC - the Windows 365 service principal and the tenant mapping
version_added: 1.1.0
description:
  - Does what Microsoft's GCC setup scripts do, idempotently. In the Azure Government tenant (option O(gov_auth)) it
    creates the Windows 365 service principal (app ID C(0af06dc6-e4b5-4f28-818e-e78e62d137a5)) when it is missing.
    Then it maps the commercial GCC tenant (the task's own sign-in) to that Azure Government tenant through Microsoft
    Graph beta C(crossCloudGovernmentOrganizationMapping), sending the Azure Government tenant's token for the
    Windows 365 app in header C(X-MS-CloudPC-USGovCloudTenantAADToken).
  - Microsoft supports the mapping for a delegated (user) sign-in to the GCC tenant only, with
    C(CloudPC.ReadWrite.All) - use O(auth_method=username_password) or O(auth_method=device_code) there.
  - A mapping is one to one and Graph can neither change nor delete it. A GCC tenant already mapped to another
    Azure Government tenant fails the task, naming both; nothing is changed.
  - Role grants for the Windows 365 service principal are the job of M(w365.cloudpc.w365_role_grant) with
    O(cloud=gcc), which grants in the Azure Government tenant.
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  state:
    description:
      - V(present) makes sure the service principal exists (see O(ensure_service_principal)) and the tenants are
        mapped. Graph has no delete for a mapping, so there is no V(absent).
    type: str
    default: present
    choices: [present]
  ensure_service_principal:
    description:
      - Create the Windows 365 service principal in the Azure Government tenant when it is missing. Needs
        C(Application.ReadWrite.All) (app-only) or the Application Administrator role (user) for O(gov_auth).
      - With V(false), a missing service principal is only reported.
    type: bool
    default: true
notes:
  - Needs O(cloud=gcc) and O(gov_auth); any other cloud fails before a request is sent.
seealso:
  - module: w365.cloudpc.w365_gov_tenant_mapping_info
  - module: w365.cloudpc.w365_role_grant
  - name: Set up tenants for Windows 365 Government
    description: Microsoft's GCC setup steps.
    link: https://learn.microsoft.com/windows-365/enterprise/set-up-tenants-windows-365-gcc
'''

EXAMPLES = r'''
- name: Map the GCC tenant to its Azure Government tenant
  w365.cloudpc.w365_gov_tenant_mapping:
    cloud: gcc
    auth_method: device_code
    tenant_id: "{{ gcc_tenant_id }}"
    client_id: "{{ public_client_app_id }}"
    gov_auth:
      tenant_id: "{{ gov_tenant_id }}"
      client_id: "{{ gov_client_id }}"
      client_certificate_path: /etc/w365/gov-automation.pem
  register: gcc_setup

- name: Show what was done
  ansible.builtin.debug:
    msg: "mapped to {{ gcc_setup.mapping.organization_ids_in_us_gov_cloud }}"
'''

RETURN = r'''
mapping:
  description: The tenant mapping after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    id:
      description: The GCC tenant ID (Graph's key of the mapping); null when predicted in check mode.
      type: str
    organization_ids_in_us_gov_cloud:
      description: The mapped Azure Government tenant IDs (one).
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
      description: Its object ID in the Azure Government tenant; null when missing, or created in check mode.
      type: str
    created:
      description: Whether this task created it (would create it, in check mode).
      type: bool
    present:
      description: Whether it exists after the task.
      type: bool
'''

from ansible_collections.w365.cloudpc.plugins.module_utils import _gov_mapping
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module


def main():
    module = W365Module(argument_spec=dict(state=dict(type='str', default='present', choices=['present']),
                                           ensure_service_principal=dict(type='bool', default=True)),
                        supports_check_mode=True)

    def body():
        _gov_mapping.require_gcc(module, 'w365_gov_tenant_mapping')
        return _gov_mapping.ensure(module, module.params['ensure_service_principal'])

    changed, result, diff = module.run(body, 'Windows 365 GCC tenant mapping')
    module.exit(changed, diff=diff, **result)


if __name__ == '__main__':
    main()
