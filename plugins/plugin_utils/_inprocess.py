# -*- coding: utf-8 -*-
# Copyright (c) w365.cloudpc contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a w365.cloudpc module's ``main()`` inside the controller's worker process (issue 19).

Every module of the collection has a same-named action plugin built on `InProcessModuleAction`. When the task runs
on the controller (local connection, the controller's own Python, no become, no async) the plugin runs the module
in the worker process Ansible forked for the task, instead of packaging it with AnsiballZ and starting a new
interpreter that imports ansible.module_utils, azure-core, azure-identity, msal, requests and cryptography again.
Those imports happen here, when the strategy loads the action plugin in the main process before it forks its
workers, so each worker inherits them.

The module sees what Ansible would send it: the task's arguments plus the ``_ansible_*`` keys that
`ActionBase._update_module_args` adds, JSON-encoded with the module serialization profile and read back by
`AnsibleModule` through `ansible.module_utils.basic` as in a module process. Its JSON output is parsed by
`ActionBase._parse_returned_data`, exactly like a module process's stdout. So ``invocation``, masking of ``no_log``
values (done by AnsibleModule), warnings, deprecations, check mode and diff mode are the module's own.

Anything else runs the module the usual way (`ActionBase._execute_module`): another connection (delegation to a
remote host), another interpreter, become, async, an ansible-core whose internals this file does not know, or the
opt-out: environment variable ``W365_IN_PROCESS=0`` on the controller or variable ``w365_in_process: false``.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import logging
import os
import sys
import traceback

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils import basic as _basic
from ansible.module_utils.basic import remove_values
from ansible.module_utils.common import warnings as _warnings
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

display = Display()

# The module-side internals this file drives exist from ansible-core 2.19 on (serialization profiles, the
# `is_controller` switch of module_utils warnings); on older cores every task takes the normal module path.
try:
    from ansible.module_utils import _internal as _mu_internal
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # ansible-core < 2.19
    _mu_internal = None
    Direction = get_module_encoder = None

_CORE_SUPPORTED = (_mu_internal is not None and hasattr(_mu_internal, 'is_controller')
                   and hasattr(_basic, '_ANSIBLE_PROFILE') and hasattr(_basic, '_PARSED_MODULE_ARGS')
                   and hasattr(_warnings, '_global_warnings') and hasattr(_warnings, '_global_deprecations'))

# The profile AnsiballZ uses for a module that declares no METADATA (none of ours does).
SERIALIZATION_PROFILE = 'legacy'

ENV_SWITCH = 'W365_IN_PROCESS'
VAR_SWITCH = 'w365_in_process'


def switch_off(value):
    """True when an opt-out value (env or var) turns the in-process path off; unset or unparsable keeps it on."""
    if value is None:
        return False
    if isinstance(value, bool):
        return not value
    text = str(value).strip().lower()
    if not text:
        return False
    try:
        return not boolean(text, strict=True)
    except TypeError:
        return False


# With W365_IN_PROCESS off in the controller's environment nothing runs in-process: skip the preload too, so the
# run is the collection as it was before (no extra memory or import time in the main process).
ENV_OFF = switch_off(os.environ.get(ENV_SWITCH))

# The heavy imports every module task needs, paid once here (in the main process, before workers fork) instead of
# once per task. Missing packages are not an error: the task then runs as a module process, whose Python may have
# them, and reports their absence the usual way if not.
PRELOAD_ERROR = None
PRELOAD_OPTIONAL = ('msal_extensions', 'msal_extensions.token_cache', 'netrc', 'encodings.utf_8_sig')
if ENV_OFF:
    PRELOAD_ERROR = 'not loaded: %s=%s' % (ENV_SWITCH, os.environ.get(ENV_SWITCH))
else:
    try:
        import azure.core.exceptions  # noqa: F401 pylint: disable=unused-import
        import azure.core.pipeline.policies  # noqa: F401 pylint: disable=unused-import
        import azure.core.pipeline.transport  # noqa: F401 pylint: disable=unused-import
        import azure.core.rest  # noqa: F401 pylint: disable=unused-import
        import azure.identity  # noqa: F401 pylint: disable=unused-import
        import msal.authority  # noqa: F401 pylint: disable=unused-import
        import requests  # noqa: F401 pylint: disable=unused-import
        from ansible_collections.w365.cloudpc.plugins.module_utils import (  # noqa: F401 pylint: disable=unused-import
            _anc, _arm, _auth, _converge, _graph, _grants, _health_checks, _ids, _images, _module, _preflight,
            _preflight_run, _service_principal, _signin_checks, _token_cache, _waiter)
    except ImportError as e:
        PRELOAD_ERROR = '%s (%s)' % (type(e).__name__, getattr(e, 'name', None) or 'import failed')
    if PRELOAD_ERROR is None:
        # What the first request or credential of every task imports lazily (profiled: about 10 ms per task when
        # each worker imports them itself). Optional: a missing one costs time, not correctness.
        for _name in PRELOAD_OPTIONAL:
            try:
                importlib.import_module(_name)
            except ImportError:
                pass

_AUTO_INTERPRETERS = frozenset(('auto', 'auto_legacy', 'auto_silent', 'auto_legacy_silent'))
_LOCAL_CONNECTIONS = frozenset(('local', 'ansible.builtin.local', 'ansible.legacy.local'))
# Loggers a module configures (W365Module adds a NullHandler to each): restored after every in-process run.
_MODULE_LOGGERS = ('azure', 'msal')


def load_module(name):
    """Import ``plugins/modules/<name>.py`` for an action plugin file: None (normal path) when that fails."""
    if PRELOAD_ERROR or not _CORE_SUPPORTED:
        return None
    try:
        return importlib.import_module('ansible_collections.w365.cloudpc.plugins.modules.%s' % name)
    except ImportError:
        return None


def same_interpreter(path, executable=None):
    """True when `path` names the Python running this process (a venv reached through a symlink counts)."""
    executable = executable or sys.executable
    if not path or not os.path.isabs(path) or not executable:
        return False
    if os.path.normpath(path) == os.path.normpath(executable):
        return True
    # A venv's bin/python is usually a symlink to the base interpreter: the same binary outside the venv has other
    # packages. Same only if the directories resolve to the same place too.
    return (os.path.realpath(os.path.dirname(path)) == os.path.realpath(os.path.dirname(executable))
            and os.path.realpath(path) == os.path.realpath(executable))


class _CrashBarrier(object):
    """Stops an exception the module did not handle from leaving the worker; keeps it for the failure result.

    A module process that raises dies with a traceback on stderr and the task fails. In the worker the same
    exception must fail the task too, but without a traceback (its text may quote a request or a secret) and
    without ending the worker. BaseExceptions that are not Exceptions (KeyboardInterrupt, the task timeout, the
    SystemExit of exit_json/fail_json, handled by the caller) pass through.
    """

    def __init__(self):
        self.error = None
        self.traceback = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or not issubclass(exc_type, Exception):
            return False
        self.error, self.traceback = exc, tb
        return True


def _no_log_values(tb):
    """The no_log values of every AnsibleModule the failed call stack holds (a module, or an object's .module)."""
    values = set()
    seen = set()
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            # getattr_static: no property or __getattr__ of an arbitrary object runs while reporting a crash.
            candidates = (value, inspect.getattr_static(value, 'module', None), inspect.getattr_static(value, '_module', None))
            for candidate in candidates:
                if isinstance(candidate, _basic.AnsibleModule) and id(candidate) not in seen:
                    seen.add(id(candidate))
                    values.update(getattr(candidate, 'no_log_values', ()) or ())
        tb = tb.tb_next
    return values, bool(seen)


# Longest exception text quoted in a crash message (one line; the rest of a long service answer is cut).
MAX_CRASH_TEXT = 1000


def crash_message(module_name, error, tb):
    """A one-line failure message for an exception the module did not handle: type, masked text, where raised."""
    secrets, found_module = _no_log_values(tb)
    kind = type(error).__name__
    where = ''
    frames = traceback.extract_tb(tb) if tb is not None else []
    if frames:
        last = frames[-1]
        path = last.filename.replace(os.sep, '/')
        marker = '/ansible_collections/'
        if marker in path:
            path = path.split(marker, 1)[1]
        else:
            path = os.path.basename(path)
        where = ' (raised at %s:%s in %s)' % (path, last.lineno, last.name)
    if found_module:
        text = ' '.join(to_text(remove_values(to_text(error, errors='surrogate_or_replace'), secrets)).split())
        if len(text) > MAX_CRASH_TEXT:
            text = text[:MAX_CRASH_TEXT] + '...'
        detail = '%s: %s' % (kind, text) if text else kind
    else:
        # No AnsibleModule yet, so no list of what to mask: the exception's text is withheld.
        detail = '%s (message withheld: raised before the module had read its options)' % kind
    return 'MODULE FAILURE: %s raised an unexpected error in the controller process: %s%s' % (
        module_name, detail, where)


@contextlib.contextmanager
def _module_globals(encoded_args):
    """Hand the arguments to ansible.module_utils.basic and isolate what a module run changes in the process.

    Reset before and after: the arguments globals of basic, the warning and deprecation lists of module_utils, the
    handlers of the loggers the module configures, os.environ and the working directory. A loop or `until` runs
    its items in one worker, so nothing of one item may reach the next.
    """
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_handlers = {name: list(logging.getLogger(name).handlers) for name in _MODULE_LOGGERS}
    saved_controller = _mu_internal.is_controller

    def reset():
        _basic._ANSIBLE_ARGS = None
        _basic._ANSIBLE_PROFILE = None
        _basic._PARSED_MODULE_ARGS = None
        _warnings._global_warnings.clear()
        _warnings._global_deprecations.clear()

    reset()
    _basic._ANSIBLE_ARGS = encoded_args
    _basic._ANSIBLE_PROFILE = SERIALIZATION_PROFILE
    # Module-side behaviour of module_utils: warn() and deprecate() record into the result (where AnsibleModule
    # masks no_log values in them) instead of printing through the controller's Display unmasked.
    _mu_internal.is_controller = False
    try:
        yield
    finally:
        _mu_internal.is_controller = saved_controller
        reset()
        for name, handlers in saved_handlers.items():
            logging.getLogger(name).handlers[:] = handlers
        if dict(os.environ) != saved_env:
            for key in [k for k in os.environ if k not in saved_env]:
                del os.environ[key]
            for key, value in saved_env.items():
                if os.environ.get(key) != value:
                    os.environ[key] = value
        if os.getcwd() != saved_cwd:
            os.chdir(saved_cwd)


class InProcessModuleAction(ActionBase):
    """Base of the collection's action plugins: the module in-process when safe, else the normal module path."""

    # The module object (plugins/modules/<name>.py), or None when it cannot be imported on the controller.
    MODULE = None
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(InProcessModuleAction, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        reason = self.in_process_refusal(task_vars)
        host = self._play_context.remote_addr
        if reason is None:
            display.vvv('w365.cloudpc: running %s in the controller process (in_process, pid %d)'
                        % (self._task.action, os.getpid()), host=host)
            data = self._execute_in_process(task_vars)
        else:
            display.vvv('w365.cloudpc: running %s as a module process (module_process: %s)'
                        % (self._task.action, reason), host=host)
            wrap_async = self._task.async_val and not self._connection.has_native_async
            data = self._execute_module(task_vars=task_vars, wrap_async=wrap_async)
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
        return merge_hash(result, data)

    # -- the decision --------------------------------------------------------------------------------------------
    def in_process_refusal(self, task_vars):
        """None when the module may run in this process, else why not (shown at -vvv)."""
        if ENV_OFF or switch_off(os.environ.get(ENV_SWITCH)):
            return '%s=%s' % (ENV_SWITCH, os.environ.get(ENV_SWITCH))
        if not _CORE_SUPPORTED:
            return 'ansible-core internals not supported by the in-process path'
        if self.MODULE is None:
            return 'the module or its Python packages cannot be imported by the controller (%s)' % (
                PRELOAD_ERROR or 'import failed')
        try:
            var = task_vars.get(VAR_SWITCH)
            if var is not None:
                var = self._templar.template(var)
        except AnsibleError:
            return 'variable %s could not be templated' % VAR_SWITCH
        if switch_off(var):
            return '%s: %s' % (VAR_SWITCH, var)
        if self._task.async_val:
            return 'async task'
        connection = getattr(self._connection, '_load_name', None) or getattr(self._connection, 'transport', None)
        if connection not in _LOCAL_CONNECTIONS and getattr(self._connection, 'transport', None) != 'local':
            return 'connection %s is not the local connection' % connection
        if self._connection.become or self._play_context.become:
            return 'become'
        return self._interpreter_refusal(task_vars)

    def _interpreter_refusal(self, task_vars):
        use_vars = task_vars
        if self._task.delegate_to:
            use_vars = (task_vars.get('ansible_delegated_vars') or {}).get(self._task.delegate_to, task_vars)
        try:
            value = C.config.get_config_value('INTERPRETER_PYTHON', variables=use_vars)
            if isinstance(value, str) and '{' in value:
                value = self._templar.template(value)
        except AnsibleError:
            return 'ansible_python_interpreter could not be templated'
        value = (to_text(value).strip() if value is not None else '')
        if not value or value in _AUTO_INTERPRETERS:
            return None
        if same_interpreter(value, sys.executable):
            return None
        return 'interpreter %s is not the controller\'s Python %s' % (value, sys.executable)

    # -- the in-process run --------------------------------------------------------------------------------------
    def _module_args(self, task_vars):
        """The arguments a module process would receive, JSON-encoded with the module profile."""
        module_args = dict(self._task.args)
        self._update_module_args(self._task.action, module_args, task_vars)
        encoder = get_module_encoder(SERIALIZATION_PROFILE, Direction.CONTROLLER_TO_MODULE)
        try:
            return json.dumps(dict(ANSIBLE_MODULE_ARGS=module_args), cls=encoder).encode('utf-8')
        except TypeError as ex:
            raise AnsibleError('Failed to serialize arguments for the %r module.' % self._task.action) from ex

    def _execute_in_process(self, task_vars):
        encoded = self._module_args(task_vars)
        environment = {}
        self._compute_environment_string(environment)
        stdout, stderr = io.StringIO(), io.StringIO()
        barrier = _CrashBarrier()
        rc = 0
        with _module_globals(encoded):
            for key, value in environment.items():
                os.environ[to_text(key)] = to_text(value)
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    with barrier:
                        self.MODULE.main()
                except SystemExit as exit_:
                    code = exit_.code
                    rc = code if isinstance(code, int) else (0 if code is None else 1)
        if barrier.error is not None:
            message = crash_message(self._task.action, barrier.error, barrier.traceback)
            barrier.error = barrier.traceback = None
            return {'failed': True, 'msg': message, 'rc': 1}
        data = self._parse_returned_data({'rc': rc, 'stdout': stdout.getvalue(), 'stderr': stderr.getvalue()},
                                         SERIALIZATION_PROFILE)
        # What _execute_module does with a module's result after parsing it.
        data.pop('_ansible_suppress_tmpdir_delete', None)
        if 'results' in data and not isinstance(data['results'], list):
            data['ansible_module_results'] = data.pop('results')
            display.warning("Found internal 'results' key in module return, renamed to 'ansible_module_results'.")
        remove_internal_keys(data)
        for key in ('stdout', 'stderr'):
            if key in data and '%s_lines' % key not in data:
                data['%s_lines' % key] = (data.get(key) or u'').splitlines()
        return data
