# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import (
    AuthMethod, MICROSOFT_AUTHORITY_HOSTS)
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import AZURE_CLI_CLIENT_ID


class UsernamePassword(AuthMethod):
    """Delegated sign-in with the resource owner password grant (no MFA, no federated accounts).

    Microsoft documents Azure network connection writes for delegated tokens only, so this is the method for them
    in unattended runs.
    """

    name = 'username_password'
    # azure-identity looks a user's cached token up only through an AuthenticationRecord, which a new process does
    # not have: every task would sign in anyway, and the cache would only keep the user's refresh token on disk.
    supports_token_cache = False
    token_cache_note = ('azure-identity reuses a cached user token only with an authentication record, so every '
                        'task signs in anyway; storing the refresh token would add risk for no gain')
    required = ('tenant_id', 'username', 'password')
    triggers = ('username', 'password')
    delegated = True

    def credential(self):
        import warnings
        from azure.identity import UsernamePasswordCredential
        self._skip_user_realm_discovery()
        kwargs = self.common_kwargs()
        client_id = self.inputs.get('client_id') or AZURE_CLI_CLIENT_ID
        with warnings.catch_warnings():
            # azure-identity deprecates the password grant because it cannot do MFA; the docs say so already.
            warnings.simplefilter('ignore', DeprecationWarning)
            return UsernamePasswordCredential(client_id, self.inputs['username'], self.inputs['password'],
                                              tenant_id=self.inputs['tenant_id'], **kwargs)

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
