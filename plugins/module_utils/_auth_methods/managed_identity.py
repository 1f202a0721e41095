# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import AuthMethod


class ManagedIdentity(AuthMethod):
    """The identity of the Azure host (VM, App Service, Container Apps, Arc). `client_id` picks a user-assigned one.

    The token comes from the host's endpoint, not from Entra directly, so authority_host does not apply.
    """

    name = 'managed_identity'
    supports_token_cache = False
    token_cache_note = "the host's identity endpoint serves the tokens"

    def credential(self) -> Any:
        from azure.identity import ManagedIdentityCredential
        kwargs = self.given('client_id')
        if self.ca_bundle:
            kwargs['connection_verify'] = self.ca_bundle
        return ManagedIdentityCredential(**kwargs)
