# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A misspelled option may be a misspelled secret: the task fails naming the option, and its value appears nowhere,
not even at -vvvv, on both execution paths. No sandbox: Ansible refuses the option before any request."""
from __future__ import annotations

import json

import pytest

from tests.helpers.playbook import run_playbook

SECRET = 'Misspelled-Secret-7f3a9c'
GOV_SECRET = 'Misspelled-Gov-Secret-c81e'


@pytest.mark.parametrize('in_process', [True, False], ids=['in_process', 'module_process'])
def test_a_misspelled_secret_option_is_named_and_never_shown(tmp_path, in_process):
    tenant = '11111111-1111-4111-8111-111111111111'
    task = {'name': 'misspelled', 'w365.cloudpc.w365_anc_info': {
        'tenant_id': tenant, 'client_id': '22222222-2222-4222-8222-222222222222', 'client_secert': '{{ typo_secret }}'}}
    gov = {'name': 'misspelled inside gov_auth', 'ignore_errors': True, 'w365.cloudpc.w365_anc_info': {
        'cloud': 'gcc', 'tenant_id': tenant, 'client_id': '22222222-2222-4222-8222-222222222222',
        'client_secret': '{{ known_secret }}',
        'gov_auth': {'tenant_id': '33333333-3333-4333-8333-333333333333',
                     'client_id': '44444444-4444-4444-8444-444444444444', 'client_secert': '{{ typo_gov_secret }}'}}}
    task['ignore_errors'] = True
    play = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [task, gov]}]
    # Secrets come from variables, as from a vault: Ansible itself quotes the playbook's lines around a failed task.
    secrets = {'typo_secret': SECRET, 'typo_gov_secret': GOV_SECRET, 'known_secret': 'Known-Secret-Is-Masked'}
    result = run_playbook(tmp_path, play, verbosity=4, in_process=in_process, extra_vars=secrets)
    output = result.stdout + result.stderr
    for name in ('misspelled', 'misspelled inside gov_auth'):
        failed = result.result(name)
        assert 'Unsupported parameters' in failed['msg'], failed
    assert 'client_secert' in result.result('misspelled')['msg']
    assert 'gov_auth.client_secert' in result.result('misspelled inside gov_auth')['msg']
    for secret in (SECRET, GOV_SECRET, 'Known-Secret-Is-Masked'):
        assert secret not in output
        assert secret not in json.dumps(result.results)
