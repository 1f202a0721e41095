# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole-inventory checks of the rollout and the tenant sign-in map, before any request (pure: no network).

Everything here may see secrets (sign-in options, AD join passwords). Messages say where (host, tenant key,
variable, key, line and column) and what is wrong; they never quote a value that could be a secret, and the
parse error of the tenant map never carries the parser's own text (which quotes the offending line).
"""

from __future__ import annotations

import difflib
import os
import re
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from ansible_collections.w365.cloudpc.plugins.module_utils._anc import MAX_NAME_LENGTH
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import AZURE_REGIONS
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

TENANT_MAP_VAR = 'w365_tenant_credentials'

# Keys of a `w365_network_connection` entry (what playbooks/tasks/deployment_network.yml reads).
NETWORK_CONNECTION_KEYS = (
    'name', 'join_type', 'subscription_id', 'resource_group', 'virtual_network_resource_group', 'virtual_network',
    'subnet', 'location', 'planned_cloud_pcs', 'anc_limit', 'ad_domain_name', 'ad_domain_username',
    'ad_domain_password', 'organizational_unit', 'update_password', 'manage_grants', 'remove_legacy_grants',
    'wait_timeout',
)
# Keys of a `w365_images` entry (what playbooks/tasks/tenant_images.yml reads).
IMAGE_KEYS = ('name', 'version', 'source_image_id', 'manage_grants', 'retry_failed', 'wait_timeout')

# Keys of a `w365_provisioning_policies` entry: the options of w365_provisioning_policy (what
# playbooks/tasks/tenant_policy.yml passes on), without state and unassign (the playbooks decide those).
POLICY_VAR = 'w365_provisioning_policies'
POLICY_KEYS = (
    'name', 'description', 'provisioning_type', 'network', 'image', 'image_warning_days', 'single_sign_on',
    'local_admin', 'naming_template', 'windows_language', 'autopatch_group_id', 'assignments',
)
# Keys of one `network` entry (a plain string is a connection name); `existing` marks a connection made outside
# the inventory.
POLICY_NETWORK_KEYS = ('anc', 'join_type', 'region', 'region_group', 'existing')
POLICY_IMAGE_KEYS = ('type', 'name', 'version', 'existing')
POLICY_IMAGE_TYPES = ('custom', 'gallery')
# Keys of one `assignments` entry (a plain string is the group's display name or object ID).
POLICY_ASSIGNMENT_KEYS = ('group', 'service_plan_id')
PROVISIONING_TYPES = ('dedicated', 'shared', 'shared_by_user', 'shared_by_entra_group')

JOIN_TYPES = ('entra_join', 'hybrid_join')
UPDATE_PASSWORD_CHOICES = ('on_create', 'always')
HYBRID_KEYS = ('ad_domain_name', 'ad_domain_username', 'ad_domain_password')

_VERSION_RE = re.compile(r'^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$')
_MANAGED_IMAGE_RE = re.compile(
    r'^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}/providers/Microsoft\.Compute/images/[^/]+$',
    re.IGNORECASE)
_GUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
# A key, tenant key or host name we may repeat in a message (never a value).
_SAFE_NAME = re.compile(r'^[A-Za-z0-9_.@-]{1,80}$')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def signin_keys() -> Tuple[str, ...]:
    """The sign-in options every module takes (doc fragment w365.cloudpc.auth), from the modules' own spec."""
    from ansible_collections.w365.cloudpc.plugins.module_utils._module import auth_argument_spec
    return tuple(sorted(auth_argument_spec()))


def _name(value):
    """A key or name, safe to show; anything else is described, not shown."""
    text = str(value)
    return "'%s'" % text if _SAFE_NAME.match(text) else 'a key with unusual characters'


def closest(word: Any, choices: Sequence[str]) -> str:
    """' (did you mean 'x'?)' for the closest known choice, or ''."""
    match = difflib.get_close_matches(str(word).lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if not match:
        return ''
    original = next(c for c in choices if c.lower() == match[0])
    return " (did you mean '%s'?)" % original


def unknown_keys(mapping: Iterable[Any], known: Sequence[str], where: str) -> List[str]:
    """Messages for keys of `mapping` that are not in `known`, naming `where` and the closest known key."""
    problems = []
    for key in mapping:
        if key not in known:
            problems.append('%s has an unknown key %s%s; known keys: %s.' % (
                where, _name(key), closest(key, known), ', '.join(known)))
    return problems


def _seen_before(seen: Set[str], name: str) -> bool:
    """True when `name` (case and outer spaces aside) is already in `seen`; adds it."""
    key = name.strip().lower()
    before = key in seen
    seen.add(key)
    return before


def _entries(items: Iterable[Any], at: str, known: Sequence[str], not_a_mapping: str,
             add: Callable[[str, str], Any]) -> Iterator[Tuple[int, str, Dict[str, Any]]]:
    """(index, place, entry) for each mapping among `items`, place being `at[index]`. An item that is not a mapping
    is reported as `place not_a_mapping` and skipped; the unknown keys of a mapping are reported."""
    for index, entry in enumerate(items):
        where = '%s[%d]' % (at, index)
        if not isinstance(entry, dict):
            add(where, '%s %s' % (where, not_a_mapping))
            continue
        for message in unknown_keys(entry, known, where):
            add(where, message)
        yield index, where, entry


# --- the tenant sign-in map (AWX "Windows 365 tenant map" credential) ----------------------------

class TenantMapError(W365ConfigError):
    """The tenant map could not be used. The message never holds any of its text but key names."""

    def __init__(self, message: str) -> None:
        super().__init__(TENANT_MAP_VAR, message)


def _top_level_key(text, line, column):
    """The tenant key whose entry holds (line, column) (0-based), or None; only keys that are safe names."""
    lines = text.splitlines()
    # Flow style (JSON, or YAML '{...}'): the key last opened at depth 1 before the error position.
    prefix = '\n'.join(lines[:line] + [lines[line][:column] if line < len(lines) else ''])
    if prefix.lstrip().startswith('{'):
        depth, key, token, in_string, quote, i = 0, None, '', False, '', 0
        last_string = None
        while i < len(prefix):
            char = prefix[i]
            if in_string:
                if char == '\\' and quote == '"':
                    i += 1
                elif char == quote:
                    in_string = False
                    last_string = token
                else:
                    token += char
            elif char in '"\'':
                in_string, quote, token = True, char, ''
            elif char in '{[':
                depth += 1
                last_string = None
            elif char in '}]':
                depth -= 1
            elif char == ':' and depth == 1 and last_string is not None:
                key = last_string
                last_string = None
            elif char == ',':
                last_string = None
            elif depth == 1 and not char.isspace() and char not in ':,':
                # An unquoted YAML flow key.
                start = i
                while i < len(prefix) and prefix[i] not in ':,{}[]\n':
                    i += 1
                last_string = prefix[start:i].strip()
                continue
            i += 1
        return key if key is not None and _SAFE_NAME.match(key) else None
    # Block style: the last line at indent 0 holding 'key:' at or before the error line.
    for number in range(min(line, len(lines) - 1), -1, -1):
        match = re.match(r'^([^\s#:][^:]*?)\s*:(\s|$)', lines[number])
        if match and not lines[number].startswith((' ', '\t', '-')):
            key = match.group(1).strip('"\'')
            return key if _SAFE_NAME.match(key) else None
    return None


# What a YAML parser problem says, without any character it quoted from the input.
_SYNTAX_CHARS = {',', '}', ']', '{', '[', ':', '-', '?', '|', '>', '"', "'"}


def _safe_problem(problem):
    def quoted(match):
        inner = match.group(1)
        if inner.startswith('<') and inner.endswith('>') or inner in _SYNTAX_CHARS:
            return match.group(0)
        return '(a character of the input)'
    text = re.sub(r"'([^']*)'", quoted, str(problem or 'malformed text'))
    # Anything that still looks like it quotes the input is dropped.
    return text if len(text) <= 120 else 'malformed text'


def parse_tenant_map(value: Any) -> Dict[str, Dict[str, Any]]:
    """The tenant map as a dict of tenant key -> dict of sign-in options.

    `value` is a mapping or YAML/JSON text (AWX injects custom credential fields as text); '' or None is empty.
    Raises TenantMapError saying where (tenant key when known, line, column) and what is wrong, never the text.
    """
    if value is None:
        return {}
    if isinstance(value, (bytes, bytearray)):
        value = value.decode('utf-8', 'replace')
    if isinstance(value, str):
        if not value.strip():
            return {}
        where: Optional[Tuple[Any, Any, Any]] = None
        import yaml
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as err:
            mark = getattr(err, 'problem_mark', None) or getattr(err, 'context_mark', None)
            problem = getattr(err, 'problem', None) or getattr(err, 'context', None)
            where = (mark.line if mark else None, mark.column if mark else None, _safe_problem(problem))
        if where is not None:
            # Raised outside the except block, so the parser's error (which quotes the line) is not chained.
            line, column, problem = where
            tenant = _top_level_key(value, line, column) if line is not None else None
            parts = []
            if tenant:
                parts.append('in the entry of tenant %s' % _name(tenant))
            if line is not None:
                parts.append('at line %d, column %d' % (line + 1, column + 1))
            raise TenantMapError(
                '%s is not valid YAML or JSON %s: %s. The text is not shown because it holds secrets; check '
                'commas, colons, quotes and indentation around that place (AWX: the "Windows 365 tenant map" '
                'credential).' % (TENANT_MAP_VAR, ' '.join(parts) or '', problem))
    if not isinstance(value, dict):
        raise TenantMapError('%s must be a mapping of tenant key to sign-in options (got a %s)' % (
            TENANT_MAP_VAR, type(value).__name__))
    result = {}
    for tenant, entry in value.items():
        if entry in (None, ''):
            entry = {}
        if not isinstance(entry, dict):
            raise TenantMapError('the entry of tenant %s in %s must be a mapping of sign-in options (got a %s)' % (
                _name(tenant), TENANT_MAP_VAR, type(entry).__name__))
        result[str(tenant)] = entry
    return result


def check_signin_keys(options: Any, where: str, known: Optional[Sequence[str]] = None) -> List[str]:
    """Messages for unknown sign-in option keys of `options` (a dict), naming `where` and the closest key."""
    if options in (None, ''):
        return []
    if not isinstance(options, dict):
        return ['%s must be a mapping of sign-in options (got a %s).' % (where, type(options).__name__)]
    known = known or signin_keys()
    problems = []
    for key in options:
        if key in known:
            continue
        hint = closest(key, known)
        if not hint and closest(key, NETWORK_CONNECTION_KEYS):
            hint = '%s, which belongs in w365_network_connection, not with the sign-in options' % (
                closest(key, NETWORK_CONNECTION_KEYS)[:-2] + "?)")
        problems.append('%s has an unknown key %s%s; sign-in keys: %s.' % (where, _name(key), hint, ', '.join(known)))
    return problems


def merge_signin(common: Optional[Mapping[str, Any]], inventory_auth: Optional[Mapping[str, Any]],
                 tenant_map: Optional[Mapping[str, Any]], tenant: Optional[str]) -> Dict[str, Any]:
    """Sign-in options of one tenant (later wins): common, the inventory's w365_auth, the tenant map entry.

    Raises W365ConfigError on a malformed map or on an unknown key anywhere, naming the closest known key:
    a misspelled secret option must never reach a module (it would land, unmasked, in the task result).
    """
    known = signin_keys()
    parsed = parse_tenant_map(tenant_map)
    entry = parsed.get(str(tenant)) if tenant is not None else None
    problems = (check_signin_keys(common, 'w365_auth_common', known)
                + check_signin_keys(inventory_auth, 'w365_auth', known)
                + check_signin_keys(entry, '%s entry of tenant %s' % (TENANT_MAP_VAR, _name(tenant)), known))
    if problems:
        raise W365ConfigError('w365_auth', ' '.join(problems))
    merged = dict(common or {})
    merged.update(inventory_auth or {})
    merged.update(entry or {})
    # Empty values mean "not set" (AWX sets unused fields to ""), so the modules fall back to the environment.
    return dict((k, v) for k, v in merged.items() if v not in (None, ''))


# --- the whole inventory -------------------------------------------------------------------------

def _is_int(value, minimum):
    if isinstance(value, bool):
        return False
    try:
        return int(str(value)) >= minimum
    except ValueError:
        return False


def _is_bool(value):
    return isinstance(value, bool) or str(value).lower() in ('true', 'false', 'yes', 'no', '1', '0', 'on', 'off')


def _check_connection(nc, add, environ):
    """Problems of one w365_network_connection entry; returns the subnet identity (or None) for the cross check."""
    var = 'w365_network_connection'
    if not isinstance(nc, dict):
        add(var, '%s must be a mapping (name, subscription_id, resource_group, virtual_network, subnet, ...).' % var)
        return None
    for message in unknown_keys(nc, NETWORK_CONNECTION_KEYS, var):
        add(var, message)
    name = nc.get('name')
    if not isinstance(name, str) or not name.strip():
        add(var + '.name', '%s.name is required: the display name of the Azure network connection.' % var)
    elif _CONTROL.search(name):
        add(var + '.name', '%s.name contains control characters; use printable text.' % var)
    elif len(name) > MAX_NAME_LENGTH:
        add(var + '.name', '%s.name is %d characters long; w365_anc takes at most %d.' % (
            var, len(name), MAX_NAME_LENGTH))
    join_type = nc.get('join_type', 'entra_join')
    if join_type not in JOIN_TYPES:
        add(var + '.join_type', "%s.join_type must be one of %s%s." % (
            var, ', '.join(JOIN_TYPES), closest(join_type, JOIN_TYPES)))
    for key in ('subnet', 'virtual_network'):
        if not nc.get(key) and not str(nc.get('subnet') or '').startswith('/'):
            add('%s.%s' % (var, key), '%s.%s is required (a name, or the subnet as a full resource ID).' % (var, key))
    sub = nc.get('subscription_id')
    if sub not in (None, '') and not _GUID_RE.match(str(sub)):
        add(var + '.subscription_id', '%s.subscription_id must be a subscription GUID.' % var)
    for key, minimum in (('planned_cloud_pcs', 0), ('anc_limit', 1), ('wait_timeout', 1)):
        if key in nc and not _is_int(nc[key], minimum):
            add('%s.%s' % (var, key), '%s.%s must be an integer of at least %d.' % (var, key, minimum))
    for key in ('manage_grants', 'remove_legacy_grants'):
        if key in nc and not _is_bool(nc[key]):
            add('%s.%s' % (var, key), '%s.%s must be true or false.' % (var, key))
    if 'update_password' in nc and nc['update_password'] not in UPDATE_PASSWORD_CHOICES:
        add(var + '.update_password', '%s.update_password must be one of %s%s.' % (
            var, ', '.join(UPDATE_PASSWORD_CHOICES), closest(nc['update_password'], UPDATE_PASSWORD_CHOICES)))
    if join_type == 'hybrid_join':
        for key in HYBRID_KEYS:
            if not nc.get(key):
                add('%s.%s' % (var, key), '%s.%s is required for join_type hybrid_join.' % (var, key))
    elif join_type == 'entra_join':
        for key in HYBRID_KEYS + ('organizational_unit',):
            if nc.get(key):
                add('%s.%s' % (var, key), '%s.%s is only for join_type hybrid_join; remove it or set join_type.' % (
                    var, key))
    if nc.get('update_password') == 'always' and not nc.get('ad_domain_password'):
        add(var + '.ad_domain_password', '%s.update_password always needs %s.ad_domain_password.' % (var, var))
    return _subnet_identity(nc, environ)


def _subnet_identity(nc, environ):
    from ansible_collections.w365.cloudpc.plugins.module_utils._ids import resolve_network
    subnet = nc.get('subnet')
    if not subnet or not isinstance(subnet, str):
        return None
    try:
        target = resolve_network(
            subscription_id=nc.get('subscription_id') or environ.get('AZURE_SUBSCRIPTION_ID') or None,
            resource_group=nc.get('virtual_network_resource_group') or nc.get('resource_group') or None,
            virtual_network=nc.get('virtual_network') or None, subnet=subnet)
    except W365ConfigError:
        return None
    return target.subnet_id.lower() if target.subnet_id else None


def _check_images(images, add):
    var = 'w365_images'
    if images in (None, ''):
        return
    if not isinstance(images, list):
        add(var, '%s must be a list of {name, version, source_image_id}.' % var)
        return
    seen = {}
    for index, where, image in _entries(images, var, IMAGE_KEYS, 'must be a mapping with name, version and source_image_id.',
                                        add):
        name, version = image.get('name'), image.get('version')
        if not isinstance(name, str) or not name.strip():
            add(where + '.name', '%s.name is required: the display name of the image.' % where)
        if version is None or not _VERSION_RE.match(str(version)):
            add(where + '.version', '%s.version must be Major.Minor.Patch, for example 1.0.0 (quote it in YAML).'
                % where)
        source = image.get('source_image_id')
        if not source:
            add(where + '.source_image_id', '%s.source_image_id is required: the managed image resource ID '
                '(/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/images/<name>).' % where)
        elif not isinstance(source, str) or not _MANAGED_IMAGE_RE.match(source.strip().rstrip('/')):
            add(where + '.source_image_id', '%s.source_image_id must be a managed image resource ID '
                '(/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/images/<name>).' % where)
        for key in ('manage_grants', 'retry_failed'):
            if key in image and not _is_bool(image[key]):
                add('%s.%s' % (where, key), '%s.%s must be true or false.' % (where, key))
        if 'wait_timeout' in image and not _is_int(image['wait_timeout'], 1):
            add(where + '.wait_timeout', '%s.wait_timeout must be an integer of at least 1.' % where)
        if isinstance(name, str) and version is not None:
            identity = (name.strip().lower(), str(version))
            if identity in seen:
                add(where, '%s lists image %s %s again (first at %s[%d]); list each image once.' % (
                    where, name, version, var, seen[identity]))
            else:
                seen[identity] = index


def _policy_network_entries(value):
    """The `network` of a policy as a list of dicts; a plain string is a connection name ({anc: name})."""
    return [{'anc': item} if isinstance(item, str) else item for item in (value if isinstance(value, list) else [])]


def _policy_image(value):
    """The `image` of a policy with its type filled in (custom unless said otherwise), or None."""
    if not isinstance(value, dict):
        return None
    return dict(value, type=value.get('type') or 'custom')


def _check_policy_network(where, network, ancs, add):
    """Problems of a policy's network: the tenant's connections by name (or declared existing), or Microsoft-hosted."""
    at = where + '.network'
    if network in (None, [], ''):
        add(at, '%s.network is required: the names of the tenant\'s Azure network connections in priority order '
            '(the first one primary), or a Microsoft-hosted network ({region: ..., region_group: ...}).' % where)
        return
    if not isinstance(network, list):
        add(at, '%s.network must be a list (connection names, the first one primary, the others alternates).'
            % where)
        return
    seen, kinds, join_types = set(), set(), {}
    for _index, item, entry in _entries(_policy_network_entries(network), at, POLICY_NETWORK_KEYS,
                                        'must be a connection name or a mapping with anc (or region / region_group).', add):
        name = entry.get('anc')
        hosted = entry.get('region') or entry.get('region_group')
        if name in (None, '') and not hosted:
            add(item + '.anc', '%s.anc is required: the name of an Azure network connection of the tenant (or give '
                'region / region_group for a Microsoft-hosted network).' % item)
            continue
        if name not in (None, '') and hosted:
            add(item, '%s sets both anc and a Microsoft-hosted region; one entry is one or the other.' % item)
            continue
        if 'existing' in entry and not _is_bool(entry['existing']):
            add(item + '.existing', '%s.existing must be true or false.' % item)
        join_type = entry.get('join_type')
        if join_type is not None and join_type not in JOIN_TYPES:
            add(item + '.join_type', '%s.join_type must be one of %s%s.' % (
                item, ', '.join(JOIN_TYPES), closest(join_type, JOIN_TYPES)))
            join_type = None
        kinds.add('hosted' if hosted else 'anc')
        if hosted:
            if join_type == 'hybrid_join':
                add(item + '.join_type', '%s: a Microsoft-hosted network is always entra_join.' % item)
            continue
        if not isinstance(name, str) or not name.strip():
            add(item + '.anc', '%s.anc must be the name of an Azure network connection of the tenant.' % item)
            continue
        if _seen_before(seen, name):
            add(item, '%s names connection %s again; list each connection once.' % (item, _name(name)))
        known = ancs.get(name.strip().lower())
        if known is None:
            if _truthy(entry.get('existing', False)):
                if join_type is not None:
                    join_types.setdefault(join_type, []).append(name.strip())
                continue
            names = sorted(n for n, dummy, dummy2 in ancs.values())
            add(item + '.anc', "%s names connection %s, which no w365_network_connection of this tenant defines%s. "
                "Use one of the tenant's connection names (%s), or, for a connection made outside this inventory, "
                "write {anc: ..., existing: true}." % (
                    item, _name(name), closest(name, names), ', '.join(names) or 'none defined'))
        elif join_type is not None and join_type != known[1]:
            add(item + '.join_type', '%s.join_type is %s but w365_network_connection %s (host %s) is %s; drop '
                'join_type (it is taken from the connection) or make them agree.' % (
                    item, join_type, _name(known[0]), known[2], known[1]))
        else:
            join_types.setdefault(known[1], []).append(name.strip())
    if len(kinds) > 1:
        add(at, '%s mixes Azure network connections and a Microsoft-hosted network; a policy uses one or the '
            'other: give each its own policy.' % at)
    if len(join_types) > 1:
        add(at, '%s mixes join types (%s); every connection of a policy must have the same join type: give the '
            'entra_join and the hybrid_join connections a policy each.' % (
                at, '; '.join('%s: %s' % (k, ', '.join(v)) for k, v in sorted(join_types.items()))))


def _check_policy_image(where, image, images, add):
    at = where + '.image'
    if image in (None, {}, ''):
        add(at, '%s.image is required: {name, version} of one of the tenant\'s w365_images, or {type: gallery, '
            'name: ...} for a gallery image.' % where)
        return
    if not isinstance(image, dict):
        add(at, '%s must be a mapping: {name, version} of one of the tenant\'s w365_images, or {type: gallery, '
            'name: ...}.' % at)
        return
    for message in unknown_keys(image, POLICY_IMAGE_KEYS, at):
        add(at, message)
    kind = image.get('type') or 'custom'
    if kind not in POLICY_IMAGE_TYPES:
        add(at + '.type', '%s.type must be one of %s%s.' % (
            at, ', '.join(POLICY_IMAGE_TYPES), closest(kind, POLICY_IMAGE_TYPES)))
        return
    name, version = image.get('name'), image.get('version')
    if not isinstance(name, str) or not name.strip():
        add(at + '.name', '%s.name is required: the name of the %s image.' % (at, kind))
        return
    if kind == 'gallery':
        if version is not None:
            add(at + '.version', '%s.version is only for custom images; a gallery image is chosen by name.' % at)
        return
    if 'existing' in image and not _is_bool(image['existing']):
        add(at + '.existing', '%s.existing must be true or false.' % at)
    if version is not None and not _VERSION_RE.match(str(version)):
        add(at + '.version', '%s.version must be Major.Minor.Patch, for example 1.0.0 (quote it in YAML).' % at)
        return
    if any(n == name.strip().lower() and (version is None or v == str(version)) for n, v in images):
        return
    if _truthy(image.get('existing', False)):
        return
    listed = sorted('%s %s' % (n, v) for n, v in images.values())
    add(at, '%s names image %s%s, which the tenant\'s w365_images does not list%s. Use one of them (%s), or, '
        'for an image uploaded outside this inventory, add existing: true.' % (
            at, _name(name), '' if version is None else ' ' + _name(version),
            closest('%s %s' % (name, version or ''), listed), ', '.join(listed) or 'none listed'))


def _check_policy_assignments(where, assignments, add):
    at = where + '.assignments'
    if assignments is None:
        return
    if not isinstance(assignments, list):
        add(at, '%s must be a list of Entra groups (display name or object ID).' % at)
        return
    seen = set()
    groups = ({'group': entry} if isinstance(entry, str) else entry for entry in assignments)
    for _index, item, entry in _entries(groups, at, POLICY_ASSIGNMENT_KEYS,
                                        'must be a group (display name or object ID) or a mapping with group.', add):
        group = entry.get('group')
        if not isinstance(group, str) or not group.strip():
            add(item + '.group', '%s.group is required: the Entra group\'s display name or object ID.' % item)
            continue
        if _seen_before(seen, group):
            add(item, '%s assigns group %s again; list each group once.' % (item, _name(group)))


def check_policies(policies: Any, ancs: Mapping[str, Any], images: Mapping[Any, Any], add: Any) -> None:
    """Problems of a tenant's `w365_provisioning_policies`.

    ancs: lower-case connection name -> (name, join_type, host) of every w365_network_connection of the tenant
    (also on hosts outside --limit); images: (lower-case name, version) -> (name, version) of its w365_images.
    """
    var = POLICY_VAR
    if policies in (None, ''):
        return
    if not isinstance(policies, list):
        add(var, '%s must be a list of policies ({name, network, image, assignments, ...}).' % var)
        return
    names: Dict[Any, Any] = {}
    for index, where, policy in _entries(policies, var, POLICY_KEYS, 'must be a mapping with name, network, image, ...', add):
        name = policy.get('name')
        if not isinstance(name, str) or not name.strip():
            add(where + '.name', '%s.name is required: the display name of the provisioning policy.' % where)
        elif _CONTROL.search(name):
            add(where + '.name', '%s.name contains control characters; use printable text.' % where)
        else:
            key = name.strip().lower()
            if key in names:
                add(where + '.name', '%s.name %s is used again (first at %s[%d]); the name identifies the policy: '
                    'give each policy its own name.' % (where, _name(name), var, names[key]))
            else:
                names[key] = index
        ptype = policy.get('provisioning_type')
        if ptype is not None and ptype not in PROVISIONING_TYPES:
            add(where + '.provisioning_type', '%s.provisioning_type must be one of %s%s.' % (
                where, ', '.join(PROVISIONING_TYPES), closest(ptype, PROVISIONING_TYPES)))
        for key in ('single_sign_on', 'local_admin'):
            if key in policy and not _is_bool(policy[key]):
                add('%s.%s' % (where, key), '%s.%s must be true or false.' % (where, key))
        for key in ('description', 'naming_template', 'windows_language', 'autopatch_group_id'):
            if policy.get(key) is not None and not isinstance(policy[key], str):
                add('%s.%s' % (where, key), '%s.%s must be text.' % (where, key))
        if 'image_warning_days' in policy and not _is_int(policy['image_warning_days'], 0):
            add(where + '.image_warning_days', '%s.image_warning_days must be an integer of at least 0.' % where)
        _check_policy_network(where, policy.get('network'), ancs, add)
        _check_policy_image(where, policy.get('image'), images, add)
        _check_policy_assignments(where, policy.get('assignments'), add)


def _signin_problem(options, environ):
    """Why a tenant's merged sign-in options cannot sign in, or None (pure; the environment counts too)."""
    from ansible_collections.w365.cloudpc.plugins.module_utils import _auth
    inputs, from_task = _auth.auth_inputs(options, environ)
    try:
        name = _auth.select_method(options.get('auth_method'), inputs, from_task, environ)
    except W365ConfigError as err:
        return str(err)
    if not inputs.get('tenant_id') and name not in ('azure_cli', 'managed_identity'):
        return 'no tenant_id: set w365_auth.tenant_id (or its %s entry, or AZURE_TENANT_ID)' % TENANT_MAP_VAR
    if not inputs.get('tenant_id') and name == 'azure_cli' and not options.get('auth_method'):
        return ('no sign-in options: set w365_auth (tenant_id and client_id/client_secret, or auth_method '
                'username_password with username/password), or an entry in %s, or the AZURE_* environment'
                % TENANT_MAP_VAR)
    missing = [o for o in _auth.METHODS[name].required if not inputs.get(o)]
    if missing:
        return 'auth_method %s needs %s (in w365_auth, the %s entry, or the environment)' % (
            name, ', '.join(missing), TENANT_MAP_VAR)
    return None


def validate_inventory(hosts: Mapping[str, Any], play_hosts: Optional[Iterable[str]] = None,
                       tenant_map: Any = None, common: Optional[Mapping[str, Any]] = None,
                       extra_regions: Optional[Iterable[str]] = None,
                       environ: Optional[Mapping[str, str]] = None) -> List[Dict[str, Any]]:
    """Every problem of the rollout inventory that can be known before a request.

    hosts: host name -> dict of that host's rollout variables (w365_tenant, w365_region, w365_network_connection,
    w365_images, w365_auth, w365_auth_common), for every deployment host of the inventory (also outside --limit:
    a duplicate across the limit is still a duplicate). play_hosts: the hosts of this run (None: all); per-host
    problems are reported for them, cross-host ones when one of their hosts is in the run.

    Returns a sorted list of {'host', 'tenant', 'variable', 'message'}; empty when the inventory is sound.
    Messages name the variable and the fix, never a secret value.
    """
    environ = os.environ if environ is None else environ
    play = set(hosts if play_hosts is None else play_hosts)
    regions = set(AZURE_REGIONS) | {str(r).lower() for r in (extra_regions or [])}
    problems = []

    def adder(host, tenant):
        def add(variable, message):
            problems.append({'host': host, 'tenant': tenant, 'variable': variable, 'message': message})
        return add

    try:
        parsed_map = parse_tenant_map(tenant_map)
    except W365ConfigError as err:
        problems.append({'host': None, 'tenant': None, 'variable': TENANT_MAP_VAR, 'message': str(err)})
        parsed_map = {}
    known = signin_keys()
    names: Dict[Any, Any] = {}
    subnets: Dict[Any, Any] = {}
    tenant_hosts: Dict[str, List[str]] = {}
    tenant_images: Dict[str, Any] = {}
    tenant_policies: Dict[str, Any] = {}
    tenant_ancs: Dict[str, Any] = {}
    for host in sorted(hosts):
        hv = hosts[host] or {}
        tenant = hv.get('w365_tenant')
        add = adder(host, tenant if isinstance(tenant, str) else None)
        in_play = host in play
        if not isinstance(tenant, str) or not tenant.strip():
            if in_play:
                add('w365_tenant', 'w365_tenant is required: the tenant key the host is grouped by '
                                   '(set it in group_vars of tenant_<key>).')
            continue
        tenant_hosts.setdefault(tenant, []).append(host)
        region = hv.get('w365_region')
        if in_play:
            if not isinstance(region, str) or not region.strip():
                add('w365_region', 'w365_region is required: the Azure region of the deployment, for example '
                                   'westeurope.')
            else:
                normalized = re.sub(r'[\s_-]', '', region).lower()
                if normalized not in regions:
                    add('w365_region', "w365_region '%s' is not an Azure region%s. Use the region's name as "
                                       "'az account list-locations' prints it (for example westeurope), or add it "
                                       "to w365_extra_azure_regions if Microsoft opened it after this release."
                        % (region if _SAFE_NAME.match(region) else 'value', closest(normalized, sorted(regions))))
        nc = hv.get('w365_network_connection')
        if nc is not None:
            subnet = _check_connection(nc, add if in_play else (lambda v, m: None), environ)
            if isinstance(nc, dict) and isinstance(nc.get('name'), str) and nc['name'].strip():
                names.setdefault((tenant, nc['name'].strip().lower()), []).append((host, nc['name']))
                tenant_ancs.setdefault(tenant, {}).setdefault(nc['name'].strip().lower(), (
                    nc['name'].strip(), nc.get('join_type', 'entra_join'), host))
            if subnet:
                subnets.setdefault(subnet, []).append(host)
        if in_play:
            _check_images(hv.get('w365_images'), add)
            for message in check_signin_keys(hv.get('w365_auth_common'), 'w365_auth_common', known):
                add('w365_auth_common', message)
            for message in check_signin_keys(hv.get('w365_auth'), 'w365_auth', known):
                add('w365_auth', message)
        tenant_images.setdefault(tenant, {}).setdefault(_images_key(hv.get('w365_images')), []).append(host)
        tenant_policies.setdefault(tenant, {}).setdefault(repr(hv.get(POLICY_VAR)), []).append(host)

    for (tenant, dummy), owners in sorted(names.items()):
        if len(owners) > 1 and any(h in play for h, n in owners):
            hosts_text = ', '.join(h for h, n in owners)
            for host, name in owners:
                problems.append({'host': host, 'tenant': tenant, 'variable': 'w365_network_connection.name',
                                 'message': "w365_network_connection.name '%s' is used by %d hosts of tenant %s (%s); "
                                            "Graph does not keep names unique, so they would create duplicates or "
                                            "move one connection onto another subnet. Give each deployment its own "
                                            "name." % (name, len(owners), tenant, hosts_text)})
    for subnet, owners in sorted(subnets.items()):
        if len(owners) > 1 and any(h in play for h in owners):
            for host in owners:
                problems.append({'host': host, 'tenant': hosts[host].get('w365_tenant'),
                                 'variable': 'w365_network_connection.subnet',
                                 'message': 'w365_network_connection.subnet: %s deploy to the same subnet (%s); '
                                            'one Azure network connection per subnet: remove one deployment or '
                                            'give it its own subnet.' % (', '.join(owners), subnet)})
    for tenant, variants in sorted(tenant_images.items()):
        if len(variants) > 1 and any(h in play for h in tenant_hosts.get(tenant, [])):
            problems.append({'host': None, 'tenant': tenant, 'variable': 'w365_images',
                             'message': 'w365_images differs between the hosts of tenant %s (%s); images are '
                                        'tenant-wide: set w365_images once, in the tenant group.' % (
                                            tenant, '; '.join(', '.join(h) for h in variants.values()))})

    for tenant, variants in sorted(tenant_policies.items()):
        if not any(h in play for h in tenant_hosts.get(tenant, [])):
            continue
        if len(variants) > 1:
            problems.append({'host': None, 'tenant': tenant, 'variable': POLICY_VAR,
                             'message': '%s differs between the hosts of tenant %s (%s); policies are tenant-wide: '
                                        'set %s once, in the tenant group.' % (
                                            POLICY_VAR, tenant, '; '.join(', '.join(h) for h in variants.values()),
                                            POLICY_VAR)})
            continue
        first = tenant_hosts[tenant][0]
        images, listed = {}, hosts[first].get('w365_images')
        for image in listed if isinstance(listed, list) else []:
            if isinstance(image, dict) and isinstance(image.get('name'), str) and image.get('version') is not None:
                images[(image['name'].strip().lower(), str(image['version']))] = (image['name'].strip(),
                                                                                  str(image['version']))
        check_policies(hosts[first].get(POLICY_VAR), tenant_ancs.get(tenant, {}), images, adder(None, tenant))

    tenants_in_play = sorted({hosts[h].get('w365_tenant') for h in play if h in hosts
                              and isinstance(hosts[h].get('w365_tenant'), str) and hosts[h].get('w365_tenant')})
    for key in sorted(parsed_map):
        if key not in tenant_hosts:
            hint = closest(key, sorted(tenant_hosts))
            # Under AWX job slicing the inventory holds only the slice's hosts: a key of another slice's tenant
            # is normal; one that is close to a tenant of this inventory is a typo.
            if hint:
                problems.append({'host': None, 'tenant': None, 'variable': TENANT_MAP_VAR,
                                 'message': '%s has an entry %s that no host uses as w365_tenant%s.' % (
                                     TENANT_MAP_VAR, _name(key), hint)})
        for message in check_signin_keys(parsed_map[key], '%s entry of tenant %s' % (TENANT_MAP_VAR, _name(key)),
                                         known):
            problems.append({'host': None, 'tenant': key, 'variable': TENANT_MAP_VAR, 'message': message})
    for tenant in tenants_in_play:
        first = next(h for h in tenant_hosts[tenant] if h in play)
        hv = hosts[first]
        if any(p['variable'].startswith(('w365_auth', TENANT_MAP_VAR)) for p in problems):
            continue
        options: Dict[str, Any] = {}
        for source in (hv.get('w365_auth_common'), hv.get('w365_auth'), parsed_map.get(tenant)):
            if isinstance(source, dict):
                options.update(source)
        options = dict((k, v) for k, v in options.items() if v not in (None, ''))
        reason = _signin_problem(options, environ)
        if reason:
            problems.append({'host': None, 'tenant': tenant, 'variable': 'w365_auth',
                             'message': 'tenant %s cannot sign in: %s.' % (tenant, reason)})
    return sorted(problems, key=lambda p: (str(p['tenant'] or ''), str(p['host'] or ''), p['variable'],
                                           p['message']))


def _images_key(images):
    if not isinstance(images, list):
        return repr(type(images))
    out = []
    for image in images:
        if isinstance(image, dict):
            out.append((str(image.get('name')), str(image.get('version')), str(image.get('source_image_id'))))
        else:
            out.append(('?',))
    return repr(sorted(out))


def format_problem(problem: Mapping[str, Any]) -> str:
    """One problem as a line: 'host h (tenant t): message'."""
    where = []
    if problem.get('host'):
        where.append('host %s' % problem['host'])
    if problem.get('tenant'):
        where.append('tenant %s' % problem['tenant'])
    return '%s: %s' % (', '.join(where) or 'inventory', problem['message'])


# --- provisioning policies in the rollout: what each policy needs, and whether it can go ahead ----------------

def _truthy(value):
    return str(value).lower() in ('true', 'yes', '1', 'on')


def _failure_text(failed):
    failed = failed or {}
    task, message = failed.get('task') or '', failed.get('message') or 'unknown error'
    return '%s (%s)' % (message, task) if task else message


def plan_policies(policies: Any, connections: Any, records: Any,
                  check_mode: bool = False) -> List[Dict[str, Any]]:
    """Each tenant policy with the module's network, image and assignments, and why it is skipped, pure.

    policies: the tenant's `w365_provisioning_policies` (validated). connections: [{host, name, join_type,
    in_run}] for every w365_network_connection of the tenant in the inventory. records: the `w365_deployment`
    records of the tenant's hosts in this run (their connection results, and on the image host the images and
    image failures).

    Returns [{name, entry, network, image, assignments, skip_reason, deferred}]: `network` ([{anc, join_type}] or
    [{region, region_group}]), `image` ({type, name, version}) and `assignments` ([{group, service_plan_id}])
    as w365_provisioning_policy takes them (None when the entry leaves them out); `skip_reason` when something it
    uses failed in this run or the tenant could not start (nothing is then sent for the policy); `deferred` in check
    mode when something it uses would be created or changed first (the module cannot check a policy against a
    connection or image that does not exist yet).
    """
    by_name = {}
    for conn in connections or []:
        if isinstance(conn.get('name'), str):
            by_name[conn['name'].strip().lower()] = conn
    records = [r for r in records or [] if isinstance(r, dict)]
    by_host = dict((r.get('host'), r) for r in records)
    signin = next((r for r in records if (r.get('failed') or {}).get('task') in (
        'Sign in to the tenant', 'Check the whole inventory')), None)
    uploaded: Dict[str, Dict[str, Any]] = {}
    image_failures: Dict[str, Dict[str, Any]] = {}
    for record in records:
        for image in record.get('images') or []:
            uploaded.setdefault(str(image.get('name')).strip().lower(), {})[str(image.get('version'))] = image
        for failure in record.get('image_failures') or []:
            image_failures.setdefault(str(failure.get('name')).strip().lower(), {})[
                str(failure.get('version'))] = failure
    plan = []
    for entry in policies or []:
        reasons, deferred = [], []
        network = None
        if entry.get('network') is not None:
            network = []
            for ref in _policy_network_entries(entry.get('network')):
                if not ref.get('anc'):
                    network.append(dict((k, v) for k, v in ref.items() if k in ('region', 'region_group', 'join_type')
                                        and v not in (None, '')))
                    continue
                name = str(ref['anc']).strip()
                conn = by_name.get(name.lower())
                network.append({'anc': name, 'join_type': ref.get('join_type') or (conn or {}).get('join_type')
                                or 'entra_join'})
                if conn is None or not conn.get('in_run'):
                    continue  # made outside the inventory, or outside --limit: the module checks it as it is
                record = by_host.get(conn.get('host'))
                result = (record or {}).get('network_connection') or {}
                if record is None:
                    reasons.append('network connection %s (host %s) has no record in this run' % (name, conn['host']))
                elif record.get('failed'):
                    reasons.append('network connection %s (host %s) failed: %s' % (
                        name, conn['host'], _failure_text(record['failed'])))
                elif check_mode and (result.get('connection_changed') or not (result.get('connection') or {}).get('id')):
                    deferred.append('network connection %s would be created or changed first' % name)
        image = _policy_image(entry.get('image'))
        if image is not None:
            image = dict((k, v) for k, v in image.items() if k != 'existing' and v is not None)
            if image.get('version') is not None:
                image['version'] = str(image['version'])
        if image is not None and image['type'] == 'custom':
            key, version = str(image.get('name')).strip().lower(), image.get('version')
            label = '%s %s' % (image.get('name'), version or '(highest ready version)')
            failures = image_failures.get(key) or {}
            tried = uploaded.get(key) or {}
            if version:
                failure = failures.get(version)
            else:
                failure = next(iter(failures.values())) if failures and not tried else None
            result = tried.get(version) if version else None
            if failure is not None:
                reasons.append('image %s failed: %s' % (label, failure.get('error_explanation')
                                                        or failure.get('message') or 'unknown error'))
            elif result is not None:
                status = result.get('status') or (result.get('image') or {}).get('status')
                if check_mode and (result.get('image_changed') or not (result.get('image') or {}).get('id')):
                    deferred.append('image %s would be uploaded first' % label)
                elif status not in (None, '', 'ready') and not check_mode:
                    reasons.append('image %s is %s, not ready' % (label, status))
            # Otherwise declared existing, or not tried in this run: the module checks it exists and is ready.
        if signin is not None:
            reasons = ['the tenant could not start: %s' % _failure_text(signin.get('failed'))]
        assignments = None
        if entry.get('assignments') is not None:
            assignments = [{'group': item} if isinstance(item, str) else dict(item) for item in entry['assignments']]
        plan.append({
            'name': entry.get('name'),
            'entry': entry,
            'network': network,
            'image': image,
            'assignments': assignments,
            'skip_reason': ('; '.join(reasons) + '. Nothing was sent for this policy; fix that and run again.')
            if reasons else None,
            'deferred': ('check mode: %s, so the policy is not checked against the service in this run.' % (
                '; '.join(deferred))) if deferred and not reasons else None,
        })
    return plan
