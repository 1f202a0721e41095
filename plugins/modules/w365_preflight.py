#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: w365_preflight
short_description: Check that an Azure network connection and custom images can be rolled out, without changing anything
version_added: 0.1.0
description:
  - Read-only checks for a planned Windows 365 Azure network connection (ANC) and, optionally, custom images.
  - Returns every check with its status (V(passed), V(warning), V(failed), or V(skipped) when a check it depends on
    failed), what was found, and what to do about it. The module never stops half-way and never fails because a
    check failed; the caller (for example the R(w365.cloudpc.preflight role,ansible_collections.w365.cloudpc.preflight_role))
    decides. It fails only on malformed options.
  - "Network checks (when O(subnet) is given): the subscription, resource group, virtual network and subnet exist and
    are readable; the virtual network's region (against O(location) when given); subnet capacity - addresses free now
    against O(planned_cloud_pcs), keeping at least half of the subnet free for disaster-recovery reprovisioning as
    Windows 365 asks, with the 5 addresses Azure reserves in every subnet not counted as usable; for hybrid join,
    custom DNS servers on the virtual network; the tenant's ANC count against O(anc_limit)."
  - "Tenant and permission checks: the Windows 365 service principal exists; which of the role assignments Windows 365
    needs exist or are missing; whether the caller may create the missing ones (its own
    C(Microsoft.Authorization/roleAssignments/write) permission at each scope); hybrid join inputs are well-formed."
  - "Image checks (for each of O(source_image_ids)): the image exists; it meets the Windows 365 image requirements Azure
    shows - Hyper-V generation 2, generalized, Windows, no data disks, OS disk no larger than O(max_os_disk_size_gb)
    (Microsoft Learn, Windows 365 device images overview); Windows 365 holds (or the caller may grant) Reader on its
    subscription."
author:
  - w365.cloudpc contributors (@w365)
extends_documentation_fragment:
  - w365.cloudpc.auth
  - w365.cloudpc.auth.subscription_id
  - w365.cloudpc.attributes
  - w365.cloudpc.attributes.actiongroup
  - w365.cloudpc.attributes.info_module
  - w365.cloudpc.network
options:
  name:
    description:
      - Display name of the planned Azure network connection. An existing connection of that name needs no new slot
        under O(anc_limit).
    type: str
  join_type:
    description:
      - How the Cloud PCs will join. V(hybrid_join) needs the AD options below.
    type: str
    choices: [entra_join, hybrid_join]
    default: entra_join
  resource_group:
    description:
      - Resource group where Windows 365 creates the Cloud PCs' network interfaces (as for
        M(w365.cloudpc.w365_anc)), by name or full resource ID.
      - Also where the virtual network is looked up by name, unless O(virtual_network_resource_group) is set.
    type: str
  subnet:
    description:
      - The subnet for the Cloud PCs, as a name (inside O(virtual_network)) or a full resource ID.
      - O(subscription_id) is the subscription of the virtual network; it is not needed when O(subnet) or
        O(virtual_network) is a full resource ID.
      - Without it no network check runs (use that for image-only preflights).
    type: str
  location:
    description:
      - Azure region the deployment targets (for example V(westeurope) or V(West Europe)). When given, the virtual
        network must be in it.
    type: str
  supported_regions:
    description:
      - Azure regions where Windows 365 supports Azure network connections. The virtual network must be in one of
        them, or the connection's health check fails (C(resourceAvailabilityCheckUnsupportedVNetRegion)).
      - When not given, the module reads Windows 365's live list (Graph beta C(supportedRegions), with each region's
        status; a C(restricted) region warns, an C(unavailable) one fails). Only when Graph refuses that call (HTTP
        403) does it fall back to the list Microsoft published when this collection was released. The check's
        C(data.regions_source) says which list was used (C(graph), C(built-in) or C(supported_regions option)).
      - Give the full list to override both. Names compare without case, spaces or dashes.
    type: list
    elements: str
  planned_cloud_pcs:
    description:
      - How many Cloud PCs will be provisioned on this subnet. The check fails when they do not fit, and warns when
        they leave less than half of the usable addresses free for disaster recovery.
    type: int
    default: 0
  anc_limit:
    description:
      - Azure network connections the tenant may hold (50 by default, as Windows 365 documents).
    type: int
    default: 50
  ad_domain_name:
    description:
      - Hybrid join only. DNS name of the Active Directory domain.
    type: str
  ad_domain_username:
    description:
      - Hybrid join only. The domain join account in UPN form.
    type: str
  ad_domain_password:
    description:
      - Hybrid join only. Only checked for presence; never sent anywhere by this module and never returned.
    type: str
  organizational_unit:
    description:
      - Hybrid join only. Distinguished name of the OU for the computer objects.
    type: str
  source_image_ids:
    description:
      - Images that will be uploaded as custom images, as in
        O(w365.cloudpc.w365_custom_image#module:source_image_id) - managed images
        (C(/subscriptions/.../resourceGroups/.../providers/Microsoft.Compute/images/NAME)) or image versions in an
        Azure Compute Gallery (C(.../providers/Microsoft.Compute/galleries/G/images/D/versions/V), preview).
      - Each is checked against the Windows 365 image requirements Azure can show (check
        C(source_image_requirements)).
    type: list
    elements: str
    default: []
  max_os_disk_size_gb:
    description:
      - Largest OS disk, in GB, a source image may have (as for M(w365.cloudpc.w365_custom_image)); Microsoft asks for
        the default 64 GB.
    type: int
    default: 64
  check_grants:
    description:
      - Check the Windows 365 role assignments and whether the caller could create the missing ones.
    type: bool
    default: true
  app_only_anc_writes:
    description:
      - Whether this tenant accepts app-only (application permission) sign-ins for Azure network connection writes.
        Microsoft documents those writes as delegated only; many tenants accept application C(CloudPC.ReadWrite.All).
      - V(refused) makes an app-only sign-in a failed C(sign_in_anc_write) check, so a rollout stops before any
        write; V(allowed) reports it as a warning.
    type: str
    choices: [allowed, refused]
    default: allowed
notes:
  - Reads Microsoft Graph (service principal, Azure network connections) and Azure Resource Manager (subscription,
    resource group, virtual network, subnet usage, role assignments, the caller's permissions, managed images).
  - A check whose facts could not be read (for example HTTP 403) is reported as V(failed) with the service's status,
    error code and request id.
seealso:
  - module: w365.cloudpc.w365_anc
  - module: w365.cloudpc.w365_role_grant_info
  - module: w365.cloudpc.w365_custom_image
  - name: Azure network connection prerequisites
    description: Windows 365 documentation.
    link: https://learn.microsoft.com/windows-365/enterprise/create-azure-network-connection
'''

EXAMPLES = r'''
- name: Check a planned Entra-joined connection for 100 Cloud PCs
  w365.cloudpc.w365_preflight:
    name: anc-weu-01
    subscription_id: 6f1c1c1e-0000-4000-8000-000000000001
    resource_group: rg-cpc-weu
    virtual_network: vnet-cpc-weu
    subnet: cloudpcs
    location: westeurope
    planned_cloud_pcs: 100
  register: preflight

- name: Stop when a check failed, listing each with its remedy
  ansible.builtin.fail:
    msg: "{{ preflight.checks | selectattr('status', 'equalto', 'failed') | map(attribute='remedy') | list }}"
  when: not preflight.passed

- name: Image-only preflight
  w365.cloudpc.w365_preflight:
    source_image_ids:
      - /subscriptions/6f1c1c1e-0000-4000-8000-000000000001/resourceGroups/rg-images/providers/Microsoft.Compute/images/win11-golden
'''

RETURN = r'''
checks:
  description: Every check in the order run.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description:
        - Stable check name, for example C(subnet_capacity), C(anc_limit), C(role_grants), C(source_image).
        - The sign-in checks come first - C(sign_in) (the sign-in itself; when it fails it is the only check, and
          nothing else is tried), then per planned operation C(sign_in_anc_read), C(sign_in_anc_write),
          C(sign_in_image_write), C(sign_in_principal_lookup), C(sign_in_role_grant), from the claims of the access
          tokens (C(roles) or C(scp), directory roles in C(wids), C(mfa) in C(amr)).
      type: str
    status:
      description: V(passed), V(warning), V(failed), or V(skipped) (not evaluated because a check it needs failed).
      type: str
    detail:
      description: What was found.
      type: str
    remedy:
      description: What to do; null when nothing needs doing.
      type: str
    data:
      description: Facts behind the check (for example the subnet address counts, or the grants found and missing).
      type: dict
      returned: when the check has facts to share
  sample:
    - name: subnet_capacity
      status: warning
      detail: "251 usable addresses (256 minus 5 Azure reserves), 120 in use, 131 free; ..."
      remedy: "Windows 365 asks to keep at least 50% of the subnet free ..."
summary:
  description: Counts per status and the overall verdict.
  returned: always
  type: dict
  contains:
    status:
      description: V(failed) if any check failed, else V(warning) if any warned, else V(passed).
      type: str
    total:
      description: Number of checks.
      type: int
    passed:
      description: Checks that passed.
      type: int
    warning:
      description: Checks that warned.
      type: int
    failed:
      description: Checks that failed.
      type: int
    skipped:
      description: Checks not evaluated.
      type: int
    failed_checks:
      description: Names of the failed checks.
      type: list
      elements: str
    warning_checks:
      description: Names of the checks that warned.
      type: list
      elements: str
passed:
  description: True when no check failed.
  returned: always
  type: bool
target:
  description: The resolved resource IDs the checks looked at.
  returned: always
  type: dict
  contains:
    subscription_id:
      description: Subscription GUID.
      type: str
    resource_group_id:
      description: Resource group ID.
      type: str
    virtual_network_id:
      description: Virtual network ID.
      type: str
    subnet_id:
      description: Subnet ID.
      type: str
'''

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import DEFAULT_ANC_LIMIT
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module, subscription_id_option
from ansible_collections.w365.cloudpc.plugins.module_utils._preflight_run import run_preflight


def main():
    module = W365Module(
        argument_spec=dict(
            name=dict(type='str'),
            join_type=dict(type='str', choices=['entra_join', 'hybrid_join'], default='entra_join'),
            subscription_id=subscription_id_option(),
            resource_group=dict(type='str'),
            virtual_network_resource_group=dict(type='str'),
            virtual_network=dict(type='str'),
            subnet=dict(type='str'),
            location=dict(type='str'),
            supported_regions=dict(type='list', elements='str'),
            planned_cloud_pcs=dict(type='int', default=0),
            anc_limit=dict(type='int', default=DEFAULT_ANC_LIMIT),
            ad_domain_name=dict(type='str'),
            ad_domain_username=dict(type='str'),
            ad_domain_password=dict(type='str', no_log=True),
            organizational_unit=dict(type='str'),
            source_image_ids=dict(type='list', elements='str', default=[]),
            max_os_disk_size_gb=dict(type='int', default=64),
            check_grants=dict(type='bool', default=True),
            app_only_anc_writes=dict(type='str', choices=['allowed', 'refused'], default='allowed'),
        ),
        supports_check_mode=True,
    )
    module.run(lambda: run_preflight(module), 'Preflight')


if __name__ == '__main__':
    main()
