# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory reuse within one process (issue 19): the items of a loop run in one worker, each a new module run;
they reuse the credential (its tokens) and the Windows 365 service principal found by the first. Separated by
sign-in inputs (tenant, client, secret), dropped on a 401 or a failed sign-in, never inherited across a fork, never
written anywhere."""
from __future__ import annotations

import os
from types import SimpleNamespace

import core_sandbox as world
import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _token_cache
from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError
from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import find_windows365_principal

SUBSCRIPTION = '/subscriptions/%s' % world.SUB


@pytest.fixture(autouse=True)
def empty_tables(monkeypatch):
    monkeypatch.setattr(_token_cache, '_PROCESS', {'pid': None, 'credentials': {}, 'principals': {}})


def module_run(sb, monkeypatch, **options):
    """One module run as a loop item does it: a new W365Module, a principal lookup and an ARM read."""
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.w365.cloudpc.plugins.module_utils._module import W365Module
    for name in ('AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_SECRET'):
        monkeypatch.delenv(name, raising=False)
    args = dict(tenant_id=world.PUBLIC_TENANT, client_id=world.OWNER_APP, client_secret=world.SECRET,
                authority_host=sb.url, graph_endpoint=sb.url, arm_endpoint=sb.url, ca_bundle=sb.ca_bundle,
                api_retries=0)
    args.update(options)
    with patch_module_args(args):
        module = W365Module(argument_spec={})
    principal = find_windows365_principal(module.graph)
    module.arm.get(SUBSCRIPTION, '2022-12-01')
    return module, principal


def entra(sb, method):
    return [r for r in sb.requests() if r['service'] == 'entra' and r['method'] == method]


def principal_lookups(sb):
    return [r for r in sb.requests() if r['service'] == 'graph' and r['path'].endswith('/servicePrincipals')]


def test_loop_items_reuse_tokens_and_the_principal(sb, monkeypatch):
    first, principal = module_run(sb, monkeypatch)
    assert principal == world.W365_SP
    assert len(entra(sb, 'POST')) == 2 and len(entra(sb, 'GET')) == 1 and len(principal_lookups(sb)) == 1
    sb.clear_requests()
    second, principal = module_run(sb, monkeypatch)
    assert principal == world.W365_SP
    assert second.credential is not first.credential  # each run has its own wrapper (its own failure state)
    # No discovery GET, no token POST, no principal lookup: the second item sends only its ARM read.
    assert [(r['service'], r['method']) for r in sb.requests()] == [('arm', 'GET')]


def test_other_sign_in_inputs_never_share_a_credential_or_a_principal(sb, monkeypatch):
    module_run(sb, monkeypatch)
    sb.clear_requests()
    # Another client of the same tenant (without Azure roles: the ARM read is refused, which is fine here).
    with pytest.raises(W365ApiError):
        module_run(sb, monkeypatch, client_id=world.READER_APP)
    assert len(entra(sb, 'POST')) >= 1 and len(principal_lookups(sb)) == 1


def _method(**inputs):
    base = dict(tenant_id='t-a', client_id='c-1', client_secret='s3cret-value-1')
    base.update(inputs)
    return SimpleNamespace(name='client_secret', interactive=False, ca_bundle=None, token_cache=None, inputs=base,
                           endpoints=SimpleNamespace(authority_host='https://login', graph_endpoint='https://graph',
                                                     arm_endpoint='https://arm'))


def test_the_key_separates_tenants_clients_and_secrets_and_holds_no_secret():
    key = _token_cache.credential_key(_method())
    assert key == _token_cache.credential_key(_method())
    for other in (dict(tenant_id='t-b'), dict(client_id='c-2'), dict(client_secret='s3cret-value-2')):
        assert _token_cache.credential_key(_method(**other)) != key, other
    assert 's3cret' not in key and 'c-1' not in key


def test_process_credential_builds_once_per_key_and_tenant():
    built = []

    def method(tenant):
        m = _method(tenant_id=tenant)
        m.credential = lambda: built.append(tenant) or object()
        return m
    a1, key_a = _token_cache.process_credential(method('t-a'))
    a2, dummy = _token_cache.process_credential(method('t-a'))
    b1, key_b = _token_cache.process_credential(method('t-b'))
    assert a1 is a2 and b1 is not a1 and key_a != key_b and built == ['t-a', 't-b']
    _token_cache.remember_principal(key_a, 'https://graph', 'APP', 'sp-a')
    assert _token_cache.remembered_principal(key_a, 'https://graph', 'app') == 'sp-a'
    assert _token_cache.remembered_principal(key_b, 'https://graph', 'app') is None
    _token_cache.remember_principal(key_b, 'https://graph', 'app', None)  # an absence is never kept
    assert _token_cache.remembered_principal(key_b, 'https://graph', 'app') is None


def test_a_401_from_the_service_drops_the_credential_for_the_next_run(sb, monkeypatch):
    module_run(sb, monkeypatch)
    sb.fault({'method': 'GET', 'path': r'/subscriptions/[^/]+$', 'status': 401, 'code': 'InvalidAuthenticationToken',
              'service': 'arm', 'count': 1})
    with pytest.raises(W365ApiError) as e:
        module_run(sb, monkeypatch)
    assert e.value.status == 401
    sb.clear_requests()
    module_run(sb, monkeypatch)
    # Signed in afresh (discovery and both tokens) and the principal looked up again.
    assert len(entra(sb, 'GET')) == 1 and len(entra(sb, 'POST')) == 2 and len(principal_lookups(sb)) == 1


def test_a_failed_sign_in_is_not_kept(sb, monkeypatch):
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365AuthError
    sb.fault({'method': 'POST', 'path': r'/oauth2/v2\.0/token$', 'status': 400, 'code': 'invalid_client',
              'service': 'entra', 'count': 1})
    with pytest.raises(W365AuthError):
        module_run(sb, monkeypatch)
    assert _token_cache._PROCESS['credentials'] == {}
    assert module_run(sb, monkeypatch)[1] == world.W365_SP


def test_a_forked_child_starts_with_empty_tables(sb, monkeypatch):
    module_run(sb, monkeypatch)
    assert _token_cache._PROCESS['credentials'] and _token_cache._PROCESS['principals']
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            tables = _token_cache._tables()
            os.write(write_end, b'empty' if not tables['credentials'] and not tables['principals'] else b'inherited')
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    answer = os.read(read_end, 16)
    os.close(read_end)
    os.waitpid(pid, 0)
    assert answer == b'empty'
    assert _token_cache._PROCESS['credentials']  # the parent keeps its own
