# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any, Optional, Tuple

from urllib.parse import urlsplit

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import (
    AuthMethod, MICROSOFT_AUTHORITY_HOSTS, PerAudienceCredential)
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import AZURE_CLI_CLIENT_ID

# Microsoft Graph Command Line Tools (Connect-MgGraph): a first-party public client whose Graph tokens carry the
# scopes an admin consented for it in the tenant. The Azure CLI client cannot do Cloud PC work on Graph: Microsoft
# pre-authorizes it for a fixed Graph scope set without any CloudPC.* scope.
GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e'


def default_clients(client_id: Optional[str]) -> Tuple[str, str]:
    """(Graph client, ARM client) for a delegated sign-in.

    The customer's public-client app registration when `client_id` is set (it needs the Graph delegated scopes and
    Azure Service Management user_impersonation, both consented). Without it: Microsoft Graph Command Line Tools
    for Graph (the scopes an admin consented for it) and the Azure CLI for ARM (pre-authorized user_impersonation).
    """
    if client_id:
        return client_id, client_id
    return GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID, AZURE_CLI_CLIENT_ID


class UsernamePassword(AuthMethod):
    """Delegated sign-in with the resource owner password grant (no MFA, no federated accounts)."""

    name = 'username_password'
    # azure-identity looks a user's cached token up only through an AuthenticationRecord, which a new process does
    # not have: every task would sign in anyway, and the cache would only keep the user's refresh token on disk.
    supports_token_cache = False
    token_cache_note = ('azure-identity reuses a cached user token only with an authentication record, so every '
                        'task signs in anyway; storing the refresh token would add risk for no gain')
    required = ('tenant_id', 'username', 'password')
    triggers = ('username', 'password')
    delegated = True

    def credential(self) -> Any:
        import warnings
        from azure.identity import UsernamePasswordCredential
        self._skip_user_realm_discovery()
        graph_client, arm_client = default_clients(self.user_client_id())

        def build(client_id):
            with warnings.catch_warnings():
                # azure-identity deprecates the password grant because it cannot do MFA; the docs say so already.
                warnings.simplefilter('ignore', DeprecationWarning)
                return UsernamePasswordCredential(client_id, self.inputs['username'], self.inputs['password'],
                                                  tenant_id=self.inputs['tenant_id'], **self.common_kwargs())
        if graph_client == arm_client:
            return build(graph_client)
        return PerAudienceCredential(self.endpoints, {self.endpoints.graph_scope: lambda: build(graph_client),
                                                      self.endpoints.arm_scope: lambda: build(arm_client)})

    def user_client_id(self) -> Optional[str]:
        """The client for the user sign-in. AZURE_CLIENT_ID in the environment is usually the app of an app-only
        credential (AWX's Azure credential exports it): it counts only when the user came from the environment too."""
        if 'client_id' in self.from_task or 'username' not in self.from_task:
            return self.inputs.get('client_id')
        return None

    def _skip_user_realm_discovery(self):
        """MSAL first asks `https://<host>/common/userrealm/<upn>` whether the user is federated, building that URL
        without the authority's port. Only Microsoft's own hosts answer it; for any other authority (a proxy, the
        sandbox) tell MSAL the host has no realm discovery, so it goes straight to the password grant at the
        authority it was given. Federated (ADFS) users therefore need a Microsoft authority host.
        """
        host = (urlsplit(self.endpoints.authority_host).hostname or '').lower()
        if not host or host in MICROSOFT_AUTHORITY_HOSTS:
            return
        from msal.authority import Authority
        Authority._domains_without_user_realm_discovery.add(host)
