# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows 365 Government GCC: the second sign-in, to the Azure Government tenant (docs/government-clouds.md).

In GCC the Cloud PC admin plane is commercial Microsoft Graph in the GCC tenant, while the Azure subscription (vnets,
role grants, managed images) and the Windows 365 service principal that must hold the roles live in a separate
Azure Government tenant (*.onmicrosoft.us), signed in at https://login.microsoftonline.us
(learn.microsoft.com/windows-365/enterprise/set-up-tenants-windows-365-gcc).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import OPTION_ENV, PATH_OPTIONS, SECRET_OPTIONS
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

# Sign-in options a gov_auth dict takes, beside auth_method and the endpoint overrides: the task's own.
GOV_SIGNIN_OPTIONS = tuple(OPTION_ENV)
GOV_SECRET_OPTIONS = SECRET_OPTIONS
GOV_PATH_OPTIONS = PATH_OPTIONS

MISSING_GOV = ('cloud=gcc signs in twice: the commercial GCC tenant for Microsoft Graph (the task\'s own sign-in '
               'options) and the Azure Government tenant (*.onmicrosoft.us) for Azure Resource Manager and the '
               'Windows 365 service principal there. Add gov_auth with at least tenant_id (the Azure Government '
               'tenant) and its sign-in, for example gov_auth: {tenant_id: ..., client_id: ..., client_secret: ...} '
               '(rollout inventory: w365_gov_auth); see docs/government-clouds.md')


def gov_auth_spec(auth_method_choices: Iterable[str]) -> Dict[str, Any]:
    """Argument spec of option `gov_auth` (doc fragment `w365.cloudpc.auth`)."""
    options: Dict[str, Dict[str, Any]] = dict(auth_method=dict(type='str', default='auto', choices=list(auth_method_choices)),
                                              authority_host=dict(type='str'), graph_endpoint=dict(type='str'))
    for option in GOV_SIGNIN_OPTIONS:
        options[option] = dict(type='path' if option in GOV_PATH_OPTIONS else 'str')
        if option in GOV_SECRET_OPTIONS:
            options[option]['no_log'] = True
    return dict(type='dict', options=options)


def gov_params(params: Dict[str, Any]) -> Any:
    """The gov_auth dict with the task's token cache settings, shaped like module params for _auth; or None."""
    gov = params.get('gov_auth')
    if not gov:
        return None
    merged = dict(gov)
    for key in ('token_cache', 'token_cache_allow_unencrypted'):
        merged[key] = params.get(key)
    return merged


def check_gov_auth(params: Dict[str, Any], cloud: Any, main_tenant: Any = None) -> Optional[str]:
    """W365ConfigError when cloud=gcc lacks the Azure Government sign-in, or gives the commercial tenant there.

    Returns a warning (str) when gov_auth is set for another cloud, else None. No network.
    """
    gov = params.get('gov_auth') or {}
    if cloud != 'gcc':
        if any(v not in (None, '', 'auto') for v in gov.values()):
            return ('gov_auth is used only with cloud=gcc (the Azure Government tenant of a GCC deployment); it is '
                    'ignored with cloud=%s' % cloud)
        return None
    if not gov.get('tenant_id'):
        raise W365ConfigError('gov_auth', MISSING_GOV)
    main_tenant = (main_tenant or '').strip().lower()
    if main_tenant and gov['tenant_id'].strip().lower() == main_tenant:
        raise W365ConfigError('gov_auth.tenant_id', 'is the same tenant as tenant_id; in GCC the Azure Government '
                                                    'subscription lives in a separate tenant (*.onmicrosoft.us). '
                                                    'Set gov_auth.tenant_id to that tenant (rollout inventory: '
                                                    'w365_gov_auth.tenant_id)')
    return None
