# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure role assignments the Windows 365 service principal needs, and how to read and change them.

A *grant* is a (role definition GUID, exact scope, principal object ID) triple. A grant "for" a purpose means
exactly the assignments whose triple is one of the required triples for that purpose and its scopes: never an
assignment inherited from a parent scope, never another role, never another principal.

Every assignment this collection creates carries GRANT_MARKER at the start of its ``description`` (ARM keeps a
role assignment's description). Removal deletes only marked assignments: one that existed before (made by hand,
by the Intune portal, by Windows 365 itself, or by a version of this collection older than the marker) is kept
and reported, unless the user names that exact assignment (``remove_assignment_ids``).
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections import namedtuple
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    API_ROLE_ASSIGNMENTS,
    ROLE_NAMES,
    ROLE_NETWORK_CONTRIBUTOR,
    ROLE_READER,
    ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR,
    ROLE_W365_NETWORK_USER,
    ROLES_THAT_CAN_GRANT,
    WINDOWS365_APP_ID,
)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError,
    W365ConfigError,
    W365Error,
)
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import (
    NETWORK_OPTIONS,
    NetworkTarget,
    is_guid,
    resolve_network,
    resolve_network_target,
    subscription_scope,
)
from ansible_collections.w365.cloudpc.plugins.module_utils._module import subscription_id_option
from ansible_collections.w365.cloudpc.plugins.module_utils._retry import backoff

PURPOSES = ('network_connection', 'custom_image')

# One required (or legacy) assignment: role definition GUID (lower case) and the exact scope it belongs at.
RequiredGrant = namedtuple('RequiredGrant', ['role', 'scope'])

# granted: entries for required grants that exist; missing: entries for required grants that do not;
# legacy: existing pre-2023 Network Contributor assignments on the same resource group and virtual network.
GrantReport = namedtuple('GrantReport', ['granted', 'missing', 'legacy'])

# The grants after ensure_present / ensure_absent: entries of the required grants and of the legacy ones.
GrantState = namedtuple('GrantState', ['grants', 'legacy'])

DEFAULT_PRINCIPAL_REPLICATION_TIMEOUT = 300

# The stable start of the description of every role assignment the collection creates. Never change it: removal
# recognises the collection's own assignments by it, including those made by earlier releases with the marker.
GRANT_MARKER = 'Created by w365.cloudpc'

_PURPOSE_LABELS = {'network_connection': 'an Azure network connection', 'custom_image': 'custom device images'}

# Why an assignment that state=absent would otherwise delete stays in place (the `kept_reason` of an entry).
KEPT_NOT_OURS = ('not created by w365.cloudpc (its description does not start with "%s"): it existed before or was '
                 'made by someone else, so it is never removed automatically; name its assignment ID in '
                 'remove_assignment_ids to remove it anyway' % GRANT_MARKER)
KEPT_SHARED_READER = ('Reader on the subscription is shared by every network connection and custom image of the '
                      'subscription: kept because keep_subscription_reader is true')

_SUBSCRIPTION = re.compile(r'^/subscriptions/([^/]+)', re.IGNORECASE)

SP_CREATE_HINT = (
    'Create it once per tenant, as a Global Administrator or Application Administrator, with '
    '`az ad sp create --id %s` or `New-MgServicePrincipal -AppId %s`, then run again (a new service principal '
    'may take a few minutes to replicate).' % (WINDOWS365_APP_ID, WINDOWS365_APP_ID)
)


class ServicePrincipalMissing(W365Error):
    """The tenant has no Windows 365 service principal yet."""


class GrantError(W365Error):
    """A role-assignment call failed; `msg` explains what to do, `api_error` keeps the service's own error."""

    def __init__(self, msg: str, api_error: W365ApiError) -> None:
        self.msg = msg
        self.api_error = api_error
        super().__init__('%s: %s' % (msg, api_error))

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.api_error.to_dict(), explanation=self.msg)


# ---------------------------------------------------------------------------------------------------------------
# Pure logic
# ---------------------------------------------------------------------------------------------------------------
def validate_principal_id(value: Optional[str], option: str = 'principal_id') -> str:
    """The object ID goes into an OData filter, so anything but a GUID is refused before any call."""
    if not is_guid(value):
        raise W365ConfigError(option, 'must be the object ID (a GUID) of the service principal, got %r; leave it '
                                      'out to look up the Windows 365 service principal by its app ID' % (value,))
    return str(value).lower()


def norm_scope(scope: Optional[str]) -> str:
    return (scope or '').strip().rstrip('/').lower()


def role_guid(role_definition_id: Optional[str]) -> str:
    """The GUID at the end of a role definition ID (any scope prefix), lower case."""
    return (role_definition_id or '').strip().rstrip('/').rsplit('/', 1)[-1].lower()


def role_name(guid: str) -> str:
    return ROLE_NAMES.get(guid.lower(), guid)


def scope_subscription(scope: str) -> Optional[str]:
    match = _SUBSCRIPTION.match(scope or '')
    if not match:
        raise W365ConfigError('subscription_id', 'cannot tell the subscription of scope %r' % (scope,))
    return match.group(1)


def role_definition_id(subscription_id: Optional[str], guid: str) -> str:
    """The subscription-level form Azure itself returns in role assignments."""
    return '/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s' % (subscription_id, guid)


def _subscription_scope(target):
    sub = getattr(target, 'subscription_id', None)
    if not sub:
        raise W365ConfigError('subscription_id', 'is required: the subscription that gets the Reader role')
    sub = str(sub).strip().rstrip('/')
    if sub.lower().startswith('/subscriptions/'):
        return sub
    return subscription_scope(sub)


def required_grants(purpose: Optional[str], target: NetworkTarget) -> List[RequiredGrant]:
    """[(role GUID, scope)] Windows 365 needs for `purpose` on `target` (a `_ids.NetworkTarget` or alike)."""
    if purpose not in PURPOSES:
        raise W365ConfigError('purpose', 'must be one of %s, got %r' % (', '.join(PURPOSES), purpose))
    subscription = _subscription_scope(target)
    grants = [RequiredGrant(ROLE_READER, subscription)]
    if purpose == 'network_connection':
        grants.append(RequiredGrant(ROLE_W365_NETWORK_INTERFACE_CONTRIBUTOR,
                                    _need(target, 'resource_group_id', 'resource_group')))
        grants.append(RequiredGrant(ROLE_W365_NETWORK_USER, _need(target, 'virtual_network_id', 'virtual_network')))
    return grants


def legacy_grants(purpose: str, target: NetworkTarget) -> List[RequiredGrant]:
    """The Network Contributor assignments ANCs used before November 2023, on the same RG and virtual network."""
    if purpose != 'network_connection':
        return []
    return [RequiredGrant(ROLE_NETWORK_CONTRIBUTOR, _need(target, 'resource_group_id', 'resource_group')),
            RequiredGrant(ROLE_NETWORK_CONTRIBUTOR, _need(target, 'virtual_network_id', 'virtual_network'))]


def _need(target, attr, option):
    value = getattr(target, attr, None)
    if not value:
        raise W365ConfigError(option, 'is required when purpose=network_connection')
    return value


def grant_description(purpose: Optional[str] = None) -> str:
    """The description the collection gives a role assignment it creates: the marker, then what it is for."""
    if purpose is None:
        return '%s for Windows 365' % GRANT_MARKER
    return '%s for Windows 365 (%s)' % (GRANT_MARKER, _PURPOSE_LABELS.get(purpose, purpose))


def is_marked(description: Optional[str]) -> bool:
    """True when a role assignment's description says the collection created it."""
    return isinstance(description, str) and description.strip().startswith(GRANT_MARKER)


def assignment_to_dict(assignment: Any) -> Dict[str, Any]:
    """Plain dict from an azure-mgmt-authorization RoleAssignment (or a dict already in that shape)."""
    get = assignment.get if isinstance(assignment, dict) else (lambda key: getattr(assignment, key, None))
    return {
        'id': get('id'),
        'name': get('name'),
        'scope': get('scope'),
        'role_definition_id': get('role_definition_id'),
        'principal_id': get('principal_id'),
        'principal_type': get('principal_type'),
        'description': get('description'),
    }


def matching(assignments: Iterable[Dict[str, Any]], grant: RequiredGrant, principal_id: str) -> List[Dict[str, Any]]:
    """Assignments whose own scope, role GUID and principal equal the grant's, case-insensitively."""
    scope = norm_scope(grant.scope)
    principal = (principal_id or '').lower()
    return [a for a in assignments
            if norm_scope(a.get('scope')) == scope
            and role_guid(a.get('role_definition_id')) == grant.role.lower()
            and (a.get('principal_id') or '').lower() == principal]


def grant_entry(grant: RequiredGrant, assignment: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The user-facing description of one grant (present when `assignment` is given)."""
    if assignment is not None:
        definition = assignment.get('role_definition_id')
    else:
        definition = role_definition_id(scope_subscription(grant.scope), grant.role)
    return {
        'role_name': role_name(grant.role),
        'role_definition_id': definition,
        'scope': assignment.get('scope') if assignment is not None else grant.scope,
        'assignment_id': assignment.get('id') if assignment is not None else None,
        'description': assignment.get('description') if assignment is not None else None,
        'created_by_collection': is_marked(assignment.get('description')) if assignment is not None else False,
    }


def classify(principal_id: str, required: List[RequiredGrant], legacy: List[RequiredGrant],
             assignments_by_scope: Mapping[str, List[Dict[str, Any]]]) -> GrantReport:
    """GrantReport from the assignments read per scope (dict: normalised scope -> list of assignment dicts)."""
    granted: List[Dict[str, Any]] = []
    missing: List[Dict[str, Any]] = []
    found_legacy: List[Dict[str, Any]] = []
    for grant in required:
        found = matching(assignments_by_scope.get(norm_scope(grant.scope), []), grant, principal_id)
        if found:
            granted.extend(grant_entry(grant, a) for a in found)
        else:
            missing.append(grant_entry(grant))
    for grant in legacy:
        found = matching(assignments_by_scope.get(norm_scope(grant.scope), []), grant, principal_id)
        found_legacy.extend(grant_entry(grant, a) for a in found)
    return GrantReport(granted, missing, found_legacy)


def unique_scopes(*grant_lists: Iterable[RequiredGrant]) -> List[str]:
    seen, scopes = set(), []
    for grants in grant_lists:
        for grant in grants:
            key = norm_scope(grant.scope)
            if key not in seen:
                seen.add(key)
                scopes.append(grant.scope)
    return scopes


def grant_label(entry: Mapping[str, Any]) -> str:
    return '%s on %s' % (entry['role_name'], entry['scope'])


def explain_forbidden(action: str, scope: str, roles: Iterable[str]) -> str:
    can_grant = ', '.join(sorted(ROLES_THAT_CAN_GRANT.values()))
    return ('Not allowed to %s role assignments (%s) at scope %s. Only a caller holding %s at that scope or above '
            'may do it: ask such an administrator to run this task, or have them give you one of those roles'
            % (action, ', '.join(roles), scope, can_grant))


def backoff_delays(timeout: float, first: float = 1.0, cap: float = 30.0,
                   jitter: Optional[Callable[[], float]] = None) -> List[float]:
    """Sleep lengths (seconds) for retrying, doubling from `first` up to `cap`, summing to at most `timeout`."""
    jitter = jitter if jitter is not None else random.random
    delays: List[float] = []
    total = 0.0
    while total < timeout:
        step = min(backoff(float(first), len(delays) + 1, cap) * (0.8 + 0.4 * jitter()), cap, timeout - total)
        if step <= 0:
            break
        delays.append(step)
        total += step
    return delays


# ---------------------------------------------------------------------------------------------------------------
# Azure calls (azure-mgmt-authorization through W365Module.authorization_client)
# ---------------------------------------------------------------------------------------------------------------
# The api-version azure-mgmt-authorization 4.0 uses for role assignments (creates and deletes still go through it).
ROLE_ASSIGNMENTS_API_VERSION = API_ROLE_ASSIGNMENTS


def _arm_call(fn, *args, **kwargs):
    from ansible_collections.w365.cloudpc.plugins.module_utils._arm import arm_call
    return arm_call(fn, *args, **kwargs)


def list_assignments(module: Any, principal_id: str, scope: str) -> List[Dict[str, Any]]:
    """Assignments of this principal visible at `scope` (atScope() also returns inherited ones), as dicts."""
    query = "atScope() and assignedTo('%s')" % validate_principal_id(principal_id)

    def read():
        # Plain REST, not azure-mgmt-authorization: a converged task then loads no azure.mgmt package at all.
        items = module.arm.list('%s/providers/Microsoft.Authorization/roleAssignments' % scope.rstrip('/'),
                                ROLE_ASSIGNMENTS_API_VERSION, params={'$filter': query})
        assignments = []
        for item in items:
            props = item.get('properties') or {}
            assignments.append(assignment_to_dict({
                'id': item.get('id'), 'name': item.get('name'), 'scope': props.get('scope'),
                'role_definition_id': props.get('roleDefinitionId'), 'principal_id': props.get('principalId'),
                'principal_type': props.get('principalType'), 'description': props.get('description')}))
        return assignments

    try:
        return _arm_call(read)
    except W365ApiError as err:
        if err.status == 403:
            raise GrantError('Not allowed to read role assignments at scope %s: the caller needs at least Reader '
                             'there' % scope, err)
        raise


def read_assignments(module: Any, principal_id: str, scopes: Iterable[str]) -> Dict[str, List[Dict[str, Any]]]:
    return dict((norm_scope(scope), list_assignments(module, principal_id, scope)) for scope in scopes)


def check_grants(module: Any, principal_id: str, purpose: str, target: NetworkTarget) -> GrantReport:
    """What of the required (and legacy) grants exists for `principal_id`: GrantReport(granted, missing, legacy).

    Reads one assignment list per scope, server-side filtered to the principal; never writes.
    """
    principal_id = validate_principal_id(principal_id)
    required = required_grants(purpose, target)
    legacy = legacy_grants(purpose, target)
    by_scope = read_assignments(module, principal_id, unique_scopes(required, legacy))
    return classify(principal_id, required, legacy, by_scope)


def create_assignment(module: Any, principal_id: str, grant: RequiredGrant,
                      replication_timeout: float = DEFAULT_PRINCIPAL_REPLICATION_TIMEOUT,
                      sleep: Callable[[float], Any] = time.sleep,
                      description: Optional[str] = None) -> Tuple[bool, Dict[str, Any]]:
    """Create one assignment, marked with `description` (GRANT_MARKER first); returns (created, assignment dict).

    409 RoleAssignmentExists (another run got there first) counts as present: the scope is re-read and must then
    hold exactly one matching assignment. 400 PrincipalNotFound (a new service principal not yet replicated to
    Azure RBAC) is retried with backoff for at most `replication_timeout` seconds.
    """
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    subscription = scope_subscription(grant.scope)
    client = module.authorization_client(subscription)
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id(subscription, grant.role),
        principal_id=principal_id,
        # Stated explicitly so Azure does not look the principal up in Entra first: Microsoft's documented way to
        # assign a role to a service principal created a moment ago (role-assignments-rest, "New service principal").
        principal_type='ServicePrincipal',
        # The collection's mark: removal deletes only assignments whose description starts with GRANT_MARKER.
        description=description or grant_description(),
    )
    delays = iter(backoff_delays(replication_timeout))
    # One name for every attempt: when a PUT's answer is lost and the PUT is sent again (it is idempotent), Azure
    # answers 409 RoleAssignmentExists for the assignment this run made, which the name then tells apart from one
    # that another run or a person made.
    name = str(uuid.uuid4())
    while True:
        try:
            created = _arm_call(client.role_assignments.create, grant.scope, name, parameters)
            return True, assignment_to_dict(created)
        except W365ApiError as err:
            code = (err.code or '').lower()
            if err.status == 409 and code == 'roleassignmentexists':
                existing = _the_one_existing(module, principal_id, grant, err)
                ours = (existing.get('name') or (existing.get('id') or '').rstrip('/').rsplit('/', 1)[-1]).lower() == name
                return ours, existing
            if err.status == 400 and code == 'principalnotfound':
                delay = next(delays, None)
                if delay is None:
                    raise GrantError(
                        'Azure still does not know principal %s after waiting %s s (principal_replication_timeout);'
                        ' a new service principal can take several minutes to replicate: run again later or '
                        'raise principal_replication_timeout' % (principal_id, replication_timeout), err)
                sleep(delay)
                continue
            if err.status == 403:
                raise GrantError(explain_forbidden('create', grant.scope, [role_name(grant.role)]), err)
            raise


def _the_one_existing(module, principal_id, grant, conflict):
    found = matching(list_assignments(module, principal_id, grant.scope), grant, principal_id)
    if len(found) != 1:
        raise GrantError('Azure answered RoleAssignmentExists for %s on %s, but a re-read found %d such '
                         'assignments instead of one' % (role_name(grant.role), grant.scope, len(found)), conflict)
    return found[0]


def delete_assignment(module: Any, entry: Mapping[str, Any]) -> None:
    """Delete one assignment by its ID; an assignment already gone counts as deleted."""
    client = module.authorization_client(scope_subscription(entry['scope']))
    try:
        _arm_call(client.role_assignments.delete, entry['scope'], entry['assignment_id'].rstrip('/').rsplit('/', 1)[-1])
    except W365ApiError as err:
        if err.status == 404:
            return
        if err.status == 403:
            raise GrantError(explain_forbidden('delete', entry['scope'], [entry['role_name']]), err)
        raise


# ---------------------------------------------------------------------------------------------------------------
# Desired state (used by w365_role_grant; w365_role_grant_info only calls check_grants)
# ---------------------------------------------------------------------------------------------------------------
# The options that say whose grants for what, shared by w365_role_grant and w365_role_grant_info.
GRANT_TARGET_REQUIRED_IF = [('purpose', 'network_connection', ('virtual_network',))]


def grant_target_argument_spec() -> Dict[str, Any]:
    """Argument spec of the options that name the principal, the purpose and its scopes (read by resolve_target)."""
    return dict(
        purpose=dict(type='str', required=True, choices=list(PURPOSES)),
        subscription_id=subscription_id_option(),
        resource_group=dict(type='str'),
        virtual_network_resource_group=dict(type='str'),
        virtual_network=dict(type='str'),
        principal_id=dict(type='str'),
    )


def resolve_target(params: Mapping[str, Any]) -> NetworkTarget:
    """NetworkTarget from the module options, read by the one resolver ``_ids.resolve_network_target``.

    A virtual network given as a full ID with no ``resource_group`` means the interfaces go to the virtual
    network's own resource group.
    """
    purpose = params.get('purpose')
    network_options = ('resource_group', 'virtual_network_resource_group', 'virtual_network')
    if purpose != 'network_connection':
        for option in network_options:
            if params.get(option):
                raise W365ConfigError(option, 'is only used with purpose=network_connection; %s needs Reader on '
                                              'the subscription alone, so leave it out' % purpose)
        target = resolve_network(subscription_id=params.get('subscription_id'))
        required_grants(purpose, target)
        return target

    network = {option: params.get(option) for option in NETWORK_OPTIONS if option != 'subnet'}
    target = resolve_network_target(network, nic_group_from_network=True)
    required_grants(purpose, target)  # fails now, naming the option, when a scope is missing
    return target


def resolve_principal(module: Any, principal_id: Optional[str] = None) -> str:
    """The given object ID (validated), or the Windows 365 service principal's object ID looked up by app ID."""
    if principal_id:
        return validate_principal_id(principal_id)
    from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import find_windows365_principal
    try:
        object_id = find_windows365_principal(module.directory_graph)
    except W365ApiError as err:
        if err.status != 403:
            raise
        raise GrantError('Cannot look up the Windows 365 service principal (app ID %s) in Microsoft Graph: the caller '
                         'needs Application.Read.All or Directory.Read.All there. Grant that, or give principal_id '
                         '(the object ID, from `az ad sp show --id %s --query id`)'
                         % (WINDOWS365_APP_ID, WINDOWS365_APP_ID), err)
    if not object_id:
        raise ServicePrincipalMissing(
            'The tenant has no Windows 365 service principal (app ID %s), so there is nothing to grant roles to. %s'
            % (WINDOWS365_APP_ID, SP_CREATE_HINT))
    return validate_principal_id(object_id)


def grant_key(entry: Mapping[str, Any]) -> Tuple[str, str]:
    return role_guid(entry['role_definition_id']), norm_scope(entry['scope'])


def assignment_name(value: Optional[str]) -> Optional[str]:
    """The GUID name of a role assignment, from its full ID or the bare GUID (lower case); None if neither."""
    name = (value or '').strip().rstrip('/').rsplit('/', 1)[-1].lower()
    return name if is_guid(name) else None


def validate_assignment_ids(values: Optional[Iterable[str]], option: str = 'remove_assignment_ids') -> List[str]:
    """The role assignment names (GUIDs) the user asked to remove by ID, checked before any call."""
    names = []
    for value in values or []:
        name = assignment_name(value)
        if name is None:
            raise W365ConfigError(option, 'each entry must be a role assignment ID (as `az role assignment list` '
                                          'prints it) or its GUID name; got an entry that is neither')
        names.append(name)
    return names


def _existing_by_grant(report):
    existing = {}
    for entry in report.granted:
        existing.setdefault(grant_key(entry), []).append(entry)
    return existing


def _settle_legacy(module, report, remove_legacy, check_mode):
    """Legacy Network Contributor entries after this run. They were made by Windows 365 or by hand before 2023,
    never by this collection: removed only when the user asks for exactly that (remove_legacy_grants)."""
    legacy = []
    for entry in report.legacy:
        if not remove_legacy:
            legacy.append(dict(entry, present=True, changed=False, kept_reason=None))
            continue
        if not check_mode:
            delete_assignment(module, entry)
        legacy.append(dict(entry, present=False, changed=True, kept_reason=None))
    return legacy


def _outcome(grants, legacy):
    return any(entry['changed'] for entry in grants + legacy), GrantState(grants, legacy)


def ensure_present(module: Any, principal_id: str, purpose: str, target: NetworkTarget, report: GrantReport,
                   remove_legacy: bool = False, replication_timeout: float = DEFAULT_PRINCIPAL_REPLICATION_TIMEOUT,
                   check_mode: bool = False) -> Tuple[bool, GrantState]:
    """Create the required grants `report` (from check_grants) lacks: (changed, GrantState(grants, legacy)).

    Every entry carries `present` (after this run), `changed` (this run created or deleted it, or would in
    check mode), `created_by_collection` and `kept_reason`. New grants are created (with the collection's marker)
    before legacy ones are removed, so the service never lacks access.
    """
    existing = _existing_by_grant(report)
    grants: List[Dict[str, Any]] = []
    for grant in required_grants(purpose, target):
        found = existing.get((grant.role, norm_scope(grant.scope)), [])
        if found:
            grants.extend(dict(entry, present=True, changed=False, kept_reason=None) for entry in found)
        elif check_mode:
            grants.append(dict(grant_entry(grant), present=True, changed=True, kept_reason=None,
                               description=grant_description(purpose), created_by_collection=True))
        else:
            created, assignment = create_assignment(module, principal_id, grant, replication_timeout,
                                                    description=grant_description(purpose))
            # created=False: a concurrent run created it between our read and our write.
            grants.append(dict(grant_entry(grant, assignment), present=True, changed=created, kept_reason=None))
    return _outcome(grants, _settle_legacy(module, report, remove_legacy, check_mode))


def ensure_absent(module: Any, principal_id: str, purpose: str, target: NetworkTarget, report: GrantReport,
                  remove_legacy: bool = False, check_mode: bool = False, keep_roles: Iterable[str] = (),
                  remove_ids: Iterable[str] = ()) -> Tuple[bool, GrantState]:
    """Delete the collection's grants that `report` (from check_grants) found: (changed, GrantState(grants, legacy)).

    Only assignments carrying the collection's marker are deleted; an unmarked one is kept (kept_reason says why)
    unless its name is in `remove_ids`. Grants of a role in `keep_roles` are kept too, unless named in
    `remove_ids`. A name in `remove_ids` that is not one of these grants fails before any delete.
    """
    remove_ids = set(remove_ids or ())
    unknown = sorted(remove_ids - set(assignment_name(e['assignment_id']) for e in report.granted))
    if unknown:
        raise W365ConfigError('remove_assignment_ids', 'only role assignments this task manages can be named: %s '
                                                       'is not a %s grant of principal %s at these scopes'
                              % (', '.join(unknown), purpose, principal_id))
    existing = _existing_by_grant(report)
    grants: List[Dict[str, Any]] = []
    for grant in required_grants(purpose, target):
        found = existing.get((grant.role, norm_scope(grant.scope)), [])
        if not found:
            grants.append(dict(grant_entry(grant), present=False, changed=False, kept_reason=None))
        for entry in found:
            named = assignment_name(entry['assignment_id']) in remove_ids
            reason = None
            if not named and grant.role in keep_roles:
                reason = KEPT_SHARED_READER
            elif not named and not entry['created_by_collection']:
                reason = KEPT_NOT_OURS
            if reason:
                grants.append(dict(entry, present=True, changed=False, kept_reason=reason))
                continue
            if not check_mode:
                delete_assignment(module, entry)
            grants.append(dict(entry, present=False, changed=True, kept_reason=None))
    return _outcome(grants, _settle_legacy(module, report, remove_legacy, check_mode))


def diff_view(granted: Iterable[Mapping[str, Any]], legacy: Iterable[Mapping[str, Any]]) -> Dict[str, List[str]]:
    """Before/after text for --diff: one line per assignment, no IDs that change between runs."""
    return {'grants': sorted(grant_label(e) for e in granted),
            'legacy_grants': sorted(grant_label(e) for e in legacy)}
