# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of health-check error types (issue 14.2): content, coverage of Microsoft's list, generated docs."""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

from ansible_collections.w365.cloudpc.plugins.module_utils import _anc, _health_checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SPEC = os.path.join(os.path.dirname(ROOT), 'shared', 'specs', 'graph-cloudpc.openapi.yaml')


def _generator():
    spec = importlib.util.spec_from_file_location('gen_health_checks', os.path.join(ROOT, 'docs', 'gen_health_checks.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_intune_reader_role_means_reader_on_the_subscription():
    info = _health_checks.explain('resourceAvailabilityCheckNoIntuneReaderRoleError')
    assert 'Reader on the subscription' in info['explanation']
    assert 'w365_role_grant' in info['remedy']


def test_deployment_quota_means_a_delete_lock_plus_the_quota():
    info = _health_checks.explain('resourceAvailabilityCheckDeploymentQuotaLimitReached')
    assert 'delete lock' in info['explanation'] and 'quota' in info['explanation']
    assert 'lock' in info['remedy']


@pytest.mark.parametrize('error_type', [
    'internalServerErrorDeploymentCanceled', 'internalServerErrorAllocateResourceFailed',
    'internalServerErrorVMDeploymentTimeout', 'internalServerErrorUnableToRunDscScript', 'internalServerUnknownError',
])
def test_internal_server_error_types_are_known(error_type):
    assert _health_checks.explain(error_type)['known']


def test_lookup_is_case_insensitive_and_unknown_types_pass_through():
    assert _health_checks.explain('PERMISSIONCHECKNOSUBSCRIPTIONREADERROLE')['known']
    assert _health_checks.explain('somethingMicrosoftAddsNext') == {
        'error_type': 'somethingMicrosoftAddsNext', 'known': False, 'explanation': None, 'remedy': None}
    assert _health_checks.explain(None) is None


def test_every_published_error_type_has_an_entry():
    """Microsoft's enum (v1.0 metadata, as copied into ../shared/specs) is fully covered."""
    if not os.path.exists(SPEC):
        pytest.skip('shared specs not found at %s' % SPEC)
    with open(SPEC, encoding='utf-8') as handle:
        text = handle.read()
    block = text.split('microsoft.graph.cloudPcOnPremisesConnectionHealthCheckErrorType:', 1)[1]
    block = block.split('type: string', 1)[0]
    published = re.findall(r'^\s+- (\w+)$', block, re.MULTILINE)
    assert len(published) > 60
    assert sorted(set(published) - set(_health_checks.ERROR_TYPES)) == []


def test_every_entry_has_a_category_explanation_and_remedy():
    categories = {key for key, _title, _prefix in _health_checks.CATEGORIES}
    for name, (category, explanation, remedy) in _health_checks.ERROR_TYPES.items():
        assert category in categories, name
        assert explanation.strip() and remedy.strip(), name


def test_results_carry_explanation_and_remedy():
    shaped = _anc.shape_health_check({'displayName': 'x', 'status': 'failed',
                                      'errorType': 'resourceAvailabilityCheckDeploymentQuotaLimitReached'})
    assert 'delete lock' in shaped['explanation'] and shaped['remedy']
    message = _anc.unhealthy_message({'name': 'anc', 'health_checks': [shaped]})
    assert 'delete lock' in message


def test_docs_tables_are_generated_from_the_table():
    """docs/anc.md and the troubleshooting guide hold exactly what docs/gen_health_checks.py writes."""
    stale = [path for path, (current, generated) in _generator().render().items() if current != generated]
    assert stale == [], 'run: python docs/gen_health_checks.py'


def test_docs_list_every_error_type():
    gen = _generator()
    for path in (gen.MARKDOWN, gen.RST):
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
        for name in _health_checks.ERROR_TYPES:
            assert '``%s``' % name in text or '`%s`' % name in text, (path, name)
