# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every sign-in method shares: required inputs, their env variables, and common credential kwargs."""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

# Environment variables each sign-in option falls back to, azure-identity's family first, then AWX's.
OPTION_ENV = {
    'tenant_id': ('AZURE_TENANT_ID', 'AZURE_TENANT'),
    'client_id': ('AZURE_CLIENT_ID',),
    'client_secret': ('AZURE_CLIENT_SECRET', 'AZURE_SECRET'),
    'client_certificate_path': ('AZURE_CLIENT_CERTIFICATE_PATH',),
    'client_certificate_password': ('AZURE_CLIENT_CERTIFICATE_PASSWORD',),
    'federated_token_file': ('AZURE_FEDERATED_TOKEN_FILE',),
    'username': ('AZURE_USERNAME', 'AZURE_AD_USER'),
    'password': ('AZURE_PASSWORD',),
}

SECRET_OPTIONS = ('client_secret', 'client_certificate_password', 'password')

# Options that name a file (type 'path'); validate() checks that a method's required ones are readable.
PATH_OPTIONS = ('client_certificate_path', 'federated_token_file')

# Entra hosts MSAL knows; any other authority is a proxy or a sandbox.
MICROSOFT_AUTHORITY_HOSTS = frozenset((
    'login.microsoftonline.com', 'login.microsoft.com', 'login.windows.net', 'sts.windows.net',
    'login.microsoftonline.us', 'login.usgovcloudapi.net', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn',
))


def describe_option(option: str) -> str:
    env = OPTION_ENV.get(option)
    if not env:
        return option
    return '%s (env %s)' % (option, ' or '.join(env))


class AuthMethod(object):
    """A sign-in method: `validate()` checks inputs without network, `credential()` builds the azure credential."""

    name: str | None = None
    # Inputs that must be present for this method.
    required: tuple[str, ...] = ()
    # Inputs whose presence makes `auto` choose this method (checked in order of AUTO_ORDER in _auth.py).
    triggers: tuple[str, ...] = ()
    # True when the token represents a user (delegated permissions).
    delegated = False
    # False when option token_cache does not apply to the method; `token_cache_note` says why (in the warning).
    supports_token_cache = True
    token_cache_note: str | None = None
    # _retry.RetrySettings set by W365Module: timeouts and bounded retries for the token endpoint.
    request_settings: Any = None
    # True when the method cannot work without the persistent cache (device_code keeps its refresh token there).
    requires_token_cache = False
    # True in the sign-in action plugin, which may run before anything is stored.
    interactive = False
    # The options the task itself set (not from the environment); set by _auth.auth_method_for.
    from_task: frozenset[str] = frozenset()

    def __init__(self, inputs: Dict[str, Any], endpoints: Any, ca_bundle: Any = None, token_cache: Any = None) -> None:
        self.inputs = inputs
        self.endpoints = endpoints
        self.ca_bundle = ca_bundle
        # _token_cache.TokenCache when the task opted in to the persistent cache, else None (in-memory only).
        self.token_cache = token_cache if self.supports_token_cache else None

    def missing(self) -> List[Any]:
        return [opt for opt in self.required if not self.inputs.get(opt)]

    def validate(self) -> None:
        missing = self.missing()
        if missing:
            needs = ', '.join(describe_option(o) for o in missing)
            raise W365ConfigError('auth_method', 'auth_method=%s needs %s; set %s in the task or its environment '
                                                 'variable' % (self.name, needs, 'them' if len(missing) > 1 else 'it'))
        for option in self.required:
            if option in PATH_OPTIONS:
                check_readable_file(option, self.inputs[option])
        self.validate_more()
        if self.token_cache:
            from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import check_storable
            check_storable(self.token_cache)

    def validate_more(self) -> None:
        """Method-specific offline checks (files readable, and so on)."""

    def credential(self) -> Any:
        raise NotImplementedError

    def given(self, *options: str) -> Dict[str, Any]:
        """The inputs among `options` that are set, as keyword arguments of the same names."""
        return {option: self.inputs[option] for option in options if self.inputs.get(option)}

    def common_kwargs(self) -> Dict[str, Any]:
        """authority, instance discovery, TLS trust and the opt-in token cache, for every MSAL-based credential."""
        kwargs = {'authority': self.endpoints.authority_host}
        if not self.endpoints.standard_authority:
            kwargs['disable_instance_discovery'] = True
        if self.ca_bundle:
            kwargs['connection_verify'] = self.ca_bundle
        if self.request_settings is not None:
            kwargs.update(self.request_settings.identity_kwargs())
            # Token requests on the process's shared HTTPS connections, like the Graph and ARM clients (issue 19).
            from ansible_collections.w365.cloudpc.plugins.module_utils._graph import shared_transport
            kwargs['transport'] = shared_transport(self.ca_bundle, self.request_settings)
        if self.token_cache:
            from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import persistence_options
            kwargs['cache_persistence_options'] = persistence_options(self.token_cache)
        return kwargs


def check_readable_file(option: str, path: str) -> None:
    import os
    if not os.path.isfile(path):
        raise W365ConfigError(option, 'file %s does not exist or is not a file' % path)
    if not os.access(path, os.R_OK):
        raise W365ConfigError(option, 'file %s is not readable by this user' % path)


class PerAudienceCredential(object):
    """One credential per token audience (Graph, ARM), built on first use: a delegated sign-in whose Graph and ARM
    clients differ (Microsoft Graph Command Line Tools for Graph, the Azure CLI for ARM)."""

    def __init__(self, endpoints: Any, factories: Any) -> None:
        self._factories = {scope.lower(): f for scope, f in factories.items()}
        self._made: Dict[str, Any] = {}
        self._default = endpoints.graph_scope.lower()

    def _for(self, scopes):
        key = (scopes[0] if scopes else self._default).lower()
        if key not in self._factories:
            key = self._default
        if key not in self._made:
            self._made[key] = self._factories[key]()
        return self._made[key]

    def get_token(self, *scopes: Any, **kwargs: Any) -> Any:
        return self._for(scopes).get_token(*scopes, **kwargs)

    def get_token_info(self, *scopes: Any, **kwargs: Any) -> Any:
        return self._for(scopes).get_token_info(*scopes, **kwargs)

    def close(self) -> None:
        for cred in self._made.values():
            close = getattr(cred, 'close', None)
            if close:
                close()
