# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant's Windows 365 service principal: its object ID differs per tenant, its app ID does not."""

from __future__ import annotations

from typing import Any, Optional

from ansible_collections.w365.cloudpc.plugins.module_utils._constants import GRAPH_SERVICE_PRINCIPALS_PATH, WINDOWS365_APP_ID
from ansible_collections.w365.cloudpc.plugins.module_utils._graph import odata_quote


def find_windows365_principal(graph: Any) -> Optional[str]:
    """Object ID of the Windows 365 service principal in the signed-in tenant, or None when it is missing.

    Needs Application.Read.All (or Directory.Read.All). A missing principal means Windows 365 was never set up
    in the tenant (or, for GCC, not created in the Azure Government tenant: `az ad sp create --id <app id>`).

    Found once per process and sign-in: the items of a loop (one worker process) reuse the object ID found by the
    first (_token_cache.remembered_principal); a missing principal is looked up again every time.
    """
    from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import (
        remember_principal, remembered_principal)

    key = getattr(graph, 'credential_key', None)
    root = getattr(graph, 'base_url', None)
    known = remembered_principal(key, root, WINDOWS365_APP_ID)
    if known:
        return known
    found = graph.list(GRAPH_SERVICE_PRINCIPALS_PATH,
                       params={'$filter': 'appId eq %s' % odata_quote(WINDOWS365_APP_ID),
                               '$select': 'id,appId,displayName'})
    for sp in found:
        if str(sp.get('appId', '')).lower() == WINDOWS365_APP_ID:
            remember_principal(key, root, WINDOWS365_APP_ID, sp.get('id'))
            return sp.get('id')
    return None
