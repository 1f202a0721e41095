# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/_inprocess.py, the pure parts (fast): interpreter match, opt-out values, crash messages, isolation."""
from __future__ import annotations

import logging
import os
import sys

import pytest
from ansible.module_utils import _internal
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings

from ansible_collections.w365.cloudpc.plugins.plugin_utils import _inprocess


def test_preloaded_stack_and_every_module_importable():
    # The action plugins find their module; the heavy packages are in this process after importing the file.
    assert _inprocess.PRELOAD_ERROR is None
    for name in ('w365_anc', 'w365_anc_info', 'w365_role_grant', 'w365_role_grant_info', 'w365_custom_image',
                 'w365_custom_image_info', 'w365_provisioning_policy', 'w365_provisioning_policy_info',
                 'w365_preflight', 'w365_automation_identity', 'w365_gov_tenant_mapping', 'w365_gov_tenant_mapping_info'):
        assert callable(_inprocess.load_module(name).main)
    for package in ('azure.identity', 'azure.core.pipeline.transport', 'msal', 'requests', 'cryptography'):
        assert package in sys.modules


def test_same_interpreter(tmp_path):
    exe = sys.executable
    assert _inprocess.same_interpreter(exe, exe)
    alias = tmp_path / 'bin'
    alias.symlink_to(os.path.dirname(exe), target_is_directory=True)
    assert _inprocess.same_interpreter(str(alias / os.path.basename(exe)), exe)
    # The binary a venv's python links to is another interpreter as far as packages go.
    target = os.path.realpath(exe)
    if os.path.dirname(target) != os.path.realpath(os.path.dirname(exe)):
        assert not _inprocess.same_interpreter(target, exe)
    assert not _inprocess.same_interpreter('python3', exe)  # relative: resolved on the target, not ours
    assert not _inprocess.same_interpreter('/usr/bin/env python3', exe)
    assert not _inprocess.same_interpreter('', exe)


@pytest.mark.parametrize('value, off', [
    (None, False), ('', False), ('1', False), ('true', False), ('yes', False), (True, False),
    ('0', True), ('false', True), ('False', True), ('no', True), ('off', True), (False, True), (' 0 ', True),
    ('maybe', False),
])
def test_switch_off(value, off):
    assert _inprocess.switch_off(value) is off


class _Holder(object):
    def __init__(self, module):
        self.module = module


def _raise_in_method(module, text):
    holder = _Holder(module)  # noqa: F841 - found through the traceback, like AncTask(module)
    raise KeyError(text)


def _fake_module(secret):
    module = basic.AnsibleModule.__new__(basic.AnsibleModule)
    module.no_log_values = {secret}
    return module


def test_crash_message_masks_with_the_module_no_log_values():
    secret = 'Unit-Secret-5521'
    barrier = _inprocess._CrashBarrier()
    with barrier:
        _raise_in_method(_fake_module(secret), 'no key %s' % secret)
    message = _inprocess.crash_message('w365.cloudpc.w365_anc', barrier.error, barrier.traceback)
    assert secret not in message
    assert message.startswith('MODULE FAILURE: w365.cloudpc.w365_anc raised an unexpected error')
    assert "KeyError: 'no key ********'" in message
    assert 'test_inprocess.py:' in message and 'in _raise_in_method' in message
    assert 'Traceback' not in message


def test_crash_message_withholds_text_without_a_module():
    barrier = _inprocess._CrashBarrier()
    with barrier:
        raise ValueError('quoting Another-Secret-1')
    message = _inprocess.crash_message('w365.cloudpc.w365_anc', barrier.error, barrier.traceback)
    assert 'Another-Secret-1' not in message and 'ValueError (message withheld' in message


def test_barrier_lets_exits_and_interrupts_through():
    for exc in (SystemExit(1), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with _inprocess._CrashBarrier():
                raise exc


def test_module_globals_restore_everything_a_module_run_changes(tmp_path):
    before_env = dict(os.environ)
    before_cwd = os.getcwd()
    handlers = list(logging.getLogger('azure').handlers)
    with _inprocess._module_globals(b'{"ANSIBLE_MODULE_ARGS": {}}'):
        assert basic._ANSIBLE_ARGS == b'{"ANSIBLE_MODULE_ARGS": {}}' and basic._ANSIBLE_PROFILE == 'legacy'
        assert _internal.is_controller is False
        module_warnings.warn('left behind by a module')
        assert module_warnings.get_warnings()
        os.environ['W365_UNIT_LEAK'] = '1'
        os.environ.pop('PATH', None)
        os.chdir(tmp_path)
        logging.getLogger('azure').addHandler(logging.NullHandler())
    assert dict(os.environ) == before_env and os.getcwd() == before_cwd
    assert logging.getLogger('azure').handlers == handlers
    assert basic._ANSIBLE_ARGS is None and basic._ANSIBLE_PROFILE is None and basic._PARSED_MODULE_ARGS is None
    assert not module_warnings.get_warnings() and not module_warnings.get_deprecations()
    assert _internal.is_controller is True


@pytest.mark.slow  # a new Python process
@pytest.mark.parametrize('switch, preloaded', [('0', False), ('1', True)])
def test_environment_switch_at_load_time_decides_the_preload(switch, preloaded):
    # W365_IN_PROCESS=0 leaves the controller as it was before the in-process path: no azure import at load time.
    import subprocess
    from tests.helpers.playbook import COLLECTIONS
    code = ('import sys; from ansible_collections.w365.cloudpc.plugins.plugin_utils import _inprocess as p; '
            'print("azure.identity" in sys.modules, p.load_module("w365_anc") is not None)')
    env = dict(os.environ, W365_IN_PROCESS=switch, PYTHONPATH=str(COLLECTIONS))
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == [str(preloaded), str(preloaded)]


class _Hostile(object):
    def __getattr__(self, name):
        raise RuntimeError('a crash report must not run this')


def _raise_long(module):
    hostile = _Hostile()  # noqa: F841 - on the failing stack, like an SDK object
    raise ValueError('line one\nline two ' + 'x' * 5000)


def test_crash_message_is_one_bounded_line_and_runs_no_object_code():
    barrier = _inprocess._CrashBarrier()
    with barrier:
        _raise_long(_fake_module('unused-secret'))
    message = _inprocess.crash_message('w365.cloudpc.w365_anc', barrier.error, barrier.traceback)
    assert '\n' not in message and 'line one line two' in message
    assert len(message) < _inprocess.MAX_CRASH_TEXT + 300 and 'x...' in message
