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

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    API_NETWORK, API_PERMISSIONS, API_RESOURCE_GROUPS, API_SUBSCRIPTIONS, DEFAULT_ANC_LIMIT,
    GRAPH_ANC_PATH as ANC_PATH, SUPPORTED_ANC_REGIONS, SUPPORTED_REGIONS_PATH)
from ansible_collections.w365.cloudpc.plugins.module_utils import _preflight as pf
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError,
    W365ConfigError,
    W365Error,
)
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module, subscription_id_option

ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write'


class ArmReader(object):
    """Plain ARM REST reads (module.arm: azure-core only, no azure-mgmt import): the checks read JSON documents."""

    def __init__(self, module):
        self.module = module

    def get(self, path, api_version):
        """JSON document at ``path``, or None on 404. Other errors raise W365ApiError."""
        return self.module.arm.get_or_none(path, api_version)

    def list(self, path, api_version):
        """Every item of the list at ``path`` (following nextLink), or None on 404."""
        try:
            return self.module.arm.list(path, api_version)
        except W365ApiError as err:
            if err.status == 404:
                return None
            raise


_FAILED = object()


class Preflight(object):
    """Runs every check; a read that fails becomes a failed check and dependants are skipped."""

    def __init__(self, module, target):
        self.module = module
        self.params = module.params
        self.target = target
        self.arm = ArmReader(module)
        self.checks = []
        self.facts = {}
        self._principal = None
        self._principal_read = False

    def add(self, check):
        self.checks.append(check)
        return check

    def ok(self, name):
        return any(c['name'] == name and c['status'] in (pf.PASSED, pf.WARNING) for c in self.checks)

    def guarded(self, name, what, fn):
        """Run one fact read; a service error becomes this check's failure (never a half-finished run).

        Returns _FAILED when the read failed (the failure is already recorded).
        """
        try:
            return fn()
        except W365Error as err:
            self.add(pf.api_error_check(name, what, err))
        return _FAILED

    # --- network --------------------------------------------------------------------------------

    def run_network(self):
        target = self.target
        sub = target.subscription_id

        def subscription():
            found = self.arm.get('/subscriptions/%s' % sub, API_SUBSCRIPTIONS)
            self.add(pf.existence_check(
                'subscription', 'Subscription', '/subscriptions/%s' % sub, found,
                'Check subscription_id, and that the caller has at least Reader on the subscription.'))
            if found and (found.get('state') or 'Enabled') != 'Enabled':
                self.checks[-1] = pf.make_check(
                    'subscription', pf.FAILED, 'Subscription %s is %s.' % (sub, found.get('state')),
                    'Use an enabled subscription.', id='/subscriptions/%s' % sub)

        self.guarded('subscription', 'the subscription', subscription)

        if not self.ok('subscription'):
            self.add(pf.skipped('resource_group', 'the subscription is not readable'))
        else:
            self.guarded('resource_group', 'the resource group', lambda: self.add(pf.existence_check(
                'resource_group', 'Resource group', target.resource_group_id,
                self.arm.get(target.resource_group_id, API_RESOURCE_GROUPS),
                'Check resource_group, and that the caller has at least Reader on it.')))

        vnet = None
        if not self.ok('resource_group'):
            self.add(pf.skipped('virtual_network', 'the resource group is not readable'))
        else:
            def read_vnet():
                found = self.arm.get(target.virtual_network_id, API_NETWORK)
                self.add(pf.existence_check('virtual_network', 'Virtual network', target.virtual_network_id, found,
                                            'Check virtual_network, and that the caller has at least Reader on it.'))
                return found
            vnet = self.guarded('virtual_network', 'the virtual network', read_vnet)

        if vnet is None or vnet is _FAILED:
            for name in ('virtual_network_region', 'virtual_network_dns', 'subnet'):
                self.add(pf.skipped(name, 'the virtual network is not readable'))
        else:
            regions = self.supported_regions()
            if regions is not _FAILED:
                names, statuses, source, note = regions
                self.add(pf.region_check(vnet.get('location'), self.params['location'], names, source=source,
                                         statuses=statuses, source_note=note))
            dns = ((vnet.get('properties') or {}).get('dhcpOptions') or {}).get('dnsServers') or []
            self.add(pf.hybrid_dns_check(self.params['join_type'], dns))
            subnet = self._find_subnet(vnet)
            if subnet is None:
                # The vnet document lists its subnets; read the subnet itself in case the list was trimmed.
                subnet = self.guarded('subnet', 'the subnet', lambda: self.arm.get(target.subnet_id, API_NETWORK))
            if subnet is not _FAILED:
                self.add(pf.existence_check('subnet', 'Subnet', target.subnet_id, subnet,
                                            'Check subnet; create it in the virtual network first.'))
                self.facts['subnet'] = subnet

        if not self.ok('subnet'):
            self.add(pf.skipped('subnet_capacity', 'the subnet is not readable'))
        else:
            self.guarded('subnet_capacity', 'the subnet usage', self._capacity)

        self.guarded('anc_limit', 'the Azure network connections of the tenant', self._anc_limit)

    def supported_regions(self):
        """(names, statuses, source, note): the supported_regions option, else Graph's live list, else (only when
        Graph refuses the call with 403) the built-in list. Another error fails the region check with the service's
        error, so a broken read never passes silently."""
        if self.params['supported_regions']:
            return list(self.params['supported_regions']), None, pf.REGIONS_FROM_OPTION, None
        try:
            # Graph beta cloudPcSupportedRegion (learn.microsoft.com/graph/api/virtualendpoint-list-supportedregions).
            regions = self.module.graph.list(SUPPORTED_REGIONS_PATH, version='beta')
        except W365ApiError as err:
            if err.status != 403:
                self.add(pf.api_error_check('virtual_network_region', 'the regions Windows 365 supports', err))
                return _FAILED
            note = ('Graph refused supportedRegions (HTTP 403 %s, request id %s); checked against the list published '
                    'when this collection was released' % (err.code, err.request_id or '-'))
            return list(SUPPORTED_ANC_REGIONS), None, pf.REGIONS_BUILT_IN, note
        names, statuses = pf.supported_regions_from_graph(regions)
        return names, statuses, pf.REGIONS_FROM_GRAPH, None

    def _find_subnet(self, vnet):
        from ansible_collections.w365.cloudpc.plugins.module_utils._ids import same_id

        for subnet in (vnet.get('properties') or {}).get('subnets') or []:
            if same_id(subnet.get('id'), self.target.subnet_id):
                return subnet
        return None

    def _capacity(self):
        from ansible_collections.w365.cloudpc.plugins.module_utils._ids import same_id

        subnet = self.facts['subnet']
        props = subnet.get('properties') or {}
        prefixes = props.get('addressPrefixes') or ([props['addressPrefix']] if props.get('addressPrefix') else [])
        usages = self.arm.list(self.target.virtual_network_id + '/usages', API_NETWORK)
        used = None
        for usage in usages or []:
            if same_id(usage.get('id'), self.target.subnet_id):
                used = int(usage.get('currentValue') or 0)
        if used is None:
            # No usage entry: count the NIC IP configurations the subnet itself lists.
            used = len(props.get('ipConfigurations') or [])
        self.add(pf.subnet_capacity_check(prefixes, used, self.params['planned_cloud_pcs']))

    def _anc_limit(self):
        connections = self.module.graph.list(ANC_PATH, params={'$select': 'id,displayName'})
        names = [c.get('displayName') for c in connections]
        self.add(pf.anc_limit_check(names, self.params['anc_limit'], self.params['name']))

    # --- service principal and grants -----------------------------------------------------------

    def principal(self):
        if not self._principal_read:
            from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import (
                find_windows365_principal,
            )
            self._principal_read = True
            principal = self.guarded('windows365_service_principal', 'the Windows 365 service principal',
                                     lambda: find_windows365_principal(self.module.directory_graph))
            if principal is not _FAILED:
                self._principal = principal
                self.add(pf.service_principal_check(principal))
        return self._principal

    def run_grants(self, purpose, target, suffix=''):
        grants_name = 'role_grants' + suffix
        perms_name = 'grant_permissions' + suffix
        principal = self.principal()
        if not principal:
            self.add(pf.skipped(grants_name, 'the Windows 365 service principal is missing'))
            self.add(pf.skipped(perms_name, 'the Windows 365 service principal is missing'))
            return

        def read():
            from ansible_collections.w365.cloudpc.plugins.module_utils._grants import check_grants
            return check_grants(self.module, principal, purpose, target)

        report = self.guarded(grants_name, 'the role assignments of the Windows 365 service principal', read)
        if report is _FAILED:
            self.add(pf.skipped(perms_name, 'the role assignments could not be read'))
            return
        self.add(pf.grants_check(report.granted, report.missing, report.legacy, name=grants_name))

        def permissions():
            writable = {}
            for grant in report.missing:
                scope = grant['scope']
                if scope.lower() not in writable:
                    writable[scope.lower()] = self.can_write_role_assignments(scope)
            self.add(pf.grant_permission_check(report.missing, writable, name=perms_name))

        self.guarded(perms_name, "the caller's permissions", permissions)

    def can_write_role_assignments(self, scope):
        """True/False: may the caller create role assignments at ``scope``; None when that cannot be told.

        ARM documents the caller's permissions for a resource group (Permissions_ListForResourceGroup) and a resource
        (Permissions_ListForResource), not for a subscription. At subscription scope the caller's own role
        assignments there (atScope() and assignedTo(oid)) and their role definitions answer it instead
        (learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope). A 404 is never read as "no".
        """
        if pf.is_subscription_scope(scope):
            return self._can_write_at_subscription(scope.rstrip('/'))
        blocks = self.arm.list(scope + '/providers/Microsoft.Authorization/permissions', API_PERMISSIONS)
        if blocks is None:
            return None
        return pf.has_permission([{'actions': b.get('actions'), 'not_actions': b.get('notActions')} for b in blocks],
                                 ROLE_ASSIGNMENT_WRITE)

    def _can_write_at_subscription(self, scope):
        from ansible_collections.w365.cloudpc.plugins.module_utils._constants import ROLES_THAT_CAN_GRANT

        oid = pf.token_object_id(self.module.arm_credential.get_token(self.module.endpoints.arm_scope).token)
        if oid is None:
            return None
        try:
            assignments = self.module.arm.list(scope + '/providers/Microsoft.Authorization/roleAssignments',
                                               API_PERMISSIONS,
                                               params={'$filter': "atScope() and assignedTo('%s')" % oid})
        except W365ApiError as err:
            if err.status == 403:
                return False  # may not even read the role assignments there
            if err.status == 404:
                return None
            raise
        for assignment in assignments:
            definition_id = (assignment.get('properties') or {}).get('roleDefinitionId') or ''
            if definition_id.rstrip('/').rsplit('/', 1)[-1].lower() in ROLES_THAT_CAN_GRANT:
                return True
            definition = self.arm.get(definition_id, API_PERMISSIONS) if definition_id else None
            permissions = ((definition or {}).get('properties') or {}).get('permissions') or []
            if pf.has_permission([{'actions': p.get('actions'), 'not_actions': p.get('notActions')}
                                  for p in permissions], ROLE_ASSIGNMENT_WRITE):
                return True
        return False

    # --- images ---------------------------------------------------------------------------------

    def run_images(self, images):
        from ansible_collections.w365.cloudpc.plugins.module_utils._ids import NetworkTarget

        from ansible_collections.w365.cloudpc.plugins.module_utils import _images

        subscriptions = []
        for image in images:
            documents = []
            for path, api_version in _images.source_reads(image):
                found = self.guarded('source_image', 'source image %s' % path,
                                     lambda path=path, api_version=api_version: self.arm.get(path, api_version))
                if found is _FAILED:
                    break
                documents.append(found)
                if found is None:
                    self.add(pf.source_image_check(path, None))
                    break
            if len(documents) == len(_images.source_reads(image)) and all(documents):
                self.add(pf.source_image_check(image['id'], True))
                problems = _images.requirement_problems(_images.source_facts(image, documents),
                                                        self.params['max_os_disk_size_gb'])
                self.add(pf.image_requirements_check(image['id'], problems))
            else:
                self.add(pf.skipped('source_image_requirements', 'source image %s is not readable' % image['id']))
            if image['subscription_id'] not in subscriptions:
                subscriptions.append(image['subscription_id'])
        if not self.params['check_grants']:
            return
        for sub in subscriptions:
            if self.target is not None and sub.lower() == (self.target.subscription_id or '').lower() \
                    and self.ok('role_grants'):
                # Reader on this subscription is already part of the network grants checked above.
                continue
            target = NetworkTarget('/subscriptions/%s' % sub, None, None, None)
            self.run_grants('custom_image', target, suffix='' if self.target is None else '_images')


def resolve(params):
    """Network options to IDs by the one resolver of w365_anc and w365_role_grant; None without a network."""
    from ansible_collections.w365.cloudpc.plugins.module_utils._ids import resolve_network_target

    if not params['subnet']:
        for option in ('resource_group', 'virtual_network', 'virtual_network_resource_group'):
            if params[option]:
                raise W365ConfigError('subnet', 'subnet is required when %s is given: the network checks need '
                                                'the subnet the Cloud PCs will use' % option)
        return None
    target = resolve_network_target(params, nic_group_from_network=True)
    if not target.subnet_id:
        raise W365ConfigError('subnet', 'give subscription_id, resource_group, virtual_network and subnet names, '
                                        'or a full subnet resource ID')
    return target


def planned_operations(params, target, images):
    """What the deployment this preflight guards will do, for the sign-in checks."""
    ops = []
    if target is not None:
        ops += ['anc_read', 'anc_write']
    if images:
        ops.append('image_write')
    if params['check_grants'] and (target is not None or images):
        ops += ['principal_lookup', 'role_grant']
    return ops


def run(module):
    params = module.params
    if params['planned_cloud_pcs'] < 0:
        raise W365ConfigError('planned_cloud_pcs', 'planned_cloud_pcs must be 0 or more, got %d'
                              % params['planned_cloud_pcs'])
    if params['max_os_disk_size_gb'] < 1:
        raise W365ConfigError('max_os_disk_size_gb', 'max_os_disk_size_gb must be at least 1 GB, got %d'
                              % params['max_os_disk_size_gb'])
    if params['anc_limit'] < 1:
        raise W365ConfigError('anc_limit', 'anc_limit must be at least 1, got %d' % params['anc_limit'])
    target = resolve(params)
    images = []
    if params['source_image_ids']:
        from ansible_collections.w365.cloudpc.plugins.module_utils import _images
        for index, image_id in enumerate(params['source_image_ids']):
            try:
                images.append(_images.parse_source_image_id(image_id))
            except W365ConfigError as err:
                raise W365ConfigError('source_image_ids', 'source_image_ids[%d]: %s' % (index, err.message))
    if target is None and not images:
        raise W365ConfigError('subnet', 'nothing to check: give the network (subnet and the options it needs) '
                                        'and/or source_image_ids')

    preflight = Preflight(module, target)
    # The sign-in first: one token per audience, decoded; a failed sign-in ends the preflight (no further attempts).
    from ansible_collections.w365.cloudpc.plugins.module_utils._signin_checks import run_signin_checks
    checks, signin_failed = run_signin_checks(module, planned_operations(params, target, images))
    preflight.checks.extend(checks)
    if not signin_failed:
        # Windows 365 Government GCC: the Azure Government sign-in and the tenant mapping (module_utils/_gov_checks).
        from ansible_collections.w365.cloudpc.plugins.module_utils._gov_checks import gov_checks
        checks, signin_failed = gov_checks(module)
        preflight.checks.extend(checks)
    if signin_failed:
        summary = pf.summarize(preflight.checks)
        module.exit(False, checks=preflight.checks, summary=summary, passed=False,
                    target=dict(target._asdict()) if target is not None else {})
        return
    if target is not None:
        preflight.run_network()
        preflight.add(pf.hybrid_inputs_check(params['join_type'], params['ad_domain_name'],
                                             params['ad_domain_username'], bool(params['ad_domain_password']),
                                             params['organizational_unit']))
    if params['check_grants']:
        if target is not None:
            if preflight.ok('virtual_network'):
                preflight.run_grants('network_connection', target)
            else:
                preflight.principal()
                preflight.add(pf.skipped('role_grants', 'the virtual network is not readable'))
                preflight.add(pf.skipped('grant_permissions', 'the virtual network is not readable'))
        else:
            preflight.principal()
    if images:
        preflight.run_images(images)

    summary = pf.summarize(preflight.checks)
    module.exit(False, checks=preflight.checks, summary=summary, passed=summary['failed'] == 0,
                target=dict(target._asdict()) if target is not None else {})


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
    module.run(lambda: run(module), 'Preflight')


if __name__ == '__main__':
    main()
