# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure resource IDs: parse, build, compare, and turn "name or ID" options into IDs."""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, NamedTuple, Optional

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

_GUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
# Azure resource group names: 1-90 of letters, digits, underscore, hyphen, period, parentheses; no trailing period.
_RG_NAME = re.compile(r'^[-\w.()]{1,90}$')
_NET_NAME = re.compile(r'^[A-Za-z0-9](?:[-\w.]{0,78}\w)?$')


# A tenant is named by its ID (a GUID) or one of its domain names (contoso.onmicrosoft.com, contoso.com); the
# single-label names `organizations` and `common` are domain-shaped too.
_DOMAIN_LABEL = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')


def validate_tenant_id(value: Optional[str], option: str = 'tenant_id') -> Optional[str]:
    """Raise W365ConfigError naming `option` unless `value` (None allowed) is a GUID or a domain name.

    The message says what is wrong and where, without quoting the value (a misplaced secret must not be echoed).
    """
    if value is None or is_guid(value):
        return value
    text = str(value)
    fix = 'use the tenant ID (a GUID, as in the Entra admin center) or a verified domain such as contoso.onmicrosoft.com'
    if not text.strip():
        raise W365ConfigError(option, 'is empty; %s' % fix)
    for position, char in enumerate(text, 1):
        if not (char.isascii() and (char.isalnum() or char in '-.')):
            raise W365ConfigError(option, 'is neither a GUID nor a domain name: character %d is not a letter, digit, '
                                          'hyphen or period; %s' % (position, fix))
    if len(text) > 253 or not all(_DOMAIN_LABEL.match(label) for label in text.split('.')):
        raise W365ConfigError(option, 'is neither a GUID nor a domain name (each dot-separated part must be 1-63 '
                                      'letters, digits or inner hyphens); %s' % fix)
    return value


def is_guid(value: Any) -> bool:
    return bool(value) and bool(_GUID.match(str(value)))


def is_resource_id(value: Any) -> bool:
    return isinstance(value, str) and value.startswith('/')


def parse_resource_id(resource_id: str) -> Dict[str, Any]:
    """Split an ARM resource ID into its parts.

    Returns a dict with `subscription_id`, `resource_group` (name or None), `provider` (namespace or None),
    `types` (list of resource types, e.g. ['virtualNetworks', 'subnets']), `names` (matching names),
    `type` ('Microsoft.Network/virtualNetworks/subnets'), `name` (last name), and `children`: a dict from
    lower-cased type to name, e.g. {'virtualnetworks': 'vnet1', 'subnets': 'default'}.
    Raises ValueError when the text is not an ARM resource ID.
    """
    if not isinstance(resource_id, str) or not resource_id.startswith('/'):
        raise ValueError('not an Azure resource ID (must start with /subscriptions/): %r' % (resource_id,))
    parts = resource_id.strip('/').split('/')
    if any(p == '' for p in parts):
        raise ValueError('not an Azure resource ID (empty segment): %r' % (resource_id,))
    result: Dict[str, Any] = {'subscription_id': None, 'resource_group': None, 'provider': None, 'types': [],
                              'names': [], 'type': None, 'name': None, 'children': {}}
    if len(parts) < 2 or parts[0].lower() != 'subscriptions':
        raise ValueError('not an Azure resource ID (must start with /subscriptions/<id>): %r' % (resource_id,))
    result['subscription_id'] = parts[1]
    rest = parts[2:]
    if rest and rest[0].lower() == 'resourcegroups':
        if len(rest) < 2:
            raise ValueError('not an Azure resource ID (resourceGroups without a name): %r' % (resource_id,))
        result['resource_group'] = rest[1]
        rest = rest[2:]
    if rest:
        if rest[0].lower() != 'providers' or len(rest) < 2:
            raise ValueError('not an Azure resource ID (expected /providers/<namespace>/...): %r' % (resource_id,))
        result['provider'] = rest[1]
        pairs = rest[2:]
        if len(pairs) % 2:
            raise ValueError('not an Azure resource ID (a resource type without a name): %r' % (resource_id,))
        for i in range(0, len(pairs), 2):
            result['types'].append(pairs[i])
            result['names'].append(pairs[i + 1])
            result['children'][pairs[i].lower()] = pairs[i + 1]
        if result['types']:
            result['type'] = '%s/%s' % (result['provider'], '/'.join(result['types']))
            result['name'] = result['names'][-1]
    return result


def normalize_id(resource_id: Optional[str]) -> Optional[str]:
    return resource_id.rstrip('/').lower() if resource_id else resource_id


def same_id(a: Optional[str], b: Optional[str]) -> bool:
    """ARM IDs are case-insensitive; a trailing slash does not matter. None equals only None."""
    if a is None or b is None:
        return a is None and b is None
    return normalize_id(a) == normalize_id(b)


def subscription_scope(subscription_id: str) -> str:
    return '/subscriptions/%s' % subscription_id


def resource_group_id(subscription_id: str, resource_group: str) -> str:
    return '%s/resourceGroups/%s' % (subscription_scope(subscription_id), resource_group)


def virtual_network_id(subscription_id: str, resource_group: str, virtual_network: str) -> str:
    return '%s/providers/Microsoft.Network/virtualNetworks/%s' % (
        resource_group_id(subscription_id, resource_group), virtual_network)


def subnet_id(subscription_id: str, resource_group: str, virtual_network: str, subnet: str) -> str:
    return '%s/subnets/%s' % (virtual_network_id(subscription_id, resource_group, virtual_network), subnet)


class NetworkTarget(NamedTuple):
    """Where an Azure network connection lives, as full IDs (None for levels that were not asked for)."""

    subscription_id: Optional[str]
    resource_group_id: Optional[str]
    virtual_network_id: Optional[str]
    subnet_id: Optional[str]


_DEFAULT_OPTION_NAMES = {'subscription_id': 'subscription_id', 'resource_group': 'resource_group',
                         'virtual_network': 'virtual_network', 'subnet': 'subnet'}


def resolve_network(subscription_id: Optional[str] = None, resource_group: Optional[str] = None,
                    virtual_network: Optional[str] = None, subnet: Optional[str] = None,
                    option_names: Optional[Dict[str, str]] = None) -> NetworkTarget:
    """Turn names-or-IDs into full IDs and cross-check them.

    Each of `resource_group`, `virtual_network` and `subnet` may be a plain name or a full resource ID.
    A full ID supplies the levels above it (a subnet ID gives the subscription, resource group and vnet),
    so a caller may pass only `subnet`. Levels given twice must agree (case-insensitively).
    `option_names` maps the four keys above to the module's option names, used in error messages.
    Raises W365ConfigError naming the option to fix.
    """
    names = dict(_DEFAULT_OPTION_NAMES)
    names.update(option_names or {})
    # Each level's name (str) once known; the checks below make every level above the deepest known one known.
    found: Dict[str, Any] = {'subscription_id': None, 'resource_group': None, 'virtual_network': None, 'subnet': None}
    # Where each level came from, so a conflict names both options.
    origin: Dict[str, str] = {}

    def learn(level, value, from_option):
        if value is None:
            return
        if found[level] is not None and found[level].lower() != value.lower():
            raise W365ConfigError(from_option, '%s %r does not match %s %r given by option %s' % (
                level.replace('_', ' '), value, level.replace('_', ' '), found[level], origin[level]))
        if found[level] is None:
            found[level] = value
            origin[level] = from_option

    def parse(option_key, value, expected_types):
        option = names[option_key]
        try:
            parsed = parse_resource_id(value)
        except ValueError as e:
            raise W365ConfigError(option, str(e))
        types = [t.lower() for t in parsed['types']]
        if parsed['resource_group'] is None and expected_types is not None:
            raise W365ConfigError(option, 'resource ID %r has no resource group' % value)
        if expected_types is not None and (
                (parsed['provider'] or '').lower() != 'microsoft.network' or types != expected_types):
            raise W365ConfigError(option, 'expected a Microsoft.Network/%s resource ID, got %r' % (
                '/'.join(expected_types), value))
        if expected_types is None and (parsed['resource_group'] is None or parsed['provider'] is not None):
            raise W365ConfigError(option, 'expected a resource group ID '
                                          '(/subscriptions/<id>/resourceGroups/<name>), got %r' % value)
        learn('subscription_id', parsed['subscription_id'], option)
        learn('resource_group', parsed['resource_group'], option)
        if expected_types:
            learn('virtual_network', parsed['children']['virtualnetworks'], option)
        if expected_types == ['virtualnetworks', 'subnets']:
            learn('subnet', parsed['children']['subnets'], option)

    # Most specific first: IDs fix the levels above them; names then must agree.
    if subnet is not None and is_resource_id(subnet):
        parse('subnet', subnet, ['virtualnetworks', 'subnets'])
    if virtual_network is not None and is_resource_id(virtual_network):
        parse('virtual_network', virtual_network, ['virtualnetworks'])
    if resource_group is not None and is_resource_id(resource_group):
        parse('resource_group', resource_group, None)
    if subscription_id is not None:
        sub = str(subscription_id)
        if sub.lower().startswith('/subscriptions/'):
            sub = sub.split('/')[2]
        if not is_guid(sub):
            raise W365ConfigError(names['subscription_id'],
                                  'expected a subscription ID (a GUID), got %r' % (subscription_id,))
        learn('subscription_id', sub, names['subscription_id'])
    for level, value, pattern in (('resource_group', resource_group, _RG_NAME),
                                  ('virtual_network', virtual_network, _NET_NAME),
                                  ('subnet', subnet, _NET_NAME)):
        if value is None or is_resource_id(value):
            continue
        if not pattern.match(value) or value.endswith('.'):
            raise W365ConfigError(names[level], '%r is not a valid name or resource ID' % (value,))
        learn(level, value, names[level])

    if found['subscription_id'] is not None and not is_guid(found['subscription_id']):
        raise W365ConfigError(origin['subscription_id'],
                              'subscription %r in the resource ID is not a GUID' % found['subscription_id'])
    # A lower level given by name needs every level above it.
    chain = ['subscription_id', 'resource_group', 'virtual_network', 'subnet']
    deepest = max((i for i, level in enumerate(chain) if found[level] is not None), default=-1)
    for i in range(deepest):
        if found[chain[i]] is None:
            raise W365ConfigError(names[chain[i]], 'required to locate %s %r; give it, or give %s as a full '
                                                   'resource ID' % (chain[deepest].replace('_', ' '),
                                                                    found[chain[deepest]], names[chain[deepest]]))
    sub, rg, vnet, snet = (found[level] for level in chain)
    return NetworkTarget(
        subscription_id=sub,
        resource_group_id=resource_group_id(sub, rg) if rg else None,
        virtual_network_id=virtual_network_id(sub, rg, vnet) if vnet else None,
        subnet_id=subnet_id(sub, rg, vnet, snet) if snet else None,
    )


NETWORK_OPTIONS = ('subscription_id', 'resource_group', 'virtual_network_resource_group', 'virtual_network', 'subnet')


def resolve_network_target(params: Mapping[str, Any], current: Optional[Mapping[str, Any]] = None,
                           nic_group_from_network: bool = True) -> NetworkTarget:
    """The one reading of the network options of w365_anc, w365_role_grant(_info) and w365_preflight.

    `params` may hold `subscription_id`, `resource_group`, `virtual_network_resource_group`, `virtual_network` and
    `subnet` (absent keys count as not given); each may be a name or a full resource ID.

    - `resource_group` is where Windows 365 puts the Cloud PCs' network interfaces (NIC resource group).
    - The virtual network is looked up in `virtual_network_resource_group` when given, else in `resource_group`,
      unless `virtual_network` or `subnet` is a full ID (which carries its own resource group).
    - Without `resource_group`, the NIC resource group is the virtual network's own one when
      `nic_group_from_network` (role grants, preflight), or left None (w365_anc compares only what was asked);
      with `virtual_network_resource_group` given, `resource_group` is then required.
    - `current` (an existing connection, Graph object) fills what was not given: its subscription, and its virtual
      network when only a subnet name is given.

    Returns a NetworkTarget (levels not asked for are None). Raises W365ConfigError naming the option to fix.
    """
    def get(option):
        value = params.get(option)
        return None if value in (None, '') else value

    current = current or {}
    given_ids = any(is_resource_id(get(o)) for o in NETWORK_OPTIONS[1:])
    subscription = get('subscription_id')
    if subscription is None and not given_ids:
        subscription = current.get('subscriptionId')
    resource_group, vnet_group = get('resource_group'), get('virtual_network_resource_group')
    virtual_network, subnet = get('virtual_network'), get('subnet')

    net = None
    if vnet_group or virtual_network or subnet:
        lookup_group, lookup_option = vnet_group, 'virtual_network_resource_group'
        if lookup_group is None:
            lookup_option = 'resource_group'
            if not (is_resource_id(virtual_network) or is_resource_id(subnet)):
                lookup_group = resource_group
        if virtual_network is None and subnet and not is_resource_id(subnet) and vnet_group is None \
                and current.get('virtualNetworkId'):
            # `subnet: other` alone moves an existing connection within its current virtual network.
            virtual_network, lookup_group = current['virtualNetworkId'], None
        net = resolve_network(subscription_id=subscription, resource_group=lookup_group,
                              virtual_network=virtual_network, subnet=subnet,
                              option_names={'resource_group': lookup_option})

    if resource_group is not None:
        # A full ID carries its own subscription: checked against subscription_id when that was given, and against
        # the network's below (naming resource_group).
        if is_resource_id(resource_group):
            group_subscription = subscription
        else:
            group_subscription = subscription or (net.subscription_id if net is not None else None)
        nic_group_id = resolve_network(subscription_id=group_subscription,
                                       resource_group=resource_group).resource_group_id
    elif vnet_group is not None and nic_group_from_network:
        raise W365ConfigError('resource_group', 'is required with virtual_network_resource_group: it is the resource '
                                                'group of the Cloud PCs\' network interfaces (Windows 365 Network '
                                                'Interface Contributor goes there)')
    else:
        nic_group_id = net.resource_group_id if (net is not None and nic_group_from_network) else None

    if net is not None and nic_group_id and net.subscription_id and \
            not nic_group_id.lower().startswith('/subscriptions/%s/' % net.subscription_id.lower()):
        raise W365ConfigError('resource_group', 'the resource group %s and the virtual network %s are in different '
                                                'subscriptions; the network interfaces and the virtual network of a '
                                                'connection must be in one subscription'
                              % (nic_group_id, net.virtual_network_id or net.subnet_id))
    if subscription is None:
        if net is not None:
            subscription = net.subscription_id
        elif nic_group_id:
            subscription = parse_resource_id(nic_group_id)['subscription_id']
    elif net is None and resource_group is None:
        subscription = resolve_network(subscription_id=subscription).subscription_id
    return NetworkTarget(subscription, nic_group_id, net.virtual_network_id if net else None,
                         net.subnet_id if net else None)
