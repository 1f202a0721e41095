# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing the sign-in method and building its azure-identity credential.

Precedence: an option set in the task beats its environment variable. `auto` first looks only at what the
task itself set, then at task plus environment, so a task that says `username`/`password` is not overridden by an
`AZURE_CLIENT_SECRET` that AWX happens to export.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

import os

from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import OPTION_ENV, SECRET_OPTIONS, AuthMethod
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.azure_cli import AzureCli
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.client_certificate import ClientCertificate
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.client_secret import ClientSecret
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.device_code import DeviceCode, redo_hint
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.managed_identity import ManagedIdentity
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.username_password import UsernamePassword
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods.workload_identity import WorkloadIdentity
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365AuthError, W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import TokenCache, token_cache_from_params

# Same order as the documented choices.
METHODS = {cls.name: cls for cls in (ClientSecret, ClientCertificate, WorkloadIdentity, ManagedIdentity, AzureCli,
                                     UsernamePassword, DeviceCode)}
AUTH_METHOD_CHOICES = ('auto',) + tuple(METHODS)
# The order `auto` tries the methods that have triggers; managed_identity and azure_cli come after.
AUTO_ORDER = (ClientSecret, ClientCertificate, WorkloadIdentity, UsernamePassword)
MANAGED_IDENTITY_ENV = ('IDENTITY_ENDPOINT', 'MSI_ENDPOINT')


def env_value(option: str, environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    environ = os.environ if environ is None else environ
    for name in OPTION_ENV.get(option, ()):
        value = environ.get(name)
        if value:
            return value
    return None


def auth_inputs(params: Dict[str, Any], environ: Optional[Mapping[str, str]] = None) -> Tuple[Dict[str, Any], Set[str]]:
    """Merge task options with their environment fallbacks.

    Returns (inputs, from_task): `inputs` has every sign-in option (task value, else env value, else None);
    `from_task` is the set of options the task itself set. A value equal to its env variable counts as from the
    environment: whichever it came from, it means the same.
    """
    inputs = {}
    from_task: Set[str] = set()
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


def select_method(auth_method: Optional[str], inputs: Dict[str, Any], from_task: Set[str], environ: Optional[Mapping[str, str]] = None) -> str:
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


def auth_method_for(params: Dict[str, Any], endpoints: Any, ca_bundle: Any = None,
                    environ: Optional[Mapping[str, str]] = None, interactive: bool = False) -> AuthMethod:
    """Validated AuthMethod instance for the module parameters (no network call).

    `interactive`: for the sign-in action plugin (device_code before its first sign-in).
    """
    inputs, from_task = auth_inputs(params, environ)
    name = select_method(params.get('auth_method'), inputs, from_task, environ)
    cls = METHODS[name]
    cache = token_cache_from_params(params)
    if cache is None and getattr(cls, 'requires_token_cache', False):
        # device_code keeps its refresh token in the persistent cache whatever token_cache says; plaintext still
        # needs token_cache_allow_unencrypted.
        cache = TokenCache(allow_unencrypted=bool(params.get('token_cache_allow_unencrypted')))
    method = cls(inputs, endpoints, ca_bundle, token_cache=cache)
    # What the task itself named, even when equal to the environment's value.
    method.from_task = frozenset(o for o in OPTION_ENV if params.get(o) not in (None, ''))
    method.interactive = interactive
    method.validate()
    return method


def build_credential(params: Dict[str, Any], endpoints: Any, ca_bundle: Any = None, environ: Optional[Mapping[str, str]] = None) -> Tuple[Any, Optional[str]]:
    """(credential, method_name) for the module parameters. Raises W365ConfigError before any network call."""
    method = auth_method_for(params, endpoints, ca_bundle, environ)
    return method.credential(), method.name


def secret_values(params: Dict[str, Any], environ: Optional[Mapping[str, str]] = None) -> List[Any]:
    """Every secret in play (task or env), so the module can mask them in any output."""
    inputs, dummy = auth_inputs(params, environ)
    return [inputs[o] for o in SECRET_OPTIONS if inputs.get(o)]


def where(option: str) -> str:
    """How an operator finds option `option`: the task option, and its place in the rollout inventory."""
    return ('%s (rollout inventory: w365_auth.%s, or the tenant\'s entry in w365_tenant_credentials)'
            % (option, option))


# AADSTS code -> (what happened, remedy). Remedies name the option / inventory variable to fix, never a value.
# Codes: learn.microsoft.com/entra/identity-platform/reference-error-codes.
REMEDIES = {
    '7000215': ('the client secret is wrong',
                'set %s to the secret\'s Value (not its Secret ID) from the app registration\'s Certificates & '
                'secrets page' % where('client_secret')),
    '7000222': ('the client secret has expired',
                'create a new client secret on the app registration and put it in %s' % where('client_secret')),
    '7000218': ('the app is a confidential client: it must authenticate with a secret or certificate',
                'for a user sign-in, turn on "Allow public client flows" (Authentication) on the app registration '
                'named by %s, or use a public-client app registration' % where('client_id')),
    '50126': ('the user name or password is wrong',
              'check %s and %s; the sign-in is not retried in this run, so repeated runs do not push the account '
              'into Entra smart lockout' % (where('username'), where('password'))),
    '50034': ('the user does not exist in this tenant', 'check %s and %s' % (where('username'), where('tenant_id'))),
    '50053': ('the account is locked (too many failed sign-ins: Entra smart lockout) or sign-in is blocked',
              'wait for the lockout to end (or have an admin unlock the account), fix %s first, and run again'
              % where('password')),
    '50055': ('the password has expired', 'change the password of %s and update %s'
              % (where('username'), where('password'))),
    '50057': ('the user account is disabled', 'enable the account named by %s or use another one' % where('username')),
    '50076': ('the account must use multifactor authentication, which the password grant cannot do',
              'use auth_method=device_code (a one-time interactive sign-in with MFA per tenant: ansible-playbook '
              'w365.cloudpc.signin), or an app-only sign-in (client_secret, client_certificate, workload_identity) '
              'for what app-only can do; see docs/auth.md. Set it in %s' % where('auth_method')),
    '50079': ('the account must register for multifactor authentication first',
              'register an MFA method for the account (https://aka.ms/mfasetup), then use auth_method=device_code '
              '(%s)' % where('auth_method')),
    '50158': ('an external security challenge (MFA) is required', 'use auth_method=device_code (%s)'
              % where('auth_method')),
    '53003': ('Conditional Access blocked the sign-in',
              'ask the tenant\'s admin which policy applies (Entra sign-in logs), or use a workload identity'),
    '700016': ('no application with this client ID exists in the tenant',
               'check %s and %s; a multi-tenant app needs an admin\'s consent in this tenant first'
               % (where('client_id'), where('tenant_id'))),
    '90002': ('the tenant does not exist (or not in this cloud)',
              'check %s (GUID or verified domain) and the cloud option (%s)' % (where('tenant_id'), where('cloud'))),
    '65001': ('nobody has consented to the permissions this client needs',
              'an admin grants consent in the Entra admin center (Enterprise applications > the app > Permissions) '
              'for the delegated permissions listed in docs/auth.md, for the client in %s' % where('client_id')),
    '700027': ('the certificate is not registered on the app',
               'upload the public certificate of %s to the app registration, or point it at the registered one'
               % where('client_certificate_path')),
    '70021': ('no federated credential of the app matches the token',
              'check the issuer, subject and audience of the app\'s federated credential against %s'
              % where('federated_token_file')),
    '700024': ('the federated token is expired or not yet valid',
               'make sure %s is refreshed before it expires' % where('federated_token_file')),
    '500011': ('the API is not available for this tenant\'s cloud', 'check the cloud option (%s)' % where('cloud')),
    '700082': ('the stored sign-in has expired (refresh token unused for too long)',
               'run the interactive sign-in again (auth_method=device_code)'),
    '50173': ('the stored sign-in was revoked (password changed or sessions revoked)',
              'run the interactive sign-in again (auth_method=device_code)'),
    '50133': ('the stored sign-in was revoked (password changed or sessions revoked)',
              'run the interactive sign-in again (auth_method=device_code)'),
}


class W365SignInError(W365AuthError):
    """A failed sign-in with the remedy for its AADSTS code."""

    def __init__(self, message: str, method: Optional[str] = None, aadsts: Optional[str] = None, error: Any = None, remedy: Optional[str] = None) -> None:
        super(W365SignInError, self).__init__(message, method=method, aadsts=aadsts, error=error)
        self.remedy = remedy

    def to_dict(self) -> Dict[str, Any]:
        out = super(W365SignInError, self).to_dict()
        out['type'] = 'W365AuthError'  # the public error type; the remedy is the addition
        out['remedy'] = self.remedy
        return out


def remedy_for(aadsts: Optional[str], method_name: Optional[str] = None, tenant_id: Optional[str] = None) -> Tuple[Optional[str], Optional[str]]:
    """(what happened, remedy) for an AADSTS code, or (None, None)."""
    code = (aadsts or '').upper().replace('AADSTS', '')
    what, remedy = REMEDIES.get(code, (None, None))
    if method_name == 'device_code' and code in ('50076', '50079', '700082', '50173', '50133'):
        remedy = redo_hint(tenant_id or '<tenant_id>')
    return what, remedy


def auth_error(exc: BaseException, method_name: str, secrets: Iterable[str] = (), tenant_id: Optional[str] = None) -> W365SignInError:
    """Turn azure-identity's ClientAuthenticationError / CredentialUnavailableError into W365SignInError.

    Keeps the AADSTS code and Entra's description, adds the remedy for that code; drops anything that could echo a
    secret.
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
    summary = re.sub(r'\s*Trace ID:.*$', '', summary)
    if len(summary) > 600:
        summary = summary[:600] + '...'
    what, remedy = remedy_for(aadsts, method_name, tenant_id)
    if type(exc).__name__ == 'AuthenticationRequiredError':
        # azure-identity could not sign in silently (device_code): refresh token expired or revoked, or MFA again.
        what = 'the stored interactive sign-in cannot be used silently (expired, revoked or MFA required again)'
        remedy = redo_hint(tenant_id or '<tenant_id>')
    message = 'sign-in with auth_method=%s failed: %s' % (method_name, summary)
    # What the shared retry policy added (request id, why it stopped retrying) is worth keeping.
    request_id = re.search(r'request id ([0-9a-fA-F-]{8,})', text)
    if request_id and request_id.group(1) not in message:
        message += ' [request id %s]' % request_id.group(1)
    gave_up = re.search(r'(gave up after [^\r\n]*)', text)
    if gave_up:
        message += '; %s' % gave_up.group(1).rstrip('. ')
    if what:
        message += ' (%s)' % what
    if remedy:
        message += '. Remedy: %s' % remedy
    return W365SignInError(message, method=method_name, aadsts=aadsts, error=error, remedy=remedy)
