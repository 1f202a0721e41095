# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`auth_method: device_code`: a user signs in once per tenant (with MFA) through the device code flow; later tasks
and runs sign in silently from the persistent token cache.

The interactive part runs only in the action plugin `w365.cloudpc.w365_signin` (`sign_in()` below): it shows the
code and URL on the operator's terminal, waits for the sign-in, and stores an azure-identity AuthenticationRecord
(account and tenant identifiers, no secret) next to the token cache. Modules never prompt: they load that record
and ask azure-identity for a token without user interaction; when that is impossible (no record, refresh token
expired or revoked, MFA re-prompt) the task fails before its first request to Graph or ARM, naming the sign-in to
redo.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import json
import os
import re

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import (
    AuthMethod, PerAudienceCredential)
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.username_password import (
    GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365AuthError, W365ConfigError

RECORD_DIR = 'w365.cloudpc.records'
SIGNIN_HINT = ('run the one-time interactive sign-in again: ansible-playbook w365.cloudpc.signin -e '
               'w365_signin_tenant=%s (or the task w365.cloudpc.w365_signin with the same tenant_id and client_id)')


def record_path(tenant_id: str, client_id: str, home: Optional[str] = None) -> str:
    """Where the AuthenticationRecord of (tenant, client) lives: beside azure-identity's cache, private to the user."""
    safe = re.sub(r'[^a-z0-9.-]', '_', '%s.%s' % (tenant_id.lower(), client_id.lower()))
    return os.path.join(home or os.path.expanduser('~'), '.IdentityService', RECORD_DIR, safe + '.json')


def redo_hint(tenant_id: str) -> str:
    return SIGNIN_HINT % tenant_id


class DeviceCode(AuthMethod):
    """Delegated sign-in (MFA capable) done once with `w365.cloudpc.w365_signin`; modules only sign in silently."""

    name = 'device_code'
    required = ('tenant_id',)
    delegated = True
    # The refresh token must outlive the process: the persistent cache is part of the method, not an option.
    requires_token_cache = True
    # True in the action plugin that runs the interactive sign-in (no record yet is fine there).
    interactive = False

    @property
    def client_id(self) -> str:
        return self.inputs.get('client_id') or GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID

    @property
    def record_file(self) -> str:
        return record_path(self.inputs['tenant_id'], self.client_id)

    def validate_more(self) -> None:
        if not self.interactive and not os.path.isfile(self.record_file):
            raise W365ConfigError('auth_method', 'auth_method=device_code: nobody has signed in to tenant %s with client '
                                                 '%s on this machine yet (no %s); %s' % (
                                                     self.inputs['tenant_id'], self.client_id, self.record_file,
                                                     redo_hint(self.inputs['tenant_id'])))

    def load_record(self) -> Any:
        from azure.identity import AuthenticationRecord
        try:
            with open(self.record_file, 'r') as handle:
                return AuthenticationRecord.deserialize(handle.read())
        except (OSError, ValueError, KeyError, TypeError):
            raise W365ConfigError('auth_method', 'the device-code sign-in record %s cannot be read; delete it and %s'
                                  % (self.record_file, redo_hint(self.inputs['tenant_id']))) from None

    def _credential(self, client_id, record=None, prompt=None, timeout=None):
        from azure.identity import DeviceCodeCredential
        kwargs = self.common_kwargs()
        if record is not None:
            # The record names the authority it was made at; azure-identity takes it from there.
            kwargs.pop('authority', None)
            kwargs['authentication_record'] = record
            kwargs['disable_automatic_authentication'] = True
        if prompt is not None:
            kwargs['prompt_callback'] = prompt
        if timeout:
            kwargs['timeout'] = timeout
        return DeviceCodeCredential(client_id, tenant_id=self.inputs['tenant_id'], **kwargs)

    def credential(self) -> Any:
        record = self.load_record()
        if self.inputs.get('client_id'):
            return self._credential(self.client_id, record)

        def graph():
            return self._credential(self.client_id, record)

        def arm_refused():
            raise W365ConfigError('client_id', 'auth_method=device_code without client_id signs in through Microsoft '
                                               'Graph Command Line Tools, which Azure Resource Manager does not accept '
                                               'without consent; set client_id to your public-client app registration '
                                               '(with Azure Service Management user_impersonation consented) and sign '
                                               'in again, or use auth_method=azure_cli for role grants')
        return PerAudienceCredential(self.endpoints, {self.endpoints.graph_scope: graph,
                                                      self.endpoints.arm_scope: arm_refused})

    def sign_in(self, prompt: str, timeout: Optional[float] = None) -> Dict[str, Any]:
        """The interactive part (action plugin only): device code flow for Graph, then the ARM token from the same
        refresh token when the client can have one. Writes the AuthenticationRecord; returns a summary (no token)."""
        from azure.core.exceptions import ClientAuthenticationError
        cred = self._credential(self.client_id, prompt=prompt, timeout=timeout)
        record = cred.authenticate(scopes=[self.endpoints.graph_scope])
        tokens = {'graph': cred.get_token(self.endpoints.graph_scope).token}
        if self.inputs.get('client_id'):
            try:
                tokens['arm'] = cred.get_token(self.endpoints.arm_scope).token
            except ClientAuthenticationError as e:
                raise W365AuthError('signed in to Graph, but client %s cannot get an Azure Resource Manager token: %s'
                                    % (self.client_id, ' '.join(str(getattr(e, 'message', e)).split())[:400]),
                                    method=self.name) from None
        write_record(self.record_file, record.serialize())
        return {'username': record.username, 'tenant_id': record.tenant_id, 'client_id': self.client_id,
                'authority': record.authority, 'record_file': self.record_file, 'tokens': tokens}


def write_record(path: str, text: str) -> Dict[str, Any]:
    """Write the record 0600 in a 0700 directory (it names the account; it holds no secret)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)
    os.replace(path + '.tmp', path)
    return json.loads(text)
