# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The in-process path (plugins/action/*, plugins/plugin_utils/_inprocess.py) is the same module as the module process.

The same play runs with the modules in the controller's worker process and as module processes
(W365_IN_PROCESS=0); every task result must be identical: keys, changed, invocation, masking, warnings, check
mode and diff. -vvv shows which path each task took (and the module path's AnsiballZ lines), so the tests also
prove the in-process path was taken. A module exception on the in-process path fails the task with its message,
masked, and no traceback.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers.anc import JOIN_PW, SUB, hybrid_args, run, start_anc_sandbox, task
from tests.helpers.playbook import COLLECTIONS

IN_PROCESS = 'in the controller process (in_process'
MODULE_PROCESS = 'as a module process (module_process'


@pytest.fixture(scope='module')
def box(tmp_path_factory):
    sandbox = start_anc_sandbox(tmp_path_factory, 'in-process')
    yield sandbox
    sandbox.stop()


def parity_tasks():
    warn_args = hybrid_args(organizational_unit='OU=Elsewhere,DC=other,DC=example')
    return [
        task('info', None, module='w365.cloudpc.w365_anc_info'),
        task('predict', 'anc-parity', check=True, diff=True, **hybrid_args()),
        task('warned', 'anc-parity-warn', check=True, diff=True, **warn_args),
        task('bad_choice', 'anc-parity', ignore_errors=True, **hybrid_args(join_type='bogus')),
        task('bad_config', 'anc-parity', ignore_errors=True, check=True, **hybrid_args(wait_timeout=-1)),
        # One worker runs every item of a loop: the first warns, the second must not inherit it, the third fails.
        dict(task('looped', '{{ item.name }}', check=True, ignore_errors=True,
                  **hybrid_args(organizational_unit='{{ item.ou }}')),
             loop=[{'name': 'anc-loop-1', 'ou': 'OU=Loop,DC=other,DC=example'},
                   {'name': 'anc-loop-2', 'ou': 'OU=CloudPCs,DC=corp,DC=ancco,DC=com'},
                   {'name': 'x' * 300, 'ou': 'OU=CloudPCs,DC=corp,DC=ancco,DC=com'}]),
        task('grants', None, module='w365.cloudpc.w365_role_grant_info', ignore_errors=True,
             purpose='custom_image', subscription_id=SUB),
        task('images', None, module='w365.cloudpc.w365_custom_image_info'),
    ]


def _normalised(result):
    """A task result without what legitimately differs between two runs (none of the module's own keys)."""
    return {k: v for k, v in result.items() if k not in ('_ansible_no_log',)}


def _paths_taken(stdout):
    return len(re.findall(re.escape(IN_PROCESS), stdout)), len(re.findall(re.escape(MODULE_PROCESS), stdout))


def test_both_paths_give_the_same_results(box, run_playbook):
    password = box.auth_vars(0, 'user')['password']
    runs, sent = {}, {}
    for in_process in (False, True):
        res, writes = run(box, run_playbook, parity_tasks(), verbosity=4, in_process=in_process)
        assert res.rc == 0, str(res)
        assert writes == [], writes  # check mode and failures send nothing on either path
        runs[in_process] = res
        sent[in_process] = sorted('%s %s %s' % (e.get('service'), e['method'], e['path']) for e in box.requests())
        output = res.stdout + res.stderr
        for secret in (password, JOIN_PW):
            assert secret not in output, 'a secret reached the -vvvv output (in_process=%s)' % in_process
        # Every task of the play is a module task; a loop runs the module once per item.
        runs_of_modules = sum(len(e['result'].get('results') or [None]) for e in res.results)
        if in_process:
            assert _paths_taken(res.stdout) == (runs_of_modules, 0), res.stdout[-3000:]
            assert 'AnsiballZ_w365' not in res.stdout
        else:
            assert _paths_taken(res.stdout) == (0, runs_of_modules), res.stdout[-3000:]
            assert 'AnsiballZ_w365' in res.stdout

    fast, slow = runs[True], runs[False]
    # The same Graph and ARM requests: the in-process path changes where the module runs, not what it reads or writes.

    def service_requests(log):
        return [r for r in log if not r.startswith('entra ')]
    assert service_requests(sent[True]) == service_requests(sent[False]) and service_requests(sent[True])
    # Sign-in: as module processes every run of the module signs in (the OpenID configuration GET and a Graph token
    # POST); in-process, the later items of the loop (one worker runs them all) reuse the first item's credential
    # (issue 19), so the two later items of 'looped' send neither.
    entra_fast = collections.Counter(r for r in sent[True] if r.startswith('entra '))
    entra_slow = collections.Counter(r for r in sent[False] if r.startswith('entra '))
    assert set(entra_fast) == set(entra_slow)
    assert entra_slow - entra_fast == collections.Counter({r: 2 for r in entra_slow if 'openid-configuration' in r
                                                           or r.endswith('/token')}), (entra_slow, entra_fast)
    assert [(e['task'], e['status']) for e in fast.results] == [(e['task'], e['status']) for e in slow.results]
    for a, b in zip(fast.results, slow.results):
        assert _normalised(a['result']) == _normalised(b['result']), a['task']

    # What the comparison covered, on the in-process run.
    predict = fast.result('predict')
    assert predict['changed'] is True and predict['diff']['after']['ad_domain_password'] == '(set)'
    assert predict['invocation']['module_args']['ad_domain_password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    warned = fast.result('warned')
    assert len(warned['warnings']) == 1 and 'lies outside ad_domain_name' in str(warned['warnings'][0])
    assert 'join_type' in fast.result('bad_choice')['msg']
    assert fast.entry('bad_config')['status'] == 'ignored'
    assert 'wait_timeout' in fast.result('bad_config')['msg']
    items = fast.result('looped')['results']
    assert [item['failed'] for item in items] == [False, False, True]
    # The callback takes each item's warnings out of its result once shown: count what was shown. A warning left
    # in the module_utils globals by item 1 would be shown again with item 2.
    shown = "[WARNING]: organizational_unit 'OU=Loop,"
    counts = [(run.stdout + run.stderr).count(shown) for run in (fast, slow)]
    assert counts == [1, 1], counts
    assert items[2]['msg'].startswith('name must be') and 'warnings' not in items[2]


CRASH_MODULE = '''\
#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: crash
short_description: raises what a bug would
description: [test module]
author: [test]
options:
  secret: {type: str, no_log: true, description: [a secret]}
  early: {type: bool, default: false, description: [raise before AnsibleModule reads the options]}
"""

import os

from ansible.module_utils.basic import AnsibleModule


def main():
    if os.environ.get('CRASH_EARLY') == '1':
        raise RuntimeError('early failure quoting %s' % os.environ['CRASH_SECRET'])
    module = AnsibleModule(argument_spec=dict(secret=dict(type='str', no_log=True), early=dict(type='bool')))
    values = {}
    values['missing'] = 'an uncaught KeyError follows for %s' % module.params['secret']
    raise ValueError('could not use %s' % module.params['secret'])


if __name__ == '__main__':
    main()
'''

CRASH_ACTION = '''\
from __future__ import annotations

import importlib

from ansible_collections.w365.cloudpc.plugins.plugin_utils._inprocess import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    MODULE = importlib.import_module('ansible_collections.w365test.crash.plugins.modules.crash')
'''


@pytest.fixture
def crash_collection(tmp_path):
    root = tmp_path / 'crash-collections'
    base = root / 'ansible_collections' / 'w365test' / 'crash'
    (base / 'plugins' / 'modules').mkdir(parents=True)
    (base / 'plugins' / 'action').mkdir(parents=True)
    (base / 'plugins' / 'modules' / 'crash.py').write_text(CRASH_MODULE, encoding='utf-8')
    (base / 'plugins' / 'action' / 'crash.py').write_text(CRASH_ACTION, encoding='utf-8')
    (base / 'galaxy.yml').write_text('namespace: w365test\nname: crash\nversion: 1.0.0\n', encoding='utf-8')
    return root


def test_module_exception_fails_the_task_without_traceback(run_playbook, crash_collection):
    secret = 'Crash-Secret-8731'
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'raises', 'w365test.crash.crash': {'secret': '{{ crash_secret }}'}, 'ignore_errors': True},
        {'name': 'raises early', 'w365test.crash.crash': {}, 'ignore_errors': True,
         'environment': {'CRASH_EARLY': '1', 'CRASH_SECRET': '{{ crash_secret }}'}},
        {'name': 'after', 'ansible.builtin.debug': {'msg': 'the worker pool still runs tasks'}},
    ]}]
    env = {'ANSIBLE_COLLECTIONS_PATH': '%s%s%s' % (crash_collection, os.pathsep, COLLECTIONS)}
    res = run_playbook(play, extra_vars={'crash_secret': secret}, verbosity=4, env=env, in_process=True)
    assert res.rc == 0, str(res)
    assert res.stdout.count(IN_PROCESS) == 2, res.stdout[-3000:]
    assert res.entry('after')['status'] == 'ok'
    assert secret not in res.stdout + res.stderr
    assert 'Traceback' not in res.stdout + res.stderr

    crash = res.result('raises')
    assert res.entry('raises')['status'] == 'ignored' and crash['changed'] is False
    assert crash['msg'].startswith('MODULE FAILURE: w365test.crash.crash raised an unexpected error')
    # The module's message, masked by the module's own no_log values, and where it was raised.
    assert 'ValueError: could not use ********' in crash['msg']
    assert 'crash/plugins/modules/crash.py:' in crash['msg'] and 'in main' in crash['msg']
    # Ansible's own placeholder where a module process's traceback would go.
    assert crash.get('exception') == '(traceback unavailable)' and 'module_stderr' not in crash

    early = res.result('raises early')
    assert res.entry('raises early')['status'] == 'ignored'
    assert 'RuntimeError (message withheld' in early['msg'] and secret not in early['msg']
    # The task environment reached the module, and was gone again afterwards.
    assert 'CRASH_EARLY' not in os.environ


def test_opt_out_and_other_interpreters_take_the_module_path(box, run_playbook, tmp_path):
    other = shutil.which('python3', path='/usr/bin:/bin')
    if other is None or os.path.realpath(os.path.dirname(other)) == os.path.realpath(os.path.dirname(sys.executable)):
        pytest.skip('no Python outside the virtualenv to compare with')
    # A symlink to this venv's python through another directory is still the controller's Python.
    alias = tmp_path / 'alias-bin'
    alias.symlink_to(Path(sys.executable).parent, target_is_directory=True)
    tasks = [
        dict(task('var_off', None, module='w365.cloudpc.w365_anc_info'), vars={'w365_in_process': False}),
        dict(task('var_templated', None, module='w365.cloudpc.w365_anc_info'),
             vars={'w365_in_process': '{{ 1 == 2 }}'}),
        dict(task('other_python', None, module='w365.cloudpc.w365_anc_info', ignore_errors=True),
             vars={'ansible_python_interpreter': other}),
        dict(task('same_python', None, module='w365.cloudpc.w365_anc_info'),
             vars={'ansible_python_interpreter': str(alias / Path(sys.executable).name)}),
        task('default', None, module='w365.cloudpc.w365_anc_info'),
    ]
    res, _writes = run(box, run_playbook, tasks, verbosity=3, in_process=True)
    assert res.rc == 0, str(res)
    lines = [line for line in res.stdout.splitlines() if 'w365.cloudpc: running' in line]
    assert len(lines) == 5, lines
    assert 'module_process: w365_in_process: False' in lines[0]
    assert 'module_process: w365_in_process: False' in lines[1]
    assert 'module_process: interpreter %s' % other in lines[2]
    assert IN_PROCESS in lines[3] and IN_PROCESS in lines[4]
    assert res.result('default')['connections'] == res.result('var_off')['connections']


def test_switch_in_environment_turns_it_off(box, run_playbook):
    res, _writes = run(box, run_playbook, [task('info', None, module='w365.cloudpc.w365_anc_info')], verbosity=3,
                       env={'W365_IN_PROCESS': 'false'})
    assert res.rc == 0, str(res)
    assert 'module_process: W365_IN_PROCESS=false' in res.stdout and IN_PROCESS not in res.stdout
