# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing the sign-in method and building its azure-identity credential.

Precedence: an option set in the task beats its environment variable. `auto` first looks only at what the
task itself set, then at task plus environment, so a task that says `username`/`password` is not overridden by an
`AZURE_CLIENT_SECRET` that AWX happens to export.
"""

from __future__ import annotations

import os

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import OPTION_ENV, SECRET_OPTIONS
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.azure_cli import AzureCli
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.client_certificate import ClientCertificate
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.client_secret import ClientSecret
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.managed_identity import ManagedIdentity
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.username_password import UsernamePassword
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.workload_identity import WorkloadIdentity
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365AuthError, W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import token_cache_from_params

# Same order as the documented choices.
METHODS = {cls.name: cls for cls in (ClientSecret, ClientCertificate, WorkloadIdentity, ManagedIdentity, AzureCli,
                                     UsernamePassword)}
AUTH_METHOD_CHOICES = ('auto',) + tuple(METHODS)
# The order `auto` tries the methods that have triggers; managed_identity and azure_cli come after.
AUTO_ORDER = (ClientSecret, ClientCertificate, WorkloadIdentity, UsernamePassword)
MANAGED_IDENTITY_ENV = ('IDENTITY_ENDPOINT', 'MSI_ENDPOINT')


def env_value(option, environ=None):
    environ = os.environ if environ is None else environ
    for name in OPTION_ENV.get(option, ()):
        value = environ.get(name)
        if value:
            return value
    return None


def auth_inputs(params, environ=None):
    """Merge task options with their environment fallbacks.

    Returns (inputs, from_task): `inputs` has every sign-in option (task value, else env value, else None);
    `from_task` is the set of options the task itself set. A value equal to its env variable counts as from the
    environment: whichever it came from, it means the same.
    """
    inputs = {}
    from_task = set()
    for option in OPTION_ENV:
        task_value = params.get(option)
        env = env_value(option, environ)
        if task_value not in (None, ''):
            inputs[option] = task_value
            if task_value != env:
                from_task.add(option)
        else:
            inputs[option] = env
    return inputs, from_task


def select_method(auth_method, inputs, from_task, environ=None):
    """Name of the concrete method to use. Pure: no network, no azure import."""
    environ = os.environ if environ is None else environ
    if auth_method and auth_method != 'auto':
        if auth_method not in METHODS:
            raise W365ConfigError('auth_method', 'unknown method %r; use one of %s' % (
                auth_method, ', '.join(AUTH_METHOD_CHOICES)))
        return auth_method
    for pool in (from_task, {k for k, v in inputs.items() if v}):
        for cls in AUTO_ORDER:
            if all(t in pool for t in cls.triggers):
                return cls.name
    if any(environ.get(name) for name in MANAGED_IDENTITY_ENV):
        return ManagedIdentity.name
    return AzureCli.name


def auth_method_for(params, endpoints, ca_bundle=None, environ=None):
    """Validated AuthMethod instance for the module parameters (no network call)."""
    inputs, from_task = auth_inputs(params, environ)
    name = select_method(params.get('auth_method'), inputs, from_task, environ)
    method = METHODS[name](inputs, endpoints, ca_bundle, token_cache=token_cache_from_params(params))
    method.validate()
    return method


def build_credential(params, endpoints, ca_bundle=None, environ=None):
    """(credential, method_name) for the module parameters. Raises W365ConfigError before any network call."""
    method = auth_method_for(params, endpoints, ca_bundle, environ)
    return method.credential(), method.name


def secret_values(params, environ=None):
    """Every secret in play (task or env), so the module can mask them in any output."""
    inputs, dummy = auth_inputs(params, environ)
    return [inputs[o] for o in SECRET_OPTIONS if inputs.get(o)]


def auth_error(exc, method_name, secrets=()):
    """Turn azure-identity's ClientAuthenticationError / CredentialUnavailableError into W365AuthError.

    Keeps the AADSTS code and Entra's description; drops anything that could echo a secret.
    """
    import re
    text = getattr(exc, 'message', None) or str(exc)
    for secret in secrets:
        if secret:
            text = text.replace(secret, '***')
    match = re.search(r'AADSTS\d+', text)
    aadsts = match.group(0) if match else None
    error = None
    m = re.search(r'"error"\s*:\s*"([^"]+)"', text) or re.search(r'\berror[:=]\s*([a-z_]+)', text)
    if m:
        error = m.group(1)
    # Entra's error_description is the readable part; the full text adds trace ids and timestamps.
    desc = re.search(r'(AADSTS\d+:[^\r\n"]*)', text)
    summary = desc.group(1).strip() if desc else ' '.join(text.split())
    if len(summary) > 600:
        summary = summary[:600] + '...'
    return W365AuthError('sign-in with auth_method=%s failed: %s' % (method_name, summary), method=method_name,
                         aadsts=aadsts, error=error)
