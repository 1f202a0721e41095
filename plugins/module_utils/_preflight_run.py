# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The orchestration of `w365_preflight`: which reads run, in which order, and which checks they feed.

`run_preflight(module)` validates the options, resolves the network target, runs the sign-in checks, then the
network, grant and image checks, and exits the module with every check and the summary. A read that fails becomes
that check's failure and the checks that depend on it are skipped; nothing here writes. The checks themselves are
pure functions in `_preflight.py`; `module` needs only `params`, `graph`, `arm`, `credential`, `endpoints` and
`exit` (tests pass a stand-in).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    API_NETWORK, API_PERMISSIONS, API_RESOURCE_GROUPS, API_SUBSCRIPTIONS,
    GRAPH_ANC_PATH as ANC_PATH, SUPPORTED_ANC_REGIONS, SUPPORTED_REGIONS_PATH)
from ansible_collections.w365.cloudpc.plugins.module_utils import _preflight as pf
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError,
    W365ConfigError,
    W365Error,
)

ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write'


class ArmReader(object):
    """Plain ARM REST reads (module.arm: azure-core only, no azure-mgmt import): the checks read JSON documents."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def get(self, path: str, api_version: str) -> Any:
        """JSON document at ``path``, or None on 404. Other errors raise W365ApiError."""
        return self.module.arm.get_or_none(path, api_version)

    def list(self, path: str, api_version: str) -> Any:
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

    def __init__(self, module: Any, target: Any) -> None:
        self.module = module
        self.params = module.params
        self.target = target
        self.arm = ArmReader(module)
        self.checks: List[Dict[str, Any]] = []
        self.facts: Dict[str, Any] = {}
        self._principal = None
        self._principal_read = False

    def add(self, check: Dict[str, Any]) -> Dict[str, Any]:
        self.checks.append(check)
        return check

    def ok(self, name: str) -> bool:
        return any(c['name'] == name and c['status'] in (pf.PASSED, pf.WARNING) for c in self.checks)

    def guarded(self, name: str, what: str, fn: Callable[..., Any]) -> Any:
        """Run one fact read; a service error becomes this check's failure (never a half-finished run).

        Returns _FAILED when the read failed (the failure is already recorded).
        """
        try:
            return fn()
        except W365Error as err:
            self.add(pf.api_error_check(name, what, err))
        return _FAILED

    # --- network --------------------------------------------------------------------------------

    def run_network(self) -> Any:
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

    def supported_regions(self) -> Any:
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

    def principal(self) -> Any:
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

    def run_grants(self, purpose: str, target: Any, suffix: str = '') -> Any:
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

    def can_write_role_assignments(self, scope: str) -> Any:
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

    def run_images(self, images: Any) -> None:
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


def resolve(params: Dict[str, Any]) -> Any:
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


def planned_operations(params: Dict[str, Any], target: Any, images: Any) -> List[str]:
    """What the deployment this preflight guards will do, for the sign-in checks."""
    ops = []
    if target is not None:
        ops += ['anc_read', 'anc_write']
    if images:
        ops.append('image_write')
    if params['check_grants'] and (target is not None or images):
        ops += ['principal_lookup', 'role_grant']
    return ops


def run_preflight(module: Any) -> None:
    """Run every check of w365_preflight for `module` and exit it with the result (W365Error on bad options)."""
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
