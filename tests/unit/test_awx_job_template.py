# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped AWX job template and its survey, held to AWX's survey rules and to what the rollout reads.

The survey checks follow AWX's `JobTemplateSurveySpec._validate_spec_data` (awx/api/views): required keys and their
types, unique variables, known question types, defaults of the question's type, integer limits, and choices with
defaults taken from them.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / 'awx' / 'job_templates' / 'windows365_rollout.yml'

SURVEY_TYPE_MAPPING = {'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': str,
                       'integer': int, 'float': (float, int)}
# Parameters of the awx.awx.job_template module that a template file may carry.
JOB_TEMPLATE_KEYS = {
    'name', 'description', 'job_type', 'inventory', 'project', 'playbook', 'credentials', 'execution_environment',
    'forks', 'limit', 'verbosity', 'extra_vars', 'job_tags', 'skip_tags', 'start_at_task', 'timeout',
    'use_fact_cache', 'host_config_key', 'ask_scm_branch_on_launch', 'ask_diff_mode_on_launch',
    'ask_variables_on_launch', 'ask_limit_on_launch', 'ask_tags_on_launch', 'ask_skip_tags_on_launch',
    'ask_job_type_on_launch', 'ask_verbosity_on_launch', 'ask_inventory_on_launch', 'ask_credential_on_launch',
    'ask_execution_environment_on_launch', 'ask_forks_on_launch', 'ask_job_slice_count_on_launch',
    'ask_timeout_on_launch', 'ask_instance_groups_on_launch', 'ask_labels_on_launch', 'survey_enabled',
    'survey_spec', 'become_enabled', 'diff_mode', 'allow_simultaneous', 'job_slice_count', 'webhook_service',
    'scm_branch', 'labels', 'instance_groups', 'prevent_instance_group_fallback', 'notification_templates_started',
    'notification_templates_success', 'notification_templates_error', 'state', 'organization', 'custom_virtualenv',
}


class SurveyError(ValueError):
    """What AWX answers with HTTP 400 when the survey spec is saved."""


def validate_survey_spec(spec):
    for field, expect in (('name', str), ('description', str), ('spec', list)):
        if field not in spec:
            raise SurveyError(f"Field '{field}' is missing from survey spec.")
        if not isinstance(spec[field], expect):
            raise SurveyError(f"'{field}' in survey spec must be {expect.__name__}.")
    if not spec['spec']:
        raise SurveyError("'spec' doesn't contain any items.")
    variables = set()
    for idx, item in enumerate(spec['spec']):
        if not isinstance(item, dict):
            raise SurveyError(f'Survey question {idx} is not a json object.')
        for field in ('type', 'question_name', 'variable', 'required'):
            if field not in item:
                raise SurveyError(f"'{field}' missing from survey question {idx}")
            if not isinstance(item[field], bool if field == 'required' else str):
                raise SurveyError(f"'{field}' in survey question {idx} has the wrong type.")
        if item['variable'] in variables:
            raise SurveyError(f"'variable' '{item['variable']}' duplicated in survey question {idx}.")
        variables.add(item['variable'])
        qtype = item['type']
        if qtype not in SURVEY_TYPE_MAPPING:
            raise SurveyError(f"'{qtype}' in survey question {idx} is not one of the allowed question types.")
        default = item.get('default', '')
        if default != '' and (not isinstance(default, SURVEY_TYPE_MAPPING[qtype]) or isinstance(default, bool)):
            raise SurveyError(f'Default value {default} in survey question {idx} has the wrong type.')
        for key in ('min', 'max'):
            if item.get(key) is not None and not isinstance(item[key], int):
                raise SurveyError(f'The {key} limit in survey question {idx} expected to be integer.')
        if qtype in ('multiplechoice', 'multiselect'):
            choices = item.get('choices')
            if choices in (None, '', []):
                raise SurveyError(f'Survey question {idx} of type {qtype} must specify choices.')
            choices = choices.splitlines() if isinstance(choices, str) else choices
            if len(set(choices)) != len(choices):
                raise SurveyError(f'Survey question {idx} has duplicate choices.')
            if 'default' in item:
                defaults = default.splitlines() if isinstance(default, str) else default
                if qtype == 'multiplechoice' and len(defaults) > 1:
                    raise SurveyError('Multiple Choice (Single Select) can only have one default value.')
                if any(value not in choices for value in defaults):
                    raise SurveyError('Default choice must be answered from the choices listed.')


def load_template():
    return yaml.safe_load(TEMPLATE.read_text())


def survey_defaults():
    """The answers a launch with every default gives: what AWX puts into the job's extra variables."""
    return {item['variable']: item['default'] for item in load_template()['survey_spec']['spec'] if 'default' in item}


def _used_in_rollout(variable):
    sources = [p for root in ('playbooks', 'roles') for p in (REPO / root).rglob('*.yml') if 'inventory' not in p.parts]
    return any(re.search(r'\b%s\b' % re.escape(variable), p.read_text()) for p in sources)


def test_job_template_uses_known_parameters_and_the_rollout_playbook():
    template = load_template()
    assert set(template) <= JOB_TEMPLATE_KEYS, set(template) - JOB_TEMPLATE_KEYS
    assert (REPO / template['playbook']).is_file()
    assert template['survey_enabled'] is True


def test_survey_passes_awx_validation():
    validate_survey_spec(load_template()['survey_spec'])


def test_every_survey_variable_is_read_by_the_rollout():
    for item in load_template()['survey_spec']['spec']:
        assert re.match(r'^[a-zA-Z_][a-zA-Z0-9_]*$', item['variable'])
        assert _used_in_rollout(item['variable']), f"{item['variable']} is asked but nothing reads it"


def _mutations():
    def drop_required(s):
        del s['spec'][0]['required']

    def duplicate(s):
        s['spec'].append(copy.deepcopy(s['spec'][0]))

    def bad_type(s):
        s['spec'][0]['type'] = 'boolean'

    def int_default_as_text(s):
        next(q for q in s['spec'] if q['type'] == 'integer')['default'] = '3600'

    def default_not_a_choice(s):
        next(q for q in s['spec'] if q['type'] == 'multiplechoice')['default'] = 'maybe'

    def no_choices(s):
        del next(q for q in s['spec'] if q['type'] == 'multiplechoice')['choices']

    def float_limit(s):
        s['spec'][0]['max'] = 1.5

    def empty(s):
        s['spec'] = []

    return [drop_required, duplicate, bad_type, int_default_as_text, default_not_a_choice, no_choices, float_limit,
            empty]


@pytest.mark.parametrize('mutate', _mutations(), ids=lambda f: f.__name__)
def test_survey_validator_rejects_what_awx_rejects(mutate):
    spec = copy.deepcopy(load_template()['survey_spec'])
    mutate(spec)
    with pytest.raises(SurveyError):
        validate_survey_spec(spec)
