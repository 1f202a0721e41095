# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One module shape (`_resource.ResourceTask`) for the modules that manage a resource, and one source for the
network options they share (doc fragment `w365.cloudpc.network`)."""
from __future__ import annotations

import pytest
import yaml

from ansible_collections.w365.cloudpc.plugins.doc_fragments.network import ModuleDocFragment as NetworkFragment
from ansible_collections.w365.cloudpc.plugins.module_utils import _grants
from ansible_collections.w365.cloudpc.plugins.module_utils._resource import ResourceTask
from ansible_collections.w365.cloudpc.plugins.modules import (
    w365_anc,
    w365_custom_image,
    w365_preflight,
    w365_role_grant,
)

RESOURCE_MODULES = {w365_anc: 'AncTask', w365_custom_image: 'ImageTask', w365_role_grant: 'GrantTask'}


class FakeModule:
    def __init__(self, **params):
        self.params = params
        self.graph = 'graph'


class Recorder(ResourceTask):
    def __init__(self, module, calls):
        super().__init__(module)
        self.calls = calls

    def check_inputs(self):
        self.calls.append('check_inputs')

    def read(self):
        self.calls.append('read')
        return 'current'

    def ensure_present(self, current):
        self.calls.append(('ensure_present', current))
        return True, 'after'

    def ensure_absent(self, current):
        self.calls.append(('ensure_absent', current))
        return False, None

    def exit(self, changed, current, after):
        self.calls.append(('exit', changed, current, after))


@pytest.mark.parametrize('state, ensure, changed, after', [
    ('present', 'ensure_present', True, 'after'),
    (None, 'ensure_present', True, 'after'),
    ('absent', 'ensure_absent', False, None),
])
def test_run_checks_reads_ensures_then_exits(state, ensure, changed, after):
    calls = []
    Recorder(FakeModule(state=state), calls).run()
    assert calls == ['check_inputs', 'read', (ensure, 'current'), ('exit', changed, 'current', after)]


def test_changes_report_a_write_already_made():
    task = Recorder(FakeModule(), [])
    assert task.changes() == {'changed': False}
    task.changed = True
    assert task.changes() == {'changed': True}
    assert task.graph == 'graph'


@pytest.mark.parametrize('module', list(RESOURCE_MODULES), ids=lambda m: m.__name__.rsplit('.', 1)[-1])
def test_each_resource_module_has_the_one_shape(module):
    task_class = getattr(module, RESOURCE_MODULES[module])
    assert issubclass(task_class, ResourceTask)
    for step in ('check_inputs', 'read', 'ensure_present', 'ensure_absent', 'exit'):
        assert getattr(task_class, step) is not getattr(ResourceTask, step), step
    # run() is the template's own: the order of the steps is written once.
    assert task_class.run is ResourceTask.run


def test_grants_have_ensure_present_and_absent_and_no_second_entry_point():
    assert callable(_grants.ensure_present) and callable(_grants.ensure_absent)
    assert not hasattr(_grants, 'ensure_grants')


def documentation(module):
    return yaml.safe_load(module.DOCUMENTATION)


NETWORK_MODULES = (w365_anc, w365_role_grant, w365_preflight)


@pytest.mark.parametrize('module', NETWORK_MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
def test_shared_network_options_come_from_one_fragment(module):
    doc = documentation(module)
    shared = yaml.safe_load(NetworkFragment.DOCUMENTATION)['options']
    assert 'w365.cloudpc.network' in doc['extends_documentation_fragment']
    # Documented once, in the fragment: a module that documents one of these itself hides the fragment's text.
    assert not set(shared) & set(doc['options'])
    # What differs stays in the module.
    assert 'resource_group' in doc['options']
