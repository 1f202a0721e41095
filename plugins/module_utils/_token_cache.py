# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The opt-in persistent token cache (option `token_cache`), shared by the tasks of a play.

Every module is a new process, so without it every task signs in again. With it, azure-identity keeps the MSAL
token cache in `~/.IdentityService/w365.cloudpc.*` of the user running the module; a later task with the same
tenant, client and audience takes the token from there instead of asking Entra. That file holds bearer tokens
of app identities: it is off by default and plaintext needs a second opt-in. username_password, azure_cli and
managed_identity do not use it (AuthMethod.supports_token_cache); device_code always does (it keeps the user's
refresh token there, AuthMethod.requires_token_cache), under the same encryption rule.
"""

from __future__ import annotations

import os
import sys
from typing import Any, List, Mapping, NamedTuple, Optional, Tuple

from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError

# Scoped to this collection: never shares the cache of the Azure CLI, VS Code or other azure-identity users.
CACHE_NAME = 'w365.cloudpc'
# azure-identity appends one suffix per cache: tokens with continuous access evaluation (ARM asks for them) and
# without (Graph).
CACHE_SUFFIXES = ('.nocae', '.cae')


class TokenCache(NamedTuple):
    allow_unencrypted: bool = False
    name: str = CACHE_NAME


def token_cache_from_params(params: Mapping[str, Any]) -> Optional[TokenCache]:
    """TokenCache when the task turned the cache on, else None. Pure: no import of azure-identity."""
    if not params.get('token_cache'):
        return None
    return TokenCache(allow_unencrypted=bool(params.get('token_cache_allow_unencrypted')))


def cache_paths(name: str = CACHE_NAME, home: Optional[str] = None) -> List[str]:
    """The files azure-identity writes on Linux and macOS (with their `.lockfile` siblings), for docs and clean-up."""
    base = os.path.join(home or os.path.expanduser('~'), '.IdentityService')
    paths = []
    for suffix in CACHE_SUFFIXES:
        paths.append(os.path.join(base, name + suffix))
        paths.append(os.path.join(base, name + suffix + '.lockfile'))
    return paths


def persistence_options(cache: TokenCache, home: Optional[str] = None) -> Any:
    """azure-identity's TokenCachePersistenceOptions for `cache`, its directory created private if absent."""
    from azure.identity import TokenCachePersistenceOptions
    ensure_private_dir(home)
    return TokenCachePersistenceOptions(name=cache.name, allow_unencrypted_storage=cache.allow_unencrypted)


def ensure_private_dir(home: Optional[str] = None) -> str:
    """Create ~/.IdentityService as 0700 when it does not exist yet (msal-extensions would use the umask, often
    0755). An existing directory is left alone: other Microsoft tools share it."""
    path = os.path.join(home or os.path.expanduser('~'), '.IdentityService')
    if not os.path.isdir(path):
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except OSError as e:
            raise W365ConfigError('token_cache', 'cannot create the token cache directory %s: %s; turn token_cache '
                                                 'off or run as a user with a writable home directory'
                                  % (path, e.strerror or e)) from None
    return path


def check_storable(cache: TokenCache) -> None:
    """Raise W365ConfigError when the cache cannot be kept as the task asked (no encryption, plaintext not allowed).

    azure-identity would only find out at the first token request, as a bare ValueError; this runs when the
    sign-in inputs are validated, before anything is sent.
    """
    if not cache.allow_unencrypted:
        check_encryption(cache.name)


def check_encryption(name: str = CACHE_NAME) -> None:
    """Raise W365ConfigError when the platform cannot encrypt the cache (Linux without a usable libsecret)."""
    if not sys.platform.startswith('linux'):
        # Windows (DPAPI) and macOS (Keychain) always encrypt.
        return
    try:
        from azure.identity._persistent_cache import _get_persistence
    except ImportError:
        # A future azure-identity moved it: its own error at the first token request still stops the task.
        return
    try:
        _get_persistence(allow_unencrypted=False, account_name='MSALCache', cache_name=name + CACHE_SUFFIXES[0])
    except ValueError:
        raise W365ConfigError(
            'token_cache_allow_unencrypted',
            'token_cache is on, but this machine cannot encrypt the token cache (libsecret and a running Secret '
            'Service such as gnome-keyring are needed on Linux; containers and SSH sessions usually have none). '
            'Set token_cache_allow_unencrypted=true (env W365_TOKEN_CACHE_ALLOW_UNENCRYPTED) to keep the tokens '
            'in a plaintext file readable only by this user (mode 0600, %s), or turn token_cache off'
            % os.path.join('~', '.IdentityService', name + '.*')) from None


def unreadable_cache_file(cache: TokenCache, home: Optional[str] = None) -> Optional[str]:
    """Path of a plaintext cache file that is not valid JSON (truncated, hand-edited), else None.

    Only plaintext files can be checked: an encrypted cache keeps its data in the keyring, not in the file.
    """
    import json
    if not cache or not cache.allow_unencrypted or not sys.platform.startswith('linux'):
        return None
    for path in cache_paths(cache.name, home):
        if path.endswith('.lockfile') or not os.path.isfile(path):
            continue
        try:
            with open(path, 'rb') as handle:
                text = handle.read().decode('utf-8')
            if text.strip():
                json.loads(text)
        except (ValueError, OSError):
            # UnicodeDecodeError and JSONDecodeError are ValueErrors; an unreadable file is just as unusable.
            return path
    return None


def unreadable_cache_error(path: str) -> W365ConfigError:
    return W365ConfigError('token_cache', 'the token cache file %s cannot be read as a token cache (truncated or '
                                          'not written by this collection); delete it and run again, or turn '
                                          'token_cache off' % path)


# -- in-memory reuse within one process (no disk) ----------------------------------------------------------------
# The items of a loop run in one worker process, each a new module run. Without reuse each item builds a new
# credential, so it asks Entra for the tenant's OpenID configuration and a token per audience again, and looks the
# Windows 365 service principal up again. These tables keep, per process, the credential (and with it the tokens
# azure-identity holds in memory) and the principal's object ID found with it. They are keyed by process id: a
# forked child (an Ansible worker is a fork of the controller) starts empty, since a credential built in the
# parent holds the parent's HTTPS connections. Nothing here is written anywhere.
_PROCESS: dict = {'pid': None, 'credentials': {}, 'principals': {}}


def _tables():
    if _PROCESS['pid'] != os.getpid():
        _PROCESS.update(pid=os.getpid(), credentials={}, principals={})
    return _PROCESS


def credential_key(method: Any, retry: Any = None) -> str:
    """What makes the credentials of two module runs interchangeable: the method, its every input (secrets
    included, so another secret is another key), endpoints, TLS trust, request settings and the persistent cache
    choice. A SHA-256 digest: the key never holds a secret in clear."""
    import hashlib

    endpoints = method.endpoints
    parts = [method.name, str(getattr(method, 'interactive', False)), repr(method.ca_bundle), repr(retry),
             repr(method.token_cache), repr(getattr(endpoints, 'authority_host', None)),
             repr(getattr(endpoints, 'graph_endpoint', None)), repr(getattr(endpoints, 'arm_endpoint', None))]
    for option in sorted(method.inputs or {}):
        parts.append('%s=%r' % (option, method.inputs[option]))
    return hashlib.sha256('\0'.join(parts).encode('utf-8', 'surrogatepass')).hexdigest()


def process_credential(method: Any, retry: Any = None) -> Tuple[Any, str]:
    """(credential, key): the credential an earlier module run of this process built for the same inputs, else a
    new one from `method.credential()` (kept for the next run). Errors of `method.credential()` are not kept."""
    key = credential_key(method, retry)
    credentials = _tables()['credentials']
    credential = credentials.get(key)
    if credential is None:
        credential = credentials[key] = method.credential()
    return credential, key


def forget_credential(key: Optional[str]) -> None:
    """Drop the credential kept under `key` and what was found with it: after a 401 from Graph or ARM (a token
    the service no longer accepts) or a failed sign-in, the next module run signs in afresh."""
    if key is None:
        return
    tables = _tables()
    tables['credentials'].pop(key, None)
    for found in [k for k in tables['principals'] if k[0] == key]:
        del tables['principals'][found]


def remembered_principal(key: Optional[str], service_root: Optional[str], app_id: str) -> Optional[str]:
    """The object ID found earlier in this process for app `app_id` with the credential `key`, or None."""
    if key is None:
        return None
    return _tables()['principals'].get((key, service_root, app_id.lower()))


def remember_principal(key: Optional[str], service_root: Optional[str], app_id: str, object_id: Optional[str]) -> None:
    """Keep a found object ID (never an absence: a principal created later must be seen)."""
    if key is not None and object_id:
        _tables()['principals'][(key, service_root, app_id.lower())] = object_id
