# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic for Azure network connections (Graph ``cloudPcOnPremisesConnection``).

Option validation, the join-type mapping, the minimal PATCH body, the mapping between Graph objects and
module results, and health-check shaping. No I/O except ``list_by_name``, which takes the Graph client as an
argument so both modules look connections up the same way; the modules do everything else.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    GRAPH_ANC_PATH, GRAPH_CLOUD_PCS_PATH, GRAPH_PROVISIONING_POLICIES_PATH, GRAPH_USER_SETTINGS_PATH)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import NETWORK_OPTIONS, NetworkTarget, resolve_network_target

ANC_PATH = GRAPH_ANC_PATH
POLICIES_PATH = GRAPH_PROVISIONING_POLICIES_PATH
CLOUD_PCS_PATH = GRAPH_CLOUD_PCS_PATH
USER_SETTINGS_PATH = GRAPH_USER_SETTINGS_PATH

# inUse and healthCheckStatusDetail are returned only when named in $select, so every read names all fields.
SELECT_FIELDS = (
    'id', 'displayName', 'connectionType', 'subscriptionId', 'subscriptionName', 'resourceGroupId',
    'virtualNetworkId', 'subnetId', 'virtualNetworkLocation', 'adDomainName', 'adDomainUsername',
    'organizationalUnit', 'healthCheckStatus', 'healthCheckStatusDetail', 'inUse', 'inUseByCloudPc',
)
SELECT = ','.join(SELECT_FIELDS)

JOIN_TYPES = {'entra_join': 'azureADJoin', 'hybrid_join': 'hybridAzureADJoin'}
_JOIN_TYPES_BY_GRAPH = {v.lower(): k for k, v in JOIN_TYPES.items()}

HYBRID_ONLY_OPTIONS = ('ad_domain_name', 'ad_domain_username', 'ad_domain_password', 'organizational_unit')

# Health-check states in which the service is still working; edits are refused until they end.
CHECKS_IN_PROGRESS = frozenset(('pending', 'running'))

# Graph property <-> module option for the plain (non-ID) fields that can be patched.
_TEXT_FIELDS = (
    ('displayName', 'name'),
    ('adDomainName', 'ad_domain_name'),
    ('adDomainUsername', 'ad_domain_username'),
    ('organizationalUnit', 'organizational_unit'),
)
_ID_FIELDS = (
    ('subscriptionId', 'subscription_id'),
    ('resourceGroupId', 'resource_group_id'),
    ('virtualNetworkId', 'virtual_network_id'),
    ('subnetId', 'subnet_id'),
)

MAX_NAME_LENGTH = 256
MAX_DOMAIN_LENGTH = 255

_DOMAIN_LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')
# sAMAccountName-style local parts are far more permissive than e-mail; refuse only what AD itself refuses.
_UPN_LOCAL_FORBIDDEN = re.compile(r'[\s"/\\\[\]:;|=,+*?<>@]')
_DN_ATTRIBUTE = re.compile(r'^[A-Za-z][A-Za-z0-9-]*$')


# ---------------------------------------------------------------- join types

def join_type_to_graph(join_type: str) -> str:
    """``entra_join`` -> ``azureADJoin``, ``hybrid_join`` -> ``hybridAzureADJoin``."""
    try:
        return JOIN_TYPES[join_type]
    except KeyError:
        raise W365ConfigError('join_type', 'join_type must be one of %s, got %r' % (', '.join(sorted(JOIN_TYPES)), join_type))


def join_type_from_graph(connection_type: Optional[str]) -> Optional[str]:
    """Graph connectionType -> option value; an unknown future value is passed through unchanged."""
    if connection_type is None:
        return None
    return _JOIN_TYPES_BY_GRAPH.get(connection_type.lower(), connection_type)


# ---------------------------------------------------------------- validation

def validate_domain_name(value: str, option: str = 'ad_domain_name') -> None:
    if len(value) > MAX_DOMAIN_LENGTH:
        raise W365ConfigError(option, '%s must be at most %d characters (the service limit)' % (option, MAX_DOMAIN_LENGTH))
    labels = value.rstrip('.').split('.')
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise W365ConfigError(
            option,
            '%s must be the DNS name of the Active Directory domain to join, such as corp.contoso.com, got %r'
            % (option, value))


def validate_upn(value: str, option: str = 'ad_domain_username') -> None:
    """The service account must be given in user principal name form: ``user@domain.suffix``."""
    fix = 'give the account in UPN form, such as svcDomainJoin@corp.contoso.com'
    if value.count('@') != 1:
        raise W365ConfigError(option, '%s %r is not a user principal name: %s' % (option, value, fix))
    local, domain = value.split('@')
    if not local or _UPN_LOCAL_FORBIDDEN.search(local) or local.startswith('.') or local.endswith('.'):
        raise W365ConfigError(option, '%s %r has an invalid user part: %s' % (option, value, fix))
    labels = domain.split('.')
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise W365ConfigError(option, '%s %r has an invalid domain suffix: %s' % (option, value, fix))


def split_dn(value: str) -> Optional[List[Tuple[str, str]]]:
    """Split a distinguished name into ``[(attribute, value), ...]`` honouring backslash escapes.

    Returns ``None`` when the text is not a DN.
    """
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == '\\':
            current.append(char)
            escaped = True
        elif char == ',':
            parts.append(''.join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        return None
    parts.append(''.join(current))
    rdns = []
    for part in parts:
        attribute, sep, rdn_value = part.partition('=')
        attribute, rdn_value = attribute.strip(), rdn_value.strip()
        if not sep or not _DN_ATTRIBUTE.match(attribute) or not rdn_value:
            return None
        rdns.append((attribute.upper(), rdn_value))
    return rdns


def validate_organizational_unit(value: str, option: str = 'organizational_unit') -> None:
    """An OU is given in distinguished-name form: ``OU=CloudPCs,DC=corp,DC=contoso,DC=com``."""
    fix = 'give the OU as a distinguished name, such as OU=CloudPCs,DC=corp,DC=contoso,DC=com'
    rdns = split_dn(value)
    if not rdns:
        raise W365ConfigError(option, '%s %r is not a distinguished name: %s' % (option, value, fix))
    kinds = [rdn[0] for rdn in rdns]
    if kinds[0] not in ('OU', 'CN'):
        raise W365ConfigError(option, '%s %r must start with an OU= (or CN=) component: %s' % (option, value, fix))
    if 'DC' not in kinds:
        raise W365ConfigError(option, '%s %r names no domain (DC=) components: %s' % (option, value, fix))
    first_dc = kinds.index('DC')
    if any(kind != 'DC' for kind in kinds[first_dc:]) or any(kind not in ('OU', 'CN') for kind in kinds[:first_dc]):
        raise W365ConfigError(
            option, '%s %r must be OU=/CN= components followed by DC= components only: %s' % (option, value, fix))


def dn_domain(value: str) -> str:
    """The DNS domain named by the DC= components of a valid DN (``corp.contoso.com``)."""
    return '.'.join(rdn_value for attribute, rdn_value in split_dn(value) or [] if attribute == 'DC').lower()


def refuse_hybrid_options(params: Mapping[str, Any], fix: str, context: str = '') -> None:
    """W365ConfigError naming the first hybrid-only option given to an Entra-joined connection."""
    given = [opt for opt in HYBRID_ONLY_OPTIONS if params.get(opt) is not None]
    if given:
        raise W365ConfigError(given[0], '%s%s apply only to hybrid_join connections%s' % (context, ', '.join(given), fix))


def validate_options(params: Mapping[str, Any]) -> List[str]:
    """Checks that need no service call. Raises ``W365ConfigError``; returns a list of warnings."""
    warnings: List[str] = []
    name = params.get('name')
    if name is not None and (not name.strip() or len(name) > MAX_NAME_LENGTH):
        raise W365ConfigError('name', 'name must be a non-empty display name of at most %d characters' % MAX_NAME_LENGTH)
    if params.get('state', 'present') == 'absent':
        return warnings
    if params.get('join_type') == 'entra_join':
        refuse_hybrid_options(params, '; remove them or set join_type: hybrid_join')
    if params.get('ad_domain_name') is not None:
        validate_domain_name(params['ad_domain_name'])
    if params.get('ad_domain_username') is not None:
        validate_upn(params['ad_domain_username'])
    if params.get('organizational_unit') is not None:
        validate_organizational_unit(params['organizational_unit'])
        domain = params.get('ad_domain_name')
        if domain and dn_domain(params['organizational_unit']) != domain.rstrip('.').lower():
            warnings.append(
                'organizational_unit %r lies outside ad_domain_name %r; the adJoinCheck will fail unless the OU '
                'exists in the domain being joined' % (params['organizational_unit'], domain))
    if params.get('ad_domain_password') is not None and not params['ad_domain_password']:
        raise W365ConfigError('ad_domain_password', 'ad_domain_password must not be empty')
    if params.get('wait_timeout') is not None and params['wait_timeout'] <= 0:
        raise W365ConfigError('wait_timeout', 'wait_timeout must be a positive number of seconds')
    if params.get('anc_limit') is not None and params['anc_limit'] < 1:
        raise W365ConfigError('anc_limit', 'anc_limit must be at least 1')
    return warnings


def validate_against_current(params: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    """Checks that depend on the existing connection (a Graph object); run before any write."""
    current_type = join_type_from_graph(current.get('connectionType'))
    wanted = params.get('join_type')
    if wanted is not None and current_type is not None and wanted != current_type:
        raise W365ConfigError(
            'join_type',
            'connection %r is %s and join_type asks for %s, but the service does not allow changing the join type '
            'of an existing connection; create a new connection (different name) or delete this one first'
            % (current.get('displayName'), current_type, wanted))
    if current_type == 'entra_join':
        refuse_hybrid_options(params, ', remove them', 'connection %r is entra_join; ' % current.get('displayName'))


def missing_for_create(params: Mapping[str, Any], target: Optional[NetworkTarget]) -> List[str]:
    """Options needed to create a connection that were not given (``target`` is the resolved network)."""
    missing = [] if params.get('join_type') else ['join_type']
    if target is None or not target.subscription_id:
        missing.append('subscription_id')
    if target is None or not target.resource_group_id:
        missing.append('resource_group')
    if target is None or not target.subnet_id:
        missing.append('subnet')
    if params.get('join_type') == 'hybrid_join':
        missing += [opt for opt in ('ad_domain_name', 'ad_domain_username', 'ad_domain_password')
                    if params.get(opt) in (None, '')]
    return missing


# ---------------------------------------------------------------- network target

def resolve_target(params: Mapping[str, Any], current: Optional[Mapping[str, Any]] = None) -> Optional[NetworkTarget]:
    """The network options as full IDs (a ``NetworkTarget``; None when no network option was given).

    The one resolver, ``_ids.resolve_network_target``; for a connection the NIC resource group is only what
    ``resource_group`` says (never guessed from the virtual network), and an existing connection (``current``)
    fills the levels not given, so ``subnet: other`` alone moves it to another subnet of its virtual network.
    """
    if not any(params.get(opt) for opt in NETWORK_OPTIONS):
        return None
    return resolve_network_target(params, current, nic_group_from_network=False)


def check_network_consistency(merged: Mapping[str, Any]) -> None:
    """A Graph object after the planned change must describe one subscription and a subnet of its vnet."""
    sub = (merged.get('subscriptionId') or '').lower()
    vnet = (merged.get('virtualNetworkId') or '').lower()
    subnet = (merged.get('subnetId') or '').lower()
    prefix = '/subscriptions/%s/' % sub
    if merged.get('resourceGroupId') and not merged['resourceGroupId'].lower().startswith(prefix):
        raise W365ConfigError('resource_group', 'the resource group %s is not in subscription %s; give '
                                                'resource_group too when changing subscription_id'
                              % (merged['resourceGroupId'], merged.get('subscriptionId')))
    if vnet and not vnet.startswith(prefix):
        raise W365ConfigError('virtual_network', 'the virtual network %s is not in subscription %s; give '
                                                 'virtual_network and subnet too when changing subscription_id'
                              % (merged['virtualNetworkId'], merged.get('subscriptionId')))
    if subnet and vnet and not subnet.startswith(vnet + '/subnets/'):
        raise W365ConfigError('subnet', 'the subnet %s is not in the virtual network %s; give subnet too when '
                                        'changing virtual_network' % (merged['subnetId'], merged['virtualNetworkId']))


# ---------------------------------------------------------------- desired state

def _norm_text(value):
    return value.strip().lower() if isinstance(value, str) else value


def _norm_dn(value):
    if not isinstance(value, str):
        return value
    rdns = split_dn(value)
    if rdns is None:
        return value.strip().lower()
    return ','.join('%s=%s' % (attribute, rdn_value.lower()) for attribute, rdn_value in rdns)


def _norm_domain(value):
    return value.strip().rstrip('.').lower() if isinstance(value, str) else value


_NORMALISERS = {
    'displayName': lambda v: v,  # the name is case-preserving: a case change is a rename
    'adDomainName': _norm_domain,
    'adDomainUsername': _norm_text,  # UPNs are case-insensitive in AD
    'organizationalUnit': _norm_dn,
}


def desired_body(params: Mapping[str, Any], target: Optional[NetworkTarget]) -> Dict[str, Any]:
    """Graph properties the options ask for. ``target`` is the resolved ``NetworkTarget`` (or None).

    Only options that were given appear, so omitted options leave the service's value alone.
    """
    body = {}
    for graph_key, option in _TEXT_FIELDS:
        if params.get(option) is not None:
            body[graph_key] = params[option]
    if target is not None:
        for graph_key, attr in _ID_FIELDS:
            value = getattr(target, attr, None)
            if value:
                body[graph_key] = value
    return body


def create_body(params: Mapping[str, Any], target: Optional[NetworkTarget]) -> Dict[str, Any]:
    body = desired_body(params, target)
    body['connectionType'] = join_type_to_graph(params['join_type'])
    if params['join_type'] == 'hybrid_join':
        body['adDomainPassword'] = params['ad_domain_password']
    return body


def patch_body(current: Mapping[str, Any], desired: Mapping[str, Any]) -> Dict[str, Any]:
    """The minimal PATCH: the desired properties whose value differs from the current object."""
    patch = {}
    for key, value in desired.items():
        if key in ('connectionType', 'adDomainPassword'):
            continue
        have = current.get(key)
        if key in dict(_ID_FIELDS):
            same = isinstance(have, str) and have.lower() == value.lower()
        else:
            normalise = _NORMALISERS.get(key, lambda v: v)
            same = normalise(have) == normalise(value)
        if not same:
            patch[key] = value
    return patch


def apply_patch(current: Mapping[str, Any], patch: Mapping[str, Any]) -> Dict[str, Any]:
    """The Graph object as it would look after ``patch``: used for check-mode predictions."""
    after = dict(current)
    after.update(patch)
    return after


def predicted_created(body: Mapping[str, Any]) -> Dict[str, Any]:
    """The Graph object a create would return, without the password (check mode)."""
    predicted = {k: v for k, v in body.items() if k != 'adDomainPassword'}
    predicted.setdefault('id', None)
    predicted.setdefault('healthCheckStatus', 'pending')
    predicted.setdefault('inUse', False)
    return predicted


# ---------------------------------------------------------------- lookup helpers

def odata_string(value: str) -> str:
    """An OData string literal: single quotes, embedded quotes doubled."""
    return "'%s'" % value.replace("'", "''")


def name_filter(name: str) -> str:
    return 'displayName eq %s' % odata_string(name)


def list_by_name(graph: Any, name: Optional[str] = None) -> List[Dict[str, Any]]:
    """Connections named ``name`` (all when None), read with every field. ``graph`` is a ``GraphClient``.

    The one function here that does I/O, so both modules look connections up the same way.
    """
    if name is None:
        return graph.list(ANC_PATH, params={'$select': SELECT})
    try:
        items = graph.list(ANC_PATH, params={'$filter': name_filter(name), '$select': SELECT})
    except W365ApiError as err:
        if err.status != 400:
            raise
        # Filtering on displayName is not documented; list everything (a few dozen at most) and match here.
        items = graph.list(ANC_PATH, params={'$select': SELECT})
    return match_name(items, name)


def match_name(items: Iterable[Dict[str, Any]], name: Optional[str]) -> List[Dict[str, Any]]:
    """Connections whose displayName equals ``name`` (exactly; the filter may be looser than that)."""
    return [item for item in items if item.get('displayName') == name]


def duplicate_name_message(name: str, matches: List[Dict[str, Any]]) -> str:
    return ('%d Azure network connections are named %r (ids: %s); the name no longer tells them apart. Pick the one '
            'to keep and manage it by its ID (option id), and delete each extra one with state=absent and its id '
            '(one in use by a provisioning policy cannot be deleted), or rename one in the Intune admin center'
            % (len(matches), name, ', '.join(str(m.get('id')) for m in matches)))


def policies_using(policies: Iterable[Mapping[str, Any]], connection_id: Optional[str]) -> List[Any]:
    """Display names of the provisioning policies whose domainJoinConfigurations reference the connection."""
    names = []
    wanted = (connection_id or '').lower()
    for policy in policies:
        configs = list(policy.get('domainJoinConfigurations') or [])
        legacy = policy.get('domainJoinConfiguration')
        if isinstance(legacy, dict):
            configs.append(legacy)
        refs = [c.get('onPremisesConnectionId') for c in configs if isinstance(c, dict)]
        refs.append(policy.get('onPremisesConnectionId'))
        if any(isinstance(ref, str) and ref.lower() == wanted for ref in refs):
            names.append(policy.get('displayName') or policy.get('id'))
    return sorted(names, key=lambda n: str(n).lower())


def cloud_pcs_using(cloud_pcs: Iterable[Mapping[str, Any]], connection_name: Optional[str]) -> List[Any]:
    """Names of the Cloud PCs provisioned on the connection (Graph cloudPC ``onPremisesConnectionName``, a name, not
    an ID: a Cloud PC of another connection with the same name would count too)."""
    wanted = (connection_name or '').lower()
    return sorted((pc.get('displayName') or pc.get('managedDeviceName') or pc.get('id')
                   for pc in cloud_pcs if (pc.get('onPremisesConnectionName') or '').lower() == wanted),
                  key=lambda n: str(n).lower())


def user_settings_using(settings: Iterable[Mapping[str, Any]], connection_id: Optional[str]) -> List[Any]:
    """Names of the Cloud PC user settings whose cross-region disaster recovery backup connection is this one (beta
    cloudPcUserSetting.crossRegionDisasterRecoverySetting.disasterRecoveryNetworkSetting.onPremisesConnectionId)."""
    wanted = (connection_id or '').lower()
    names = []
    for setting in settings:
        network = (setting.get('crossRegionDisasterRecoverySetting') or {}).get('disasterRecoveryNetworkSetting')
        ref = network.get('onPremisesConnectionId') if isinstance(network, dict) else None
        if isinstance(ref, str) and ref.lower() == wanted:
            names.append(setting.get('displayName') or setting.get('id'))
    return sorted(names, key=lambda n: str(n).lower())


_USAGE_READS = (
    ('provisioning_policies', 'provisioning policies', POLICIES_PATH, 'v1.0',
     {'$select': 'id,displayName,domainJoinConfigurations'}),
    ('cloud_pcs', 'Cloud PCs', CLOUD_PCS_PATH, 'v1.0', {'$select': 'id,displayName,onPremisesConnectionName'}),
    ('user_settings', 'Cloud PC user settings', USER_SETTINGS_PATH, 'beta', None),
)


def read_usage(graph: Any) -> Tuple[Dict[str, Any], List[str]]:
    """The tenant's provisioning policies, Cloud PCs and user settings (what can make a connection in use), each a
    list or None when the service refused the read; plus the refused reads described for the user."""
    usage, unreadable = {}, []
    for key, label, path, version, params in _USAGE_READS:
        try:
            usage[key] = graph.list(path, params=params, version=version)
        except W365ApiError as err:
            usage[key] = None
            unreadable.append('%s (HTTP %s %s)' % (label, err.status, err.code or ''))
    return usage, unreadable


def blockers_from(usage: Mapping[str, Any], unreadable: List[str], connection: Mapping[str, Any]) -> Dict[str, Any]:
    """What keeps `connection` (a Graph object or a module result) in use, from read_usage()'s lists."""
    conn_id = connection.get('id')
    name = connection.get('displayName', connection.get('name'))
    return {
        'provisioning_policies': policies_using(usage.get('provisioning_policies') or [], conn_id),
        'cloud_pcs': cloud_pcs_using(usage.get('cloud_pcs') or [], name),
        'user_settings': user_settings_using(usage.get('user_settings') or [], conn_id),
        'unreadable': list(unreadable),
    }


def in_use_blockers(graph: Any, connection: Mapping[str, Any]) -> Dict[str, Any]:
    """What keeps a connection in use, read from Graph: a dict with ``provisioning_policies``, ``cloud_pcs``,
    ``user_settings`` (names) and ``unreadable`` (what could not be listed, with the service's status and code).

    Windows 365's "Delete Azure network connection" page: an ANC is in use when a provisioning policy references it
    (also as an alternate connection), when a Cloud PC uses it, or when it is the backup connection for cross-region
    disaster recovery in user settings. Three list reads; each that is refused is named in ``unreadable``.
    """
    usage, unreadable = read_usage(graph)
    return blockers_from(usage, unreadable, connection)


def describe_use(graph: Any, connections: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Set ``in_use_by`` on each module-result connection that is in use (None on the others); reads the three
    lists once, and only when some connection is in use."""
    in_use = [c for c in connections if c.get('in_use') or c.get('in_use_by_cloud_pc')]
    for connection in connections:
        connection['in_use_by'] = None
    if not in_use:
        return connections
    usage, unreadable = read_usage(graph)
    for connection in in_use:
        connection['in_use_by'] = blockers_from(usage, unreadable, connection)
    return connections


def in_use_summary(blockers: Mapping[str, Any]) -> List[str]:
    """One line per kind of use: 'provisioning policies: A, B', '3 Cloud PCs: ...', 'user settings ...'."""
    parts = []
    if blockers.get('provisioning_policies'):
        parts.append('provisioning policies (also as an alternate connection): %s'
                     % ', '.join(blockers['provisioning_policies']))
    if blockers.get('cloud_pcs'):
        pcs = blockers['cloud_pcs']
        parts.append('%d Cloud PC%s: %s%s' % (len(pcs), '' if len(pcs) == 1 else 's', ', '.join(pcs[:10]),
                                              ' and %d more' % (len(pcs) - 10) if len(pcs) > 10 else ''))
    if blockers.get('user_settings'):
        parts.append('cross-region disaster recovery backup connection in user settings: %s'
                     % ', '.join(blockers['user_settings']))
    return parts


def in_use_message(name: str, blockers: Mapping[str, Any]) -> str:
    """Why the service refuses to delete the connection, naming each blocker and its remedy."""
    if not isinstance(blockers, dict):  # a plain list of policy names (older callers)
        blockers = {'provisioning_policies': list(blockers or []), 'cloud_pcs': [], 'user_settings': [],
                    'unreadable': []}
    parts = in_use_summary(blockers)
    remedies = []
    if blockers.get('provisioning_policies'):
        remedies.append('remove it from those provisioning policies (or delete them)')
    if blockers.get('cloud_pcs'):
        remedies.append('move those Cloud PCs to another connection or deprovision them')
    if blockers.get('user_settings'):
        remedies.append('remove it from those cross-region disaster recovery user settings')
    text = 'Azure network connection %r is in use and the service refuses to delete it' % name
    if parts:
        text += ': ' + '; '.join(parts) + '. First ' + ', '.join(remedies)
    else:
        text += ('. Windows 365 counts a connection as in use when a provisioning policy references it (also as an '
                 'alternate connection), when a Cloud PC uses it, or when it is the backup connection for '
                 'cross-region disaster recovery in user settings; none of these could be named')
    if blockers.get('unreadable'):
        text += ' (could not list: %s)' % ', '.join(blockers['unreadable'])
    return text


def limit_message(count: int, limit: int) -> str:
    return ('the tenant already has %d Azure network connections and anc_limit is %d, so another cannot be '
            'created. Delete an unused connection, or raise anc_limit if Microsoft has raised the limit for '
            'this tenant' % (count, limit))


def checks_running_message(name: str, status: Optional[str]) -> str:
    return ('health checks on Azure network connection %r are %s, and the service refuses edits until they '
            'finish. Set wait: true to wait for them, or run again later' % (name, status))


# Password rotation. Graph documents updateAdDomainPassword as updating the password "for a successful
# cloudPcOnPremisesConnection" (learn.microsoft.com/graph/api/cloudpconpremisesconnection-updateaddomainpassword), and
# documents adDomainPassword as a property a PATCH updates (cloudpconpremisesconnection-update). The usual reason to
# rotate is a failed credential check (adJoinCheckIncorrectCredentials, adJoinCheckCredentialsExpired), so:
# a connection whose last checks succeeded gets the action; any other gets a PATCH, and so does a successful one whose
# action the service refuses.
HEALTHY_STATUSES = ('passed', 'warning', 'informational')
ROTATION_ACTION = 'updateAdDomainPassword'
ROTATION_PATCH = 'patch'
# Answers that mean "this service will not run the action on this connection" (not a permission or service failure).
ROTATION_ACTION_REFUSED = (400, 404, 405, 409, 501)


def password_rotation_method(current: Mapping[str, Any]) -> str:
    """ROTATION_ACTION for a connection whose health checks succeeded, else ROTATION_PATCH."""
    status = ((current or {}).get('healthCheckStatus') or '').lower()
    return ROTATION_ACTION if status in HEALTHY_STATUSES else ROTATION_PATCH


APP_ONLY_WRITE_HINT = (
    'Microsoft documents creating, updating, deleting and running health checks on Azure network connections as '
    'delegated-only (CloudPC.ReadWrite.All, delegated); an application token is refused. Sign in as a user with the '
    'Intune Administrator or Windows 365 Administrator role: auth_method: username_password, with client_id set to '
    'a public-client app registration that holds the delegated Graph permission CloudPC.ReadWrite.All (the Azure '
    'CLI\'s own client cannot get Cloud PC permissions).')


# ---------------------------------------------------------------- results

def shape_health_check(check: Mapping[str, Any]) -> Dict[str, Any]:
    from ansible_collections.w365.cloudpc.plugins.module_utils._health_checks import explain

    # errorType grows over time and samples use retired values: pass it through as an open string, and explain it
    # from the collection's one table (_health_checks) when it is known.
    known = explain(check.get('errorType')) or {}
    return {
        'name': check.get('displayName'),
        'status': check.get('status'),
        'error_type': check.get('errorType'),
        'explanation': known.get('explanation'),
        'remedy': known.get('remedy'),
        'recommended_action': check.get('recommendedAction'),
        'additional_detail': check.get('additionalDetail', check.get('additionalDetails')),
        'correlation_id': check.get('correlationId'),
        'start_date_time': check.get('startDateTime'),
        'end_date_time': check.get('endDateTime'),
    }


def to_result(obj: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """A Graph cloudPcOnPremisesConnection -> the module's ``connection`` dict (never holds the password)."""
    if obj is None:
        return None
    detail = obj.get('healthCheckStatusDetail') or {}
    return {
        'id': obj.get('id'),
        'name': obj.get('displayName'),
        'join_type': join_type_from_graph(obj.get('connectionType')),
        'subscription_id': obj.get('subscriptionId'),
        'subscription_name': obj.get('subscriptionName'),
        'resource_group_id': obj.get('resourceGroupId'),
        'virtual_network_id': obj.get('virtualNetworkId'),
        'subnet_id': obj.get('subnetId'),
        'virtual_network_location': obj.get('virtualNetworkLocation'),
        'ad_domain_name': obj.get('adDomainName'),
        'ad_domain_username': obj.get('adDomainUsername'),
        'organizational_unit': obj.get('organizationalUnit'),
        'in_use': obj.get('inUse'),
        'in_use_by_cloud_pc': obj.get('inUseByCloudPc'),
        'health_check_status': obj.get('healthCheckStatus'),
        'health_check_start_date_time': detail.get('startDateTime'),
        'health_check_end_date_time': detail.get('endDateTime'),
        'health_checks': [shape_health_check(c) for c in detail.get('healthChecks') or []],
    }


DIFF_KEYS = ('name', 'join_type', 'subscription_id', 'resource_group_id', 'virtual_network_id', 'subnet_id',
             'ad_domain_name', 'ad_domain_username', 'organizational_unit')


def diff_view(result: Optional[Mapping[str, Any]], password_sent: bool = False) -> Dict[str, Any]:
    """The configuration part of a result, for ``diff``. The password is never shown, only that it was sent."""
    if result is None:
        return {}
    view = {key: result.get(key) for key in DIFF_KEYS}
    if password_sent:
        view['ad_domain_password'] = '(set)'
    return view


def checks_done(obj: Mapping[str, Any]) -> bool:
    return obj is None or (obj.get('healthCheckStatus') or '').lower() not in CHECKS_IN_PROGRESS


def failed_checks(result: Mapping[str, Any]) -> List[Dict[str, Any]]:
    return [check for check in result.get('health_checks') or [] if (check.get('status') or '').lower() == 'failed']


def unhealthy_message(result: Mapping[str, Any]) -> str:
    lines = ['health checks on Azure network connection %r failed:' % result.get('name')]
    checks = failed_checks(result)
    for check in checks:
        line = '- %s: %s' % (check.get('name'), check.get('error_type') or 'no error type')
        if check.get('explanation'):
            line += ': %s Remedy: %s' % (check['explanation'], check['remedy'])
        if check.get('recommended_action'):
            line += ' (recommended action: %s)' % check['recommended_action']
        lines.append(line)
    if not checks:
        lines.append('- the service reported status failed without details')
    return '\n'.join(lines)
