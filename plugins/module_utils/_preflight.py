# -*- coding: utf-8 -*-
# Copyright: (c) 2026, w365.cloudpc maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure preflight logic: each check turns facts already read into a check record.

Nothing here talks to a service, so every rule is unit-tested without a sandbox. The module gathers
the facts and calls these functions; a check that could not gather its facts is recorded, never raised,
so one broken check never hides the others.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import ipaddress
import math
import re

PASSED = 'passed'
WARNING = 'warning'
FAILED = 'failed'
SKIPPED = 'skipped'
STATUSES = (PASSED, WARNING, FAILED, SKIPPED)

# Azure keeps the first four addresses and the last one of every subnet address range.
AZURE_RESERVED_PER_PREFIX = 5
# Windows 365 asks to keep at least half of the subnet free so every Cloud PC can be reprovisioned
# into new addresses during disaster recovery.
DR_FREE_FRACTION = 0.5


def make_check(name: str, status: str, detail: str, remedy: Optional[str] = None, **data: Any) -> Dict[str, Any]:
    """One check record in the shape the module returns (remedy is None when there is nothing to do)."""
    if status not in STATUSES:
        raise ValueError('unknown check status %r' % (status,))
    record: Dict[str, Any] = {'name': name, 'status': status, 'detail': detail, 'remedy': remedy}
    if data:
        record['data'] = data
    return record


def skipped(name: str, because: str) -> Dict[str, Any]:
    return make_check(name, SKIPPED, 'Not evaluated: %s.' % because,
                      'Fix the failed check it depends on, then run the preflight again.')


def summarize(checks: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Counts per status plus the overall verdict (failed beats warning beats passed)."""
    counts = {status: 0 for status in STATUSES}
    for check in checks:
        counts[check['status']] += 1
    if counts[FAILED]:
        overall = FAILED
    elif counts[WARNING]:
        overall = WARNING
    else:
        overall = PASSED
    return {
        'status': overall,
        'total': len(checks),
        'passed': counts[PASSED],
        'warning': counts[WARNING],
        'failed': counts[FAILED],
        'skipped': counts[SKIPPED],
        'failed_checks': [c['name'] for c in checks if c['status'] == FAILED],
        'warning_checks': [c['name'] for c in checks if c['status'] == WARNING],
    }


def normalize_location(location: str) -> Optional[str]:
    """'West Europe' and 'westeurope' name the same Azure region."""
    if location is None:
        return None
    return re.sub(r'[\s_-]', '', str(location)).lower()


# --- existence -----------------------------------------------------------------------------------

def existence_check(name: str, what: str, resource_id: Any, found: Any, remedy: str) -> Dict[str, Any]:
    if found:
        return make_check(name, PASSED, '%s %s exists and is readable.' % (what, resource_id), id=resource_id)
    return make_check(name, FAILED, '%s %s was not found (or the caller cannot read it).' % (what, resource_id),
                      remedy, id=resource_id)


# --- region --------------------------------------------------------------------------------------

REGIONS_FROM_GRAPH = 'graph'
REGIONS_BUILT_IN = 'built-in'
REGIONS_FROM_OPTION = 'supported_regions option'


def region_check(vnet_location: str, expected_location: Optional[str] = None, supported_regions: Any = None, source: Optional[str] = None, statuses: Any = None,
                 source_note: Optional[str] = None) -> Dict[str, Any]:
    """The vnet is where the deployment says, and in a region where Windows 365 supports ANCs.

    supported_regions: region names to accept (None: no list check). statuses: normalized region name ->
    Graph regionStatus (available, restricted, unavailable) when the list came from Graph's supportedRegions.
    source says where the list came from (REGIONS_FROM_GRAPH, REGIONS_BUILT_IN, REGIONS_FROM_OPTION) and is reported
    in the check, with source_note (why the built-in list was used). An unsupported region fails the ANC's health
    check (resourceAvailabilityCheckUnsupportedVNetRegion), so it fails here before anything is written.
    """
    facts = {}
    if source:
        facts['regions_source'] = source
    if source_note:
        facts['regions_source_note'] = source_note
    said = ' (supported regions from %s%s)' % (source, ': ' + source_note if source_note else '') if source else ''
    actual = normalize_location(vnet_location)
    if not actual:
        return make_check('virtual_network_region', WARNING, 'The virtual network reports no location.',
                          'Check the virtual network in the Azure portal.', **facts)
    facts['location'] = actual
    if expected_location and normalize_location(expected_location) != actual:
        return make_check(
            'virtual_network_region', FAILED,
            'The virtual network is in %s but this deployment targets %s.' % (actual, normalize_location(expected_location)),
            'Use a virtual network in %s, or correct the region in the inventory.' % normalize_location(expected_location),
            expected_location=normalize_location(expected_location), **facts)
    status = (statuses or {}).get(actual)
    if supported_regions is not None and actual not in {normalize_location(r) for r in supported_regions}:
        return make_check(
            'virtual_network_region', FAILED,
            'The virtual network is in %s, which is not a region where Windows 365 supports Azure network '
            'connections; its health check would fail with resourceAvailabilityCheckUnsupportedVNetRegion%s.'
            % (actual, said),
            'Use a virtual network in a supported region (see "Supported Azure regions" in the Windows 365 '
            'requirements). If Microsoft has added %s since this list was made, pass it in supported_regions.' % actual,
            **facts)
    if status == 'unavailable':
        return make_check(
            'virtual_network_region', FAILED,
            'Windows 365 reports region %s as unavailable%s.' % (actual, said),
            'Use a virtual network in a region Windows 365 reports as available.', region_status=status, **facts)
    if status == 'restricted':
        return make_check(
            'virtual_network_region', WARNING,
            'Windows 365 reports region %s as restricted%s: provisioning there needs an exception from Microsoft.'
            % (actual, said),
            'Ask Microsoft support to allow the region for the tenant, or use an available region.',
            region_status=status, **facts)
    if status:
        facts['region_status'] = status
    return make_check('virtual_network_region', PASSED,
                      'The virtual network is in %s; Cloud PCs on this connection are created there%s.' % (actual, said),
                      **facts)


def supported_regions_from_graph(regions: Any) -> Tuple[List[str], Dict[str, str]]:
    """(names, {normalized name: regionStatus}) from Graph beta supportedRegions, keeping Windows 365 regions.

    supportedSolution tells Windows 365 regions from Dev Box ones (cloudPcManagementService); an entry without it is
    kept. Regions reported unavailable stay in the map so the check can say so.
    """
    names = []
    statuses = {}
    for region in regions or []:
        solution = (region.get('supportedSolution') or 'windows365').lower()
        if solution != 'windows365':
            continue
        name = normalize_location(region.get('displayName') or region.get('id'))
        if not name:
            continue
        names.append(name)
        statuses[name] = (region.get('regionStatus') or 'available').lower()
    return names, statuses


# --- subnet capacity -----------------------------------------------------------------------------

def subnet_size(prefixes: Any) -> Tuple[int, int]:
    """Total addresses and addresses usable by Cloud PCs for a subnet's address prefixes."""
    total = 0
    usable = 0
    for prefix in prefixes:
        network = ipaddress.ip_network(prefix, strict=False)
        total += network.num_addresses
        usable += max(network.num_addresses - AZURE_RESERVED_PER_PREFIX, 0)
    return total, usable


def subnet_capacity(prefixes: Any, used: int, planned: int) -> Dict[str, Any]:
    """Facts about a subnet's room for ``planned`` more Cloud PCs, keeping half of it free for DR.

    ``used`` counts the addresses already taken by other NICs (Azure's subnet usage, which does not
    include the 5 reserved addresses).
    """
    total, usable = subnet_size(prefixes)
    used = int(used or 0)
    planned = int(planned or 0)
    free_now = max(usable - used, 0)
    free_after = free_now - planned
    keep_free = int(math.ceil(usable * DR_FREE_FRACTION))
    # The most Cloud PCs this subnet can take while still keeping the DR half free.
    max_planned = max(free_now - keep_free, 0)
    return {
        'address_prefixes': list(prefixes),
        'total_addresses': total,
        'reserved_addresses': total - usable,
        'usable_addresses': usable,
        'used_addresses': used,
        'free_addresses': free_now,
        'planned_cloud_pcs': planned,
        'free_after_provisioning': free_after,
        'dr_minimum_free': keep_free,
        'max_cloud_pcs_keeping_dr_free': max_planned,
    }


def subnet_capacity_check(prefixes: Any, used: int, planned: int) -> Dict[str, Any]:
    if not prefixes:
        return make_check('subnet_capacity', FAILED, 'The subnet has no address prefix.',
                          'Give the subnet an address range in Azure.')
    facts = subnet_capacity(prefixes, used, planned)
    desc = ('%(usable_addresses)d usable addresses (%(total_addresses)d minus %(reserved_addresses)d Azure reserves), '
            '%(used_addresses)d in use, %(free_addresses)d free; %(planned_cloud_pcs)d Cloud PCs planned leave '
            '%(free_after_provisioning)d free, and disaster recovery needs %(dr_minimum_free)d free.') % facts
    if facts['free_after_provisioning'] < 0:
        return make_check(
            'subnet_capacity', FAILED, 'Not enough addresses: ' + desc,
            'Use a larger subnet (at least %d usable addresses for %d Cloud PCs with the DR half kept free) '
            'or plan fewer Cloud PCs.' % (2 * (facts['planned_cloud_pcs'] + facts['used_addresses']),
                                          facts['planned_cloud_pcs']),
            **facts)
    if facts['free_after_provisioning'] < facts['dr_minimum_free']:
        return make_check(
            'subnet_capacity', WARNING, 'Less than half the subnet would stay free: ' + desc,
            'Windows 365 asks to keep at least 50%% of the subnet free for disaster-recovery reprovisioning: '
            'plan at most %d Cloud PCs here or widen the subnet.' % facts['max_cloud_pcs_keeping_dr_free'],
            **facts)
    return make_check('subnet_capacity', PASSED, desc, **facts)


# --- ANC limit -----------------------------------------------------------------------------------

def anc_limit_check(existing_names: Any, limit: int, planned_name: Optional[str] = None) -> Dict[str, Any]:
    """Whether the tenant can take one more ANC (an ANC that already exists by name needs no new slot)."""
    existing_names = list(existing_names)
    count = len(existing_names)
    exists = planned_name is not None and planned_name in existing_names
    facts: Dict[str, Any] = {'connections': count, 'limit': limit, 'already_exists': exists}
    if exists:
        return make_check('anc_limit', PASSED,
                          'The connection %r already exists; %d of %d connections used.' % (planned_name, count, limit),
                          **facts)
    if count >= limit:
        return make_check('anc_limit', FAILED,
                          'The tenant has %d Azure network connections; its limit is %d.' % (count, limit),
                          'Delete unused Azure network connections, or ask Microsoft support for a higher limit '
                          'and raise anc_limit.', **facts)
    if count + 1 >= limit:
        return make_check('anc_limit', WARNING,
                          'Creating this connection uses the last of %d slots (%d in use).' % (limit, count),
                          'Plan clean-up of unused connections before the next one.', **facts)
    return make_check('anc_limit', PASSED, '%d of %d Azure network connections used.' % (count, limit), **facts)


# --- hybrid join inputs --------------------------------------------------------------------------

def hybrid_inputs_check(join_type: str, ad_domain_name: Optional[str] = None, ad_domain_username: Optional[str] = None, password_given: bool = False,
                        organizational_unit: Optional[str] = None) -> Dict[str, Any]:
    """Well-formedness of the hybrid join inputs (the password is only checked for presence).

    Uses w365_anc's own validators, so whatever passes here is accepted by w365_anc.
    """
    hybrid_fields = {'ad_domain_name': ad_domain_name, 'ad_domain_username': ad_domain_username,
                     'organizational_unit': organizational_unit}
    if join_type != 'hybrid_join':
        given = sorted(k for k, v in hybrid_fields.items() if v) + (['ad_domain_password'] if password_given else [])
        if given:
            return make_check('hybrid_join_inputs', FAILED,
                              'Hybrid join options given for an %s connection: %s.' % (join_type, ', '.join(given)),
                              'Remove them, or set join_type to hybrid_join.', options=given)
        return make_check('hybrid_join_inputs', PASSED, 'Not needed: %s needs no Active Directory inputs.' % join_type)
    from ansible_collections.w365.cloudpc.plugins.module_utils import _anc
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

    problems = []
    if not ad_domain_name:
        problems.append('ad_domain_name is missing (the DNS name of the domain to join, e.g. corp.contoso.com)')
    if not ad_domain_username:
        problems.append('ad_domain_username is missing (a UPN such as svc-join@corp.contoso.com)')
    if not password_given:
        problems.append('ad_domain_password is missing')
    for value, validate in ((ad_domain_name, _anc.validate_domain_name), (ad_domain_username, _anc.validate_upn),
                            (organizational_unit, _anc.validate_organizational_unit)):
        if value:
            try:
                validate(value)
            except W365ConfigError as err:
                problems.append(err.message)
    if problems:
        return make_check('hybrid_join_inputs', FAILED, 'Hybrid join inputs are not usable: ' + '; '.join(problems) + '.',
                          'Correct the options named above.', problems=problems)
    return make_check('hybrid_join_inputs', PASSED,
                      'Domain %s, join account %s%s are well-formed.' % (
                          ad_domain_name, ad_domain_username,
                          ', OU %s' % organizational_unit if organizational_unit else ' (default computers container)'))


def hybrid_dns_check(join_type: str, dns_servers: Any) -> Dict[str, Any]:
    """Hybrid join needs the vnet to resolve the AD domain, which Azure's default DNS cannot do."""
    if join_type != 'hybrid_join':
        return make_check('virtual_network_dns', PASSED, 'Not needed: Azure DNS is fine for %s.' % join_type)
    if not dns_servers:
        return make_check('virtual_network_dns', WARNING,
                          'The virtual network uses Azure-provided DNS, which cannot resolve an on-premises domain.',
                          'Set the virtual network DNS servers to servers that resolve the AD domain.')
    return make_check('virtual_network_dns', PASSED,
                      'The virtual network uses custom DNS servers %s.' % ', '.join(dns_servers),
                      dns_servers=list(dns_servers))


# --- service principal and grants ----------------------------------------------------------------

def service_principal_check(object_id: str) -> Dict[str, Any]:
    if object_id:
        return make_check('windows365_service_principal', PASSED,
                          'The Windows 365 service principal exists (object ID %s).' % object_id, object_id=object_id)
    return make_check('windows365_service_principal', FAILED,
                      'The Windows 365 service principal (app ID 0af06dc6-e4b5-4f28-818e-e78e62d137a5) is not in '
                      'this tenant.',
                      'Create it: az ad sp create --id 0af06dc6-e4b5-4f28-818e-e78e62d137a5 (or '
                      'New-MgServicePrincipal -AppId 0af06dc6-e4b5-4f28-818e-e78e62d137a5), then wait a few minutes.')


def grants_check(granted: Any, missing: Any, legacy: Any = (), name: str = 'role_grants') -> Dict[str, Any]:
    """granted / missing / legacy are lists of {role_name, scope, ...} dicts."""
    granted = list(granted)
    missing = list(missing)
    legacy = list(legacy)
    facts = {'granted': granted, 'missing': missing, 'legacy': legacy}
    if missing:
        return make_check(name, WARNING,
                          'Missing Windows 365 role assignments: %s.' % _describe_grants(missing),
                          'Grant them with w365.cloudpc.w365_role_grant (the network_connection role does this) '
                          'or have an Owner grant them.', **facts)
    detail = 'All %d Windows 365 role assignments exist.' % len(granted)
    if legacy:
        return make_check(name, WARNING, detail + ' Legacy Network Contributor assignments remain: %s.'
                          % _describe_grants(legacy),
                          'Remove them with w365_role_grant remove_legacy_grants=true.', **facts)
    return make_check(name, PASSED, detail, **facts)


def _grants_named(name, status, grants, detail, remedy, **data):
    """A check whose detail names `grants` and whose remedy names their scopes (the `%s` of each text)."""
    return make_check(name, status, detail % _describe_grants(grants),
                      remedy % ', '.join(sorted({g['scope'] for g in grants})), **data)


def grant_permission_check(missing: Any, writable_scopes: Any, name: str = 'grant_permissions') -> Dict[str, Any]:
    """Whether the caller can create each missing assignment, from its permissions per scope.

    ``writable_scopes`` maps a scope (lower-cased) to True/False - does the caller hold
    Microsoft.Authorization/roleAssignments/write there - or None when that could not be determined (for example the
    permissions read answered 404). Unknown never counts as "cannot grant": it warns.
    """
    if not missing:
        return make_check(name, PASSED, 'Nothing to grant.')
    blocked = [g for g in missing if writable_scopes.get(g['scope'].lower()) is False]
    unknown = [g for g in missing if writable_scopes.get(g['scope'].lower()) is None]
    if blocked:
        return _grants_named(name, FAILED, blocked, 'The caller cannot create these role assignments: %s.',
                             'Sign in as (or have granted by) a principal with Owner, User Access Administrator or Role '
                             'Based Access Control Administrator on %s, or let an Owner grant them with w365_role_grant '
                             'first.', blocked=blocked, unknown=unknown)
    if unknown:
        return _grants_named(name, WARNING, unknown,
                             'Could not determine whether the caller may create these role assignments: %s.',
                             'Make sure the caller holds Owner, User Access Administrator or Role Based Access Control '
                             'Administrator on %s; w365_role_grant reports the service\'s answer if it may not.',
                             unknown=unknown)
    return make_check(name, PASSED, 'The caller may grant all %d missing role assignments.' % len(missing))


def is_subscription_scope(scope: str) -> bool:
    return re.match(r'^/subscriptions/[^/]+/?$', scope or '', re.IGNORECASE) is not None


def token_object_id(access_token: str) -> Optional[str]:
    """The ``oid`` claim of a JWT access token (the signed-in principal's object ID), or None. Not verified: it is
    the caller's own token, read only to name the caller in a role assignment query."""
    import base64
    import json

    try:
        payload = str(access_token).split('.')[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)).decode('utf-8'))
    except (IndexError, ValueError, UnicodeDecodeError):
        return None
    oid = claims.get('oid') if isinstance(claims, dict) else None
    return str(oid).lower() if oid else None


def has_permission(permissions: Any, action: str) -> bool:
    """Evaluate ARM permission blocks ({actions, not_actions}) for one action, with * wildcards."""
    allowed = False
    for block in permissions:
        actions = block.get('actions') or []
        not_actions = block.get('not_actions') or block.get('notActions') or []
        if any(_action_matches(a, action) for a in actions) and not any(_action_matches(n, action) for n in not_actions):
            allowed = True
    return allowed


def _action_matches(pattern, action):
    regex = '^' + re.escape(pattern).replace(r'\*', '.*') + '$'
    return re.match(regex, action, re.IGNORECASE) is not None


def _describe_grants(grants):
    return ', '.join('%s on %s' % (g.get('role_name') or g.get('role_definition_id'), g['scope']) for g in grants)


# --- images --------------------------------------------------------------------------------------

def source_image_check(image_id: str, found: Any, name: str = 'source_image') -> Dict[str, Any]:
    if found:
        return make_check(name, PASSED, 'Source image %s exists.' % image_id, id=image_id)
    return make_check(name, FAILED, 'Source image %s was not found (or the caller cannot read it).' % image_id,
                      'Check the image ID (a managed image /subscriptions/.../resourceGroups/.../providers/'
                      'Microsoft.Compute/images/NAME, or a gallery image version .../galleries/G/images/D/versions/V) '
                      'and that the caller has Reader on it.', id=image_id)


def image_requirements_check(image_id: str, problems: Any, name: str = 'source_image_requirements') -> Dict[str, Any]:
    """The Windows 365 image requirements Azure shows (see _images.requirement_problems), before any upload."""
    if not problems:
        return make_check(name, PASSED, 'Source image %s is generation 2, generalized, Windows, without data disks, '
                                        'with an OS disk Windows 365 accepts.' % image_id, id=image_id)
    return make_check(name, FAILED,
                      'Source image %s does not meet the Windows 365 image requirements: %s.'
                      % (image_id, '; '.join('%s (%s)' % (p['requirement'], p['found']) for p in problems)),
                      ' '.join(p['remedy'] for p in problems) + ' Then capture a new image and use it.',
                      id=image_id, problems=list(problems))


def api_error_check(name: str, what: str, error: Any) -> Dict[str, Any]:
    """A check whose facts could not be read: recorded as failed with the service error, not raised."""
    info = error.to_dict() if hasattr(error, 'to_dict') else {'message': str(error)}
    detail = 'Could not read %s: %s' % (what, info.get('message') or error)
    if info.get('status'):
        detail += ' (HTTP %s %s, request id %s)' % (info.get('status'), info.get('code') or '', info.get('request_id') or '-')
    return make_check(name, FAILED, detail,
                      'Check that the caller can read %s (Reader at least), then run the preflight again.' % what,
                      error=info)
