# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight checks of a Windows 365 Government GCC deployment (docs/government-clouds.md).

The commercial side (Graph) is checked by the ordinary sign-in checks; ARM and the Windows 365 service principal by
the network and grant checks, which use the Azure Government sign-in (gov_auth) for cloud=gcc. These add the
Azure Government sign-in itself and the tenant mapping.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365Error
from ansible_collections.w365.cloudpc.plugins.module_utils._preflight import FAILED, PASSED, WARNING, make_check

MAPPING_REMEDY = ('Map the tenants once with w365.cloudpc.w365_gov_tenant_mapping (cloud=gcc, a delegated sign-in '
                  'to the GCC tenant as a Windows 365 or Intune administrator, and gov_auth for the Azure Government '
                  'tenant); the rollout does it for tenants with cloud=gcc.')


def gov_checks(module: Any) -> Tuple[List[Dict[str, Any]], bool]:
    """[checks], failed: the Azure Government sign-in and the tenant mapping. Only for cloud=gcc."""
    from ansible_collections.w365.cloudpc.plugins.module_utils import _gov_mapping
    if module.endpoints.cloud != 'gcc':
        return [], False
    checks = []
    try:
        header, gov_tid = _gov_mapping.gov_token(module)
        module.gov_credential.get_token(module.gov_endpoints.graph_scope)
    except W365Error as err:
        checks.append(make_check('gov_sign_in', FAILED, 'Signing in to the Azure Government tenant (gov_auth) failed: '
                                 '%s' % err, getattr(err, 'remedy', None) or 'Fix the gov_auth sign-in options.',
                                 error=err.to_dict()))
        return checks, True
    checks.append(make_check('gov_sign_in', PASSED, 'Signed in to Azure Government tenant %s with auth_method=%s.'
                             % (gov_tid, module._gov_auth.name), tenant_id=gov_tid))
    try:
        mapping = _gov_mapping.read_mapping(module, header)
    except _gov_mapping.GovSetupError as err:
        # App-only sign-ins cannot read the mapping (Microsoft: delegated only): say so, do not fail the deployment.
        checks.append(make_check('gcc_tenant_mapping', WARNING, 'The tenant mapping could not be read with this '
                                 'sign-in: %s.' % err.msg, 'Check it with w365.cloudpc.w365_gov_tenant_mapping_info '
                                 'and a delegated sign-in. ' + MAPPING_REMEDY, error=err.to_dict()))
        return checks, False
    except W365ApiError as err:
        checks.append(make_check('gcc_tenant_mapping', FAILED, 'Could not read the tenant mapping: %s' % err,
                                 MAPPING_REMEDY, error=err.to_dict()))
        return checks, False
    ids = (mapping or {}).get('organization_ids_in_us_gov_cloud') or []
    if gov_tid in ids:
        checks.append(make_check('gcc_tenant_mapping', PASSED, 'The GCC tenant is mapped to Azure Government tenant '
                                 '%s.' % gov_tid, mapping=mapping))
    elif ids:
        checks.append(make_check('gcc_tenant_mapping', FAILED, 'The GCC tenant is mapped to Azure Government tenant '
                                 '%s, not to the gov_auth tenant %s.' % (', '.join(ids), gov_tid),
                                 'Use the mapped tenant in gov_auth.tenant_id; Graph cannot change a mapping '
                                 '(Microsoft support can).', mapping=mapping))
    else:
        checks.append(make_check('gcc_tenant_mapping', FAILED, 'The GCC tenant is not mapped to an Azure Government '
                                 'tenant: Windows 365 cannot use its Azure Government networks or images.',
                                 MAPPING_REMEDY))
    return checks, False
