# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One sandbox per test module for the client-layer tests (tests/conftest.py puts the collection on sys.path)."""
from __future__ import annotations

import pytest

import core_sandbox as world


@pytest.fixture(scope='module')
def core(tmp_path_factory):
    from tests.helpers.sandbox import start_sandbox
    tmp = tmp_path_factory.mktemp('core')
    cert_pem, cert_file, encrypted_cert_file = world.make_certificate(tmp)
    sandbox = start_sandbox(world.seed(cert_pem), time_scale=60.0, workdir=tmp)
    sandbox.cert_file = cert_file
    sandbox.encrypted_cert_file = encrypted_cert_file
    sandbox.tmp = tmp
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sb(core):
    """The module's sandbox with an empty request log and no faults."""
    core.clear_faults()
    core.clear_requests()
    yield core
    core.clear_faults()


@pytest.fixture(autouse=True)
def module_side_of_module_utils(monkeypatch):
    """These tests run modules in the pytest process, as a module process would: warn() and deprecate() record into
    the result. Importing any controller code (another test file may) flips ansible's process-wide
    `is_controller` switch, which would send warnings to the controller's display instead."""
    from ansible.module_utils import _internal
    from ansible.module_utils.common import warnings as module_warnings
    monkeypatch.setattr(_internal, 'is_controller', False)
    # One module run per process in real life: warnings and deprecations of an earlier test's module must not show
    # up in the next one's result.
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    # Likewise the credentials and service principals a module run keeps for the next run of its process
    # (_token_cache.process_credential; a loop's items in real life): each test starts without them.
    from ansible_collections.w365.cloudpc.plugins.module_utils import _token_cache
    monkeypatch.setattr(_token_cache, '_PROCESS', {'pid': None, 'credentials': {}, 'principals': {}})
