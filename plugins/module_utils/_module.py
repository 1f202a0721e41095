# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`W365Module`: AnsibleModule plus sign-in, lazily created Graph / ARM clients and error reporting."""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any, Callable, Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible.module_utils.common.parameters import AnsibleFallbackNotFound, remove_values

from ansible_collections.w365.cloudpc.plugins.module_utils._auth import (
    AUTH_METHOD_CHOICES, auth_error, auth_method_for, secret_values)
from ansible_collections.w365.cloudpc.plugins.module_utils._auth_methods._base import OPTION_ENV, PATH_OPTIONS, SECRET_OPTIONS
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import (
    CLOUD_NAMES, cloud_from_name, resolve_endpoints, resolve_gov_endpoints)
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import (
    W365ApiError, W365AuthError, W365ConfigError, W365Error, W365WaitTimeout, connection_error)
from ansible_collections.w365.cloudpc.plugins.module_utils._gov import (
    GOV_SECRET_OPTIONS, check_gov_auth, gov_auth_spec, gov_params)
from ansible_collections.w365.cloudpc.plugins.module_utils._ids import validate_tenant_id
from ansible_collections.w365.cloudpc.plugins.module_utils._retry import (
    DEFAULT_API_RETRIES, DEFAULT_API_RETRY_MAX_WAIT, DEFAULT_API_TIMEOUT, RetrySettings)


def _cloud_env_fallback(*names):
    """AZURE_CLOUD_ENVIRONMENT may use Azure CLI names (AzureUSGovernment); map them to our choices."""
    for name in names:
        value = os.environ.get(name)
        if value:
            try:
                return cloud_from_name(value, option='cloud (from %s)' % name)
            except W365Error:
                # Unknown text: hand it on unchanged so the choices check names the bad value.
                return value
    raise AnsibleFallbackNotFound


def auth_argument_spec() -> Dict[str, Any]:
    """The sign-in options of doc fragment `w365.cloudpc.auth`."""
    spec: Dict[str, Any] = dict(
        auth_method=dict(type='str', default='auto', choices=list(AUTH_METHOD_CHOICES)),
        cloud=dict(type='str', default='public', choices=list(CLOUD_NAMES),
                   fallback=(_cloud_env_fallback, ['AZURE_CLOUD_ENVIRONMENT'])),
        allow_unsupported_cloud=dict(type='bool', default=False),
        gov_auth=gov_auth_spec(AUTH_METHOD_CHOICES),
        authority_host=dict(type='str', fallback=(env_fallback, ['AZURE_AUTHORITY_HOST'])),
        graph_endpoint=dict(type='str'),
        arm_endpoint=dict(type='str'),
        ca_bundle=dict(type='path', fallback=(env_fallback, ['REQUESTS_CA_BUNDLE'])),
        api_retries=dict(type='int', default=DEFAULT_API_RETRIES),
        api_retry_max_wait=dict(type='int', default=DEFAULT_API_RETRY_MAX_WAIT),
        api_timeout=dict(type='int', default=DEFAULT_API_TIMEOUT, fallback=(env_fallback, ['W365_API_TIMEOUT'])),
        token_cache=dict(type='bool', default=False, fallback=(env_fallback, ['W365_TOKEN_CACHE'])),
        token_cache_allow_unencrypted=dict(type='bool', default=False,
                                           fallback=(env_fallback, ['W365_TOKEN_CACHE_ALLOW_UNENCRYPTED'])),
    )
    # Env fallbacks for these are applied by _auth.auth_inputs, which needs to know what the task set itself.
    for option in OPTION_ENV:
        spec[option] = dict(type='path' if option in PATH_OPTIONS else 'str')
        if option in SECRET_OPTIONS:
            spec[option]['no_log'] = True
    return spec


def subscription_id_option(required: bool = False) -> Dict[str, Any]:
    """Argument spec entry for a module's `subscription_id` (doc fragment `w365.cloudpc.auth.SUBSCRIPTION_ID`)."""
    option: Dict[str, Any] = dict(type='str', fallback=(env_fallback, ['AZURE_SUBSCRIPTION_ID']))
    if required:
        option['required'] = True
    return option


def unknown_option_values(params: Any, spec: Any) -> List[str]:
    """The values of options that `spec` does not know, at any depth (dict options with suboptions, lists of them).

    A misspelled option may be a misspelled secret (`client_secert`): its value must not reach the result, the
    invocation or -vvvv output, so the module masks these like no_log values. Only the names are reported.
    """
    found: List[str] = []
    if not isinstance(params, dict) or not isinstance(spec, dict):
        return found
    known = set(spec)
    for option in spec.values():
        known.update((option or {}).get('aliases') or ())
    for key, value in params.items():
        if key not in known:
            found.extend(_leaf_strings(value))
            continue
        option = spec.get(key) or next((o for o in spec.values() if key in ((o or {}).get('aliases') or ())), {})
        suboptions = option.get('options') if isinstance(option, dict) else None
        if suboptions:
            for item in value if isinstance(value, list) else [value]:
                found.extend(unknown_option_values(item, suboptions))
    return found


def _leaf_strings(value: Any) -> List[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _leaf_strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _leaf_strings(v)]
    if value is None or isinstance(value, bool):
        return []
    text = str(value)
    return [text] if text else []


class W365Module(AnsibleModule):
    """AnsibleModule with the shared sign-in options.

    Sign-in inputs are checked in the constructor (no network): a bad or incomplete choice fails the task before
    anything is sent. Clients and tokens are created on first use.
    """

    def _mask_unknown_options(self) -> None:
        # Called on every exit: AnsibleModule refuses unknown options from inside its constructor, and its failure
        # result carries the invocation (every parameter, unknown ones unmasked) - see unknown_option_values.
        for value in unknown_option_values(getattr(self, 'params', None), getattr(self, 'argument_spec', None)):
            self.no_log_values.add(value)

    def exit_json(self, **kwargs: Any) -> None:
        self._mask_unknown_options()
        super(W365Module, self).exit_json(**kwargs)

    def fail_json(self, msg: str, **kwargs: Any) -> None:
        self._mask_unknown_options()
        super(W365Module, self).fail_json(msg, **kwargs)

    def __init__(self, argument_spec: Any = None, **kwargs: Any) -> None:
        spec = auth_argument_spec()
        spec.update(argument_spec or {})
        super(W365Module, self).__init__(argument_spec=spec, **kwargs)
        # azure-identity logs failed token attempts as warnings; with no handler Python would print them to the
        # module's stderr. The failure itself is reported once, as W365AuthError.
        for name in ('azure', 'msal'):
            logging.getLogger(name).addHandler(logging.NullHandler())
        # Secrets that came from the environment are not module params: register them for masking too.
        for secret in secret_values(self.params):
            self.no_log_values.add(secret)
        self._credential = None
        # Graph and ARM clients, one per key (see _client).
        self._clients: Dict[Any, Any] = {}
        self._gov_credential = None
        # GCC: the Azure Government tenant's sign-in (ARM, its directory); None for every other cloud.
        self._gov_auth = None
        self.gov_endpoints = None
        gov_warning = None
        try:
            self.endpoints = resolve_endpoints(self.params['cloud'], self.params.get('authority_host'),
                                               self.params.get('graph_endpoint'), self.params.get('arm_endpoint'),
                                               allow_unsupported=bool(self.params.get('allow_unsupported_cloud')))
            self.retry = RetrySettings.from_params(self.params)
            self._auth = auth_method_for(self.params, self.endpoints, self.ca_bundle)
            # Sign-in requests get the same timeout and bounded retries as Graph and ARM.
            self._auth.request_settings = self.retry
            # azure-identity refuses a malformed tenant with a bare ValueError at sign-in; say so now, by name.
            validate_tenant_id(self._auth.inputs.get('tenant_id'))
            gov_warning = check_gov_auth(self.params, self.endpoints.cloud, self._auth.inputs.get('tenant_id'))
            if self.endpoints.cloud == 'gcc':
                gov = self.params['gov_auth']
                self.gov_endpoints = resolve_gov_endpoints(gov.get('authority_host'), gov.get('graph_endpoint'),
                                                           self.params.get('arm_endpoint'))
                # The AZURE_* environment belongs to the commercial sign-in: the Government one is only gov_auth.
                try:
                    self._gov_auth = auth_method_for(gov_params(self.params), self.gov_endpoints, self.ca_bundle,
                                                     environ={})
                except W365ConfigError as e:
                    raise W365ConfigError('gov_auth.%s' % e.option, 'gov_auth (the Azure Government tenant): %s'
                                          % e.message) from None
                self._gov_auth.request_settings = self.retry
                validate_tenant_id(self._gov_auth.inputs.get('tenant_id'))
            if self.ca_bundle and not os.path.exists(self.ca_bundle):
                raise W365ConfigError('ca_bundle', 'CA bundle %s does not exist (option ca_bundle or env '
                                                   'REQUESTS_CA_BUNDLE); give a PEM file or a directory of '
                                                   'certificates' % self.ca_bundle)
        except W365Error as e:
            self.fail_from_exception(e)
        if gov_warning:
            self.warn(gov_warning)
        if self.params.get('token_cache') and not self._auth.supports_token_cache:
            self.warn('token_cache has no effect with auth_method=%s (%s); no token is stored on disk'
                      % (self._auth.name, self._auth.token_cache_note))

    @property
    def auth_method(self) -> Optional[str]:
        return self._auth.name

    @property
    def ca_bundle(self) -> Optional[str]:
        return self.params.get('ca_bundle') or None

    def _wrapped_credential(self, method, endpoints, option='auth_method'):
        gov = self.params.get('gov_auth') or {}
        secrets = secret_values(self.params) + [gov[o] for o in GOV_SECRET_OPTIONS if gov.get(o)]
        from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import process_credential
        try:
            # The credential of an earlier run in this process with the same inputs (a loop's items), so its
            # in-memory tokens are reused; dropped again on a 401 or a failed sign-in.
            credential, key = process_credential(method, self.retry)
        except (ValueError, TypeError) as e:
            # azure-identity and cryptography refuse some inputs with bare ValueError/TypeError (a malformed
            # tenant, an unreadable key): a failed task naming the sign-in inputs, never a traceback.
            raise W365ConfigError(option, 'auth_method=%s: the sign-in inputs were refused: %s' % (
                method.name, _scrub(str(e), secrets))) from None
        return _AuthErrorMapping(credential, method.name, secrets, method.token_cache, self.retry.timeout,
                                 endpoints.authority_host, tenant_id=method.inputs.get('tenant_id'),
                                 label='Azure Government tenant (gov_auth)' if method is self._gov_auth else None,
                                 cache_key=key)

    @property
    def credential(self) -> Any:
        """The task's sign-in (for cloud=gcc: the commercial GCC tenant, used for Microsoft Graph)."""
        if self._credential is None:
            self._credential = self._wrapped_credential(self._auth, self.endpoints)
        return self._credential

    @property
    def gov_credential(self) -> Any:
        """cloud=gcc: the Azure Government tenant's sign-in (option gov_auth); None for other clouds."""
        if self._gov_auth is None:
            return None
        if self._gov_credential is None:
            self._gov_credential = self._wrapped_credential(self._gov_auth, self.gov_endpoints, 'gov_auth.auth_method')
        return self._gov_credential

    @property
    def arm_credential(self) -> Any:
        """The credential for Azure Resource Manager: the Azure Government tenant's for cloud=gcc."""
        return self.gov_credential if self._gov_auth is not None else self.credential

    @property
    def arm_tenant_id(self) -> Optional[str]:
        """The tenant whose ARM the task calls (gov_auth.tenant_id for cloud=gcc)."""
        method = self._gov_auth if self._gov_auth is not None else self._auth
        return method.inputs.get('tenant_id')

    def ensure_credential(self) -> Any:
        """Build the credential(s) now (offline; the token is fetched on first use). Raises W365Error."""
        if self._gov_auth is not None:
            self.gov_credential  # pylint: disable=pointless-statement
        return self.credential

    def _client(self, key: Any, make: Callable[[], Any]) -> Any:
        """The task's one client for `key`, made by `make()` on first use."""
        if key not in self._clients:
            self._clients[key] = make()
        return self._clients[key]

    @property
    def graph(self) -> Any:
        """_graph.GraphClient of the task's sign-in."""
        from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient
        return self._client('graph', lambda: GraphClient(self.credential, self.endpoints, self.ca_bundle, self.retry))

    @property
    def directory_graph(self) -> Any:
        """Graph of the tenant whose directory holds the principals that get Azure roles: the Azure Government
        tenant's Graph (graph.microsoft.us) for cloud=gcc, else `graph`."""
        if self._gov_auth is None:
            return self.graph
        from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient
        return self._client('gov_graph', lambda: GraphClient(self.gov_credential, self.gov_endpoints, self.ca_bundle,
                                                             self.retry))

    @property
    def arm(self) -> Any:
        """_arm.ArmRestClient: plain ARM REST reads without an azure-mgmt SDK, one per task."""
        from ansible_collections.w365.cloudpc.plugins.module_utils._arm import ArmRestClient
        return self._client('arm', lambda: ArmRestClient(self.arm_credential, self.endpoints, self.ca_bundle, self.retry))

    def _arm(self, factory_name, subscription_id):
        from ansible_collections.w365.cloudpc.plugins.module_utils import _arm
        factory = getattr(_arm, factory_name)
        return self._client((factory_name, (subscription_id or '').lower()),
                            lambda: factory(self.arm_credential, subscription_id, self.endpoints, self.ca_bundle, self.retry))

    def authorization_client(self, subscription_id: str) -> Any:
        """azure-mgmt-authorization, for role-assignment writes (reads use `arm`)."""
        return self._arm('authorization_client', subscription_id)

    def refuse_control_characters(self, *options: Any) -> None:
        """Raise W365ConfigError naming the first of `options` whose text holds a control character (tab, newline,
        DEL, C1). Says where, never quotes the text."""
        for option in options:
            position = control_character_position(self.params.get(option))
            if position:
                raise W365ConfigError(option, 'contains a control character (tab, line break or similar) at '
                                              'position %d; remove it' % position)

    def run(self, body: Callable[[], Any], what: Optional[str] = None, result: Optional[Dict[str, Any]] = None) -> Any:
        """Call `body()`; any collection error fails the task through `fail_from_exception`.

        Build clients (`module.graph`, `module.arm`, ...) inside `body`: signing in may fail on user input.
        `what` names the object for service and sign-in errors ("Azure network connection 'x'"); `result` is a
        dict, or a callable returning one, of fields every failure reports (e.g. `changed` after a first write).
        """
        try:
            # The credential first (no network): a refused tenant, certificate or password fails here, by option.
            self.ensure_credential()
            return body()
        except W365Error as err:
            extra = result() if callable(result) else dict(result or {})
            self.fail_from_exception(err, what, **extra)

    def fail_from_exception(self, err: W365Error, what: Optional[str] = None, **result: Any) -> None:
        """The one failure result for a W365Error.

        Always `msg` (one readable line) and `error` (structured: type, and for service errors status, code,
        request id, service message); `option` at the top level for a W365ConfigError; `auth_method`; the
        fields `err.result` carries; `changed` (default false). `what` prefixes service and sign-in errors.
        An error with `api_error` (a service error it explains) reports that service error under `error`.
        """
        api_error = getattr(err, 'api_error', None)
        error = (api_error if isinstance(api_error, W365Error) else err).to_dict()
        text = str(err)
        if isinstance(err, W365ConfigError):
            result['option'] = err.option
        elif isinstance(err, W365WaitTimeout):
            text = '%s; %s' % (text, err.hint)
        elif isinstance(err, (W365ApiError, W365AuthError)) and what:
            text = '%s: %s' % (what, text)
        result.update(err.result or {})
        result.setdefault('changed', False)
        result.setdefault('auth_method', getattr(getattr(self, '_auth', None), 'name', None))
        self.fail_json(msg=text, error=error, **result)

    # The older name: every caller passes a W365Error and an optional prefix.
    fail_api = fail_from_exception

    def warn(self, warning: str, **kwargs: Any) -> None:
        """AnsibleModule.warn with the task's secrets masked: ansible-core does not mask no_log values in
        warnings, and a warning may quote an input that holds one (a password pasted into the wrong option)."""
        super(W365Module, self).warn(remove_values(warning, self.no_log_values), **kwargs)

    def exit(self, changed: bool, diff: Any = None, **result: Any) -> None:
        """exit_json with `auth_method`, and `diff` only when the task runs in diff mode."""
        result['auth_method'] = self.auth_method
        if diff is not None and self._diff:
            result['diff'] = diff
        self.exit_json(changed=changed, **result)


def _transport_error(exc):
    """The azure-core ServiceRequestError/ServiceResponseError behind a failed sign-in, or None."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def control_character_position(value: Any) -> int:
    """1-based position of the first control character in a string, or 0."""
    if not isinstance(value, str):
        return 0
    for position, char in enumerate(value, 1):
        if ord(char) < 32 or 127 <= ord(char) < 160:
            return position
    return 0


def _scrub(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, '***')
    return ' '.join(text.split())


@dataclasses.dataclass(eq=False, repr=False)  # repr=False: the fields hold the task's secrets
class _AuthErrorMapping:
    """Wraps a credential so sign-in failures surface as W365AuthError wherever the token is first needed."""

    credential: Any
    method_name: str
    secrets: List[str]
    token_cache: Any = None
    timeout: Optional[float] = None
    authority: Optional[str] = None
    tenant_id: Optional[str] = None
    # Which sign-in failed, when a task has two (cloud=gcc: 'Azure Government tenant (gov_auth)').
    label: Optional[str] = None
    # _token_cache.process_credential's key: lets clients drop the credential after a 401.
    cache_key: Any = None
    # After one failed sign-in the task asks Entra no more: the same credential would fail again, and each
    # failed attempt counts towards Entra smart lockout.
    _failure: Optional[W365Error] = dataclasses.field(default=None, init=False)

    def get_token(self, *scopes, **kwargs):
        return self._call('get_token', *scopes, **kwargs)

    def get_token_info(self, *scopes, **kwargs):
        return self._call('get_token_info', *scopes, **kwargs)

    def _call(self, name, *args, **kwargs):
        from azure.core.exceptions import ClientAuthenticationError
        if self._failure is not None:
            raise self._failure
        try:
            return getattr(self.credential, name)(*args, **kwargs)
        except ClientAuthenticationError as e:
            from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import forget_credential
            forget_credential(self.cache_key)
            if self.token_cache and isinstance(e.__cause__, ValueError):
                # azure-identity reports a cache file it cannot parse as a failed sign-in; say what to delete.
                from ansible_collections.w365.cloudpc.plugins.module_utils._token_cache import (
                    unreadable_cache_error, unreadable_cache_file)
                path = unreadable_cache_file(self.token_cache)
                if path:
                    raise unreadable_cache_error(path) from None
            transport = _transport_error(e)
            if transport is not None:
                # No answer from the token endpoint: say which service, where, and what to do.
                raise connection_error('entra', transport, url=self.authority, timeout=self.timeout) from None
            # `from None`: the chained original may quote the request, which can include the secret.
            failure = auth_error(e, self.method_name, self.secrets, self.tenant_id)
            if self.label:
                from ansible_collections.w365.cloudpc.plugins.module_utils._auth import W365SignInError
                failure = W365SignInError('%s: %s' % (self.label, failure), method=failure.method,
                                          aadsts=failure.aadsts, error=failure.error, remedy=failure.remedy)
            self._failure = failure
            raise self._failure from None

    def close(self):
        close = getattr(self.credential, 'close', None)
        if close:
            close()


__all__ = ['W365Module', 'auth_argument_spec', 'subscription_id_option', 'W365ApiError', 'W365AuthError',
           'W365Error']
