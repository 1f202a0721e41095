# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows 365 Government GCC setup: the Windows 365 service principal in the Azure Government tenant, and the
tenant mapping (Graph beta `crossCloudGovernmentOrganizationMapping`). See docs/government-clouds.md.

Microsoft's sources: learn.microsoft.com/windows-365/enterprise/set-up-tenants-windows-365-gcc;
learn.microsoft.com/graph/api/resources/cloudpccrosscloudgovernmentorganizationmapping (GET/POST, beta, delegated
only, header X-MS-CloudPC-USGovCloudTenantAADToken with the Azure Government tenant's token, 1:1 mapping, no
update or delete); microsoft/Windows365-PSScripts "Windows 365 GCC/TenantMapping.ps1" (the Government token's scope
is the Windows 365 app, `0af06dc6-e4b5-4f28-818e-e78e62d137a5/.default`; GET answers 204 when there is no mapping).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import base64
import json

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import (
    GRAPH_GOV_MAPPING_PATH, GRAPH_SERVICE_PRINCIPALS_PATH, WINDOWS365_APP_ID)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365ConfigError, W365Error

MAPPING_PATH = GRAPH_GOV_MAPPING_PATH
GOV_TOKEN_HEADER = 'X-MS-CloudPC-USGovCloudTenantAADToken'
GOV_TOKEN_SCOPE = WINDOWS365_APP_ID + '/.default'


class GovSetupError(W365Error):
    """A GCC setup call failed or found what it must not change; `api_error` keeps the service's own error."""

    def __init__(self, msg: str, api_error: Any = None) -> None:
        self.msg = msg
        self.api_error = api_error
        super().__init__('%s: %s' % (msg, api_error) if api_error is not None else msg)

    def to_dict(self) -> Dict[str, Any]:
        if self.api_error is None:
            return {'type': 'GovSetupError', 'message': self.msg}
        return dict(self.api_error.to_dict(), explanation=self.msg)


def require_gcc(module: Any, what: str) -> None:
    if module.endpoints.cloud != 'gcc':
        raise W365ConfigError('cloud', '%s is the Windows 365 Government GCC setup and needs cloud=gcc (with gov_auth '
                                       'for the Azure Government tenant); got cloud=%s' % (what, module.endpoints.cloud))


def token_tenant(token: str) -> Optional[str]:
    """The `tid` claim of an access token (read, not verified: only to name the tenant the token is for)."""
    try:
        payload = token.split('.')[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return None
    if not isinstance(claims, dict):
        return None
    return str(claims.get('tid') or '').lower() or None


def gov_token(module: Any) -> Tuple[Dict[str, str], Optional[str]]:
    """(header dict, Azure Government tenant GUID) from the gov_auth sign-in; the token is never returned."""
    token = module.gov_credential.get_token(GOV_TOKEN_SCOPE).token
    return {GOV_TOKEN_HEADER: 'Bearer %s' % token}, token_tenant(token)


def mapping_result(body: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    if not body:
        return None
    return {'id': body.get('id'),
            'organization_ids_in_us_gov_cloud': [str(i).lower() for i in body.get('organizationIdsInUSGovCloud') or []]}


def read_mapping(module: Any, header: Dict[str, str]) -> Any:
    try:
        return mapping_result(module.graph.get(MAPPING_PATH, version='beta', headers=header))
    except W365ApiError as err:
        if err.status == 403:
            raise GovSetupError('Reading the tenant mapping was refused: Microsoft documents it for a delegated (user) '
                                'sign-in to the GCC tenant with CloudPC.Read.All or CloudPC.ReadWrite.All only, never '
                                'app-only; sign in as a Windows 365 or Intune administrator', err)
        raise


def find_service_principal(module: Any) -> Any:
    from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import find_windows365_principal
    try:
        return find_windows365_principal(module.directory_graph)
    except W365ApiError as err:
        if err.status == 403:
            raise GovSetupError('Cannot read service principals in the Azure Government tenant: the gov_auth sign-in '
                                'needs Application.Read.All (or Directory.Read.All) in its US Government Graph', err)
        raise


def create_service_principal(module: Any) -> Any:
    """Create the Windows 365 service principal in the Azure Government tenant; returns its object ID.

    A concurrent run that created it first (409) is not an error: the principal is read back."""
    try:
        body = module.directory_graph.request('POST', GRAPH_SERVICE_PRINCIPALS_PATH, body={'appId': WINDOWS365_APP_ID})
        return (body or {}).get('id')
    except W365ApiError as err:
        if err.status == 409:
            found = find_service_principal(module)
            if found:
                return found
        if err.status == 403:
            raise GovSetupError('Creating the Windows 365 service principal (app ID %s) in the Azure Government tenant '
                                'was refused: the gov_auth sign-in needs Application.ReadWrite.All (app-only), or a '
                                'user with the Application Administrator or Cloud Application Administrator role; or '
                                'create it once with `az cloud set --name AzureUSGovernment; az ad sp create --id %s`'
                                % (WINDOWS365_APP_ID, WINDOWS365_APP_ID), err)
        raise


def ensure(module: Any, ensure_service_principal: Any = True) -> Any:
    """Make sure the Azure Government tenant has the Windows 365 service principal and the GCC tenant is mapped to it.

    Returns (changed, result, diff). Check mode reads only and predicts. A mapping to another Azure Government
    tenant is never changed (Graph has no update or delete for it): the task fails naming both tenants.
    """
    check_mode = module.check_mode
    sp_id = find_service_principal(module)
    sp_before = sp_id is not None
    sp_created = False
    if sp_id is None and ensure_service_principal:
        sp_created = True
        if not check_mode:
            sp_id = create_service_principal(module)
    header, gov_tid = gov_token(module)
    before = read_mapping(module, header)
    mapped = False
    if before is not None:
        ids = before['organization_ids_in_us_gov_cloud']
        if gov_tid not in ids:
            raise GovSetupError('The GCC tenant is already mapped to Azure Government tenant %s, not to the gov_auth '
                                'tenant %s. Graph offers no way to change or remove a mapping (only create and read); '
                                'use the mapped tenant in gov_auth.tenant_id, or ask Microsoft support to change it'
                                % (', '.join(ids) or '(none)', gov_tid))
        after = before
    else:
        mapped = True
        after = {'id': None, 'organization_ids_in_us_gov_cloud': [gov_tid]}
        if not check_mode:
            try:
                after = mapping_result(module.graph.request('POST', MAPPING_PATH, body={}, version='beta',
                                                            headers=header)) or after
            except W365ApiError as err:
                if err.status == 403:
                    raise GovSetupError('Creating the tenant mapping was refused: it needs a delegated (user) sign-in '
                                        'to the GCC tenant with CloudPC.ReadWrite.All (app-only is not supported)', err)
                if err.status != 409:
                    raise
                # Another run mapped it first, or a mapping exists for either tenant: read what is there.
                again = read_mapping(module, header)
                if again is None or gov_tid not in again['organization_ids_in_us_gov_cloud']:
                    raise GovSetupError('Creating the tenant mapping failed: a mapping already exists for the GCC '
                                        'tenant or for Azure Government tenant %s' % gov_tid, err)
                after, mapped = again, False
    changed = sp_created or mapped
    result = {
        'mapping': after,
        'gov_tenant_id': gov_tid,
        'service_principal': {'app_id': WINDOWS365_APP_ID, 'object_id': sp_id, 'created': sp_created,
                              'present': sp_before or sp_created},
    }
    diff = {'before': {'mapped_gov_tenants': (before or {}).get('organization_ids_in_us_gov_cloud', []),
                       'windows365_service_principal': sp_before},
            'after': {'mapped_gov_tenants': after['organization_ids_in_us_gov_cloud'],
                      'windows365_service_principal': sp_before or sp_created}}
    return changed, result, diff


def info(module: Any) -> Dict[str, Any]:
    """What the GCC setup looks like, without writing."""
    sp_id = find_service_principal(module)
    header, gov_tid = gov_token(module)
    mapping = read_mapping(module, header)
    return {'mapping': mapping, 'gov_tenant_id': gov_tid,
            'mapped': bool(mapping and gov_tid in mapping['organization_ids_in_us_gov_cloud']),
            'service_principal': {'app_id': WINDOWS365_APP_ID, 'object_id': sp_id, 'present': sp_id is not None}}
