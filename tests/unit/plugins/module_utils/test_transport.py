# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTPS connection per host per process (issue 19): token, Graph and ARM requests share a session; a forked
child never uses its parent's connections."""
from __future__ import annotations

import os
from types import SimpleNamespace

import core_sandbox as world
import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _graph
from ansible_collections.w365.cloudpc.plugins.module_utils._arm import ArmRestClient
from ansible_collections.w365.cloudpc.plugins.module_utils._auth import auth_method_for
from ansible_collections.w365.cloudpc.plugins.module_utils._clouds import resolve_endpoints
from ansible_collections.w365.cloudpc.plugins.module_utils._constants import API_SUBSCRIPTIONS
from ansible_collections.w365.cloudpc.plugins.module_utils._graph import GraphClient, shared_session
from ansible_collections.w365.cloudpc.plugins.module_utils._retry import RetrySettings
from ansible_collections.w365.cloudpc.plugins.module_utils._service_principal import find_windows365_principal

FAST = RetrySettings(max_attempts=3, max_total_wait=5.0, backoff_factor=0.05)


def _connections_made(session):
    """New connections the session's pools opened so far (urllib3 counts them per pool)."""
    manager = session.get_adapter('https://').poolmanager
    return sum(pool.num_connections for pool in list(manager.pools._container.values()))


def _task(sb):
    """What one module run builds: a credential as W365Module does (request settings set), a Graph and an ARM
    client; one principal lookup and one subscription read, then every client closed."""
    endpoints = resolve_endpoints('public', sb.url, sb.url, sb.url)
    method = auth_method_for({'auth_method': 'auto', 'tenant_id': world.PUBLIC_TENANT, 'client_id': world.OWNER_APP,
                              'client_secret': world.SECRET}, endpoints, sb.ca_bundle, environ={})
    method.request_settings = FAST
    credential = method.credential()
    graph = GraphClient(credential, endpoints, sb.ca_bundle, FAST)
    arm = ArmRestClient(credential, endpoints, sb.ca_bundle, FAST)
    try:
        assert find_windows365_principal(graph) == world.W365_SP
        assert arm.get('/subscriptions/%s' % world.SUB, API_SUBSCRIPTIONS)['subscriptionId'] == world.SUB
    finally:
        graph.close()
        arm.close()
        credential.close()


@pytest.fixture
def fresh_session(monkeypatch):
    """This process's shared session, emptied: the test counts only its own connections."""
    monkeypatch.setattr(_graph, '_SESSIONS', {})
    yield
    for session in _graph._SESSIONS.values():
        session.close()


def test_one_session_per_process_and_closing_a_client_keeps_it(fresh_session):
    session = shared_session()
    assert shared_session() is session
    client = _graph.RestClient(object(), 'https://graph.example.test', 'https://graph.example.test/.default')
    assert client._client._pipeline._transport.session is session
    client.close()
    assert shared_session() is session
    assert session.get_adapter('https://') is not None


def test_token_graph_and_arm_requests_of_a_task_share_one_connection(sb, fresh_session):
    """Sandbox: Entra, Graph and ARM are one host, so a whole task needs one TLS connection (three before: one
    per client). Against Azure each host gets one."""
    _task(sb)
    logged = [r['service'] for r in sb.requests()]
    assert logged.count('entra') >= 2 and 'graph' in logged and 'arm' in logged
    assert _connections_made(shared_session()) == 1


def test_loop_items_in_one_worker_reuse_the_connection(sb, fresh_session):
    """Items of a loop run in one worker process, each a new module run: the second opens no new connection."""
    _task(sb)
    _task(sb)
    assert _connections_made(shared_session()) == 1


def test_a_forked_child_never_uses_its_parents_session(sb, fresh_session):
    """An Ansible worker is a fork of the controller: the child gets its own session (and its own connections);
    the parent's session and its open connection are untouched."""
    _task(sb)
    parent = shared_session()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            own = shared_session()
            made_before = _connections_made(own)
            _task(sb)
            ok = own is not parent and made_before == 0 and _connections_made(own) == 1
            os.write(write_end, b'ok' if ok else b'shared')
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    answer = os.read(read_end, 16)
    os.close(read_end)
    os.waitpid(pid, 0)
    assert answer == b'ok'
    # The parent's connection survived the child: its next task still needs no new connection.
    assert shared_session() is parent
    _task(sb)
    assert _connections_made(parent) == 1


def test_a_connection_verified_against_one_ca_is_never_reused_by_a_client_trusting_another(sb, fresh_session):
    """The pools are keyed by TLS trust too: a client without the sandbox's CA gets a new connection, which fails
    verification, instead of riding on the connection a client with that CA left open."""
    from ansible_collections.w365.cloudpc.plugins.module_utils._errors import W365ApiError, W365AuthError
    _task(sb)
    endpoints = resolve_endpoints('public', sb.url, sb.url, sb.url)
    token = SimpleNamespace(token='x', expires_on=2 ** 31 - 1)
    credential = SimpleNamespace(get_token=lambda *scopes, **kwargs: token)
    graph = GraphClient(credential, endpoints, None, RetrySettings(max_attempts=1))
    with pytest.raises((W365ApiError, W365AuthError)) as e:
        graph.get('servicePrincipals')
    assert 'SSLCertVerificationError' in str(e.value)
