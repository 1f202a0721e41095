# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option token_cache under ansible-playbook against the sandbox: with it, a later task of the play sends no token
request; without it, every task signs in; the cache file is private and nothing in the output carries a token."""

from __future__ import annotations

import importlib.util
import json
import stat
from pathlib import Path

import pytest

from tests.conftest import DEMO_SEED

CACHE_DIR = '.IdentityService'


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    from tests.helpers.sandbox import start_sandbox
    # Real time: a cached token must stay valid (one simulated hour) for the whole test.
    sandbox = start_sandbox(DEMO_SEED, time_scale=1, workdir=tmp_path_factory.mktemp('token-cache'))
    yield sandbox
    sandbox.stop()


def token_posts(log):
    """(tenant, scope) of every token request in the sandbox log."""
    posts = []
    for entry in log:
        if entry.get('service') == 'entra' and entry['method'] == 'POST' and entry['path'].endswith('/token'):
            posts.append((entry.get('tenant'), (entry.get('body') or {}).get('scope')))
    return posts


def play(auth, tasks):
    return [{'name': 'token cache', 'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/w365.cloudpc.w365': auth}, 'tasks': tasks}]


def graph_and_arm_tasks(box, repeat=2):
    """Each round: a Graph-only task and a task that needs a Graph and an ARM token."""
    sub = box.seed['tenants'][0]['subscriptions'][0]['id']
    tasks = []
    for i in range(repeat):
        tasks.append({'name': 'anc info %d' % i, 'w365.cloudpc.w365_anc_info': {}})
        tasks.append({'name': 'grants %d' % i, 'w365.cloudpc.w365_role_grant_info': {
            'purpose': 'custom_image', 'subscription_id': sub}})
    return tasks


def cached_access_tokens(home: Path):
    tokens = []
    for path in (home / CACHE_DIR).glob('w365.cloudpc.*'):
        if path.name.endswith('.lockfile'):
            continue
        data = json.loads(path.read_text(encoding='utf-8'))
        tokens.extend(item['secret'] for item in (data.get('AccessToken') or {}).values())
    return tokens


def test_second_task_sends_no_token_request_and_nothing_leaks(box, run_playbook, tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    auth = dict(box.auth_vars(0), token_cache=True, token_cache_allow_unencrypted=True)
    box.clear_requests()
    result = run_playbook(play(auth, graph_and_arm_tasks(box)), env={'HOME': str(home)}, verbosity=3)
    assert result.rc == 0, result
    posts = token_posts(box.requests())
    # One token per audience for the whole play; the other three tasks found theirs in the cache.
    scopes = sorted(post[1] for post in posts)
    assert scopes == ['https://graph.microsoft.com/.default', 'https://management.azure.com/.default'], posts

    cache = home / CACHE_DIR
    files = sorted(p.name for p in cache.iterdir())
    assert 'w365.cloudpc.nocae' in files, files
    for path in cache.glob('w365.cloudpc.*'):
        if not path.name.endswith('.lockfile'):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
    tokens = cached_access_tokens(home)
    assert len(tokens) == 2
    everything = result.stdout + result.stderr + json.dumps(result.results)
    for secret in tokens + [auth['client_secret']]:
        assert secret not in everything

    # A new ansible-playbook run (new processes, same user) still signs in with no token request.
    box.clear_requests()
    again = run_playbook(play(auth, graph_and_arm_tasks(box, repeat=1)), env={'HOME': str(home)})
    assert again.rc == 0, again
    assert token_posts(box.requests()) == []


def test_without_the_option_every_task_signs_in_and_nothing_is_written(box, run_playbook, tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    box.clear_requests()
    result = run_playbook(play(box.auth_vars(0), graph_and_arm_tasks(box)), env={'HOME': str(home)})
    assert result.rc == 0, result
    posts = token_posts(box.requests())
    # anc_info: one Graph token; role_grant_info: one Graph and one ARM token; twice each.
    assert len(posts) == 6, posts
    assert not (home / CACHE_DIR).exists()


@pytest.mark.skipif(importlib.util.find_spec('gi') is not None,
                    reason='libsecret bindings are installed: the cache could be encrypted here')
def test_env_opt_in_without_encryption_fails_before_any_request(box, run_playbook, tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    box.clear_requests()
    result = run_playbook(play(box.auth_vars(0), [{'name': 'anc info', 'w365.cloudpc.w365_anc_info': {},
                                                   'ignore_errors': True}]),
                          env={'HOME': str(home), 'W365_TOKEN_CACHE': 'true'})
    assert result.entry('anc info')['status'] == 'ignored', result
    failed = result.result('anc info')
    assert 'token_cache_allow_unencrypted' in failed['msg']
    assert failed['error']['option'] == 'token_cache_allow_unencrypted'
    assert box.requests() == []
    assert not (home / CACHE_DIR / 'w365.cloudpc.nocae').exists()
