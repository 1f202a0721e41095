# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows 365 provisioning policies (Graph v1.0 cloudPcProvisioningPolicy): validation, resolution, diffing.

Options are in the user's terms (connection names, image names, group names); this file turns them into the Graph
body and compares it with what the service holds. Everything here is pure except the few ``read_*`` / ``list_*``
helpers at the end, which take a ``GraphClient``.

Sources: Graph v1.0 cloudPcProvisioningPolicy, its create / update / delete / assign pages, cloudPcGalleryImage,
cloudPcDomainJoinConfiguration (learn.microsoft.com/graph/api/resources/cloudpcprovisioningpolicy); Windows 365
"Create provisioning policies" (learn.microsoft.com/windows-365/enterprise/create-provisioning-policy) for the policy
name characters and the Cloud PC naming rules.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

import datetime
import re

from ansible_collections.w365.cloudpc.plugins.module_utils import _anc, _images
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    GRAPH_CLOUD_PCS_PATH, GRAPH_GALLERY_IMAGES_PATH, GRAPH_GROUPS_PATH, GRAPH_PROVISIONING_POLICIES_PATH)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import is_guid

POLICIES_PATH = GRAPH_PROVISIONING_POLICIES_PATH
GALLERY_IMAGES_PATH = GRAPH_GALLERY_IMAGES_PATH
GROUPS_PATH = GRAPH_GROUPS_PATH
CLOUD_PCS_PATH = GRAPH_CLOUD_PCS_PATH

# provisioningType is an evolvable enum: the frontline values come after unknownFutureValue, so Graph only returns
# them (instead of unknownFutureValue) when asked to.
PREFER_ALL_ENUM_MEMBERS = {'Prefer': 'include-unknown-enum-members'}

# Option value -> Graph cloudPcProvisioningType. dedicated: Windows 365 Enterprise and Frontline dedicated;
# shared: Frontline shared; sharedByUser / sharedByEntraGroup: the newer Frontline shared modes.
PROVISIONING_TYPES = {
    'dedicated': 'dedicated',
    'shared': 'shared',
    'shared_by_user': 'sharedByUser',
    'shared_by_entra_group': 'sharedByEntraGroup',
}
_PROVISIONING_TYPES_BY_GRAPH = {v.lower(): k for k, v in PROVISIONING_TYPES.items()}

JOIN_TYPES = _anc.JOIN_TYPES  # entra_join -> azureADJoin, hybrid_join -> hybridAzureADJoin
_JOIN_TYPES_BY_GRAPH = {v.lower(): k for k, v in JOIN_TYPES.items()}

# Graph cloudPcRegionGroup members (v1.0), unknownFutureValue left out.
REGION_GROUPS = (
    'default', 'australia', 'canada', 'usCentral', 'usEast', 'usWest', 'france', 'germany', 'europeUnion',
    'unitedKingdom', 'japan', 'asia', 'india', 'southAmerica', 'euap', 'usGovernment', 'usGovernmentDOD', 'norway',
    'switzerland', 'southKorea',
)
_REGION_GROUPS_BY_LOWER = {g.lower(): g for g in REGION_GROUPS}

IMAGE_TYPES = ('custom', 'gallery')

GROUP_TARGET_TYPE = '#microsoft.graph.cloudPcManagementGroupAssignmentTarget'


# The policy name: the Intune admin center refuses these characters.
_NAME_FORBIDDEN = '<>&|"^'

# Cloud PC naming (Windows 365 "Create provisioning policies", Apply device name template): letters, digits and hyphens
# (no blanks or underscores), a prefix of at most 10 characters, %USERNAME:x% only for dedicated Cloud PCs, a %RAND:y%
# macro with y >= 5; and (Graph cloudPcNamingTemplate) at most 15 characters once the macros are replaced.
NAMING_MAX_LENGTH = 15
NAMING_MAX_PREFIX = 10
NAMING_MIN_RAND = 5
_MACRO_RE = re.compile(r'%([A-Za-z]+):([0-9]+)%')
_NAMING_TEXT_RE = re.compile(r'^[A-Za-z0-9-]*$')
_LOCALE_RE = re.compile(r'^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$')
_REGION_RE = re.compile(r'^[a-z0-9]+$')

DEFAULT_IMAGE_WARNING_DAYS = 60


# ---------------------------------------------------------------- offline validation

def validate_name(name: str) -> str:
    """The policy name: not empty, no control characters (checked by the module), none of < > & | " ^."""
    if name is None or not str(name).strip():
        raise W365ConfigError('name', 'name must be a non-empty provisioning policy display name')
    bad = sorted(set(c for c in str(name) if c in _NAME_FORBIDDEN))
    if bad:
        raise W365ConfigError('name', 'a provisioning policy name cannot contain %s (the Intune admin center refuses '
                                      'the characters < > & | " ^); rename it' % ' '.join(bad))
    return str(name)


def naming_template_problems(template: str, provisioning_type: Optional[str] = None) -> List[str]:
    """What the Intune admin center would refuse in a Cloud PC naming template; [] when it is fine.

    Counts each macro as the number of characters it produces (%USERNAME:x% -> x, %RAND:y% -> y). With a
    ``provisioning_type`` other than dedicated, %USERNAME:x% is refused (shared Cloud PCs have no single user).
    """
    problems = []
    if template is None:
        return problems
    text = str(template)
    if not text:
        return ['the template is empty; omit naming_template to leave the service\'s naming alone']
    if any(c.isspace() for c in text):
        problems.append('it contains blanks')
    macros = _MACRO_RE.findall(text)
    literal = _MACRO_RE.sub('', text)
    if '%' in literal:
        problems.append('a %% that is not part of a %USERNAME:x% or %RAND:y% macro')
    elif not _NAMING_TEXT_RE.match(literal.replace(' ', '')):
        problems.append('characters other than letters (a-z, A-Z), digits (0-9) and hyphens')
    first = _MACRO_RE.search(text)
    prefix = text[:first.start()] if first else text
    if len(prefix) > NAMING_MAX_PREFIX:
        problems.append('its prefix %r is longer than %d characters' % (prefix, NAMING_MAX_PREFIX))
    length = len(literal)
    rand = []
    for macro, count in macros:
        kind = macro.upper()
        width = int(count)
        if kind not in ('USERNAME', 'RAND'):
            problems.append('unknown macro %%%s:%s%% (only %%USERNAME:x%% and %%RAND:y%%)' % (macro, count))
            continue
        if width < 1:
            problems.append('%%%s:%s%% produces no characters' % (kind, count))
        if kind == 'RAND':
            rand.append(width)
        elif provisioning_type not in (None, 'dedicated'):
            problems.append('%%USERNAME:x%% is only for dedicated Cloud PCs, not provisioning_type=%s'
                            % provisioning_type)
        length += width
    if not rand:
        problems.append('no %RAND:y% macro (names must contain a random part of at least 5 digits)')
    elif max(rand) < NAMING_MIN_RAND:
        problems.append('%%RAND:y%% needs y of at least %d' % NAMING_MIN_RAND)
    if length > NAMING_MAX_LENGTH:
        problems.append('it produces %d characters; Cloud PC names are at most %d' % (length, NAMING_MAX_LENGTH))
    return problems


def validate_naming_template(template: str, provisioning_type: Optional[str] = None) -> str:
    problems = naming_template_problems(template, provisioning_type)
    if problems:
        example = 'CPC-%USERNAME:4%-%RAND:5%' if provisioning_type in (None, 'dedicated') else 'FLW-%RAND:6%'
        raise W365ConfigError('naming_template', 'the Cloud PC naming template is not one the service accepts: %s. '
                                                 'Example: %s' % ('; '.join(problems), example))
    return template


def validate_locale(locale: str) -> str:
    if locale is not None and not _LOCALE_RE.match(str(locale)):
        raise W365ConfigError('windows_language', 'must be a Windows language and region tag such as en-US or '
                                                  'de-DE')
    return locale


def normalize_network(entries: Any) -> Optional[List[Dict[str, Any]]]:
    """The ``network`` option -> a list of entries ``{'anc': name, 'join_type': ...}`` or
    ``{'region': ..., 'region_group': ..., 'join_type': 'entra_join'}`` in the given order (first = primary).

    Raises W365ConfigError naming ``network[i]`` for an entry that is both or neither, or a Microsoft-hosted entry
    with hybrid join (Graph: regionName is only for Microsoft Entra join).
    """
    if entries is None:
        return None
    if not entries:
        raise W365ConfigError('network', 'network needs at least one entry: an Azure network connection by name '
                                         '(anc) or a Microsoft-hosted network (region and/or region_group)')
    out, seen = [], set()
    for i, entry in enumerate(entries):
        where = 'network[%d]' % i
        anc = entry.get('anc')
        region, group = entry.get('region'), entry.get('region_group')
        join_type = entry.get('join_type')
        if anc and (region or group):
            raise W365ConfigError(where, 'give either anc (an Azure network connection) or region / region_group '
                                         '(a Microsoft-hosted network), not both')
        if anc:
            key = ('anc', anc)
            if key in seen:
                raise W365ConfigError(where, 'Azure network connection %r is listed twice' % anc)
            seen.add(key)
            out.append({'anc': anc, 'join_type': join_type})
            continue
        if not (region or group):
            raise W365ConfigError(where, 'needs anc (an Azure network connection by name) or region / region_group '
                                         '(a Microsoft-hosted network)')
        if join_type == 'hybrid_join':
            raise W365ConfigError(where, 'a Microsoft-hosted network only supports join_type=entra_join; hybrid join '
                                         'needs an Azure network connection (anc)')
        if region is not None:
            region = str(region).lower()
            if not _REGION_RE.match(region):
                raise W365ConfigError(where, 'region must be an Azure region name such as westeurope, or automatic')
        if group is not None and group.lower() not in _REGION_GROUPS_BY_LOWER:
            raise W365ConfigError(where, 'region_group must be one of %s' % ', '.join(REGION_GROUPS))
        group = _REGION_GROUPS_BY_LOWER[group.lower()] if group is not None else None
        out.append({'region': region, 'region_group': group, 'join_type': 'entra_join'})
    hosted = [e for e in out if 'region' in e]
    if hosted and len(out) > 1:
        raise W365ConfigError('network', 'a policy uses either Azure network connections (primary and alternates) or '
                                         'one Microsoft-hosted network, not both or several hosted ones')
    return out


def validate_image(image: Any) -> Optional[Dict[str, Any]]:
    if image is None:
        return None
    if image.get('type') == 'gallery' and image.get('version') is not None:
        raise W365ConfigError('image', 'version is for custom images; a gallery image is chosen by name alone')
    if not str(image.get('name') or '').strip():
        raise W365ConfigError('image', 'image.name is required')
    if image.get('version') is not None:
        _images.validate_version(image['version'])
    return image


def validate_assignments(assignments: Any, provisioning_type: str) -> Optional[List[Any]]:
    """Duplicate groups and, for the shared (Frontline) types, the service plan each assignment needs."""
    if assignments is None:
        return None
    seen = set()
    for i, item in enumerate(assignments):
        group = str(item.get('group') or '').strip()
        if not group:
            raise W365ConfigError('assignments[%d]' % i, 'group is required (a display name or an object ID)')
        if group.lower() in seen:
            raise W365ConfigError('assignments[%d]' % i, 'group %r is listed twice' % group)
        seen.add(group.lower())
        if provisioning_type not in (None, 'dedicated') and not item.get('service_plan_id'):
            raise W365ConfigError('assignments[%d]' % i, 'provisioning_type=%s assigns Frontline licences: set '
                                                         'service_plan_id (the Frontline service plan of the '
                                                         'group\'s Cloud PCs)' % provisioning_type)
        if provisioning_type == 'dedicated' and item.get('service_plan_id'):
            raise W365ConfigError('assignments[%d]' % i, 'service_plan_id is only for the shared (Frontline) '
                                                         'provisioning types; Graph takes none for a dedicated '
                                                         'policy: remove it')
        sp = item.get('service_plan_id')
        if sp is not None and not is_guid(sp):
            raise W365ConfigError('assignments[%d]' % i, 'service_plan_id must be a service plan ID (GUID)')
    return assignments


# ---------------------------------------------------------------- resolution (pure, on lists already read)

def _lower(value):
    return str(value).lower() if value is not None else None


def resolve_network(entries: Any, connections: Any) -> Any:
    """Entries from normalize_network + the tenant's connections (Graph objects) -> (domainJoinConfigurations,
    problems). Problems are (option, message) pairs: a missing or duplicated connection, a join type that is not the
    connection's own, a connection whose health checks failed. ``None`` entries -> (None, [])."""
    if entries is None:
        return None, []
    configs, problems = [], []
    for i, entry in enumerate(entries):
        where = 'network[%d]' % i
        if 'anc' not in entry:
            config = {'domainJoinType': JOIN_TYPES['entra_join'], 'onPremisesConnectionId': None,
                      'regionName': entry['region']}
            if entry.get('region_group'):
                config['regionGroup'] = entry['region_group']
            configs.append(config)
            continue
        matches = [c for c in connections if c.get('displayName') == entry['anc']]
        if not matches:
            problems.append((where, 'Azure network connection %r does not exist in this tenant; create it first '
                                    '(w365_anc) or fix the name' % entry['anc']))
            continue
        if len(matches) > 1:
            problems.append((where, '%d Azure network connections are named %r (ids: %s); rename one so the name '
                                    'tells them apart' % (len(matches), entry['anc'],
                                                          ', '.join(str(m.get('id')) for m in matches))))
            continue
        conn = matches[0]
        own = _JOIN_TYPES_BY_GRAPH.get(_lower(conn.get('connectionType')) or '')
        join_type = entry.get('join_type') or own
        if own and join_type != own:
            problems.append((where, 'Azure network connection %r is a %s connection; join_type %s does not match '
                                    'it (omit join_type to use the connection\'s own)' % (entry['anc'], own,
                                                                                          join_type)))
            continue
        if join_type is None:
            problems.append((where, 'Azure network connection %r does not say its join type; set join_type'
                                    % entry['anc']))
            continue
        status = _lower(conn.get('healthCheckStatus')) or ''
        if status == 'failed':
            problems.append((where, 'Azure network connection %r failed its health checks, and Windows 365 does not '
                                    'provision on a failed connection; fix it and rerun its checks (w365_anc '
                                    'run_health_checks=true wait=true), then run this task again' % entry['anc']))
            continue
        configs.append({'domainJoinType': JOIN_TYPES[join_type], 'onPremisesConnectionId': conn['id'],
                        'regionName': None})
    if not problems and len(set(c['domainJoinType'] for c in configs)) > 1:
        problems.append(('network', 'the primary and alternate connections must share one join type; this list mixes '
                                    'Microsoft Entra join and hybrid join connections'))
    return configs, problems


def pending_connections(entries: Any, connections: Any) -> List[str]:
    """Names of listed connections whose health checks have not finished (the service refuses a connection during its
    first checks)."""
    names = []
    for entry in entries or []:
        if 'anc' not in entry:
            continue
        for conn in connections:
            if conn.get('displayName') == entry['anc'] and \
                    (_lower(conn.get('healthCheckStatus')) or '') in ('pending', 'running'):
                names.append(entry['anc'])
    return names


def hosted_region_problems(entries: Any, names: Any, statuses: Any) -> List[Tuple[str, str]]:
    """Microsoft-hosted entries whose region Windows 365 does not offer (Graph beta supportedRegions: ``names`` and
    their regionStatus), as (option, message) pairs. ``automatic`` is always accepted."""
    problems = []
    for i, entry in enumerate(entries or []):
        region = entry.get('region')
        if 'anc' in entry or region in (None, 'automatic'):
            continue
        if region not in names:
            problems.append(('network[%d]' % i, 'Windows 365 does not provision Cloud PCs in region %r (the regions '
                                                'it offers: %s, or automatic)' % (region, ', '.join(sorted(names)))))
        elif statuses.get(region) == 'unavailable':
            problems.append(('network[%d]' % i, 'Windows 365 reports region %r as unavailable; choose another region '
                                                'or automatic' % region))
    return problems


def resolve_custom_image(images: Any, name: str, version: str) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """The custom image (cloudPcDeviceImage) to use -> (image, None) or (None, problem message).

    With a version: exactly that one, which must be ``ready``. Without: the highest ready version of that name.
    """
    found = _images.find_images(images, name=name)
    if not found:
        return None, ('custom image %r does not exist in this tenant; upload it first (w365_custom_image) or fix '
                      'image.name' % name)
    if version is not None:
        match = [i for i in found if _images.version_key(i.get('version')) == _images.version_key(version)]
        if not match:
            return None, ('custom image %r has no version %s (versions: %s)'
                          % (name, version, ', '.join(sorted(str(i.get('version')) for i in found))))
        image = match[0]
        status = _lower(image.get('status'))
        if status != _images.STATUS_READY:
            return None, ('custom image %r version %s is %s, not ready; a provisioning policy can only use a ready '
                          'image (wait for the upload, or fix and retry it)' % (name, version, status))
        return image, None
    ready = [i for i in found if _lower(i.get('status')) == _images.STATUS_READY]
    if not ready:
        return None, ('no version of custom image %r is ready (%s); a provisioning policy can only use a ready image'
                      % (name, ', '.join('%s: %s' % (i.get('version'), i.get('status')) for i in found)))
    return max(ready, key=lambda i: _images.version_key(i.get('version'))), None


def _parse_date(value):
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def gallery_matches(gallery: Any, name: str) -> List[Dict[str, Any]]:
    """Gallery images whose id, displayName or skuName is ``name`` (case-insensitive); an exact id wins."""
    wanted = name.casefold()
    by_id = [g for g in gallery if (g.get('id') or '').casefold() == wanted]
    if by_id:
        return by_id
    return [g for g in gallery
            if (g.get('displayName') or '').casefold() == wanted or (g.get('skuName') or '').casefold() == wanted]


def resolve_gallery_image(gallery: Any, name: str, today: Any,
                          warning_days: Any = DEFAULT_IMAGE_WARNING_DAYS) -> Tuple[Optional[Dict[str, Any]], List[str], Optional[str]]:
    """The gallery image to use -> (image, warnings, problem).

    Graph cloudPcGalleryImage: past ``expirationDate`` no new Cloud PC can be provisioned (refused); past ``endDate``
    (status supportedWithWarning) provisioning still works until the expiry (warned); within ``warning_days`` of either
    date, warned. ``notSupported`` is refused.
    """
    matches = gallery_matches(gallery, name)
    if not matches:
        return None, [], ('no Windows 365 gallery image is named %r; use the displayName, skuName or id of one that '
                          'w365_provisioning_policy_info gallery_images=true lists' % name)
    if len(matches) > 1:
        return None, [], ('%d gallery images match %r (%s); use the id' % (
            len(matches), name, ', '.join(str(m.get('id')) for m in matches)))
    image = matches[0]
    label = '%s (%s)' % (image.get('displayName'), image.get('id'))
    expires, ends = _parse_date(image.get('expirationDate')), _parse_date(image.get('endDate'))
    if (image.get('status') or '').lower() == 'notsupported' or (expires and expires <= today):
        return None, [], ('gallery image %s expired on %s: Windows 365 no longer provisions Cloud PCs from it; pick a '
                          'newer image' % (label, image.get('expirationDate') or 'an earlier date'))
    warnings = []
    horizon = today + datetime.timedelta(days=warning_days)
    if ends and ends <= today:
        dates = (label, image.get('endDate'), image.get('expirationDate'))
        warnings.append('gallery image %s reached its end date %s (supported with warning); it can no longer be used '
                        'after %s: move the policy to a newer image' % dates)
    elif expires and expires <= horizon:
        warnings.append('gallery image %s expires on %s; move the policy to a newer image before then'
                        % (label, image.get('expirationDate')))
    elif ends and ends <= horizon:
        warnings.append('gallery image %s reaches its end date on %s (supported with warning, usable until %s)'
                        % (label, image.get('endDate'), image.get('expirationDate')))
    return image, warnings, None


def match_groups(group_spec: Any, found: Any) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """``found`` = groups read for one assignment (by ID or by name) -> (group, problem)."""
    if not found:
        return None, ('Entra group %r does not exist (looked up by %s); create it or fix the name'
                      % (group_spec, 'object ID' if is_guid(group_spec) else 'display name'))
    if len(found) > 1:
        return None, ('%d Entra groups are named %r (ids: %s); use the object ID of the one to assign'
                      % (len(found), group_spec, ', '.join(sorted(str(g.get('id')) for g in found))))
    group = found[0]
    unified = 'unified' in [str(t).lower() for t in group.get('groupTypes') or []]
    if group.get('securityEnabled') is False and not unified:
        return None, ('Entra group %r (%s) is neither a security group nor a Microsoft 365 group; Windows 365 assigns '
                      'provisioning policies only to those' % (group_spec, group.get('id')))
    return group, None


# ---------------------------------------------------------------- desired state and diffs

def desired_body(params: Dict[str, Any], network_configs: Any = None, image: Any = None, image_type: Optional[str] = None) -> Dict[str, Any]:
    """Graph fields for the options that are given (omitted options are left alone)."""
    p = params
    body = {'displayName': p['name']}
    if p.get('description') is not None:
        body['description'] = p['description']
    if p.get('provisioning_type') is not None:
        body['provisioningType'] = PROVISIONING_TYPES[p['provisioning_type']]
    if network_configs is not None:
        body['domainJoinConfigurations'] = network_configs
    if image is not None:
        body['imageType'] = image_type
        body['imageId'] = image['id']
        body['imageDisplayName'] = image.get('displayName')
    if p.get('single_sign_on') is not None:
        body['enableSingleSignOn'] = p['single_sign_on']
    if p.get('local_admin') is not None:
        body['localAdminEnabled'] = p['local_admin']
    if p.get('naming_template') is not None:
        body['cloudPcNamingTemplate'] = p['naming_template']
    if p.get('windows_language') is not None:
        body['windowsSetting'] = {'locale': p['windows_language']}
    if p.get('autopatch_group_id') is not None:
        body['autopatch'] = {'autopatchGroupId': p['autopatch_group_id'] or None}
    return body


def create_body(desired: Any) -> Dict[str, Any]:
    """The create body: Graph's create page lists description among the properties to send."""
    body = dict(desired)
    body.setdefault('description', '')
    body.setdefault('provisioningType', 'dedicated')
    return body


def _config_key(config, with_group):
    return (_lower(config.get('domainJoinType')), _lower(config.get('onPremisesConnectionId')),
            _lower(config.get('regionName')), _lower(config.get('regionGroup')) if with_group else None)


def same_network(current: Any, desired: Any) -> bool:
    """Ordered comparison (the first entry is the primary); IDs and region names case-insensitively. A region group
    is compared only where the desired entry names one (the service may fill it in from the region)."""
    current = list(current or [])
    if len(current) != len(desired):
        return False
    for have, want in zip(current, desired):
        with_group = bool(want.get('regionGroup'))
        if _config_key(have, with_group) != _config_key(want, with_group):
            return False
    return True


def patch_body(current: Any, desired: Any) -> Dict[str, Any]:
    """The fields of ``desired`` that differ from ``current`` (the Graph object)."""
    patch = {}
    for key, want in desired.items():
        have = current.get(key)
        if key == 'domainJoinConfigurations':
            if not same_network(have, want):
                patch[key] = want
        elif key in ('imageId', 'imageType'):
            if _lower(have) != _lower(want):
                patch.update({k: desired[k] for k in ('imageType', 'imageId', 'imageDisplayName') if k in desired})
        elif key == 'imageDisplayName':
            continue  # follows the image; the service may word it differently
        elif key == 'windowsSetting':
            if _lower((have or {}).get('locale')) != _lower(want.get('locale')):
                patch[key] = want
        elif key == 'autopatch':
            if _lower((have or {}).get('autopatchGroupId')) != _lower(want.get('autopatchGroupId')):
                patch[key] = want
        elif key == 'description':
            if (have or '') != (want or ''):
                patch[key] = want
        elif key == 'provisioningType':
            continue  # immutable: checked by immutable_conflict
        elif have != want:
            patch[key] = want
    return patch


def immutable_conflict(current: Any, params: Dict[str, Any]) -> Optional[W365ConfigError]:
    """Graph: provisioningType cannot be changed after the create."""
    want = params.get('provisioning_type')
    have = provisioning_type_name(current.get('provisioningType'))
    if want is not None and have is not None and want != have:
        return W365ConfigError('provisioning_type', 'provisioning policy %r is %s; the service does not change the '
                                                    'provisioning type of an existing policy. Create a new policy '
                                                    '(another name) instead' % (current.get('displayName'), have))
    return None


def provisioning_type_name(value: Any) -> Optional[str]:
    if value is None:
        return None
    return _PROVISIONING_TYPES_BY_GRAPH.get(str(value).lower(), value)


def assignment_targets(policy: Any) -> Set[Tuple[str, str]]:
    """The policy's assignments (``$expand=assignments``) as a set of (group ID, service plan ID), lower case."""
    targets = set()
    for item in (policy or {}).get('assignments') or []:
        target = item.get('target') or {}
        if target.get('groupId'):
            targets.add((_lower(target['groupId']), _lower(target.get('servicePlanId'))))
    return targets


def desired_targets(resolved: Any) -> Set[Tuple[str, str]]:
    """[(group ID, service plan ID or None)] from resolved assignments -> the same set form."""
    return set((_lower(gid), _lower(sp)) for gid, sp in resolved)


def assign_body(resolved: Any) -> Dict[str, Any]:
    """The ``assign`` action body for [(group ID, service plan ID or None)] (an empty list removes them all)."""
    assignments = []
    for gid, sp in resolved:
        target = {'@odata.type': GROUP_TARGET_TYPE, 'groupId': gid}
        if sp:
            target['servicePlanId'] = sp
        assignments.append({'target': target})
    return {'assignments': assignments}


def apply_patch(current: Any, patch: Any) -> Dict[str, Any]:
    after = dict(current)
    after.update(patch)
    return after


def with_assignments(policy: Any, resolved: Any) -> Dict[str, Any]:
    """``policy`` with its assignments replaced (check-mode prediction)."""
    after = dict(policy)
    after['assignments'] = [{'id': None, 'target': {'groupId': gid, 'servicePlanId': sp}} for gid, sp in resolved]
    return after


def predicted_created(body: Dict[str, Any]) -> Dict[str, Any]:
    predicted = dict(body)
    predicted['id'] = None
    predicted.setdefault('assignments', [])
    return predicted


def existing_cloud_pc_notes(patch: Any) -> List[Any]:
    """What to tell the user when a change applies only to Cloud PCs provisioned afterwards."""
    changed = [label for key, label in (('domainJoinConfigurations', 'network'), ('imageId', 'image'),
                                        ('enableSingleSignOn', 'single sign-on'),
                                        ('cloudPcNamingTemplate', 'naming template'),
                                        ('windowsSetting', 'Windows language'), ('localAdminEnabled', 'local admin'))
               if key in patch]
    if not changed:
        return []
    return ['changed %s: Windows 365 applies provisioning policy changes only to Cloud PCs provisioned from now on; '
            'existing Cloud PCs keep their settings until they are reprovisioned' % ', '.join(changed)]


# Option value -> Graph beta cloudPcPolicySettingType, and the Graph field whose change each one pushes to existing
# Cloud PCs (beta cloudPcProvisioningPolicy: apply; v1.0 has no such action).
APPLY_SETTINGS = {'region': ('region', 'domainJoinConfigurations'),
                  'single_sign_on': ('singleSignOn', 'enableSingleSignOn')}


def apply_settings(wanted: Any, patch: Any) -> Optional[str]:
    """The beta ``apply`` policySettings value for the settings the user opted into that this run changes, or None."""
    names = [APPLY_SETTINGS[w][0] for w in sorted(set(wanted or [])) if APPLY_SETTINGS[w][1] in patch]
    return ','.join(names) or None


def apply_notes(settings: Any) -> List[Any]:
    if not settings:
        return []
    return ['asked Windows 365 to apply the changed %s to the policy\'s existing Cloud PCs (Graph beta apply); '
            'they are updated in the background' % settings.replace(',', ' and ')]


# ---------------------------------------------------------------- results

def to_result(policy: Any, anc_names: Any = None, group_names: Any = None) -> Optional[Dict[str, Any]]:
    """A Graph cloudPcProvisioningPolicy -> the module's ``policy`` dict. ``anc_names``: connection ID (lower) ->
    display name; ``group_names``: group ID (lower) -> display name."""
    if policy is None:
        return None
    anc_names = anc_names or {}
    group_names = group_names or {}
    network = []
    for config in policy.get('domainJoinConfigurations') or []:
        anc_id = config.get('onPremisesConnectionId')
        network.append({
            'anc': anc_names.get(_lower(anc_id)) if anc_id else None,
            'anc_id': anc_id,
            'join_type': _JOIN_TYPES_BY_GRAPH.get(_lower(config.get('domainJoinType')) or '',
                                                  config.get('domainJoinType')),
            'region': config.get('regionName'),
            'region_group': config.get('regionGroup'),
        })
    assignments = []
    for item in policy.get('assignments') or []:
        target = item.get('target') or {}
        gid = target.get('groupId')
        assignments.append({'group_id': gid, 'group_name': group_names.get(_lower(gid)),
                            'service_plan_id': target.get('servicePlanId')})
    assignments.sort(key=lambda a: (str(a['group_name'] or '').lower(), _lower(a['group_id']) or ''))
    return {
        'id': policy.get('id'),
        'name': policy.get('displayName'),
        'description': policy.get('description'),
        'provisioning_type': provisioning_type_name(policy.get('provisioningType')),
        'image': {'type': policy.get('imageType'), 'id': policy.get('imageId'),
                  'display_name': policy.get('imageDisplayName')},
        'network': network,
        'single_sign_on': policy.get('enableSingleSignOn'),
        'local_admin': policy.get('localAdminEnabled'),
        'naming_template': policy.get('cloudPcNamingTemplate'),
        'windows_language': (policy.get('windowsSetting') or {}).get('locale'),
        'autopatch_group_id': (policy.get('autopatch') or {}).get('autopatchGroupId'),
        'cloud_pc_group_display_name': policy.get('cloudPcGroupDisplayName'),
        'grace_period_in_hours': policy.get('gracePeriodInHours'),
        'assignments': assignments,
    }


DIFF_KEYS = ('name', 'description', 'provisioning_type', 'image', 'network', 'single_sign_on', 'local_admin',
             'naming_template', 'windows_language', 'autopatch_group_id', 'assignments')


def diff_view(result: Dict[str, Any]) -> Dict[str, Any]:
    if not result:
        return {}
    return {k: result.get(k) for k in DIFF_KEYS}


def duplicate_name_message(name: str, matches: Any) -> str:
    return ('%d provisioning policies are named %r (ids: %s); the name no longer tells them apart. Rename or delete '
            'the extra ones in the Intune admin center, then run the task again'
            % (len(matches), name, ', '.join(sorted(str(m.get('id')) for m in matches))))


# ---------------------------------------------------------------- Graph reads

def list_by_name(graph: Any, name: Optional[str] = None) -> List[Dict[str, Any]]:
    """Policies named ``name`` (all when None), with their assignments. Falls back to listing all when the service
    refuses the displayName filter. Every property comes back by default, so no ``$select`` (the expanded
    assignments must not depend on how a server combines ``$select`` with ``$expand``)."""
    params = {'$expand': 'assignments'}
    if name is None:
        return graph.list(POLICIES_PATH, params=params, headers=PREFER_ALL_ENUM_MEMBERS)
    try:
        items = graph.list(POLICIES_PATH, params=dict(params, **{'$filter': _anc.name_filter(name)}),
                           headers=PREFER_ALL_ENUM_MEMBERS)
    except W365ApiError as err:
        if err.status != 400:
            raise
        items = graph.list(POLICIES_PATH, params=params, headers=PREFER_ALL_ENUM_MEMBERS)
    return [i for i in items if i.get('displayName') == name]


def get(graph: Any, policy_id: str) -> Optional[Dict[str, Any]]:
    return graph.get_or_none('%s/%s' % (POLICIES_PATH, policy_id), params={'$expand': 'assignments'},
                             headers=PREFER_ALL_ENUM_MEMBERS)


GROUP_SELECT = 'id,displayName,securityEnabled,mailEnabled,groupTypes'
GROUP_READ_HINT = ('finding groups by name needs permission to read groups (Graph GroupMember.Read.All, Group.Read.All '
                   'or Directory.Read.All, consented for the client you sign in through); grant it, or give the '
                   'groups by object ID')


def find_groups(graph: Any, spec: Any) -> List[Any]:
    """Groups for one assignment: by object ID when ``spec`` is a GUID (and by name when no group has that ID),
    else by exact display name."""
    if is_guid(spec):
        found = graph.get_or_none('%s/%s' % (GROUPS_PATH, spec), params={'$select': GROUP_SELECT})
        if found is not None:
            return [found]
    items = graph.list(GROUPS_PATH, params={'$filter': _anc.name_filter(spec), '$select': GROUP_SELECT})
    return [g for g in items if g.get('displayName') == spec]


def group_name(graph: Any, group_id: str) -> Optional[str]:
    """A group's display name, or None when it cannot be read (deleted, or no permission to read groups)."""
    try:
        found = graph.get_or_none('%s/%s' % (GROUPS_PATH, group_id), params={'$select': 'id,displayName'})
    except W365ApiError as err:
        if err.status in (401, 403):
            return None
        raise
    return (found or {}).get('displayName')


def count_cloud_pcs(graph: Any, policy_id: str) -> Optional[int]:
    """How many Cloud PCs the policy provisioned (Graph cloudPC.provisioningPolicyId); None when not readable."""
    params = {'$select': 'id,provisioningPolicyId'}
    try:
        try:
            items = graph.list(CLOUD_PCS_PATH, params=dict(params, **{
                '$filter': "provisioningPolicyId eq %s" % _anc.odata_string(policy_id)}))
        except W365ApiError as err:
            if err.status != 400:
                raise
            items = graph.list(CLOUD_PCS_PATH, params=params)
    except W365ApiError as err:
        if err.status in (401, 403):
            return None
        raise
    return len([i for i in items if _lower(i.get('provisioningPolicyId')) == _lower(policy_id)])


def today_utc() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()
