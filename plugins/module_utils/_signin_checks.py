# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight of the sign-in itself: decode the access tokens (no signature check: they came straight from Entra
over TLS, and only what they claim matters here) and say, before any write, what the planned operations will be
refused for.

Rules (learn.microsoft.com Graph permission tables for cloudPcOnPremisesConnection and cloudPcDeviceImage;
Windows 365 "Azure network connections" admin roles; Azure mandatory MFA phase 2):

- Cloud PC reads need CloudPC.Read.All or CloudPC.ReadWrite.All (`scp` for a user, `roles` for an app).
- Cloud PC writes need CloudPC.ReadWrite.All; a user also needs the Intune Administrator or Windows 365
  Administrator directory role (`wids`), Global Administrator includes both.
- ANC writes app-only: Microsoft lists "Application: Not supported"; some tenants accept it. `app_only_anc_writes:
  refused` (what the operator knows of the tenant) makes an app-only sign-in a failed check.
- The Windows 365 service principal lookup needs Application.Read.All or a Directory read scope/role.
- ARM create/update/delete (role grants) from a user token needs `mfa` in `amr` (a warning: enforcement depends on
  the tenant's cloud and state, which no API reports).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.w365.cloudpc.plugins.module_utils._preflight import FAILED, PASSED, WARNING, make_check

CLOUD_PC_READ = ('CloudPC.Read.All', 'CloudPC.ReadWrite.All')
CLOUD_PC_WRITE = ('CloudPC.ReadWrite.All',)
DIRECTORY_READ = ('Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All',
                  'Directory.ReadWrite.All', 'Directory.AccessAsUser.All')
CLOUD_PC_ADMIN_ROLES = {
    '3a2c62db-5318-420d-8d74-23affee5d9d5': 'Intune Administrator',
    '11451d60-acb2-45eb-a7d6-43d0f0125c13': 'Windows 365 Administrator',
    '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
}

# operation -> what it needs. `api`: which token; `any_of`: Graph permissions (one suffices);
# `admin_role`: a user needs a Cloud PC admin directory role; `app_only_refusable`: ANC writes.
OPERATIONS: Dict[str, Dict[str, Any]] = {
    'anc_read': {'api': 'graph', 'any_of': CLOUD_PC_READ, 'what': 'read Azure network connections'},
    'anc_write': {'api': 'graph', 'any_of': CLOUD_PC_WRITE, 'admin_role': True, 'app_only_refusable': True,
                  'what': 'create, change or delete Azure network connections and run their health checks'},
    'image_write': {'api': 'graph', 'any_of': CLOUD_PC_WRITE, 'admin_role': True,
                    'what': 'upload and delete custom device images'},
    'principal_lookup': {'api': 'graph', 'any_of': DIRECTORY_READ,
                         'what': 'find the Windows 365 service principal (for the role grants)'},
    'role_grant': {'api': 'arm', 'mfa': True, 'what': 'create and remove Azure role assignments'},
}


def decode_claims(token: Any) -> Dict[str, Any]:
    """The claims of a JWT access token, without checking its signature. {} when it is not a JWT."""
    try:
        part = token.split('.')[1]
        data = base64.urlsafe_b64decode(part + '=' * (-len(part) % 4))
        claims = json.loads(data.decode('utf-8'))
    except (IndexError, ValueError, UnicodeDecodeError, AttributeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def describe(claims: Mapping[str, Any]) -> Dict[str, Any]:
    """What a token says about the sign-in, without the token: kind, client, user, permissions, roles, MFA."""
    user = claims.get('idtyp') == 'user' or ('scp' in claims and 'roles' not in claims)
    return {
        'kind': 'user' if user else 'app',
        'client_id': claims.get('appid') or claims.get('azp'),
        'tenant_id': claims.get('tid'),
        'user': claims.get('upn') or claims.get('preferred_username') or claims.get('unique_name'),
        'object_id': claims.get('oid'),
        'permissions': sorted((claims.get('scp') or '').split()) if user else sorted(claims.get('roles') or []),
        'directory_roles': [CLOUD_PC_ADMIN_ROLES.get(w.lower(), w) for w in claims.get('wids') or []],
        'mfa': 'mfa' in (claims.get('amr') or []),
    }


def _has(perms, wanted):
    low = {p.lower() for p in perms}
    return any(w.lower() in low for w in wanted)


def operation_check(operation: str, info: Mapping[str, Any], app_only_anc_writes: str = 'allowed',
                    client_hint: Optional[str] = None) -> Dict[str, Any]:
    """One preflight check record for `operation` given `describe()` of the token for its API."""
    need = OPERATIONS[operation]
    name = 'sign_in_%s' % operation
    who = ('user %s through client %s' % (info['user'], info['client_id']) if info['kind'] == 'user'
           else 'app %s (app-only)' % info['client_id'])
    data = {'operation': operation, 'principal': info['kind'], 'client_id': info['client_id']}
    if need['api'] == 'arm':
        if info['kind'] == 'user' and need.get('mfa') and not info['mfa']:
            # A warning, not a failure: whether ARM enforces it depends on the tenant's cloud (sovereign clouds are
            # not in scope) and enforcement state, which no API tells; the first ARM write is refused, not half done.
            return make_check(name, WARNING, 'The ARM sign-in of %s did not use multifactor authentication: Azure '
                                             'refuses user sign-ins without MFA that %s, in every public-cloud '
                                             'tenant since mandatory MFA enforcement (2026-07-01).'
                              % (who, need['what']),
                              'Sign in with MFA: auth_method=device_code (one-time interactive sign-in per tenant, '
                              'ansible-playbook w365.cloudpc.signin), or grant the roles with an app-only sign-in '
                              '(client_secret, client_certificate, workload_identity, managed_identity), which Azure '
                              'exempts. Set it in auth_method (rollout inventory: w365_auth.auth_method).', **data)
        return make_check(name, PASSED, 'The ARM sign-in of %s may %s (Azure RBAC decides per scope).'
                          % (who, need['what']), **data)
    perms = info['permissions']
    if not _has(perms, need['any_of']):
        kind = 'delegated' if info['kind'] == 'user' else 'application'
        remedy = ('Grant the %s permission %s to client %s and have an admin consent to it in this tenant'
                  % (kind, ' or '.join(need['any_of']), info['client_id']))
        if client_hint:
            remedy += '; %s' % client_hint
        return make_check(name, FAILED, 'The Graph token of %s has none of %s, needed to %s (it has: %s).'
                          % (who, ', '.join(need['any_of']), need['what'], ', '.join(perms) or 'nothing'),
                          remedy + '. See docs/auth.md for the permissions per module.', **data)
    if info['kind'] == 'user' and need.get('admin_role') and not set(info['directory_roles']) & set(
            CLOUD_PC_ADMIN_ROLES.values()):
        return make_check(name, FAILED, 'User %s has none of the directory roles %s, which Windows 365 requires to '
                                        '%s.' % (info['user'], ', '.join(CLOUD_PC_ADMIN_ROLES.values()), need['what']),
                          'Assign the user the Intune Administrator or Windows 365 Administrator role (Entra admin '
                          'center > Roles and administrators), or sign in as a user who has it.', **data)
    if info['kind'] == 'app' and need.get('app_only_refusable'):
        if app_only_anc_writes == 'refused':
            return make_check(name, FAILED, 'This tenant refuses app-only sign-ins to %s (app_only_anc_writes='
                                            'refused); %s would get HTTP 403.' % (need['what'], who),
                              'Sign in as a user for ANC writes: auth_method=device_code or username_password with '
                              'a public-client client_id holding delegated CloudPC.ReadWrite.All (see docs/auth.md).',
                              **data)
        return make_check(name, WARNING, 'App-only sign-in for ANC writes: Microsoft documents them as delegated '
                                         'only, though many tenants accept application CloudPC.ReadWrite.All.',
                          'If the ANC write gets HTTP 403, set app_only_anc_writes=refused for this tenant and sign '
                          'in as a user for ANC writes (see docs/auth.md).', **data)
    return make_check(name, PASSED, 'The Graph token of %s carries %s, enough to %s.'
                      % (who, ', '.join(p for p in perms if p in need['any_of'] or p.lower() in
                                        {a.lower() for a in need['any_of']}), need['what']), **data)


def signin_checks(tokens: Mapping[str, Optional[str]], operations: Iterable[str],
                  app_only_anc_writes: str = 'allowed',
                  client_hint: Optional[str] = None) -> Tuple[List[Dict[str, Any]], Dict[str, Dict[str, Any]]]:
    """Check records for every planned operation. `tokens`: {'graph': jwt, 'arm': jwt} (either may be missing)."""
    checks = []
    infos = {api: describe(decode_claims(token)) for api, token in tokens.items() if token}
    for operation in operations:
        api = OPERATIONS[operation]['api']
        if api in infos:
            checks.append(operation_check(operation, infos[api], app_only_anc_writes, client_hint))
    return checks, infos


def run_signin_checks(module: Any, operations: Iterable[str]) -> Tuple[List[Dict[str, Any]], bool]:
    """Sign in once per audience the operations need, decode the tokens, return (checks, sign_in_failed).

    A failed sign-in is one failed `sign_in` check carrying the remedy for its AADSTS code; nothing else is tried.
    """
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365AuthError, W365ConfigError
    apis = []
    for op in operations:
        if OPERATIONS[op]['api'] not in apis:
            apis.append(OPERATIONS[op]['api'])
    scopes = {'graph': module.endpoints.graph_scope, 'arm': module.endpoints.arm_scope}
    tokens = {}
    for api in apis:
        try:
            credential = getattr(module, 'arm_credential', module.credential) if api == 'arm' else module.credential
            tokens[api] = credential.get_token(scopes[api]).token
        except (W365AuthError, W365ConfigError) as err:
            info = err.to_dict()
            remedy = getattr(err, 'remedy', None) or (
                'Fix the sign-in options (%s) and run again.' % getattr(err, 'option', 'auth_method'))
            return [make_check('sign_in', FAILED, 'Signing in to %s failed: %s' % (
                'Microsoft Graph' if api == 'graph' else 'Azure Resource Manager', err), remedy, error=info,
                api=api)], True
    checks, infos = signin_checks(tokens, operations, module.params.get('app_only_anc_writes') or 'allowed',
                                  client_hint=_client_hint(module))
    # What the tokens say (never the tokens themselves).
    checks.insert(0, make_check('sign_in', PASSED, 'Signed in with auth_method=%s as %s.' % (
        module.auth_method, ', '.join('%s: %s %s' % (api, i['kind'], i['user'] or i['client_id'])
                                      for api, i in infos.items())), None, claims=infos))
    return checks, False


def _client_hint(module):
    """A hint when the sign-in went through a first-party client whose Graph scopes are fixed."""
    inputs = getattr(getattr(module, '_auth', None), 'inputs', {}) or {}
    client = (inputs.get('client_id') or '').lower()
    if module.auth_method == 'azure_cli' or client in ('04b07795-8ddb-461a-bbee-02f9e1bf7b46',
                                                       '1950a258-227b-4e31-a9cf-717495945fc2'):
        return ('the Azure CLI and Azure PowerShell clients can never carry Cloud PC scopes: use your own public-client '
                'app registration in client_id, or leave client_id unset with username_password/device_code to sign '
                'in to Graph through Microsoft Graph Command Line Tools')
    return None


def explain_refusal(module: Any, operation: str) -> Optional[str]:
    """After a 403 from Graph: what the sign-in's own token says is missing for `operation`, with the remedy.

    Uses the token the task already holds (no new sign-in). '' when the token shows nothing missing.
    """
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365Error
    scope = module.endpoints.graph_scope if OPERATIONS[operation]['api'] == 'graph' else module.endpoints.arm_scope
    credential = module.credential
    if OPERATIONS[operation]['api'] == 'arm':
        credential = getattr(module, 'arm_credential', credential)
    try:
        token = credential.get_token(scope).token
    except W365Error:
        return ''
    checks, dummy = signin_checks({OPERATIONS[operation]['api']: token}, [operation],
                                  module.params.get('app_only_anc_writes') or 'allowed', _client_hint(module))
    failed = [c for c in checks if c['status'] == FAILED]
    if not failed:
        return ''
    return '%s Remedy: %s' % (failed[0]['detail'], failed[0]['remedy'])
