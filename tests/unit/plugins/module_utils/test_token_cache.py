# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The opt-in persistent token cache: which credentials get it, how it is named and stored, and that a second
credential (as a second task's process would build) takes its token from the cache instead of asking Entra."""
from __future__ import annotations

import importlib.util
import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.w365.cloudpc.plugins.module_utils import _token_cache
from ansible_collections.w365.cloudpc.plugins.module_utils._auth import auth_method_for
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ConfigError
from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module, auth_argument_spec

T = '72f988bf-86f1-41af-91ab-2d7cd011db47'
C = '11111111-2222-3333-4444-555555555555'
APP = {'tenant_id': T, 'client_id': C, 'client_secret': 'not-a-real-secret-1'}
ANCS = 'deviceManagement/virtualEndpoint/onPremisesConnections'
NO_LIBSECRET = importlib.util.find_spec('gi') is None


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """Every test gets its own home directory: the cache lives in ~/.IdentityService."""
    home = tmp_path / 'home'
    home.mkdir()
    monkeypatch.setenv('HOME', str(home))
    for name in ('W365_TOKEN_CACHE', 'W365_TOKEN_CACHE_ALLOW_UNENCRYPTED', 'IDENTITY_ENDPOINT', 'MSI_ENDPOINT',
                 'AZURE_CLIENT_SECRET', 'AZURE_SECRET', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID'):
        monkeypatch.delenv(name, raising=False)
    return home


def method(params, endpoints=None):
    return auth_method_for(params, endpoints or resolve_endpoints('public'), environ={})


def test_off_by_default_and_no_cache_kwargs():
    assert _token_cache.token_cache_from_params({}) is None
    assert _token_cache.token_cache_from_params({'token_cache': False, 'token_cache_allow_unencrypted': True}) is None
    auth = method(dict(APP))
    assert auth.token_cache is None
    assert 'cache_persistence_options' not in auth.common_kwargs()


def test_on_gives_a_collection_scoped_persistent_cache(home):
    auth = method(dict(APP, token_cache=True, token_cache_allow_unencrypted=True))
    options = auth.common_kwargs()['cache_persistence_options']
    assert options.name == 'w365.cloudpc'
    assert options.allow_unencrypted_storage is True
    # The directory is created private when absent.
    cache_dir = home / '.IdentityService'
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700


def test_existing_cache_directory_is_left_alone(home):
    shared = home / '.IdentityService'
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    method(dict(APP, token_cache=True, token_cache_allow_unencrypted=True)).common_kwargs()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755


def test_unusable_home_names_the_option(tmp_path, monkeypatch):
    # A home "directory" below a regular file cannot be created, whoever runs the test (root included).
    blocker = tmp_path / 'not-a-dir'
    blocker.write_text('x', encoding='utf-8')
    monkeypatch.setenv('HOME', str(blocker / 'home'))
    with pytest.raises(W365ConfigError) as e:
        method(dict(APP, token_cache=True, token_cache_allow_unencrypted=True)).common_kwargs()
    assert e.value.option == 'token_cache'
    assert 'cannot create the token cache directory' in str(e.value)


@pytest.mark.parametrize('name, extra', [('azure_cli', {}), ('managed_identity', {}),
                                         ('username_password', {'username': 'u@example.com', 'password': 'pw'})])
def test_methods_with_their_own_tokens_get_no_cache(name, extra):
    auth = method(dict(APP, auth_method=name, token_cache=True, token_cache_allow_unencrypted=True, **extra))
    assert auth.supports_token_cache is False
    assert auth.token_cache is None


@pytest.mark.skipif(not NO_LIBSECRET, reason='libsecret bindings are installed: encryption may work here')
def test_no_encryption_and_no_plaintext_consent_fails_naming_the_option(home):
    with pytest.raises(W365ConfigError) as e:
        method(dict(APP, token_cache=True))
    assert e.value.option == 'token_cache_allow_unencrypted'
    assert 'token_cache_allow_unencrypted=true' in str(e.value)
    assert 'not-a-real-secret-1' not in str(e.value)
    # Refused before anything was written.
    assert not (home / '.IdentityService' / 'w365.cloudpc.nocae').exists()


def test_options_and_env_fallbacks_in_the_shared_spec():
    spec = auth_argument_spec()
    assert spec['token_cache'] == dict(type='bool', default=False, fallback=spec['token_cache']['fallback'])
    assert spec['token_cache']['fallback'][1] == ['W365_TOKEN_CACHE']
    assert spec['token_cache_allow_unencrypted']['fallback'][1] == ['W365_TOKEN_CACHE_ALLOW_UNENCRYPTED']


def _module_result(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module = W365Module(argument_spec={})
            module.exit(False, token_cache_used=module._auth.token_cache is not None)
    return json.loads(capsys.readouterr().out)


def test_env_turns_it_on_and_azure_cli_warns(capsys, monkeypatch):
    monkeypatch.setenv('W365_TOKEN_CACHE', 'true')
    monkeypatch.setenv('W365_TOKEN_CACHE_ALLOW_UNENCRYPTED', 'yes')
    result = _module_result(dict(APP), capsys)
    assert result['token_cache_used'] is True and not result.get('warnings')
    result = _module_result({'auth_method': 'azure_cli'}, capsys)
    assert result['token_cache_used'] is False
    # ansible-core 2.19 hands warnings back as structured summaries; the text is inside.
    assert 'token_cache has no effect with auth_method=azure_cli' in json.dumps(result['warnings']), result


def test_second_credential_takes_the_token_from_the_cache(sb, home):
    """Two credentials built one after the other, as two tasks' processes do: one token request in all."""
    import core_sandbox as world
    from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient
    endpoints = resolve_endpoints('public', sb.url, sb.url, sb.url)
    params = {'tenant_id': world.PUBLIC_TENANT, 'client_id': world.OWNER_APP, 'client_secret': world.SECRET}

    def two_tasks(extra):
        for dummy in range(2):
            auth = auth_method_for(dict(params, **extra), endpoints, sb.ca_bundle, environ={})
            graph = GraphClient(auth.credential(), endpoints, sb.ca_bundle)
            graph.list(ANCS)
            graph.close()
        log = sb.requests()
        sb.clear_requests()
        return ([e for e in log if e['service'] == 'entra' and e['method'] == 'POST'],
                [e for e in log if e['service'] == 'graph'])

    posts, graph_requests = two_tasks({'token_cache': True, 'token_cache_allow_unencrypted': True})
    assert len(posts) == 1, posts
    assert graph_requests and all(e['status'] == 200 for e in graph_requests)
    cache_file = home / '.IdentityService' / 'w365.cloudpc.nocae'
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    assert world.SECRET not in cache_file.read_text(encoding='utf-8')
    # Without the option each credential asks Entra.
    posts = two_tasks({})[0]
    assert len(posts) == 2, posts


def test_unreadable_cache_file_fails_naming_the_option_and_the_file(sb, home):
    """A cache file that is not a token cache (truncated, another tool's) fails the task with what to delete."""
    import core_sandbox as world
    from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient
    from ansible_collections.w365.cloudpc.plugins.module_utils._module import _AuthErrorMapping
    cache_dir = home / '.IdentityService'
    cache_dir.mkdir(mode=0o700)
    (cache_dir / 'w365.cloudpc.nocae').write_text('{"AccessToken": {trunc', encoding='utf-8')
    endpoints = resolve_endpoints('public', sb.url, sb.url, sb.url)
    params = {'tenant_id': world.PUBLIC_TENANT, 'client_id': world.OWNER_APP, 'client_secret': world.SECRET,
              'token_cache': True, 'token_cache_allow_unencrypted': True}
    auth = auth_method_for(params, endpoints, sb.ca_bundle, environ={})
    credential = _AuthErrorMapping(auth.credential(), auth.name, [world.SECRET], auth.token_cache)
    with pytest.raises(W365ConfigError) as e:
        GraphClient(credential, endpoints, sb.ca_bundle).list(ANCS)
    assert e.value.option == 'token_cache'
    assert str(cache_dir / 'w365.cloudpc.nocae') in str(e.value)
    assert world.SECRET not in str(e.value)
    assert not [r for r in sb.requests() if r['service'] == 'graph']


def test_delegated_sign_in_stores_nothing(sb, home):
    """username_password: azure-identity would not find the user's token in a new process (no authentication
    record), so the collection keeps no cache for it: each credential signs in, and no refresh token lands on disk."""
    import core_sandbox as world
    from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient
    endpoints = resolve_endpoints('public', sb.url, sb.url, sb.url)
    params = {'auth_method': 'username_password', 'tenant_id': world.PUBLIC_TENANT, 'username': world.USER,
              'password': world.USER_PASSWORD, 'token_cache': True, 'token_cache_allow_unencrypted': True}
    for dummy in range(2):
        auth = auth_method_for(params, endpoints, sb.ca_bundle, environ={})
        assert auth.token_cache is None
        GraphClient(auth.credential(), endpoints, sb.ca_bundle).list(ANCS)
    posts = [e for e in sb.requests() if e['service'] == 'entra' and e['method'] == 'POST']
    assert [(e['body'] or {}).get('grant_type') for e in posts] == ['password', 'password']
    assert not (home / '.IdentityService').exists()
