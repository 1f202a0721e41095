# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import AuthMethod


class AzureCli(AuthMethod):
    """Whoever is signed in to the Azure CLI (`az login`) on the machine running the module.

    The CLI talks to Entra itself, using its own cloud setting (`az cloud set`); `tenant_id` picks the tenant.
    """

    name = 'azure_cli'
    supports_token_cache = False
    token_cache_note = 'the Azure CLI keeps its own tokens'

    def credential(self) -> Any:
        from azure.identity import AzureCliCredential
        return AzureCliCredential(**self.given('tenant_id'))
